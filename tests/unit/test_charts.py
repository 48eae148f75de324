"""The dashboard's server-drawn charts: axes that read well, and no markup from the data."""

from __future__ import annotations

from datetime import date

import pytest

from refundkit.entrypoints.web.charts import Series, horizontal_bars, nice_step, stacked_bars


@pytest.mark.parametrize(
    ("peak", "step"), [(0, 1), (0.4, 1), (2, 1), (4, 1), (5, 2), (50, 20), (74.99, 20),
                       (100, 25), (101, 50)],
)  # fmt: skip
def test_axis_steps_are_1_2_2_5_or_5_times_a_power_of_ten_and_reach_the_peak(
    peak: float, step: float
) -> None:
    assert nice_step(peak) == pytest.approx(step)
    assert nice_step(peak) * 4 >= peak


def test_names_from_the_data_are_escaped() -> None:
    svg = horizontal_bars("Sellers", [("<script>alert(1)</script>", 3.0)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    bars = stacked_bars("Opened", [date(2026, 11, 1)], [Series("<b>x</b>", [1.0])])
    assert "<b>" not in bars


def test_stacked_bars_draw_one_rectangle_per_non_zero_value() -> None:
    days = [date(2026, 11, d) for d in (1, 2, 3)]
    svg = stacked_bars("Opened", days, [Series("a", [1, 0, 2]), Series("b", [0, 0, 1])])
    assert svg.count("<rect") == 3
