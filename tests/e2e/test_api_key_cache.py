"""The user behind an API key is kept in memory for a few seconds (issue 16,
``service/user_cache.py``): a rotated or revoked key stops working at once in the process
that rotated or revoked it, and in another process once its entry expires (at most
``REFUNDKIT_API_KEY_CACHE_SECONDS`` later). Time is a fake monotonic clock here."""

from __future__ import annotations

from dataclasses import replace

from api_client import Api, api_fixture  # noqa: F401

from refundkit.entrypoints.bootstrap import build
from refundkit.service import transactions, users
from refundkit.service.records import User
from refundkit.service.user_cache import KeyCache
from statements import counted


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _ok(api: Api, key: str) -> bool:
    answer = api.get("/v1/me", key=key)
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def test_a_revoked_key_stops_working_at_once_in_this_process(api: Api) -> None:
    api.deps.keys = KeyCache(5.0, monotonic=Ticks())
    buyer = api.user("buyer")
    assert _ok(api, buyer["api_key"])  # now kept
    with counted(api.rt.engine) as seen:
        assert _ok(api, buyer["api_key"])
    assert seen == [], "a kept key is not read again"
    assert api.post(f"/v1/users/{buyer['id']}/api-keys/revoke").status_code == 200
    assert not _ok(api, buyer["api_key"])


def test_a_rotated_key_stops_working_at_once_and_the_new_one_works(api: Api) -> None:
    api.deps.keys = KeyCache(5.0, monotonic=Ticks())
    buyer = api.user("buyer")
    assert _ok(api, buyer["api_key"])
    rotated = api.post(f"/v1/users/{buyer['id']}/api-keys/rotate")
    assert rotated.status_code == 200, rotated.text
    assert not _ok(api, buyer["api_key"])
    assert _ok(api, rotated.json()["api_key"])


def test_a_key_revoked_by_another_process_works_here_until_its_entry_expires(
    api: Api, database_url: str
) -> None:
    ticks = Ticks()
    api.deps.keys = KeyCache(5.0, monotonic=ticks)
    buyer = api.user("buyer")
    assert _ok(api, buyer["api_key"])
    other = build(url=database_url, sandbox=True, migrate=False)  # another API process
    try:
        transactions.run(other.deps, lambda uow: users.revoke_api_keys(
            other.deps, uow, api.platform, buyer["id"]))  # fmt: skip
    finally:
        other.close()
    ticks.now += 4.9
    assert _ok(api, buyer["api_key"]), "within the bound, this process has not heard"
    ticks.now += 0.2
    assert not _ok(api, buyer["api_key"]), "past the bound the key is read, and refused"


def test_with_no_cache_every_request_reads_its_key(api: Api) -> None:
    api.deps.keys = KeyCache(0)
    buyer = api.user("buyer")
    assert _ok(api, buyer["api_key"])
    with counted(api.rt.engine) as seen:
        assert _ok(api, buyer["api_key"])
    assert any(s.startswith("SELECT") and "users" in s for s in seen), seen


def _user(user_id: str) -> User:
    from datetime import UTC, datetime

    from refundkit.domain.roles import Role

    return User(user_id, Role.BUYER, "B", "b@example.test", "DE", None,
                datetime(2026, 1, 1, tzinfo=UTC), password_hash="secret")  # fmt: skip


def test_a_read_that_began_before_a_revoke_is_not_kept_after_it() -> None:
    """A request read the key (still valid), a revoke committed and forgot the user's keys,
    then the request's answer arrives: it must not put the older answer in the cache."""
    cache = KeyCache(5.0, monotonic=Ticks())
    began = cache.generation()
    cache.forget_user("usr_1")  # the revoke, committed meanwhile
    cache.put("hash-1", _user("usr_1"), began)
    assert cache.get("hash-1") is None
    cache.put("hash-1", _user("usr_1"), cache.generation())
    assert cache.get("hash-1") == replace(_user("usr_1"), password_hash=None)


def test_the_cache_keeps_no_password_hash_and_is_bounded() -> None:
    cache = KeyCache(5.0, max_entries=2, monotonic=Ticks())
    for n in range(3):
        cache.put(f"hash-{n}", _user(f"usr_{n}"), cache.generation())
    assert cache.get("hash-0") is None, "the oldest went first"
    kept = cache.get("hash-2")
    assert kept is not None and kept.password_hash is None
