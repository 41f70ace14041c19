"""Turns of coding questions (the kind of question, the submitted code and its graded run) and
of spoken answers (how the answer was delivered).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add kind, code, code_result and delivery to turns (existing turns are spoken, with no
    code and no recorded delivery)."""
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="spoken"))
        batch.add_column(sa.Column("code", sa.Text(), nullable=True))
        batch.add_column(sa.Column("code_result", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("delivery", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the coding and delivery columns."""
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("delivery")
        batch.drop_column("code_result")
        batch.drop_column("code")
        batch.drop_column("kind")
