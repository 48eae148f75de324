"""The retry waits of webhook deliveries and notifications, from one Backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from refundkit.domain import notifications, webhooks

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_webhooks_wait_5_s_times_4_up_to_12_h_and_give_up_after_3_days() -> None:
    waits = [webhooks.next_attempt(n, T0, T0) for n in (1, 2, 3, 6, 20)]
    assert [w - T0 for w in waits if w] == [timedelta(seconds=s) for s in
                                            (5, 20, 80, 5 * 4**5, 12 * 3600)]  # fmt: skip
    assert webhooks.next_attempt(3, T0, T0 + timedelta(days=3)) is None


def test_mails_wait_1_min_times_4_up_to_6_h_and_give_up_after_3_days() -> None:
    waits = [notifications.next_attempt(n, T0, T0) for n in (1, 2, 3, 10)]
    assert [w - T0 for w in waits if w] == [timedelta(minutes=m) for m in (1, 4, 16, 360)]
    assert notifications.next_attempt(1, T0, T0 + timedelta(days=3)) is None
