"""Carrier scans in AfterShip's tracking webhook format (``tracking_update``), mapped onto
the scans ``POST /v1/tracking-events`` takes.

AfterShip posts ``{event, event_id, ts, msg}`` where ``msg`` is the whole tracking:
``tracking_number``, ``slug`` (the carrier), ``tag`` and every ``checkpoint`` so far, each
``{checkpoint_time, tag, subtag, country_iso3 (or country_region), city, zip, location,
message}``. Every checkpoint becomes a scan; scans already known are ignored downstream,
so a webhook that repeats the history adds only what is new.

It signs the raw body with ``aftership-hmac-sha256``: base64 of HMAC-SHA256 under the
webhook secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pycountry

from refundkit.domain.errors import ValidationError
from refundkit.service.records import TrackingScan

STATUS_OF_TAG = {
    "InfoReceived": "info_received",
    "InTransit": "in_transit",
    "OutForDelivery": "out_for_delivery",
    "AvailableForPickup": "out_for_delivery",
    "AttemptFail": "exception",
    "Exception": "exception",
    "Delivered": "delivered",
}
"""AfterShip's delivery status (``tag``) → refundkit's scan status. ``Pending`` (no carrier
information yet) and ``Expired`` (no news for long) carry no scan and are skipped."""
RETURNED_SUBTAGS = frozenset({"Exception_010", "Exception_011"})
"""Returning to sender, returned to sender: refundkit's ``returned_to_sender``."""
SIGNATURE_HEADER = "aftership-hmac-sha256"
MAX_CHECKPOINTS = 1000
"""As many as ``POST /v1/tracking-events`` takes events in one batch."""
FRESH_FOR = timedelta(days=3)
"""How old a signed webhook's ``ts`` may be: AfterShip retries a failed webhook 13 times, the
last 245,730 s (2.8 days) after the first try."""
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class AfterShipBatch:
    carrier: str
    """AfterShip's slug (``dhl``, ``usps``); matched to the carrier name the order shipped
    with, ignoring case and punctuation."""
    tracking_number: str
    scans: list[TrackingScan]
    skipped: int
    """Checkpoints that carry no scan (Pending, Expired)."""


def signature_matches(secret: str, body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    # Bytes, not str: compare_digest refuses str with non-ASCII characters (a forged header).
    return hmac.compare_digest(base64.b64encode(digest), signature.strip().encode())


def check_fresh(payload: Any, now: datetime) -> None:
    """A webhook's ``ts`` (when AfterShip sent it, Unix seconds) lies within ``FRESH_FOR``
    before ``now`` (and not past ``CLOCK_SKEW`` after it): a signed body captured once cannot
    be played again for ever."""
    ts = payload.get("ts") if isinstance(payload, dict) else None
    if not isinstance(ts, int) or isinstance(ts, bool):
        raise ValidationError("ts must be the webhook's Unix time in seconds", field="ts")
    try:
        sent = datetime.fromtimestamp(ts, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationError("ts is not a time", field="ts") from None
    if sent < now - FRESH_FOR:
        raise ValidationError(f"the webhook was sent at {sent.isoformat()}, more than "
                              f"{FRESH_FOR.days} days ago", field="ts")  # fmt: skip
    if sent > now + CLOCK_SKEW:
        raise ValidationError(f"the webhook's ts {sent.isoformat()} is in the future", field="ts")


def scans_from_webhook(payload: Any, received_at: datetime) -> AfterShipBatch:
    msg = _table(payload.get("msg") if isinstance(payload, dict) else None, "msg")
    number = _text(msg, "tracking_number", "msg")
    slug = _text(msg, "slug", "msg")
    checkpoints = msg.get("checkpoints") or []
    if not isinstance(checkpoints, list):
        raise ValidationError("msg.checkpoints must be a list", field="msg.checkpoints")
    if len(checkpoints) > MAX_CHECKPOINTS:
        raise ValidationError(f"msg.checkpoints holds {len(checkpoints)} checkpoints, more than "
                              f"the {MAX_CHECKPOINTS} one webhook may carry",
                              field="msg.checkpoints", limit=MAX_CHECKPOINTS)  # fmt: skip
    country = _country(msg.get("origin_country_iso3") or msg.get("origin_country_region"))
    scans: list[TrackingScan] = []
    skipped = 0
    for n, raw in enumerate(checkpoints):
        where = f"msg.checkpoints[{n}]"
        point = _table(raw, where)
        status = _status(point, where)
        here = point.get("country_iso3") or point.get("country_region")
        country = _country(here, f"{where}.country_iso3") if here else country
        if status is None:
            skipped += 1
            continue
        if country is None:
            raise ValidationError(f"{where} has no country, and neither has any earlier "
                                  "checkpoint or the origin", field=where)  # fmt: skip
        scans.append(TrackingScan(
            carrier=slug, tracking_number=number, status=status, country=country,
            city=str(point.get("city") or point.get("location") or "")[:200],
            postcode=str(point["zip"])[:32] if point.get("zip") else None,
            occurred_at=_time(point.get("checkpoint_time"), f"{where}.checkpoint_time"),
            description=str(point.get("message") or "")[:1000] or None, received_at=received_at,
        ))  # fmt: skip
    return AfterShipBatch(slug, number, scans, skipped)


def _status(point: dict[str, Any], where: str) -> str | None:
    tag = point.get("tag")
    if point.get("subtag") in RETURNED_SUBTAGS:
        return "returned_to_sender"
    if tag in ("Pending", "Expired"):
        return None
    if tag not in STATUS_OF_TAG:
        raise ValidationError(f"{where}.tag {tag!r} is not an AfterShip delivery status",
                              field=f"{where}.tag")  # fmt: skip
    return STATUS_OF_TAG[str(tag)]


def _country(code: object, where: str = "msg.origin_country_iso3") -> str | None:
    """AfterShip gives ISO 3166 alpha-3 codes; scans use alpha-2."""
    if code is None or code == "":
        return None
    found = pycountry.countries.get(alpha_3=str(code).upper()) if len(str(code)) == 3 else None
    if found is None:
        raise ValidationError(f"{where} {code!r} is not an ISO 3166 alpha-3 country code",
                              field=where)  # fmt: skip
    alpha_2: str = found.alpha_2
    return alpha_2


def _time(value: object, where: str) -> datetime:
    """The carrier's local time, with its offset when AfterShip has one; a time without
    offset (or a bare date) is taken as UTC."""
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{where} must be an ISO 8601 time, got {value!r}",
                              field=where) from None  # fmt: skip
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(f"{where} must be an object", field=where)
    return value


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise ValidationError(f"{where}.{key} must be a text of 1 to 100 characters",
                              field=f"{where}.{key}")  # fmt: skip
    return value.strip()
