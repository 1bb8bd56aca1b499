"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, each in its own database.

A template database per backend and flavour ("empty": migrated; "demo": migrated, reference
catalogue and demo scenario loaded) is built once per run with the real migrations and loaders;
each test gets a fresh copy (a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE`` for
PostgreSQL), so tests are isolated and cheap.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from watchfloor import wiring
from watchfloor.db import build_engine, session_scope, wait_for_statistics
from watchfloor.migrate import upgrade

wiring.connect()  # as every entry point does

BACKENDS = ("sqlite", "postgresql")
ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def pg_admin_url() -> str | None:
    return os.environ.get("WATCHFLOOR_TEST_PG_URL") or None


def _with_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _pg_admin_engine() -> Engine:
    return create_engine(pg_admin_url(), isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]


def _fill(url: str, flavour: str) -> None:
    engine = build_engine(url)
    try:
        upgrade(engine)
        if flavour == "demo":
            from watchfloor.demo import load_demo
            from watchfloor.reference.loader import load_catalogue

            with session_scope(engine) as s:
                load_catalogue(s)
            with session_scope(engine) as s:
                # the demo listings have a test of their own (tests/listings/test_demo.py);
                # the other tests count listings from a clean slate
                load_demo(s, with_listings=False)
    finally:
        wait_for_statistics()  # their connections would stop the copy of the template
        engine.dispose()


class Templates:
    """Builds each template database once per run, on first use, and drops them at the end.

    Under pytest-xdist the workers of a run share the templates: the first worker to need
    one builds it under a file lock and leaves a marker; the others wait and copy it. The
    controller drops them when the run ends (``pytest_sessionfinish``)."""

    def __init__(self, workdir: Path, run_id: str) -> None:
        self.workdir = workdir
        self.urls: dict[tuple[str, str], str] = {}
        self.run_id = run_id

    def _build(self, backend: str, flavour: str) -> str:
        if backend == "sqlite":
            path = self.workdir / f"template-{flavour}.db"
            url = f"sqlite:///{path}"
            _fill(url, flavour)
            return url
        name = f"wf_tpl_{flavour}_{self.run_id}"
        admin = _pg_admin_engine()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = _with_db(pg_admin_url(), name)  # type: ignore[arg-type]
        _fill(url, flavour)
        return url

    def get(self, backend: str, flavour: str, locked: Callable[[], None] | None = None) -> str:
        key = (backend, flavour)
        if key not in self.urls:
            ready = self.workdir / f"{backend}-{flavour}.ready"
            with open(self.workdir / f"{backend}-{flavour}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                if locked is not None:
                    locked()
                if not ready.exists():
                    ready.write_text(self._build(backend, flavour))
            self.urls[key] = ready.read_text()
        return self.urls[key]


def _run_id() -> str:
    """One id per test run, shared with xdist's workers through the environment."""
    return os.environ.setdefault("WATCHFLOOR_TEST_RUN", uuid.uuid4().hex[:8])


def _shared_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"watchfloor-tests-{_run_id()}"
    path.mkdir(exist_ok=True)
    return path


def pytest_configure(config: pytest.Config) -> None:
    _run_id()  # before xdist starts its workers, so that they inherit it
    # the suite runs three workers on two cores: an OpenMP pool per process (scikit-learn's
    # gradient boosting) as wide as the machine spins on cores the others need; one thread
    # each took the training tests from 25 s to 9 s. The workers and the commands the tests
    # start inherit it; a value set outside is kept.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


_builders: list[subprocess.Popen[str]] = []


def _prebuild(backend: str) -> None:
    """Build ``backend``'s demo template: run by the controller in a process of its own."""

    def locked() -> None:
        print("locked", flush=True)
        os.dup2(2, 1)  # nothing more on the pipe, which nobody reads from now on

    Templates(_shared_dir(), _run_id()).get(backend, "demo", locked)


def pytest_sessionstart(session: pytest.Session) -> None:
    """A whole run on xdist's workers starts building the demo templates at once, one process
    a backend, while the workers run what needs none: otherwise the first tests to need one
    wait together for the one worker that builds it (a minute each on two cores)."""
    config = session.config
    if os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "numprocesses", 0):
        return
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return  # tests chosen by hand may need no template
    for backend in BACKENDS:
        if backend == "postgresql" and not pg_admin_url():
            continue
        code = f"from tests.conftest import _prebuild; _prebuild({backend!r})"
        builder = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        # once it holds the template's lock the workers wait for it; if it fails first, the
        # first worker to need the template builds it (and reports why it cannot)
        builder.stdout.readline()  # type: ignore[union-attr]
        _builders.append(builder)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` go first: xdist hands tests out in this order, and one that
    starts in the run's last minutes keeps it waiting on a single worker after the others
    are done (the API fuzz test, collected last, ran alone for a minute at the end)."""
    # and of those, the ones that need no database first: the others wait while the first
    # worker to need a template database builds it
    items.sort(
        key=lambda item: (item.get_closest_marker("slow") is None, "backend" in item.fixturenames)
    )
    unmarked = [i.nodeid for i in items if "/e2e/" in i.nodeid and not i.get_closest_marker("e2e")]
    if unmarked:  # make test-fast leaves e2e out by its marker: none may slip through
        raise pytest.UsageError(f"browser and multi-process tests need the e2e marker: {unmarked}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller cleans up once every worker is done
    for builder in _builders:
        builder.wait()
    if pg_admin_url():
        admin = _pg_admin_engine()
        with admin.connect() as c:
            names = c.scalars(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": f"wf_tpl_%_{_run_id()}"},
            ).all()
            for name in names:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    shutil.rmtree(_shared_dir(), ignore_errors=True)


@pytest.fixture(scope="session")
def templates() -> Templates:
    return Templates(_shared_dir(), _run_id())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not pg_admin_url():
        pytest.skip("no PostgreSQL: set WATCHFLOOR_TEST_PG_URL (make test does)")
    return request.param


@pytest.fixture
def make_db(backend: str, templates: Templates, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Return a function that creates a fresh database of a flavour and gives its URL."""
    created: list[str] = []

    def make(flavour: str = "demo") -> str:
        template = templates.get(backend, flavour)
        if backend == "sqlite":
            path = tmp_path / f"{flavour}-{uuid.uuid4().hex[:6]}.db"
            shutil.copyfile(make_url(template).database, path)  # type: ignore[arg-type]
            return f"sqlite:///{path}"
        name = f"wf_t_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin_engine()
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"'))
        admin.dispose()
        created.append(name)
        return _with_db(pg_admin_url(), name)  # type: ignore[arg-type]

    yield make
    if created:
        admin = _pg_admin_engine()
        with admin.connect() as c:
            for name in created:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db_url(make_db: Callable[[str], str]) -> str:
    """A fresh database with the schema, the reference catalogue and the demo scenario."""
    return make_db("demo")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = build_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    s = Session(engine, expire_on_commit=False)
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def client(engine: Engine) -> Iterator:  # type: ignore[type-arg]
    from fastapi.testclient import TestClient

    from watchfloor.web.app import create_app

    with TestClient(create_app(engine)) as c:
        yield c
