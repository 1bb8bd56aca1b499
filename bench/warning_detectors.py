"""Early warning on the CBP and NFLIS statistics: speed, NFLIS backtest, CBP false alarms.

    .venv/bin/python bench/warning_detectors.py

1. Speed: every detector (EARS C1/C2/C3, Poisson and negative-binomial CUSUM, Farrington
   flexible) over every CBP series (drug type x area of responsibility x month, events, both
   the nationwide and the Air and Marine files) and every NFLIS series (substance x state x
   half-year, reports), beside the time to load the same files: DuckDB's read_csv (the floor)
   and Watchfloor's importer (sources.toml). Goal: all algorithms in under 10 s.
2. NFLIS backtest: for every (substance, state) first report after the first half-year of
   the data, whether the substance was already known on the instance (its instance-wide
   first sighting fired earlier, and how many half-years earlier), or this report is the
   instance-wide first sighting; and whether and when (0, 1, 2 half-years later, never)
   each spike detector fired in that state's series.
3. CBP false alarms per series-year, FY2019-FY2024 (April 2019 - September 2024), for each
   algorithm. An alarm is judged TRUE when the month's count is at least twice the median
   of the twelve months before it and at least 5 events above that median (a doubling of a
   size that matters to an office); any other alarm is FALSE. Series-years are the
   months each algorithm could judge, over 12.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "cbp-seizures"
CBP = {
    "cbp-nationwide": [
        "cbp/nationwide-drugs-fy19-fy22.csv",
        "cbp/nationwide-drugs-fy23-fy26-dec.csv",
    ],
    "cbp-amo": ["cbp/amo-drug-seizures-fy19-fy22.csv", "cbp/amo-drug-seizures-fy23-fy26-dec.csv"],
}
NFLIS = "nflis/NFLIS_Drug_DQS_2026_03_03_13_26_55.csv"


def main() -> None:
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (the shared data sets are not in a user's clone)")
        return
    sys.path.insert(0, str(ROOT / "src"))
    import duckdb

    from watchfloor.warning import importers
    from watchfloor.warning.detectors import cusum, ears
    from watchfloor.warning.farrington import farrington_flexible
    from watchfloor.warning.series import SeriesSet, from_cells
    from watchfloor.warning.substances import identify

    files = [DATA / f for fs in CBP.values() for f in fs] + [DATA / NFLIS]
    t0 = time.perf_counter()
    con = duckdb.connect()
    rows = sum(
        con.execute(f"select count(*) from read_csv('{f}', all_varchar=true)").fetchone()[0]  # type: ignore[index]
        for f in files
    )
    duck = time.perf_counter() - t0

    t0 = time.perf_counter()
    cells: dict[str, list[tuple[str, str, str, str, dt.date, float]]] = defaultdict(list)
    for key, names in [*CBP.items(), ("nflis-drug", [NFLIS])]:
        ds = importers.dataset(key)
        for name in names:
            parsed = importers.parse(ds, DATA / name)
            target = "cbp" if key.startswith("cbp") else "nflis"
            want = "events" if target == "cbp" else "reports"
            for c, v in parsed.cells.items():
                if c.measure == want:
                    label = identify(c.substance_text)[1]
                    cells[target].append(
                        (c.measure, label, c.place_kind, c.place, c.period_start, v)
                    )
    cbp = from_cells("cbp", "month", cells["cbp"])[0]
    nflis = from_cells("nflis", "half", cells["nflis"])[0]
    load = time.perf_counter() - t0
    print(f"load: {rows:,} rows in {len(files)} files; DuckDB read_csv {duck:.2f} s, "
          f"Watchfloor importer + series {load:.2f} s")  # fmt: skip
    print(f"series: CBP {len(cbp.keys):,} x {len(cbp.starts)} months "
          f"({cbp.starts[0]} - {cbp.starts[-1]}), NFLIS {len(nflis.keys):,} x "
          f"{len(nflis.starts)} half-years ({nflis.starts[0]} - {nflis.starts[-1]})")  # fmt: skip

    def runs(s: SeriesSet) -> dict[str, object]:
        short = {"baseline": 4, "guard": 1} if s.period == "half" else {}
        return {
            "ears_c1": lambda: ears(s.values, method="C1"),
            "ears_c2": lambda: ears(s.values, method="C2"),
            "ears_c3": lambda: ears(s.values, method="C3"),
            "cusum_poisson": lambda: cusum(s.values, **short),
            "cusum_negbin": lambda: cusum(s.values, family="negbin", **short),
            "farrington (b=5)": lambda: farrington_flexible(s.values, freq=s.freq),
            "farrington (b=3)": lambda: farrington_flexible(s.values, freq=s.freq, b=3),
        }

    results: dict[str, dict[str, object]] = {"cbp": {}, "nflis": {}}
    t0 = time.perf_counter()
    for name, s in (("cbp", cbp), ("nflis", nflis)):
        for algo, run in runs(s).items():
            results[name][algo] = run()  # type: ignore[operator]
    spent = time.perf_counter() - t0
    n_series = len(cbp.keys) + len(nflis.keys)
    print(f"\nspeed: 7 detector runs over {n_series:,} series in {spent:.2f} s "
          f"(goal < 10 s; load {load:.2f} s, DuckDB floor {duck:.2f} s)")  # fmt: skip

    # -- NFLIS backtest ---------------------------------------------------------------------
    first_any: dict[str, int] = {}
    firsts: list[tuple[int, int]] = []  # (row, first period) of each (substance, state)
    nz = nflis.values > 0
    for r, key in enumerate(nflis.keys):
        c = int(nz[r].argmax()) if nz[r].any() else -1
        if c < 0:
            continue
        first_any[key.substance] = min(first_any.get(key.substance, c), c)
        if c > 0 and key.place_kind == "state":
            firsts.append((r, c))
    known = [c - first_any[nflis.keys[r].substance] for r, c in firsts]
    print(f"\nNFLIS backtest: {len(firsts):,} first reports of a substance in a state after "
          f"2017 H1, {len({nflis.keys[r].substance for r, _ in firsts}):,} substances")  # fmt: skip
    ahead = [k for k in known if k > 0]
    print(f"  instance-wide first sighting: fired earlier for {len(ahead):,} "
          f"({len(ahead) / len(firsts):.1%}; median {np.median(ahead):.0f} half-years ahead), "
          f"this report was the instance-wide first for {len(known) - len(ahead):,}")  # fmt: skip
    print(f"  {'detector':20} {'lag 0':>7} {'<=1':>7} {'<=2':>7} {'never':>7} {'judged':>7}")
    for algo, d in results["nflis"].items():
        lags = []
        judged = 0
        for r, c in firsts:
            judged += bool(d.monitored[r, c])  # type: ignore[attr-defined]
            hit = np.nonzero(d.alarm[r, c:])[0]  # type: ignore[attr-defined]
            lags.append(int(hit[0]) if len(hit) else None)
        n = len(lags)
        share = [sum(1 for x in lags if x is not None and x <= k) / n for k in (0, 1, 2)]
        never = sum(1 for x in lags if x is None) / n
        print(f"  {algo:20} {share[0]:7.1%} {share[1]:7.1%} {share[2]:7.1%} {never:7.1%} "
              f"{judged / n:7.1%}")  # fmt: skip

    # -- CBP false alarms -------------------------------------------------------------------
    lo, hi = dt.date(2018, 10, 1), dt.date(2024, 9, 1)
    cols = [i for i, d in enumerate(cbp.starts) if lo <= d <= hi]
    y = cbp.values
    med = np.full(y.shape, np.nan)
    for t in range(12, y.shape[1]):
        med[:, t] = np.median(y[:, t - 12 : t], axis=1)
    true_spike = (y >= 2 * med) & (y >= med + 5)
    print(f"\nCBP FY2019-FY2024 ({cbp.starts[cols[0]]} - {cbp.starts[cols[-1]]}), "
          f"{len(cbp.keys):,} series; TRUE alarm = count >= 2 x median of the 12 months "
          f"before and >= median + 5")  # fmt: skip
    print(f"  {'detector':20} {'series-yrs':>10} {'alarms':>7} {'true':>6} {'false':>6} "
          f"{'false/series-yr':>16}")  # fmt: skip
    for algo, d in results["cbp"].items():
        mon = d.monitored[:, cols]  # type: ignore[attr-defined]
        al = d.alarm[:, cols]  # type: ignore[attr-defined]
        judged = mon & ~np.isnan(med[:, cols])
        years = judged.sum() / 12
        tp = int((al & true_spike[:, cols] & judged).sum())
        fp = int((al & judged).sum()) - tp
        rate = f"{fp / years:16.3f}" if years else f"{'not judged':>16}"
        print(f"  {algo:20} {years:10.0f} {int((al & judged).sum()):7,} {tp:6,} {fp:6,} {rate}")


if __name__ == "__main__":
    main()
