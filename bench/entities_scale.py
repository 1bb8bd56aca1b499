"""Entity resolution at scale: 1,000,000 generated party records deduplicated by the Splink
model of ``watchfloor.entities.resolution`` (DuckDB) on this machine.

Usage: python bench/entities_scale.py [--records 1000000] [--seed 11]

Names come from Faker's per-locale name lists (drawn by their frequencies: US, Mexican,
German, Chinese, Russian and Arabic names), each person written one to six times the way
records write them: as is, in the original script or transliterated, with a typing error,
surname first, the first name as an initial, without the middle name; birth dates whole,
by year only, mistyped or missing; phones, e-mails and passports present or not. The truth
(which records are one person) stays with the generator. Printed: the time to generate, the
time of training and prediction and of clustering, the peak memory of the process, and
pairwise precision, recall and F1 against the truth, beside the time DuckDB takes merely to
group the same records by exact name (the floor). Goal: resolved in under 5 minutes.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict

import duckdb
import numpy as np
from faker import Faker
from rich.console import Console
from rich.table import Table
from unidecode import unidecode

from watchfloor.entities.clusters import Edge, _cluster
from watchfloor.entities.resolution import _arrow, link, record

console = Console()
LOCALES = {  # locale: (share of people, country, phone prefix)
    "en_US": (0.35, "US", "+1"),
    "es_MX": (0.25, "MX", "+52"),
    "de_DE": (0.10, "DE", "+49"),
    "zh_CN": (0.10, "CN", "+86"),
    "ru_RU": (0.10, "RU", "+7"),
    "ar_AA": (0.10, "AE", "+971"),
}


def pools(seed: int) -> dict[str, tuple[list[str], list[str]]]:
    """First and last names drawn from each locale's lists (repeats keep the frequencies)."""
    out = {}
    for loc in LOCALES:
        fake = Faker(loc)
        fake.seed_instance(seed)
        out[loc] = (
            [fake.first_name() for _ in range(6000)],
            [fake.last_name() for _ in range(6000)],
        )
    return out


def typo(word: str, rng: np.random.Generator) -> str:
    if len(word) < 4:
        return word
    i = int(rng.integers(1, len(word) - 1))
    how = rng.integers(3)
    if how == 0:
        return word[:i] + word[i + 1 :]  # a letter dropped
    if how == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two letters swapped
    return word[:i] + "aeiourn"[int(rng.integers(7))] + word[i + 1 :]  # a letter wrong


def generate(n: int, seed: int) -> tuple[list[dict], dict[str, int]]:
    rng = np.random.default_rng(seed)
    names = pools(seed)
    locales = list(LOCALES)
    shares = np.array([LOCALES[loc][0] for loc in locales])
    records: list[dict] = []
    truth: dict[str, int] = {}
    person = 0
    while len(records) < n:
        person += 1
        loc = locales[int(rng.choice(len(locales), p=shares))]
        firsts, lasts = names[loc]
        first = firsts[int(rng.integers(len(firsts)))]
        middle = firsts[int(rng.integers(len(firsts)))] if rng.random() < 0.25 else None
        last = lasts[int(rng.integers(len(lasts)))]
        if loc == "es_MX":  # two surnames
            last = f"{last} {lasts[int(rng.integers(len(lasts)))]}"
        dob = f"{rng.integers(1950, 2006)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        country, prefix = LOCALES[loc][1], LOCALES[loc][2]
        phone = f"{prefix}{rng.integers(10**8, 10**9)}"
        handle = f"{unidecode(first)}.{unidecode(last)}".lower().replace(" ", "")
        email = f"{handle}{rng.integers(100)}@example.org"
        passport = f"P{rng.integers(10**7, 10**8)}"
        latin = loc in ("zh_CN", "ru_RU", "ar_AA")
        for _ in range(min(6, 1 + int(rng.poisson(1.5)))):
            words = [first, *([middle] if middle else []), last]
            roll = rng.random()
            if roll < 0.15 and latin:
                words = [unidecode(w).strip() for w in words]  # transliterated
            elif roll < 0.30:
                words = [w if k != len(words) - 1 else typo(w, rng) for k, w in enumerate(words)]
            elif roll < 0.40:
                words = [last + ",", *words[:-1]]  # surname first
            elif roll < 0.50 and not latin:
                words = [first[0] + ".", *words[1:]]  # an initial
            elif roll < 0.55 and middle:
                words = [first, last]
            r = rng.random()
            dobs = (
                [dob] if r < 0.6 else [dob[:4]] if r < 0.75 else [dob[:8] + "01"] if r < 0.8 else []
            )
            uid = str(len(records))
            records.append(
                record(
                    uid, " ".join(words), dataset="scale", dates_of_birth=dobs,
                    schema="person", countries=[country] if rng.random() < 0.85 else [],
                    identifiers=[passport] if rng.random() < 0.15 else [],
                    contacts=[c for c, p in ((phone, 0.5), (email, 0.3)) if rng.random() < p],
                )
            )  # fmt: skip
            truth[uid] = person
            if len(records) >= n:
                break
    return records, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    started = time.perf_counter()
    records, truth = generate(args.records, args.seed)
    generated = time.perf_counter() - started

    con = duckdb.connect()
    con.register("scale", _arrow(records))
    started = time.perf_counter()
    con.execute("SELECT name, count(*) FROM scale GROUP BY name").fetchall()
    floor = time.perf_counter() - started
    con.close()

    started = time.perf_counter()
    links, _ = link([records], threshold=0.5)
    linked = time.perf_counter() - started
    started = time.perf_counter()
    edges = [Edge(int(lk.left), int(lk.right), lk.probability, lk.weight, lk.agreed)
             for lk in links]  # fmt: skip
    comps, _ = _cluster(edges, {}, [])
    clustered = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    by_person: dict[int, int] = defaultdict(int)
    for person in truth.values():
        by_person[person] += 1
    true_pairs = sum(k * (k - 1) // 2 for k in by_person.values())
    found = {(min(e.left, e.right), max(e.left, e.right)) for e in edges}
    tp = sum(truth[str(a)] == truth[str(b)] for a, b in found)
    p = tp / len(found) if found else 0.0
    r = tp / true_pairs if true_pairs else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0

    table = Table(title=f"{len(records):,} party records of {len(by_person):,} people")
    for col in ("step", "seconds", "note"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    table.add_row("generate", f"{generated:.1f}", "not part of resolution")
    table.add_row("DuckDB group by exact name (floor)", f"{floor:.2f}", "")
    table.add_row("Splink train (EM) + predict", f"{linked:.1f}", f"{len(links):,} pairs")
    table.add_row("cluster", f"{clustered:.1f}", f"{len(comps.groups()):,} clusters")
    table.add_row("resolution total", f"{linked + clustered:.1f}", "goal < 300 s")
    table.add_row("peak memory", f"{peak:,.0f} MiB", "whole process")
    table.add_row("pairwise precision / recall / F1", "", f"{p:.3f} / {r:.3f} / {f:.3f}")
    console.print(table)


if __name__ == "__main__":
    main()
