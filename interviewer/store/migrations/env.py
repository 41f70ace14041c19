"""Alembic environment of the transcript store.

``Store`` runs the migrations programmatically and hands its own connection over in
``config.attributes["connection"]``, so they run on whatever URL the store was opened with.
The ``sqlalchemy.url`` fallback lets a developer run the ``alembic`` command directly.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from interviewer.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    # Batch mode lets later revisions alter SQLite tables (which lack most ALTER TABLE forms).
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit the SQL instead of running it (``alembic upgrade head --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run on the store's connection, or on a fresh engine for the ``alembic`` command."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
