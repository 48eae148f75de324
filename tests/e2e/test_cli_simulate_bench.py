"""`refundkit simulate --quick` and `refundkit bench --quick` run to the end on SQLite and on
PostgreSQL, write their report, and leave books that balance. (How fast they are is what
the commands print, never what a test asserts.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from refundkit.adapters.db.engine import create_engine
from refundkit.adapters.db.ledger_repository import invariant_violations
from refundkit.adapters.policy_files import default_policy_text
from refundkit.entrypoints.cli.main import app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tool_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new SQLite file, or the test PostgreSQL database (the tools work in their own
    schemas there)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tool.sqlite3'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


def _in_schema(url: str, schema: str) -> str:
    if url.startswith("sqlite"):
        return url
    parsed = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def _what_if_policy(tmp_path: Path) -> Path:
    text = default_policy_text()
    text = re.sub(r'^version = ".*"$', 'version = "what-if-1"', text, count=1, flags=re.M)
    text = text.replace("seller_answer_days = 5", "seller_answer_days = 2")
    key = "resolve_not_received_at_once"
    text = text.replace(
        f'{key} = ["shared_tracking", "delivered_before_shipment"]',
        f'{key} = ["shared_tracking", "delivered_before_shipment", "no_tracking_info"]',
    )
    # Issue 19: every seller with a defect restricted, every buyer with a claim flagged.
    for table, changes in (
        ("[seller_standing]", STRICT_SELLERS),
        ("[buyer_signals]", STRICT_BUYERS),
    ):
        head, tail = text.split(table, 1)
        for old, new in changes:
            tail = tail.replace(old, new, 1)
        text = head + table + tail
    path = tmp_path / "what-if.toml"
    path.write_text(text)
    return path


STRICT_SELLERS = (
    ("window_days = 60", "window_days = 3650"),
    ("minimum_orders = 5", "minimum_orders = 1"),
    ("at_risk_from_basis_points = 100", "at_risk_from_basis_points = 1"),
    ("restricted_from_basis_points = 200", "restricted_from_basis_points = 1"),
)
STRICT_BUYERS = (
    ("window_days = 90", "window_days = 3650"),
    ("minimum_orders = 5", "minimum_orders = 1"),
    ("claim_rate_from_basis_points = 5000", "claim_rate_from_basis_points = 1"),
)
DEFECTIVE_SELLERS = (
    "SELECT count(DISTINCT seller_id) FROM disputes WHERE outcome <> 'no_refund' AND "
    "(decided_by = 'agent' OR rule IN ('disputes.seller_answer_days', "
    "'disputes.return_confirm_within_days') OR rule LIKE 'tracking.%')"
)


def _row(report: str, label: str) -> list[str]:
    """The cells of the report's table row that starts with ``label``."""
    line = next(x for x in report.splitlines() if x.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")][1:]


def test_simulate_quick_writes_its_report_and_both_ledgers_balance(
    tool_database: str, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    policy = _what_if_policy(tmp_path)
    result = CliRunner().invoke(app, ["simulate", "--quick", "--out", str(out), "--database-url",
                                      tool_database, "--policy", str(policy)])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = (out / "report.md").read_text()
    for heading in ("## Outcomes by reason (base)", "## Money refunded and who bore it (base)",
                    "## Who decided (what-if)", "## Time to resolution (base)",
                    "## Deadlines missed (what-if)", "## Sellers flagged (base)",
                    "## What changed under the other policy"):  # fmt: skip
        assert heading in report
    assert "what-if (policy what-if-1)" in report
    assert "| ledger | balances | balances |" in report
    charts = sorted(out.glob("*.svg"))
    assert {c.name for c in charts} >= {"base-outcomes.svg", "what-if-money.svg",
                                         "comparison.svg"}  # fmt: skip
    for chart in charts:
        assert ET.parse(chart).getroot().tag == "{http://www.w3.org/2000/svg}svg"
        assert "http" not in chart.read_text().replace("http://www.w3.org/2000/svg", "")
    # The books of both runs, proved again here rather than trusted from the report.
    urls = [tool_database, tool_database.replace("tool.sqlite3", "tool-whatif.sqlite3")]
    counted: list[tuple[int, int, int]] = []
    for url, schema in zip(urls, ("refundkit_sim", "refundkit_sim_whatif"), strict=True):
        engine = create_engine(_in_schema(url, schema))
        with engine.connect() as conn:
            assert invariant_violations(conn) == []
            disputes = conn.exec_driver_sql("SELECT count(*) FROM disputes").scalar_one()
            counted.append((
                conn.exec_driver_sql("SELECT count(*) FROM disputes "
                                     "WHERE return_shipped_at IS NOT NULL").scalar_one(),
                conn.execute(sa.text(DEFECTIVE_SELLERS)).scalar_one(),  # '%' escaped for psycopg
                conn.exec_driver_sql("SELECT count(DISTINCT buyer_id) FROM disputes").scalar_one(),
            ))  # fmt: skip
        engine.dispose()
        assert disputes > 0
    # The what-if figures (issue 19), against what each database holds.
    assert "## What the other policy saves" in report
    base, what_if = counted
    assert _row(report, "returns avoided") == [str(base[0]), str(what_if[0]),
                                               f"{base[0] - what_if[0]:+}"]  # fmt: skip
    assert _row(report, "sellers restricted")[1] == str(what_if[1])
    assert _row(report, "buyers flagged")[1] == str(what_if[2])
    assert int(_row(report, "buyers flagged")[1]) > 0
    assert any(x.startswith("| postage saved (") for x in report.splitlines())


def test_bench_quick_prints_every_workload_and_writes_its_table(
    tool_database: str, tmp_path: Path
) -> None:
    out = tmp_path / "bench"
    result = CliRunner().invoke(app, ["bench", "--quick", "--sweep-orders", "500", "--out",
                                      str(out), "--database-url", tool_database])  # fmt: skip
    assert result.exit_code == 0, result.output
    [table] = out.glob("bench-*.md")
    text = table.read_text()
    for number in range(1, 7):
        assert re.search(rf"^\| {number} \| ", text, flags=re.M), number
    assert "500 of 500 orders released" in text
    assert "ledger: balances" in text
    assert "0 over-refunds" in text
    assert re.search(r"\d+ events, 0 lost, 0 sent twice", text)
    assert "answered 413" in text
    engine = create_engine(_in_schema(tool_database, "refundkit_bench"))
    with engine.connect() as conn:
        assert invariant_violations(conn) == []
    engine.dispose()
