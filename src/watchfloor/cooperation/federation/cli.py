"""``watchfloor cooperation federation ...``: this instance's identity, its peers, and
pulling their feeds."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from watchfloor.db import get_engine, session_factory, session_scope

app = typer.Typer(help="Federation between instances: identity, peers, sync.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


@app.command("identity")
def identity(as_json: JsonOpt = False) -> None:
    """This instance's name and Ed25519 public key (made on first use): what a peer registers."""
    from watchfloor.cooperation.federation import keys
    from watchfloor.settings import get_settings

    with session_scope(get_engine()) as session:
        key = keys.public_key(session)
    name = get_settings().instance_name
    if as_json:
        print(json.dumps({"name": name, "public_key": key}))
    else:
        out.print(f"{name} {key}")


@app.command("add-peer")
def add_peer(
    name: Annotated[str, typer.Argument(help="The peer's instance name.")],
    url: Annotated[str, typer.Argument(help="Its base URL, e.g. https://watchfloor.example.org.")],
    key: Annotated[str, typer.Argument(help="Its Ed25519 public key, hex.")],
    agencies: Annotated[
        str, typer.Option(help="Codes of the agencies that work on the peer, comma-separated.")
    ] = "",
) -> None:
    """Register or update a peer: what the policy lets its agencies read goes to it."""
    from watchfloor.cooperation.federation import service as federation

    with session_scope(get_engine()) as session:
        peer = federation.add_peer(
            session, name=name, url=url, key=key, agencies=agencies.split(","), actor="cli"
        )
        out.print(f"peer {peer.name} at {peer.url}: {peer.agencies or 'no agencies'}")


@app.command("peers")
def peers(as_json: JsonOpt = False) -> None:
    """The registered peers, with how far each one's feed was pulled."""
    from sqlalchemy import select

    from watchfloor.cooperation.federation.models import Peer

    with session_scope(get_engine()) as session:
        rows = [
            {
                "name": p.name,
                "url": p.url,
                "agencies": p.agencies.split(),
                "cursor": p.cursor,
                "last_sync_at": p.last_sync_at.isoformat() if p.last_sync_at else None,
            }
            for p in session.scalars(select(Peer).order_by(Peer.name))
        ]
    if as_json:
        print(json.dumps(rows))
        return
    for p in rows:
        agencies = ", ".join(p["agencies"])  # type: ignore[arg-type]
        out.print(f"{p['name']} {p['url']} cursor {p['cursor']} ({agencies})")


@app.command("sync")
def sync(
    peer: Annotated[str, typer.Argument(help="The peer to pull from.")],
    batch: Annotated[int, typer.Option(help="Records per batch.", min=1, max=10_000)] = 2000,
    as_json: JsonOpt = False,
) -> None:
    """Pull the peer's feed: verify each batch's signature, store what is shared with this
    instance's agencies, apply revocations. Idempotent; a rejected batch stops the sync."""
    from watchfloor.cooperation.federation import service as federation

    make = session_factory(get_engine())
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True
    ) as bar:
        task = bar.add_task(f"pulling {peer}")

        def shown(r: federation.SyncReport) -> None:
            bar.update(
                task, description=f"pulling {peer}: {r.stored:,} stored, {r.revoked} revoked"
            )

        report = federation.sync(make, peer, limit=batch, progress=None if as_json else shown)
    if as_json:
        print(json.dumps(report.__dict__))
    else:
        out.print(
            f"{peer}: {report.batches} batches, {report.stored} records stored, "
            f"{report.revoked} revoked; at change {report.cursor}"
        )
