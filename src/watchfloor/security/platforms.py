"""What a platform's account may change: the one table that decides.

A platform (an online marketplace's or network's trust-and-safety team) is not an agency.
It reads what the sharing policy shows it, like any caller: platforms are outside the
community, so it sees only what an owner named it a recipient of (and TLP:CLEAR). What it
may change is narrow, its job: it reports listings and shares its own, labels them and
trains its own classifier (which decides only what it reports), acknowledges and answers
the notices agencies send it, keeps signal sets, works its own alerts and manages its own
people's accounts. Every other
write (shipments, seizures, incidents, watchlist entries, joint cases, pre-export
notifications, entity decisions and cluster splits, notices sent, early-warning
subscriptions, federation) belongs to agencies, and a platform account is refused there
whatever its role (403).

The table names routes as FastAPI declares them (method and path template), so that a new
route that changes anything is closed to platforms until it is added here;
:func:`platform_may` is asked by the dependency every route uses to learn its caller
(``security.deps.optional_principal``).

>>> platform_may("POST", "/api/v1/listings/notices/{notice_id}/answer")
True
>>> platform_may("POST", "/api/v1/sharing/watchlist")
False
>>> platform_may("GET", "/api/v1/sharing/seizures/{seizure_id}")  # the policy decides
True
"""

from __future__ import annotations

PLATFORM_KINDS = ("platform",)

READS = ("GET", "HEAD")

PLATFORM_WRITES: frozenset[tuple[str, str]] = frozenset(
    {
        # listings: report them, share one's own, have them decided again
        ("POST", "/api/v1/listings"),
        ("PUT", "/api/v1/listings/{listing_id}/sharing"),
        ("POST", "/api/v1/listings/reclassify"),
        # its own classifier: its labels, and a retraining that decides only what it reports
        ("PUT", "/api/v1/listings/{listing_id}/label"),
        ("POST", "/api/v1/listings/classifier"),
        # notices: acknowledge and answer
        ("POST", "/api/v1/listings/notices/{notice_id}/acknowledge"),
        ("POST", "/api/v1/listings/notices/{notice_id}/answer"),
        # signal sets: keyed tokens of sellers' signals, to match without revealing them
        ("POST", "/api/v1/listings/signal-sets"),
        # its own alerts (notices received, deadlines)
        ("PATCH", "/api/v1/alerts/{alert_id}"),
        # pages of the same
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/sessions/end-others"),
        # its own people's accounts: a password of one's own, and the admin's users page
        ("POST", "/account/password"),
        ("POST", "/admin/users"),
        ("POST", "/admin/users/{username}"),
        ("POST", "/listings/reclassify"),
        ("POST", "/listings/classifier"),
        ("POST", "/listings/{listing_id}/label"),
        ("POST", "/listings/notices/{notice_id}/acknowledge"),
        ("POST", "/listings/notices/{notice_id}/answer"),
        ("POST", "/alerts/{alert_id}"),
    }
)

# the pages a platform's menu shows (keys of the web's navigation)
PLATFORM_PAGES = ("alerts", "listings", "reference")


def is_platform(agency_kind: str) -> bool:
    return agency_kind in PLATFORM_KINDS


def platform_may(method: str, route: str) -> bool:
    """Whether a platform account may call ``method`` on the route declared as ``route``:
    any read (the sharing policy then decides what it sees), and the writes of its job."""
    method = method.upper()
    return method in READS or (method, route) in PLATFORM_WRITES
