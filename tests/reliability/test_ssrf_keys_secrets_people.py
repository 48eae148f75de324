"""Probes of the security review of issue 20 (items 2, 6, 9 and 12), kept as regression
tests: webhook SSRF, platform key rotation, secrets at rest and in logs, look-alike people
(docs/reliability.md lists them)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from api_client import Api, api_fixture, assert_problem  # noqa: F401
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from refundkit.adapters.db import tables
from refundkit.domain.errors import RateLimited, RefundkitError
from refundkit.domain.webhooks import WebhookEndpoint
from refundkit.entrypoints.api.app import create_app
from refundkit.entrypoints.bootstrap import Runtime, build
from refundkit.entrypoints.cli.main import app
from refundkit.service import sign_in_limits, transactions, webhooks
from refundkit.service.records import User
from refundkit.service.users import ensure_platform_key
from webhook_receiver import receiver

# --- item 12: look-alike people ------------------------------------------------------------

LOOK_ALIKES = [
    {"email": "\u0430na@e2e.test"},  # CYRILLIC SMALL LETTER A (U+0430) before Latin "na"
    {"email": "ana@ex\u0430mple.test"},  # U+0430 in the domain
    {"email": "ana\u202e@e2e.test"},  # a right-to-left override
    {"email": "an\u200ba@e2e.test"},  # a zero-width space
    {"name": "Ana\u202eevil"},
    {"name": "\u2067Ana"},  # a right-to-left isolate
    {"name": "\u0410na Smith"},  # CYRILLIC CAPITAL LETTER A (U+0410) in a Latin word
    {"name": "Jean-P\u0456erre"},  # a Ukrainian i (U+0456) among Latin letters
]


@pytest.mark.parametrize("change", LOOK_ALIKES, ids=repr)
def test_look_alike_and_bidi_people_are_refused_by_the_api(
    api: Api, change: dict[str, str]
) -> None:
    """Found by the security probe: a Cyrillic homoglyph email and a name with a
    right-to-left override were created as any other user."""
    body = {"role": "buyer", "name": "Ana", "email": "ana@e2e.test", "country": "DE", **change}
    before = api.snapshot()
    problem = assert_problem(api.post("/v1/users", body), 422, "validation_error")
    assert problem["field"] == next(iter(change)), problem
    assert api.snapshot() == before


def test_names_and_emails_are_stored_in_nfkc_and_real_scripts_pass(api: Api) -> None:
    made = api.post("/v1/users", {"role": "buyer", "name": "\uff21na", "country": "DE",
                                  "email": "\uff21NA@E2E.test"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["email"]) == ("Ana", "ana@e2e.test")
    # The same address spelt in full-width letters is the same address: taken.
    again = api.post("/v1/users", {"role": "buyer", "name": "Ana", "country": "DE",
                                   "email": "ana@e2e.test"})  # fmt: skip
    assert_problem(again, 409, "conflict")
    for name, email in (("Мария Иванова", "мария@почта.рф"), ("山田たろう", "yamada@e2e.test"),
                        ("Анна Smith", "anna@e2e.test"), ("Zoë O'Brien", "zoe@e2e.test"),
                        ("محمد", "mohammed@e2e.test")):  # fmt: skip
        answer = api.post("/v1/users", {"role": "seller", "name": name, "email": email,
                                        "country": "DE"})  # fmt: skip
        assert answer.status_code == 201, answer.text
        assert answer.json()["name"] == name


def test_look_alike_people_are_refused_by_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFUNDKIT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    for name, email in (("Ana", "\u0430na@example.io"), ("Ana\u202eevil", "ana@example.io")):
        result = runner.invoke(app, ["users", "create", "--role", "buyer", "--name", name,
                                     "--email", email, "--country", "DE"])  # fmt: skip
        assert result.exit_code != 0, result.output
        assert "look-alike" in result.output or "bidirectional" in result.output, result.output


# --- item 2: SSRF through webhook endpoints -------------------------------------------------

SSRF_URLS = ["http://127.1:5432/", "http://2130706433/", "http://0.0.0.0:8000/",
             "http://[::1]/", "http://localhost:8000/", "http://[::ffff:127.0.0.1]/",
             "http://10.0.0.1/", "http://[fd00::1]/", "http://[fe80::1]/",
             "http://169.254.169.254/latest/meta-data/"]  # fmt: skip


@pytest.fixture
def production(database_url: str) -> Iterator[Runtime]:
    """The same database served outside the sandbox (no loopback receivers)."""
    rt = build(url=database_url, sandbox=False, migrate=False)
    yield rt
    rt.close()


def test_internal_webhook_targets_are_refused_outside_the_sandbox(
    api: Api, production: Runtime
) -> None:
    """Found by the security probe: every spelling of loopback, private, link-local and
    metadata addresses was accepted as a webhook endpoint, in every mode."""
    client = TestClient(create_app(production.deps), raise_server_exceptions=False)
    before = api.snapshot()
    for url in SSRF_URLS:
        answer = client.post("/v1/webhook-endpoints", json={"url": url, "events": ["*"]},
                             headers={"Authorization": f"Bearer {api.platform_key}"})  # fmt: skip
        assert_problem(answer, 422, "validation_error")
    assert api.snapshot() == before


def test_a_delivery_outside_the_sandbox_never_reaches_loopback(
    api: Api, production: Runtime
) -> None:
    """Registered in the sandbox (loopback allowed), then served outside it: the delivery
    is vetted again and refused, and the attempt log names no connect error or status."""
    with receiver() as shop:
        made = api.post("/v1/webhook-endpoints", {"url": shop.url, "events": ["order.*"]})
        assert made.status_code == 201, made.text
        api.pay(api.create_order(api.user("buyer"), api.user("seller", "CN"))["id"])
        webhooks.relay(production.deps)
        assert production.deps.webhook_sender is not None
        assert webhooks.send_due(production.deps, production.deps.webhook_sender) >= 1
    assert shop.got == []
    log = api.get(f"/v1/webhook-endpoints/{made.json()['id']}/deliveries").json()["data"]
    errors = {attempt["error"] for d in log for attempt in d["attempt_log"]}
    assert len(errors) == 1 and "resolve" in errors.pop()


# --- item 6: a rotated platform key keeps working -------------------------------------------


def _me(rt: Runtime, key: str) -> int:
    client = TestClient(create_app(rt.deps), raise_server_exceptions=False)
    return client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code


def test_a_restart_with_a_new_platform_key_revokes_the_old_one(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the security probe: restarted with a new REFUNDKIT_PLATFORM_KEY, the
    service took both the old and the new key."""
    monkeypatch.setenv("REFUNDKIT_PLATFORM_KEY", "pk_old_platform_key")
    first = build(url=database_url, sandbox=True, migrate=False)
    assert _me(first, "pk_old_platform_key") == 200
    first.close()
    monkeypatch.setenv("REFUNDKIT_PLATFORM_KEY", "pk_new_platform_key")
    second = build(url=database_url, sandbox=True, migrate=False)
    assert (_me(second, "pk_new_platform_key"), _me(second, "pk_old_platform_key")) == (200, 401)
    second.close()
    # A process still configured with the old key refuses to start: no resurrection.
    monkeypatch.setenv("REFUNDKIT_PLATFORM_KEY", "pk_old_platform_key")
    with pytest.raises(RefundkitError, match="revoked"):
        build(url=database_url, sandbox=True, migrate=False)
    monkeypatch.setenv("REFUNDKIT_PLATFORM_KEY", "pk_new_platform_key")
    third = build(url=database_url, sandbox=True, migrate=False)
    assert (_me(third, "pk_new_platform_key"), _me(third, "pk_old_platform_key")) == (200, 401)
    third.close()


def test_the_platform_rotates_and_revokes_a_users_api_key(api: Api) -> None:
    buyer, other = api.user("buyer"), api.user("buyer")
    old = buyer["api_key"]
    rotated = api.post(f"/v1/users/{buyer['id']}/api-keys/rotate", idem="rotate-1")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["api_key"]
    assert new and new != old and rotated.json()["id"] == buyer["id"]
    assert api.get("/v1/me", key=old).status_code == 401
    assert api.get("/v1/me", key=new).status_code == 200
    replay = api.post(f"/v1/users/{buyer['id']}/api-keys/rotate", idem="rotate-1")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["api_key"] is None  # the key is shown once
    revoked = api.post(f"/v1/users/{buyer['id']}/api-keys/revoke")
    assert revoked.status_code == 200 and revoked.json()["api_key"] is None, revoked.text
    assert api.get("/v1/me", key=new).status_code == 401
    before = api.snapshot()
    assert_problem(api.post(f"/v1/users/{other['id']}/api-keys/rotate", key=other["api_key"]),
                   403, "forbidden")  # fmt: skip
    assert_problem(api.post(f"/v1/users/{api.platform.id}/api-keys/revoke"), 409, "conflict")
    assert_problem(api.post("/v1/users/usr_nobody/api-keys/rotate"), 404, "not_found")
    assert api.snapshot() == before
    assert api.get("/v1/me", key=other["api_key"]).status_code == 200


# --- item 9: secrets at rest and in logs ----------------------------------------------------

KEY_1 = "first-secret-key-for-sealing-webhook-secrets"
KEY_2 = "second-secret-key-for-sealing-webhook-secrets"


def test_webhook_signing_secrets_are_not_stored_in_plain_text(api: Api) -> None:
    """Found by the security probe: the webhook_endpoints table held each signing secret
    as it is, so a copy of the database could sign webhooks as refundkit."""
    made = api.post("/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks", "events": ["*"]})
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    stored = repr(api.snapshot())
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert "sealed:v1:" in stored


def _platform(rt: Runtime) -> User:
    return transactions.run(rt.deps, lambda uow: ensure_platform_key(rt.deps, uow, "pk_test"))


def _register_public(rt: Runtime) -> WebhookEndpoint:
    platform = _platform(rt)
    return transactions.run(rt.deps, lambda uow: webhooks.create_endpoint(
        rt.deps, uow, platform, "https://hooks.shop.test/refundkit", ["*"]))  # fmt: skip


def _secret_of(rt: Runtime, endpoint_id: str) -> str:
    platform = _platform(rt)
    found = transactions.run(rt.deps, lambda uow: webhooks.get_endpoint(uow, platform,
                                                                        endpoint_id))  # fmt: skip
    return found.secret


def _stored_secret(rt: Runtime, endpoint_id: str) -> str:
    ep = tables.webhook_endpoints
    with rt.engine.connect() as conn:
        return str(conn.execute(sa.select(ep.c.secret).where(ep.c.id == endpoint_id)).scalar())


def test_the_secret_key_seals_old_secrets_and_can_be_rotated(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFUNDKIT_SECRET_KEY", raising=False)
    outside = build(url=database_url, migrate=False)
    with pytest.raises(RefundkitError, match="REFUNDKIT_SECRET_KEY"):
        _register_public(outside)  # no key outside the sandbox: no endpoint
    outside.close()
    monkeypatch.setenv("REFUNDKIT_SECRET_KEY", KEY_1)
    first = build(url=database_url, migrate=False)
    endpoint = _register_public(first)
    # A secret stored in plain text by an earlier release ...
    ep = tables.webhook_endpoints
    with first.engine.begin() as conn:
        conn.execute(ep.update().where(ep.c.id == endpoint.id).values(secret=endpoint.secret))
    first.close()
    # ... is sealed when the service starts, and still signs.
    second = build(url=database_url, migrate=False)
    assert _stored_secret(second, endpoint.id).startswith("sealed:v1:")
    assert _secret_of(second, endpoint.id) == endpoint.secret
    second.close()
    monkeypatch.setenv("REFUNDKIT_SECRET_KEY", KEY_2)
    with pytest.raises(RefundkitError, match="does not open"):
        build(url=database_url, migrate=False)
    monkeypatch.setenv("REFUNDKIT_SECRET_KEY_PREVIOUS", KEY_1)
    build(url=database_url, migrate=False).close()  # rotates: sealed again with KEY_2
    monkeypatch.delenv("REFUNDKIT_SECRET_KEY_PREVIOUS")
    third = build(url=database_url, migrate=False)
    assert _secret_of(third, endpoint.id) == endpoint.secret
    third.close()
    monkeypatch.setenv("REFUNDKIT_SECRET_KEY", "too short")
    with pytest.raises(RefundkitError, match="at least 32"):
        build(url=database_url, migrate=False)


def test_the_sqlite_file_and_its_journals_are_private(tmp_path: Path) -> None:
    """Found by the security probe: the database file was created 0644 (every local user
    could read the password hashes and the evidence metadata) while the evidence folder is
    0700."""
    path = tmp_path / "data" / "refundkit.sqlite3"
    rt = build(url=f"sqlite:///{path}", sandbox=True)
    _platform(rt)
    for each in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        assert each.exists(), each
        assert stat.S_IMODE(each.stat().st_mode) == 0o600, (each, oct(each.stat().st_mode))
    rt.close()
    path.chmod(0o644)  # a file an earlier release made
    build(url=f"sqlite:///{path}", sandbox=True).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_every_spelling_of_an_email_shares_one_sign_in_count(api: Api) -> None:
    """The sign-in finds ``ana@e2e.test`` from its full-width spelling (NFKC), so the
    password-guessing limit counts the spellings as one address, not five tries each."""
    spellings = ["ana@e2e.test", "\uff41na@e2e.test", "a\uff4ea@e2e.test", "an\uff41@e2e.test",
                 "ANA@E2E.TEST", "\uff41\uff4e\uff41@e2e.test"]  # fmt: skip
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for spelling in spellings[:5]:
        transactions.run(api.deps, lambda uow, e=spelling: sign_in_limits.attempt(
            uow, e, "10.0.0.1", at))  # fmt: skip
    with pytest.raises(RateLimited):
        transactions.run(api.deps, lambda uow: sign_in_limits.attempt(
            uow, spellings[5], "10.0.0.1", at))  # fmt: skip
