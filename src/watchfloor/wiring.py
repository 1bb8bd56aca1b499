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
