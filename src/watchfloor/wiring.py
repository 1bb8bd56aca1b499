"""Make sure every domain that hands something down the stack has done so.

Imports run one way (ARCHITECTURE.md): cooperation does not import shipments, yet a seizure
may name a shipment, and the shipment scorers cache watchlist entries. The shipments
package registers both with :mod:`watchfloor.cooperation.links` when it is imported; each
entry point (the web app, the CLI, the worker, the test suite) calls :func:`connect` so that
this has happened before it serves, whatever it imported first.
"""

from __future__ import annotations


def connect() -> None:
    """Import every providing domain (idempotent, cheap after the first call)."""
    import watchfloor.listings  # noqa: F401 - registers its reader and stored signals
    import watchfloor.shipments  # noqa: F401 - registers its lookup and listener


async def cache_changed(subject: str, payload: dict[str, object]) -> None:
    """Another process changed records that caches here are built from (``cache.changed``
    on the bus): tell this process's listeners, as that process told its own."""
    from watchfloor import events
    from watchfloor.cooperation import links
    from watchfloor.sharing import changes

    kind = str(payload.get("kind", ""))
    if payload.get("origin") == events.PROCESS or not kind:
        return
    if kind in ("seizure", "incident", "watchlist_entry"):
        links.changed(kind)  # type: ignore[arg-type]
    changes.tell_listeners(kind)


async def listen_for_changes(bus: object, subject_root: str) -> None:
    """Every process that keeps caches (servers, workers) hears the others' changes."""
    from watchfloor import events

    await bus.listen(f"{subject_root}.{events.CACHE_SUBJECT}", cache_changed)  # type: ignore[attr-defined]
