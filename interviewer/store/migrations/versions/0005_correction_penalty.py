"""The points a grade took for wrong claims put right only at a follow-up
(``Grade.correction_penalty``), so a resumed chat, a transcript and its exports say the score's
sum: walk22 read the hint's cost in the chat's score line, one correction's in a bullet, and
neither in the transcript.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add correction_penalty to grades (existing grades recorded none: 0)."""
    with op.batch_alter_table("grades") as batch:
        batch.add_column(
            sa.Column("correction_penalty", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Drop correction_penalty."""
    with op.batch_alter_table("grades") as batch:
        batch.drop_column("correction_penalty")
