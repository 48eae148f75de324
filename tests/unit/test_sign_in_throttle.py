"""Password guessing is slowed: 5 failures for one email from one address within 15 minutes
hold that pair back until the oldest failure is 15 minutes old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from refundkit.entrypoints.web.throttle import SignInThrottle

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_the_sixth_try_waits_until_the_first_failure_is_15_minutes_old() -> None:
    throttle = SignInThrottle()
    for minute in range(5):
        assert throttle.wait("ana@t.io", "10.0.0.1", T0 + timedelta(minutes=minute)) is None
        throttle.failed("ana@t.io", "10.0.0.1", T0 + timedelta(minutes=minute))
    assert throttle.wait("ANA@t.io ", "10.0.0.1", T0 + timedelta(minutes=5)) == timedelta(
        minutes=10
    )
    assert throttle.wait("ana@t.io", "10.0.0.1", T0 + timedelta(minutes=15)) is None


def test_another_address_or_a_success_is_not_held_back() -> None:
    throttle = SignInThrottle()
    for _ in range(5):
        throttle.failed("ana@t.io", "10.0.0.1", T0)
    assert throttle.wait("ana@t.io", "10.0.0.2", T0) is None  # the buyer elsewhere
    assert throttle.wait("ben@t.io", "10.0.0.1", T0) is None
    throttle.succeeded("ana@t.io", "10.0.0.1")
    assert throttle.wait("ana@t.io", "10.0.0.1", T0) is None
