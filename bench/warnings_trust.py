"""Early warnings an analyst can act on: warnings by kind, non-substances, contradicted first
sightings and duplicates, on the demo (NFLIS, CDC and Agora statistics, CBP and UNODC seizure
figures, the demo's seizures), beside the code of another revision in the same run.

Usage: python bench/warnings_trust.py [--baseline REV] [--no-baseline] [--sample 100]

For each revision, a scratch SQLite database is loaded with the whole demo (which scans the
last periods of each source for US-CBP and US-DEA), then US-CBP and MX-ANAM scan the whole
history of everything they may read. Counted over every stored warning:
- by kind;
- possible new substances whose name is not a substance by this checkout's standard
  (``reference.chemical_name``), whatever the revision that raised them;
- first sightings contradicted by a report the owner may read: an observation or a seizure
  statistic of the same place (or country) and substance in an earlier period;
- warnings stored more than once (same owner, kind, series and period).
A sample of ``--sample`` warnings of this checkout, drawn with a fixed seed, is written to
var/bench/warnings-sample.csv for a reader to judge (the closing note says what was read).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import Counter
from typing import Any

from _common import ROOT, demo_engine, json_at

OUT = ROOT / "var" / "bench" / "warnings-sample.csv"


def measure() -> dict[str, Any]:
    from sqlalchemy import select

    from watchfloor.db import session_scope
    from watchfloor.security.service import get_agency, system_principal
    from watchfloor.warning import service
    from watchfloor.warning.models import EarlyWarning

    with demo_engine("watchfloor-warn-") as engine:
        for code in ("US-CBP", "MX-ANAM"):
            with session_scope(engine) as s:
                service.scan(s, system_principal(get_agency(s, code)), recent=None)
        with session_scope(engine) as s:
            warnings = list(s.scalars(select(EarlyWarning)))
            owners = {w.owner_agency_id: w.owner for w in warnings}
            reports = {i: _first_reports(s, system_principal(a)) for i, a in owners.items()}
            rows = [
                {
                    "id": w.id,
                    "owner": w.owner.code,
                    "kind": w.kind,
                    "source": w.source,
                    "substance": w.substance,
                    "label": w.substance_label,
                    "place": w.place,
                    "country": w.country,
                    "series": w.series,
                    "period_start": w.period_start.isoformat(),
                    "summary": w.summary,
                    "earlier": _contradicted(w, reports[w.owner_agency_id]),
                }
                for w in warnings
            ]
    return {"rows": rows}


def _first_reports(session: Any, principal: Any) -> dict[tuple[str, str], Any]:
    """(place, substance) -> the earliest period with a report the principal may read, from
    imported statistics (by place, and by country) and from seizure records (by country);
    ("*", substance) -> the earliest anywhere. Written here, apart from the product's code."""
    from sqlalchemy import select

    from watchfloor.cooperation.seizures import Seizure
    from watchfloor.sharing import visible
    from watchfloor.warning.models import Observation
    from watchfloor.warning.substances import identify

    first: dict[tuple[str, str], Any] = {}

    def seen(place: str | None, substance: str, start: Any) -> None:
        for key in ((place, substance), ("*", substance)):
            if key[0] and (key not in first or start < first[key]):
                first[key] = start  # type: ignore[index]

    o = Observation
    for place, country, substance, start in session.execute(
        select(o.place, o.country, o.substance, o.period_start).where(
            visible(principal, o), o.value > 0
        )
    ):
        seen(place, substance, start)
        seen(country, substance, start)
    for country, key, text, day in session.execute(
        select(Seizure.country, Seizure.substance_key, Seizure.substance_text, Seizure.seized_on)
        .where(visible(principal, Seizure))
    ):  # fmt: skip
        found, label = identify(text)
        seen(country, key or found or label, day)
    return first


def _contradicted(w: Any, first: dict[tuple[str, str], Any]) -> bool:
    if w.kind == "first_sighting":
        start = first.get(("*", w.substance))
    elif w.kind == "first_in_place":
        start = first.get((w.place, w.substance))
    else:
        return False
    return start is not None and start < w.period_start


def judge(rows: list[dict[str, Any]]) -> dict[str, int]:
    from watchfloor.reference import chemical_name

    kinds = Counter(r["kind"] for r in rows)
    keys = Counter((r["owner"], r["kind"], r["series"], r["period_start"]) for r in rows)
    out = {f"kind: {k}": n for k, n in sorted(kinds.items())}
    out["all warnings"] = len(rows)
    out["possible NPS that are not a substance name"] = sum(
        1 for r in rows if r["kind"] == "possible_nps" and not chemical_name(r["label"])
    )
    out["first sightings contradicted by an earlier report"] = sum(
        1 for r in rows if r["kind"] in ("first_in_place", "first_sighting") and r["earlier"]
    )
    out["warnings stored more than once"] = sum(n - 1 for n in keys.values() if n > 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--baseline", default="65f3d52")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--seed", type=int, default=26, help="of the sample drawn for reading")
    args = ap.parse_args()
    got = measure()
    if args.json:
        print(json.dumps(got))
        return
    from rich.console import Console
    from rich.table import Table

    base = None
    if not args.no_baseline:
        base = judge(json_at(args.baseline, __file__, "--json", "--no-baseline")["rows"])
    ours = judge(got["rows"])
    table = Table(title="Early warnings on the demo, whole history scanned")
    table.add_column("")
    table.add_column("this checkout", justify="right")
    table.add_column(f"baseline {args.baseline[:8]}" if base else "baseline", justify="right")
    for key in ours.keys() | (base or {}).keys():
        table.add_row(key, str(ours.get(key, 0)), str(base.get(key, 0)) if base else "-")
    Console().print(table)
    sample = random.Random(args.seed).sample(got["rows"], min(args.sample, len(got["rows"])))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, ["id", "owner", "kind", "period_start", "summary"],
                           extrasaction="ignore")  # fmt: skip
        w.writeheader()
        w.writerows(sorted(sample, key=lambda r: r["id"]))
    print(f"{len(sample)} warnings drawn for reading: {OUT}")


if __name__ == "__main__":
    main()
