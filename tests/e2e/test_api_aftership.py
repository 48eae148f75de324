"""POST /v1/tracking-events/aftership (issue 6): AfterShip's tracking webhook, mapped onto the
same scans as POST /v1/tracking-events: idempotent on carrier, number, time and status,
matched to the order's carrier whatever AfterShip's slug, signed or keyed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401

from books import START

SECRET = "aftership-webhook-secret"


def checkpoint(
    tag: str, time: str, country: str | None, city: str | None = None,
    zip_code: str | None = None, subtag: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {"slug": "dhl", "checkpoint_time": time, "tag": tag, "subtag": subtag or f"{tag}_001",
            "subtag_message": tag, "country_iso3": country, "country_name": None, "city": city,
            "state": None, "zip": zip_code, "location": None, "message": f"{tag} scan",
            "coordinates": [], "raw_tag": "X"}  # fmt: skip


def webhook(number: str, checkpoints: list[dict[str, Any]]) -> dict[str, Any]:
    """The shape AfterShip posts for a tracking update (fields refundkit ignores included)."""
    return {
        "event_id": "3f645f5e-530b-4062-8695-db6a64420af8", "event": "tracking_update",
        "is_tracking_first_tag": False, "ts": int(START.timestamp()),
        "msg": {"id": "grhrexm6t3hiwkjwq37jd003", "tracking_number": number, "slug": "dhl",
                "title": number, "origin_country_iso3": "CHN",
                "destination_country_iso3": "DEU", "tag": checkpoints[-1]["tag"],
                "subtag": checkpoints[-1]["subtag"], "active": True, "emails": [],
                "checkpoints": checkpoints},
    }  # fmt: skip


JOURNEY = [
    checkpoint("InfoReceived", "2026-11-02T10:00:00", None),
    checkpoint("InTransit", "2026-11-03T08:00:00+08:00", "CHN", "Shenzhen"),
    checkpoint("InTransit", "2026-11-05T06:30:00+01:00", "DEU", "Frankfurt"),
    checkpoint("OutForDelivery", "2026-11-06T07:00:00+01:00", "DEU", "Berlin", "10115"),
    checkpoint("Delivered", "2026-11-06T13:15:00+01:00", "DEU", "Berlin", "10115"),
]


def shipped(api: Api) -> str:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order: str = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)["id"]
    return order


def post(api: Api, body: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
    return api.request("POST", "/v1/tracking-events/aftership", json_body=body, **kw)


def test_a_journey_delivers_the_order_once(api: Api) -> None:
    order = shipped(api)  # carrier "DHL", number "T-1"; AfterShip says slug "dhl"
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    answer = post(api, webhook("T-1", [checkpoint("Pending", "2026-11-02T09:00:00", None),
                                       *JOURNEY]))  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"tracking_number": "T-1", "carrier": "dhl", "checkpoints": 6,
                             "scans": 5, "new": 5}  # fmt: skip
    found = api.order(order)
    assert found["status"] == "delivered"
    assert found["delivered_at"].startswith("2026-11-06T12:15:00")  # +01:00 read as such
    assert found["tracking_flags"] == []
    statuses = [e["data"] for e in api.get(f"/v1/orders/{order}/timeline").json()["data"]
                if e["type"] == "order.delivered"]  # fmt: skip
    assert len(statuses) == 1
    again = post(api, webhook("T-1", JOURNEY))
    assert again.json()["new"] == 0  # the same history again adds nothing
    scan = {
        "carrier": "DHL",
        "tracking_number": "T-1",
        "status": "delivered",
        "country": "DE",
        "city": "Berlin",
        "postcode": "10115",
        "occurred_at": "2026-11-06T12:15:00Z",
    }
    native = api.post("/v1/tracking-events", {"events": [scan]})
    assert native.json() == {"received": 1, "new": 0}  # one scan, whichever door it came in


def test_returned_to_sender_is_read_from_the_subtag(api: Api) -> None:
    order = shipped(api)
    back = checkpoint("Exception", "2026-11-09T09:00:00+08:00", "CHN", "Shenzhen",
                      subtag="Exception_011")  # fmt: skip
    assert post(api, webhook("T-1", [*JOURNEY[:2], back])).status_code == 200
    assert [f["signal"] for f in api.order(order)["tracking_flags"]] == ["returned_to_sender"]


def test_aftership_may_sign_instead_of_sending_a_key(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped(api)
    monkeypatch.setenv("REFUNDKIT_AFTERSHIP_WEBHOOK_SECRET", SECRET)
    body = json.dumps(webhook("T-1", JOURNEY[:3]))
    signature = base64.b64encode(hmac.new(SECRET.encode(), body.encode(),
                                          hashlib.sha256).digest()).decode()  # fmt: skip
    signed = api.request("POST", "/v1/tracking-events/aftership", key=None, content=body,
                         headers={"aftership-hmac-sha256": signature})  # fmt: skip
    assert signed.status_code == 200 and signed.json()["new"] == 3
    forged = api.request(
        "POST",
        "/v1/tracking-events/aftership",
        key=None,
        content=body,
        headers={"aftership-hmac-sha256": base64.b64encode(b"x" * 32).decode()},
    )
    assert_problem(forged, 401, "unauthenticated")


def test_only_the_platform_reports_scans(api: Api) -> None:
    buyer = api.user("buyer")
    refused = post(api, webhook("T-1", JOURNEY), key=buyer["api_key"])
    assert_problem(refused, (403, 404), ("forbidden", "not_found"))
    assert_problem(post(api, webhook("T-1", JOURNEY), key=None), 401, "unauthenticated")


@pytest.mark.parametrize(
    ("change", "field"),
    [(lambda b: b["msg"]["checkpoints"][1].update(tag="Teleported"), "msg.checkpoints[1].tag"),
     (lambda b: b["msg"]["checkpoints"][1].update(country_iso3="XXX"),
      "msg.checkpoints[1].country_iso3"),
     (lambda b: b["msg"]["checkpoints"][1].update(checkpoint_time="soon"),
      "msg.checkpoints[1].checkpoint_time"),
     (lambda b: b["msg"].pop("tracking_number"), "msg.tracking_number")],
)  # fmt: skip
def test_a_bad_webhook_is_refused_naming_the_field(api: Api, change: Any, field: str) -> None:
    shipped(api)
    body = webhook("T-1", [dict(c) for c in JOURNEY])
    change(body)
    before = api.count("tracking_events")
    problem = assert_problem(post(api, body), 422, "validation_error")
    assert field in json.dumps(problem)
    assert api.count("tracking_events") == before


def test_a_delivered_checkpoint_naming_no_place_raises_no_flag(api: Api) -> None:
    order = shipped(api)
    placeless = checkpoint("Delivered", "2026-11-06T13:15:00+01:00", "DEU")
    assert post(api, webhook("T-1", [*JOURNEY[:3], placeless])).json()["new"] == 4
    found = api.order(order)
    assert found["status"] == "delivered" and found["tracking_flags"] == []
    elsewhere = shipped(api)
    other = api.post("/v1/tracking-events", {"events": [{
        "carrier": "DHL", "tracking_number": "T-1", "status": "delivered", "country": "DE",
        "city": "Hamburg", "occurred_at": "2026-11-06T14:00:00Z"}]})  # fmt: skip
    assert other.status_code == 200
    assert "delivered_elsewhere" in [f["signal"] for f in api.order(elsewhere)["tracking_flags"]]


def test_a_signature_with_non_ascii_characters_is_refused_not_a_crash(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped(api)
    monkeypatch.setenv("REFUNDKIT_AFTERSHIP_WEBHOOK_SECRET", SECRET)
    body = json.dumps(webhook("T-1", JOURNEY[:3]))
    non_ascii = "sign\xe9".encode("latin-1")
    forged = api.request("POST", "/v1/tracking-events/aftership", key=None, content=body,
                         headers={"aftership-hmac-sha256": non_ascii})  # fmt: skip
    assert_problem(forged, 401, "unauthenticated")


def test_a_declared_body_over_2_mb_is_refused_before_it_is_read(api: Api) -> None:
    answer = api.request("POST", "/v1/tracking-events/aftership", key=None, content=b"{}",
                         headers={"Content-Length": str(2_000_001)})  # fmt: skip
    assert_problem(answer, 413, "body_too_large")
    assert "larger than 2 MB" in answer.json()["detail"]


def test_a_body_over_2_mb_is_refused(api: Api) -> None:
    answer = post(api, {"msg": {"pad": "x" * 2_000_001}})
    assert_problem(answer, 413, "body_too_large")
    assert "larger than 2 MB" in answer.json()["detail"]


def test_more_than_1000_checkpoints_are_refused_and_nothing_is_stored(api: Api) -> None:
    """Issue 20, item 8: 12,000 checkpoints were taken, 15 s in one transaction."""
    shipped(api)
    many = [checkpoint("InTransit", f"2026-11-03T{n // 60 % 24:02d}:{n % 60:02d}:00Z", "DEU",
                       "Berlin") for n in range(1001)]  # fmt: skip
    before = api.count("tracking_events")
    problem = assert_problem(post(api, webhook("T-1", many)), 422, "validation_error")
    assert problem["field"] == "msg.checkpoints" and problem["limit"] == 1000
    assert api.count("tracking_events") == before
    assert post(api, webhook("T-1", many[:1000])).status_code == 200  # the cap itself passes


def test_nul_in_a_checkpoint_is_refused_and_nothing_is_stored(api: Api) -> None:
    """Issue 20, item 8: a checkpoint city with NUL was stored (SQLite)."""
    shipped(api)
    before = api.snapshot()
    bad = checkpoint("InTransit", "2026-11-03T08:00:00Z", "DEU", "Ber\u0000lin")
    answer = post(api, webhook("T-1", [*JOURNEY[:2], bad]))
    assert_problem(answer, 422, "validation_error")
    assert "NUL" in answer.json()["detail"]
    assert api.snapshot() == before


def _signed(api: Api, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    raw = json.dumps(body)
    signature = base64.b64encode(hmac.new(SECRET.encode(), raw.encode(),
                                          hashlib.sha256).digest()).decode()  # fmt: skip
    return api.request("POST", "/v1/tracking-events/aftership", key=None, content=raw,
                       headers={"aftership-hmac-sha256": signature})  # fmt: skip


def test_a_signed_webhook_older_than_3_days_is_refused(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20, item 8: a signed body captured once could be replayed for ever."""
    shipped(api)
    monkeypatch.setenv("REFUNDKIT_AFTERSHIP_WEBHOOK_SECRET", SECRET)
    now = int(START.timestamp())
    before = api.snapshot()
    for ts in (now - 3 * 86400 - 1, now + 3600, None, "yesterday"):
        body = webhook("T-1", JOURNEY[:3])
        body.pop("ts") if ts is None else body.update(ts=ts)
        problem = assert_problem(_signed(api, body), 422, "validation_error")
        assert problem["field"] == "ts", ts
    assert api.snapshot() == before
    body = webhook("T-1", JOURNEY[:3])
    body["ts"] = now - 3 * 86400 + 60  # AfterShip's last retry is 2.8 days after the first
    assert _signed(api, body).status_code == 200
