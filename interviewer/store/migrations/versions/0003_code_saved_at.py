"""When a coding question's code was last saved (a Run or the Submit), so a draft kept in one
browser never replaces newer code saved from another.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add code_at to turns (existing code has no recorded save time)."""
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("code_at", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop code_at."""
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("code_at")
