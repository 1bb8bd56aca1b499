"""Entity resolution quality on real data with real ground truth: the OFAC SDN list of
2021-08-18 linked to the one of 2024-05-03 without ent_num.

Usage: python bench/entities_resolution.py [--threshold 0.9]

Records with the same ent_num in the two snapshots are the same entity; different ent_nums
are different ones. Names, aliases, birth dates, documents and links are read from sdn.csv
and its Remarks (the history folder has no alt.csv or add.csv). The Splink model of
``watchfloor.entities.resolution`` is trained on the two files (EM, no labels) and each
record keeps its most probable counterpart (mutual best link). Pairwise precision, recall and
F1 are reported on all programmes and on the narcotics programmes alone (SDNT, SDNTK,
ILLICIT-DRUGS-EO14059 in either snapshot), beside an exact normalised-name baseline computed
in the same run. Goal: F1 >= 0.95 on both.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import ROOT
from rich.console import Console
from rich.table import Table

from watchfloor.entities.resolution import Link, best_links, link, record
from watchfloor.reference.sanctions import (
    NARCOTICS_PROGRAMS,
    _cell,
    _read,
    country_code,
    parse_remarks,
)

console = Console()
HISTORY = ROOT.parent / "shared" / "data" / "ofac-sdn" / "history"
SCHEMA = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft"}


def snapshot(path: Path, dataset: str) -> tuple[list[dict], dict[str, int], set[str]]:
    """Records, ent_num by record id, and the ids of narcotics-programme records."""
    records, ent, narcotics = [], {}, set()
    for row in _read(path):
        d = parse_remarks(_cell(row[11]))
        uid = f"{dataset}-{row[0]}"
        programs = {p.strip() for p in (row[3] or "").split("] [") if _cell(p)}
        records.append(
            record(
                uid, row[1], dataset=dataset, aliases=[n for _, n in d.aliases],
                dates_of_birth=d.dates_of_birth,
                schema=SCHEMA.get((_cell(row[2]) or "").lower(), "company"),
                countries=[c for c in d.nationalities if len(c) == 2]
                + [country_code(p.split(",")[-1]) for p in d.places_of_birth],
                identifiers=[i["value"] for i in d.identifiers],
                contacts=d.emails + d.websites, linked_to=d.linked_to,
                topics=[f"sanctions:{p}" for p in programs],
            )
        )  # fmt: skip
        ent[uid] = int(row[0])
        if programs & NARCOTICS_PROGRAMS:
            narcotics.add(uid)
    return records, ent, narcotics


def scores(pairs: list[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    found = set(pairs)
    tp = len(found & truth)
    p = tp / len(found) if found else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--old", default="sdn_2021-08-18.csv")
    ap.add_argument("--new", default="sdn_2024-05-03.csv")
    args = ap.parse_args()
    if not HISTORY.is_dir():
        console.print(f"skipped: {HISTORY} is absent (a clone without ../shared/data)")
        return
    old, ent_old, narc_old = snapshot(HISTORY / args.old, "old")
    new, ent_new, narc_new = snapshot(HISTORY / args.new, "new")
    by_ent = {e: uid for uid, e in ent_new.items()}
    truth = {(uid, by_ent[e]) for uid, e in ent_old.items() if e in by_ent}
    narcotics = narc_old | narc_new

    def narc(pairs: set[tuple[str, str]] | list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(a, b) for a, b in pairs if a in narcotics or b in narcotics]

    started = time.perf_counter()
    links, _ = link([old, new], threshold=args.threshold)
    seconds = time.perf_counter() - started
    chosen: list[Link] = best_links(links)
    model = [(lk.left, lk.right) if lk.left.startswith("old") else (lk.right, lk.left)
             for lk in chosen]  # fmt: skip
    started = time.perf_counter()
    by_name: dict[str, list[str]] = {}
    for r in new:
        by_name.setdefault(r["name"], []).append(r["unique_id"])
    exact = [(r["unique_id"], n) for r in old for n in by_name.get(r["name"], [])]
    exact_seconds = time.perf_counter() - started

    table = Table(
        title=f"{args.old} ({len(old):,}) linked to {args.new} ({len(new):,}); "
        f"{len(truth):,} true pairs ({len(narc(truth)):,} narcotics)"
    )
    for col in ("method", "programmes", "pairs", "precision", "recall", "F1", "seconds"):
        table.add_column(col, justify="right")
    for label, pairs, secs in (("Splink, EM-trained", model, seconds),
                               ("exact normalised name", exact, exact_seconds)):  # fmt: skip
        for scope, found, true in (
            ("all", pairs, truth),
            ("narcotics", narc(pairs), set(narc(truth))),
        ):  # noqa: E501
            p, r, f = scores(found, true)
            table.add_row(label, scope, f"{len(found):,}", f"{p:.4f}", f"{r:.4f}", f"{f:.4f}",
                          f"{secs:.1f}")  # fmt: skip
    console.print(table)
    console.print("goal: F1 >= 0.95 on all programmes and on the narcotics programmes alone")


if __name__ == "__main__":
    main()
