"""The interview state machine: intro, asking, awaiting answer, follow-up, feedback, done.

UI-free: the Gradio app, the terminal and the tests drive the same object. Every change to a
turn is written to the store the moment it happens, so a killed process loses nothing.
"""

from __future__ import annotations

import random
import time
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from interviewer.bank import Bank, Question
from interviewer.engine import Engine, QuestionRequest
from interviewer.errors import InterviewError
from interviewer.grading.rubric import PASS_MARK, Grade
from interviewer.models import (
    MAX_ANSWER_CHARS,
    FollowUpExchange,
    SessionInfo,
    SessionSettings,
    Turn,
)
from interviewer.policy import START_DIFFICULTY, group_plan, next_difficulty
from interviewer.report import Report, build_report, report_markdown

HINT_PENALTY = 10  # overall points off a question per hint taken (at most 2 hints a question)
MAX_HINTS = 2
COMMANDS = ("hint", "repeat", "skip", "end")
TokenCallback = Callable[[str], None]
Phase = Literal["intro", "awaiting_answer", "follow_up", "done"]
ReplyKind = Literal["question", "follow_up", "hint", "repeat", "report"]

__all__ = ["COMMANDS", "Interview", "InterviewError", "Reply"]


@dataclass
class Reply:
    """What the interviewer says back, and the state it leaves."""

    kind: ReplyKind
    text: str
    turn: Turn | None = None  # the open turn after this reply
    grade: Grade | None = None  # the grade to show now (None when feedback waits for the end)
    done: bool = False
    report: Report | None = None  # the final report, when this reply ends the session
    graded_turn: Turn | None = None  # the turn this reply closed, if it closed one


class Interview:
    """One mock interview session for round L1, L2 or a full loop (L2 only after passing L1)."""

    def __init__(
        self,
        *,
        round: str = "L1",
        questions: int = 3,
        feedback: str = "each",
        follow_ups: int = 1,
        engine: Engine,
        bank: Bank,
        store=None,
        user_id: str = "local",
        seed: int | None = None,
        info: SessionInfo | None = None,
    ):
        if round not in ("L1", "L2", "full"):
            raise InterviewError(f"round must be L1, L2 or full, not {round!r}")
        if not 1 <= questions <= 20:
            raise InterviewError("questions must be between 1 and 20")
        if feedback not in ("each", "end"):
            raise InterviewError("feedback must be 'each' (after every answer) or 'end'")
        self.engine = engine
        self.store = store
        # The shared bank is read-only; questions this session generates (LLM mode) live in
        # its own map in front of it, so they never leak into other sessions.
        self.generated: dict[str, Question] = {}
        self.bank = ChainMap(self.generated, bank)
        self.rng = random.Random(seed)
        self.info = info or SessionInfo(
            user_id=user_id,
            round=round,
            mode=self.engine.name,
            model=self.engine.model,
            settings=SessionSettings(
                questions=questions, feedback=feedback, follow_ups=follow_ups, seed=seed
            ),
        )
        self.turns: list[Turn] = []
        self.phase: Phase = "intro"
        self.note = ""

    # -- settings ----------------------------------------------------------------------------
    @property
    def n_questions(self) -> int:
        """Questions per round."""
        return self.info.settings.questions

    @property
    def feedback_each(self) -> bool:
        """Whether feedback comes after each answer (else only at the end)."""
        return self.info.settings.feedback == "each"

    @property
    def follow_up_budget(self) -> int:
        """Probes per question."""
        return self.info.settings.follow_ups

    @property
    def current(self) -> Turn | None:
        return self.turns[-1] if self.turns and self.turns[-1].status == "pending" else None

    @property
    def done(self) -> bool:
        return self.phase == "done"

    # -- persistence -------------------------------------------------------------------------
    def _save(self, turn: Turn) -> None:
        self.engine.take_usage().add_to(turn)  # tokens spent phrasing since the last save
        if self.store is not None:
            self.store.save_turn(self.info.id, turn)

    def _save_info(self) -> None:
        self.info.updated_at = time.time()
        if self.store is not None:
            self.store.update_session(self.info)

    # -- flow --------------------------------------------------------------------------------
    def start(self, on_token: TokenCallback | None = None) -> Reply:
        """Open the session and ask the first question."""
        if self.phase != "intro":
            raise InterviewError("the interview has already started")
        if self.store is not None:
            self.store.create_session(self.info)
        intro = self.engine.intro(self.info.round, self.n_questions, on_token=on_token)
        reply = self._ask_next(on_token)
        reply.text = f"{intro}\n\n{reply.text}"
        return reply

    def _plan(self) -> list[tuple[str, str]]:
        """(round, group) of every question the session will ask, as far as known now."""
        if self.info.round == "full":
            plan = [("L1", g) for g in group_plan("L1", self.n_questions)]
            return plan + [("L2", g) for g in group_plan("L2", self.n_questions)]
        return [(self.info.round, g) for g in group_plan(self.info.round, self.n_questions)]

    def _l1_passed(self) -> bool:
        l1 = build_report([t for t in self.turns if t.round == "L1"]).overall
        return l1 >= PASS_MARK

    def _ask_next(self, on_token: TokenCallback | None = None) -> Reply:
        plan = self._plan()
        index = len(self.turns)
        if index >= len(plan):
            return self._finish(on_token)
        round_name, group = plan[index]
        if self.info.round == "full" and round_name == "L2" and index == self.n_questions:
            if not self._l1_passed():
                self.note = (
                    "L1 was not passed, so the L2 round was not unlocked (as in the real process)."
                )
                return self._finish(on_token)
        graded = [t for t in self.turns if t.round == round_name]
        difficulty = START_DIFFICULTY
        for t in graded:
            score = 0 if t.status == "skipped" else (t.grade.overall if t.grade else None)
            difficulty = next_difficulty(difficulty, score)
        recent = self.store.recent_question_ids(user_id=self.info.user_id) if self.store else set()
        asked = {t.question_id for t in self.turns}
        question, sources = self.engine.question_for(
            QuestionRequest(
                bank=self.bank,
                round_name=round_name,
                group=group,
                difficulty=difficulty,
                asked=frozenset(asked),
                recent=frozenset(set(recent) - asked),
                topics_used=tuple(t.topic for t in self.turns),
                rng=self.rng,
            )
        )
        if question is None:
            self.note = "The question bank for this round has no more unasked questions."
            return self._finish(on_token)
        if question.id not in self.bank:
            self.generated[question.id] = question
        turn = Turn.of_question(index, question, sources=sources)
        self.turns.append(turn)
        self._save(turn)
        self.phase = "awaiting_answer"
        text = self.engine.ask(question, index, len(plan), on_token=on_token)
        return Reply("question", text, turn=turn)

    def answer(self, text: str, on_token: TokenCallback | None = None) -> Reply:
        """Take the candidate's answer to the pending question or follow-up."""
        if self.phase not in ("awaiting_answer", "follow_up"):
            raise InterviewError("there is no open question to answer")
        text = text if isinstance(text, str) else str(text)
        if len(text) > MAX_ANSWER_CHARS:
            raise InterviewError(
                f"answer is {len(text)} characters; the maximum is {MAX_ANSWER_CHARS}. "
                "Shorten it and send it again (nothing was recorded)."
            )
        stripped = text.strip()
        if stripped.startswith("/") and stripped[1:].lower() in COMMANDS:
            return self.command(stripped[1:].lower(), on_token=on_token)
        turn = self.current
        now = time.time()
        if self.phase == "follow_up":
            turn.follow_ups[-1].answer = text
            turn.answered_at = now
            self._save(turn)  # committed before grading: a crash while grading loses nothing
            combined = f"{turn.answer}\n{text}"
            merged = self._judge(turn, combined)
            if turn.grade is None or merged.overall >= turn.grade.overall:
                turn.grade = merged
            return self._close_turn(turn, on_token)

        turn.answer = text
        turn.answered_at = now
        self._save(turn)
        turn.grade = self._judge(turn, text)
        self._save(turn)
        probe = self._follow_up_for(turn)
        if probe is not None:
            turn.follow_ups.append(probe)
            self._save(turn)
            self.phase = "follow_up"
            said = self.engine.follow_up(probe.question, on_token=on_token)
            return Reply("follow_up", said, turn=turn, grade=turn.grade)
        return self._close_turn(turn, on_token)

    def _judge(self, turn: Turn, answer: str) -> Grade:
        question = self.bank[turn.question_id]
        grade, usage = self.engine.judge(question, answer)
        usage.add_to(turn)
        penalty = HINT_PENALTY * len(turn.hints)
        if penalty:
            grade = grade.model_copy(
                update={"overall": max(0, grade.overall - penalty), "hint_penalty": penalty}
            )
        return grade

    def _follow_up_for(self, turn: Turn) -> FollowUpExchange | None:
        if len(turn.follow_ups) >= self.follow_up_budget or turn.grade is None:
            return None
        missed = [kp for kp in turn.grade.key_points if not kp.covered]
        if not missed or turn.grade.overall >= 85 or not turn.answer or not turn.answer.strip():
            return None
        question = self.bank[turn.question_id]
        missed.sort(key=lambda kp: -kp.weight)
        authored = {fu.key_point: fu.text for fu in question.follow_ups}
        # Prefer the most important missed point that has an authored probe.
        for kp in missed:
            if kp.id in authored:
                return FollowUpExchange(key_point=kp.id, question=authored[kp.id])
        kp = missed[0]
        return FollowUpExchange(
            key_point=kp.id,
            question=self.engine.probe_for(question, kp.point),
        )

    def _close_turn(self, turn: Turn, on_token: TokenCallback | None) -> Reply:
        turn.status = "answered"
        self._save(turn)
        feedback = ""
        if self.feedback_each:
            feedback = self.engine.feedback(self.bank[turn.question_id], turn.grade, on_token)
        nxt = self._ask_next(on_token)
        nxt.text = f"{feedback}\n\n{nxt.text}".strip() if feedback else nxt.text
        nxt.grade = turn.grade if self.feedback_each else None
        nxt.graded_turn = turn
        return nxt

    def command(self, name: str, on_token: TokenCallback | None = None) -> Reply:
        """hint (costs points), repeat, skip or end."""
        name = name.strip().lower().lstrip("/")
        if name not in COMMANDS:
            raise InterviewError(f"unknown command {name!r}; use one of: {', '.join(COMMANDS)}")
        if name == "end":
            if self.done:
                return Reply("report", self._report_text(), done=True)
            turn = self.current
            if turn is not None:
                turn.commands.append("end")
                # An unanswered pending question stays "pending": listed, never scored.
                if turn.answer is not None:
                    turn.status = "answered"
                self._save(turn)
            return self._finish(on_token)
        turn = self.current
        if turn is None:
            raise InterviewError("there is no open question")
        turn.commands.append(name)
        if name == "repeat":
            self._save(turn)
            text = turn.follow_ups[-1].question if self.phase == "follow_up" else turn.question
            return Reply("repeat", text, turn=turn)
        if name == "hint":
            question = self.bank[turn.question_id]
            if len(turn.hints) >= MAX_HINTS:
                self._save(turn)
                return Reply("hint", "No more hints for this question.", turn=turn)
            hint = self.engine.hint(question, len(turn.hints))
            turn.hints.append(hint)
            self._save(turn)
            return Reply("hint", f"Hint (costs {HINT_PENALTY} points): {hint}", turn=turn)
        # skip
        if self.phase == "follow_up":
            return self._close_turn(turn, on_token)
        turn.status = "skipped"
        turn.answered_at = time.time()
        self._save(turn)
        nxt = self._ask_next(on_token)
        nxt.text = f"Skipped.\n\n{nxt.text}"
        return nxt

    def _finish(self, on_token: TokenCallback | None = None) -> Reply:
        self.phase = "done"
        report = self.report()
        self.info.status = "finished"
        self.info.summary = report.model_dump()
        self._save_info()
        return Reply("report", self._report_text(report), done=True, report=report)

    def _report_text(self, report: Report | None = None) -> str:
        return report_markdown(report or self.report())

    def report(self) -> Report:
        """The graded report of the turns so far."""
        return build_report(self.turns, self.bank, note=self.note)

    # -- resume ------------------------------------------------------------------------------
    @classmethod
    def resume(
        cls,
        store,
        session_id: str,
        *,
        user_id: str = "local",
        engine: Engine,
        bank: Bank,
    ) -> tuple[Interview, Reply]:
        """Pick a stored session up where it stopped; the pending question is asked again."""
        info, turns = store.load_session(session_id, user_id=user_id)
        s = info.settings
        self = cls(
            round=info.round,
            questions=s.questions,
            feedback=s.feedback,
            follow_ups=s.follow_ups,
            engine=engine,
            store=store,
            user_id=info.user_id,
            seed=s.seed,
            bank=bank,
            info=info,
        )
        self.turns = turns
        for t in turns:  # generated questions are not in the bank: rebuild them from the turn
            if t.question_id not in self.bank:
                q = self.engine.restore_question(t)
                if q is not None:
                    self.generated[q.id] = q
        if info.status == "finished":
            self.phase = "done"
            return self, Reply("report", self._report_text(), done=True)
        turn = self.current
        if turn is None:
            self.phase = "awaiting_answer"
            reply = self._ask_next()
            reply.text = "Welcome back. " + reply.text
            return self, reply
        if turn.follow_ups and turn.follow_ups[-1].answer is None and turn.answer is not None:
            self.phase = "follow_up"
            return self, Reply(
                "follow_up", "Welcome back. " + turn.follow_ups[-1].question, turn=turn
            )
        self.phase = "awaiting_answer"
        return self, Reply(
            "question", f"Welcome back. Question {turn.index + 1}: {turn.question}", turn=turn
        )
