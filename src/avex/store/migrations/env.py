"""Alembic environment for avex's store.

avex passes its own open connection (``config.attributes["connection"]``) so migrations run inside the
store's transaction with its SQLite settings; a developer running the ``alembic`` command gives
``-x url=...`` instead. Logging is left alone: the application configures it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from avex.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table instead
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database with: alembic -x url=sqlite:///path.db ...")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("avex's migrations run online only (against a database)")
run_migrations_online()
