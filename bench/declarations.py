"""Shipment risk on one-item declarations an officer meets: does every risky item reach its
office's alert threshold, and how many benign look-alikes do?

Usage: python bench/declarations.py [--baseline REV] [--no-baseline] [--json]

The set is tests/fixtures/declarations/declarations.csv (written and committed before any
weight of the rules was changed for it, and never used to choose one): drugs named outright,
fentanyl analogues and nitazenes that no catalogue lists, synthetic cannabinoids, cathinones,
designer benzodiazepines, adulterants, counterfeit-pill street names, tablet presses and dies,
vague descriptions under single-substance HS subheadings, CAS numbers alone, misspellings and
named precursors; and benign look-alikes (food, films and posters, fragrance chemicals, lab
glassware, supplements, toys, lawful chemicals and medicines, machines, cosmetics).

Each row becomes a one-item shipment to the row's office, scored by the real intake in a
scratch SQLite database holding the whole demo (offices and their thresholds, seizures, earlier
traffic, the learnt model). The baseline is the same measurement made by the rules of another
revision (by default the one that added the set), checked out with `git worktree` and run in
the same invocation.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from _common import ROOT, baseline_of, demo_engine

SET = ROOT / "tests" / "fixtures" / "declarations" / "declarations.csv"
AGENCY = {"US": "US-CBP", "MX": "MX-ANAM", "CA": "CA-CBSA"}
GOAL_RISKY, GOAL_BENIGN = 1.0, 0.02


def read_set(path: Path = SET) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def shipment(row: dict[str, str], office_country: str, now: dt.datetime) -> dict[str, Any]:
    def number(field: str) -> float | None:
        return float(row[field]) if row[field] else None

    ref = f"DECL-{row['id']}"
    return {
        "reference": ref,
        "mode": row["mode"],
        "declared_at": now.isoformat(),
        "origin_country": row["origin"],
        "destination_country": office_country,
        "office": row["office"],
        "sender": {"name": f"Sender of {ref}", "country": row["origin"]},
        "consignee": {"name": f"Consignee of {ref}", "country": office_country},
        "declared_value": number("value"),
        "currency": "USD",
        "gross_weight_kg": number("net_weight_kg"),
        "items": [
            {
                "description": row["description"],
                "hs_code": row["hs_code"] or None,
                "quantity": number("quantity"),
                "unit": row["unit"] or None,
                "value": number("value"),
                "net_weight_kg": number("net_weight_kg"),
            }
        ],
    }


def measure(path: Path) -> list[dict[str, Any]]:
    """Score every row of the set with this checkout's rules; one result per row."""
    from sqlalchemy import select

    from watchfloor.db import session_scope
    from watchfloor.security import Office
    from watchfloor.security.service import get_agency, system_principal
    from watchfloor.shipments import intake
    from watchfloor.shipments.models import Shipment

    rows = read_set(path)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with demo_engine("watchfloor-decl-") as engine:
        with session_scope(engine) as s:
            offices = {o.code: o for o in s.scalars(select(Office))}
            by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                country = offices[row["office"]].country
                by_agency[AGENCY[country]].append(shipment(row, country, now))
            for code, records in by_agency.items():
                result = intake.submit(
                    s, system_principal(get_agency(s, code)), records, source="bench"
                )
                bad = [r for r in result.results if r.status not in ("created", "updated")]
                if bad:
                    raise SystemExit(f"{code}: rows refused: {bad[:3]}")
        with session_scope(engine) as s:
            stored = {
                sh.reference: sh
                for sh in s.scalars(select(Shipment).where(Shipment.reference.like("DECL-%")))
            }
            out = []
            for row in rows:
                sh = stored[f"DECL-{row['id']}"]
                threshold = offices[row["office"]].alert_threshold
                reasons = json.loads(sh.reasons or "[]")
                out.append(
                    {
                        "id": row["id"],
                        "label": row["label"],
                        "kind": row["kind"],
                        "description": row["description"],
                        "score": sh.score,
                        "threshold": threshold,
                        "alert": sh.score >= threshold,
                        "reasons": [r.get("text", "") for r in reasons][:3],
                    }
                )
    return out


def summary(results: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """(alerts, rows) by kind, and for all risky and all benign rows."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in results:
        for key in (f"{r['label']}:{r['kind']}", r["label"]):
            counts[key][0] += r["alert"]
            counts[key][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def report(now: list[dict[str, Any]], base: list[dict[str, Any]] | None, rev: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    ours, theirs = summary(now), summary(base) if base else {}
    table = Table(title="Rows reaching their office's alert threshold")
    table.add_column("rows")
    table.add_column("this checkout", justify="right")
    table.add_column(f"baseline {rev[:8]}" if base else "baseline", justify="right")
    for key in sorted(ours, key=lambda k: (k.split(":")[0] != "risky", ":" not in k, k)):
        hit, n = ours[key]
        b = theirs.get(key)
        table.add_row(
            key, f"{hit}/{n} ({hit / n:.0%})", f"{b[0]}/{b[1]} ({b[0] / b[1]:.0%})" if b else "-"
        )
    console.print(table)
    risky_hit, risky_n = ours["risky"]
    benign_hit, benign_n = ours["benign"]
    console.print(
        f"risky reaching the threshold: {risky_hit / risky_n:.1%} (goal {GOAL_RISKY:.0%}); "
        f"benign reaching it: {benign_hit / benign_n:.1%} (goal at most {GOAL_BENIGN:.0%})"
    )
    misses = [r for r in now if (r["label"] == "risky") != r["alert"]]
    if misses:
        console.print(f"\n{len(misses)} rows on the wrong side of the threshold:")
        for r in misses:
            console.print(
                f"  {r['id']} {r['label']:6} {r['score']:3}/{r['threshold']} {r['description']!r}"
                + (f" -- {r['reasons'][0]}" if r["reasons"] else "")
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--baseline", help="revision whose rules are the baseline")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the per-row results as JSON")
    args = ap.parse_args()
    results = measure(SET)
    if args.json:
        print(json.dumps(results))
        return
    rev, base = baseline_of(args, SET, __file__)
    if not args.no_baseline and not rev:
        print("no baseline: the set is not committed in a git checkout here")
    report(results, base, rev)


if __name__ == "__main__":
    main()
