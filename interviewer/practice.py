"""Practice answers are kept like interview turns: one practice session per sitting and round,
every graded answer committed when it is graded, so the Transcripts and Progress tabs (and the
weakest-topic drill) see them. UI-free: the Practice tab and the tests drive it."""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from interviewer.bank import Question
from interviewer.engine import Engine, Usage
from interviewer.errors import SessionNotFound
from interviewer.grading.rubric import Grade
from interviewer.models import SessionInfo, SessionSettings, Turn
from interviewer.report import build_report
from interviewer.store import Store

PRACTICE_NOTE = "Practice: questions drilled one at a time, graded at once."
log = logging.getLogger(__name__)


def record_answer(
    store: Store,
    *,
    user_id: str,
    question: Question,
    answer: str,
    grade: Grade,
    engine: Engine,
    usage: Usage | None = None,
    session_id: str | None = None,
) -> str:
    """Commit one graded practice answer and return the id of its practice session.

    The answer joins ``session_id`` when that is this user's practice session of the same round
    and grader; otherwise a new practice session starts. The answer is committed first; the
    session's summary (a report of its answers so far, without a hire signal: a drill is not an
    interview) is rewritten after it, and a failure there only leaves the summary one answer
    behind. Raises what the store raises when the answer itself cannot be committed.
    """
    info, turns = None, []
    if session_id:
        try:
            info, turns = store.load_session(session_id, user_id=user_id)
        except SessionNotFound:  # deleted meanwhile: start afresh
            info = None
        if info is not None and not (
            info.settings.practice and info.round == question.round and info.mode == engine.name
        ):
            info, turns = None, []
    if info is None:
        info = store.create_session(
            SessionInfo(
                user_id=user_id,
                round=question.round,
                mode=engine.name,
                model=engine.model,
                settings=SessionSettings(practice=True),
                status="finished",
            )
        )
    usage = usage or Usage()
    now = time.time()
    turn = Turn.of_question(
        len(turns),
        question,
        answer=answer,
        status="answered",
        grade=grade,
        asked_at=now,
        answered_at=now,
        tokens_in=usage.tokens_in,
        tokens_out=usage.tokens_out,
        cost_usd=usage.cost_usd,
    )
    store.save_turn(info.id, turn)
    summary = build_report([*turns, turn], note=PRACTICE_NOTE).model_dump()
    info.summary = {k: v for k, v in summary.items() if k not in ("signal", "passed")}
    try:
        store.update_session(info)
    except (SQLAlchemyError, SessionNotFound) as exc:  # derived data: rebuilt by the next answer
        log.warning("practice session %s: summary not updated (%s)", info.id, exc)
    return info.id
