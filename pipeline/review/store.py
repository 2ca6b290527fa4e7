"""Database access for the web app: one engine for writes, one for reads.

The ledger's SQLite engine opens every transaction with ``BEGIN IMMEDIATE``
(see :mod:`pipeline.ledger.db`), which is right for writes but would make
every page view take the write lock. On SQLite the app therefore reads
through a second engine whose connections are ``query_only`` and open no
explicit transaction (each SELECT sees a consistent WAL snapshot); writes
go through the ledger's engine. Edits stay safe: each one is checked
against the issue's version inside the write transaction. On PostgreSQL
both are the same engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from pipeline.ledger.db import SQLITE_BUSY_TIMEOUT_S, make_engine, make_session_factory


@dataclass(frozen=True)
class Db:
    """Session factories for reads and writes (see the module docstring)."""

    writer: sessionmaker[Session]
    reader: sessionmaker[Session]

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error."""
        with self.writer.begin() as session:
            yield session

    @property
    def engine(self) -> Engine:
        """The write engine (the one migrations and schema checks use)."""
        return self.writer.kw["bind"]  # type: ignore[no-any-return]

    def dispose(self) -> None:
        engines = {self.writer.kw["bind"], self.reader.kw["bind"]}
        for engine in engines:
            engine.dispose()


def _read_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA query_only=ON")
        finally:
            cursor.close()

    return engine


def open_db(url: str) -> Db:
    """Engines and session factories for the ledger at ``url`` (made once, at the entry point)."""
    writer = make_engine(url)
    if writer.url.get_backend_name() == "sqlite" and writer.url.database not in (None, ":memory:"):
        reader = _read_engine(url)
    else:
        reader = writer
    return Db(writer=make_session_factory(writer), reader=make_session_factory(reader))
