"""``watchfloor listings ...``: the online-sales commands."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from watchfloor.listings.classifier import SHIPPED

app = typer.Typer(help="Online sales: listings, the drug-sale classifier.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _shipped_path() -> Path:
    return Path(str(resources.files("watchfloor.listings").joinpath("data", SHIPPED)))


@app.command("train")
def train_command(
    agora: Annotated[
        Path | None,
        typer.Option(help="The Agora 2014 folder (default: ../shared/data/agora-listings)."),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the model (default: the shipped one)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same data and seed, same model.")] = 0,
    agency: Annotated[
        str | None,
        typer.Option(
            help="Instead: retrain this agency's own classifier from its labelled listings "
            "(analysts' labels and platforms' answers to its notices)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Train the drug-sale classifier on the Agora 2014 product crawls (January-March) and
    vendor descriptions, with descriptions of ordinary goods shipped in the package (USDA
    foods, Google's product taxonomy, HS 2022) as further examples of what is not a drug.
    The April-December files and the ACL 2019 set are never read here: they are the
    evaluation sets of bench/listings_eval.py. With --agency, adapt the shipped model to that
    agency's labels instead."""
    from watchfloor.listings.training import default_agora_folder, train_from_agora

    if agency:
        _retrain_agency(agency, as_json)
        return
    folder = agora or default_agora_folder()
    if folder is None:
        err.print("[red]no Agora listings found[/]: pass --agora FOLDER")
        raise typer.Exit(2)
    target = out_file or _shipped_path()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("reading and annotating listings", total=None)
        model = train_from_agora(
            folder,
            seed=seed,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
        progress.update(task, description="fitting")
    model.save(target)
    info = {"version": model.version, "path": str(target), "bytes": target.stat().st_size}
    info |= model.metrics
    if as_json:
        print(json.dumps(info))
    else:
        out.print(
            f"trained {model.version} on {model.metrics['documents']:,} listings "
            f"({model.metrics['drug_sales']:,} drug sales); wrote {target} "
            f"({target.stat().st_size / 1e6:.1f} MB)"
        )


@app.command("reclassify")
def reclassify_command(
    agency: Annotated[str, typer.Option(help="The agency whose reported listings to decide.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Decide an agency's stored listings again with the classifier it uses now (its own, or
    the shipped one): after an upgrade or a retraining, older listings carry older
    decisions. Writes back those that changed, and one audit event."""
    from dataclasses import asdict

    from watchfloor.db import get_engine, session_scope
    from watchfloor.listings.reclassify import reclassify
    from watchfloor.security import get_agency, system_principal

    with session_scope(get_engine()) as session:
        principal = system_principal(get_agency(session, agency.strip().upper()))
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(f"deciding {principal.agency_code}'s listings again")

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = reclassify(session, principal, progress=advance)
    if as_json:
        print(json.dumps(asdict(result)))
        return
    out.print(
        f"{result.listings:,} listings decided by {result.model_version}: "
        f"{result.changed:,} changed ({result.became_sales:,} now drug sales, "
        f"{result.no_longer_sales:,} no longer)"
    )


@app.command("escalate")
def escalate_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Escalate the notices to platforms that are past their due time (what 'watchfloor
    serve' and the worker also do every minute)."""
    from watchfloor.db import get_engine
    from watchfloor.listings import escalation

    found = escalation.run_once(get_engine())
    if as_json:
        print(json.dumps([escalation.payload(e) for e in found]))
        return
    for e in found:
        out.print(
            f"{e.reference} to {e.platform}: {e.level}, {e.unanswered} listings unanswered, "
            f"due {e.due_at:%Y-%m-%dT%H:%M:%SZ}"
        )
    out.print(f"{len(found)} notices escalated")


@app.command("report")
def report_command(
    platform: Annotated[str, typer.Argument(help="Code of the platform agency.")],
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (UTC).")] = None,
    by: Annotated[str, typer.Option(help="day, week, month or quarter.")] = "month",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """The transparency report of a platform: notices received, share actioned, hours to
    action (median, 90th percentile) per period."""
    import datetime as dt

    from rich.table import Table

    from watchfloor.db import get_engine, session_scope
    from watchfloor.errors import WatchfloorError
    from watchfloor.listings import transparency

    if by not in ("day", "week", "month", "quarter") or fmt not in ("table", "csv", "json"):
        err.print("[red]--by takes day, week, month or quarter; --format table, csv or json[/]")
        raise typer.Exit(2)
    try:
        days = [dt.date.fromisoformat(d) if d else None for d in (since, until)]
    except ValueError as exc:
        err.print(f"[red]--since/--until: {exc}[/]")
        raise typer.Exit(2) from None
    with session_scope(get_engine()) as session:
        try:
            found = transparency.report(session, platform, since=days[0], until=days[1], by=by)  # type: ignore[arg-type]
        except WatchfloorError as exc:
            err.print(f"[red]{exc.detail}[/]")
            raise typer.Exit(2) from None
    if fmt == "json":
        print(found.model_dump_json())
        return
    if fmt == "csv":
        sys.stdout.write(transparency.report_csv(found))
        return
    table = Table(title=f"{found.platform_name}: notices {found.since} to {found.until}")
    for col in ("period", "received", "answered", "on time", "actioned", "share", "med h", "p90 h"):
        table.add_column(col, justify="left" if col == "period" else "right", no_wrap=True)
    for p in [*found.periods, found.totals]:
        share = "—" if p.share_actioned is None else f"{p.share_actioned:.0%}"
        table.add_row(
            p.period,
            str(p.received),
            str(p.answered),
            str(p.answered_on_time),
            str(p.actioned),
            share,
            "—" if p.median_hours_to_action is None else f"{p.median_hours_to_action:g}",
            "—" if p.p90_hours_to_action is None else f"{p.p90_hours_to_action:g}",
        )
    out.print(table)


def _retrain_agency(code: str, as_json: bool) -> None:
    from watchfloor.db import get_engine, session_scope
    from watchfloor.listings import labels
    from watchfloor.security import get_agency, system_principal

    with session_scope(get_engine()) as session:
        principal = system_principal(get_agency(session, code.strip().upper()))
        with Progress(console=err, transient=True) as progress:
            progress.add_task(f"adapting the classifier to {principal.agency_code}'s labels")
            row, created = labels.retrain(session, principal)
        info = {"version": row.version, "created": created, "labels": row.labels}
        info |= json.loads(row.metrics)
    if as_json:
        print(json.dumps(info))
        return
    out.print(
        f"{'trained' if created else 'unchanged:'} {info['version']} from {info['labels']} "
        f"labelled listings; accuracy on them {info['accuracy_before']:.1%} -> "
        f"{info['accuracy_after']:.1%}"
        + (
            f", held out {info['accuracy_held_out']:.1%}"
            if info.get("accuracy_held_out") is not None
            else ""
        )
    )


@app.command("match-tokens")
def match_tokens_command(
    signal_set: Annotated[
        Path, typer.Argument(help="A signal set as GET /api/v1/listings/signal-sets/{id} gave it.")
    ],
    values: Annotated[Path, typer.Argument(help="CSV of your own identifiers: kind,value.")],
    key: Annotated[str, typer.Option(help="The community key, hex (GET .../signal-sets/key).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Check your own users' identifiers against a signal set, here, without the database
    or the network: each value is normalised as Watchfloor does, hashed with the key, and
    looked up among the set's tokens."""
    import csv

    from watchfloor.listings import tokens

    try:
        data = json.loads(signal_set.read_text(encoding="utf-8"))
        secret = bytes.fromhex(key)
    except (OSError, ValueError) as exc:
        err.print(f"[red]cannot read the set or the key: {exc}[/]")
        raise typer.Exit(2) from None
    if data.get("key_id") and data["key_id"] != tokens.key_id_of(secret):
        err.print(f"[red]the set is under key {data['key_id']}, not this one[/]")
        raise typer.Exit(2)
    with values.open(newline="", encoding="utf-8") as fh:
        pairs = [(row[0].strip(), row[1]) for row in csv.reader(fh) if len(row) >= 2]
    if pairs and pairs[0][0].lower() == "kind":
        pairs = pairs[1:]
    found = tokens.match(data.get("tokens") or [], pairs, secret)
    if as_json:
        for kind, value in found:
            print(json.dumps({"kind": kind, "value": value}))
        return
    for kind, value in found:
        out.print(f"{kind}\t{value}")
    out.print(f"{len(found)} of {len(pairs)} identifiers are in the set '{data.get('name', '')}'")
