"""Uniform problems (issue 14, item 3): one field-path form whoever refused the input (the
request's shape or the service's own check), a readable ``field`` for malformed JSON,
``instance`` naming the request, ``Allow`` on a 405."""

from __future__ import annotations

from api_client import Api, api_fixture, assert_problem  # noqa: F401


def test_a_field_path_has_one_form_whoever_refused_it(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    item = {"sku": "s", "title": "Lamp", "quantity": 1}
    shape = api.post(
        "/v1/orders", Api.order_body(buyer, seller, items=[{**item, "unit_price": 12}])
    )
    checked = api.post(
        "/v1/orders", Api.order_body(buyer, seller, items=[{**item, "unit_price": "12.345"}])
    )
    for answer in (shape, checked):
        body = assert_problem(answer, 422, ("validation_error", "invalid_amount"))
        assert body["field"] == "items[0].unit_price", body
    assert [e["field"] for e in shape.json()["errors"]] == ["items[0].unit_price"]


def test_malformed_json_names_the_body_and_says_why(api: Api) -> None:
    answer = api.request("POST", "/v1/orders", content='{"buyer_id": "x",,}')
    body = assert_problem(answer, 422, "validation_error")
    assert body["field"] == "body"
    assert body["detail"].startswith("body: the body is not valid JSON"), body


def test_instance_names_the_request(api: Api) -> None:
    answers = [api.get("/v1/orders/ord_nothing") for _ in range(2)]
    first, second = (assert_problem(a, 404, "not_found") for a in answers)
    assert first["instance"] != second["instance"]
    for answer, body in zip(answers, (first, second), strict=True):
        assert body["instance"] == f"urn:request:{answer.headers['x-request-id']}"
    sent = api.request("GET", "/v1/orders/ord_nothing", headers={"X-Request-Id": "shop-42"})
    assert sent.json()["instance"] == "urn:request:shop-42"


def test_a_405_says_which_methods_the_address_takes(api: Api) -> None:
    answer = api.request("DELETE", "/v1/orders")
    assert_problem(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "GET, HEAD, POST"
    answer = api.request("PUT", "/v1/orders/ord_x/pay")
    assert_problem(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == "POST"
