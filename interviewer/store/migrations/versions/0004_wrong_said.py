"""The words a grade read as each wrong claim (``Grade.wrong_said``), so a resumed chat, a
transcript and a report of a stored session quote the candidate, not the rubric's claim: a
re-walk's resumed chat said "you said "Polars is just a wrapper around pandas ..."", the bank's
wording, where the candidate had written "basically a wrapper".

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add wrong_said to grades (existing grades recorded none)."""
    with op.batch_alter_table("grades") as batch:
        batch.add_column(sa.Column("wrong_said", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop wrong_said."""
    with op.batch_alter_table("grades") as batch:
        batch.drop_column("wrong_said")
