"""Review app fixtures: a ledger holding the hand-labelled sample flight, accounts, clients.

``sample_ledger`` (session) pushes the embedded sample flight's five real frames
with hand-placed boxes, always (``review_helpers.build_sample_ledger``: whether
models are installed never changes what the review tests see), and adds one
account per role (``admin``, ``rev``, ``rev2``, ``op``, ``view``; the password of
NAME is ``password_of(NAME)``), hashed with argon2's cheapest profile. Each test
gets a copy of that SQLite file. PostgreSQL tests get a schema of their own on
``$HEHU_TEST_PG_URL`` with the same flight. The really processed path is
``test_review_processed.py``. Helpers tests import live in ``review_helpers``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.review.review_helpers import (
    add_users,
    build_sample_ledger,
    csrf_of,
    log_in,
    push_hand_labelled_sample_flight,
)

PG_URL = os.environ.get("HEHU_TEST_PG_URL")


@pytest.fixture(scope="session")
def hasher() -> Any:
    from pipeline.review.security import make_hasher

    return make_hasher("test")


@pytest.fixture(scope="session")
def sample_ledger(tmp_path_factory: pytest.TempPathFactory, hasher: Any) -> Path:
    """The SQLite file of the hand-labelled sample flight and the accounts."""
    path = tmp_path_factory.mktemp("review-ledger") / "ledger.sqlite"
    url = f"sqlite:///{path}"
    build_sample_ledger(url)
    add_users(url, hasher)
    return path


@pytest.fixture
def db_url(sample_ledger: Path, tmp_path: Path) -> str:
    path = tmp_path / "ledger.sqlite"
    shutil.copyfile(sample_ledger, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(db_url: str, tmp_path: Path, hasher: Any) -> Iterator[Callable[..., Any]]:
    """``make(db_url=None, start_flight=None, **config)``: an app on the test's ledger."""
    from pipeline.review.app import create_app
    from pipeline.review.config import ReviewConfig
    from pipeline.review.store import open_db

    opened: list[Any] = []

    def make(url: str | None = None, start_flight: Any = None, **config: Any) -> Any:
        db = open_db(url or db_url)
        opened.append(db)
        cfg = ReviewConfig(state_dir=tmp_path / "review-state", **config)
        return create_app(cfg, db, hasher=hasher, start_flight=start_flight)

    yield make
    for db in opened:
        db.dispose()


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def client_for(app: Any) -> Iterator[Callable[[str | None], Any]]:
    """``client_for(username)``: a TestClient logged in as that account (``None``: anonymous)."""
    from fastapi.testclient import TestClient

    clients: list[Any] = []

    def make(username: str | None) -> Any:
        client = TestClient(app, headers={"accept": "text/html"})
        clients.append(client)
        if username is not None:
            response = log_in(client, username)
            assert response.status_code == 303, response.text
            client.csrf = csrf_of(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_admin(sql: str, database: str | None = None) -> None:
    from sqlalchemy.engine import make_url

    from pipeline.ledger.db import make_engine

    url = (
        PG_URL
        if database is None
        else make_url(PG_URL).set(database=database).render_as_string(hide_password=False)
    )
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def require_pg() -> None:
    if not PG_URL:
        if os.environ.get("HEHU_TEST_PG_REQUIRED") == "1":
            pytest.fail("HEHU_TEST_PG_REQUIRED=1 but HEHU_TEST_PG_URL is not set")
        pytest.skip("HEHU_TEST_PG_URL is not set: PostgreSQL review tests did not run")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of its own for this session's PostgreSQL review tests (dropped after)."""
    require_pg()
    name = f"hehu_review_test_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_schema_url(pg_database: str) -> Iterator[str]:
    """URL of an empty schema of its own (``search_path`` set in the URL)."""
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:10]}"
    _pg_admin(f"CREATE SCHEMA {schema}", pg_database)
    url = make_url(PG_URL).set(database=pg_database)
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        _pg_admin(f"DROP SCHEMA {schema} CASCADE", pg_database)


@pytest.fixture
def pg_url(pg_schema_url: str, hasher: Any) -> str:
    """A migrated schema with the hand-labelled sample flight and the accounts."""
    import pipeline.review.models  # noqa: F401
    from pipeline.ledger.db import make_engine, upgrade

    engine = make_engine(pg_schema_url)
    upgrade(engine)
    engine.dispose()
    push_hand_labelled_sample_flight(pg_schema_url)
    add_users(pg_schema_url, hasher)
    return pg_schema_url


# --- browsers (Debian chromium through Playwright, see live.py; tests marked ``browser``) ---


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.review.live import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def base(make_app: Callable[..., Any]) -> Iterator[str]:
    """The base URL of a live server on the test's ledger."""
    from tests.review.live import serve

    with serve(make_app()) as url:
        yield url


@pytest.fixture
def page_for(browser: Any, base: str) -> Iterator[Callable[[str], Any]]:
    """``page_for(username)``: a zh-CN page logged in as that account on ``base``."""
    from tests.review.live import log_in as log_in_page
    from tests.review.review_helpers import password_of

    contexts: list[Any] = []

    def make(username: str) -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in_page(page, base, username, password_of(username))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def field_client(make_app: Callable[..., Any], tmp_path: Path) -> Iterator[Any]:
    """A client of ``rev``, the patroller of a grid over the example zone."""
    from tests.review.field_helpers import patroller_client

    yield from patroller_client(make_app, tmp_path)
