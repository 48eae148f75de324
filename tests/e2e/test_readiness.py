"""``/readyz`` and ``/healthz`` (issue 17): ready only when the database answers and its
schema is at the code's migration head; liveness says only that the process answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from api_client import Api, api_fixture, assert_problem  # noqa: F401
from fastapi.testclient import TestClient

from refundkit.adapters.db.engine import create_engine
from refundkit.adapters.db.migrate import code_heads, upgrade
from refundkit.adapters.db.uow import SqlUnitOfWorkFactory
from refundkit.entrypoints.api.app import create_app


def test_ready_at_the_migration_head_without_a_key(api: Api) -> None:
    answer = api.get("/readyz", key=None)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ready", "schema": ", ".join(sorted(code_heads()))}
    assert api.get("/healthz", key=None).json() == {"status": "ok"}


@pytest.fixture
def behind(api: Api) -> Iterator[str]:
    """The same database, its schema one migration behind the code's, for the test."""
    from alembic import command

    from refundkit.adapters.db.migrate import alembic_config

    engine = api.rt.engine
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "-1")
    try:
        yield "behind"
    finally:
        upgrade(engine)


def test_a_schema_behind_the_code_is_not_ready(api: Api, behind: str) -> None:
    body = assert_problem(api.get("/readyz", key=None), 503, "not_ready")
    assert "refundkit migrate" in body["detail"]
    assert api.get("/healthz", key=None).status_code == 200  # alive all the same


def test_a_database_that_does_not_answer_is_not_ready(api: Api, tmp_path: Path) -> None:
    url = api.rt.engine.url
    if url.get_backend_name() == "sqlite":
        broken = tmp_path / "broken.sqlite3"  # not the fixture's own file
        dead = create_engine(f"sqlite:///{broken}")
        broken.write_bytes(b"not a database file, " * 100)  # the file cannot be read
    else:
        dead = create_engine(url.set(port=1).render_as_string(hide_password=False))
    secrets = api.deps.uow.secrets  # type: ignore[attr-defined]
    deps = replace(api.deps, uow=SqlUnitOfWorkFactory(dead, secrets))
    client = TestClient(create_app(deps), raise_server_exceptions=False)
    answer = client.get("/readyz")
    body = assert_problem(answer, 503, "not_ready")
    assert body["detail"] == "the database does not answer"
    assert answer.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200
    dead.dispose()


def test_a_schema_ahead_of_the_code_stays_ready_for_a_rolling_upgrade(api: Api) -> None:
    """A newer release migrated (a revision this code does not ship): the old processes
    keep serving, since migrations only add."""
    with api.rt.engine.begin() as conn:
        [current] = conn.exec_driver_sql("SELECT version_num FROM alembic_version").one()
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    try:
        answer = api.get("/readyz", key=None)
        assert answer.status_code == 200, answer.text
        assert answer.json()["schema"] == "9999"
    finally:
        with api.rt.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": current})
