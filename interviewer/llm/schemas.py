"""What the LLM must return: pydantic models its structured output is validated against."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JudgeCriterion(_Out):
    score: int = Field(ge=1, le=5)
    evidence: list[str] = Field(default_factory=list, max_length=3)
    rationale: str = Field(default="", max_length=600)


class JudgeRedFlag(_Out):
    """A listed red flag the judge reads in the answer, with the answer's words that state it."""

    flag: str = Field(max_length=300)  # its id (rf1, rf2, ...) or its claim as listed
    quote: str = Field(max_length=600)  # copied exactly from the answer


class JudgeOutput(_Out):
    """What the judge must return; anything else is malformed."""

    depth: JudgeCriterion
    problem_solving: JudgeCriterion
    engineering: JudgeCriterion
    communication: JudgeCriterion
    covered_key_points: list[str] = Field(default_factory=list)
    red_flags_stated: list[JudgeRedFlag] = Field(default_factory=list, max_length=8)
    overall: int = Field(ge=0, le=100)
    feedback: str = Field(default="", max_length=1200)


class GenKeyPoint(_Out):
    point: str
    weight: int = Field(ge=1, le=3)
    criterion: Literal["depth", "problem_solving", "engineering", "communication"] = "depth"
    paraphrases: list[str] = Field(default_factory=list, max_length=4)


class GenFollowUp(_Out):
    key_point_index: int = Field(ge=0)
    text: str


class GeneratedQuestion(_Out):
    """A question with its rubric, as the generator must return it."""

    text: str
    topic: str
    difficulty: int = Field(ge=1, le=3)
    key_points: list[GenKeyPoint] = Field(min_length=4, max_length=8)
    red_flags: list[str] = Field(min_length=1, max_length=4)
    model_answer: str
    follow_ups: list[GenFollowUp] = Field(min_length=1, max_length=3)


class ReviewCriterion(_Out):
    score: int = Field(ge=1, le=5)
    rationale: str = Field(default="", max_length=400)


class CodeReviewOutput(_Out):
    """What the code review must return."""

    correctness: ReviewCriterion
    readability: ReviewCriterion
    vectorisation: ReviewCriterion
    edge_cases: ReviewCriterion
    overall: int = Field(ge=0, le=100)
    feedback: str = Field(default="", max_length=1200)
