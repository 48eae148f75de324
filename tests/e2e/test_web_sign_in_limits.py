"""Password guessing is slowed (docs/web.md "Signing in"), on SQLite and PostgreSQL: 5
failed sign-ins for one email from one address within 15 minutes hold that pair back (429,
``Retry-After``, a readable message) even with the right password, until the oldest failure
has left the window. The count is in the database, so two API processes share it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from api_client import snapshot
from fastapi.testclient import TestClient
from web_client import PASSWORD

from market import Market
from refundkit.adapters.passwords import hash_password
from refundkit.domain.errors import RateLimited
from refundkit.entrypoints.api.app import create_app
from refundkit.entrypoints.bootstrap import Runtime, build
from refundkit.service import sign_in_limits, transactions

T0 = datetime(2026, 11, 2, 9, 0, 20, tzinfo=UTC)


def _attempt(market: Market, email: str, address: str, at: datetime) -> int | None:
    """None when the attempt may go ahead (and is counted), else the seconds to wait."""
    try:
        transactions.run(market.deps, lambda uow: sign_in_limits.attempt(uow, email, address,
                                                                         at))  # fmt: skip
    except RateLimited as exc:
        seconds: int = exc.extra["retry_after"]
        return seconds
    return None


def test_the_sixth_try_waits_until_the_first_failure_has_left_the_window(
    market: Market,
) -> None:
    for minute in range(5):
        assert _attempt(market, "ana@t.io", "10.0.0.1", T0 + timedelta(minutes=minute)) is None
    at = T0 + timedelta(minutes=5)
    # Counted by the minute: the first failure (09:00:20) counts until 09:16:00.
    wait = _attempt(market, " ANA@t.io", "10.0.0.1", at)
    assert wait == (datetime(2026, 11, 2, 9, 16, tzinfo=UTC) - at).total_seconds()
    # A refused try is not counted: the pair is free again once that first failure is out.
    assert _attempt(market, "ana@t.io", "10.0.0.1", at + timedelta(seconds=wait - 1)) == 1
    assert _attempt(market, "ana@t.io", "10.0.0.1", at + timedelta(seconds=wait)) is None
    assert _attempt(market, "ana@t.io", "10.0.0.1", at + timedelta(seconds=wait)) is not None


def test_another_address_or_email_is_not_held_back_and_a_success_clears_the_count(
    market: Market,
) -> None:
    for _ in range(5):
        assert _attempt(market, "ana@t.io", "10.0.0.1", T0) is None
    assert _attempt(market, "ana@t.io", "10.0.0.1", T0) is not None
    assert _attempt(market, "ana@t.io", "10.0.0.2", T0) is None  # the buyer elsewhere
    assert _attempt(market, "ben@t.io", "10.0.0.1", T0) is None
    transactions.run(market.deps, lambda uow: sign_in_limits.succeeded(uow, "ana@t.io",
                                                                       "10.0.0.1", T0))  # fmt: skip
    assert _attempt(market, "ana@t.io", "10.0.0.1", T0) is None
    # Neither the email nor the address is stored in the clear.
    stored = repr(snapshot(market.rt.engine)["rate_limit_counters"])
    assert stored.count("sign_in_failed") == 3  # ana from .1 again, ana from .2, ben
    assert "ana@t.io" not in stored and "10.0.0" not in stored and "ben@" not in stored


@pytest.fixture
def second_process(database_url: str, runtime: Runtime) -> Iterator[Runtime]:
    """Another API process on the same database: its own engine and its own app."""
    other = build(url=database_url, sandbox=True, migrate=False)
    yield other
    other.close()


def _sign_in(client: TestClient, email: str, password: str) -> tuple[int, str, str | None]:
    form = client.get("/sign-in")
    token = re.search(r'name="sign_in_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post("/sign-in", follow_redirects=False, data={
        "sign_in_token": token.group(1), "email": email, "password": password})  # fmt: skip
    return answer.status_code, answer.text, answer.headers.get("retry-after")


def test_two_api_processes_share_one_count(market: Market, second_process: Runtime) -> None:
    market.tx(lambda uow: uow.users.set_password_hash(market.buyer.id, hash_password(PASSWORD)))
    first = TestClient(create_app(market.deps), raise_server_exceptions=False)
    second = TestClient(create_app(second_process.deps), raise_server_exceptions=False)
    email = market.buyer.email
    tried = [_sign_in((first, second)[n % 2], email, "wrong")[0] for n in range(5)]
    assert tried == [401] * 5  # 3 on one process, 2 on the other
    for client in (first, second):
        status, page, retry_after = _sign_in(client, email, PASSWORD)
        assert status == 429
        assert retry_after is not None and 0 < int(retry_after) <= 16 * 60
        assert "too many failed sign-ins: try again in" in page
        assert page.count("<form") >= 1 and email in page  # the form again, email kept


def test_any_rate_limit_on_a_page_is_a_429_page_saying_when_to_retry(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web_client import signed_in

    from refundkit.service import page_views

    def limited(*args: object, **kwargs: object) -> None:
        raise RateLimited("at most 5 dispute opened per hour for one account; try again in "
                          "30 seconds", retry_after=30, limit=5)  # fmt: skip

    order = market.paid()
    client = signed_in(market, market.buyer)
    monkeypatch.setattr(page_views, "order_page", limited)
    answer = client.get(f"/orders/{order.id}")
    assert (answer.status_code, answer.headers.get("retry-after")) == (429, "30")
    assert answer.headers["content-type"].startswith("text/html")
    assert "try again in 30 seconds" in answer.text
