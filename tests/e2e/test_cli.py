"""The ``refundkit`` command: policy check, users create, migrate (DESIGN §6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from refundkit.adapters.db import tables
from refundkit.entrypoints.cli.main import app
from refundkit.service.users import hash_api_key

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "src/refundkit/policy/default.toml"
runner = CliRunner()


def _flat(text: str) -> str:
    """Output without the line breaks a narrow terminal adds."""
    return " ".join(text.split())


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("REFUNDKIT_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    return url


def test_the_shipped_policy_checks_ok() -> None:
    assert DEFAULT_POLICY.is_file()
    result = runner.invoke(app, ["policy", "check", str(DEFAULT_POLICY)])
    assert result.exit_code == 0, result.output
    assert _flat(result.output).startswith("ok:")
    assert "valid policy" in _flat(result.output)


def test_a_misspelt_policy_key_is_named(tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text()
    assert "free_cancel_hours = " in text
    typo = tmp_path / "typo.toml"
    typo.write_text(text.replace("free_cancel_hours = ", "free_cancel_hour = ", 1))
    result = runner.invoke(app, ["policy", "check", str(typo)])
    assert result.exit_code != 0
    out = _flat(result.output)
    assert re.search(r"cancellation\.free_cancel_hour\b", out), out
    assert not out.startswith("ok")


def test_a_policy_with_a_bad_value_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_POLICY.read_text().replace("basis_points = 500", "basis_points = -5"))
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code != 0
    assert "commission.basis_points" in _flat(result.output)


def test_a_missing_or_broken_policy_file_is_refused_readably(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('version = "x"\n[payment\n')
    for path in (tmp_path / "nope.toml", broken):
        result = runner.invoke(app, ["policy", "check", str(path)])
        assert result.exit_code != 0
        assert isinstance(result.exception, SystemExit), result.exception
        assert _flat(result.output).startswith("error:"), result.output


def test_migrate_creates_the_schema(database: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli.sqlite3").is_file()
    engine = sa.create_engine(database)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {t.name for t in tables.metadata.sorted_tables} <= names
    again = runner.invoke(app, ["migrate"])  # a second run is a no-op
    assert again.exit_code == 0, again.output


def test_users_create_prints_a_working_api_key(database: str) -> None:
    result = runner.invoke(
        app, ["users", "create", "--role", "buyer", "--name", "Ann Example",
              "--email", "Ann@Example.io", "--country", "DE", "--tier", "gold"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    keys = re.findall(r"\brk_[A-Za-z0-9_-]{20,}", result.output)
    assert len(keys) == 1, result.output
    engine = sa.create_engine(database)
    try:
        with engine.connect() as conn:
            user = conn.execute(
                sa.select(tables.users).where(tables.users.c.email == "ann@example.io")
            ).one()
            owner = conn.execute(
                sa.select(tables.api_keys.c.user_id).where(
                    tables.api_keys.c.key_hash == hash_api_key(keys[0])
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert owner == user.id
    assert user.id in result.output
    assert user.role == "buyer"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--email", "not-an-email"], "email"),
        (["--country", "Germany"], "country"),
        (["--tier", "bronze"], "tier"),
    ],
)
def test_users_create_refuses_bad_input_readably(database: str, args: list[str],
                                                 words: str) -> None:  # fmt: skip
    base = {"--role": "buyer", "--name": "Bo", "--email": "bo@example.io", "--country": "DE"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["users", "create"] + [part for pair in base.items() for part in pair]
    result = runner.invoke(app, argv)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert words in _flat(result.output).lower(), result.output


def test_users_create_refuses_a_taken_email(database: str) -> None:
    argv = ["users", "create", "--role", "seller", "--name", "Shop", "--email", "shop@example.io",
            "--country", "CN"]  # fmt: skip
    assert runner.invoke(app, argv).exit_code == 0
    again = runner.invoke(app, argv)
    assert again.exit_code != 0
    assert "shop@example.io" in _flat(again.output)
