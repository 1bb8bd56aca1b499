"""A 500 is answered by the app itself, on a real uvicorn server: the client's keep-alive
connection stays open and its next request is answered."""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path

import uvicorn

from tests.helpers import free_port
from watchfloor.db import Base, build_engine
from watchfloor.web.app import create_app


def test_the_request_after_a_500_is_answered_on_the_same_connection(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'wf.db'}")
    Base.metadata.create_all(engine)
    app = create_app(engine)

    @app.get("/test-broken")
    def broken() -> None:  # a bug in some endpoint, as the server meets it
        raise RuntimeError("a bug")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(2):
            conn.request("GET", "/test-broken")
            failed = conn.getresponse()
            body = failed.read().decode()
            assert failed.status == 500 and "a bug" not in body and "request id" in body
            assert failed.getheader("connection") != "close"
            sock = conn.sock
            conn.request("GET", "/healthz")  # the same socket: http.client reconnects silently
            ok = conn.getresponse()
            assert ok.status == 200, ok.read()
            ok.read()
            assert conn.sock is sock, "the server closed the connection after the 500"
        conn.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
