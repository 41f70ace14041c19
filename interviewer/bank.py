"""The authored question bank (``knowledge/bank/*.yaml``), validated on load by pydantic.

The bank ships inside the package (``interviewer.knowledge``) and is read through
``importlib.resources``, so a wheel works as well as a checkout. A loaded bank is read-only:
it is shared by every session of a process, and a session keeps the questions it generates
itself (LLM mode) apart from it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interviewer.coding.spec import CodingSpec
from interviewer.config import Settings
from interviewer.errors import BankError
from interviewer.grading.rubric import OFFLINE_SOURCES, Grade, Rubric, RubricPoint
from interviewer.grading.rubric import STORY_RED_FLAGS as STORY_FLAGS
from interviewer.grading.star import Star

Bank = Mapping[str, "Question"]  # read-only: question id -> question
# A coding question that also asks for words: "then walk me through its complexity and failure
# modes", "Explain how your approach scales." (the clause, to its full stop).
_EXPLAIN = re.compile(r"\b(?:then\s+)?((?:explain|walk me through|talk me through)\b[^.?!]*)", re.I)
# "Describe a time you ...", "walk me through a project from your resume", "think of a past
# project": the candidate's own story is the answer.
_STORY = re.compile(
    r"\b(a time (you|when)|tell me about (a|an|your)|from your (resume|cv|experience)"
    r"|(think of|pick|describe) (a|an|one) (past |previous )?(project|situation|time)"
    r"|a past project|have you ever)\b",
    re.I,
)

Round = Literal["L1", "L2"]
Criterion = Literal["depth", "problem_solving", "engineering", "communication"]
Kind = Literal["spoken", "coding"]
CODING = "coding"  # the topic group of questions answered in code (L1)

# Topic -> (round, group). The groups drive the round policy: L1 mixes ML fundamentals with
# Python/data work; L2 mixes system design and MLOps with one behavioural question.
TOPICS: dict[str, tuple[str, str]] = {
    "supervised-unsupervised": ("L1", "ml-fundamentals"),
    "evaluation-metrics": ("L1", "ml-fundamentals"),
    "overfitting-regularisation": ("L1", "ml-fundamentals"),
    "ensembles": ("L1", "ml-fundamentals"),
    "deep-learning": ("L1", "ml-fundamentals"),
    "transformers": ("L1", "ml-fundamentals"),
    "linear-models": ("L1", "ml-fundamentals"),
    "imbalanced-data": ("L1", "ml-fundamentals"),
    "missing-data": ("L1", "python-data"),
    "pandas": ("L1", "python-data"),
    "data-at-scale": ("L1", "python-data"),
    "data-wrangling": ("L1", "python-data"),
    "ml-from-scratch": ("L1", "python-data"),
    "python-coding": ("L1", "python-data"),
    "recommendation-systems": ("L2", "system-design"),
    "low-latency-serving": ("L2", "system-design"),
    "streaming-fraud": ("L2", "system-design"),
    "scalability": ("L2", "system-design"),
    "pipeline-design": ("L2", "system-design"),
    "llm-rag": ("L2", "system-design"),
    "low-label-learning": ("L2", "system-design"),
    "production-debugging": ("L2", "mlops"),
    "data-drift": ("L2", "mlops"),
    "mlops-cicd": ("L2", "mlops"),
    "containers": ("L2", "mlops"),
    "fairness": ("L2", "behavioural"),
    "stakeholder-communication": ("L2", "behavioural"),
    "project-deep-dive": ("L2", "behavioural"),
}
# How a topic reads where its slug with spaces would not ("supervised unsupervised").
TOPIC_LABELS = {
    "supervised-unsupervised": "supervised vs unsupervised",
    "overfitting-regularisation": "overfitting and regularisation",
    "ml-from-scratch": "ML from scratch",
    "python-coding": "Python coding",
    "llm-rag": "LLMs and RAG",
    "low-label-learning": "learning with few labels",
    "mlops-cicd": "MLOps and CI/CD",
}


def topic_label(topic: str) -> str:
    """A topic slug as the candidate reads it ("imbalanced data", "LLMs and RAG"); a title (an
    uploaded guide's section: a space or a capital in it) as it is written (a re-walk's
    "Cross-validation" section read "Cross validation")."""
    if topic in TOPIC_LABELS:
        return TOPIC_LABELS[topic]
    return topic if " " in topic or topic != topic.lower() else topic.replace("-", " ")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KeyPoint(_Strict):
    """What a strong answer says, with a few paraphrases that count as saying it."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    point: str = Field(min_length=10)
    weight: int = Field(ge=1, le=3)
    criterion: Criterion = "depth"
    paraphrases: list[str] = Field(default_factory=list, max_length=6)


class FollowUp(_Strict):
    """A probe aimed at one key point, asked when an answer misses it. It asks about the point
    without stating it: an interviewer probes, never hands over the answer."""

    key_point: str
    text: str = Field(min_length=10)


class RedFlag(_Strict):
    """A confidently wrong claim a weak answer makes, and why it is wrong (shown as feedback:
    "Wrong: <why>"). Written in YAML as the claim alone, or as ``{claim, why}``."""

    claim: str = Field(min_length=5)
    why: str = ""  # what is wrong and what is right instead, one sentence

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data):
        return {"claim": data} if isinstance(data, str) else data


# The wrong claims of poor judgement every question asking for a story also carries
# (``grading.rubric.STORY_RED_FLAGS``, ``Question.all_red_flags``).
STORY_RED_FLAGS: tuple[RedFlag, ...] = tuple(RedFlag(claim=c, why=w) for c, w in STORY_FLAGS)


class Question(_Strict):
    """One bank question with its rubric."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    round: Round
    topic: str
    difficulty: int = Field(ge=1, le=3)
    text: str = Field(min_length=15)
    guide_section: str = Field(min_length=3)
    from_guide: bool = False
    key_points: list[KeyPoint] = Field(min_length=4, max_length=8)
    red_flags: list[RedFlag] = Field(min_length=1)
    model_answer: str = Field(min_length=80)
    follow_ups: list[FollowUp] = Field(min_length=1, max_length=8)
    # A question answered in code: starter, visible and hidden tests, reference solution. The
    # key points and model answer grade the candidate's explanation of the approach.
    coding: CodingSpec | None = None

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, topic: str) -> str:
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}; known: {', '.join(sorted(TOPICS))}")
        return topic

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if TOPICS[self.topic][0] != self.round:
            raise ValueError(f"topic {self.topic!r} belongs to round {TOPICS[self.topic][0]}")
        if self.coding is not None and self.round != "L1":
            raise ValueError("coding questions belong to the L1 round")
        if self.coding is not None and self.coding.pace.lower() not in self.text.lower():
            raise ValueError(f"the question's text does not ask for its pace {self.coding.pace!r}")
        ids = [kp.id for kp in self.key_points]
        if len(set(ids)) != len(ids):
            raise ValueError("key point ids must be unique within a question")
        for fu in self.follow_ups:
            if fu.key_point not in ids:
                raise ValueError(f"follow-up names unknown key point {fu.key_point!r}")
        for fu in self.coding.follow_ups if self.coding else ():
            if fu.key_point is not None and fu.key_point not in ids:
                raise ValueError(f"coding follow-up names unknown key point {fu.key_point!r}")
        for t in self.coding.hidden_tests if self.coding else ():
            if unknown := [k for k in t.checks if k not in ids]:
                raise ValueError(f"hidden test {t.name} checks unknown key point {unknown[0]!r}")
        probed = [fu.key_point for fu in self.follow_ups]
        if len(set(probed)) != len(probed):
            raise ValueError("at most one follow-up per key point")
        return self

    def follow_up_for(self, kp_id: str) -> FollowUp | None:
        """The authored probe of a key point, if it has one."""
        return next((fu for fu in self.follow_ups if fu.key_point == kp_id), None)

    def red_flag(self, claim: str) -> RedFlag | None:
        """The red flag with this claim."""
        return next((rf for rf in self.all_red_flags if rf.claim == claim), None)

    @property
    def all_red_flags(self) -> list[RedFlag]:
        """The question's own red flags, and ``STORY_RED_FLAGS`` when it asks for a story."""
        shared = STORY_RED_FLAGS if self.asks_for_story else ()
        own = {rf.claim for rf in self.red_flags}
        return [*self.red_flags, *(rf for rf in shared if rf.claim not in own)]

    @property
    def group(self) -> str:
        """The topic group: ml-fundamentals, python-data, coding, system-design, mlops,
        behavioural."""
        return CODING if self.coding is not None else TOPICS[self.topic][1]

    @property
    def kind(self) -> Kind:
        """How the question is answered: spoken (text) or coding (code that runs)."""
        return "coding" if self.coding is not None else "spoken"

    def key_point(self, kp_id: str) -> KeyPoint:
        """The key point with this id."""
        return next(kp for kp in self.key_points if kp.id == kp_id)

    def rubric(self) -> Rubric:
        """What an answer to this question is graded against."""
        return Rubric(
            question=self.text,
            key_points=[
                RubricPoint(kp.id, kp.point, kp.weight, kp.criterion, list(kp.paraphrases))
                for kp in self.key_points
            ],
            red_flags=[rf.claim for rf in self.all_red_flags],
            model_answer=self.model_answer,
            question_id=self.id,
            own_story=self.group == "behavioural",
            story=self.asks_for_story,
            corrections={rf.claim: rf.why for rf in self.all_red_flags if rf.why},
            code=self.coding is not None,
        )

    @property
    def explain_request(self) -> str | None:
        """What a coding question asks to explain besides the code, in its own words ("walk me
        through its complexity and failure modes"), or None."""
        m = _EXPLAIN.search(self.text) if self.coding is not None else None
        return None if m is None else m.group(1).strip()

    @property
    def asks_to_explain(self) -> str | None:
        """What a coding question asks the candidate to explain besides the code, as the
        question says it ("explain the edge cases", "walk through its complexity and failure
        modes"), or None. Its code alone answers a part of the question (``engine.code_grade``)."""
        said = self.explain_request
        if said is None:
            return None
        return re.sub(r"^(walk|talk) me through", r"\1 through", said[0].lower() + said[1:])

    @property
    def asks_for_story(self) -> bool:
        """Whether the question asks for the candidate's own story (answered in STAR form)."""
        return self.group == "behavioural" and bool(_STORY.search(self.text))


class BankFile(_Strict):
    questions: list[Question] = Field(min_length=1)


def _format_error(path: Path, exc: ValidationError, data) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    where = ".".join(str(x) for x in loc)
    # Name the question by id, not only by index, so the author can find it.
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        try:
            where = f"question {data['questions'][loc[1]].get('id', loc[1])!r}: " + ".".join(
                str(x) for x in loc[2:]
            )
        except (KeyError, IndexError, AttributeError, TypeError):
            pass
    extra = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{path.name}: {where}: {err['msg']}{extra}"


def load_file(path) -> list[Question]:
    """Questions of one YAML file; BankError naming the file and field when it is broken."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BankError(f"{path.name}: not valid YAML: {' '.join(str(exc).split())}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BankError(f"{path.name}: cannot read ({exc.__class__.__name__})") from None
    try:
        return BankFile.model_validate(data).questions
    except ValidationError as exc:
        raise BankError(_format_error(path, exc, data)) from None


def builtin_dir():
    """The built-in bank's folder inside the installed package."""
    return resources.files("interviewer.knowledge") / "bank"


def load_bank(directory=None) -> Bank:
    """Every question of the bank, by id (read-only); ids are unique across files."""
    directory = builtin_dir() if directory is None else directory
    if not directory.is_dir():
        raise BankError(f"no question bank folder {directory} (check INTERVIEWER_BANK_DIR)")
    files = sorted(
        (f for f in directory.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name
    )
    if not files:
        raise BankError(f"no *.yaml question files in {directory}")
    bank: dict[str, Question] = {}
    for path in files:
        for q in load_file(path):
            if q.id in bank:
                raise BankError(f"{path.name}: question id {q.id!r} is defined twice")
            bank[q.id] = q
    return MappingProxyType(bank)


@lru_cache(maxsize=1)
def default_bank() -> Bank:
    """The built-in bank, loaded once per process (read-only)."""
    return load_bank()


@lru_cache(maxsize=8)
def _bank_at(directory: str) -> Bank:
    return load_bank(Path(directory))


def bank_for(settings: Settings) -> Bank:
    """The bank these settings name: INTERVIEWER_BANK_DIR, or the built-in one."""
    if settings.bank_dir is None:
        return default_bank()
    return _bank_at(str(Path(settings.bank_dir).resolve()))


def judgement_unread(question: Question | None, grade: Grade) -> bool:
    """Whether ``grade`` is the offline grader's of a question asking for a story: the grade
    that says it can miss poor judgement (``rubric.JUDGEMENT_UNREAD``; chat, scorecard, report).
    ``question`` None (not in the bank) is no story, nor an answer with none of the STAR parts
    (walk44: the note stood under general advice that told no story, at 16/100; ``STAR_UNTOLD``
    parts missing, as the grader reads it)."""
    return (question is not None and question.asks_for_story and Star.of_flags(grade.flags).told
            and grade.source in OFFLINE_SOURCES)  # fmt: skip


def coverage(bank: Bank) -> Counter:
    """Questions per topic."""
    return Counter(q.topic for q in bank.values())
