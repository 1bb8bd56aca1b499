"""The Splink model on its own (DuckDB, no Watchfloor database): planted duplicates are
found, analysts' labels join the training, and a saved model scores new records alike."""

from __future__ import annotations

import random

from watchfloor.entities.resolution import best_links, link, predict_with, record

FIRST = ["Ana", "Luis", "Jose", "Maria", "Wei", "Olga", "Omar", "Karl", "Rosa", "Ivan"]
LAST = ["Garcia", "Lopez", "Zhang", "Petrova", "Haddad", "Fischer", "Ortiz", "Quintero",
        "Novak", "Castro", "Mendez", "Silva"]  # fmt: skip


def people(n: int, seed: int = 3) -> tuple[list[dict], set[tuple[str, str]]]:
    """``n`` people, about a third written twice (a letter changed or the words turned)."""
    rng = random.Random(seed)
    records, pairs = [], set()
    for i in range(n):
        first, last, second = rng.choice(FIRST), rng.choice(LAST), rng.choice(LAST)
        dob = f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        phone = f"+52{rng.randint(10**9, 10**10 - 1)}"
        name = f"{first} {last} {second}"
        records.append(record(f"{i}a", name, dates_of_birth=[dob], countries=["MX"],
                              contacts=[phone]))  # fmt: skip
        if i % 3 == 0:
            variant = f"{last} {second}, {first}" if i % 2 else name.replace("a", "e", 1)
            records.append(record(f"{i}b", variant, dates_of_birth=[dob], countries=["MX"],
                                  contacts=[phone] if i % 2 else []))  # fmt: skip
            pairs.add((f"{i}a", f"{i}b"))
    return records, pairs


def test_planted_duplicates_are_found_and_labels_join_the_training() -> None:
    records, truth = people(600)
    labels = sorted(truth)[:60]
    links, model = link([records], threshold=0.5, labels=labels)
    found = {tuple(sorted((lk.left, lk.right))) for lk in links}
    hits = len(found & truth)
    assert hits / len(truth) > 0.9, (hits, len(truth))
    assert hits / len(found) > 0.9, (hits, len(found))
    assert {c["output_column_name"] for c in model["comparisons"]} >= {"name", "dob", "contacts"}
    # each link says what agreed
    assert all("name" in lk.agreed or "contacts" in lk.agreed for lk in links)

    # the saved model scores records it never saw, without training again
    new = [record("new", "Garcia Lopez, Ana", dates_of_birth=["1970-01-01"], countries=["MX"])]
    old = [record("old", "Ana Garcia Lopez", dates_of_birth=["1970-01-01"], countries=["MX"]),
           record("other", "Omar Novak Silva", dates_of_birth=["1981-05-05"])]  # fmt: skip
    scored = predict_with(model, [old, new], threshold=0.5)
    assert [(lk.left, lk.right) for lk in scored] == [("old", "new")]
    assert predict_with(model, [old, []], threshold=0.5) == []


def test_best_links_keep_mutual_best_partners() -> None:
    from watchfloor.entities.resolution import Link

    links = [Link("a", "x", 0.9, 3, []), Link("a", "y", 0.6, 1, []), Link("b", "y", 0.8, 2, [])]
    assert [(lk.left, lk.right) for lk in best_links(links)] == [("a", "x"), ("b", "y")]
