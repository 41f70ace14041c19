"""How the interviewer thinks: the ``Engine`` seam and the offline engine (bank + coverage
grader).

The LLM engine (``interviewer.llm.engine``) implements the same protocol; the interview flow
only calls these methods, so both modes share one flow.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from interviewer.bank import Bank, Question
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import Grade
from interviewer.models import ROUNDS, Turn
from interviewer.policy import pick_question

TokenCallback = Callable[[str], None] | None


@dataclass
class Usage:
    """Tokens a model read and wrote, and what they cost."""

    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.tokens_in + other.tokens_in,
            self.tokens_out + other.tokens_out,
            round(self.cost_usd + other.cost_usd, 6),
        )

    def add_to(self, turn: Turn) -> None:
        """Count this usage on a turn."""
        turn.tokens_in += self.tokens_in
        turn.tokens_out += self.tokens_out
        turn.cost_usd += self.cost_usd


@dataclass(frozen=True)
class QuestionRequest:
    """What the next question must be: round, topic group, difficulty, and what to avoid."""

    bank: Bank
    round_name: str
    group: str
    difficulty: int
    asked: frozenset[str]  # asked in this session
    recent: frozenset[str]  # asked in the user's recent sessions
    topics_used: tuple[str, ...]
    rng: random.Random


class Engine(Protocol):
    """What the interview asks of a way of thinking (offline or LLM)."""

    name: str  # offline | llm | local
    model: str

    def intro(self, round_name: str, n: int, on_token: TokenCallback = None) -> str: ...
    def question_for(self, request: QuestionRequest) -> tuple[Question | None, list[str]]: ...
    def ask(self, q: Question, index: int, total: int, on_token: TokenCallback = None) -> str: ...
    def judge(self, q: Question, answer: str) -> tuple[Grade, Usage]: ...
    def follow_up(self, text: str, on_token: TokenCallback = None) -> str: ...
    def probe_for(self, q: Question, point: str) -> str: ...
    def hint(self, q: Question, n: int) -> str: ...
    def feedback(self, q: Question, grade: Grade, on_token: TokenCallback = None) -> str: ...
    def restore_question(self, turn: Turn) -> Question | None: ...
    def take_usage(self) -> Usage: ...


def emit(text: str, on_token: TokenCallback) -> str:
    """Send authored text to a streaming callback word by word, as a model would stream it."""
    if on_token is not None:
        for i, word in enumerate(text.split(" ")):
            on_token(word if i == 0 else " " + word)
    return text


class OfflineEngine:
    """Authored bank questions, authored probes and hints, and the offline coverage grader."""

    name = "offline"
    model = "offline"

    def __init__(self, grader: OfflineGrader):
        self.grader = grader

    def intro(self, round_name: str, n: int, on_token: TokenCallback = None) -> str:
        """The interviewer's opening: the round, the number of questions, the commands."""
        text = (
            f"Welcome to your mock interview for the Machine Learning Engineer role at "
            f"Persistent Systems. This is {ROUNDS[round_name].description}, {n} questions"
            f"{' per round' if round_name == 'full' else ''}. Answer as you would in the room: "
            "explain your reasoning and the trade-offs. Commands: /hint (costs points), /repeat, "
            "/skip, /end."
        )
        return emit(text, on_token)

    def question_for(self, request: QuestionRequest) -> tuple[Question | None, list[str]]:
        """The next bank question (no guide passages: the bank names its own section)."""
        return pick_question(request), []

    def ask(self, q: Question, index: int, total: int, on_token: TokenCallback = None) -> str:
        """The question as the interviewer says it."""
        return emit(
            f"Question {index + 1} of {total} ({q.round}, {q.topic.replace('-', ' ')}): {q.text}",
            on_token,
        )

    def judge(self, q: Question, answer: str) -> tuple[Grade, Usage]:
        """The offline grade (no tokens spent)."""
        return self.grader.grade_many([(q.rubric(), answer)])[0], Usage()

    def follow_up(self, text: str, on_token: TokenCallback = None) -> str:
        """A probe as the interviewer says it."""
        return emit(f"Follow-up: {text}", on_token)

    def probe_for(self, q: Question, point: str) -> str:
        """A probe for a missed point that has no authored follow-up."""
        return f"You did not get to one part of this. Can you tell me more about this: {point}"

    def hint(self, q: Question, n: int) -> str:
        """The ``n``-th hint: the start of the ``n``-th most important key point."""
        ranked = sorted(q.key_points, key=lambda kp: -kp.weight)
        kp = ranked[min(n, len(ranked) - 1)]
        # A nudge, not the answer: the first half of the key point.
        words = kp.point.split()
        start = " ".join(words[: max(6, len(words) // 2)]).rstrip(",.;")
        return f"think about this: {start[0].lower()}{start[1:]} ..."

    def feedback(self, q: Question, grade: Grade, on_token: TokenCallback = None) -> str:
        """The score and the grader's feedback."""
        text = f"Score: {grade.overall}/100. {grade.feedback}"
        return emit(text, on_token)

    def restore_question(self, turn: Turn) -> Question | None:
        """Offline questions all come from the bank: nothing to restore."""
        return None

    def take_usage(self) -> Usage:
        """The offline engine spends no tokens."""
        return Usage()
