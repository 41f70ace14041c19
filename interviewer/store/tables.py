"""The store's tables (SQLAlchemy ORM) and how a database is opened.

The schema is owned by the Alembic revisions in ``interviewer/store/migrations``: they are
append-only and applied to head every time a ``Store`` opens. It sticks to portable types (JSON,
Text, Float) so SQLite and PostgreSQL share it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
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
    text,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random

from interviewer.errors import ConfigError, StoreError

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
    kind: Mapped[str] = mapped_column(String(16), server_default="spoken")
    answer: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    code_at: Mapped[float | None] = mapped_column(Float)
    code_result: Mapped[dict | None] = mapped_column(JSON)
    delivery: Mapped[dict | None] = mapped_column(JSON)
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
    # a wrong claim -> the words read as it (Grade.wrong_said; migration 0004)
    wrong_said: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # points off for wrong claims put right at a follow-up (Grade.correction_penalty; 0005)
    correction_penalty: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def alembic_config(connection=None) -> Config:
    """An Alembic config for the store's migrations, optionally bound to an open connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("interviewer.store") / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _is_sqlite_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def database_url(url_text: str) -> URL:
    """The SQLAlchemy URL of ``url_text``; a bare ``postgresql://`` (or ``postgres://``) URL
    gets the psycopg (3) driver, the one the product installs."""
    try:
        url = make_url(url_text)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several kinds for a bad URL
        raise ConfigError(f"INTERVIEWER_DATABASE_URL is not a database URL: {exc}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("postgresql", "sqlite"):  # (a walk-through's mysql://
        # URL printed a traceback ending in "No module named 'MySQLdb'")
        raise ConfigError(f"INTERVIEWER_DATABASE_URL: {url.get_backend_name()} is not supported; "
                          "use PostgreSQL (postgresql://...) or SQLite (sqlite:///path)")  # fmt: skip
    return url


def make_engine(url_text: str) -> Engine:
    """An engine for the store's URL: SQLite tuned for several processes on one file, or a
    pooled server connection (PostgreSQL) that is checked before each use."""
    url = database_url(url_text)
    if url.get_backend_name() != "sqlite":
        # pre-ping: a replica outlives database restarts and idle-connection cuts of a proxy.
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
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
        # busy_timeout first: switching a new file to WAL takes a lock that a second process
        # opening the file at the same moment must wait for rather than fail on.
        # WAL lets readers (a second CLI, the app) see committed turns while a writer works;
        # foreign_keys is off by default in SQLite and the cascades rely on it.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


@retry(
    retry=retry_if_exception(_locked),
    stop=stop_after_delay(SQLITE_BUSY_TIMEOUT_MS / 1000),
    wait=wait_random(0.01, 0.1),
    reraise=True,
)
def _switch_to_wal(cursor) -> None:
    """``PRAGMA journal_mode=WAL``, retried for as long as the busy timeout.

    SQLite fails this at once, without calling the busy handler, while another connection
    holds the write lock of a file still in rollback mode: a brand-new file stays in rollback
    mode until its first write, so a replica opening it while another migrates it (under
    ``BEGIN IMMEDIATE``) got "database is locked" (one of four processes, now and then).
    """
    cursor.execute("PRAGMA journal_mode=WAL")


# Any fixed 64-bit number works; this one is crc32("interviewer.store.migrations").
MIGRATION_LOCK_ID = 0xF5589D62


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the database's migration lock on ``connection`` until the block ends (then commit).

    Two replicas starting at once would otherwise both see an empty database and both create
    the tables. PostgreSQL: a transaction-scoped advisory lock (released at commit). SQLite:
    ``BEGIN IMMEDIATE`` (the write lock; a second process waits up to the busy timeout), with
    foreign keys off for the migration, as SQLite asks for table rebuilds, so that a rebuilt
    table's implicit DELETE cascades nowhere.
    """
    backend = connection.dialect.name
    if backend == "sqlite":
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif backend == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    try:
        yield
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        if backend == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


# -- values both backends take alike ----------------------------------------------------------
# PostgreSQL refuses a NUL character in text and a string longer than its VARCHAR(n); SQLite
# takes both. Every row is checked the same way before it is written, whatever the backend, so
# a transcript never depends on where it is stored.


@event.listens_for(Base, "before_insert", propagate=True)
@event.listens_for(Base, "before_update", propagate=True)
def _portable_values(_mapper, _connection, row) -> None:
    for column in row.__table__.columns:
        if not isinstance(column.type, String):  # Text is a String without a length
            continue
        value = getattr(row, column.key, None)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
            setattr(row, column.key, value)
        limit = column.type.length
        if limit is not None and len(value) > limit:
            raise StoreError(
                f"{row.__tablename__}.{column.key} is {len(value)} characters; the limit is {limit}"
            )
