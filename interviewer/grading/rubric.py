"""The rubric: four criteria, what an answer is graded against, per-answer grades with
evidence and flags, and the session's hire signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, Field

from interviewer.errors import GradeInputError
from interviewer.grading import text as tu

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

# Flags a grade can carry. Floors (the answer gets the minimum whatever else it says):
FLAG_NO_ANSWER = "no answer"
FLAG_IDK = "no answer (I don't know)"
FLAG_ONLY_INJECTION = "only instructions to the grader"
FLAG_GIBBERISH = "gibberish"
FLAG_OFF_TOPIC = "off-topic"
FLOOR_FLAGS = (FLAG_NO_ANSWER, FLAG_IDK, FLAG_ONLY_INJECTION, FLAG_GIBBERISH, FLAG_OFF_TOPIC)
# Answers with nothing an LLM judge could grade: it never sees them.
UNJUDGEABLE = (FLAG_NO_ANSWER, FLAG_IDK, FLAG_GIBBERISH)
# Notes on what the answer did:
FLAG_INJECTION = "instructions to the grader ignored"
FLAG_KEYWORDS = "keyword list without explanation"
FLAG_RESTATES = "mostly restates the question"
# Prefixes of flags that carry a detail after them:
RED_FLAG = "red flag: "  # + the wrong claim the answer states
NEEDS_REVIEW = "needs review: "  # + why the LLM judge's score was overruled
OFFLINE_USED = "offline grade used: "  # + why the LLM judge gave no usable judgement


def is_red_flag(flag: str) -> bool:
    """Whether a grade flag reports a stated wrong claim."""
    return flag.startswith(RED_FLAG)


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


@dataclass
class RubricPoint:
    """One key point an answer is graded on, with the paraphrases that count as saying it."""

    id: str
    point: str
    weight: int = 1
    criterion: str = "depth"
    paraphrases: list[str] = field(default_factory=list)


@dataclass
class Rubric:
    """What one answer is graded against; built from a bank question (``Question.rubric()``),
    a dict or a reference answer."""

    question: str
    key_points: list[RubricPoint]
    red_flags: list[str] = field(default_factory=list)
    model_answer: str = ""
    question_id: str = "adhoc"
    # A behavioural question's good answer is the candidate's own story, far from the model
    # answer's story: whole-answer similarity says nothing about its relevance.
    own_story: bool = False

    @cached_property
    def reference_sentences(self) -> list[str]:
        """The model answer, sentence by sentence (read for every answer graded against it)."""
        if not self.model_answer:
            return []
        return list(tu.sentences(tu.normalise(self.model_answer)))

    def variants(self) -> list[str]:
        """Every key point and paraphrase text: what counts as a correct statement."""
        return [t for kp in self.key_points for t in (kp.point, *kp.paraphrases)]

    def texts(self) -> list[str]:
        """Every rubric text the grader embeds; the same for every answer to this rubric."""
        return [
            self.question,
            self.model_answer or self.question,
            *self.red_flags,
            *self.variants(),
            *self.reference_sentences,
        ]

    @classmethod
    def from_reference(cls, question: str, reference: str, question_id: str = "adhoc") -> Rubric:
        """Key points derived from a reference answer: its informative sentences, up to 8."""
        sents = [s for s in tu.sentences(tu.normalise(reference)) if len(tu.words(s)) >= 3]
        qwords = tu.content_stems(question)
        # Prefer sentences that say something beyond the question.
        ranked = sorted(sents, key=lambda s: -len(tu.content_stems(s) - qwords))[:8]
        ordered = [s for s in sents if s in ranked] or [reference.strip() or question]
        points = [RubricPoint(f"kp{i + 1}", s, 1) for i, s in enumerate(ordered)]
        return cls(question, points, model_answer=reference, question_id=question_id)

    @classmethod
    def from_dict(cls, question: str, data, question_id: str = "adhoc") -> Rubric:
        """A rubric given as ``{"key_points": [str | {point, weight?, ...}], "red_flags": [...]}``
        or as a bare list of key points."""
        if isinstance(data, list):
            data = {"key_points": data}
        if not isinstance(data, dict) or not data.get("key_points"):
            raise GradeInputError("rubric needs a non-empty 'key_points' list")
        points = []
        for i, kp in enumerate(data["key_points"]):
            if isinstance(kp, str):
                kp = {"point": kp}
            if not isinstance(kp, dict) or not str(kp.get("point", "")).strip():
                raise GradeInputError(f"rubric key point {i + 1} needs a 'point' text")
            points.append(
                RubricPoint(
                    str(kp.get("id", f"kp{i + 1}")),
                    str(kp["point"]),
                    int(kp.get("weight", 1)),
                    str(kp.get("criterion", "depth")),
                    [str(p) for p in kp.get("paraphrases", [])],
                )
            )
        return cls(
            question,
            points,
            [str(r) for r in data.get("red_flags", [])],
            str(data.get("model_answer", "")),
            question_id,
        )
