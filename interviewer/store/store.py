"""The durable transcript store: users, sessions, turns and grades, committed per turn.

SQLite in the data dir by default; any SQLAlchemy URL through ``INTERVIEWER_DATABASE_URL``
(PostgreSQL for a shared deployment). The tables live in ``tables``; the migrations in
``migrations`` are applied to head every time a ``Store`` opens.
"""

from __future__ import annotations

import time
from typing import Any

from alembic import command
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from interviewer.config import Settings
from interviewer.errors import SessionNotFound, StoreError
from interviewer.grading.rubric import Grade
from interviewer.models import (
    MAX_ANSWER_CHARS,
    MAX_CODE_CHARS,
    FollowUpExchange,
    SessionInfo,
    SessionSettings,
    Turn,
    session_score,
)
from interviewer.store.progress import progress, session_line
from interviewer.store.tables import (
    GradeRow,
    SessionRow,
    TurnRow,
    UserRow,
    alembic_config,
    make_engine,
    migration_lock,
)


class Store:
    """Sessions, turns and grades of every user; each write commits in its own transaction.

    ``url`` overrides ``settings.db_url`` (``INTERVIEWER_DATABASE_URL``, default SQLite
    ``interviewer.db`` in ``INTERVIEWER_DATA_DIR``).
    """

    def __init__(self, url: str | None = None, *, settings: Settings | None = None):
        if url is None and settings is None:
            raise TypeError("Store needs a database url or the settings that name one")
        self.url = url or settings.db_url
        self.engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.migrate()

    def migrate(self) -> None:
        """Apply every pending migration (a no-op when the database is at head), under the
        database's migration lock, so replicas that start together take turns."""
        try:
            with self.engine.connect() as connection, migration_lock(connection):
                command.upgrade(alembic_config(connection), "head")
        except OperationalError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise StoreError(
                f"cannot open the transcript store {where}: {reason} "
                "(check INTERVIEWER_DATABASE_URL and that the database server is up)"
            ) from None

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writes -------------------------------------------------------------------------------

    def create_session(self, info: SessionInfo) -> SessionInfo:
        """Insert a new session (and its user on first use); returns ``info``."""
        with self._sessions.begin() as db:
            _ensure_user(db, info.user_id)
            if db.get(SessionRow, info.id) is not None:
                raise StoreError(f"session {info.id!r} already exists")
            db.add(
                SessionRow(
                    id=info.id,
                    user_id=info.user_id,
                    round=info.round,
                    mode=info.mode,
                    model=info.model,
                    guide=info.guide,
                    settings=info.settings.model_dump(),
                    status=info.status,
                    created_at=info.created_at,
                    updated_at=info.updated_at,
                    summary=dict(info.summary),
                )
            )
        return info

    def save_turn(self, session_id: str, turn: Turn) -> None:
        """Insert or update one turn (by its index) with its grade, and commit at once."""
        _check_answer_length(turn)
        with self._sessions.begin() as db:
            session = db.get(SessionRow, session_id)
            if session is None:
                raise SessionNotFound(session_id)
            row = db.scalar(
                select(TurnRow).where(TurnRow.session_id == session_id, TurnRow.idx == turn.index)
            )
            if row is None:
                row = TurnRow(session_id=session_id, idx=turn.index)
                db.add(row)
            _fill_turn_row(row, turn)
            db.flush()
            grade_row = db.scalar(select(GradeRow).where(GradeRow.turn_id == row.id))
            if turn.grade is None:
                if grade_row is not None:
                    db.delete(grade_row)
            else:
                if grade_row is None:
                    grade_row = GradeRow(turn_id=row.id)
                    db.add(grade_row)
                _fill_grade_row(grade_row, turn.grade)
            session.updated_at = max(time.time(), session.updated_at)

    def update_session(self, info: SessionInfo) -> None:
        """Write a session's status, summary, settings, guide (a practice sitting's grows
        with the guides it draws on) and update time."""
        with self._sessions.begin() as db:
            row = self._owned(db, info.id, info.user_id)
            row.status = info.status
            row.guide = info.guide
            row.summary = dict(info.summary)
            row.settings = info.settings.model_dump()
            row.updated_at = max(info.updated_at, time.time())

    def delete_session(self, session_id: str, *, user_id: str) -> None:
        """Remove a session with its turns and grades."""
        with self._sessions.begin() as db:
            self._owned(db, session_id, user_id)
            # Explicit deletes rather than trusting ON DELETE CASCADE: a SQLite database opened
            # elsewhere without PRAGMA foreign_keys would otherwise leave orphans behind.
            turn_ids = select(TurnRow.id).where(TurnRow.session_id == session_id)
            db.execute(delete(GradeRow).where(GradeRow.turn_id.in_(turn_ids)))
            db.execute(delete(TurnRow).where(TurnRow.session_id == session_id))
            db.execute(delete(SessionRow).where(SessionRow.id == session_id))

    # -- reads --------------------------------------------------------------------------------

    def load_session(self, session_id: str, *, user_id: str) -> tuple[SessionInfo, list[Turn]]:
        """A session and its turns in order, if it belongs to ``user_id``."""
        with self._sessions() as db:
            row = self._owned(db, session_id, user_id)
            pairs = db.execute(
                select(TurnRow, GradeRow)
                .outerjoin(GradeRow, GradeRow.turn_id == TurnRow.id)
                .where(TurnRow.session_id == session_id)
                .order_by(TurnRow.idx)
            ).all()
            return _session_info(row), [_turn(t, g) for t, g in pairs]

    def session_exists(self, session_id: str, *, user_id: str) -> bool:
        """Whether ``user_id`` has a session ``session_id`` (one primary-key read)."""
        with self._sessions() as db:
            try:
                self._owned(db, session_id, user_id)
            except SessionNotFound:
                return False
            return True

    def list_sessions(
        self,
        *,
        user_id: str,
        round: str | None = None,
        since: float | None = None,
        until: float | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        status: str | None = None,
    ) -> list[dict]:
        """The user's sessions, newest first; ``since <= created_at < until``, score 0-100
        (``models.session_score``: skipped questions count 0, unanswered ones not at all; in a
        session still running, only its closed questions count)."""
        query = (
            select(SessionRow)
            .where(SessionRow.user_id == user_id)
            .order_by(SessionRow.created_at.desc(), SessionRow.id)
        )
        if round is not None:
            query = query.where(SessionRow.round == round)
        if status is not None:
            query = query.where(SessionRow.status == status)
        if since is not None:
            query = query.where(SessionRow.created_at >= since)
        if until is not None:
            query = query.where(SessionRow.created_at < until)
        with self._sessions() as db:
            rows = db.scalars(query).all()
            scored = self._turn_scores(db, [r.id for r in rows])
        out = []
        for row in rows:
            turns = scored.get(row.id, [])
            line = session_line(row.round, _is_practice(row), [t[2] for t in turns])
            if row.status == "active":  # closed questions only: an open one's interim grade
                # (its follow-up still to answer) is hidden in the chat until it closes
                turns = [t for t in turns if t[0] != "pending"]
            score, answered = session_score([(status, overall) for status, overall, _ in turns])
            if min_score is not None and (score is None or score < min_score):
                continue
            if max_score is not None and (score is None or score > max_score):
                continue
            out.append(_session_dict(row, answered, score, line))
        return out

    @staticmethod
    def _turn_scores(
        db: Session, session_ids: list[str]
    ) -> dict[str, list[tuple[str, int | None, str]]]:
        """(status, overall, question id) of every turn of these sessions, in order."""
        found: dict[str, list[tuple[str, int | None, str]]] = {}
        for i in range(0, len(session_ids), 500):  # bounded IN lists
            query = (
                select(TurnRow.session_id, TurnRow.status, GradeRow.overall, TurnRow.question_id)
                .outerjoin(GradeRow, GradeRow.turn_id == TurnRow.id)
                .where(TurnRow.session_id.in_(session_ids[i : i + 500]))
                .order_by(TurnRow.session_id, TurnRow.idx)
            )
            for sid, status, overall, question_id in db.execute(query):
                found.setdefault(sid, []).append((status, overall, question_id))
        return found

    def unfinished_sessions(self, *, user_id: str) -> list[dict]:
        """Active sessions of the user, newest first, for the resume list."""
        return self.list_sessions(user_id=user_id, status="active")

    def recent_question_ids(
        self, *, user_id: str, sessions: int = 5, besides: str | None = None
    ) -> set[str]:
        """Question ids asked in the user's ``sessions`` most recent sessions other than
        ``besides`` (the one asking: it is not one of the recent ones it avoids)."""
        recent = (
            select(SessionRow.id)
            .where(SessionRow.user_id == user_id, SessionRow.id != (besides or ""))
            .order_by(SessionRow.created_at.desc())
            .limit(sessions)
            .subquery()
        )
        query = select(TurnRow.question_id).where(TurnRow.session_id.in_(select(recent.c.id)))
        with self._sessions() as db:
            return set(db.scalars(query))

    def question_seen(self, *, user_id: str, question_id: str) -> bool:
        """Whether the user has a closed turn of this question (answered or skipped, in an
        interview or in practice): its model answer has been on their screen, in a practice
        result, a report or the transcripts. A question still open is not (its model answer
        stays hidden until it closes)."""
        query = (
            select(TurnRow.id)
            .join(SessionRow, TurnRow.session_id == SessionRow.id)
            .where(SessionRow.user_id == user_id, TurnRow.question_id == question_id,
                   TurnRow.status.in_(("answered", "skipped")))
            .limit(1)
        )  # fmt: skip
        with self._sessions() as db:
            return db.scalars(query).first() is not None

    def last_scores(self, *, user_id: str) -> dict[str, int | None]:
        """Each question the user has closed a turn of (in an interview or in practice): the
        overall score of its latest attempt, or None when that attempt was skipped (Practice's
        question picker says it beside the question)."""
        query = (
            select(TurnRow.question_id, TurnRow.status, GradeRow.overall)
            .join(SessionRow, TurnRow.session_id == SessionRow.id)
            .outerjoin(GradeRow, GradeRow.turn_id == TurnRow.id)
            .where(SessionRow.user_id == user_id, TurnRow.status.in_(("answered", "skipped")))
            .order_by(func.coalesce(TurnRow.answered_at, TurnRow.asked_at), TurnRow.id)
        )
        with self._sessions() as db:
            rows = db.execute(query).all()
        # an answer not graded yet (its grading was cut off) is no attempt to show
        return {qid: None if status == "skipped" else overall for qid, status, overall in rows
                if status == "skipped" or overall is not None}  # fmt: skip

    def progress(self, *, user_id: str) -> dict:
        """Scores over time, by round, by topic and by criterion. A skipped question counts 0
        (and 1/5 on every criterion), a question never answered not at all, as in the report;
        a session with nothing answered is left out of the lines over time (``left_out``).
        Practice drills have their own line per round ("L1 practice"), and practice on uploaded
        guides one of its own ("guide practice"): one drilled weak topic is not an interview
        score; the criteria over time are the interviews' only."""
        query = (
            select(
                SessionRow.id,
                SessionRow.created_at,
                SessionRow.settings,
                SessionRow.round,
                TurnRow.round,
                TurnRow.topic,
                TurnRow.status,
                GradeRow.overall,
                GradeRow.criteria,
                TurnRow.question_id,
                SessionRow.status,
                SessionRow.summary,
            )
            .join(TurnRow, TurnRow.session_id == SessionRow.id)
            .outerjoin(GradeRow, GradeRow.turn_id == TurnRow.id)
            .where(SessionRow.user_id == user_id)
            .order_by(SessionRow.created_at, SessionRow.id, TurnRow.idx)
        )
        with self._sessions() as db:
            rows = db.execute(query).all()
        return progress(rows)

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _owned(db: Session, session_id: str, user_id: str) -> SessionRow:
        row = db.get(SessionRow, session_id)
        if row is None or row.user_id != user_id:
            raise SessionNotFound(session_id, user_id)
        return row


def _ensure_user(db: Session, user_id: str) -> None:
    """Insert the user unless present; two replicas creating a new user's first two sessions
    at once both succeed (an insert that ignores the conflict, not a read then a write)."""
    limit = UserRow.__table__.c.id.type.length
    if len(user_id) > limit:
        raise StoreError(f"user id is {len(user_id)} characters; the limit is {limit}")
    values = {"id": user_id, "created_at": time.time()}
    backend = db.get_bind().dialect.name
    if backend in ("postgresql", "sqlite"):
        insert = pg_insert if backend == "postgresql" else sqlite_insert
        db.execute(insert(UserRow).values(**values).on_conflict_do_nothing(index_elements=["id"]))
    elif db.get(UserRow, user_id) is None:
        db.add(UserRow(**values))
        db.flush()


def _check_answer_length(turn: Turn) -> None:
    answers = [turn.answer] + [f.answer for f in turn.follow_ups]
    for text in answers:
        if text is not None and len(text) > MAX_ANSWER_CHARS:
            raise StoreError(
                f"answer to question {turn.index} is {len(text)} characters; "
                f"the limit is {MAX_ANSWER_CHARS}"
            )
    if turn.code is not None and len(turn.code) > MAX_CODE_CHARS:
        raise StoreError(
            f"code of question {turn.index} is {len(turn.code)} characters; "
            f"the limit is {MAX_CODE_CHARS}"
        )


def _fill_turn_row(row: TurnRow, turn: Turn) -> None:
    row.question_id = turn.question_id
    row.round = turn.round
    row.topic = turn.topic
    row.difficulty = turn.difficulty
    row.question = turn.question
    row.guide_section = turn.guide_section
    row.sources = list(turn.sources)
    row.model_answer = turn.model_answer
    row.kind = turn.kind
    row.answer = turn.answer
    row.code = turn.code
    row.code_at = turn.code_at
    row.code_result = turn.code_result
    row.delivery = turn.delivery
    row.follow_ups = [f.model_dump() for f in turn.follow_ups]
    row.commands = list(turn.commands)
    row.hints = list(turn.hints)
    row.status = turn.status
    row.asked_at = turn.asked_at
    row.answered_at = turn.answered_at
    row.tokens_in = turn.tokens_in
    row.tokens_out = turn.tokens_out
    row.cost_usd = turn.cost_usd


def _fill_grade_row(row: GradeRow, grade: Grade) -> None:
    row.overall = grade.overall
    row.criteria = {name: c.model_dump() for name, c in grade.criteria.items()}
    row.key_points = [kp.model_dump() for kp in grade.key_points]
    row.flags = list(grade.flags)
    row.source = grade.source
    row.feedback = grade.feedback
    row.hint_penalty = grade.hint_penalty
    row.correction_penalty = grade.correction_penalty
    row.wrong_said = dict(grade.wrong_said)


def _session_info(row: SessionRow) -> SessionInfo:
    return SessionInfo(
        id=row.id,
        user_id=row.user_id,
        round=row.round,
        mode=row.mode,
        model=row.model,
        guide=row.guide,
        settings=SessionSettings.model_validate(row.settings or {}),
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        summary=row.summary or {},
    )


def _turn(row: TurnRow, grade: GradeRow | None) -> Turn:
    return Turn(
        index=row.idx,
        question_id=row.question_id,
        round=row.round,
        topic=row.topic,
        difficulty=row.difficulty,
        question=row.question,
        guide_section=row.guide_section,
        sources=row.sources or [],
        model_answer=row.model_answer,
        kind=row.kind or "spoken",
        answer=row.answer,
        code=row.code,
        code_at=row.code_at,
        code_result=row.code_result,
        delivery=row.delivery,
        follow_ups=[FollowUpExchange(**f) for f in row.follow_ups or []],
        commands=row.commands or [],
        hints=row.hints or [],
        status=row.status,
        grade=None if grade is None else _grade(grade, row.question_id),
        asked_at=row.asked_at,
        answered_at=row.answered_at,
        tokens_in=row.tokens_in,
        tokens_out=row.tokens_out,
        cost_usd=row.cost_usd,
    )


def _grade(row: GradeRow, question_id: str) -> Grade:
    return Grade(
        question_id=question_id,
        overall=row.overall,
        criteria=row.criteria,
        key_points=row.key_points or [],
        flags=row.flags or [],
        source=row.source,
        feedback=row.feedback,
        hint_penalty=row.hint_penalty,
        correction_penalty=row.correction_penalty or 0,
        wrong_said=row.wrong_said or {},
    )


def _session_dict(row: SessionRow, answered: int | None, score: Any, line: str) -> dict:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "round": row.round,
        # what Progress calls it: "L1 practice" for a practice sitting (``session_line``)
        "line": line,
        "mode": row.mode,
        "model": row.model,
        # Practice sessions (see interviewer.practice) read "practice" wherever status shows.
        "status": "practice" if _is_practice(row) else row.status,
        # a practice sitting plans no number of questions: only the answered are said (walk50
        # read its "questions": 3, the interview's default, stored with it)
        "settings": _said_settings(row),
        "questions": answered,
        "planned": _planned(row),
        "score": score,
        "signal": (row.summary or {}).get("signal") if row.status == "finished" else None,
    }


def _said_settings(row: SessionRow) -> dict:
    settings = dict(row.settings or {})
    if _is_practice(row):
        settings.pop("questions", None)
    return settings


def _planned(row: SessionRow) -> int | None:
    """Questions a session planned (None for practice, which plans none)."""
    if _is_practice(row):
        return None
    planned = (row.summary or {}).get("planned")
    if planned is None:
        n = int((row.settings or {}).get("questions", 0) or 0)
        planned = 2 * n if row.round == "full" else n
    return planned


def _is_practice(row: SessionRow) -> bool:
    return bool((row.settings or {}).get("practice"))


