"""Database engines: a path means an SQLite file, a ``postgresql://`` URL means PostgreSQL (psycopg 3).

Both go through the same SQLAlchemy Core code; this module holds the few places where they differ:
connection settings (SQLite: WAL, synchronous=FULL, explicit transactions), the upsert construct, and how
a connection failure is described. Migrations (Alembic, shipped in the package) run at every open, so a
database is always at the schema this code expects.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from avex.store.errors import StoreError, first_line

DEFAULT_PATH = "avex.db"
WRITE = {"avex_write": True}
"""Execution options of connections that write: on SQLite they take the write lock at BEGIN."""

_log = logging.getLogger(__name__)
_STORE_DIR = Path(__file__).resolve().parent.parent
SQLITE_BUSY_MS = 10_000  # the gateway's session writes and the batch writer may wait on each other briefly


def database_url(url_or_path: str) -> URL:
    """The SQLAlchemy URL for a path, an ``sqlite:`` URL or a ``postgresql://`` URL."""
    text = url_or_path.strip() or DEFAULT_PATH
    if text.startswith(("postgresql://", "postgres://")):
        text = "postgresql+psycopg://" + text.split("://", 1)[1]
    elif "://" not in text and not text.startswith("sqlite:"):
        if text == ":memory:":
            # Every pooled connection would get its own empty database: the reader would see nothing.
            raise StoreError("the store needs a database file or a PostgreSQL URL, not :memory:")
        return URL.create("sqlite", database=str(Path(text).expanduser().absolute()))
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {describe_text(text)}") from exc
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {describe(url)}: use a file path or a postgresql:// URL")
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def describe(url: URL) -> str:
    """How error messages name a database: the file path, or the URL without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def describe_text(text: str) -> str:
    # A URL that does not even parse may still hold a password: show only its scheme.
    return text.split("://", 1)[0] + "://…" if "://" in text else text


def create(url: URL) -> Engine:
    """An engine for ``url`` with avex's connection settings; nothing is connected yet."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = 5  # an unreachable host fails in seconds, not minutes
    return create_engine(url, connect_args=connect_args)


def _sqlite_engine(url: URL) -> Engine:
    path = url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        _check_sqlite_path(Path(path))
    # The reader runs on other threads than the writer; each pooled connection is used by one at a time.
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Python's sqlite3 opens transactions implicitly (only before DML); switch that off and let the
        # "begin" hook below emit BEGIN, so every SQLAlchemy transaction, reads included, is a real one.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            mode = cur.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                _log.warning("SQLite database %s is not in WAL mode (%s): readers will block", path, mode)
            # Per connection (not stored in the file): a committed batch survives power loss.
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            # No checkpoint inside a commit (it would stall that batch for milliseconds): the server's
            # commit process runs passive checkpoints beside its commits instead (store.commit_child).
            cur.execute("PRAGMA wal_autocheckpoint=0")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that reads first could fail with
        # SQLITE_BUSY when it upgrades, without waiting for the busy timeout.
        immediate = conn.get_execution_options().get("avex_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _check_sqlite_path(path: Path) -> None:
    # SQLite's own error for these is "unable to open database file", which names neither cause.
    parent = path.parent
    if not parent.is_dir():
        raise StoreError(f"cannot open the database {path}: directory {parent} does not exist")
    if path.exists():
        if path.is_dir():
            raise StoreError(f"cannot open the database {path}: it is a directory")
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"cannot open the database {path}: the file is not writable")
    # WAL keeps -wal and -shm files beside the database, so the directory must be writable too.
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(f"cannot open the database {path}: directory {parent} is not writable")


def alembic_config() -> Config:
    cfg = Config(str(_STORE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(_STORE_DIR / "migrations"))
    return cfg


def head_revision() -> str:
    """The schema revision this code expects (the newest migration)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (a new database gets every table)."""
    cfg = alembic_config()
    with engine.execution_options(**WRITE).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_engine(url_or_path: str) -> tuple[Engine, URL]:
    """Create, connect and migrate; any failure becomes one StoreError line naming the database."""
    url = database_url(url_or_path)
    try:
        engine = create(url)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database {describe(url)}: {first_line(exc)}") from exc
    try:
        migrate(engine)
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise StoreError(f"cannot open the database {describe(url)}: {first_line(exc)}") from exc
    return engine, url


def upsert(engine: Engine, table: Table) -> Any:
    """``INSERT ... ON CONFLICT`` for ``table``: both dialects spell it the same, from different modules."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
