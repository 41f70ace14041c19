"""How the interviewer thinks: the offline engine (bank + coverage grader).

The LLM engine (``interviewer.llm_engine``) has the same methods; the interview flow only calls
these, so both modes share one flow.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from interviewer.bank import Question
from interviewer.grader import Rubric, default_grader
from interviewer.models import Turn
from interviewer.policy import pick_question
from interviewer.rubric import Grade

TokenCallback = Callable[[str], None] | None

ROUND_NAMES = {
    "L1": "the L1 round: ML fundamentals plus Python and data work",
    "L2": "the L2 round: real-time scenarios, ML system design, MLOps and one behavioural question",
    "full": "a full loop: the L1 round, then the L2 round if you pass L1",
}


class Engine(Protocol):
    name: str
    model: str

    def intro(self, round_name: str, n: int, on_token: TokenCallback = None) -> str: ...
    def question_for(self, **kw) -> tuple[Question | None, list[str]]: ...
    def ask(self, q: Question, index: int, total: int, on_token: TokenCallback = None) -> str: ...
    def judge(self, q: Question, answer: str) -> tuple[Grade, dict]: ...
    def follow_up(self, text: str, on_token: TokenCallback = None) -> str: ...
    def probe_for(self, q: Question, point: str) -> str: ...
    def hint(self, q: Question, n: int) -> str: ...
    def feedback(self, q: Question, grade: Grade, on_token: TokenCallback = None) -> str: ...
    def restore_question(self, turn: Turn) -> Question | None: ...


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

    def __init__(self, grader=None):
        self.grader = grader or default_grader()

    def intro(self, round_name: str, n: int, on_token: TokenCallback = None) -> str:
        text = (
            f"Welcome to your mock interview for the Machine Learning Engineer role at "
            f"Persistent Systems. This is {ROUND_NAMES[round_name]}, {n} questions"
            f"{' per round' if round_name == 'full' else ''}. Answer as you would in the room: "
            "explain your reasoning and the trade-offs. Commands: /hint (costs points), /repeat, "
            "/skip, /end."
        )
        return emit(text, on_token)

    def question_for(
        self, *, bank, round_name, group, difficulty, asked, recent, topics_used, rng: random.Random
    ):
        q = pick_question(
            bank,
            round_name=round_name,
            group=group,
            difficulty=difficulty,
            asked=asked,
            recent=recent,
            topics_used=topics_used,
            rng=rng,
        )
        return q, []

    def ask(self, q: Question, index: int, total: int, on_token: TokenCallback = None) -> str:
        return emit(
            f"Question {index + 1} of {total} ({q.round}, {q.topic.replace('-', ' ')}): {q.text}",
            on_token,
        )

    def judge(self, q: Question, answer: str) -> tuple[Grade, dict]:
        return self.grader.grade_many([(Rubric.from_question(q), answer)])[0], {}

    def follow_up(self, text: str, on_token: TokenCallback = None) -> str:
        return emit(f"Follow-up: {text}", on_token)

    def probe_for(self, q: Question, point: str) -> str:
        return f"You did not get to one part of this. Can you tell me more about this: {point}"

    def hint(self, q: Question, n: int) -> str:
        ranked = sorted(q.key_points, key=lambda kp: -kp.weight)
        kp = ranked[min(n, len(ranked) - 1)]
        # A nudge, not the answer: the first half of the key point.
        words = kp.point.split()
        start = " ".join(words[: max(6, len(words) // 2)]).rstrip(",.;")
        return f"think about this: {start[0].lower()}{start[1:]} ..."

    def feedback(self, q: Question, grade: Grade, on_token: TokenCallback = None) -> str:
        text = f"Score: {grade.overall}/100. {grade.feedback}"
        return emit(text, on_token)

    def restore_question(self, turn: Turn) -> Question | None:
        return None
