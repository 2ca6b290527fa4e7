"""Position uncertainty and plausibility: one candidate per real object.

``detection`` gains its position's 1σ errors (``sigma_m``, ``sigma_rel_m``,
``sigma_bias_m``), the camera range and ray depression of its centre, and
``hold_reason`` (why it opens no candidate, :mod:`pipeline.ledger.plausible`);
``issue`` gains ``sigma_m``, the 1σ of its weighted mean position;
``evidence`` gains the ground distance at which the sighting joined its issue
and the gate it was within (``NULL`` for a sighting that opened it).
Existing rows keep ``NULL``: the ledger then uses ``position_sigma_m``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DETECTION = ("sigma_m", "sigma_rel_m", "sigma_bias_m", "range_m", "depression_deg")
EVIDENCE = ("distance_m", "gate_m")


def upgrade() -> None:
    for name in DETECTION:
        op.add_column("detection", sa.Column(name, sa.Double(), nullable=True))
    op.add_column("detection", sa.Column("hold_reason", sa.String(32), nullable=True))
    op.add_column("issue", sa.Column("sigma_m", sa.Double(), nullable=True))
    for name in EVIDENCE:
        op.add_column("evidence", sa.Column(name, sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        for name in reversed(EVIDENCE):
            batch.drop_column(name)
    with op.batch_alter_table("issue") as batch:
        batch.drop_column("sigma_m")
    with op.batch_alter_table("detection") as batch:
        batch.drop_column("hold_reason")
        for name in reversed(DETECTION):
            batch.drop_column(name)
