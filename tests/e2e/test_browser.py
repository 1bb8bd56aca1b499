"""A person logs in, sees the dashboard and logs out, in a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OUTPUT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")},
        "WATCHFLOOR_DATABASE_URL": db_url,
    }
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("watchfloor")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    output = proc.stdout.read() if proc.stdout else ""
                    raise AssertionError(f"server died: {output}") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_login_dashboard_logout(server: str, backend: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.goto(server + "/")
        assert page.locator("h1").inner_text() == "Log in"
        page.fill("#username", "mx.anam.officer")
        page.fill("#password", "watchfloor-demo")
        page.click("#login")
        page.wait_for_selector("text=Dashboard")
        nav = page.locator("nav[aria-label=Capabilities] a").all_inner_texts()
        assert nav[:4] == ["Shipments", "Online sales", "Cooperation", "Early warning"]
        assert int(page.locator("#seizures-visible").inner_text()) >= 4
        page.screenshot(path=str(shots / f"dashboard-{backend}.png"), full_page=True)
        page.click("nav >> text=Cooperation")
        page.wait_for_selector("#seizures")
        assert "ANAM-2026-0412" in page.content()
        assert "FIOD-2026-17" not in page.content()
        page.screenshot(path=str(shots / f"cooperation-{backend}.png"), full_page=True)
        page.click("#logout")
        page.wait_for_selector("#login")
        page.goto(server + "/")
        assert page.locator("h1").inner_text() == "Log in"
        browser.close()
