"""A database that is not there gives 503 with a one-line reason, never a 500."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from watchfloor.db import build_engine
from watchfloor.web.app import create_app


def test_a_database_that_is_gone_gives_503_with_one_line(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'wf.db'}")
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        client.cookies.set("wf_session", "a-session-token-the-database-would-know")
        for _ in range(2):  # and the next request is answered the same way
            r = client.get("/api/v1/reference/substances?q=x")
            assert r.status_code == 503, r.text
            body = r.json()
            assert body["title"] == "Database unavailable"
            assert body["detail"].startswith("the database did not answer: ")
            assert "\\n" not in body["detail"] and "Traceback" not in r.text
            assert r.headers["retry-after"] == "5"
