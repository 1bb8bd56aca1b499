"""Pages under a strict Content-Security-Policy in Chromium: every chart still draws, the live
tables still poll, nothing the pages need is refused, and a script that was not served as a
file does not run."""

from __future__ import annotations

import re

import pytest

from tests.helpers import login

pytestmark = pytest.mark.e2e

# the pages with charts or live updates, and who may read them
PAGES = {
    "us.cbp.analyst": ["/", "/alerts", "/shipments", "/shipments/model", "/warning",
                       "/cooperation", "/listings/watch"],
    "us.dea.analyst": ["/warning", "/cooperation/notifications"],
}  # fmt: skip


def test_pages_draw_and_poll_with_no_inline_script(server: str, chromium) -> None:  # type: ignore[no-untyped-def]
    refused: list[str] = []
    drawn = 0
    for user, paths in PAGES.items():
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: "Content Security" in m.text and refused.append(m.text))
        login(page, server, user)
        for path in paths:
            answer = page.goto(server + path)
            assert answer is not None and answer.status == 200, path
            csp = answer.headers["content-security-policy"]
            scripts = csp.split("script-src")[1].split(";")[0]
            assert scripts.strip() == "'self'", csp
            # no executable inline <script> left in what the server sent
            html = answer.text()
            inline = re.findall(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", html)
            assert inline == [], (path, inline)
            for chart in page.locator("div[data-chart]").all():
                chart.locator(".main-svg").first.wait_for(timeout=15_000)
                drawn += 1
            # markup that got into a page cannot run: the policy refuses an inline script
            ran = page.evaluate(
                "() => { const s = document.createElement('script');"
                " s.textContent = 'window.__injected = 1'; document.body.append(s);"
                " return window.__injected === 1; }"
            )
            assert ran is False, path
        # the live tables and the dashboard asked the API for news, and were answered
        with page.expect_response(lambda r: "/api/v1/dashboard" in r.url, timeout=15_000) as news:
            page.goto(server + "/")
        assert news.value.status == 200
        context.close()
    assert drawn >= 8
    # the only refusals are of the scripts this test injected, one per page
    assert len(refused) == sum(map(len, PAGES.values())), refused
