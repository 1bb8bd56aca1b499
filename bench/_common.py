"""Helpers shared by the benchmarks: scratch databases and a prepared Watchfloor schema."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench"


def pg_server() -> str | None:
    """The PostgreSQL server to benchmark on: WATCHFLOOR_BENCH_PG_URL, else the test server
    that `make bench` starts or finds (WATCHFLOOR_TEST_PG_URL)."""
    return os.environ.get("WATCHFLOOR_BENCH_PG_URL") or os.environ.get("WATCHFLOOR_TEST_PG_URL")


@contextmanager
def scratch_database(server: str | None) -> Iterator[str]:
    """A throw-away database: a temporary SQLite file, or a new database on ``server``."""
    if server is None:
        # removed afterwards: a million shipments leave about a gigabyte, whose writeback
        # would otherwise compete with the next measurement
        with tempfile.TemporaryDirectory(prefix="watchfloor-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"wf_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def served(url: str, **env: str) -> Iterator[str]:
    """A real `watchfloor serve` process on ``url``'s database (and the given WATCHFLOOR_
    settings), answering at the base address this yields; stopped afterwards."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
    clean.update(WATCHFLOOR_DATABASE_URL=url, WATCHFLOOR_NOTICE_CHECK_SECONDS="0", **env)
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("watchfloor")), "serve", "--demo", "--port", str(port)],
        env=clean,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def added_in(path: Path) -> str | None:
    """The commit that added ``path`` (an evaluation set): the code of that commit is the
    baseline a change to the code is measured against. None outside a git checkout."""
    import subprocess

    try:
        got = subprocess.run(
            ["git", "log", "--diff-filter=A", "--format=%H", "--", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    return got[-1] if got else None


def json_at(rev: str, script: str, *args: str) -> Any:
    """Run ``script`` (this checkout's, with ``args``) on the code of revision ``rev``, from
    a temporary git worktree, and read the JSON it prints last: a baseline measured in the
    same run, on the same data, by the code as it was."""
    import json
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(prefix="watchfloor-base-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT,
                       check=True, capture_output=True)  # fmt: skip
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
            env["PYTHONPATH"] = str(tree / "src")
            done = subprocess.run([sys.executable, script, *args], env=env, capture_output=True,
                                  text=True, check=True)  # fmt: skip
            return json.loads(done.stdout.splitlines()[-1])
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           check=False)  # fmt: skip


@contextmanager
def demo_engine(prefix: str = "watchfloor-demo-") -> Iterator[Any]:
    """A scratch SQLite database with the schema, the catalogue and the demo (without
    listings): the instance an officer meets, for measuring what it says."""
    from watchfloor.db import build_engine, session_scope
    from watchfloor.demo import load_demo
    from watchfloor.migrate import upgrade
    from watchfloor.reference.loader import load_catalogue

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        engine = build_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        upgrade(engine)
        with session_scope(engine) as s:
            load_catalogue(s)
        with session_scope(engine) as s:
            load_demo(s, with_listings=False)
        try:
            yield engine
        finally:
            engine.dispose()


def baseline_of(args: Any, evaluation_set: Path, script: str, *extra: str) -> tuple[str, Any]:
    """The revision to compare with (``--baseline``, else the commit that added the set) and
    the JSON the script prints there (given ``extra`` arguments too); ("", None) with
    ``--no-baseline`` or outside git."""
    if args.no_baseline:
        return "", None
    rev = args.baseline or added_in(evaluation_set) or ""
    return rev, json_at(rev, script, "--json", "--no-baseline", *extra) if rev else None
