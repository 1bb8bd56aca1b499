"""The bounded memo and its keys for long texts."""

from __future__ import annotations

from watchfloor.memo import MISSING, SHORT, Memo, text_key


def test_memo_remembers_until_full_then_starts_afresh() -> None:
    memo: Memo[str, int] = Memo(limit=3)
    assert memo.get("a") is MISSING
    for i, key in enumerate("abc"):
        assert memo.put(key, i) == i
    assert (memo.get("a"), memo.get("c"), len(memo)) == (0, 2, 3)
    memo.put("d", 3)  # full: the old entries go, the new one stays
    assert (memo.get("a"), memo.get("d"), len(memo)) == (MISSING, 3, 1)
    memo.put("e", None)  # type: ignore[arg-type]
    assert memo.get("e") is None  # a remembered None is not a miss
    calls: list[str] = []

    def compute(key: str) -> int:
        calls.append(key)
        return len(key)

    assert (memo.lookup("e", compute), memo.lookup("fgh", compute)) == (None, 3)
    assert memo.lookup("fgh", compute) == 3 and calls == ["fgh"]  # computed once


def test_text_keys_tell_texts_apart() -> None:
    long = "x" * SHORT
    assert text_key("a", "b") == ("a", "b")  # short texts are their own keys
    assert isinstance(text_key(long, "y"), bytes) and len(text_key(long, "y")) == 16
    assert text_key(long, "y") == text_key(long, "y")
    # the same characters split differently, or a missing part, are other texts
    keys = {
        text_key(long + "ab", "c"),
        text_key(long + "a", "bc"),
        text_key(long + "abc", ""),
        text_key(long + "abc", None),
        text_key(long + "abc"),
    }
    assert len(keys) == 5
