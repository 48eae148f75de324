"""Signing in to the web pages: server-side sessions and the calendar feed's secret URL.

A session's token lives only in the browser's cookie; the database keeps its SHA-256, so a
leaked database signs nobody in. Sessions run on the wall clock (``now`` is passed in), not
on the sandbox clock that tests and demos move by weeks.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from refundkit.domain.errors import Unauthenticated
from refundkit.domain.roles import PEOPLE_ROLES
from refundkit.service import transactions
from refundkit.service.deps import Deps
from refundkit.service.identity_text import email_key
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User
from refundkit.service.web_ports import WebSession

SESSION_LIFETIME = timedelta(hours=12)
PasswordCheck = Callable[[str | None, str], bool]
"""(stored hash or None, typed password) -> whether they match; spends the same time on None."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    deps: Deps, email: str, password: str, check: PasswordCheck, now: datetime
) -> tuple[str, WebSession]:
    """A new session for the person with this email and password: (cookie token, session)."""
    email = email_key(email)
    user = transactions.run(deps, lambda uow: uow.users.by_email(email), readonly=True)
    stored = user.password_hash if user is not None else None
    matches = check(stored, password)
    if user is None or not matches or user.role not in PEOPLE_ROLES:
        raise Unauthenticated("the email or the password is wrong", field="email")
    token = secrets.token_urlsafe(32)
    session = WebSession(user, secrets.token_urlsafe(32), now + SESSION_LIFETIME)

    def store(uow: UnitOfWork) -> None:
        uow.sessions.remove_expired(now)
        uow.sessions.add(token_hash(token), user.id, session.csrf_token, now, session.expires_at)

    transactions.run(deps, store)
    return token, session


def current_session(deps: Deps, token: str, now: datetime) -> WebSession | None:
    found = transactions.run(deps, lambda uow: uow.sessions.get(token_hash(token)), readonly=True)
    if found is None or found.expires_at <= now:
        return None
    return found


def sign_out(deps: Deps, token: str) -> None:
    transactions.run(deps, lambda uow: uow.sessions.remove(token_hash(token)))


def new_feed_token(deps: Deps, user: User) -> str:
    """A fresh secret for the user's calendar feed URL; the previous URL stops working."""
    token = secrets.token_urlsafe(24)
    transactions.run(
        deps, lambda uow: uow.sessions.set_feed_token(user.id, token_hash(token), deps.clock.now())
    )
    return token


def feed_user(deps: Deps, token: str) -> User:
    user = transactions.run(
        deps, lambda uow: uow.sessions.user_by_feed_token(token_hash(token)), readonly=True
    )
    if user is None:
        raise Unauthenticated("this calendar address is unknown or was replaced")
    return user


def has_feed(deps: Deps, user: User) -> bool:
    return transactions.run(deps, lambda uow: uow.sessions.has_feed_token(user.id), readonly=True)
