"""Shared fixtures: a refundkit on SQLite and on PostgreSQL, on a fixed sandbox clock, and
the ledger check that runs after every test that touched a database."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from books import START, assert_ledger_invariants
from market import Market
from refundkit.adapters.db import tables
from refundkit.adapters.db.engine import create_engine, normalize_url
from refundkit.adapters.db.migrate import upgrade
from refundkit.entrypoints.bootstrap import Runtime, build

POSTGRES_URL = os.environ.get(
    "REFUNDKIT_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REFUNDKIT_REQUIRE_POSTGRES") == "1"
CHROMIUM = Path("/usr/bin/chromium")  # the browser tests' (tests/browser/conftest.py)


def _postgres_reachable() -> bool:
    url = sa.make_url(normalize_url(POSTGRES_URL))
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            pass
    except OSError:
        return False
    return True


_PG_OK = _postgres_reachable()


def pytest_report_header(config: pytest.Config) -> list[str]:
    chromium = CHROMIUM
    browser = (
        f"Browser: the browser tests run in {chromium}" if chromium.exists() else
        f"Browser: NO Chromium at {chromium}; the browser tests are SKIPPED (apt-get install "
        "chromium, or REFUNDKIT_REQUIRE_BROWSER=1 to fail instead)"
    )  # fmt: skip
    return [_postgres_header(), browser]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHROMIUM.exists() and os.environ.get("REFUNDKIT_REQUIRE_BROWSER") != "1":
        terminalreporter.write_line(
            f"browser tests SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium)"
        )


def _postgres_header() -> str:
    if _PG_OK:
        return f"PostgreSQL: tests run on SQLite and on {POSTGRES_URL}"
    return (
        "PostgreSQL: NOT REACHABLE at "
        f"{POSTGRES_URL}; the PostgreSQL variants of the integration tests are SKIPPED "
        "(set REFUNDKIT_TEST_POSTGRES_URL, or REFUNDKIT_REQUIRE_POSTGRES=1 to fail instead)"
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    if not _PG_OK:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"refundkit_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(normalize_url(POSTGRES_URL)).set(database=name)
    rendered = url.render_as_string(hide_password=False)
    engine = create_engine(rendered)
    upgrade(engine)
    engine.dispose()
    yield rendered
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


_DATA_TABLES = [t.name for t in reversed(tables.metadata.sorted_tables)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "refundkit.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE " + ", ".join(_DATA_TABLES) + " RESTART IDENTITY")
    engine.dispose()
    return url


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = build(url=database_url, sandbox=True, migrate=False, sandbox_start=START)
    yield rt
    assert_ledger_invariants(rt.engine)
    rt.close()


@pytest.fixture
def market(runtime: Runtime) -> Market:
    return Market(runtime)


@pytest.fixture(autouse=True)
def _evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads in tests land in the test's own folder, never in the working tree."""
    monkeypatch.setenv("REFUNDKIT_EVIDENCE_DIR", str(tmp_path / "evidence"))
