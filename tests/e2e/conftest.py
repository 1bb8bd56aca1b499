"""A real server process and a real headless Chromium for the browser tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")},
        "WATCHFLOOR_DATABASE_URL": db_url,
    }
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("watchfloor")), "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
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


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

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
        try:
            yield browser
        finally:
            browser.close()
