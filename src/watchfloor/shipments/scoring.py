"""Scoring: the rules, the versioned configuration that weighs them, and the per-agency
context they read (seizures the agency may see, peers' values, sanctions, its model).

A :class:`Scorer` is built once per agency and reused: building reads the database, scoring
does not. :func:`scorer_for` keeps one per agency and rebuilds it when it is older than
``REFRESH_SECONDS`` (in the background) or when something it reads has changed in this
process (at once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
import tomllib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import orjson
from sqlalchemy import distinct, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from watchfloor.cooperation.seizures import Seizure
from watchfloor.cooperation.watchlists import WatchlistEntry
from watchfloor.db import engine_of
from watchfloor.errors import Conflict
from watchfloor.memo import Memo
from watchfloor.reference import SanctionsEntry, SanctionsLoad, SubstanceMatcher, shipped_facts
from watchfloor.security import Agency, system_principal
from watchfloor.sharing import visible
from watchfloor.shipments import model as risk_model
from watchfloor.shipments.hs import chapter_guesser
from watchfloor.shipments.models import ScoringConfig as ScoringConfigRow
from watchfloor.shipments.models import Shipment, ShipmentItem
from watchfloor.shipments.rules import Reason, Rule
from watchfloor.shipments.rules.anomaly import AnomalyRule, PeerStats, unit_value
from watchfloor.shipments.rules.context import ContextReader
from watchfloor.shipments.rules.equipment import EquipmentRule
from watchfloor.shipments.rules.hscode import HsRule
from watchfloor.shipments.rules.parties import PartyRule
from watchfloor.shipments.rules.route import RouteRule, RouteStats, chapters_of
from watchfloor.shipments.rules.substance import SubstanceRule
from watchfloor.shipments.schemas import ShipmentIn
from watchfloor.shipments.screening import Hit, Listed, NameIndex, Query, Screening, best

REFRESH_SECONDS = 60.0
log = logging.getLogger(__name__)
PEER_SEED_ITEMS = 20_000


@dataclass(frozen=True)
class Config:
    version: str
    checksum: str
    content: str
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@lru_cache(maxsize=1)
def shipped_config() -> Config:
    text = resources.files("watchfloor.shipments").joinpath("scoring.toml").read_text("utf-8")
    return parse_config(text)


def band_of(score: int, config: Config | None = None) -> str | None:
    """The band of the 0-100 scale a score falls in ("review", "inspect", "hold"), if any."""
    bands = (config or shipped_config())["bands"]
    found = None
    for name, start in sorted(bands.items(), key=lambda kv: kv[1]):
        if score >= start:
            found = name
    return found


def parse_config(text: str) -> Config:
    values = tomllib.loads(text)
    return Config(
        version=str(values["version"]),
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        content=text,
        values=values,
    )


# (version, checksum) pairs seen committed in each database: stored rows are never edited or
# deleted, so a stream worker need not ask again on every batch
_recorded: weakref.WeakKeyDictionary[Engine, set[tuple[str, str]]] = weakref.WeakKeyDictionary()


def record_config(session: Session, config: Config) -> None:
    """Keep every configuration version that scored something; a version is never edited."""
    engine = engine_of(session)
    seen = _recorded.setdefault(engine, set())
    if (config.version, config.checksum) in seen:
        return
    row = session.get(ScoringConfigRow, config.version)
    if row is not None and row.checksum == config.checksum:
        seen.add((config.version, config.checksum))  # only once it is known committed
    elif row is None:
        session.add(
            ScoringConfigRow(
                version=config.version, checksum=config.checksum, content=config.content
            )
        )
        session.flush()
    elif row.checksum != config.checksum:
        raise Conflict(
            f"scoring configuration {config.version} differs from the one stored under that "
            "version; give the changed configuration a new version number"
        )


@dataclass
class Assessment:
    score: int
    probability: float | None
    reasons: list[Reason]
    config_version: str
    model_version: str | None

    def reasons_json(self) -> str:
        return orjson.dumps([r.as_dict() for r in self.reasons]).decode()


class Scorer:
    """Scores shipments of one agency; not thread-safe (hold :attr:`lock` while scoring)."""

    def __init__(
        self,
        config: Config,
        *,
        matcher: SubstanceMatcher,
        parties: Screening,
        route: RouteStats,
        peers: PeerStats,
        model: risk_model.LoadedModel | None = None,
    ) -> None:
        self.config = config
        self.route = route
        self.anomaly = AnomalyRule(config["anomaly"], peers)
        context = ContextReader(config["context"], chapter_guesser())
        substance = SubstanceRule(config["substance"], matcher, context)
        imprints = {k: m.imprint for k, m in substance.markers.items()}
        self.rules: list[Rule] = [
            substance,
            EquipmentRule(config["equipment"], imprints),
            HsRule(config["hs"], matcher, chapter_guesser()),
            PartyRule(config["parties"], parties),
            RouteRule(config["route"], route),
            self.anomaly,
        ]
        self.model = model
        self.lock = threading.Lock()
        self.built_at = time.monotonic()
        # the first moment a record it read stops being readable (an expiry): after it, the
        # scorer is out of date like after an invalidation
        self.valid_until: dt.datetime | None = None

    def score_many(self, shipments: Sequence[ShipmentIn]) -> list[Assessment]:
        reasons_of: list[list[Reason]] = []
        for s in shipments:
            reasons = [r for rule in self.rules for r in rule.evaluate(s)]
            reasons_of.append(reasons)
            self.anomaly.learn(s)
            self.route.add_traffic(s.mode, s.origin_country, chapters_of(s))
        probabilities: list[float | None] = [None] * len(shipments)
        if self.model is not None and shipments:
            rows = [
                risk_model.feature_row(
                    mode=s.mode,
                    items=len(s.items),
                    declared_value=s.declared_value,
                    gross_weight_kg=s.gross_weight_kg,
                    transit=len(s.transit_countries),
                    rule_points=risk_model.points_by_rule([r.as_dict() for r in reasons]),
                )
                for s, reasons in zip(shipments, reasons_of, strict=True)
            ]
            probabilities = [float(p) for p in self.model.predict(rows)]
        cap = self.config["max_score"]
        out = []
        for reasons, p in zip(reasons_of, probabilities, strict=True):
            if p is not None:
                points = round(p * self.config["model"]["max_points"])
                if points >= self.config["model"]["min_points"]:
                    reasons.append(
                        Reason(
                            "model",
                            points,
                            f"the learnt model {self.model.version} (trained on "  # type: ignore[union-attr]
                            f"{self.model.n_outcomes:,} inspection outcomes) puts the chance "  # type: ignore[union-attr]
                            f"of a find at {p:.0%}",
                            {"probability": round(p, 4), "model": self.model.version},  # type: ignore[union-attr]
                        )
                    )
            reasons.sort(key=lambda r: -r.points)
            score = min(cap, sum(r.points for r in reasons))
            out.append(
                Assessment(
                    score,
                    p,
                    reasons,
                    self.config.version,
                    self.model.version if self.model else None,
                )
            )
        return out


# --- building from the database -------------------------------------------------------------

_sanctions_cache: dict[tuple[str, int], NameIndex] = {}


def sanctions_index(session: Session) -> NameIndex:
    """Every name and alias of every stored sanctions entry (cached per load)."""
    last = session.scalar(select(func.max(SanctionsLoad.id))) or 0
    key = (str(engine_of(session).url), last)
    hit = _sanctions_cache.get(key)
    if hit is not None:
        return hit
    listed = []
    for entry in session.scalars(select(SanctionsEntry)):
        programs = entry.programs.replace(" ", ", ")
        label = f"the OFAC SDN list ({programs})"
        countries = frozenset(a.country for a in entry.addresses if a.country)
        details = json.loads(entry.details or "{}")
        countries |= frozenset(c for c in details.get("nationalities", []) if len(c) == 2)
        for n in entry.names:
            listed.append(
                Listed(
                    name=n.name,
                    source="sanctions",
                    label=label,
                    category="sanctions_narcotics" if entry.narcotics else "sanctions_other",
                    countries=countries,
                    ref={"list": entry.list_id, "ent_num": entry.ent_num},
                )
            )
    index = NameIndex(listed)
    _sanctions_cache.clear()
    _sanctions_cache[key] = index
    return index


def _visible_seizures(session: Session, agency: Agency, since: dt.date) -> list[Seizure]:
    principal = system_principal(agency)
    return list(
        session.scalars(
            # statistics (a month's or a year's totals) name no parties, modes or routes
            select(Seizure).where(
                visible(principal, Seizure), Seizure.seized_on >= since, Seizure.period == "event"
            )
        )
    )


def seizure_parties(seizures: list[Seizure], agency: Agency) -> list[Listed]:
    listed = []
    for s in seizures:
        for p in json.loads(s.parties or "[]"):
            owner = "your" if s.owner_agency_id == agency.id else f"{s.owner.code}'s"
            listed.append(
                Listed(
                    name=p["name"],
                    source="seizure",
                    label=f"{owner} seizure {s.reference} of {s.seized_on.isoformat()} "
                    f"({s.substance_text}, {p['role']})",
                    category="seizure_party",
                    countries=frozenset([p["country"]] if p.get("country") else []),
                    ref={"seizure_id": s.id},
                    contact=(p.get("address"), p.get("phone"), p.get("email")),
                )
            )
    return listed


def _whose(owner_id: int, owner_code: str, agency: Agency) -> str:
    return "your" if owner_id == agency.id else f"{owner_code}'s"


def name_entries(session: Session, agency: Agency) -> list[WatchlistEntry]:
    """The active name entries of the watchlists the agency may read (a pre-export
    objection's importer among them), expired or not."""
    principal = system_principal(agency)
    return list(
        session.scalars(
            select(WatchlistEntry).where(
                visible(principal, WatchlistEntry),
                WatchlistEntry.kind == "name",
                WatchlistEntry.active.is_(True),
            )
        )
    )


def watchlist_names(entries: list[WatchlistEntry], agency: Agency) -> list[Listed]:
    """The names of those entries that have not expired, as the index lists them."""
    now = dt.datetime.now(dt.UTC)
    return [
        Listed(
            name=e.value,
            source="watchlist",
            label=f"{_whose(e.owner_agency_id, e.owner.code, agency)} watchlist entry "
            f"{e.reference} ({e.reason})",
            category="watchlist",
            countries=frozenset(),
            ref={"watchlist_entry_id": e.id},
        )
        for e in entries
        if e.expires_at is None or e.expires_at > now
    ]


class CombinedIndex:
    """The sanctions index (shared by all agencies) and one agency's seizure parties."""

    def __init__(self, shared: NameIndex, own: NameIndex) -> None:
        self.shared, self.own = shared, own
        self._memo: Memo[tuple[float, str], tuple[Hit, ...]] = Memo(500_000)

    def match(self, name: str, threshold: float) -> tuple[Hit, ...]:
        return self._memo.lookup((threshold, name), lambda _: self._match(name, threshold))

    def _match(self, name: str, threshold: float) -> tuple[Hit, ...]:
        query = Query.of(name)  # the name's words and keys once, for both indexes
        if query is None:
            return ()
        own, shared = self.own.hits(query, threshold), self.shared.hits(query, threshold)
        return best(own) + best(shared)


def route_stats(
    session: Session, agency: Agency, seizures: list[Seizure], since: dt.date
) -> RouteStats:
    """Seizures by mode, place and commodity, beside the agency's own traffic.

    A seizure's commodities are the HS chapters its shipment declared, when the shipment is
    the agency's own; otherwise the chapter of the seized substance in the catalogue.
    """
    stats = RouteStats()
    hs_of = {f.key: f.hs2022 for f in shipped_facts() if f.hs2022}
    linked = [s.shipment_id for s in seizures if s.shipment_id and s.owner_agency_id == agency.id]
    declared: dict[int, set[str]] = {}
    for start in range(0, len(linked), 1000):
        for sid, hs in session.execute(
            select(ShipmentItem.shipment_id, ShipmentItem.hs_code).where(
                ShipmentItem.shipment_id.in_(linked[start : start + 1000]),
                ShipmentItem.hs_code.is_not(None),
            )
        ):
            if hs:
                declared.setdefault(sid, set()).add(hs[:2])
    for s in seizures:
        if not s.mode:
            continue
        chapters = declared.get(s.shipment_id or 0) or (
            {hs_of[s.substance_key][:2]} if s.substance_key in hs_of else set()
        )
        places = [s.origin_country] if s.origin_country else []
        for country in places + (s.route or "").split():
            stats.add_seizure(s.mode, country, chapters)
    since_dt = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    recent = (Shipment.owner_agency_id == agency.id, Shipment.declared_at >= since_dt)
    for mode, country, n in session.execute(
        select(Shipment.mode, Shipment.origin_country, func.count())
        .where(*recent)
        .group_by(Shipment.mode, Shipment.origin_country)
    ):
        stats.add_traffic(mode, country, (), n)
    chapter = func.substr(ShipmentItem.hs_code, 1, 2)
    for mode, country, ch, n in session.execute(
        select(
            Shipment.mode,
            Shipment.origin_country,
            chapter,
            func.count(distinct(ShipmentItem.shipment_id)),
        )
        .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
        .where(*recent, ShipmentItem.hs_code.is_not(None))
        .group_by(Shipment.mode, Shipment.origin_country, chapter)
    ):
        stats.add_chapter_traffic(mode, ch, country, n)
    return stats


def peer_stats(session: Session, agency: Agency) -> PeerStats:
    stats = PeerStats()
    rows = session.execute(
        select(
            ShipmentItem.hs_code, Shipment.currency, ShipmentItem.value, ShipmentItem.net_weight_kg
        )
        .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
        .where(Shipment.owner_agency_id == agency.id, ShipmentItem.hs_code.is_not(None))
        .order_by(ShipmentItem.id.desc())
        .limit(PEER_SEED_ITEMS)
    )
    for hs, currency, value, kg in rows:
        v = unit_value(value, kg)
        if v is not None and currency and hs:
            stats.add(hs[:4], currency, v)
    return stats


def _first_expiry(
    agency: Agency, seizures: list[Seizure], entries: list[WatchlistEntry]
) -> dt.datetime | None:
    """When the first of the other agencies' records a scorer reads stops being readable:
    a seizure's share expiry, a watchlist entry's expiry or share expiry."""
    now = dt.datetime.now(dt.UTC)
    times = [s.share_expires_at for s in seizures if s.owner_agency_id != agency.id]
    for e in entries:
        times += [e.expires_at, e.share_expires_at]
    return min((t for t in times if t is not None and t > now), default=None)


def build_scorer(
    session: Session, agency: Agency, config: Config | None = None, previous: Scorer | None = None
) -> Scorer:
    """A scorer from the database. What a ``previous`` scorer learnt of the peers is kept
    instead of being sampled again, with its lock, as both may learn until it is let go."""
    config = config or shipped_config()
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=config["route"]["window_days"])
    seizures = _visible_seizures(session, agency, since)
    entries = name_entries(session, agency)
    own = NameIndex(seizure_parties(seizures, agency) + watchlist_names(entries, agency))
    valid_until = _first_expiry(agency, seizures, entries)
    scorer = Scorer(
        config,
        matcher=SubstanceMatcher.shipped(),
        parties=CombinedIndex(sanctions_index(session), own),
        route=route_stats(session, agency, seizures, since),
        peers=previous.anomaly.stats if previous is not None else peer_stats(session, agency),
        model=risk_model.load_active(session, agency.id),
    )
    scorer.valid_until = valid_until
    if previous is not None:
        scorer.lock = previous.lock
    global builds
    builds += 1
    return scorer


builds = 0  # scorers built in this process
_scorers: dict[tuple[str, int], Scorer] = {}
_generation = 0
_built_generation: dict[tuple[str, int], int] = {}
_refreshing: set[tuple[str, int]] = set()
_lock = threading.Lock()


def invalidate() -> None:
    """Something scorers read has changed (a seizure, a sanctions load, a new model)."""
    global _generation
    _generation += 1


def scorer_for(session: Session, agency: Agency) -> Scorer:
    """The agency's scorer. After :func:`invalidate` the next caller builds a new one and
    waits for it; a scorer that is merely older than ``REFRESH_SECONDS`` keeps serving while
    a thread builds its successor, so that no request waits for the periodic refresh."""
    engine = engine_of(session)
    key = (str(engine.url), agency.id)
    with _lock:
        scorer = _scorers.get(key)
        current = (
            scorer is not None
            and _built_generation.get(key) == _generation
            and (scorer.valid_until is None or dt.datetime.now(dt.UTC) < scorer.valid_until)
        )
        if scorer is not None and current:
            if time.monotonic() - scorer.built_at >= REFRESH_SECONDS and key not in _refreshing:
                _refreshing.add(key)
                threading.Thread(
                    target=_refresh,
                    args=(engine, agency.id, key, _generation),
                    name=f"scorer-refresh-{agency.id}",
                    daemon=True,
                ).start()
            return scorer
        generation = _generation
        scorer = build_scorer(session, agency, previous=scorer)
        _scorers[key] = scorer
        _built_generation[key] = generation
        return scorer


def _refresh(engine: Engine, agency_id: int, key: tuple[str, int], generation: int) -> None:
    try:
        with Session(engine) as session:
            agency = session.get(Agency, agency_id)
            old = _scorers.get(key)
            if agency is None or old is None:
                return
            scorer = build_scorer(session, agency, previous=old)
        with _lock:
            # an invalidation meanwhile makes this build stale: the next caller rebuilds
            if _generation == generation and _built_generation.get(key) == generation:
                _scorers[key] = scorer
    except Exception:
        log.exception("refreshing the scorer of agency %s failed; the old one serves", agency_id)
    finally:
        with _lock:
            _refreshing.discard(key)
