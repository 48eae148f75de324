"""Fresh databases for the simulator and the benchmarks: a new SQLite file, or a schema of the
tool's own in a given PostgreSQL database (dropped and made anew, never another schema)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from refundkit.adapters.db.engine import create_engine, normalize_url
from refundkit.domain.errors import ValidationError


def fresh_database(url: str | None, default_file: Path, schema: str, *, suffix: str = "") -> str:
    """SQLite: ``default_file`` (replaced), or the file the URL names plus ``suffix`` (it must
    not hold data yet). PostgreSQL: the URL with its search path set to ``schema``."""
    if url is None:
        remove_sqlite(default_file)
        default_file.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{default_file}"
    parsed = sa.make_url(normalize_url(url))
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            raise ValidationError("the SQLite URL needs a file path", field="database_url")
        path = Path(parsed.database)
        if suffix:
            path = path.with_name(f"{path.stem}{suffix}{path.suffix}")
        if path.exists() and path.stat().st_size > 0:
            raise ValidationError(f"{path} exists: a new database file is needed",
                                  field="database_url")  # fmt: skip
        return parsed.set(database=str(path)).render_as_string(hide_password=False)
    engine = create_engine(parsed.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    finally:
        engine.dispose()
    with_path = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
    return with_path.render_as_string(hide_password=False)


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def shown(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)
