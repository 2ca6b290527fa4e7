"""Revision 0002 on SQLite and PostgreSQL; the review package imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import inspect

REVIEW_TABLES = {
    "app_user",
    "web_session",
    "login_attempt",
    "review_attachment",
    "review_issue_conf",
}


def _check(url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import pipeline.review.models  # noqa: F401
    from pipeline.ledger.db import current_revision, downgrade, head_revision, make_engine, upgrade
    from pipeline.ledger.models import Base

    engine = make_engine(url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= REVIEW_TABLES
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        indexes = {i["name"] for i in inspect(engine).get_indexes("issue")}
        assert {"ix_issue_status_type", "ix_issue_river_name", "ix_issue_zone_id"} <= indexes
        downgrade(engine, "0001")
        assert not REVIEW_TABLES & set(inspect(engine).get_table_names())
        assert "ix_issue_status_type" not in {
            i["name"] for i in inspect(engine).get_indexes("issue")
        }
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migration_on_sqlite(tmp_path) -> None:
    _check(f"sqlite:///{tmp_path / 'm.sqlite'}")


def test_migration_on_postgresql(pg_schema_url) -> None:
    _check(pg_schema_url)


def test_importing_the_review_package_loads_nothing_heavy() -> None:
    code = (
        "import sys, pipeline.review, pipeline.review.models, pipeline.review.queue, "
        "pipeline.review.actions, pipeline.cli.review, pipeline.cli.users, pipeline.cli.feedback\n"
        "heavy = {'fastapi', 'uvicorn', 'cv2', 'argon2', 'torch', 'ultralytics', 'jinja2'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _conf_table_matches_evidence(url: str) -> None:
    from sqlalchemy import text

    from pipeline.ledger.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            kept = dict(
                conn.execute(text("SELECT issue_id, max_conf FROM review_issue_conf")).all()
            )
            truth = dict(
                conn.execute(
                    text(
                        "SELECT e.issue_id, max(d.conf) FROM evidence e "
                        "JOIN detection d ON d.id = e.detection_id GROUP BY e.issue_id"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    assert truth and {k: v for k, v in kept.items() if v is not None} == truth


def test_confidence_table_follows_evidence_on_sqlite(db_url) -> None:
    """Kept by triggers through a real push (and the backfill of existing rows)."""
    _conf_table_matches_evidence(db_url)


def test_confidence_table_follows_evidence_on_postgresql(pg_url) -> None:
    _conf_table_matches_evidence(pg_url)


def test_confidence_triggers_follow_updates_and_deletes(db_url) -> None:
    from sqlalchemy import text

    from pipeline.ledger.db import make_engine

    engine = make_engine(db_url)
    with engine.begin() as conn:
        a, b = conn.execute(text("SELECT id FROM issue ORDER BY id LIMIT 2")).scalars().all()
        moved = conn.execute(
            text("SELECT id FROM evidence WHERE issue_id = :a LIMIT 1"), {"a": a}
        ).scalar()
        conn.execute(text("UPDATE evidence SET issue_id = :b WHERE id = :e"), {"b": b, "e": moved})
        conn.execute(text("DELETE FROM evidence WHERE issue_id = :a"), {"a": a})
    engine.dispose()
    _conf_table_matches_evidence(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        gone = conn.execute(
            text("SELECT max_conf FROM review_issue_conf WHERE issue_id = :a"), {"a": a}
        ).scalar()
    engine.dispose()
    assert gone is None
