"""What a POST answers (issue 14, item 4): a request creating a sub-resource answers with
that sub-resource (Stripe's manner), and the buyer's calendar feed address can be made
through the API."""

from __future__ import annotations

from api_client import Api, api_fixture, assert_problem  # noqa: F401
from icalendar import Calendar


def test_asking_for_a_protection_extension_answers_the_extension(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)["id"]
    asked = api.post(f"/v1/orders/{order}/protection-extensions", {"days": 3},
                     key=buyer["api_key"])  # fmt: skip
    assert asked.status_code == 201, asked.text
    made = asked.json()
    assert made["object"] == "protection_extension"
    assert made["order_id"] == order and made["days"] == 3 and made["status"] == "pending"
    assert [x["id"] for x in api.order(order)["protection_extensions"]] == [made["id"]]
    approved = api.post(f"/v1/orders/{order}/protection-extensions/{made['id']}/approve", {},
                        key=seller["api_key"])  # fmt: skip
    assert approved.status_code == 200, approved.text


def test_a_buyer_makes_the_calendar_feed_address_through_the_api(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    api.pay(api.create_order(buyer, seller)["id"])
    made = api.post("/v1/calendar-feed", {}, key=buyer["api_key"])
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    assert url.startswith("http://testserver/calendar/") and url.endswith(".ics")
    feed = api.client.get(url.removeprefix("http://testserver"))
    assert feed.status_code == 200
    assert list(Calendar.from_ical(feed.content).walk("VEVENT"))
    again = api.post("/v1/calendar-feed", {}, key=buyer["api_key"])
    assert again.json()["url"] != url
    assert api.client.get(url.removeprefix("http://testserver")).status_code == 401
    assert_problem(api.post("/v1/calendar-feed", {}, key=seller["api_key"]), 403, "forbidden")
