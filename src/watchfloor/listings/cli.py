"""``watchfloor listings ...``: the online-sales commands."""

from __future__ import annotations

import json
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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Train the drug-sale classifier on the Agora 2014 product crawls (January-March) and
    vendor descriptions. The April-December files and the ACL 2019 set are never read here:
    they are the evaluation sets of bench/listings_eval.py."""
    from watchfloor.listings.training import default_agora_folder, train_from_agora

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
            f"({info['bytes'] / 1e6:.1f} MB)"
        )
