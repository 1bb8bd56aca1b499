"""The ``watchfloor`` command: ``watchfloor <domain> <verb>``."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

from watchfloor import wiring
from watchfloor.db import DatabaseUnavailable, check_connection, get_engine, session_scope
from watchfloor.errors import WatchfloorError
from watchfloor.settings import ConfigError, get_settings

app = typer.Typer(
    help="Watchfloor: a shared watch floor against illicit drug supply.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
reference_app = typer.Typer(help="Reference catalogue.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo scenario.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
users_app = typer.Typer(help="People's accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log.", no_args_is_help=True)
shipments_app = typer.Typer(
    help="Shipments: intake, scoring, the learnt model.", no_args_is_help=True
)
cooperation_app = typer.Typer(
    help="Cooperation: seizures, incidents and federation with other instances.",
    no_args_is_help=True,
)
from watchfloor.cooperation.federation.cli import app as federation_app  # noqa: E402
from watchfloor.entities.cli import app as entities_app  # noqa: E402 - after the apps above
from watchfloor.listings.cli import app as listings_app  # noqa: E402
from watchfloor.warning.cli import app as warning_app  # noqa: E402

cooperation_app.add_typer(federation_app, name="federation")
for sub, name in [
    (shipments_app, "shipments"),
    (listings_app, "listings"),
    (cooperation_app, "cooperation"),
    (entities_app, "entities"),
    (warning_app, "warning"),
    (db_app, "db"),
    (reference_app, "reference"),
    (demo_app, "demo"),
    (keys_app, "keys"),
    (users_app, "users"),
    (audit_app, "audit"),
]:
    app.add_typer(sub, name=name)
# the names of earlier releases, kept so that scripts written for them go on working
app.add_typer(cooperation_app, name="sharing", hidden=True)
app.add_typer(federation_app, name="federation", hidden=True)

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _engine():
    engine = get_engine()
    check_connection(engine)
    return engine


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the schema to the latest revision (idempotent)."""
    from watchfloor.db import describe_url
    from watchfloor.migrate import current_revision, upgrade

    engine = _engine()
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    where = describe_url(engine.url.render_as_string())
    if before == after:
        out.print(f"schema already at revision {after} ({where})")
    else:
        out.print(f"schema migrated {before or 'empty'} -> {after} ({where})")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from watchfloor.migrate import current_revision, head_revision

    rev = current_revision(_engine())
    out.print(f"current {rev or 'none'}; head {head_revision()}")


@reference_app.command("load")
def reference_load(as_json: JsonOpt = False) -> None:
    """Load the reference catalogue shipped in the package (no-op when already loaded)."""
    from watchfloor.reference.loader import load_catalogue

    engine = _engine()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=err,
        disable=as_json,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def tick(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done)

        with session_scope(engine) as session:
            report = load_catalogue(session, progress=tick)
    if as_json:
        print(json.dumps(report.__dict__))
    elif report.loaded:
        out.print(
            f"loaded {report.substances} substances, {report.names} names, "
            f"{report.hs_codes} HS codes"
        )
    else:
        out.print(f"reference catalogue already loaded ({report.substances} substances)")


@demo_app.command("load")
def demo_load(as_json: JsonOpt = False) -> None:
    """Load the demo agencies, users and seizures, and print the demo logins."""
    from rich.progress import TimeElapsedColumn

    from watchfloor.demo import DEMO_PASSWORD, STEPS, load_demo

    # steps, not a time estimate: the parts take from a second to half the load
    steps = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("step {task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        disable=as_json,
    )
    with steps as bar, session_scope(_engine()) as session:
        task = bar.add_task("demo", total=len(STEPS))

        def started(step: str) -> None:
            done = STEPS.index(step)
            bar.update(task, completed=done, description=f"demo: {step}")

        report = load_demo(session, progress=started)
        bar.update(task, completed=len(STEPS), description="demo: loaded")
    if as_json:
        print(json.dumps({**report.__dict__, "password": DEMO_PASSWORD}))
        return
    out.print(
        f"demo: {report.agencies_created} agencies, {report.users_created} users, "
        f"{report.seizures_created} seizures, {report.shipments_created} shipments, "
        f"{report.outcomes_recorded} inspection outcomes, {report.listings_created} "
        f"listings and {report.notices_created} notices to platforms created; "
        f"{report.statistics_created} seizure statistics of {report.statistics_countries} "
        f"countries (UNODC, CBP), {report.incidents_created} precursor incidents and "
        f"{report.parties_taken} parties of them all, resolved into {report.clusters_found} "
        f"clusters; {report.observations_imported} "
        f"figures of public statistics (NFLIS, CDC, Agora), {report.interventions_recorded} "
        f"interventions to evaluate and {report.warnings_raised} early warnings"
        + (
            f"; risk models {', '.join(report.models_trained)} trained"
            if report.models_trained
            else ""
        )
    )
    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    for col in ("username", "agency", "role"):
        table.add_column(col)
    for row in report.logins:
        table.add_row(*row)
    out.print(table)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="This instance is a demo: its users may keep the demo password "
            "(also WATCHFLOOR_DEMO=1). Never for an instance with real data.",
        ),
    ] = False,
) -> None:
    """Serve the web UI and the JSON API. An instance that is not a demo does not start
    while any active user still has the demo password."""
    import uvicorn

    from watchfloor.security import users
    from watchfloor.web.app import create_app

    settings = get_settings()
    engine = _engine()
    if not (demo or settings.demo):
        with session_scope(engine) as session:
            left = users.demo_password_users(session)
        if left:
            shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
            err.print(
                f"[red]not serving: {len(left)} active user(s) still have the demo password "
                f"({shown}).[/red] Give each a password of its own "
                "(`watchfloor users password NAME`) or disable it (`watchfloor users disable "
                "NAME`); or serve a demo instance with `watchfloor serve --demo`."
            )
            raise typer.Exit(2)
    uvicorn.run(
        create_app(background=True),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
    )


@app.command("worker")
def worker(
    retrain_seconds: Annotated[
        float, typer.Option(help="How often to check whether a model should be retrained.")
    ] = 300.0,
) -> None:
    """Consume shipments from NATS JetStream (watchfloor.shipments.submit), store and score
    them, publish the results, and retrain risk models when enough outcomes are new."""
    import asyncio
    import logging

    from watchfloor import worker as worker_mod
    from watchfloor.throughput import tune_for_batches

    tune_for_batches()
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    engine = _engine()
    err.print(
        f"worker: consuming {settings.nats_subject_root}.shipments.submit from {settings.nats_url}"
    )
    try:
        asyncio.run(
            worker_mod.run(settings, engine, retrain_seconds=retrain_seconds, settle_gc=True)
        )
    except KeyboardInterrupt:
        err.print("worker stopped")


PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


def _new_password(from_stdin: bool) -> str:
    """A password from standard input (scripts), or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name, e.g. jdoe.cbp.")],
    agency: Annotated[str, typer.Option(help="Agency code, e.g. US-CBP.")],
    role: Annotated[str, typer.Option(help="viewer, analyst, officer or admin.")],
    name: Annotated[str, typer.Option(help="The person's name as pages show it.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account. The password must meet the policy (15 characters or more, not a
    known breached password, not built on the username or the agency)."""
    from watchfloor.security import users
    from watchfloor.security.service import get_agency

    password = _new_password(password_stdin)
    with session_scope(_engine()) as session:
        user = users.add_user(
            session,
            agency=get_agency(session, agency),
            username=username,
            password=password,
            role=role,
            display_name=name or None,
            actor=users.OPERATOR,
        )
        out.print(f"created {user.username} ({user.agency.code}, {user.role})")


@users_app.command("password")
def users_password(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password; every browser session of the user ends."""
    from watchfloor.security import users

    password = _new_password(password_stdin)
    with session_scope(_engine()) as session:
        users.set_password(
            session, users.get_user(session, username), password, actor=users.OPERATOR
        )
        out.print(f"new password set for {username}; their sessions have ended")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable an account: it cannot log in, and its browser sessions end at once."""
    from watchfloor.security import users

    with session_scope(_engine()) as session:
        users.set_active(session, users.get_user(session, username), False, actor=users.OPERATOR)
        out.print(f"disabled {username}")


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Enable a disabled account again."""
    from watchfloor.security import users

    with session_scope(_engine()) as session:
        users.set_active(session, users.get_user(session, username), True, actor=users.OPERATOR)
        out.print(f"enabled {username}")


@users_app.command("list")
def users_list(
    agency: Annotated[str | None, typer.Option(help="Only this agency's users.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List accounts: agency, role, whether active, and whether the demo password is left."""
    from watchfloor.security import users
    from watchfloor.security.service import get_agency

    columns = ("username", "agency", "role", "name", "active", "demo_password", "created_at")
    with session_scope(_engine()) as session:
        rows = [
            {
                "username": u.username,
                "agency": u.agency.code,
                "role": u.role,
                "name": u.display_name,
                "active": u.active,
                "demo_password": u.demo_password,
                "created_at": u.created_at.isoformat(),
            }
            for u in users.list_users(session, get_agency(session, agency) if agency else None)
        ]
    _print_rows(rows, columns, as_json)


@keys_app.command("create")
def keys_create(
    agency: Annotated[str, typer.Option(help="Agency code, e.g. US-CBP.")],
    role: Annotated[str, typer.Option(help="viewer, analyst, officer or admin.")],
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create an API key; the key is printed once and only its hash is stored."""
    from watchfloor.security.service import create_api_key, get_agency

    with session_scope(_engine()) as session:
        key = create_api_key(
            session, agency=get_agency(session, agency), role=role, label=label, actor="cli"
        )
    if as_json:
        print(json.dumps(key.__dict__))
    else:
        out.print(
            f"API key for {key.agency} ({key.role}), prefix {key.prefix}. "
            "Store it now: it is not shown again."
        )
        print(key.secret)


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="Key prefix (or the whole key).")],
) -> None:
    """Revoke an API key at once."""
    from watchfloor.security.service import revoke_api_key

    with session_scope(_engine()) as session:
        key = revoke_api_key(session, prefix, actor="cli")
        out.print(f"revoked key {key.prefix} of {key.agency.code}")


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    """List API keys (prefixes only)."""
    from watchfloor.security.service import list_api_keys

    with session_scope(_engine()) as session:
        rows = [
            {
                "prefix": k.prefix,
                "agency": k.agency.code,
                "role": k.role,
                "label": k.label,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in list_api_keys(session)
        ]
    _print_rows(rows, ("prefix", "agency", "role", "label", "created_at", "revoked_at"), as_json)


def _print_rows(
    rows: Sequence[Mapping[str, object]], columns: tuple[str, ...], as_json: bool
) -> None:
    """Rows as JSON for machines, or as a table of ``columns`` (nothing shown for None)."""
    if as_json:
        print(json.dumps(rows))
        return
    table = Table()
    for col in columns:
        table.add_column(col)
    for r in rows:
        table.add_row(*("" if r[c] is None else str(r[c]) for c in columns))
    out.print(table)


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint file (from `watchfloor audit checkpoint`) the chain must still "
            "hold; may be given more than once.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Walk the hash chain and check every event's keyed MAC (with the audit key of this
    installation), then each checkpoint given and kept: exit 1 naming the first problem."""
    from watchfloor import audit
    from watchfloor.cooperation.federation import checkpoints

    given = []
    for path in checkpoint or []:
        try:
            given.append((str(path), checkpoints.parse(json.loads(path.read_text()))))
        except (OSError, ValueError, WatchfloorError) as exc:
            err.print(f"[red]{path}[/]: not a checkpoint ({exc})")
            raise typer.Exit(2) from None
    with session_scope(_engine()) as session:
        key = audit.known_audit_key()
        result = audit.verify(session, key=key)
        kept = [("kept", cp) for cp in checkpoints.kept(session)]
        checks = [(where, cp, checkpoints.check(session, cp)) for where, cp in given + kept]
    ok = result.ok and all(c.ok for _, _, c in checks)
    if as_json:
        print(json.dumps(result.__dict__ | {"ok": ok, "checkpoints": [
            {"from": w, "seq": cp["seq"], "ok": c.ok, "reason": c.reason} for w, cp, c in checks
        ]}))  # fmt: skip
        raise typer.Exit(0 if ok else 1)
    if result.ok:
        keyed = (
            f"keyed MACs checked from event {result.keyed_from}"
            if result.macs_checked and result.keyed_from
            else "keyed MACs NOT checked (no audit key here: set WATCHFLOOR_AUDIT_KEY)"
            if not result.macs_checked
            else "no keyed events yet"
        )
        out.print(f"audit chain intact: {result.verified} events verified; {keyed}")
    else:
        err.print(
            f"audit chain BROKEN at sequence {result.first_bad_seq}: {result.reason} "
            f"({result.verified} events verified before it)"
        )
    for where, cp, c in checks:
        line = f"checkpoint {where} (event {cp['seq']}, {cp['at']}): {c.reason}"
        (out if c.ok else err).print(line if c.ok else f"[red]BROKEN[/] {line}")
    raise typer.Exit(0 if ok else 1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write it here (default: print it).")
    ] = None,
) -> None:
    """Sign a checkpoint of the chain's head with this instance's key, to publish or give to
    an oversight body: `watchfloor audit verify --checkpoint FILE` later shows whether the
    chain still holds it."""
    from watchfloor.cooperation.federation import checkpoints

    with session_scope(_engine()) as session:
        cp = checkpoints.make(session)
    text = json.dumps(cp, indent=2) + "\n"
    if out_file:
        out_file.write_text(text)
        out.print(f"checkpoint of event {cp['seq']} written to {out_file}")
    else:
        print(text, end="")


FormatOpt = Annotated[
    str | None, typer.Option("--format", help="jsonl or csv (default: by suffix).")
]
RejectsOpt = Annotated[Path | None, typer.Option(help="Where rejected records go (JSON Lines).")]
AgencyOpt = Annotated[
    str, typer.Option("--agency", help="Agency code the command acts for, e.g. US-CBP.")
]


def _bar(as_json: bool) -> Progress:
    from rich.progress import TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=as_json,
    )


@reference_app.command("load-sanctions")
def reference_load_sanctions(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Folder with OFAC's sdn.csv, alt.csv and add.csv; the shipped narcotics "
            "subset when omitted."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load the OFAC SDN list (legacy CSV triple) for party screening; same files twice is a
    no-op."""
    from importlib import resources

    from watchfloor.reference.sanctions import load_sdn

    where = folder or Path(
        str(resources.files("watchfloor.reference").joinpath("data", "sanctions"))
    )
    with _bar(as_json) as progress, session_scope(_engine()) as session:
        task = progress.add_task("sanctions entries", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        entries, changed = load_sdn(session, where, actor="cli", progress=tick)
    if as_json:
        print(json.dumps({"entries": entries, "loaded": changed, "folder": str(where)}))
    elif changed:
        out.print(f"loaded {entries} sanctions entries from {where}")
    else:
        out.print(f"sanctions list already loaded ({entries} entries)")


@shipments_app.command("import")
def shipments_import(
    file: Annotated[
        Path,
        typer.Argument(help="A .jsonl or .csv file of shipments.", exists=True, dir_okay=False),
    ],
    agency: AgencyOpt,
    fmt: FormatOpt = None,
    batch: Annotated[
        int, typer.Option(help="Shipments per transaction.", min=1, max=10_000)
    ] = 5000,
    rejects: RejectsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate, store and score a file of advance data; rejected records go to a rejects file
    with their line, field and reason. Running it again changes only what changed."""
    from watchfloor.shipments.files import import_file

    _import(import_file, "shipments", file, agency, fmt, batch, rejects, as_json)


def _import(importer, noun, file, agency, fmt, batch, rejects, as_json) -> None:
    """The body of every ``<domain> import`` command: progress, then a summary."""
    from watchfloor.security.service import get_agency, system_principal

    if fmt not in (None, "jsonl", "csv"):
        raise WatchfloorError(f"--format must be jsonl or csv, not {fmt!r}")
    engine = _engine()
    with session_scope(engine) as session:
        principal = system_principal(get_agency(session, agency))
    with _bar(as_json) as progress:
        task = progress.add_task(f"importing {file.name}", total=file.stat().st_size)
        report = importer(
            engine,
            principal,
            file,
            fmt=fmt,
            batch_size=batch,
            rejects=rejects,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        print(json.dumps(report.__dict__, default=str))
        return
    rate = report.records / report.seconds if report.seconds else 0.0
    out.print(
        f"{report.records} {noun} read in {report.seconds:.1f} s ({rate:,.0f}/s): "
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.superseded} superseded, {report.rejected} rejected"
    )
    if report.rejects_file:
        out.print(f"rejected records and their reasons: {report.rejects_file}")
        for ex in report.examples[:3]:
            reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in ex["errors"])
            out.print(f"  line {ex['line']} {ex['reference'] or ''}: {reasons}", highlight=False)


@listings_app.command("import")
def listings_import(
    file: Annotated[
        Path,
        typer.Argument(help="A .jsonl or .csv file of listings.", exists=True, dir_okay=False),
    ],
    agency: AgencyOpt,
    fmt: FormatOpt = None,
    batch: Annotated[int, typer.Option(help="Listings per transaction.", min=1, max=10_000)] = 2000,
    rejects: RejectsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Classify, extract signals from and store a file of listings; rejected records go to a
    rejects file with their line, field and reason. Running it again changes only what
    changed."""
    from watchfloor.listings.files import import_listings

    _import(import_listings, "listings", file, agency, fmt, batch, rejects, as_json)


@cooperation_app.command("import")
def cooperation_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="A .jsonl or .csv file of seizures or incidents.", exists=True, dir_okay=False
        ),
    ],
    agency: AgencyOpt,
    kind: Annotated[
        str, typer.Option(help="What the file holds: seizures or incidents.")
    ] = "seizures",
    fmt: FormatOpt = None,
    batch: Annotated[int, typer.Option(help="Records per transaction.", min=1, max=10_000)] = 2000,
    rejects: RejectsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store a file of seizures (quantities normalised to kg, doses or litres) or of precursor
    incidents, with each record's sharing policy; rejected records go to a rejects file with
    their line, field and reason. Running it again changes only what changed."""
    from watchfloor.cooperation import intake
    from watchfloor.cooperation.seizures.files import import_records

    kinds = {"seizures": intake.SEIZURES, "incidents": intake.INCIDENTS}
    if kind not in kinds:
        raise WatchfloorError(f"--kind must be seizures or incidents, not {kind!r}")

    importer = functools.partial(import_records, kind=kinds[kind])
    _import(importer, kind, file, agency, fmt, batch, rejects, as_json)


@shipments_app.command("train")
def shipments_train(
    agency: AgencyOpt, seed: Annotated[int, typer.Option()] = 0, as_json: JsonOpt = False
) -> None:
    """Train a new version of the agency's risk model from its recorded inspection outcomes."""
    from watchfloor.security.service import get_agency, system_principal
    from watchfloor.shipments.service import train_model

    with session_scope(_engine()) as session:
        principal = system_principal(get_agency(session, agency))
        with err.status("training gradient boosting on inspection outcomes"):
            row = train_model(session, principal, seed=seed)
        info = {
            "version": row.version,
            "outcomes": row.n_outcomes,
            "seizures": row.n_positive,
            "metrics": json.loads(row.metrics),
        }
    if as_json:
        print(json.dumps(info))
    else:
        out.print(
            f"trained {info['version']} on {info['outcomes']} outcomes "
            f"({info['seizures']} seizures)"
        )
        out.print(f"held-out metrics: {info['metrics']}")
        out.print(info["metrics"].get("decision", ""))


@demo_app.command("shipments")
def demo_shipments(
    n: Annotated[int, typer.Option("--n", help="How many shipments.", min=1)] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 1,
    out_file: Annotated[Path, typer.Option("--out", help="JSON Lines file to write.")] = Path(
        "shipments.jsonl"
    ),
    truth: Annotated[
        Path | None, typer.Option(help="Ground truth file (default: <out>.truth.csv).")
    ] = None,
    destination: Annotated[str, typer.Option(help="Destination country.")] = "US",
    agency: Annotated[str | None, typer.Option(help="Agency code written in each record.")] = None,
    office: Annotated[list[str] | None, typer.Option(help="Office codes to spread over.")] = None,
    risky_share: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.005,
) -> None:
    """Write realistic synthetic advance data, with planted risky cases and benign
    look-alikes; the ground truth goes to a separate file that scoring never reads."""
    from watchfloor.shipments.generator import ShipmentGenerator

    truth = truth or out_file.with_name(out_file.name + ".truth.csv")
    gen = ShipmentGenerator(
        seed,
        destination=destination.upper(),
        agency=agency,
        offices=tuple(office or ()),
        risky_share=risky_share,
        lookalike_share=risky_share,
    )
    risky = 0
    with (
        _bar(False) as progress,
        open(out_file, "wb") as fh,
        open(truth, "w", encoding="utf-8") as th,
    ):
        task = progress.add_task(f"generating {out_file.name}", total=n)
        th.write("reference,risky,kind,detail\n")
        for i in range(n):
            record, t = gen.make(i)
            fh.write(orjson.dumps(record) + b"\n")
            th.write(
                f'{t.reference},{int(t.risky)},{t.kind},"{t.detail.replace(chr(34), chr(39))}"\n'
            )
            risky += t.risky
            if i % 2000 == 0:
                progress.update(task, completed=i)
        progress.update(task, completed=n)
    out.print(f"wrote {n} shipments ({risky} planted risky cases) to {out_file}; truth in {truth}")


def main() -> None:
    """Entry point: turn expected failures into one clear line and exit status 2."""
    try:
        get_settings()
        wiring.connect()
        app()
    except (ConfigError, DatabaseUnavailable, WatchfloorError) as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        for problem in getattr(exc, "problems", ()):  # each field and reason, a line each
            err.print(f"  {problem.field}: {problem.reason}", highlight=False, markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
