"""Sanctions lists: the US Treasury OFAC SDN list in its legacy CSV triple.

``sdn.csv`` holds one row per listed person, company, vessel or aircraft; ``alt.csv`` its
aliases; ``add.csv`` its addresses. The files have no header row, are encoded in cp1252 and
write an empty cell as ``-0-``. The Remarks column packs dates of birth, places of birth,
identity documents, nationality and "Linked To" relations into one ``;``-separated text,
which :func:`parse_remarks` takes apart.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pycountry
from sqlalchemy import ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.errors import FieldProblem, Invalid

NARCOTICS_PROGRAMS = frozenset({"SDNT", "SDNTK", "ILLICIT-DRUGS-EO14059"})
NULL = "-0-"


class SanctionsEntry(Base):
    """One listed party of a sanctions list, with what its remarks say about it."""

    __tablename__ = "sanctions_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[str] = mapped_column(String(20), index=True)  # e.g. "ofac-sdn"
    ent_num: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(400))
    party_type: Mapped[str] = mapped_column(String(12))  # individual|entity|vessel|aircraft
    programs: Mapped[str] = mapped_column(String(300))  # space separated
    narcotics: Mapped[bool] = mapped_column(default=False)
    remarks: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON from parse_remarks

    names: Mapped[list[SanctionsName]] = relationship(
        back_populates="entry", lazy="selectin", cascade="all, delete-orphan"
    )
    addresses: Mapped[list[SanctionsAddress]] = relationship(
        back_populates="entry", lazy="selectin", cascade="all, delete-orphan"
    )


class SanctionsName(Base):
    """The primary name or an alias (a.k.a., f.k.a., n.k.a.) of a listed party."""

    __tablename__ = "sanctions_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("sanctions_entries.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(8))  # primary|aka|fka|nka
    entry: Mapped[SanctionsEntry] = relationship(back_populates="names")


class SanctionsAddress(Base):
    __tablename__ = "sanctions_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("sanctions_entries.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str | None] = mapped_column(String(300))
    country_name: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    entry: Mapped[SanctionsEntry] = relationship(back_populates="addresses")


class SanctionsLoad(Base):
    """One load of a list; the checksum makes loading the same files again a no-op."""

    __tablename__ = "sanctions_loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[str] = mapped_column(String(20))
    checksum: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(120))


# --- remarks --------------------------------------------------------------------------------

_DOB = re.compile(r"^(?:alt\.\s+)?DOB\s+(.+)$", re.I)
_POB = re.compile(r"^(?:alt\.\s+)?POB\s+(.+)$", re.I)
_LINK = re.compile(r"^Linked To:\s*(.+)$", re.I)
_AKA = re.compile(r"^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'(.+)'$", re.I)
_NATIONALITY = re.compile(r"^(?:alt\.\s+)?(nationality|citizen)\s+(.+)$", re.I)
_CONTACT = re.compile(r"^(?:alt\.\s+)?(Website|Email Address)\s+(\S+)$", re.I)
_GENDER = re.compile(r"^Gender\s+(\w+)$", re.I)
_IDENT = re.compile(
    r"^(?P<kind>[A-Za-z][\w .'/()-]*?)\s*(?:No\.?|#)?\s+(?P<value>[\w./-]*\d[\w./-]*)"
    r"(?:\s+\((?P<country>[^)]+)\))?(?:\s*;|\s*$|\s+(?P<extra>.+))"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


@dataclass
class Remarks:
    """What an SDN Remarks cell says, taken apart."""

    dates_of_birth: list[str] = field(default_factory=list)  # ISO: YYYY, YYYY-MM or YYYY-MM-DD
    places_of_birth: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)  # alpha-2 where known
    gender: str | None = None
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)
    linked_to: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    identifiers: list[dict[str, str]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)


def _iso_date(text: str) -> str | None:
    """'31 Jul 1964' -> '1964-07-31'; 'Jul 1964' -> '1964-07'; '1964' -> '1964';
    'circa 1964' and ranges '1962 to 1964' keep their first year."""
    text = text.strip().rstrip(".")
    m = re.match(r"^(?:circa\s+)?(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{4})", text)
    if m and m.group(2).lower() in _MONTHS:
        return f"{m.group(3)}-{_MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
    m = re.match(r"^(?:circa\s+)?([A-Za-z]{3})[a-z]*\s+(\d{4})", text)
    if m and m.group(1).lower() in _MONTHS:
        return f"{m.group(2)}-{_MONTHS[m.group(1).lower()]:02d}"
    m = re.match(r"^(?:circa\s+)?(\d{4})", text)
    return m.group(1) if m else None


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str | None:
    """Alpha-2 code of a country written out in English, or None when it is not one."""
    if not name:
        return None
    name = name.strip().rstrip(".")
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        pass
    try:
        hits = pycountry.countries.search_fuzzy(name)
    except LookupError:
        return None
    return hits[0].alpha_2 if len(hits) == 1 else None


def _split_remarks(text: str) -> list[str]:
    return [p.strip().rstrip(".").strip() for p in text.split(";") if p.strip().strip(".")]


def _dates_of_birth(out: Remarks, m: re.Match[str]) -> None:
    for chunk in re.split(r"\s+to\s+", m.group(1)):
        iso = _iso_date(chunk)
        if iso and iso not in out.dates_of_birth:
            out.dates_of_birth.append(iso)


def _nationality(out: Remarks, m: re.Match[str]) -> None:
    value = country_code(m.group(2)) or m.group(2).strip()
    if value not in out.nationalities:
        out.nationalities.append(value)


def _contact(out: Remarks, m: re.Match[str]) -> None:
    (out.websites if m.group(1).lower() == "website" else out.emails).append(m.group(2))


def _gender(out: Remarks, m: re.Match[str]) -> None:
    out.gender = m.group(1).lower()


def _identifier(out: Remarks, m: re.Match[str]) -> None:
    kind = re.sub(r"^alt\.\s+", "", m.group("kind").strip()).rstrip(".").strip()
    ident = {"kind": kind, "value": m.group("value")}
    if m.group("country"):
        ident["country"] = country_code(m.group("country")) or m.group("country")
    if m.group("extra"):
        ident["note"] = m.group("extra").strip()
    out.identifiers.append(ident)


# what each kind of remark adds, tried in this order (the first pattern that matches wins)
_REMARKS: tuple[tuple[re.Pattern[str], Callable[[Remarks, re.Match[str]], None]], ...] = (
    (_DOB, _dates_of_birth),
    (_POB, lambda out, m: out.places_of_birth.append(m.group(1).strip())),
    (_LINK, lambda out, m: out.linked_to.append(m.group(1).strip())),
    (
        _AKA,
        lambda out, m: out.aliases.append(
            (m.group(1).lower().replace(".", ""), m.group(2).strip())
        ),
    ),
    (_NATIONALITY, _nationality),
    (_CONTACT, _contact),
    (_GENDER, _gender),
)


def parse_remarks(text: str | None) -> Remarks:
    """Take an SDN Remarks cell apart.

    >>> r = parse_remarks("DOB 31 Jul 1964; POB Mexico; citizen Mexico; Linked To: X S.A.")
    >>> r.dates_of_birth, r.places_of_birth, r.nationalities, r.linked_to
    (['1964-07-31'], ['Mexico'], ['MX'], ['X S.A'])
    """
    out = Remarks()
    if not text or text.strip() == NULL:
        return out
    for part in _split_remarks(text):
        for pattern, take in _REMARKS:
            if m := pattern.match(part):
                take(out, m)
                break
        else:
            if (m := _IDENT.match(part + ";")) and not part.lower().startswith("website"):
                _identifier(out, m)
            else:
                out.other.append(part)
    return out


# --- files ----------------------------------------------------------------------------------


def _cell(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", NULL) else value


def _read(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("cp1252", errors="replace")
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip().isdigit():
            continue  # trailing control characters and blank lines
        rows.append(row)
    return rows


@dataclass
class ParsedEntry:
    ent_num: int
    name: str
    party_type: str
    programs: list[str]
    remarks: str | None
    details: Remarks
    names: list[tuple[str, str]]  # (kind, name)
    addresses: list[tuple[str | None, str | None, str | None]]


def parse_sdn(folder: Path) -> list[ParsedEntry]:
    """Read sdn.csv, alt.csv and add.csv from ``folder`` into entries with aliases and
    addresses; raises Invalid naming the file, line and reason on a malformed row."""
    files = _files(folder)
    entries: dict[int, ParsedEntry] = {}
    for line, row in enumerate(_read(files["sdn.csv"]), start=1):
        if len(row) < 12:
            raise Invalid(
                f"sdn.csv row {line}: expected 12 columns, found {len(row)}",
                [FieldProblem("sdn.csv", f"{len(row)} columns", record=str(line))],
            )
        ent = int(row[0])
        details = parse_remarks(_cell(row[11]))
        kind = (_cell(row[2]) or "entity").lower()
        names = [("primary", row[1].strip())] + [(k, n) for k, n in details.aliases]
        entries[ent] = ParsedEntry(
            ent_num=ent,
            name=row[1].strip(),
            party_type=kind,
            programs=[p.strip() for p in (row[3] or "").split("] [") if _cell(p)],
            remarks=_cell(row[11]),
            details=details,
            names=names,
            addresses=[],
        )
    for row in _read(files["alt.csv"]):
        entry = entries.get(int(row[0]))
        name = _cell(row[3]) if len(row) > 3 else None
        if entry is None or not name:
            continue
        kind = (_cell(row[2]) or "aka").lower().replace(".", "")
        if (kind, name) not in entry.names and ("aka", name) not in entry.names:
            entry.names.append((kind, name))
    for row in _read(files["add.csv"]):
        entry = entries.get(int(row[0]))
        if entry is None or len(row) < 5:
            continue
        address = (_cell(row[2]), _cell(row[3]), _cell(row[4]))
        if any(address):
            entry.addresses.append(address)
    return list(entries.values())


def _files(folder: Path) -> dict[str, Path]:
    files = {name: folder / name for name in ("sdn.csv", "alt.csv", "add.csv")}
    missing = [n for n, p in files.items() if not p.is_file()]
    if missing:
        raise Invalid(
            f"{folder} lacks {', '.join(missing)}",
            [FieldProblem("folder", f"{n} not found") for n in missing],
        )
    return files


def files_checksum(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in _files(folder).values():
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_sdn(
    session: Session,
    folder: Path,
    *,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
    list_id: str = "ofac-sdn",
) -> tuple[int, bool]:
    """Replace the stored OFAC SDN list with the one in ``folder``.

    Returns (entries, changed); loading the same files again changes nothing.
    """
    from watchfloor import audit

    checksum = files_checksum(folder)
    last = session.scalar(
        select(SanctionsLoad)
        .where(SanctionsLoad.list_id == list_id)
        .order_by(SanctionsLoad.id.desc())
        .limit(1)
    )
    if last is not None and last.checksum == checksum:
        return last.entries, False
    parsed = parse_sdn(folder)
    session.execute(delete(SanctionsEntry).where(SanctionsEntry.list_id == list_id))
    for done, entry in enumerate(parsed, start=1):
        row = SanctionsEntry(
            list_id=list_id,
            ent_num=entry.ent_num,
            name=entry.name,
            party_type=entry.party_type,
            programs=" ".join(entry.programs),
            narcotics=bool(NARCOTICS_PROGRAMS.intersection(entry.programs)),
            remarks=entry.remarks,
            details=entry.details.as_json(),
        )
        row.names = [SanctionsName(name=n, kind=k) for k, n in _unique(entry.names)]
        row.addresses = [
            SanctionsAddress(address=a, city=c, country_name=n, country=country_code(n))
            for a, c, n in entry.addresses
        ]
        session.add(row)
        if progress and (done % 500 == 0 or done == len(parsed)):
            session.flush()
            progress(done, len(parsed))
    session.add(
        SanctionsLoad(list_id=list_id, checksum=checksum, entries=len(parsed), loaded_by=actor)
    )
    audit.record(
        session,
        actor=actor,
        action="sanctions.load",
        object_type="sanctions_list",
        object_id=list_id,
        detail={"entries": len(parsed), "sha256": checksum, "folder": folder.name},
    )
    return len(parsed), True


def _unique(names: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for kind, name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append((kind, name))
    return out
