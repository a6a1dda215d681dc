"""Creating and upgrading the schema through Alembic, from code (`ykt init`) or tests."""

from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from core.db import Database


def _migrations_dir() -> Path:
    # Alembic's scripts are the top-level package `migrations`, installed beside core (see
    # setup.cfg). They are located, never imported, here: the migrations import core and the
    # models, so core must not import them.
    spec = find_spec("migrations")
    if spec is None or spec.origin is None:
        raise RuntimeError("the migrations package (Alembic's scripts) is not installed")
    return Path(spec.origin).resolve().parent


MIGRATIONS_DIR = _migrations_dir()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def only_for(dialect: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """Alembic's include_object for a database of `dialect`: an object the models make on
    another database only (`.ddl_if(dialect=...)`, as the ledger's trigram indexes on
    PostgreSQL) is left out of the comparison there."""

    def include(item: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        condition = getattr(item, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        return revision_of(conn)


def revision_of(conn: Connection) -> str | None:
    """The revision the database behind this connection is at, read in its transaction."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(database: Database, revision: str = "head") -> None:
    _migrate(database, lambda config: command.upgrade(config, revision))


def downgrade(database: Database, revision: str) -> None:
    _migrate(database, lambda config: command.downgrade(config, revision))


def _migrate(database: Database, step: Callable[[Config], None]) -> None:
    """Run migrations in one transaction. On SQLite, altering a table rebuilds it (a copy,
    then DROP of the old one), and the DROP would be refused by the foreign keys of the
    tables that point at it: they are switched off for the migration (only possible
    outside a transaction) and every key is checked before the commit instead."""
    config = alembic_config()
    with database.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.dbapi_connection
        if sqlite and raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                step(config)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"迁移后外键不一致：{broken[:5]}")
        finally:
            if sqlite and raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
