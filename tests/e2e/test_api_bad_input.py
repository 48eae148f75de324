"""Bad input on every endpoint (DESIGN §6): a 4xx problem+json with a stable ``code``, a
``status`` and a ``detail``, and not a single row of the database changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401
from httpx import Response

UNKNOWN_ORDER = "ord_00000000000000000000000000"


@dataclass
class World:
    """One order in each state an action needs, and the people around them."""

    api: Api
    buyer: dict[str, Any]
    seller: dict[str, Any]
    unpaid: str  # awaiting_payment
    paid: str
    cancel_requested: str
    shipped: str  # shipped, no extension asked
    extending: str  # shipped, an extension request pending
    extension_id: str


@pytest.fixture
def world(api: Api) -> World:
    buyer = api.user("buyer")
    seller = api.user("seller", "CN")
    asked = api.create_order(buyer, seller)["id"]
    api.pay(asked)
    moved = api.post("/v1/sandbox/clock/advance", {"hours": 25})
    assert moved.status_code == 200, moved.text
    # Past the free window: cancelling becomes a request the seller answers.
    cancelling = api.post(f"/v1/orders/{asked}/cancel", {"reason": "late"}, key=buyer["api_key"])
    assert cancelling.json()["status"] == "cancel_requested", cancelling.text
    unpaid = api.create_order(buyer, seller)["id"]
    paid = api.pay(api.create_order(buyer, seller)["id"])["id"]
    shipped = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)["id"]
    extending = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)["id"]
    ext = api.post(f"/v1/orders/{extending}/protection-extensions", {"days": 5},
                   key=buyer["api_key"])  # fmt: skip
    assert ext.status_code == 201, ext.text
    extension_id = ext.json()["id"]
    return World(api, buyer, seller, unpaid, paid, asked, shipped, extending, extension_id)


def refused(
    api: Api,
    send: Callable[[], Response],
    status: int | tuple[int, ...],
    code: str | tuple[str, ...],
    field: str | None = None,
) -> dict[str, Any]:
    """``send`` answers a problem with ``status`` and ``code`` (naming ``field`` when given)
    and changes nothing in the database."""
    before = api.snapshot()
    body = assert_problem(send(), status, code)
    if field is not None:
        named = [body.get("field", "")] + [e["field"] for e in body.get("errors", [])]
        assert any(field in f for f in named), body
    assert api.snapshot() == before, "a refused request changed the database"
    return body


def each(cases: list[Any], check: Callable[[Any], object]) -> None:
    """Run ``check`` on every case (on one world: a refusal changes nothing) and report all
    the cases that failed, not just the first."""
    failures = []
    for case in cases:
        try:
            check(case)
        except AssertionError as exc:
            failures.append(f"{case!r}: {exc}")
    assert not failures, "\n".join(failures)


# --- every POST, by name: its path and a body that would be valid -----------------------


def endpoints(w: World) -> dict[str, tuple[str, dict[str, Any], str]]:
    """name -> (path, valid body, api key of the role entitled to it)."""
    o = "/v1/orders"
    b, s, p = w.buyer["api_key"], w.seller["api_key"], w.api.platform_key
    ext = f"{o}/{w.extending}/protection-extensions/{w.extension_id}"
    return {
        "users": ("/v1/users", {"role": "buyer", "name": "N", "email": "n@e2e.test",
                                "country": "DE"}, p),
        "orders": (o, Api.order_body(w.buyer, w.seller), p),
        "pay": (f"{o}/{w.unpaid}/pay", {"payment_reference": "r"}, p),
        "cancel": (f"{o}/{w.paid}/cancel", {"reason": "changed my mind"}, b),
        "cancellation_approve": (f"{o}/{w.cancel_requested}/cancellation/approve", {}, s),
        "cancellation_reject": (f"{o}/{w.cancel_requested}/cancellation/reject",
                                {"reason": "already packed"}, s),
        "ship": (f"{o}/{w.paid}/ship", {"carrier": "DHL", "tracking_number": "T-9"}, s),
        "confirm_receipt": (f"{o}/{w.shipped}/confirm-receipt", {}, b),
        "extension": (f"{o}/{w.shipped}/protection-extensions", {"days": 5}, b),
        "extension_approve": (f"{ext}/approve", {}, s),
        "extension_reject": (f"{ext}/reject", {"reason": "no"}, s),
        "tracking_events": ("/v1/tracking-events", {"events": [{
            "carrier": "DHL", "tracking_number": "T-1", "status": "in_transit",
            "country": "DE", "city": "Berlin", "occurred_at": "2026-11-03T10:00:00Z"}]}, p),
        "clock_advance": ("/v1/sandbox/clock/advance", {"hours": 1}, p),
    }  # fmt: skip


POSTS = [
    "users", "orders", "pay", "cancel", "cancellation_approve", "cancellation_reject", "ship",
    "confirm_receipt", "extension", "extension_approve", "extension_reject", "tracking_events",
    "clock_advance",
]  # fmt: skip


BAD_AUTHORIZATIONS = [None, "Bearer rk_not_a_key", "Bearer ", "Basic cGtfdGVzdDo=", "pk_test",
                      "Bearer pk_test2", "bearer"]  # fmt: skip


@pytest.mark.parametrize("name", POSTS)
def test_every_post_without_a_good_key_is_401(world: World, name: str) -> None:
    path, body, _ = endpoints(world)[name]

    def check(authorization: str | None) -> None:
        headers = {"Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        answer = world.api.client.post(path, content=json.dumps(body), headers=headers)
        refused(world.api, lambda: answer, 401, "unauthenticated")
        assert answer.headers["www-authenticate"] == "Bearer"

    each(BAD_AUTHORIZATIONS, check)


@pytest.mark.parametrize("name", POSTS)
def test_every_post_refuses_malformed_json(world: World, name: str) -> None:
    path, body, key = endpoints(world)[name]
    raws = ['{"reason": ', "not json", "[1, 2", "", "null", "42", '"text"',
            json.dumps([body]), json.dumps(body)[:-1]]  # fmt: skip
    each(raws, lambda raw: refused(
        world.api, lambda: world.api.request("POST", path, key=key, content=raw), 422,
        "validation_error",
    ))  # fmt: skip


@pytest.mark.parametrize("name", POSTS)
def test_every_post_refuses_unknown_fields(world: World, name: str) -> None:
    """Mass assignment: a field the body does not define is refused, never ignored."""
    path, body, key = endpoints(world)[name]
    smuggled = [f for f in ("status", "paid_amount", "buyer_id", "id", "refunded_amount")
                if f not in body]  # fmt: skip

    def check(field: str) -> None:
        bad = {**body, field: "completed" if field == "status" else "999.00"}
        refused(world.api, lambda: world.api.post(path, bad, key=key), 422, "validation_error",
                field=field)  # fmt: skip

    each(smuggled, check)


def test_pay_refuses_mass_assignment(world: World) -> None:
    api = world.api
    path = f"/v1/orders/{world.unpaid}/pay"
    for smuggled in ({"status": "paid"}, {"paid_amount": "30.00"},
                     {"buyer_id": world.seller["id"]}):  # fmt: skip
        refused(api, lambda s=smuggled: api.post(path, s), 422, "validation_error",
                field=next(iter(smuggled)))  # fmt: skip
    assert api.order(world.unpaid)["status"] == "awaiting_payment"


# --- money --------------------------------------------------------------------------------

BAD_MONEY = [-1, "-1.00", 0, "0.001", 1e30, "1e30", "NaN", "Infinity", "12,34", 12.5, 12, None,
             "", " 12.34", "12.34 ", "+12.34", "0x10", "1_000", "12.", ".5", "١٢"]  # fmt: skip


@pytest.mark.parametrize("field", ["unit_price", "shipping_fee"])
def test_bad_money_is_refused(world: World, field: str) -> None:
    """Money is a plain decimal string: no floats, ints, signs, exponents, NaN or commas."""
    api = world.api

    def check(value: Any) -> None:
        if field == "unit_price":
            item = {"sku": "s", "title": "t", "quantity": 1, "unit_price": value}
            body = Api.order_body(world.buyer, world.seller, items=[item])
        else:
            body = Api.order_body(world.buyer, world.seller, shipping_fee=value)
        refused(api, lambda: api.post("/v1/orders", body), 422,
                ("validation_error", "invalid_amount"), field=field)  # fmt: skip

    each(BAD_MONEY + (["0.00", "0", "0.0"] if field == "unit_price" else []), check)


def test_valid_money_is_accepted(world: World) -> None:
    """The control for the refusals above: the same body with good amounts is an order."""
    item = {"sku": "s", "title": "t", "quantity": 3, "unit_price": "0.01"}
    order = world.api.create_order(world.buyer, world.seller, items=[item], shipping_fee="0.00")
    assert order["amounts"]["total"] == "0.03"
    assert order["shipping_fee"] == "0.00"


def test_unknown_currency_is_refused(world: World) -> None:
    def check(currency: Any) -> None:
        body = Api.order_body(world.buyer, world.seller, currency=currency)
        refused(world.api, lambda: world.api.post("/v1/orders", body), 422, "validation_error",
                field="currency")  # fmt: skip

    each(["XXX", "usd", "US", "USDD", "", "XAU", "EUR1", None, 840], check)


def test_over_precise_amount_for_a_zero_decimal_currency_is_refused(world: World) -> None:
    item = {"sku": "s", "title": "t", "quantity": 1, "unit_price": "100.5"}
    body = Api.order_body(world.buyer, world.seller, currency="JPY", items=[item],
                          shipping_fee="0")  # fmt: skip
    refused(world.api, lambda: world.api.post("/v1/orders", body), 422, "invalid_amount",
            field="unit_price")  # fmt: skip


# --- the rest of an order ------------------------------------------------------------------


BAD_ORDERS: list[Any] = [
        ({"promised_delivery_days": 0}, "promised_delivery_days"),
        ({"promised_delivery_days": 61}, "promised_delivery_days"),
        ({"promised_delivery_days": -5}, "promised_delivery_days"),
        ({"promised_delivery_days": "20"}, "promised_delivery_days"),
        ({"promised_delivery_days": 20.0}, "promised_delivery_days"),
        ({"ship_to": {"country": "BR", "city": "Rio"}, "promised_delivery_days": 91},
         "promised_delivery_days"),
        ({"items": []}, "items"),
        ({"items": [{"sku": "s", "title": "t", "quantity": 0, "unit_price": "1.00"}]}, "items"),
        ({"items": [{"sku": "s", "title": "t", "quantity": -1, "unit_price": "1.00"}]}, "items"),
        ({"items": [{"sku": "s", "title": "t", "quantity": 1.5, "unit_price": "1.00"}]},
         "quantity"),
        ({"items": [{"sku": "s", "title": "t", "quantity": "2", "unit_price": "1.00"}]},
         "quantity"),
        ({"items": [{"sku": " ", "title": "t", "quantity": 1, "unit_price": "1.00"}]}, "items"),
        ({"items": [{"sku": "s", "title": "t", "quantity": 1}]}, "unit_price"),
        ({"items": "lamp"}, "items"),
        ({"payment_method": "cash"}, "payment_method"),
        ({"handling_days": 0}, "handling_days"),
        ({"handling_days": 8}, "handling_days"),
        ({"ship_to": {"country": "DE"}}, "ship_to"),
        ({"ship_to": None}, "ship_to"),
        ({"buyer_id": "usr_nobody"}, "buyer_id"),
        ({"seller_id": "usr_nobody"}, "seller_id"),
        ({"buyer_id": None}, "buyer_id"),
    ]  # fmt: skip


def test_bad_order_is_refused(world: World) -> None:
    def check(case: tuple[dict[str, Any], str]) -> None:
        changes, field = case
        body = Api.order_body(world.buyer, world.seller, **changes)
        refused(world.api, lambda: world.api.post("/v1/orders", body), 422,
                ("validation_error", "invalid_amount"), field=field)  # fmt: skip

    each(BAD_ORDERS, check)


def test_parties_in_the_wrong_roles_are_refused(world: World) -> None:
    swapped = Api.order_body(world.seller, world.buyer)
    refused(world.api, lambda: world.api.post("/v1/orders", swapped), 422, "validation_error")
    same = Api.order_body(world.buyer, world.buyer)
    refused(world.api, lambda: world.api.post("/v1/orders", same), 422, "validation_error")


def test_a_missing_order_field_is_refused(world: World) -> None:
    def check(drop: str) -> None:
        body = Api.order_body(world.buyer, world.seller)
        del body[drop]
        refused(world.api, lambda: world.api.post("/v1/orders", body), 422, "validation_error",
                field=drop)  # fmt: skip

    each(["buyer_id", "seller_id", "currency", "items", "shipping_fee", "payment_method",
          "ship_to", "promised_delivery_days"], check)  # fmt: skip


def test_promised_delivery_days_follow_the_destination_cap(world: World) -> None:
    """60 days by default, 90 for Brazil (policy ``max_delivery_days_by_country``)."""
    api = world.api
    br = {"country": "BR", "city": "Rio de Janeiro", "postcode": "20000"}
    assert api.create_order(world.buyer, world.seller, ship_to=br,
                            promised_delivery_days=90)["promised_delivery_days"] == 90  # fmt: skip
    assert api.create_order(world.buyer, world.seller,
                            promised_delivery_days=60)["promised_delivery_days"] == 60  # fmt: skip
    body = Api.order_body(world.buyer, world.seller, promised_delivery_days=61)
    refused(api, lambda: api.post("/v1/orders", body), 422, "validation_error",
            field="promised_delivery_days")  # fmt: skip


# --- users ---------------------------------------------------------------------------------


BAD_USERS: list[Any] = [
        ({"role": "platform"}, "role"),
        ({"role": "system"}, "role"),
        ({"role": "Buyer"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": ""}, "email"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"country": "Germany"}, "country"),
        ({"country": "de"}, "country"),
        ({"country": 49}, "country"),
        ({"tier": "bronze"}, "tier"),
        ({"role": "seller", "tier": "gold"}, "tier"),
        ({"api_key": "rk_mine"}, "api_key"),
    ]  # fmt: skip


def test_bad_user_is_refused(world: World) -> None:
    def check(case: tuple[dict[str, Any], str]) -> None:
        changes, field = case
        body = {"role": "buyer", "name": "Nia", "email": "nia@e2e.test", "country": "DE",
                **changes}  # fmt: skip
        refused(world.api, lambda: world.api.post("/v1/users", body), 422, "validation_error",
                field=field)  # fmt: skip

    each(BAD_USERS, check)


def test_a_taken_email_is_a_conflict(world: World) -> None:
    body = {"role": "buyer", "name": "Again", "email": world.buyer["email"].upper(),
            "country": "DE"}  # fmt: skip
    refused(world.api, lambda: world.api.post("/v1/users", body), 409, "conflict")


def test_buyers_and_sellers_cannot_create_users(world: World) -> None:
    body = {"role": "buyer", "name": "Sock", "email": "sock@e2e.test", "country": "DE"}
    each(
        [world.buyer["api_key"], world.seller["api_key"]],
        lambda key: refused(
            world.api, lambda: world.api.post("/v1/users", body, key=key), 403, "forbidden"
        ),
    )


def test_the_platform_cannot_create_admins(world: World) -> None:
    body = {"role": "admin", "name": "Root", "email": "root@e2e.test", "country": "DE"}
    refused(world.api, lambda: world.api.post("/v1/users", body), 403, "forbidden")


# --- order actions: bad bodies, wrong roles, wrong states --------------------------------


BAD_ACTION_BODIES: list[Any] = [
        ("pay", {"payment_reference": 42}, "payment_reference"),
        ("pay", {"payment_reference": "x" * 201}, "payment_reference"),
        ("cancel", {"reason": 5}, "reason"),
        ("cancel", {"reason": "x" * 1001}, "reason"),
        ("cancellation_approve", {"reason": "ok"}, "reason"),
        ("cancellation_reject", {"reason": ["no"]}, "reason"),
        ("ship", {"carrier": "DHL"}, "tracking_number"),
        ("ship", {"tracking_number": "T-1"}, "carrier"),
        ("ship", {"carrier": "DHL", "tracking_number": 123}, "tracking_number"),
        ("ship", {"carrier": " ", "tracking_number": "T-1"}, ""),
        ("ship", {"carrier": "DHL", "tracking_number": ""}, "tracking_number"),
        ("confirm_receipt", {"confirmed": True}, "confirmed"),
        ("extension", {}, "days"),
        ("extension", {"days": 0}, "days"),
        ("extension", {"days": 31}, "days"),
        ("extension", {"days": -1}, "days"),
        ("extension", {"days": "5"}, "days"),
        ("extension", {"days": 5.0}, "days"),
        ("extension", {"days": True}, "days"),
        ("extension", {"days": None}, "days"),
        ("extension_approve", {"days": 5}, "days"),
        ("extension_reject", {"reason": 1}, "reason"),
        ("tracking_events", {"events": []}, "events"),
        ("tracking_events", {"events": "scan"}, "events"),
        ("tracking_events", {}, "events"),
        ("clock_advance", {"hours": -1}, "hours"),
        ("clock_advance", {"hours": "25"}, "hours"),
        ("clock_advance", {"hours": 1.5}, "hours"),
        ("clock_advance", {"days": 3651}, "days"),
        ("clock_advance", {"weeks": 1}, "weeks"),
    ]  # fmt: skip


def test_bad_action_body_is_refused(world: World) -> None:
    clock = world.api.get("/v1/sandbox/clock").json()

    def check(case: tuple[str, dict[str, Any], str]) -> None:
        name, body, field = case
        path, _, key = endpoints(world)[name]
        refused(world.api, lambda: world.api.post(path, body, key=key), 422,
                ("validation_error", "invalid_amount"), field=field or None)  # fmt: skip

    each(BAD_ACTION_BODIES, check)
    assert world.api.get("/v1/sandbox/clock").json() == clock


BAD_EVENTS: list[Any] = [
        {"status": "teleported"},
        {"occurred_at": "yesterday"},
        {"country": "Germany"},
        {"tracking_number": "x" * 101},
        {"signature": "forged"},
    ]  # fmt: skip


def test_bad_tracking_event_is_refused(world: World) -> None:
    path, body, key = endpoints(world)["tracking_events"]

    def check(event: dict[str, Any]) -> None:
        bad = {"events": [{**body["events"][0], **event}]}
        refused(world.api, lambda: world.api.post(path, bad, key=key), 422, "validation_error",
                field=f"events[0].{next(iter(event))}")  # fmt: skip

    each(BAD_EVENTS, check)


def test_a_valid_tracking_batch_is_accepted_and_a_buyer_may_not_send_one(world: World) -> None:
    path, body, key = endpoints(world)["tracking_events"]
    refused(world.api, lambda: world.api.post(path, body, key=world.buyer["api_key"]), 403,
            "forbidden")  # fmt: skip
    answer = world.api.post(path, body, key=key)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 1, "new": 1}


WRONG_ROLES: list[Any] = [
        ("pay", "seller"),
        ("pay", "buyer"),
        ("cancel", "seller"),
        ("cancellation_approve", "buyer"),
        ("cancellation_reject", "buyer"),
        ("ship", "buyer"),
        ("confirm_receipt", "seller"),
        ("extension", "seller"),
        ("extension_approve", "buyer"),
        ("extension_reject", "buyer"),
        ("orders", "buyer"),
        ("orders", "seller"),
        ("clock_advance", "buyer"),
        ("clock_advance", "seller"),
    ]  # fmt: skip


def test_the_wrong_role_changes_nothing(world: World) -> None:
    clock = world.api.get("/v1/sandbox/clock").json()

    def check(case: tuple[str, str]) -> None:
        name, who = case
        path, body, _ = endpoints(world)[name]
        key = world.buyer["api_key"] if who == "buyer" else world.seller["api_key"]
        refused(world.api, lambda: world.api.post(path, body, key=key), (403, 404),
                ("forbidden", "not_found"))  # fmt: skip

    each(WRONG_ROLES, check)
    assert world.api.get("/v1/sandbox/clock").json() == clock


WRONG_STATES: list[Any] = [
        ("pay", "paid", "invalid_transition"),
        ("pay", "shipped", "invalid_transition"),
        ("cancel", "shipped", "invalid_transition"),
        ("cancellation_approve", "paid", "invalid_transition"),
        ("cancellation_reject", "shipped", "invalid_transition"),
        ("ship", "unpaid", "invalid_transition"),
        ("ship", "shipped", "invalid_transition"),
        ("confirm_receipt", "paid", "invalid_transition"),
        ("confirm_receipt", "unpaid", "invalid_transition"),
        ("extension", "paid", "invalid_transition"),
        ("extension", "unpaid", "invalid_transition"),
        ("extension", "extending", ("invalid_transition", "window_closed")),
        ("extension_approve", "shipped", "not_found"),
    ]  # fmt: skip


def test_an_action_in_the_wrong_state_changes_nothing(world: World) -> None:
    def check(case: tuple[str, str, str | tuple[str, ...]]) -> None:
        name, order, code = case
        path, body, key = endpoints(world)[name]
        path = path.replace(path.split("/")[3], getattr(world, order), 1)
        refused(world.api, lambda: world.api.post(path, body, key=key),
                404 if code == "not_found" else 409, code)  # fmt: skip

    each(WRONG_STATES, check)


def test_an_unknown_extension_is_not_found(world: World) -> None:
    def check(action: str) -> None:
        path = f"/v1/orders/{world.extending}/protection-extensions/ext_nope/{action}"
        body = {"reason": "no"} if action == "reject" else {}
        refused(world.api, lambda: world.api.post(path, body, key=world.seller["api_key"]), 404,
                "not_found")  # fmt: skip

    each(["approve", "reject"], check)


def test_an_action_on_an_unknown_order_is_not_found(world: World) -> None:
    def check(name: str) -> None:
        path, body, key = endpoints(world)[name]
        path = path.replace(path.split("/")[3], UNKNOWN_ORDER, 1)
        refused(world.api, lambda: world.api.post(path, body, key=key), 404, "not_found")

    names = ["pay", "cancel", "cancellation_approve", "cancellation_reject", "ship",
             "confirm_receipt", "extension", "extension_approve", "extension_reject"]  # fmt: skip
    each(names, check)


# --- lists ---------------------------------------------------------------------------------


BAD_PAGES: list[dict[str, Any]] = [
    {"limit": 0}, {"limit": -1}, {"limit": 101}, {"limit": "abc"}, {"limit": "2.5"},
    {"limit": ""}, {"starting_after": "x" * 41},
]  # fmt: skip


@pytest.mark.parametrize(
    "resource", ["", "/{id}/timeline", "/{id}/refunds", "/{id}/ledger-entries"]
)
def test_a_bad_page_request_is_refused(world: World, resource: str) -> None:
    path = "/v1/orders" + resource.replace("{id}", world.paid)
    each(BAD_PAGES, lambda params: refused(
        world.api, lambda: world.api.get(path, params=params), 422, "validation_error",
        field=next(iter(params))))  # fmt: skip


def test_an_unknown_status_filter_is_refused(world: World) -> None:
    refused(world.api, lambda: world.api.get("/v1/orders", params={"status": "lost"}), 422,
            "validation_error", field="status")  # fmt: skip


def test_unknown_routes_methods_and_media_types_are_problems(world: World) -> None:
    api = world.api
    refused(api, lambda: api.get("/v1/nope"), 404, "not_found")
    refused(api, lambda: api.request("PUT", "/v1/orders", json_body={}), 405,
            "method_not_allowed")  # fmt: skip
    refused(api, lambda: api.request("DELETE", f"/v1/orders/{world.paid}"), 405,
            "method_not_allowed")  # fmt: skip
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    refused(api, lambda: api.request("POST", f"/v1/orders/{world.unpaid}/pay", content="a=1",
                                     headers=form), 422, "validation_error")  # fmt: skip
