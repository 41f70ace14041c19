"""What the interviewer says back after each step of an interview (a ``Reply``), and how it
says a hint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from interviewer.grading.rubric import Grade
from interviewer.models import Turn
from interviewer.report import Report

TokenCallback = Callable[[str], None]
ReplyKind = Literal["question", "follow_up", "hint", "repeat", "report", "note"]

HINT_PENALTY = 10  # overall points off a question per hint taken (at most 2 hints a question)


def hint_said(hint: str) -> str:
    """A hint as the interviewer gives it, live and in a resumed or reviewed chat."""
    return f"Hint (costs {HINT_PENALTY} points): {hint}"


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
    feedback: str = ""  # the feedback on that turn, which ``text`` starts with
