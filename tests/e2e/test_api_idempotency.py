"""Idempotency-Key (DESIGN §6): the same key and body replay the first answer; another body
or another path is 422 ``idempotency_key_reused``; keys belong to one API key and last 24 h;
an error is not stored, so a retry after fixing things works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api_client import Api, api_fixture, assert_problem  # noqa: F401


def _people(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    return api.user("buyer"), api.user("seller", "CN")


def test_same_key_same_body_replays_the_first_answer_byte_for_byte(api: Api) -> None:
    buyer, seller = _people(api)
    body = Api.order_body(buyer, seller)
    first = api.post("/v1/orders", body, idem="create-1")
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    orders = api.count("orders")
    snapshot = api.snapshot()

    again = api.post("/v1/orders", body, idem="create-1")
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.content == first.content
    assert api.count("orders") == orders
    assert api.snapshot() == snapshot


def test_a_replay_answers_as_the_first_time_even_after_the_order_moved_on(api: Api) -> None:
    """Paying twice with one key pays once: the retry gets the first 200, not a 409."""
    buyer, seller = _people(api)
    order = api.create_order(buyer, seller)
    path = f"/v1/orders/{order['id']}/pay"
    first = api.post(path, {"payment_reference": "psp-7"}, idem="pay-1")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "paid"
    entries = api.count("journal_entries")
    assert entries > 0
    snapshot = api.snapshot()

    again = api.post(path, {"payment_reference": "psp-7"}, idem="pay-1")
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert api.snapshot() == snapshot
    assert api.count("journal_entries") == entries
    # Without the key, the same request is a new one, and paying twice is refused.
    assert_problem(api.post(path, {"payment_reference": "psp-7"}), 409, "invalid_transition")


def test_same_key_other_body_is_refused_and_changes_nothing(api: Api) -> None:
    buyer, seller = _people(api)
    first = api.post("/v1/orders", Api.order_body(buyer, seller), idem="create-2")
    assert first.status_code == 201, first.text
    snapshot = api.snapshot()

    other = Api.order_body(buyer, seller, shipping_fee="6.00")
    assert_problem(api.post("/v1/orders", other, idem="create-2"), 422, "idempotency_key_reused")
    assert api.snapshot() == snapshot
    # The first answer is still the one the key replays.
    again = api.post("/v1/orders", Api.order_body(buyer, seller), idem="create-2")
    assert again.content == first.content


def test_same_key_on_another_path_is_refused(api: Api) -> None:
    buyer, seller = _people(api)
    created = api.post("/v1/orders", Api.order_body(buyer, seller), idem="shared")
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    snapshot = api.snapshot()

    answer = api.post(f"/v1/orders/{order_id}/pay", {}, idem="shared")
    assert_problem(answer, 422, "idempotency_key_reused")
    assert api.snapshot() == snapshot
    assert api.order(order_id)["status"] == "awaiting_payment"


def test_keys_belong_to_one_api_key(api: Api) -> None:
    """Two buyers using the same key string each get their own order cancelled."""
    seller = api.user("seller", "CN")
    ann, bob = api.user("buyer"), api.user("buyer")
    ann_order = api.create_order(ann, seller)["id"]
    bob_order = api.create_order(bob, seller)["id"]

    for who, order_id in ((ann, ann_order), (bob, bob_order)):
        answer = api.post(f"/v1/orders/{order_id}/cancel", {"reason": "oops"},
                          key=who["api_key"], idem="cancel-me")  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert "idempotent-replayed" not in answer.headers
        assert answer.json()["id"] == order_id
        assert answer.json()["status"] == "cancelled"

    # The platform's key "cancel-me" is free as well (a different path: still its own).
    created = api.post("/v1/orders", Api.order_body(ann, seller), idem="cancel-me")
    assert created.status_code == 201, created.text
    assert "idempotent-replayed" not in created.headers


def test_an_error_is_not_stored(api: Api) -> None:
    buyer, seller = _people(api)
    bad = Api.order_body(buyer, seller, seller_id="usr_nobody")
    snapshot = api.snapshot()
    first = api.post("/v1/orders", bad, idem="bad-seller")
    body = assert_problem(first, 422, "validation_error")
    again = api.post("/v1/orders", bad, idem="bad-seller")
    assert_problem(again, 422, body["code"])
    assert "idempotent-replayed" not in again.headers
    assert api.snapshot() == snapshot


def test_a_retry_after_the_state_was_fixed_does_the_work(api: Api) -> None:
    """Shipping an unpaid order fails; once paid, the same key and body ship it."""
    buyer, seller = _people(api)
    order_id = api.create_order(buyer, seller)["id"]
    path = f"/v1/orders/{order_id}/ship"
    body = {"carrier": "DHL", "tracking_number": "T-42"}
    assert_problem(api.post(path, body, key=seller["api_key"], idem="ship-1"), 409,
                   "invalid_transition")  # fmt: skip
    api.pay(order_id)
    shipped = api.post(path, body, key=seller["api_key"], idem="ship-1")
    assert shipped.status_code == 200, shipped.text
    assert "idempotent-replayed" not in shipped.headers
    assert shipped.json()["status"] == "shipped"


class WallClock:
    """Real time standing in for the machine's, so a test can let a day pass."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


def test_a_key_is_kept_for_24_hours_of_real_time(api: Api) -> None:
    wall = api.deps.wall_clock = WallClock()
    buyer, seller = _people(api)
    body = Api.order_body(buyer, seller)
    first = api.post("/v1/orders", body, idem="day-old")
    assert first.status_code == 201, first.text
    wall.at += timedelta(hours=23, minutes=59)
    again = api.post("/v1/orders", body, idem="day-old")
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content


def test_a_key_outlives_any_move_of_the_sandbox_clock(api: Api) -> None:
    """The README's replay promise after its walkthrough: the sandbox clock moved on two
    days is no reason to run a retried request again (Stripe keeps keys 24 h of wall time)."""
    buyer, seller = _people(api)
    user = {"role": "buyer", "name": "Ann", "email": "ann.replay@example.com", "country": "DE"}
    made = api.post("/v1/users", user, idem="user-ann")
    assert made.status_code == 201, made.text
    first = api.post("/v1/orders", Api.order_body(buyer, seller), idem="order-1")
    assert first.status_code == 201, first.text
    moved = api.post("/v1/sandbox/clock/advance", {"days": 2})
    assert moved.status_code == 200, moved.text
    orders = api.count("orders")

    again = api.post("/v1/users", user, idem="user-ann")
    assert again.status_code == 201, again.text  # not 409: the key still answers
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == made.json()["id"]
    replayed = api.post("/v1/orders", Api.order_body(buyer, seller), idem="order-1")
    assert replayed.headers.get("idempotent-replayed") == "true"
    assert replayed.content == first.content
    assert api.count("orders") == orders


def test_a_key_older_than_24_hours_of_real_time_no_longer_replays(api: Api) -> None:
    wall = api.deps.wall_clock = WallClock()
    buyer, seller = _people(api)
    body = Api.order_body(buyer, seller)
    first = api.post("/v1/orders", body, idem="stale")
    assert first.status_code == 201, first.text
    wall.at += timedelta(hours=25)
    orders = api.count("orders")

    later = api.post("/v1/orders", body, idem="stale")
    assert later.status_code == 201, later.text
    assert "idempotent-replayed" not in later.headers
    assert later.json()["id"] != first.json()["id"]
    assert api.count("orders") == orders + 1
    # ... and the fresh answer is what the key replays from now on.
    again = api.post("/v1/orders", body, idem="stale")
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == later.content


def test_a_bad_idempotency_key_is_refused(api: Api) -> None:
    buyer, seller = _people(api)
    snapshot = api.snapshot()
    for key in ("", "x" * 256, "tab\there", "line\nbreak"):
        answer = api.post("/v1/orders", Api.order_body(buyer, seller), idem=key)
        assert_problem(answer, 422, "validation_error")
    assert api.snapshot() == snapshot


def test_moving_the_clock_honours_the_key(api: Api) -> None:
    first = api.post("/v1/sandbox/clock/advance", {"hours": 1}, idem="tick")
    assert first.status_code == 200, first.text
    again = api.post("/v1/sandbox/clock/advance", {"hours": 1}, idem="tick")
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content
    assert api.get("/v1/sandbox/clock").json() == {"now": "2026-11-02T10:00:00Z"}
    assert_problem(api.post("/v1/sandbox/clock/advance", {"hours": 2}, idem="tick"), 422,
                   "idempotency_key_reused")  # fmt: skip


def test_a_new_api_key_is_never_kept_for_replays(api: Api) -> None:
    body = {"role": "buyer", "name": "Kim", "email": "kim@t.io", "country": "DE"}
    first = api.post("/v1/users", body, idem="user-1")
    assert first.status_code == 201, first.text
    key = first.json()["api_key"]
    assert key.startswith("rk_")
    again = api.post("/v1/users", body, idem="user-1")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["api_key"] is None
    assert key not in str(api.snapshot())
