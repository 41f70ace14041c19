"""The data of an interview: turns and sessions, shared by the engine, the store and reports."""

from __future__ import annotations

import math
import time
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from interviewer.grading.rubric import Grade

MAX_ANSWER_CHARS = 8000  # longer answers are refused with a clear error before any model sees them


def too_long_said(n: int, again: str) -> str:
    """The refusal of an answer of ``n`` characters, as the Interview and Practice tabs say it
    (walk18 read "9000" in one and "9,000" in the other, worded apart). ``again``: "send" or
    "grade"."""
    return (f"answer is {n:,} characters; the maximum is {MAX_ANSWER_CHARS:,}. Shorten it and "
            f"{again} it again (nothing was recorded).")


# A practice question made from a guide's section has this id prefix: its model answer is the
# section's own text, shown as it is (a bank model answer's hard wraps flow as paragraphs).
GUIDE_QUESTION_PREFIX = "guide-"


def model_answer_flows(question_id: str) -> bool:
    """Whether a model answer's prose flows as paragraphs (not a guide section's own text)."""
    return not question_id.startswith(GUIDE_QUESTION_PREFIX)


MAX_QUESTIONS = 20  # per round, in the app and the CLI alike
MAX_CODE_CHARS = 20000  # the same for a coding question's submitted code

TurnStatus = Literal["pending", "answered", "skipped"]
SessionStatus = Literal["active", "finished", "abandoned"]
RoundName = Literal["L1", "L2", "full"]
FeedbackMode = Literal["each", "end"]


class RoundInfo(BaseModel):
    """How a round is named: a short title (exports, lists) and what it covers (the intro)."""

    title: str
    description: str


ROUNDS: dict[str, RoundInfo] = {
    "L1": RoundInfo(
        title="L1 (fundamentals, Python and data)",
        description="the L1 round: ML fundamentals plus Python and data work",
    ),
    "L2": RoundInfo(
        title="L2 (applied / system design)",
        description="the L2 round: real-time scenarios, ML system design, MLOps and one "
        "behavioural question",
    ),
    "full": RoundInfo(
        title="Full loop (L1, then L2)",
        description="a full loop: the L1 round, then the L2 round if you pass L1",
    ),
}


class SessionSettings(BaseModel):
    """How a session was set up: stored with it, so a resumed session runs the same way."""

    model_config = ConfigDict(extra="ignore")

    questions: int = 3  # per round
    feedback: FeedbackMode = "each"  # after every answer, or only at the end
    follow_ups: int = 1  # probes per question
    seed: int | None = None
    practice: bool = False  # a practice sitting: answers drilled one at a time
    coding: bool = True  # L1 includes a question answered in code
    real: bool = False  # a real interview: timed questions, no hints, feedback at the end


class FollowUpExchange(BaseModel):
    """A probe the interviewer asked and the candidate's answer to it."""

    key_point: str
    question: str
    answer: str | None = None
    # Seconds the candidate waited for this probe: the answer before it graded (its code run)
    # and the probe phrased. Not the candidate's time on the question (``Turn.seconds``).
    waited: float = 0.0


ANSWERS_APART = "\n\n"  # between answers graded together: no sentence runs across two


class Turn(BaseModel):
    """One question of a session with everything that happened on it."""

    index: int
    question_id: str
    round: Literal["L1", "L2"]
    topic: str
    difficulty: int
    question: str
    guide_section: str = ""
    sources: list[str] = Field(default_factory=list)  # chunk ids the question is grounded in
    model_answer: str = ""
    kind: Literal["spoken", "coding"] = "spoken"
    answer: str | None = None  # for a coding question: the candidate's explanation, if any
    code: str | None = None  # a coding question's submitted code (or the last draft run)
    code_at: float | None = None  # when ``code`` was last saved (a Run or the Submit)
    code_result: dict | None = None  # the graded run of ``code`` (interviewer.coding CodeResult)
    delivery: dict | None = None  # how a spoken answer was delivered (pace, fillers, pauses)
    follow_ups: list[FollowUpExchange] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)  # hint, repeat, skip, in order
    hints: list[str] = Field(default_factory=list)
    status: TurnStatus = "pending"
    grade: Grade | None = None
    asked_at: float = Field(default_factory=time.time)
    answered_at: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    @classmethod
    def of_question(cls, index: int, question, **fields) -> Turn:
        """The turn asking a bank (or generated) question, with any further fields."""
        return cls(
            index=index,
            question_id=question.id,
            round=question.round,
            topic=question.topic,
            difficulty=question.difficulty,
            question=question.text,
            guide_section=question.guide_section,
            model_answer=question.model_answer,
            kind=question.kind,
            **fields,
        )

    def said(self) -> str:
        """Everything the candidate said on this turn: the answer and the follow-up answers."""
        parts = [self.answer, *(f.answer for f in self.follow_ups)]
        # A blank line between them: one line break is read as a soft wrap, and an answer
        # ending with no full stop ran into the follow-up's first sentence (a walk-through's
        # quote read "... weight them differently MSE squares the errors ...").
        return ANSWERS_APART.join(p for p in parts if p)

    def said_after(self) -> str:
        """The follow-up answers of this turn, without the answer before them."""
        return ANSWERS_APART.join(f.answer for f in self.follow_ups if f.answer)

    @property
    def waited(self) -> float:
        """Seconds the candidate waited on the interviewer between the question and now."""
        return sum(f.waited for f in self.follow_ups)

    @property
    def seconds(self) -> float | None:
        """The candidate's time from the question to the (last) answer: the waits for its
        follow-ups (grading, a code run, a model phrasing the probe) left out."""
        if self.answered_at is None:
            return None
        # (only the waits before the last answer: an open probe's came after it, and a loaded
        # machine's slow grading read as time taken off the candidate's answer)
        before = sum(f.waited for f in self.follow_ups if f.answer is not None)
        return round(self.answered_at - self.asked_at - before, 2)


class SessionInfo(BaseModel):
    """A session's header: who, which round, how, and where it stands."""

    model_config = ConfigDict(validate_assignment=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    user_id: str = "local"
    round: RoundName
    mode: str = "offline"
    model: str = "offline"
    guide: str = "persistent-systems-ml-engineer"
    settings: SessionSettings = Field(default_factory=SessionSettings)
    status: SessionStatus = "active"
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    summary: dict = Field(default_factory=dict)  # the final report, once finished

    @property
    def per_round(self) -> int | None:
        """A full loop's questions per round: its questions are numbered within each round."""
        return self.settings.questions if self.round == "full" else None


def numbered(index: int, total: int, per_round: int | None = None) -> tuple[int, int]:
    """(the question's 0-based number, out of how many) as the candidate is told. ``per_round``:
    a full loop's questions per round, counted within each round, since L2 is only asked when
    L1 is passed ("Question 1 of 3 (L2, ...)", not "4 of 6")."""
    return (index % per_round, per_round) if per_round else (index, total)


def opens_l2(index: int, round_name: str, per_round: int | None) -> bool:
    """Whether question ``index`` of round ``round_name`` is a full loop's first L2 question
    (``per_round``: SessionInfo.per_round)."""
    return per_round is not None and round_name == "L2" and index == per_round


def question_tag(turn: Turn, per_round: int | None = None) -> str:
    """A question's short name in the scorecard and the transcripts: "Q2", or in a full loop
    "L2 Q1", as the chat numbers it."""
    number = numbered(turn.index, 0, per_round)[0] + 1
    return f"{turn.round} Q{number}" if per_round else f"Q{number}"


def turn_score(status: str, overall: int | None) -> int | None:
    """The score a turn counts for: its grade, 0 when skipped, None when never answered."""
    if status == "skipped":
        return 0
    return overall


def half_up(x: float) -> int:
    """``x`` rounded to the nearest whole number, halves up: Python's round() takes halves to
    the even neighbour, and a re-walk's round of 3 and 2 read 2/100 beside 83 and 100 at 92."""
    return math.floor(x + 0.5)


def session_score(turns: list[tuple[str, int | None]]) -> tuple[int | None, int]:
    """A session's score and its number of answered questions, from (status, overall) per turn.

    The one definition every view uses (the report, the transcript list, Progress, exports, the
    CLI): the mean over the questions answered (graded) or skipped (0); a question never
    answered is left out. None when nothing counts yet.
    """
    counted = [s for status, overall in turns if (s := turn_score(status, overall)) is not None]
    answered = sum(1 for status, overall in turns if status != "skipped" and overall is not None)
    return (half_up(sum(counted) / len(counted)) if counted else None), answered


# How the probes open that ask an answer again (``probes.form_probe``): to another question, about
# something else, or a list of terms. What follows them is graded without the answer before.
OTHER_QUESTION_ASKED = "That sounds like an answer to a different question."


OFF_TOPIC_ASKED = "That answer is about something else."


LISTED_ASKED = "You've listed some terms."


NOT_ENGLISH_ASKED = "Please answer in English: the interview is held in English."


ASKED_AGAIN = (OTHER_QUESTION_ASKED, OFF_TOPIC_ASKED, LISTED_ASKED, NOT_ENGLISH_ASKED)


def asked_again(turn: Turn) -> str | None:
    """The opening of the probe (``ASKED_AGAIN``) that asked a turn's answer again, if its first
    probe was one."""
    first = turn.follow_ups[0].question if turn.follow_ups else ""
    return next((o for o in ASKED_AGAIN if first.startswith(o)), None)
