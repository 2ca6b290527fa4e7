"""PostgreSQL: the app's role may append to the audit log and read it, never rewrite it."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pipeline.errors import ConfigError
from pipeline.ledger.audit import history
from pipeline.ledger.db import make_engine, make_session_factory, upgrade
from pipeline.ledger.models import AuditLog
from pipeline.ledger.push import push_flight
from pipeline.ledger.roles import grant_app_role, revoke_app_role
from pipeline.ledger.workflow import transition
from tests.ledger.ledger_helpers import flight_inputs


@pytest.fixture
def app_role(engine, backend):
    """A fresh login role owning nothing; dropped afterwards."""
    if backend != "postgresql":
        pytest.skip("database roles are PostgreSQL only")
    with engine.connect() as conn:
        if not conn.exec_driver_sql(
            "SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).scalar():
            reason = (
                "the test role lacks CREATEROLE (ALTER ROLE hehu CREATEROLE; .ci/run grants it)"
            )
            required = os.environ.get("HEHU_TEST_PG_REQUIRED") == "1"  # as conftest.py
            pytest.fail(reason) if required else pytest.skip(reason)
    name = f"hehu_app_{uuid.uuid4().hex[:8]}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD 'app'")
    yield name
    revoke_app_role(engine, name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"DROP ROLE {name}")


@pytest.fixture
def app_engine(db_url, engine, app_role):
    grant_app_role(engine, app_role)
    url = make_url(db_url).set(username=app_role, password="app")
    eng = make_engine(url.render_as_string(hide_password=False))
    yield eng
    eng.dispose()


#: What the owner may do to the audit log and the app's role may not.
REWRITES = [
    "UPDATE audit_log SET new_value = 'rewritten'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete",
    "DROP TRIGGER audit_log_no_update_delete ON audit_log",
    "ALTER TABLE audit_log OWNER TO CURRENT_USER",
    "DROP TABLE audit_log",
]


def test_the_app_role_runs_the_ledger_but_cannot_rewrite_the_audit_log(app_engine) -> None:
    upgrade(app_engine)  # every run calls it: at head it only reads alembic_version
    sessions = make_session_factory(app_engine)
    flight, frames, dets = flight_inputs("A")
    code = push_flight(session_factory=sessions, flight=flight, frames=frames,
                       detections=dets).created[0]  # fmt: skip
    with sessions.begin() as session:
        transition(session=session, code=code, to="confirmed", expected_version=1, actor="r")
    with sessions() as session:
        before = [(e.id, e.field, e.new_value) for e in history(session=session, entity="issue",
                                                                  entity_key=code)]  # fmt: skip
    assert before[0][1:] == ("status", "candidate") and before[-1][1:] == ("status", "confirmed")
    for statement in REWRITES:
        denied = pytest.raises(DBAPIError, match=r"permission denied|must be owner")
        with denied, app_engine.begin() as conn:
            conn.exec_driver_sql(statement)
    with sessions() as session:
        after = session.execute(select(AuditLog.id, AuditLog.field, AuditLog.new_value)).all()
    assert [tuple(r) for r in after if r[0] in {i for i, _, _ in before}] == before


def test_the_owner_still_meets_the_append_only_triggers(engine, app_role) -> None:
    grant_app_role(engine, app_role)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_log (at_utc, actor, entity, entity_key, field) "
            "VALUES (now(), 'a', 'issue', 'X', 'status')"
        )
        conn.exec_driver_sql("UPDATE audit_log SET note = 'x'")


@pytest.mark.parametrize("role", ["postgres", "no_such_role_here"])
def test_a_superuser_or_a_missing_role_is_refused(engine, backend, role) -> None:
    if backend != "postgresql":
        pytest.skip("database roles are PostgreSQL only")
    with pytest.raises(ConfigError, match=r"superuser|create it first"):
        grant_app_role(engine, role)


def test_roles_on_sqlite_are_a_clear_error(engine, backend) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite has no roles")
    with pytest.raises(ConfigError, match="PostgreSQL feature"):
        grant_app_role(engine, "hehu_app")


def test_ledger_upgrade_grants_the_app_role(db_url, app_role, capsys) -> None:
    from pipeline.cli import main

    assert main(["ledger", "upgrade", "--db", db_url, "--app-role", app_role]) == 0
    assert f"role {app_role} may read and write the ledger" in capsys.readouterr().out
    url = make_url(db_url).set(username=app_role, password="app")
    app = make_engine(url.render_as_string(hide_password=False))
    try:
        with app.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO audit_log (at_utc, actor, entity, entity_key, field) "
                "VALUES (now(), 'a', 'issue', 'X', 'status')"
            )
        with pytest.raises(DBAPIError, match="permission denied"), app.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_log")
    finally:
        app.dispose()


def test_the_app_role_cannot_migrate_and_says_who_can(db_url, engine, app_engine) -> None:
    from pipeline.ledger.db import current_revision, downgrade, head_revision
    from pipeline.ledger.errors import SchemaNotReadyError

    downgrade(engine, "0003")  # as the owner: the ledger now needs a migration
    with pytest.raises(SchemaNotReadyError, match="as the tables' owner"):
        upgrade(app_engine)
    assert current_revision(engine) == "0003"
    upgrade(engine)
    assert current_revision(app_engine) == head_revision()
