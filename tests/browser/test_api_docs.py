"""/docs in Chromium (issue 20, item 11): Swagger UI comes from this site only and runs
under the page's Content-Security-Policy; no request leaves for another origin."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def test_the_api_docs_render_from_this_site_under_their_csp(browser: Any, site: str) -> None:
    context = browser.new_context(base_url=site)
    context.set_default_timeout(20_000)
    page = context.new_page()
    origins: set[str] = set()
    problems: list[str] = []
    page.on("request", lambda r: origins.add(urlsplit(r.url).netloc))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    answer = page.goto("/docs")
    assert answer is not None and answer.status == 200
    page.wait_for_selector(".opblock-tag", state="attached")
    assert page.locator(".opblock").count() > 40  # every operation listed
    assert page.get_by_text("/v1/orders", exact=True).count() > 0
    assert origins == {urlsplit(site).netloc}, origins
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    context.close()
