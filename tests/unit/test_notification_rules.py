"""The pure parts of notifications: deadlines in words, mail retries, the SMTP URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from refundkit.adapters.mail import parse_smtp_url
from refundkit.domain.errors import ValidationError
from refundkit.domain.notifications import deadline_text, in_words, next_attempt

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "words"),
    [(timedelta(days=5), "in 5 days"), (timedelta(days=1, hours=3), "in 1 day and 3 hours"),
     (timedelta(hours=2), "in 2 hours"), (timedelta(hours=1, minutes=30),
                                          "in 1 hour and 30 minutes"),
     (timedelta(seconds=20), "in 1 minute"), (timedelta(0), "now")],
)  # fmt: skip
def test_time_left_in_words(delta: timedelta, words: str) -> None:
    assert in_words(NOW + delta, NOW) == words


def test_a_deadline_is_given_in_utc_iso_and_in_words() -> None:
    assert deadline_text(NOW + timedelta(days=2), NOW) == (
        "2026-11-04T09:00:00+00:00 (Wednesday 4 November 2026, 09:00 UTC, in 2 days)"
    )


def test_mail_is_retried_with_growing_waits_for_three_days_then_given_up() -> None:
    waits, at, attempts = [], NOW, 0
    while (due := next_attempt(attempts + 1, NOW, at)) is not None:
        waits.append(due - at)
        at, attempts = due, attempts + 1
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 4, 16, 64)]
    assert max(waits) == timedelta(hours=6)
    assert at - NOW <= timedelta(days=3) < at - NOW + timedelta(hours=6) + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [("smtp://mail.example:2525", ("mail.example", 2525, False, False, None, None)),
     ("smtp://u%40x:p%3Aw@mail.example:587?starttls",
      ("mail.example", 587, False, True, "u@x", "p:w")),
     ("smtps://u:p@mail.example", ("mail.example", 465, True, False, "u", "p")),
     ("smtp://mail.example", ("mail.example", 25, False, False, None, None))],
)  # fmt: skip
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    s = parse_smtp_url(url)
    assert (s.host, s.port, s.implicit_tls, s.starttls, s.username, s.password) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_a_bad_smtp_url_is_refused_with_its_shape(url: str) -> None:
    with pytest.raises(ValidationError, match="smtp://host:port"):
        parse_smtp_url(url)


@pytest.mark.parametrize("url", ["smtp://u:s3cret@mail.example:587",
                                 "smtp://u:s3cret@mail.example"])  # fmt: skip
def test_a_login_without_tls_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match=r"without TLS.*\?starttls.*smtps://") as refused:
        parse_smtp_url(url)
    assert "s3cret" not in refused.value.detail


def test_a_login_without_tls_only_when_the_url_asks_for_it() -> None:
    s = parse_smtp_url("smtp://u:p@127.0.0.1:2525?allow_plaintext_login")
    assert (s.starttls, s.implicit_tls, s.username, s.password) == (False, False, "u", "p")


@pytest.mark.parametrize("url", [
    "smtp://user:s3cret@mail.example:notaport?starttls",
    "smtp://user:s3cret@mail.example:99999?starttls",
    "smtp://user:s3cret@[::1:25?starttls",
    "smtpx://user:s3cret@mail.example:587",
    "smtp://user:s3c/r@t@mail.example:587x",
])  # fmt: skip
def test_a_bad_smtp_url_is_refused_readably_without_its_password(url: str) -> None:
    with pytest.raises(ValidationError, match="smtp://host:port") as refused:
        parse_smtp_url(url)
    assert "s3c" not in refused.value.detail and "***" in refused.value.detail


def test_time_left_never_says_more_than_is_left() -> None:
    from refundkit.domain.notifications import time_left

    assert time_left(NOW + timedelta(days=5), NOW) == "5 days"
    assert time_left(NOW + timedelta(days=1, hours=23), NOW) == "1 day"
    assert time_left(NOW + timedelta(hours=20, minutes=59), NOW) == "20 hours"
    assert time_left(NOW + timedelta(minutes=40, seconds=30), NOW) == "40 minutes"
    assert time_left(NOW + timedelta(seconds=5), NOW) == "1 minute"
