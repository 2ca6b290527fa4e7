"""Review app: accounts, web sessions, login attempts, closure attachments; queue indexes.

The tables are described by :mod:`pipeline.review.models`; the indexes over
``issue`` and ``evidence`` serve the review queue's filters (status and type,
river, zone, flight) at 10,000+ candidates. ``review_issue_conf`` holds each
issue's highest evidence confidence, recomputed by triggers whenever an
``evidence`` row is inserted, updated or deleted (whoever writes it), and
filled here from the evidence already present.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
ROLES = "('viewer', 'reviewer', 'operator', 'admin')"
KINDS = "('after_photo', 'later_frame')"
RECOMPUTE = (
    "INSERT INTO review_issue_conf (issue_id, max_conf) SELECT {id}, (SELECT max(d.conf) "
    "FROM evidence e JOIN detection d ON d.id = e.detection_id WHERE e.issue_id = {id}) "
    "WHERE {id} IS NOT NULL "
    "ON CONFLICT (issue_id) DO UPDATE SET max_conf = excluded.max_conf"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER review_conf_insert AFTER INSERT ON evidence BEGIN "
    + RECOMPUTE.format(id="NEW.issue_id")
    + "; END",
    "CREATE TRIGGER review_conf_update AFTER UPDATE ON evidence BEGIN "
    + RECOMPUTE.format(id="OLD.issue_id")
    + "; "
    + RECOMPUTE.format(id="NEW.issue_id")
    + "; END",
    "CREATE TRIGGER review_conf_delete AFTER DELETE ON evidence BEGIN "
    + RECOMPUTE.format(id="OLD.issue_id")
    + "; END",
)
PG_TRIGGERS = (
    "CREATE FUNCTION review_conf_recompute() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP IN ('UPDATE', 'DELETE') THEN " + RECOMPUTE.format(id="OLD.issue_id") + "; END IF; "
    "IF TG_OP IN ('INSERT', 'UPDATE') THEN " + RECOMPUTE.format(id="NEW.issue_id") + "; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER review_conf AFTER INSERT OR UPDATE OR DELETE ON evidence "
    "FOR EACH ROW EXECUTE FUNCTION review_conf_recompute()",
)
QUEUE_INDEXES = (
    ("ix_issue_status_type", "issue", ["status", "type"]),
    ("ix_issue_river_name", "issue", ["river_name"]),
    ("ix_issue_zone_id", "issue", ["zone_id"]),
    ("ix_issue_first_flight_id", "issue", ["first_flight_id"]),
    ("ix_evidence_flight_id_issue_id", "evidence", ["flight_id", "issue_id"]),
)


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at_utc", UTC, nullable=False),
        sa.Column("password_changed_at_utc", UTC, nullable=False),
        sa.CheckConstraint(f"role IN {ROLES}", name=op.f("ck_app_user_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at_utc", UTC, nullable=False),
        sa.Column("expires_at_utc", UTC, nullable=False),
        sa.Column("last_seen_utc", UTC, nullable=False),
        sa.Column("revoked_at_utc", UTC, nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(255), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_web_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_web_session_token_sha256")),
    )
    op.create_index(op.f("ix_web_session_user_id"), "web_session", ["user_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at_utc", UTC, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index(
        op.f("ix_login_attempt_username_at_utc"), "login_attempt", ["username", "at_utc"]
    )
    op.create_index(op.f("ix_login_attempt_ip_at_utc"), "login_attempt", ["ip", "at_utc"])
    op.create_table(
        "review_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_name", sa.String(128), nullable=True),
        sa.Column("frame_id", sa.Integer(), nullable=True),
        sa.Column("media_type", sa.String(64), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("original_name", sa.String(255), nullable=True),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("at_utc", UTC, nullable=False),
        sa.CheckConstraint(f"kind IN {KINDS}", name=op.f("ck_review_attachment_kind")),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_review_attachment_issue_id_issue")
        ),
        sa.ForeignKeyConstraint(
            ["frame_id"], ["frame.id"], name=op.f("fk_review_attachment_frame_id_frame")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_attachment")),
    )
    op.create_index(
        op.f("ix_review_attachment_issue_id_id"), "review_attachment", ["issue_id", "id"]
    )
    for name, table, columns in QUEUE_INDEXES:
        op.create_index(name, table, columns)
    op.create_table(
        "review_issue_conf",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("max_conf", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_review_issue_conf_issue_id_issue")
        ),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_review_issue_conf")),
    )
    op.execute(
        "INSERT INTO review_issue_conf (issue_id, max_conf) SELECT e.issue_id, max(d.conf) "
        "FROM evidence e JOIN detection d ON d.id = e.detection_id GROUP BY e.issue_id"
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": PG_TRIGGERS}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS review_conf ON evidence")
        op.execute("DROP FUNCTION IF EXISTS review_conf_recompute()")
    elif dialect == "sqlite":
        for name in ("review_conf_insert", "review_conf_update", "review_conf_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("review_issue_conf")
    for name, table, _ in reversed(QUEUE_INDEXES):
        op.drop_index(name, table_name=table)
    for table in ("review_attachment", "login_attempt", "web_session", "app_user"):
        op.drop_table(table)
