"""Signing a person in to the pages for an in-process HTTP test, and reading a form's token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from market import Market
from refundkit.adapters.passwords import hash_password, verify_password
from refundkit.entrypoints.api.app import create_app
from refundkit.entrypoints.web.session import COOKIE, wall_now
from refundkit.service import web_sessions
from refundkit.service.records import User

PASSWORD = "a long enough password"


def signed_in(market: Market, user: User, **app: object) -> TestClient:
    market.tx(lambda uow: uow.users.set_password_hash(user.id, hash_password(PASSWORD)))
    client = TestClient(create_app(market.deps, **app), raise_server_exceptions=False)  # type: ignore[arg-type]
    token, _ = web_sessions.sign_in(market.deps, user.email, PASSWORD, verify_password, wall_now())
    client.cookies.set(COOKIE, token)
    return client


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)
