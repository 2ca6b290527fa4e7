"""Ledger test databases: every DB test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``$HEHU_TEST_PG_URL``, a URL of a role that may
``CREATE DATABASE`` and ``CREATE ROLE`` (the app-role tests) (e.g. ``postgresql+psycopg://hehu:hehu@127.0.0.1:5432/postgres``;
``.ci/run`` starts a server and sets it). Without it the PostgreSQL half is
skipped and the run says so at the end; with ``HEHU_TEST_PG_REQUIRED=1`` it
fails instead.

Each test gets a fresh database: a copy of a SQLite file migrated once per
session, or on PostgreSQL a new schema (``search_path`` set in the URL) in a
database made for the session, migrated with ``upgrade head``.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_URL = os.environ.get("HEHU_TEST_PG_URL")
PG_REQUIRED = os.environ.get("HEHU_TEST_PG_REQUIRED") == "1"
PG_SKIP_REASON = (
    "HEHU_TEST_PG_URL is not set: the PostgreSQL half of the ledger tests did NOT run "
    "(see tests/ledger/conftest.py to point it at a server)"
)
BACKENDS = ("sqlite", "postgresql")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not PG_URL:
        terminalreporter.write_sep("!", "ledger: " + PG_SKIP_REASON, yellow=True, bold=True)


def _pg_url(database: str, schema: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(database=database)
    if schema:
        url = url.update_query_dict({"options": f"-csearch_path={schema} -csynchronous_commit=off"})
    return url.render_as_string(hide_password=False)


def _admin(sql: str, database: str | None = None) -> None:
    from pipeline.ledger.db import make_engine

    engine = make_engine(_pg_url(database) if database else PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def _migrate(url: str) -> None:
    from pipeline.ledger.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Per backend: a migrated SQLite file to copy, and the PostgreSQL database for test schemas."""
    made: dict[str, str] = {}
    path = tmp_path_factory.mktemp("ledger-template") / "ledger.sqlite"
    _migrate(f"sqlite:///{path}")
    made["sqlite"] = str(path)
    if PG_URL:
        name = f"hehu_ledger_test_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}"')
        made["postgresql"] = name
    yield made
    if "postgresql" in made:
        _admin(f'DROP DATABASE IF EXISTS "{made["postgresql"]}" WITH (FORCE)')


def _skip_without_pg(backend: str) -> None:
    if backend == "postgresql" and not PG_URL:
        if PG_REQUIRED:
            pytest.fail("HEHU_TEST_PG_REQUIRED=1 but HEHU_TEST_PG_URL is not set")
        pytest.skip(PG_SKIP_REASON)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    _skip_without_pg(request.param)
    return request.param


def _fresh(
    backend: str, tmp_path: Path, templates: dict[str, str], *, migrated: bool = True
) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL schema (cheaper than a database: ~0.1 s)."""
    if backend == "sqlite":
        path = tmp_path / f"ledger-{uuid.uuid4().hex[:6]}.sqlite"
        if migrated:
            shutil.copyfile(templates["sqlite"], path)
        yield f"sqlite:///{path}"
        return
    database, schema = templates["postgresql"], f"t_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE SCHEMA {schema}", database)
    url = _pg_url(database, schema)
    if migrated:
        _migrate(url)
    try:
        yield url
    finally:
        _admin(f"DROP SCHEMA {schema} CASCADE", database)


@pytest.fixture
def db_url(backend: str, templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated ledger database."""
    yield from _fresh(backend, tmp_path, templates)


@pytest.fixture
def make_db(backend: str, templates: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    """A function making more fresh migrated databases of the same backend (URLs)."""
    gens: list[Iterator[str]] = []

    def make() -> str:
        gen = _fresh(backend, tmp_path, templates)
        gens.append(gen)
        return next(gen)

    yield make
    for gen in gens:
        next(gen, None)


@pytest.fixture
def empty_db_url(backend: str, templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """URL of a fresh database with no tables (for the migration's own tests)."""
    yield from _fresh(backend, tmp_path, templates, migrated=False)


@pytest.fixture
def engine(db_url: str) -> Iterator[Any]:
    from pipeline.ledger.db import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Any) -> Any:
    from pipeline.ledger.db import make_session_factory

    return make_session_factory(engine)


@pytest.fixture(scope="session")
def zones() -> Any:
    from pipeline.ledger.zones import load_zones
    from tests.ledger.ledger_helpers import ZONES_DIR

    return load_zones(ZONES_DIR)


@pytest.fixture(scope="session")
def spawn_pool() -> Iterator[Any]:
    """Four spawned worker processes sharing a barrier, so their pushes start together."""
    from tests.ledger import ledger_helpers

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    pool = ctx.Pool(4, initializer=ledger_helpers.init_worker, initargs=(barrier,))
    yield pool
    pool.close()
    pool.join()


@pytest.fixture
def one_candidate(session_factory: Any, zones: Any) -> str:
    """The code of the one candidate a fresh ledger gets from one detection."""
    from pipeline.ledger.push import push_flight
    from tests.ledger.ledger_helpers import flight_inputs

    flight, frames, dets = flight_inputs("R1")
    result = push_flight(session_factory=session_factory, flight=flight, frames=frames,
                         detections=dets[:1], zones=zones)  # fmt: skip
    return str(result.created[0])
