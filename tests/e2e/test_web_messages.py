"""The Messages page (issue 6: the mail log "that the pages show"), over HTTP on SQLite and
PostgreSQL: each person sees their own messages only, newest first, with the order or
dispute each is about; an admin sees everyone's and narrows them to one order; another
person's message answers 404 like an unknown one."""

from __future__ import annotations

import re

from web_client import signed_in

from market import Market
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.roles import Role
from refundkit.service import disputes, notifications
from refundkit.service.notification_records import Notification
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User


def _messages(market: Market, user: User) -> list[Notification]:
    def work(uow: UnitOfWork) -> list[Notification]:
        found, _ = notifications.list_notifications(
            uow, user, user_id=None, order_id=None, kind=None, starting_after=None, limit=100
        )
        return found

    return market.tx(work)


def _listed(html: str) -> list[str]:
    return re.findall(r'<li class="card message" id="(ntf_[^"]+)"', html)


def test_a_buyer_sees_their_reminder_and_dispute_messages_and_never_anothers(
    market: Market,
) -> None:
    other_buyer = market.user(Role.BUYER, "FR")
    mine = market.shipped()
    theirs = market.shipped(buyer=other_buyer)
    market.advance(days=15)  # 5 days of the window left: a reminder to each buyer
    form = DisputeForm("not_received", None, False, 3000, False, "Nothing came.")
    market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, mine.id,
                                                form, []))  # fmt: skip
    own = _messages(market, market.buyer)
    assert {m.kind.value for m in own} >= {"dispute_window_reminder"}
    assert {m.order_id for m in own} == {mine.id}
    foreign = _messages(market, other_buyer)
    assert foreign and {m.order_id for m in foreign} == {theirs.id}

    client = signed_in(market, market.buyer)
    page = client.get("/messages")
    assert page.status_code == 200
    assert _listed(page.text) == [m.id for m in own]  # newest first, as the service lists
    assert all(m.subject.replace("'", "&#39;") in page.text for m in own)
    assert f'href="/orders/{mine.id}"' in page.text and theirs.id not in page.text
    assert not any(m.id in page.text for m in foreign)
    one = client.get(f"/messages/{own[0].id}")
    assert one.status_code == 200 and "<details open>" in one.text

    for nobody in (foreign[0].id, "ntf_00000000000000000000000000"):
        refused = client.get(f"/messages/{nobody}")
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("text/html")
        assert foreign[0].subject not in refused.text
    # A filter on another's order finds nothing rather than their messages.
    assert _listed(client.get(f"/messages?order={theirs.id}").text) == []


def test_the_seller_sees_the_dispute_opened_message_and_the_order_page_counts_it(
    market: Market,
) -> None:
    order = market.shipped()
    market.advance(days=6)
    form = DisputeForm("not_received", None, False, 3000, False, "Nothing came.")
    dispute = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer,
                                                          order.id, form, [])).dispute  # fmt: skip
    seller_has = _messages(market, market.seller)
    assert [m.kind.value for m in seller_has] == ["dispute_opened"]
    client = signed_in(market, market.seller)
    page = client.get("/messages").text
    assert _listed(page) == [seller_has[0].id]
    assert f'href="/disputes/{dispute.id}"' in page
    order_page = client.get(f"/orders/{order.id}").text
    assert f"Messages about this order ({len(seller_has)})" in order_page


def test_an_admin_sees_everyones_messages_and_filters_by_order(market: Market) -> None:
    first = market.shipped()
    second = market.shipped(buyer=market.user(Role.BUYER, "FR"))
    market.advance(days=15)
    admin = market.user(Role.ADMIN, "IE")
    everyone = _messages(market, admin)
    assert {m.order_id for m in everyone} == {first.id, second.id}
    client = signed_in(market, admin)
    assert _listed(client.get("/messages").text) == [m.id for m in everyone]
    only = client.get(f"/messages?order={second.id}").text
    assert _listed(only) == [m.id for m in everyone if m.order_id == second.id]
    assert client.get(f"/messages/{everyone[0].id}").status_code == 200
