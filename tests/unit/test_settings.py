"""Every ``REFUNDKIT_*`` setting in one typed object (issue 17): wrong values refused at
start with the setting's name, production's rules, typos caught, secrets masked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from refundkit.adapters.settings import (
    ELSEWHERE,
    PREFIX,
    SettingsError,
    load,
    names,
    shown,
    startup,
    unknown_names,
)
from refundkit.entrypoints.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
KEY = "pk_live_0123456789abcdefWXYZ"


def test_defaults_hold_without_any_setting() -> None:
    settings = load({})
    assert (settings.environment, settings.log_format, settings.log_level) == (
        "development", "plain", "INFO")  # fmt: skip
    assert settings.platform_key is None and settings.metrics_bind() is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REFUNDKIT_LOG_FORMAT", "xml"),
        ("REFUNDKIT_LOG_LEVEL", "loud"),
        ("REFUNDKIT_ENVIRONMENT", "prod"),
        ("REFUNDKIT_MAX_UPLOAD_BYTES", "0"),
        ("REFUNDKIT_METRICS_ADDR", "9464"),
        ("REFUNDKIT_SHUTDOWN_GRACE_SECONDS", "-1"),
        ("REFUNDKIT_SMTP_URL", "http://mail.example"),
        ("REFUNDKIT_TRUSTED_PROXIES", "*"),
        ("REFUNDKIT_PSP", "paypal"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        startup(sandbox=False, environ={name: value})


def test_production_needs_a_platform_key_and_refuses_the_sandbox() -> None:
    with pytest.raises(SettingsError, match="needs REFUNDKIT_PLATFORM_KEY"):
        startup(sandbox=False, environ={"REFUNDKIT_ENVIRONMENT": "production"})
    production = {"REFUNDKIT_ENVIRONMENT": "production", "REFUNDKIT_PLATFORM_KEY": KEY}
    with pytest.raises(SettingsError, match="--sandbox"):
        startup(sandbox=True, environ=production)
    assert startup(sandbox=False, environ=production).environment == "production"
    assert startup(sandbox=True, environ={}).environment == "development"


def test_a_name_close_to_a_setting_is_refused_and_says_which() -> None:
    with pytest.raises(SettingsError, match="REFUNDKIT_PLATFROM_KEY is not a setting; did you "
                       "mean REFUNDKIT_PLATFORM_KEY"):  # fmt: skip
        startup(sandbox=False, environ={"REFUNDKIT_PLATFROM_KEY": KEY})
    # A name close to nothing is only warned about (it may be another tool's).
    assert startup(sandbox=False, environ={"REFUNDKIT_SOMETHING_ELSE_ENTIRELY": "1"})


def test_shown_settings_mask_every_secret() -> None:
    settings = load({
        "REFUNDKIT_PLATFORM_KEY": KEY,
        "REFUNDKIT_DATABASE_URL": "postgresql://rk:db-pass-123@db/refundkit",
        "REFUNDKIT_SMTP_URL": "smtp://mailer:smtp-pass-456@mail:587?starttls",
        "REFUNDKIT_AFTERSHIP_WEBHOOK_SECRET": "as-secret-789",
    })  # fmt: skip
    text = repr(shown(settings))
    for secret in (KEY, "db-pass-123", "smtp-pass-456", "as-secret-789"):
        assert secret not in text
    rows = {name: (value, source) for name, value, source in shown(settings)}
    assert rows["REFUNDKIT_PLATFORM_KEY"] == ("****WXYZ", "environment")
    assert rows["REFUNDKIT_DATABASE_URL"][0] == "postgresql://rk:****@db/refundkit"
    assert rows["REFUNDKIT_LOG_FORMAT"] == ("plain", "default")


def test_refundkit_config_prints_the_effective_settings_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REFUNDKIT_PLATFORM_KEY", KEY)
    monkeypatch.setenv("REFUNDKIT_LOG_FORMAT", "json")
    result = CliRunner().invoke(app, ["config"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert KEY not in result.output and "****WXYZ" in result.output
    assert re.search(r"REFUNDKIT_LOG_FORMAT\s*│\s*json\s*│\s*environment", result.output)
    monkeypatch.setenv("REFUNDKIT_LOG_FORMAT", "xml")
    refused = CliRunner().invoke(app, ["config"])
    assert refused.exit_code == 2 and "REFUNDKIT_LOG_FORMAT" in refused.output


def test_every_refundkit_name_the_code_reads_is_a_declared_setting() -> None:
    """A setting read anywhere in src/ but not declared in the one object fails here."""
    used = set()
    for path in (ROOT / "src").rglob("*.py"):
        used |= set(re.findall(r"REFUNDKIT_[A-Z0-9_]*[A-Z0-9]", path.read_text()))
    known = set(names()) | {PREFIX + n for n in ELSEWHERE}
    assert used - known == set()


def test_every_refundkit_name_the_test_commands_set_is_known() -> None:
    """`.ci/run` and `./dev` export names the service does not read to the whole test run; each
    is known, so a worker or API a test starts with that environment is never refused as for
    a typo (REFUNDKIT_REQUIRE_NODE, set by .ci/run, once stopped every process tests start)."""
    given = set()
    for path in (ROOT / ".ci" / "run", ROOT / "dev"):
        given |= set(re.findall(r"REFUNDKIT_[A-Z0-9_]*[A-Z0-9]", path.read_text()))
    assert "REFUNDKIT_REQUIRE_NODE" in given
    assert unknown_names(dict.fromkeys(given, "1")) == []


def test_docs_list_every_setting() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text()
    missing = [name for name in names() if f"`{name}`" not in operations]
    assert missing == []
