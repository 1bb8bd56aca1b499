"""Screening quality on name pairs: is the same company or person written differently a match,
and are two companies that share only legal forms and generic words, or two persons who share
some names, kept apart?

Usage: python bench/screening_pairs.py [--set first|holdout] [--baseline REV] [--no-baseline]
                                      [--json]

Two sets, in tests/fixtures/screening/ (Latin, Cyrillic, Chinese and Arabic scripts; see
SOURCE.md there): ``first`` (name_pairs.csv), written before name matching was changed for
it, and ``holdout`` (name_pairs_holdout.csv), written later, before the next change, so that
a change shaped by what the first set showed is judged on pairs it has not seen. Each pair is
scored as /api/v1/entities/match scores a candidate (``entities.matching.compare``, name
alone) and called a match at the configuration's threshold. Prints precision and recall by
kind and script, beside the same measurement made with the matching code of another revision
(by default the one that added the set), run from a git worktree in the same invocation.
Goal: precision and recall at least 0.95.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from _common import ROOT, baseline_of

SETS = {
    "first": ROOT / "tests" / "fixtures" / "screening" / "name_pairs.csv",
    "holdout": ROOT / "tests" / "fixtures" / "screening" / "name_pairs_holdout.csv",
}


def measure(path: Path) -> list[dict[str, Any]]:
    from watchfloor.entities.matching import Candidate, Query, compare, config

    cfg = config()
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for i, r in enumerate(rows):
        m = compare(Query(name=r["a"]), Candidate(id=i, names=(r["b"],)), cfg)
        out.append({**r, "score": round(m.score, 4), "match": m.score >= cfg.threshold})
    return out


def figures(results: list[dict[str, Any]]) -> dict[str, tuple[float, float, int]]:
    """(precision, recall, pairs) overall, by kind and by script."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        for key in ("all", f"kind: {r['kind']}", f"script: {r['script']}"):
            groups[key].append(r)
    out = {}
    for key, rows in groups.items():
        tp = sum(r["match"] and r["label"] == "same" for r in rows)
        fp = sum(r["match"] and r["label"] != "same" for r in rows)
        fn = sum(not r["match"] and r["label"] == "same" for r in rows)
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        out[key] = (precision, recall, len(rows))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--set", choices=sorted(SETS), default="first")
    ap.add_argument("--baseline")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = measure(SETS[args.set])
    if args.json:
        print(json.dumps(results))
        return
    from rich.console import Console
    from rich.table import Table

    rev, got = baseline_of(args, SETS[args.set], __file__, "--set", args.set)
    base = figures(got) if got is not None else None
    ours = figures(results)
    table = Table(title=f"Name pairs ({args.set} set) called a match at the threshold")
    for col in (
        "pairs",
        "precision",
        "recall",
        f"baseline {rev[:8]} P / R" if base else "baseline",
    ):
        table.add_column(col, justify="right")
    table.add_column("", justify="left")
    for key in sorted(ours, key=lambda k: (k != "all", k)):
        p, r, n = ours[key]
        b = base.get(key) if base else None
        table.add_row(str(n), f"{p:.3f}", f"{r:.3f}", f"{b[0]:.3f} / {b[1]:.3f}" if b else "-", key)
    console = Console()
    console.print(table)
    wrong = [r for r in results if r["match"] != (r["label"] == "same")]
    console.print(f"{len(wrong)} pairs on the wrong side:")
    for r in wrong:
        console.print(f"  {r['id']} {r['label']:9} {r['score']:.2f} {r['a']!r} ~ {r['b']!r}")


if __name__ == "__main__":
    main()
