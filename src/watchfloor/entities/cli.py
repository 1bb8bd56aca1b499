"""``watchfloor entities ...``: taking parties from every record, and bulk screening."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from watchfloor import exports
from watchfloor.db import get_engine, session_scope

app = typer.Typer(help="Entities: parties from every source, screening.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
SCREEN_COLUMNS = ("name", "schema", "country", "date_of_birth", "address", "identifier")


def _bar(disable: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} {task.fields[unit]}"),
        TimeElapsedColumn(),
        console=err,
        disable=disable,
    )


@app.command("sync")
def sync_command(as_json: JsonOpt = False) -> None:
    """Take the parties of every record stored since the last sync (shipments' senders and
    consignees, listings' sellers, parties to seizures and incidents, watched names,
    notifications' exporters and importers, sanctions entries) into the parties table."""
    from watchfloor.entities import extract

    with _bar(as_json) as bar, session_scope(get_engine()) as session:
        tasks: dict[str, Any] = {}

        def progress(source: str, done: int, _total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=None, unit="parties")
            bar.update(tasks[source], completed=done)

        added = extract.sync(session, progress=progress)
    if as_json:
        print(json.dumps(added))
    else:
        out.print(", ".join(f"{n:,} {s}" for s, n in added.items()) + " parties added")


@app.command("resolve")
def resolve_command(
    incremental: Annotated[
        bool,
        typer.Option(help="Only place parties stored since the last run, with its model."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Entity resolution over every party (Splink on DuckDB, parameters estimated by EM):
    clusters of parties held to be one person or company, analysts' decisions kept. With
    --incremental, new parties join existing clusters without training again."""
    from watchfloor.entities import clusters, extract

    with session_scope(get_engine()) as session:
        extract.sync(session)
    with err.status("resolving entities"), session_scope(get_engine()) as session:
        if incremental:
            run = clusters.link_new(session, actor="cli")
        else:
            run = clusters.resolve(session, actor="cli")
        found = (
            {"kind": run.kind, "parties": run.parties, "links": run.links,
             "clusters": run.clusters, "seconds": round(run.seconds, 2)}
            if run else {"kind": "incremental", "parties": 0}
        )  # fmt: skip
    if as_json:
        print(json.dumps(found))
    elif run is None:
        out.print("nothing new to place (or no full run yet: run without --incremental)")
    else:
        out.print(
            f"{run.kind} run: {run.parties:,} parties, {run.links:,} matched pairs, "
            f"{run.clusters:,} clusters made or changed in {run.seconds:.1f} s"
        )


def _row_query(line: int, row: dict[str, str]) -> Any:
    from watchfloor.entities.api import query_of
    from watchfloor.entities.schemas import MatchIn

    body: dict[str, Any] = {"name": row.get("name", "")}
    if row.get("schema"):
        body["schema"] = row["schema"]
    if row.get("country"):
        body["countries"] = [c for c in row["country"].replace(",", " ").split() if c]
    for key in ("date_of_birth", "address"):
        if row.get(key):
            body[key] = row[key]
    if row.get("identifier"):
        body["identifiers"] = [{"number": row["identifier"]}]
    return query_of(MatchIn.model_validate(body))


@app.command("screen")
def screen_command(
    file: Annotated[Path, typer.Argument(help=f"CSV with a header: {', '.join(SCREEN_COLUMNS)}.")],
    agency: Annotated[str, typer.Option(help="Screen as this agency (what it may read).")],
    output: Annotated[
        Path | None, typer.Option("--out", help="Results CSV (default: standard output).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Pass mark 0-1 (default: matching.toml's).")
    ] = None,
) -> None:
    """Screen every name of a CSV file: one result row per input row with the best
    candidate, its score, whether it passes and why. Rows that are not valid are reported on
    standard error with their line, field and reason, and the others are screened."""
    from watchfloor.entities import service
    from watchfloor.security import get_agency, system_principal

    with file.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if rows and "name" not in rows[0]:
        err.print(f"[red]{file}: no 'name' column[/] (columns: {', '.join(SCREEN_COLUMNS)})")
        raise typer.Exit(2)
    sink = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    writer = exports.Writer(sink)
    writer.writerow(["line", "name", "candidate", "party_id", "source", "score", "passes", "why"])
    bad = hits = 0
    with session_scope(get_engine()) as session, _bar(output is None) as bar:
        principal = system_principal(get_agency(session, agency))
        task = bar.add_task("screening", total=len(rows), unit="names")
        for line, row in enumerate(rows, start=2):
            bar.advance(task)
            try:
                query = _row_query(line, row)
            except ValidationError as exc:
                bad += 1
                for e in exc.errors():
                    field = ".".join(map(str, e["loc"]))
                    err.print(f"line {line}: {field}: {e['msg']}")
                continue
            found, _ = service.screen(session, principal, query, limit=1, threshold=threshold)
            if not found:
                writer.writerow([line, query.name, "", "", "", 0, False, "no candidate"])
                continue
            best = found[0]
            hits += best.match.passes
            why = "; ".join(
                f"{f.feature} {f.outcome} ({f.detail})"
                for f in best.match.features
                if f.outcome not in ("missing", "neutral")
            )
            writer.writerow([
                line, query.name, best.match.name, best.party.id, best.source_label,
                round(best.match.score, 4), best.match.passes, why,
            ])  # fmt: skip
    if output:
        sink.close()
    err.print(f"{len(rows) - bad:,} names screened, {hits:,} pass, {bad:,} rows refused")
    if bad and bad == len(rows):
        raise typer.Exit(1)
