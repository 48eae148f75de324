"""Schema migrations with Alembic, shipped inside the package so an installed refundkit
can upgrade its own database (``refundkit migrate``; ``serve`` runs it on start)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


@lru_cache(maxsize=1)
def code_heads() -> frozenset[str]:
    """The migration heads this code ships (read once from the package)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


@lru_cache(maxsize=1)
def code_revisions() -> frozenset[str]:
    """Every migration this code ships."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(s.revision for s in script.walk_revisions())


def schema_state(at: frozenset[str]) -> str:
    """``current`` (at this code's heads), ``ahead`` (a newer release migrated: a revision
    this code does not ship; migrations only expand, so this code still runs), or
    ``behind`` (a revision this code ships but not its head, or none at all)."""
    if at == code_heads():
        return "current"
    if at and not at <= code_revisions():
        return "ahead"
    return "behind"


def schema_heads(engine: Engine) -> frozenset[str]:
    """The revisions the database is at (empty for a database never migrated); raises
    the driver's error when the database does not answer."""
    with engine.connect() as conn:
        return frozenset(MigrationContext.configure(conn).get_current_heads())
