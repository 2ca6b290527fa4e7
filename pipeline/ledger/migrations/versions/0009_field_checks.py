"""Field checks (实地核查): a patroller's verdict from the site, with a checked photo.

``field_check`` holds each verdict (是问题 / 不是问题 / 已整改), the stored photo, the
photo's EXIF position and time, its distance from the issue and whether that verifies
it (:mod:`pipeline.review.field_models`); ``client_key`` is unique, so a phone's retry
adds no second row. A downgrade drops the table and its verdicts.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
VERDICTS = "verdict IN ('problem', 'not_problem', 'rectified')"
STATUSES = "photo_status IN ('verified', 'too_far', 'before_dispatch', 'no_time', 'no_gps')"


def upgrade() -> None:
    op.create_table(
        "field_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at_utc", UTC, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stored_name", sa.String(128), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("original_name", sa.String(255), nullable=True),
        sa.Column("photo_lat_deg", sa.Double(), nullable=True),
        sa.Column("photo_lon_deg", sa.Double(), nullable=True),
        sa.Column("photo_taken_at_utc", UTC, nullable=True),
        sa.Column("distance_m", sa.Double(), nullable=True),
        sa.Column("photo_status", sa.String(16), nullable=False),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.CheckConstraint(VERDICTS, name=op.f("ck_field_check_verdict")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_field_check_photo_status")),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_field_check_issue_id_issue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_check")),
        sa.UniqueConstraint("client_key", name=op.f("uq_field_check_client_key")),
    )
    op.create_index(op.f("ix_field_check_issue_id_id"), "field_check", ["issue_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_field_check_issue_id_id"), table_name="field_check")
    op.drop_table("field_check")
