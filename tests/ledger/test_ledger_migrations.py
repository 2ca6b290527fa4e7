"""The Alembic migration makes the schema the models describe, on both databases."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import inspect, text

from pipeline.ledger.db import (
    check_schema,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from pipeline.ledger.errors import SchemaNotReadyError
from pipeline.ledger.models import Base

TABLES = {
    "flight",
    "frame",
    "detection",
    "issue",
    "evidence",
    "evidence_file",
    "code_sequence",
    "audit_log",
}


def test_upgrade_creates_the_schema_the_models_describe(empty_db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(empty_db_url)
    try:
        with pytest.raises(SchemaNotReadyError, match="hehu ledger upgrade"):
            check_schema(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        check_schema(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        upgrade(engine)  # idempotent
        downgrade(engine)
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _audit_guards(engine) -> dict[str, str]:
    """The audit log's append-only triggers, with when they fire (PostgreSQL's tgenabled)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, 'O' FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT tgname, tgenabled FROM pg_trigger "
                "WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
            )
        return {name: str(enabled) for name, enabled in rows}


def test_0005_refuses_replacing_audit_entries_and_downgrades(empty_db_url: str, backend) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0004")
        before = _audit_guards(engine)
        upgrade(engine, "0005")
        after = _audit_guards(engine)
        if backend == "sqlite":
            assert set(after) - set(before) == {"audit_log_no_replace"}
        else:  # also in sessions with session_replication_role = replica
            assert set(before.values()) == {"O"} and after == dict.fromkeys(before, "A")
        downgrade(engine, "0004")
        assert _audit_guards(engine) == before and current_revision(engine) == "0004"
    finally:
        engine.dispose()


def test_0006_adds_the_exact_bytes_of_paths_and_downgrades(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)

    def columns(table: str) -> set[str]:
        return {c["name"] for c in inspect(engine).get_columns(table)}

    try:
        upgrade(engine, "0005")
        assert "path_bytes" not in columns("frame")
        upgrade(engine, "0006")
        assert "path_bytes" in columns("frame") and "source_dir_bytes" in columns("flight")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO flight (key, name, source_dir_bytes, created_at_utc) "
                     "VALUES ('k', 'n', :raw, CURRENT_TIMESTAMP)"),
                {"raw": b"/f/\xba\xd3"},
            )  # fmt: skip
            assert conn.execute(text("SELECT source_dir_bytes FROM flight")).scalar() == (
                b"/f/\xba\xd3"
            )
        downgrade(engine, "0005")
        assert "path_bytes" not in columns("frame") and "source_dir_bytes" not in columns("flight")
        assert current_revision(engine) == "0005"
    finally:
        engine.dispose()


def test_constraint_names_follow_the_convention(engine) -> None:
    insp = inspect(engine)
    assert insp.get_pk_constraint("issue")["name"] in (
        "pk_issue",
        None,
    )  # SQLite does not report PK names
    uniques = {u["name"] for u in insp.get_unique_constraints("issue")}
    assert "uq_issue_code" in uniques


def test_missing_sqlite_file_is_reported_not_created(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nope.sqlite'}")
    with pytest.raises(SchemaNotReadyError, match="no ledger database"):
        check_schema(engine)
    assert not (tmp_path / "nope.sqlite").exists()


def test_sqlite_connection_settings(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    engine.dispose()


def test_sqlite_writers_that_read_first_do_not_fail_with_busy_snapshot(tmp_path) -> None:
    """Read-then-write racing another writer: plain BEGIN fails under WAL, BEGIN IMMEDIATE waits."""
    engine = make_engine(f"sqlite:///{tmp_path / 'race.sqlite'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE n (v INTEGER)")
        conn.exec_driver_sql("INSERT INTO n VALUES (0)")
    errors: list[BaseException] = []
    inside = threading.Event()

    def slow_increment() -> None:
        try:
            with engine.begin() as conn:
                v = conn.exec_driver_sql("SELECT v FROM n").scalar()
                inside.set()
                time.sleep(0.3)
                conn.execute(text("UPDATE n SET v = :v"), {"v": v + 1})
        except BaseException as e:  # pragma: no cover - the failure being tested for
            errors.append(e)

    def quick_increment() -> None:
        inside.wait(5)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("UPDATE n SET v = v + 1")
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=slow_increment), threading.Thread(target=quick_increment)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT v FROM n").scalar() == 2  # no lost update either
    engine.dispose()


def test_the_merged_status_migration_keeps_every_row(engine, session_factory, zones) -> None:
    """0004 rebuilds ``issue`` on SQLite (its status CHECK changes) while evidence refers to it."""
    from pipeline.ledger.merge import merge_issues
    from pipeline.ledger.push import push_flight
    from tests.ledger.ledger_helpers import canonical_snapshot, flight_inputs

    flight, frames, dets = flight_inputs("A")
    push_flight(session_factory=session_factory, flight=flight, frames=frames, detections=dets,
                zones=zones)  # fmt: skip
    before = canonical_snapshot(engine)
    downgrade(engine, "0003")
    assert "merged_into_id" not in {c["name"] for c in inspect(engine).get_columns("issue")}
    assert canonical_snapshot(engine) == before
    upgrade(engine)
    assert canonical_snapshot(engine) == before
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        piles = "SELECT code FROM issue WHERE type = 'luandui' ORDER BY code"
        codes = [r[0] for r in conn.exec_driver_sql(piles)]
    with session_factory.begin() as session:  # the new status is accepted
        merge_issues(session=session, code=codes[1], into=codes[0], expected_version=1,
                     actor="x", force=True)  # fmt: skip
    with pytest.raises(RuntimeError, match="merged issues"):
        downgrade(engine, "0003")
    assert current_revision(engine) == head_revision()
