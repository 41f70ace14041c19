"""The store's tables (SQLAlchemy ORM) and how a database is opened.

The schema is owned by the Alembic revisions in ``interviewer/store/migrations``: they are
append-only and applied to head every time a ``Store`` opens. It sticks to portable types (JSON,
Text, Float) so SQLite and PostgreSQL share it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic.config import Config
from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_MS = 5000  # the app and a CLI may write the same file at once


class Base(DeclarativeBase):
    """Declarative base of the store's tables (the migrations are the source of the schema)."""


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float)


class SessionRow(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), ForeignKey("users.id"))
    round: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(255))
    guide: Mapped[str] = mapped_column(String(255))
    settings: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    summary: Mapped[dict] = mapped_column(JSON)


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("session_id", "idx", name="uq_turns_session_idx"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE")
    )
    idx: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(255))
    round: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(255))
    difficulty: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    guide_section: Mapped[str] = mapped_column(Text)
    sources: Mapped[list] = mapped_column(JSON)
    model_answer: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    follow_ups: Mapped[list] = mapped_column(JSON)
    commands: Mapped[list] = mapped_column(JSON)
    hints: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[float | None] = mapped_column(Float)
    tokens_in: Mapped[int] = mapped_column(Integer)
    tokens_out: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float] = mapped_column(Float)


class GradeRow(Base):
    __tablename__ = "grades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("turns.id", ondelete="CASCADE"), unique=True
    )
    overall: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[dict] = mapped_column(JSON)
    key_points: Mapped[list] = mapped_column(JSON)
    flags: Mapped[list] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(32))
    feedback: Mapped[str] = mapped_column(Text)
    hint_penalty: Mapped[int] = mapped_column(Integer)


def alembic_config(connection=None) -> Config:
    """An Alembic config for the store's migrations, optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("interviewer.store") / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _is_sqlite_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url_text: str) -> Engine:
    url = make_url(url_text)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if _is_sqlite_memory(url):
        # One shared connection, or every checkout would see its own empty database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if not url.database.startswith("file:"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets readers (a second CLI, the app) see committed turns while a writer works;
        # foreign_keys is off by default in SQLite and the cascades rely on it.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
