"""Alembic environment: runs against the connection handed in by core.schema, or the URL
in YKT_DATABASE_URL when Alembic is run by hand."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import campaign.models  # noqa: F401  (registers the campaign tables)
import engine.models  # noqa: F401  (registers the engine tables)
from core.config import load_settings
from core.db import Base, make_engine
from core.schema import only_for

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=only_for(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    db_engine = make_engine(load_settings().database_url)
    with db_engine.connect() as conn:
        _run(conn)
    db_engine.dispose()
