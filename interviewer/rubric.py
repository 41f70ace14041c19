"""The rubric: four criteria, per-answer grades with evidence, and the session's hire signal."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# The four things the guide says interviewers assess.
CRITERIA: dict[str, str] = {
    "depth": "Technical depth and correctness",
    "problem_solving": "Problem solving and structure",
    "engineering": "Engineering excellence (trade-offs, production concerns)",
    "communication": "Communication (clear, structured, concise)",
}
# How much each criterion counts in the overall score of one answer.
CRITERION_WEIGHTS = {
    "depth": 0.45,
    "problem_solving": 0.2,
    "engineering": 0.2,
    "communication": 0.15,
}

PASS_MARK = 60  # an answer (and a round) at or above this overall score passes

# Session hire signal from the mean overall score (0-100) of the graded answers. A red flag
# (a confidently wrong central claim) on more than a third of the answers caps the signal at
# "lean no hire": interviewers do not hire through repeated wrong fundamentals.
HIRE_SIGNALS: list[tuple[int, str]] = [
    (80, "strong hire"),
    (65, "hire"),
    (50, "lean hire"),
    (35, "lean no hire"),
    (20, "no hire"),
    (0, "strong no hire"),
]

Source = Literal["offline", "llm", "offline-fallback"]


class CriterionScore(BaseModel):
    """A 1-5 score for one criterion, with the spans of the answer that justify it."""

    score: int = Field(ge=1, le=5)
    evidence: list[str] = Field(default_factory=list)
    rationale: str = ""


class KeyPointResult(BaseModel):
    """How well one key point was covered, and where."""

    id: str
    point: str
    weight: int
    coverage: float = Field(ge=0, le=1)
    covered: bool
    evidence: str = ""


class Grade(BaseModel):
    """The grade of one answer."""

    question_id: str
    overall: int = Field(ge=0, le=100)
    criteria: dict[str, CriterionScore]
    key_points: list[KeyPointResult] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    source: Source = "offline"
    feedback: str = ""
    hint_penalty: int = 0

    @property
    def score(self) -> float:
        """The overall score in [0, 1]."""
        return self.overall / 100

    @property
    def covered(self) -> list[str]:
        return [kp.point for kp in self.key_points if kp.covered]

    @property
    def missed(self) -> list[str]:
        return [kp.point for kp in self.key_points if not kp.covered]

    @property
    def label(self) -> int:
        """The overall score on the 1-5 scale of the labelled eval set."""
        return score_to_label(self.overall)

    def to_dict(self) -> dict:
        """JSON-ready form with the derived fields too."""
        data = self.model_dump()
        data.update(score=round(self.score, 4), covered=self.covered, missed=self.missed)
        return data


def overall_from_criteria(criteria: dict[str, CriterionScore]) -> int:
    """Weighted mean of the criterion scores, mapped from 1-5 onto 0-100."""
    mean = sum(CRITERION_WEIGHTS[c] * criteria[c].score for c in CRITERIA)
    return round((mean - 1) / 4 * 100)


LABEL_CUTS = (20, 40, 60, 80)  # overall < 20 -> 1, < 40 -> 2, < 60 -> 3, < 80 -> 4, else 5


def score_to_label(overall: float) -> int:
    """0-100 onto the 1-5 label scale."""
    return 1 + sum(overall >= cut for cut in LABEL_CUTS)


def hire_signal(overalls: list[int], red_flag_share: float = 0.0) -> str:
    """The session's hire signal from its answers' overall scores (see ``HIRE_SIGNALS``)."""
    if not overalls:
        return "strong no hire"
    mean = sum(overalls) / len(overalls)
    signal = next(name for cut, name in HIRE_SIGNALS if mean >= cut)
    if red_flag_share > 1 / 3 and mean >= 35:
        return "lean no hire"
    return signal
