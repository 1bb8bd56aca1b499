"""Name similarity, feature effects and the blocking index, without a database."""

from __future__ import annotations

import pytest

from watchfloor.entities.index import PartyIndex
from watchfloor.entities.matching import Candidate, Query, compare, config, name_similarity
from watchfloor.identifiers.names import name_tokens, skeleton

CFG = config()


@pytest.mark.parametrize(
    ("query", "listed", "at_least", "method"),
    [
        ("Rafael Caro Quintero", "CARO QUINTERO, Rafael", 1.0, "word by word"),
        ("Vladimir Putin", "Владимир Путин", 1.0, "word by word"),
        ("Xi Jinping", "习近平", 1.0, "word by word"),
        ("Xi Jin Ping", "XIJINPING", 1.0, "spacing aside"),
        # legal forms written out, from the maintained lists (cleanco, rigour's org types)
        ("Nordlicht Aktiengesellschaft", "NORDLICHT AG", 1.0, "word by word"),
        ("Vostok Khim Public Joint Stock Company", "PJSC Vostok Khim", 1.0, "word by word"),
        # spellings of one name in other transliterations (Wikidata's names, via rigour)
        ("Yevgeniy Prigozhin", "Евгений Пригожин", 0.9, "word by word"),
        ("Husain Haqqani", "Hussein Haqqani", 0.9, "word by word"),
        ("Igor Koval'chuk", "Igor Kovalchuk", 1.0, "word by word"),
        ("Abdelkarim Omar", "Abdel Karim Omar", 1.0, "word by word"),
        ("Mohammed bin Salman", "محمد بن سلمان", 1.0, "consonants"),
        ("J. A. Guzman Loera", "GUZMAN LOERA, Joaquin Archivaldo", 0.8, "word by word"),
        ("Joaquin Guzman", "GUZMAN LOERA, Joaquin Archivaldo", 0.8, "word by word"),
        ("Jose Luis Ramirez Ochoa", "Jose Luis Ramires Ochoa", 0.95, "word by word"),
    ],
)
def test_names_agree_across_order_script_spacing_and_initials(
    query: str, listed: str, at_least: float, method: str
) -> None:
    s = name_similarity(query, listed, CFG.name)
    assert s.score >= at_least, s
    assert s.method.startswith(method), s


@pytest.mark.parametrize(
    ("query", "listed", "below"),
    [
        ("Ming Chang", "Ming Chung", 0.7),  # short names must agree almost exactly
        # two people sharing two of three names: each has a name the other lacks
        ("Joaquin Guzman Loera", "Joaquin Guzman Lopez", 0.7),
        ("Pedro Ivanovich Sokolov", "Pedro Ivanovich Sokolovsky", 0.7),  # a name built on one
        ("Wang Xiaoping Trading", "Wang Xiaoming Trading", 0.7),  # pinyin syllables differ
        ("Acme Trading", "Zeta Logistics", 0.1),
        ("Maria Lopez", "Mario Lopes Garcia", 0.7),
        ("Hubei Chemical Co", "Shanghai Chemical Co", 0.7),
    ],
)
def test_different_names_stay_below_the_threshold(query: str, listed: str, below: float) -> None:
    assert name_similarity(query, listed, CFG.name).score < below


def test_legal_forms_and_honorifics_are_not_part_of_a_name() -> None:
    assert name_tokens("Sr. Jose de la Cruz, S.A. de C.V.") == ("jose", "la", "cruz")
    assert skeleton("Muhammad Hassan") == skeleton("Mohamed Hasan") == "mhmd hsn"


NAME = "Joaquin Guzman Loera"
PERSON = Candidate(
    id=1,
    names=("GUZMAN LOERA, Joaquin Archivaldo", "EL CHAPO"),
    schema="person",
    countries=frozenset({"MX"}),
    dates_of_birth=("1957-04-04",),
    identifiers=(("passport", "G1234567"),),
)


def effect(match, feature: str) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    (f,) = [f for f in match.features if f.feature == feature]
    return f.outcome, f.effect


@pytest.mark.parametrize(
    ("query", "feature", "outcome", "sign"),
    [
        (Query(NAME, date_of_birth="1957-04-04"), "date_of_birth", "agree", 1),
        (Query(NAME, date_of_birth="1957"), "date_of_birth", "partial", 1),
        (Query(NAME, date_of_birth="1958-01-01"), "date_of_birth", "neutral", 0),
        (Query(NAME, date_of_birth="1980-01-01"), "date_of_birth", "conflict", -1),
        (Query(NAME, countries=frozenset({"MX"})), "country", "agree", 1),
        (Query(NAME, countries=frozenset({"CN"})), "country", "conflict", -1),
        (Query(NAME, identifiers=((None, "g-123 4567"),)), "identifier", "agree", 1),
        (Query(NAME, identifiers=(("Passport No.", "X99"),)), "identifier", "conflict", -1),
        (Query(NAME, identifiers=(("RFC", "X99"),)), "identifier", "neutral", 0),
        (Query(NAME, schema="vessel"), "schema", "conflict", -1),
        (Query("Joaquin Guzman Loera"), "date_of_birth", "missing", 0),
    ],
)  # fmt: skip
def test_each_feature_raises_or_lowers_the_score(
    query: Query, feature: str, outcome: str, sign: int
) -> None:
    plain = compare(Query(query.name), PERSON, CFG)
    m = compare(query, PERSON, CFG)
    got, value = effect(m, feature)
    assert got == outcome, m.features
    assert (value > 0) - (value < 0) == sign
    if sign < 0:
        assert m.score < plain.score
    # the reasons add up to the score (before it is kept within 0-1)
    assert m.score == pytest.approx(min(1.0, max(0.0, sum(f.effect for f in m.features))))


def test_a_conflicting_birth_date_takes_a_good_name_below_the_threshold() -> None:
    q = Query("Joaquin Archivaldo Guzman Loera", date_of_birth="1990-02-02")
    assert compare(Query(q.name), PERSON, CFG).passes
    assert not compare(q, PERSON, CFG).passes


def test_the_index_finds_a_party_among_many_and_ranks_it_first() -> None:
    others = [
        Candidate(id=i, names=(f"Juan Garcia Lopez {chr(97 + i % 26)}{i}",)) for i in range(2, 3000)
    ]
    index = PartyIndex([PERSON, *others])
    assert len(index) == 2999
    found = index.search(Query("Joaquin Guzman Loera"), CFG, limit=3)
    assert found[0].candidate.id == 1 and found[0].passes
    assert found[0].name == "GUZMAN LOERA, Joaquin Archivaldo"
    # common words alone ("juan garcia", in every name) still give candidates to score
    assert index.search(Query("Juan Garcia"), CFG, limit=1)
    assert index.search(Query("Zzyzx Qwerty"), CFG) == []
