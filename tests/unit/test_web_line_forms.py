"""The per-item fields of the pages' forms (issue 18, item 5): whole numbers at the edge, and
a use case's ``lines[i]`` message in the page's words."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from refundkit.domain.errors import ValidationError
from refundkit.domain.orders.model import OrderLine
from refundkit.entrypoints.web.line_forms import (
    dispute_lines,
    line_field,
    parcel_lines,
    quantities,
    readable,
)


def test_quantities_are_read_by_prefix_in_the_order_posted() -> None:
    form = FormData([("qty-li_a", "2"), ("csrf_token", "t"), ("qty-li_b", ""), ("qty-", "9"),
                     ("qty-li_a", "5")])  # fmt: skip
    assert quantities(form, "qty-") == {"li_a": "2", "li_b": ""}


def test_dispute_lines_skip_none_and_refuse_zero_and_words() -> None:
    assert dispute_lines({"li_a": "", "li_b": " "}) is None  # the whole order
    assert dispute_lines({"li_a": "2", "li_b": ""}) == (("li_a", 2),)
    for bad, words in (("0", "at least 1 unit"), ("-1", "at least 1 unit"),
                       ("two", "whole number"), ("1.5", "whole number")):  # fmt: skip
        with pytest.raises(ValidationError, match=words) as refused:
            dispute_lines({"li_a": "1", "li_b": bad})
        assert refused.value.extra["field"] == "qty-li_b"


def test_parcel_lines_leave_zero_out_and_refuse_an_empty_parcel() -> None:
    assert parcel_lines({"li_a": "2", "li_b": "0", "li_c": ""}) == (("li_a", 2),)
    with pytest.raises(ValidationError, match="at least one unit") as empty:
        parcel_lines({"li_a": "0", "li_b": ""})
    assert empty.value.extra["field"] == "ship-units"
    with pytest.raises(ValidationError, match="below 0") as negative:
        parcel_lines({"li_a": "-1"})
    assert negative.value.extra["field"] == "ship-li_a"


def test_a_use_cases_line_field_names_the_page_field_of_that_item() -> None:
    sent = (("li_a", 1), ("li_b", 2))
    assert line_field("lines[1]", sent, "ship-") == "ship-li_b"
    assert line_field("lines[0].quantity", sent, "qty-") == "qty-li_a"
    assert line_field("lines[5]", sent, "qty-") == "lines[5]"  # not one the page sent
    assert line_field("requested_refund", sent, "qty-") == "requested_refund"


class _Order:
    lines = [OrderLine("cup", "Cup", 3, 333, "li_cup"), OrderLine("bowl", "Bowl", 2, 500, "li_b")]


def test_readable_drops_the_prefix_and_names_items_by_title() -> None:
    order = _Order()
    assert readable("lines[0]: only 0 unit(s) of li_cup are not under another dispute",
                    order) == "Only 0 unit(s) of Cup are not under another dispute"  # type: ignore[arg-type]  # fmt: skip
    said = readable("lines[1]: not_received covers units of parcels not delivered (0 of li_b); "
                    "for units missing from a delivered parcel, use the sub_reason "
                    "missing_items", order)  # type: ignore[arg-type]  # fmt: skip
    assert said == ("“not received” covers units of parcels not delivered (0 of Bowl); for "
                    "units missing from a delivered parcel, choose “missing items” under "
                    "“More precisely”")  # fmt: skip
