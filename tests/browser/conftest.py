"""Browser tests: Debian's Chromium driven by Playwright against a live refundkit (SQLite and
PostgreSQL, like every integration test). Without /usr/bin/chromium they are skipped with one
line saying so, or fail when REFUNDKIT_REQUIRE_BROWSER=1."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e.live_server import live_server
from market import Market
from refundkit.adapters.passwords import hash_password
from refundkit.service.records import User

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REFUNDKIT_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PASSWORD = "correct horse battery staple"

if not CHROMIUM.exists() and not REQUIRE_BROWSER:
    # Not collected at all: the run says so in one line (the header and the summary, from
    # tests/conftest.py), instead of one skip per test.
    collect_ignore_glob = ["test_*.py"]
PHONE, DESKTOP = {"width": 375, "height": 800}, {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if REQUIRE_BROWSER:
            pytest.fail(
                f"the browser tests need Chromium at {CHROMIUM} (REFUNDKIT_REQUIRE_BROWSER=1)"
            )
        pytest.skip(f"no Chromium at {CHROMIUM}: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(market: Market) -> Iterator[str]:
    with live_server(market.rt) as base:
        yield base


@pytest.fixture
def sign_in(browser: Any, site: str, market: Market) -> Iterator[Callable[..., Any]]:
    """``sign_in(user)`` -> a page of a fresh browser context, signed in through the form."""
    contexts: list[Any] = []

    def open_as(user: User, viewport: dict[str, int] = DESKTOP) -> Any:
        market.tx(lambda uow: uow.users.set_password_hash(user.id, hash_password(PASSWORD)))
        context = browser.new_context(viewport=viewport, base_url=site)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def advance_clock(site: str) -> Callable[..., None]:
    """Move the sandbox clock through the platform's API, as a shop's test suite would."""

    def advance(**delta: int) -> None:
        answer = httpx.post(f"{site}/v1/sandbox/clock/advance", json=delta,
                            headers={"Authorization": "Bearer pk_test"}, timeout=60)  # fmt: skip
        assert answer.status_code == 200, answer.text

    return advance
