"""The policy file: the shipped defaults, and every kind of mistake named by its key."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from refundkit.adapters.policy_files import (
    default_policy_text,
    load_default_policy,
    load_policy_file,
    load_policy_text,
)
from refundkit.domain.errors import PolicyError
from refundkit.domain.policy import parse_policy


def default_data() -> dict[str, Any]:
    return copy.deepcopy(tomllib.loads(default_policy_text()))


def test_default_policy_has_the_design_values() -> None:
    policy = load_default_policy()
    assert policy.version == "2026-12.3"
    assert policy.disputes.buyer_pays_return_postage_for == frozenset({"changed_mind"})
    assert policy.disputes.deduct_seller_label_from_refund is True
    assert policy.payment.pay_within == timedelta(hours=24)
    assert policy.payment.settlement == timedelta(hours=24)
    assert policy.cancellation.free_cancel == timedelta(hours=24)
    assert policy.cancellation.seller_answer == timedelta(hours=48)
    assert policy.shipping.handling_business_days == 7
    assert policy.shipping.max_delivery_days == 60
    assert dict(policy.shipping.max_delivery_days_by_country) == {"BR": 90, "RU": 120}
    assert policy.protection.dispute_opens_after_shipment == timedelta(days=5)
    assert policy.protection.dispute_closes_after_delivery == timedelta(days=15)
    assert policy.protection.extension_cap == timedelta(days=30)
    assert policy.protection.extension_answer == timedelta(hours=48)
    assert policy.protection.release_on_confirmation is False
    assert policy.reminders.before_dispute_close_days == (5, 2)
    assert policy.commission.basis_points == 500
    assert policy.refunds.card_eta_business_days_min == 3
    assert policy.refunds.card_eta_business_days_max == 20
    assert policy.refunds.seller_funds_within == timedelta(days=15)
    assert policy.disputes.seller_answer == timedelta(days=5)
    assert policy.disputes.auto_escalate_after == timedelta(days=15)
    assert policy.disputes.agent_sla_business_days == 2
    assert policy.disputes.evidence_answer == timedelta(days=3)
    assert policy.disputes.appeal_window == timedelta(days=30)
    assert policy.disputes.max_description_chars == 5000
    assert policy.disputes.max_evidence_files == 20
    assert policy.disputes.return_ship_within == timedelta(days=10)
    assert policy.fast_refund.limit_for("platinum", "USD") == 2500
    assert policy.fast_refund.limit_for("diamond", "USD") == 10000
    assert policy.fast_refund.limit_for("gold", "USD") is None
    assert policy.fast_refund.limit_for("platinum", "JPY") is None
    assert policy.disputes.return_confirm_within == timedelta(days=15)


def test_max_delivery_days_for_uses_the_country_override_or_the_default() -> None:
    policy = load_default_policy()
    assert policy.max_delivery_days_for("BR") == 90
    assert policy.max_delivery_days_for("RU") == 120
    assert policy.max_delivery_days_for("DE") == 60


def test_default_file_comments_every_key() -> None:
    lines = default_policy_text().splitlines()
    for index, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            commented = "#" in line or lines[index - 1].lstrip().startswith("#")
            assert commented, f"no comment on or above {line!r}"


def test_policy_is_immutable_and_hashable() -> None:
    policy = load_default_policy()
    with pytest.raises(AttributeError):
        policy.version = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        policy.shipping.max_delivery_days_by_country["DE"] = 99  # type: ignore[index]
    assert hash(policy) == hash(load_default_policy())
    assert policy == load_default_policy()


def test_reminders_are_kept_earliest_first() -> None:
    data = default_data()
    data["reminders"]["before_dispute_close_days"] = [1, 7, 3]
    assert parse_policy(data).reminders.before_dispute_close_days == (7, 3, 1)


def test_override_equal_to_default_is_allowed() -> None:
    data = default_data()
    data["shipping"]["max_delivery_days_by_country"]["CL"] = 60
    assert parse_policy(data).max_delivery_days_for("CL") == 60


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def apply(data: dict[str, Any]) -> None:
        for part in parents:
            data = data[part]
        data[last] = value

    return apply


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def apply(data: dict[str, Any]) -> None:
        for part in parents:
            data = data[part]
        del data[last]

    return apply


BAD_POLICIES = [
    # unknown keys: typos must not pass silently
    ("payment.pay_within_hour", _set("payment.pay_within_hour", 24)),
    ("colour", _set("colour", "blue")),
    (
        "shipping.max_delivery_days_by_country.Brazil",
        _set("shipping.max_delivery_days_by_country.Brazil", 90),
    ),
    # missing keys
    ("payment.pay_within_hours", _delete("payment.pay_within_hours")),
    ("version", _delete("version")),
    ("refunds", _delete("refunds")),
    # wrong types
    ("payment.settlement_hours", _set("payment.settlement_hours", "24")),
    ("payment.settlement_hours", _set("payment.settlement_hours", 24.0)),
    ("payment", _set("payment", 24)),
    ("version", _set("version", 2026)),
    ("version", _set("version", "  ")),
    ("protection.release_on_confirmation", _set("protection.release_on_confirmation", 0)),
    ("reminders.before_dispute_close_days", _set("reminders.before_dispute_close_days", 5)),
    (
        "reminders.before_dispute_close_days[1]",
        _set("reminders.before_dispute_close_days", [5, "2"]),
    ),
    ("shipping.max_delivery_days_by_country", _set("shipping.max_delivery_days_by_country", [90])),
    # bool is not an int
    ("cancellation.seller_answer_hours", _set("cancellation.seller_answer_hours", True)),
    ("commission.basis_points", _set("commission.basis_points", False)),
    # negative or zero where that makes no sense
    ("payment.pay_within_hours", _set("payment.pay_within_hours", 0)),
    ("payment.settlement_hours", _set("payment.settlement_hours", -1)),
    ("shipping.handling_business_days", _set("shipping.handling_business_days", 0)),
    ("shipping.max_delivery_days", _set("shipping.max_delivery_days", -60)),
    (
        "protection.dispute_closes_after_delivery_days",
        _set("protection.dispute_closes_after_delivery_days", 0),
    ),
    ("protection.extension_answer_hours", _set("protection.extension_answer_hours", 0)),
    ("reminders.before_dispute_close_days[0]", _set("reminders.before_dispute_close_days", [0])),
    ("reminders.before_dispute_close_days", _set("reminders.before_dispute_close_days", [2, 2])),
    # out of range
    ("commission.basis_points", _set("commission.basis_points", 10_001)),
    ("commission.basis_points", _set("commission.basis_points", -1)),
    ("shipping.max_delivery_days", _set("shipping.max_delivery_days", 10**9)),
    # min > max
    ("refunds.card_eta_business_days_min", _set("refunds.card_eta_business_days_min", 21)),
    # country codes
    (
        "shipping.max_delivery_days_by_country.br",
        _set("shipping.max_delivery_days_by_country.br", 90),
    ),
    (
        "shipping.max_delivery_days_by_country.BRA",
        _set("shipping.max_delivery_days_by_country.BRA", 90),
    ),
    # an override may only raise the maximum
    (
        "shipping.max_delivery_days_by_country.BR",
        _set("shipping.max_delivery_days_by_country.BR", 30),
    ),
    (
        "shipping.max_delivery_days_by_country.RU",
        _set("shipping.max_delivery_days_by_country.RU", True),
    ),
]


@pytest.mark.parametrize(("key", "mutate"), BAD_POLICIES)
def test_bad_policy_names_the_key(key: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    data = default_data()
    mutate(data)
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    assert caught.value.key == key
    assert caught.value.code == "invalid_policy"


def test_lower_default_maximum_than_an_override_is_fine_but_raising_it_above_is_not() -> None:
    data = default_data()
    data["shipping"]["max_delivery_days"] = 100
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    assert caught.value.key == "shipping.max_delivery_days_by_country.BR"


def test_toml_syntax_error_is_a_policy_error() -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy_text('version = "2026-11\n')
    assert caught.value.key == "<file>"
    assert "TOML" in caught.value.detail


def test_typo_in_toml_text_is_named() -> None:
    text = default_policy_text().replace("free_cancel_hours", "free_cancell_hours")
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text)
    assert caught.value.key == "cancellation.free_cancell_hours"


def test_load_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(default_policy_text().replace("basis_points = 500", "basis_points = 250"))
    assert load_policy_file(path).commission.basis_points == 250
    with pytest.raises(PolicyError) as caught:
        load_policy_file(tmp_path / "missing.toml")
    assert caught.value.key == "<file>"
