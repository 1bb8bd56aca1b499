"""Shipments risk quality: precision and recall of the top 1 % (an office's capacity) on a
generator seed never used in development, for the full score, for each rule alone, for the
learnt model alone, and for a baseline of plain keyword matching.

Usage: python bench/shipments_quality.py [--n 100000] [--train 50000] [--capacity 0.01]

1. The destination agency's earlier seizures (with their parties) are loaded, as in life.
2. Training: shipments of seed 8888 are imported; each day the best-scored 1 % plus 1 % at
   random are "inspected" and their outcome is the generator's ground truth; the model is
   trained on those outcomes (`watchfloor shipments train`).
3. Evaluation: shipments of seed 31337 are imported and scored (rules and model); the ground
   truth, kept apart by the generator, is only read here, to count.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
from pathlib import Path

import orjson
from _common import scratch_database
from rich.console import Console
from rich.table import Table
from shipments_intake import OFFICES, prepare
from sqlalchemy import select

from watchfloor.cooperation.seizures.schemas import SeizureIn
from watchfloor.cooperation.seizures.service import create_seizure
from watchfloor.db import build_engine, session_scope
from watchfloor.reference.matcher import shipped_facts
from watchfloor.security.service import get_agency, system_principal
from watchfloor.shipments.files import import_file
from watchfloor.shipments.generator import ShipmentGenerator, Truth
from watchfloor.shipments.models import Shipment, ShipmentItem
from watchfloor.shipments.schemas import OutcomeIn
from watchfloor.shipments.service import record_outcome, train_model

console = Console()
TRAIN_SEED, EVAL_SEED = 8888, 31337
RULES = ("substance", "hs_code", "parties", "route", "anomaly", "model")


def write(gen: ShipmentGenerator, n: int, path: Path) -> dict[str, Truth]:
    truth = {}
    with open(path, "wb") as fh:
        for i in range(n):
            record, t = gen.make(i)
            fh.write(orjson.dumps(record) + b"\n")
            truth[t.reference] = t
    return truth


def gen(seed: int) -> ShipmentGenerator:
    return ShipmentGenerator(
        seed, destination="US", agency="US-CBP", offices=OFFICES, days=30, prefix=f"Q{seed}"
    )


def simulate_inspections(url: str, truth: dict[str, Truth], share: float) -> int:
    """Best-scored ``share`` of each day plus as many at random; outcomes from the truth."""
    engine = build_engine(url)
    rng = random.Random(5)
    with session_scope(engine) as s:
        principal = system_principal(get_agency(s, "US-CBP"))
        rows = s.execute(
            select(Shipment.id, Shipment.reference, Shipment.arrival_on, Shipment.score)
        ).all()
    by_day: dict = {}
    for row in rows:
        by_day.setdefault(row.arrival_on, []).append(row)
    chosen = []
    for day_rows in by_day.values():
        k = max(1, int(len(day_rows) * share))
        ranked = sorted(day_rows, key=lambda r: (-r.score, r.id))
        chosen += ranked[:k] + rng.sample(ranked[k:], min(k, len(ranked) - k))
    with session_scope(engine) as s:
        for row in chosen:
            t = truth[row.reference]
            outcome = (
                OutcomeIn(result="seized", substance="fentanyl", quantity=0.1, unit="kg")
                if t.risky
                else OutcomeIn(result="clean")
            )
            record_outcome(s, principal, row.id, outcome)
        version = train_model(s, principal).version
    engine.dispose()
    console.print(f"trained {version} on {len(chosen):,} simulated inspections")
    return len(chosen)


def keyword_baseline(url: str) -> dict[int, float]:
    """1 when an item description contains a catalogue substance name (any case), else 0."""
    names = sorted({s.name.lower() for s in shipped_facts() if len(s.name) >= 5}, key=len)
    pattern = re.compile("|".join(re.escape(n) for n in names))
    engine = build_engine(url)
    flagged: dict[int, float] = {}
    with session_scope(engine) as s:
        for sid, text in s.execute(select(ShipmentItem.shipment_id, ShipmentItem.description)):
            if pattern.search(text.lower()):
                flagged[sid] = 1.0
    engine.dispose()
    return flagged


def top_metrics(
    ranking: dict[int, float], ids: list[int], risky: set[int], k: int
) -> tuple[float, float, int]:
    order = sorted(ids, key=lambda i: (-ranking.get(i, 0.0), i))[:k]
    hits = sum(1 for i in order if i in risky)
    return hits / k, hits / len(risky), sum(1 for i in ids if ranking.get(i, 0.0) > 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--train", type=int, default=50_000)
    ap.add_argument("--capacity", type=float, default=0.01)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    train_gen, eval_gen = gen(TRAIN_SEED), gen(EVAL_SEED)
    train_truth = write(train_gen, args.train, work / "train.jsonl")
    eval_truth = write(eval_gen, args.n, work / "eval.jsonl")
    with scratch_database(None) as url:
        prepare(url, TRAIN_SEED)
        engine = build_engine(url)
        with session_scope(engine) as s:
            principal = system_principal(get_agency(s, "US-CBP"))
            for data in eval_gen.seizures(60):  # the agency's history, not the shipments' truth
                create_seizure(s, principal, SeizureIn(**data))
        import_file(engine, principal, work / "train.jsonl")
        simulate_inspections(url, train_truth, args.capacity)
        report = import_file(engine, principal, work / "eval.jsonl")
        with session_scope(engine) as s:
            rows = s.execute(
                select(
                    Shipment.id,
                    Shipment.reference,
                    Shipment.score,
                    Shipment.probability,
                    Shipment.reasons,
                ).where(Shipment.reference.like(f"Q{EVAL_SEED}-%"))
            ).all()
        engine.dispose()
        keywords = keyword_baseline(url)
    ids = [r.id for r in rows]
    risky = {r.id for r in rows if eval_truth[r.reference].risky}
    k = max(1, int(len(ids) * args.capacity))
    rankings: dict[str, dict[int, float]] = {"full score": {r.id: r.score for r in rows}}
    for rule in RULES:
        rankings[f"{rule} alone"] = {
            r.id: sum(x["points"] for x in json.loads(r.reasons) if x["rule"] == rule) for r in rows
        }
    rankings["model probability alone"] = {r.id: r.probability or 0.0 for r in rows}
    rankings["baseline: keyword match"] = {i: keywords.get(i, 0.0) for i in ids}
    table = Table(
        title=f"Top {args.capacity:.0%} ({k:,} of {len(ids):,}) on seed {EVAL_SEED}: "
        f"{len(risky)} planted risky shipments; scored at {report.records / report.seconds:,.0f}/s"
    )
    for col in ("ranking", "precision", "recall", "shipments flagged"):
        table.add_column(col, justify="left" if col == "ranking" else "right")
    for name, ranking in rankings.items():
        precision, recall, flagged = top_metrics(ranking, ids, risky, k)
        table.add_row(name, f"{precision:.3f}", f"{recall:.3f}", f"{flagged:,}")
    console.print(table)
    kinds: dict[str, list[int]] = {}
    order = set(sorted(ids, key=lambda i: (-rankings["full score"][i], i))[:k])
    for r in rows:
        t = eval_truth[r.reference]
        if t.risky:
            kinds.setdefault(t.kind, [0, 0])
            kinds[t.kind][0] += 1
            kinds[t.kind][1] += r.id in order
    recall_by_kind = Table(title="Recall of the full score by planted kind")
    for col in ("kind", "planted", "in the top 1 %"):
        recall_by_kind.add_column(col, justify="left" if col == "kind" else "right")
    for kind, (planted, found) in sorted(kinds.items()):
        recall_by_kind.add_row(kind, str(planted), str(found))
    console.print(recall_by_kind)
    false = [r for r in rows if r.id in order and not eval_truth[r.reference].risky]
    why: dict[str, int] = {}
    for r in false:
        top = json.loads(r.reasons)
        key = top[0]["rule"] if top else "none"
        why[key] = why.get(key, 0) + 1
    console.print(f"false positives in the top 1 % by their strongest rule: {why}")
    for r in false[:8]:
        console.print(f"  {r.score:3d} {json.loads(r.reasons)[0]['text'][:150]}", highlight=False)


if __name__ == "__main__":
    main()
