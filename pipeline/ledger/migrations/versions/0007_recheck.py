"""Recheck (复查) verdicts: what a later flight shows where an issue's evidence was.

A new table ``recheck``, one row per (issue, new flight), with the verdict
(still present, gone, cannot tell), its reason, the registration's residuals
and the watermarked before/after picture with its sha256
(:class:`pipeline.ledger.models.Recheck`). A downgrade drops it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

VERDICTS = ("still_present", "gone", "cannot_tell")
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("at_utc", UTC, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("earlier_frame_sha256", sa.String(64), nullable=True),
        sa.Column("new_frame_sha256", sa.String(64), nullable=True),
        sa.Column("residual_px", sa.Double(), nullable=True),
        sa.Column("residual_m", sa.Double(), nullable=True),
        sa.Column("meets_rule", sa.Boolean(), nullable=True),
        sa.Column("zncc", sa.Double(), nullable=True),
        sa.Column("detector_conf", sa.Double(), nullable=True),
        sa.Column("coverage", sa.Double(), nullable=True),
        sa.Column("evidence_path", sa.Text(), nullable=True),
        sa.Column("evidence_sha256", sa.String(64), nullable=True),
        sa.CheckConstraint(
            f"verdict IN ({', '.join(repr(v) for v in VERDICTS)})", name=op.f("ck_recheck_verdict")
        ),
        sa.ForeignKeyConstraint(["issue_id"], ["issue.id"], name=op.f("fk_recheck_issue_id_issue")),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flight.id"], name=op.f("fk_recheck_flight_id_flight")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recheck")),
        sa.UniqueConstraint("issue_id", "flight_id", name=op.f("uq_recheck_issue_id_flight_id")),
    )
    op.create_index(op.f("ix_recheck_issue_id"), "recheck", ["issue_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recheck_issue_id"), table_name="recheck")
    op.drop_table("recheck")
