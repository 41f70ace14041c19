"""How the interviewer thinks: the ``Engine`` seam and the offline engine (bank + coverage
grader).

The LLM engine (``interviewer.llm.engine``) implements the same protocol; the interview flow
only calls these methods, so both modes share one flow.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from interviewer.bank import Bank, Question, topic_label
from interviewer.chat_feedback import feedback_text, judgement_note
from interviewer.coding.grade import CodeResult, grade_submission
from interviewer.coding.harness import HarnessResult, run_submission
from interviewer.coding.sandbox import SandboxLimits
from interviewer.coding_answer import code_grade
from interviewer.config import Settings
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import Grade
from interviewer.grading.text import FUNCTION_WORDS
from interviewer.markup import lower_first, plural
from interviewer.models import ROUNDS, Turn, numbered
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


@dataclass(frozen=True)
class CodeRunner:
    """Runs candidate code in the sandbox with the deployment's policy and limits."""

    mode: str = "auto"  # INTERVIEWER_SANDBOX
    require_sandbox: bool = False  # a server with logins never falls back to rlimits only
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    deny: tuple[str, ...] = ()  # paths candidate code must never see (the data dir)

    @classmethod
    def from_settings(cls, settings: Settings) -> CodeRunner:
        """The runner of these settings: the data dir is always hidden from the code."""
        return cls(
            mode=settings.sandbox,
            require_sandbox=bool(settings.auth),
            limits=SandboxLimits(
                memory_mb=settings.sandbox_memory_mb, wall_s=settings.sandbox_wall_s
            ),
            deny=(str(Path(settings.data_dir).resolve()),),
        )

    def run_visible(self, q: Question, code: str) -> HarnessResult:
        """The question's visible example tests (the candidate's Run button)."""
        return run_submission(q.coding, code, which="visible", **self._policy())

    def grade(self, q: Question, code: str) -> CodeResult:
        """The hidden tests, the static review and the growth check (Submit)."""
        return grade_submission(q.id, q.coding, code, **self._policy())

    def _policy(self) -> dict:
        return {
            "limits": self.limits,
            "mode": self.mode,
            "require_sandbox": self.require_sandbox,
            "deny": self.deny,
        }


WARM_UP_EXIT_WAIT = 10.0  # seconds an exiting process waits for a running warm-up


def warm_up(grader: OfflineGrader, bank: Bank, *, background: bool = True):
    """Load the embedding model and embed every question's rubric ahead of the answers (kept in
    the grader's on-disk vector cache): a first answer then costs its own sentences only. In a
    background thread by default, so a server starts at once; the thread is returned."""
    import atexit
    import threading

    from interviewer import neighbours
    from interviewer.grading import minilm

    def run() -> None:
        try:
            with minilm.in_background():  # answers sent meanwhile are embedded first
                grader.prime(q.rubric() for q in bank.values())
                neighbours.question_vectors(grader)  # what the answers-another-question check reads
                grader.embeddings.encode(["warm up"])  # load the model even when all was cached
        except minilm.Stopped:
            pass

    if not background:
        run()
        return None
    thread = threading.Thread(target=run, name="grader-warm-up", daemon=True)
    thread.start()

    def finish() -> None:
        # A process on its way out stops the warm-up after the chunk it is on and waits for
        # that (never while the model's native code runs: the interpreter's teardown would
        # pull the ground from under it).
        minilm.stop_background()
        thread.join(WARM_UP_EXIT_WAIT)

    atexit.register(finish)
    return thread


class Engine(Protocol):
    """What the interview asks of a way of thinking (offline or LLM)."""

    name: str  # offline | llm | local
    model: str
    code_runner: CodeRunner  # runs a coding question's examples and hidden tests

    def intro(
        self, round_name: str, n: int, on_token: TokenCallback = None, *, hints: bool = True,
        buttons: bool = False,
    ) -> str: ...
    def question_for(self, request: QuestionRequest) -> tuple[Question | None, list[str]]: ...
    def ask(self, q: Question, index: int, total: int, on_token: TokenCallback = None) -> str: ...
    def judge(self, q: Question, answer: str) -> tuple[Grade, Usage]: ...
    def judge_code(
        self, q: Question, code: str, explanation: str | None
    ) -> tuple[Grade, CodeResult, Usage]: ...
    def follow_up(self, text: str, on_token: TokenCallback = None) -> str: ...
    def probe_for(self, q: Question, point: str) -> str | None: ...
    def hint(self, q: Question, n: int) -> str: ...
    def feedback(
        self, q: Question, grade: Grade, on_token: TokenCallback = None,
        code_result: dict | None = None,
    ) -> str: ...
    def restore_question(self, turn: Turn) -> Question | None: ...
    def take_usage(self) -> Usage: ...


# Said while a model writes the reply (a walk-through in local mode waited minutes on a "…"
# with an empty status line).
MODEL_WORKING = {
    "llm": "The interviewer's model is writing its reply…",
    "local": "The interviewer's model is writing its reply… (a local model on a CPU can take a "
    "minute or more)",
}

FELL_BACK = "The model fell short here, so the offline interviewer stepped in: "


def fallback_note(engine: Engine) -> str:
    """What the engine's model fell short at since the last call, said once ("" if nothing):
    the LLM engine keeps it in ``last_error`` and carries on offline."""
    err = getattr(engine, "last_error", None)
    if not err:
        return ""
    engine.last_error = None
    return FELL_BACK + err


# Words a hint's half of a key point does not end on: it would read as cut off.
HINT_STOPS = FUNCTION_WORDS | {"including", "such", "like", "especially"}


def hint_order(q: Question) -> list:
    """The key points in the order hints take them: the most important first."""
    return sorted(q.key_points, key=lambda kp: -kp.weight)


def question_header(
    index: int, total: int, round_name: str, topic: str, per_round: int | None = None
) -> str:
    """How a question is introduced, live and in a resumed chat: "Question 2 of 5 (L1, ...)"."""
    index, total = numbered(index, total, per_round)
    return f"Question {index + 1} of {total} ({round_name}, {topic_label(topic)})"


def commands_line(hints: bool = True, buttons: bool = False) -> str:
    """The commands, as the opening names them: typed ("/hint (costs points), /repeat, ..."),
    or in the app the buttons first and the typed forms after them (a walk-through read the
    app's opening name only typed commands beside the buttons that do the same)."""
    typed = "/hint, /repeat, /skip, /end" if hints else "/repeat, /skip, /end"
    if buttons:
        names = "Hint (costs points), Repeat, Skip and End" if hints else "Repeat, Skip and End"
        said = f"the {names} buttons under your answer, or type {typed}"
        return said if hints else f"{said} (a real interview has no hints)"
    if hints:
        return typed.replace("/hint", "/hint (costs points)")
    return f"{typed} (a real interview has no hints)"


def emit(text: str, on_token: TokenCallback) -> str:
    """Send authored text to a streaming callback word by word, as a model would stream it."""
    if on_token is not None:
        for i, word in enumerate(text.split(" ")):
            on_token(word if i == 0 else " " + word)
    return text


def intro_text(round_name: str, n: int, *, hints: bool = True, buttons: bool = False) -> str:
    """The offline interviewer's opening: the round, the number of questions, the commands (no
    /hint in a real interview). A resumed chat starts with it too (an LLM's own words for it are
    not kept)."""
    return (
        f"Welcome to your mock interview for the Machine Learning Engineer role at "
        f"Persistent Systems. This is {ROUNDS[round_name].description}, {plural(n, 'question')}"
        f"{' per round' if round_name == 'full' else ''}. Answer as you would in the room: "
        f"explain your reasoning and the trade-offs. Commands: {commands_line(hints, buttons)}."
    )


class OfflineEngine:
    """Authored bank questions, authored probes and hints, and the offline coverage grader."""

    name = "offline"
    model = "offline"

    def __init__(self, grader: OfflineGrader, code_runner: CodeRunner | None = None):
        self.grader = grader
        self.code_runner = code_runner or CodeRunner()

    def intro(
        self, round_name: str, n: int, on_token: TokenCallback = None, *, hints: bool = True,
        buttons: bool = False,
    ) -> str:
        """The interviewer's opening (:func:`intro_text`)."""
        return emit(intro_text(round_name, n, hints=hints, buttons=buttons), on_token)

    def question_for(self, request: QuestionRequest) -> tuple[Question | None, list[str]]:
        """The next bank question (no guide passages: the bank names its own section)."""
        return pick_question(request), []

    def ask(self, q: Question, index: int, total: int, on_token: TokenCallback = None) -> str:
        """The question as the interviewer says it."""
        return emit(f"{question_header(index, total, q.round, q.topic)}: {q.text}", on_token)

    def judge(self, q: Question, answer: str) -> tuple[Grade, Usage]:
        """The offline grade (no tokens spent); an answer to another bank question is graded
        as such (``neighbours``)."""
        from interviewer import neighbours

        grade = self.grader.grade_many([(q.rubric(), answer)])[0]
        return neighbours.checked(self.grader, q, answer, grade), Usage()

    def judge_code(
        self, q: Question, code: str, explanation: str | None
    ) -> tuple[Grade, CodeResult, Usage]:
        """The code graded in the sandbox, with the explanation (if any) graded as an answer."""
        result = self.code_runner.grade(q, code)
        spoken = self.judge(q, explanation)[0] if explanation and explanation.strip() else None
        return code_grade(q, result, spoken, explanation or ""), result, Usage()

    def follow_up(self, text: str, on_token: TokenCallback = None) -> str:
        """A probe as the interviewer says it."""
        return emit(f"Follow-up: {text}", on_token)

    def probe_for(self, q: Question, point: str) -> str | None:
        """No probe for a point without an authored follow-up: stating the point would hand the
        candidate the answer."""
        return None

    def hint(self, q: Question, n: int) -> str:
        """The ``n``-th hint: the start of the ``n``-th most important key point."""
        ranked = hint_order(q)
        kp = ranked[min(n, len(ranked) - 1)]
        # A nudge, not the answer: the first half of the key point.
        words = kp.point.split()
        words = words[: max(6, len(words) // 2)]
        # Cut after a word that carries meaning: a half ending "..., and ..." read as cut off.
        while len(words) > 3 and words[-1].lower().strip(",.;:") in HINT_STOPS:
            words.pop()
        start = " ".join(words).rstrip(",.;:…")
        return f"think about this: {lower_first(start)} ..."

    def feedback(
        self, q: Question, grade: Grade, on_token: TokenCallback = None,
        code_result: dict | None = None,
    ) -> str:
        """The score and two or three bullets on what landed and what was missing."""
        return emit(feedback_text(q, grade, code_result) + judgement_note(q, grade), on_token)

    def restore_question(self, turn: Turn) -> Question | None:
        """Offline questions all come from the bank: nothing to restore."""
        return None

    def take_usage(self) -> Usage:
        """The offline engine spends no tokens."""
        return Usage()
