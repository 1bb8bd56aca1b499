"""``watchfloor warning ...``: import public statistics, scan for warnings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from watchfloor.db import get_engine, session_scope

app = typer.Typer(
    help="Early warning: public statistics, first sightings and spikes.", no_args_is_help=True
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
AgencyOpt = Annotated[str, typer.Option("--agency", help="Agency code to act for, e.g. US-CBP.")]


@app.command("datasets")
def datasets_command(as_json: JsonOpt = False) -> None:
    """The statistics this instance knows how to import (sources.toml)."""
    from watchfloor.warning.importers import datasets

    found = datasets()
    if as_json:
        print(json.dumps({k: {"title": d.title, "source": d.source} for k, d in found.items()}))
        return
    table = Table(title="Importable data sets")
    for col in ("key", "title", "period", "measures"):
        table.add_column(col)
    for key, d in found.items():
        table.add_row(key, d.title, d.period.kind, ", ".join(d.measures))
    out.print(table)


@app.command("import")
def import_command(
    dataset: Annotated[
        str, typer.Argument(help="Data set key (see `watchfloor warning datasets`).")
    ],
    files: Annotated[list[Path], typer.Argument(help="One or more files of that data set.")],
    agency: AgencyOpt,
    tlp: Annotated[str, typer.Option(help="Sharing level of the figures.")] = "clear",
    rejects: Annotated[
        Path | None, typer.Option(help="Write the rows that could not be read here (JSON Lines).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Read public statistics into observations; a second import of the same file changes
    nothing, a corrected file updates its figures."""
    from rich.progress import Progress

    from watchfloor.security import get_agency, system_principal
    from watchfloor.warning import importers

    ds = importers.dataset(dataset)
    summary: list[dict[str, object]] = []
    bad: list[dict[str, object]] = []
    with Progress(console=err, disable=as_json) as bar:
        task = bar.add_task(f"importing {dataset}", total=len(files))
        for path in files:
            if not path.is_file():
                err.print(f"[red]{path}: no such file[/]")
                raise typer.Exit(2)
            parsed = importers.parse(ds, path)
            with session_scope(get_engine()) as session:
                principal = system_principal(get_agency(session, agency))
                report = importers.store(session, principal, parsed, tlp=tlp, source_name=path.name)
            bad += [{"file": path.name, **p.as_dict()} for p in parsed.problems]
            summary.append(
                {"file": path.name, "rows": parsed.rows_read, "rejected": len(parsed.problems),
                 **report.__dict__}
            )  # fmt: skip
            bar.advance(task)
    if rejects is not None:
        rejects.write_text("".join(json.dumps(b) + "\n" for b in bad), encoding="utf-8")
    if as_json:
        print(json.dumps(summary))
        return
    for s in summary:
        out.print(
            f"{s['file']}: {s['rows']:,} rows, {s['created']:,} figures added, "
            f"{s['updated']:,} updated, {s['unchanged']:,} unchanged, {s['rejected']:,} rejected"
        )
    for b in bad[:10]:
        err.print(f"[yellow]{b['file']} {b.get('record')}: {b['field']}: {b['reason']}[/]")


@app.command("scan")
def scan_command(
    agency: AgencyOpt,
    source: Annotated[list[str] | None, typer.Option(help="Only these sources.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Keep spikes from this date (YYYY-MM-DD) on.")
    ] = None,
    recent: Annotated[
        int, typer.Option(help="Report the last N periods of each source (0: all history).")
    ] = 3,
    algorithm: Annotated[
        list[str] | None, typer.Option(help="Detectors to run (default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run every detector and the first-sighting rules over the series the agency may read,
    store new warnings and alert its subscriptions."""
    from watchfloor.security import get_agency, system_principal
    from watchfloor.warning import findings, service
    from watchfloor.warning.series import SeriesQuery

    query = SeriesQuery(sources=tuple(source or ()))
    start = dt.date.fromisoformat(since) if since else None
    with err.status("scanning"), session_scope(get_engine()) as session:
        principal = system_principal(get_agency(session, agency))
        report = service.scan(
            session,
            principal,
            query=query,
            algorithms=tuple(algorithm or findings.DEFAULT_ALGORITHMS),
            since=start,
            recent=recent or None,
        )
    found = {k: v for k, v in report.__dict__.items() if k != "events"}
    if as_json:
        print(json.dumps(found))
        return
    kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(report.by_kind.items())) or "none new"
    out.print(
        f"{report.series:,} series scanned in {report.seconds:.1f} s: {report.created:,} new "
        f"warnings ({kinds}); {report.alerts:,} alerts to subscriptions"
    )
