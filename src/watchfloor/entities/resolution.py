"""Entity resolution with Splink (DuckDB backend): which parties are the same person or company.

Parties become records of a few comparable columns (:func:`record`): the name as its sorted
words, its aliases alike, the first word for blocking, date of birth and its year, kind of
party, countries, document numbers, contacts (phones, e-mails, wallets, handles) and the
names it is linked to. The Fellegi-Sunter model compares pairs field by field; its
parameters come from the data (u by random sampling, m by expectation maximisation on two
blocking rules), never set by hand. Pairs above the match threshold are joined into clusters.

The same settings run on Splink's Spark backend for national-scale registries: build the
linker with ``splink.SparkAPI(spark_session=...)`` instead of ``DuckDBAPI`` and register a
Spark DataFrame of the same columns (see the README, "Entity resolution at scale").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from watchfloor.entities.matching import identifier_number
from watchfloor.identifiers import name_tokens, phonetic

Record = dict[str, Any]
COLUMNS = ("unique_id", "source_dataset", "name", "first", "sounds", "tokens", "aliases", "dob",
           "dob_year", "schema", "countries", "ids", "contacts", "linked", "topics")  # fmt: skip


def _key(name: str) -> str | None:
    toks = name_tokens(name)
    return " ".join(sorted(toks)) or None


def record(
    uid: int | str,
    name: str,
    *,
    dataset: str = "parties",
    aliases: Iterable[str] = (),
    dates_of_birth: Sequence[str] = (),
    schema: str | None = None,
    countries: Iterable[str] = (),
    identifiers: Iterable[str] = (),
    contacts: Iterable[str] = (),
    linked_to: Iterable[str] = (),
    topics: Iterable[str] = (),
) -> Record:
    """One party as Splink compares it."""
    toks = name_tokens(name)
    keys = sorted({k for k in (_key(a) for a in aliases) if k})
    ids = sorted({n for n in (identifier_number(i) for i in identifiers) if len(n) >= 4})
    dob = dates_of_birth[0] if dates_of_birth else None
    return {
        "unique_id": str(uid),
        "source_dataset": dataset,
        "name": " ".join(sorted(toks)) or None,
        "first": toks[0] if toks else None,
        "sounds": " ".join(sorted(phonetic(t) for t in toks)) or None,
        "tokens": sorted(set(toks)) or None,
        "aliases": keys or None,
        "dob": dob,
        "dob_year": dob[:4] if dob else None,
        "schema": schema,
        "countries": sorted({c for c in countries if c}) or None,
        "ids": ids or None,
        "contacts": sorted({c.lower() for c in contacts if c}) or None,
        "linked": sorted({k for k in (_key(n) for n in linked_to) if k}) or None,
        "topics": sorted(set(topics)) or None,
    }


def party_record(p: Any) -> Record:
    """A stored :class:`~watchfloor.entities.models.Party` as a record."""
    contacts = [*p.listed("phones"), *p.listed("emails"), *p.listed("wallets"),
                *p.listed("handles")]  # fmt: skip
    return record(
        p.id,
        p.name,
        aliases=p.listed("aliases"),
        dates_of_birth=p.dates_of_birth.split(),
        schema=p.schema,
        countries=p.countries.split(),
        identifiers=[n for _, n in p.listed("identifiers")],
        contacts=contacts,
        linked_to=p.listed("linked_to"),
        topics=p.topics.split(),
    )


def settings(link_type: str = "dedupe_only") -> Any:
    """The Splink model: comparisons per field and the blocking rules of predictions."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    alias = (
        "list_contains(aliases_l, name_r) OR list_contains(aliases_r, name_l) "
        "OR len(list_intersect(aliases_l, aliases_r)) > 0"
    )
    # shared words over all words: sorted names that start alike ("guzman joaquin loera",
    # "guzman ochoa ulises") are close by Jaro-Winkler and still other people
    words = (
        "len(list_intersect(str_split(name_l, ' '), str_split(name_r, ' '))) * 3 >= "
        "2 * len(list_distinct(list_concat(str_split(name_l, ' '), str_split(name_r, ' '))))"
    )
    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        comparisons=[
            cl.CustomComparison(
                output_column_name="name",
                comparison_levels=[
                    cll.NullLevel("name"),
                    # "Wang Wei" agreeing says less than "Abundio Ledezma Rios": the weight
                    # of an exact name follows how often the name occurs
                    cll.ExactMatchLevel("name").configure(tf_adjustment_column="name"),
                    cll.CustomLevel(alias, label_for_charts="a name is the other's alias"),
                    cll.DamerauLevenshteinLevel("name", 2),  # a letter or two apart
                    cll.CustomLevel(words, label_for_charts="most words agree"),
                    cll.JaroWinklerLevel("name", 0.92),
                    cll.ElseLevel(),
                ],
            ),
            cl.CustomComparison(
                output_column_name="dob",
                comparison_levels=[
                    cll.NullLevel("dob"),
                    cll.ExactMatchLevel("dob"),
                    cll.ExactMatchLevel("dob_year"),
                    cll.ElseLevel(),
                ],
            ),
            cl.ExactMatch("schema"),
            cl.ArrayIntersectAtSizes("countries", [1]),
            cl.ArrayIntersectAtSizes("ids", [1]),
            cl.ArrayIntersectAtSizes("contacts", [1]),
            cl.ArrayIntersectAtSizes("linked", [1]),
            cl.ArrayIntersectAtSizes("topics", [1]),  # on the same list or programme
        ],
        # pairs compared: ~17 million of the 5e11 among a million generated parties
        # (bench/entities_scale.py); each rule catches what the others miss
        blocking_rules_to_generate_predictions=[
            block_on("name"),  # written alike, in any word order
            block_on("sounds"),  # spelt otherwise, sounding alike
            block_on("first", "dob_year"),  # a surname mistyped or changed
            block_on("substr(name, 1, 6)", "dob_year"),  # a first name shortened
            block_on("tokens", "dob", arrays_to_explode=["tokens"]),  # a word in common
            block_on("ids", arrays_to_explode=["ids"]),
            block_on("contacts", arrays_to_explode=["contacts"]),
        ],
        retain_intermediate_calculation_columns=True,
    )


@dataclass
class Link:
    """One predicted pair, with what agreed."""

    left: str
    right: str
    probability: float
    weight: float
    agreed: list[str]


FIELDS = ("name", "dob", "schema", "countries", "ids", "contacts", "linked", "topics")


def _arrow(records: list[Record]) -> Any:
    import pyarrow as pa

    schema = pa.schema(
        [
            ("unique_id", pa.string()), ("source_dataset", pa.string()), ("name", pa.string()),
            ("first", pa.string()), ("sounds", pa.string()), ("tokens", pa.list_(pa.string())),
            ("aliases", pa.list_(pa.string())), ("dob", pa.string()),
            ("dob_year", pa.string()), ("schema", pa.string()),
            ("countries", pa.list_(pa.string())), ("ids", pa.list_(pa.string())),
            ("contacts", pa.list_(pa.string())), ("linked", pa.list_(pa.string())),
            ("topics", pa.list_(pa.string())),
        ]
    )  # fmt: skip
    return pa.Table.from_pylist(records, schema=schema)


def _linker(tables: Sequence[list[Record]], model: Any) -> tuple[Any, Any]:
    """A DuckDB connection holding ``tables`` and a Splink linker over them."""
    import duckdb
    from splink import DuckDBAPI, Linker

    # Splink warns when the data holds no pair at some comparison level ("not observed in
    # dataset") or none for an EM sample: expected of these records, and not something a
    # user of `demo load` or `entities resolve` can act on
    logging.getLogger("splink").setLevel(logging.ERROR)
    con = duckdb.connect()
    db = DuckDBAPI(con)
    frames = []
    for i, records in enumerate(tables):
        con.register(f"wf_in_{i}", _arrow(records))
        frames.append(db.register(f"wf_in_{i}", table_name=f"wf_{i}"))
    return con, Linker(frames, model, log_level=logging.ERROR)


LABELS_NEEDED = 50  # confirmed pairs before they count as a training session of their own


def link(
    tables: Sequence[list[Record]],
    *,
    threshold: float = 0.9,
    seed: int = 1,
    labels: Sequence[tuple[str, str]] = (),
) -> tuple[list[Link], dict[str, Any]]:
    """Train on ``tables`` (one: deduplicate it; two: link them) and predict pairs at or
    above ``threshold`` match probability. Returns the pairs and the trained model (JSON).

    ``labels`` are pairs of record ids that analysts confirmed as one: with enough of them
    they estimate the m probabilities too, beside EM (Splink averages the sessions)."""
    from splink import block_on

    con, linker = _linker(tables, settings("link_only" if len(tables) > 1 else "dedupe_only"))
    # The prior: pairs that agree on name and birth date, or on name and countries, are
    # nearly all true matches; where the data holds none the settings' default stays.
    deterministic = [c for c in (("name", "dob"), ("name", "countries")) if _pairs(con, c)]
    if deterministic:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*c) for c in deterministic], recall=0.7
        )
    # u from random pairs: fifty per record, between 200,000 and 2 million (on 9,000 demo
    # parties 2 million took 15 s of the run's 18, for no better estimate)
    n = sum(len(t) for t in tables)
    u_pairs = max(2e5, min(2e6, 50.0 * n))
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    # m by EM, twice: blocked on the name (estimates every other field), then on another
    # field that this data fills (estimates the name)
    em = {"max_pairs": 2e6}  # a sample is enough for m, and bounds the time at scale
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"), **em)
    for other in (("dob",), ("first", "countries"), ("first",)):
        if _pairs(con, other) >= 100:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*other), **em
            )
            break
    if len(labels) >= LABELS_NEEDED:
        import pyarrow as pa

        dataset = tables[0][0]["source_dataset"]
        con.register("wf_labels", pa.Table.from_pylist([
            {"source_dataset_l": dataset, "unique_id_l": a,
             "source_dataset_r": dataset, "unique_id_r": b}
            for a, b in labels
        ]))  # fmt: skip
        linker.training.estimate_m_from_pairwise_labels("wf_labels")
    links = _links(con, linker.inference.predict(threshold_match_probability=threshold))
    model = linker.misc.save_model_to_json()
    con.close()
    return links, model


def _pairs(con: Any, columns: Sequence[str], cap: int = 10_000_000) -> int:
    """How many pairs of the input records agree on ``columns`` (all of them filled), up to
    ``cap``: whether a blocking rule gives the training anything to learn from."""
    inputs = [t[0] for t in con.execute("SHOW TABLES").fetchall() if t[0].startswith("wf_in_")]
    union = " UNION ALL ".join(f"SELECT {', '.join(columns)} FROM {t}" for t in inputs)
    filled = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    sql = (
        f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM ({union}) "  # noqa: S608
        f"WHERE {filled} GROUP BY {', '.join(columns)} HAVING count(*) > 1 LIMIT {cap})"
    )
    return int(con.execute(sql).fetchall()[0][0])


def predict_with(
    model: dict[str, Any], tables: Sequence[list[Record]], *, threshold: float
) -> list[Link]:
    """Pairs among ``tables`` (one: within it; two: across them) scored with a trained model
    (from :func:`link`), without training again."""
    if any(not t for t in tables) or (len(tables) == 1 and len(tables[0]) < 2):
        return []
    trained = {**model, "link_type": "link_only" if len(tables) > 1 else "dedupe_only"}
    con, linker = _linker(tables, trained)
    links = _links(con, linker.inference.predict(threshold_match_probability=threshold))
    con.close()
    return links


def _links(con: Any, predicted: Any) -> list[Link]:
    gammas = ", ".join(f"gamma_{f}" for f in FIELDS)
    rows = con.execute(
        f"SELECT unique_id_l, unique_id_r, match_probability, match_weight, {gammas} "  # noqa: S608
        f"FROM {predicted.physical_name}"
    ).fetchall()
    return [
        Link(r[0], r[1], float(r[2]), float(r[3]),
             [f for f, g in zip(FIELDS, r[4:], strict=True) if g is not None and g > 0])
        for r in rows
    ]  # fmt: skip


def best_links(links: Iterable[Link]) -> list[Link]:
    """Keep a pair only when each side is the other's most probable partner: between two
    snapshots of one list a record has at most one counterpart."""
    best_l: dict[str, Link] = {}
    best_r: dict[str, Link] = {}
    for lk in links:
        if lk.left not in best_l or lk.probability > best_l[lk.left].probability:
            best_l[lk.left] = lk
        if lk.right not in best_r or lk.probability > best_r[lk.right].probability:
            best_r[lk.right] = lk
    return [lk for lk in best_l.values() if best_r[lk.right] is lk]


def model_json(model: dict[str, Any]) -> str:
    return json.dumps(model, sort_keys=True)
