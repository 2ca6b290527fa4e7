"""Engines, sessions and migrations. Nothing here runs at import time.

A database is made and kept current by ``upgrade(url)`` (Alembic ``upgrade
head``); :func:`make_engine` is called once at the entry point with a URL:

- ``sqlite:///path.sqlite`` (the default): WAL journal, ``foreign_keys=ON``,
  a 30 s busy timeout, and every transaction opened with ``BEGIN IMMEDIATE``.
  Under WAL a plain (deferred) ``BEGIN`` that later writes fails with
  SQLITE_BUSY_SNAPSHOT when another writer committed in between, and
  busy_timeout does not cover that; taking the write lock at BEGIN does
  (SQLAlchemy's "pysqlite serializable isolation" recipe).
- ``postgresql+psycopg://user:pass@host/db``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.errors import TransientError
from pipeline.ledger.errors import SchemaNotReadyError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
MIGRATION_LOCK_KEY = 0x68656875_6D696772  # "hehu" "migr"
INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for "permission denied", "must be owner"


def default_url(state: Path | None = None) -> str:
    """``$HEHU_DB_URL``, else the SQLite file ``ledger.sqlite`` in ``state`` (default:
    hehu's state folder, :mod:`pipeline.state`)."""
    url = os.environ.get("HEHU_DB_URL")
    if url:
        return url
    from pipeline.state import state_dir

    return f"sqlite:///{(state or state_dir()) / 'ledger.sqlite'}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with hehu's SQLite settings applied (see the module docstring)."""
    if url.startswith("sqlite"):
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, **kwargs.pop("connect_args", {})}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN (below) instead of the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            _enable_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL, waiting out other connections doing the same.

    The switch needs an exclusive lock, and when another connection holds or
    wants one SQLite answers "database is locked" at once instead of calling
    the busy handler (its deadlock avoidance), so the connection's busy
    timeout does not cover it. Several processes opening a new ledger at
    once meet exactly that; they retry here for up to the busy timeout.
    WAL is kept in the file, so once one has switched the rest find it set.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


@contextlib.contextmanager
def ledger_may_be_away() -> Iterator[None]:
    """Turn the database's operational errors (a lost connection, a lock held past the busy
    timeout) into :class:`~pipeline.errors.TransientError`, which the flow retries; wrap
    only idempotent work (a push)."""
    try:
        yield
    except OperationalError as e:
        raise TransientError(f"the ledger did not answer ({e.orig}); retrying may help") from e


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (records are read after the transaction)."""
    return sessionmaker(engine, expire_on_commit=False)


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite file URL (SQLite makes the file, not its folder)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def alembic_config(url: str | None = None) -> Any:
    """An Alembic ``Config`` for hehu's migrations (no ``alembic.ini`` needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the database or bring it to ``revision`` (Alembic ``upgrade``).

    Safe to call from several processes at once: they take turns (SQLite's
    write lock; a PostgreSQL advisory lock) and the later ones find nothing to do.
    """
    import logging

    from alembic import command

    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    ensure_sqlite_folder(engine.url.render_as_string(hide_password=False))
    config = alembic_config()
    try:
        with (
            engine.connect() as connection,
            _sqlite_foreign_keys_off(connection),
            connection.begin(),
        ):
            if connection.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            _check_foreign_keys(connection)
    except DBAPIError as e:
        if getattr(e.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        raise SchemaNotReadyError(
            f"the ledger at {engine.url.render_as_string(hide_password=True)} needs a migration "
            f"that role {engine.url.username} may not make ({e.orig}): run hehu ledger upgrade "
            "as the tables' owner, the migration role (README, Database roles)"
        ) from e


@contextlib.contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite only: foreign keys off for a migration (set before its transaction, as SQLite wants).

    Rebuilding a table (Alembic batch mode, the only way SQLite changes a
    CHECK constraint) drops the old table, which SQLite refuses while enforced
    foreign keys point at it. :func:`_check_foreign_keys` checks the result
    inside the migration's transaction, and they are back on afterwards.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise RuntimeError(
            f"the migration left {len(broken)} broken reference(s), e.g. {table} row {rowid} "
            f"→ {parent}; nothing was changed (the migration was rolled back)"
        )


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Alembic ``downgrade`` (tests of the migration use it)."""
    from alembic import command

    config = alembic_config()
    with (
        engine.connect() as connection,
        _sqlite_foreign_keys_off(connection),
        connection.begin(),
    ):
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        _check_foreign_keys(connection)


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (``None``: not created), read from ``alembic_version``."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _state_note(path: str) -> str:
    """`` (the state folder and why)`` when ``path`` lies in the default state folder."""
    from pipeline.state import state_dir, where

    return f" ({where()})" if Path(path).resolve().parent == state_dir() else ""


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaNotReadyError` unless the database is at the latest migration."""
    url = engine.url.render_as_string(hide_password=True)
    if engine.url.get_backend_name() == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not Path(path).is_file():
            raise SchemaNotReadyError(
                f"no ledger database at {path}{_state_note(path)}; "
                "hehu run FLIGHT_DIR creates it, or: hehu ledger upgrade"
            )
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaNotReadyError(
            f"the ledger at {url} is at migration {current or 'none'}, expected {head}; "
            f"bring it up to date with: hehu ledger upgrade --db {url}"
        )
