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
    path = tmp_path / "what-if.toml"
    path.write_text(text)
    return path


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
    for url, schema in zip(urls, ("refundkit_sim", "refundkit_sim_whatif"), strict=True):
        engine = create_engine(_in_schema(url, schema))
        with engine.connect() as conn:
            assert invariant_violations(conn) == []
            disputes = conn.exec_driver_sql("SELECT count(*) FROM disputes").scalar_one()
        engine.dispose()
        assert disputes > 0


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
