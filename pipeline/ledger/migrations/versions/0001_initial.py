"""The initial ledger schema: flights, frames, detections, issues, evidence, audit log.

The audit log is append-only: the database itself rejects UPDATE and DELETE
on it (SQLite: ``RAISE(ABORT, …)`` triggers; PostgreSQL: a trigger function
that raises, also on TRUNCATE).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TYPES = "('luanzhan', 'luancai', 'luandui', 'luanjian')"
STATUSES = (
    "('candidate', 'confirmed', 'false_positive', 'assigned', 'rectifying', 'rectified', 'closed')"
)
SEVERITIES = "('general', 'serious', 'major')"
UTC = sa.DateTime(timezone=True)

SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is not allowed'); END""",
)
PG_TRIGGERS = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "flight",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("source_dir", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("created_at_utc", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flight")),
        sa.UniqueConstraint("key", name=op.f("uq_flight_key")),
    )
    op.create_table(
        "frame",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=True),
        sa.Column("lat_deg", sa.Double(), nullable=True),
        sa.Column("lon_deg", sa.Double(), nullable=True),
        sa.Column("rel_alt_m", sa.Double(), nullable=True),
        sa.Column("gimbal_yaw_deg", sa.Double(), nullable=True),
        sa.Column("gimbal_pitch_deg", sa.Double(), nullable=True),
        sa.Column("width_px", sa.Integer(), nullable=True),
        sa.Column("height_px", sa.Integer(), nullable=True),
        sa.Column("camera_model", sa.String(64), nullable=True),
        sa.Column("footprint", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flight.id"], name=op.f("fk_frame_flight_id_flight")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frame")),
        sa.UniqueConstraint("sha256", name=op.f("uq_frame_sha256")),
    )
    op.create_index(op.f("ix_frame_flight_id"), "frame", ["flight_id"])
    op.create_table(
        "detection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frame_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("class_name", sa.String(128), nullable=False),
        sa.Column("subtype", sa.String(128), nullable=True),
        sa.Column("type", sa.String(16), nullable=True),
        sa.Column("conf", sa.Double(), nullable=False),
        sa.Column("x0_px", sa.Double(), nullable=False),
        sa.Column("y0_px", sa.Double(), nullable=False),
        sa.Column("x1_px", sa.Double(), nullable=False),
        sa.Column("y1_px", sa.Double(), nullable=False),
        sa.Column("qx0", sa.Integer(), nullable=False),
        sa.Column("qy0", sa.Integer(), nullable=False),
        sa.Column("qx1", sa.Integer(), nullable=False),
        sa.Column("qy1", sa.Integer(), nullable=False),
        sa.Column("lat_deg", sa.Double(), nullable=True),
        sa.Column("lon_deg", sa.Double(), nullable=True),
        sa.Column("footprint", sa.JSON(), nullable=True),
        sa.Column("area_m2", sa.Double(), nullable=True),
        sa.Column("captured_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(f"type IS NULL OR type IN {TYPES}", name=op.f("ck_detection_type")),
        sa.CheckConstraint("conf >= 0 AND conf <= 1", name=op.f("ck_detection_conf_range")),
        sa.ForeignKeyConstraint(
            ["frame_id"], ["frame.id"], name=op.f("fk_detection_frame_id_frame")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detection")),
        sa.UniqueConstraint(
            "frame_id",
            "model_sha256",
            "class_name",
            "qx0",
            "qy0",
            "qx1",
            "qy1",
            name=op.f("uq_detection_frame_id_model_sha256_class_name_qx0_qy0_qx1_qy1"),
        ),
    )
    op.create_table(
        "issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("subtype", sa.String(128), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("river_name", sa.String(128), nullable=True),
        sa.Column("river_code", sa.String(64), nullable=True),
        sa.Column("reach", sa.String(128), nullable=True),
        sa.Column("river_chief", sa.String(128), nullable=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("zone_id", sa.String(128), nullable=True),
        sa.Column("in_zone", sa.Boolean(), nullable=False),
        sa.Column("lat_deg", sa.Double(), nullable=False),
        sa.Column("lon_deg", sa.Double(), nullable=False),
        sa.Column("area_m2", sa.Double(), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("discovered_at", sa.DateTime(), nullable=True),
        sa.Column("discovery_method", sa.String(32), nullable=False),
        sa.Column("first_flight_id", sa.Integer(), nullable=True),
        sa.Column("responsible_unit", sa.String(255), nullable=True),
        sa.Column("responsible_person", sa.String(128), nullable=True),
        sa.Column("rectification_measures", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("progress", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("rebound", sa.Boolean(), nullable=False),
        sa.Column("rebound_count", sa.Integer(), nullable=False),
        sa.Column("created_at_utc", UTC, nullable=False),
        sa.Column("updated_at_utc", UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            f"severity IS NULL OR severity IN {SEVERITIES}", name=op.f("ck_issue_severity")
        ),
        sa.CheckConstraint(f"status IN {STATUSES}", name=op.f("ck_issue_status")),
        sa.CheckConstraint(f"type IN {TYPES}", name=op.f("ck_issue_type")),
        sa.ForeignKeyConstraint(
            ["first_flight_id"], ["flight.id"], name=op.f("fk_issue_first_flight_id_flight")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue")),
        sa.UniqueConstraint("code", name=op.f("uq_issue_code")),
    )
    op.create_index(op.f("ix_issue_status"), "issue", ["status"])
    op.create_index(op.f("ix_issue_type_lat_deg_lon_deg"), "issue", ["type", "lat_deg", "lon_deg"])
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("added_at_utc", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["detection_id"], ["detection.id"], name=op.f("fk_evidence_detection_id_detection")
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flight.id"], name=op.f("fk_evidence_flight_id_flight")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_evidence_issue_id_issue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("detection_id", name=op.f("uq_evidence_detection_id")),
    )
    op.create_index(op.f("ix_evidence_issue_id"), "evidence", ["issue_id"])
    op.create_table(
        "evidence_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("watermark", sa.Text(), nullable=True),
        sa.Column("created_at_utc", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["detection_id"], ["detection.id"], name=op.f("fk_evidence_file_detection_id_detection")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_file")),
        sa.UniqueConstraint(
            "sha256", "detection_id", name=op.f("uq_evidence_file_sha256_detection_id")
        ),
    )
    op.create_index(op.f("ix_evidence_file_detection_id"), "evidence_file", ["detection_id"])
    op.create_table(
        "code_sequence",
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("division_code", "year", name=op.f("pk_code_sequence")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at_utc", UTC, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_entity_entity_key"), "audit_log", ["entity", "entity_key"])
    triggers = {"sqlite": SQLITE_TRIGGERS, "postgresql": PG_TRIGGERS}.get(
        op.get_bind().dialect.name, ()
    )
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for table in (
        "audit_log",
        "code_sequence",
        "evidence_file",
        "evidence",
        "issue",
        "detection",
        "frame",
        "flight",
    ):
        op.drop_table(table)
