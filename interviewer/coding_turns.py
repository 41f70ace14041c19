"""A coding question's turn in an interview: its code run on the visible examples, submitted
to the hidden tests, and the explanation sent with it."""

from __future__ import annotations

import time

from interviewer.code_checks import code_problem, ungradable
from interviewer.coding.harness import HarnessResult
from interviewer.errors import InterviewError
from interviewer.markup import FENCE
from interviewer.models import ANSWERS_APART, Turn
from interviewer.probes import code_ran_said
from interviewer.reply import Reply, TokenCallback


def split_code(text: str) -> tuple[str | None, str | None]:
    """(code, the words around it) of an answer with a fenced code block; (None, None) without
    one."""
    blocks = FENCE.findall(text)
    if not blocks:
        return None, None
    words = FENCE.sub(" ", text).strip()
    return "\n\n".join(b.rstrip() for b in blocks), (words or None)


def _save_code(turn: Turn, code: str) -> None:
    """Keep ``code`` as the question's code, stamped with when it changed (the same code run
    or submitted again keeps its time: a draft typed over it is not older)."""
    if code != turn.code or turn.code_at is None:
        turn.code, turn.code_at = code, time.time()


def _add_explanation(turn: Turn, text: str) -> None:
    """A coding turn's spoken part: each explanation the candidate sends is kept, in order."""
    turn.answer = text if not turn.answer else f"{turn.answer}{ANSWERS_APART}{text}"


class CodingTurns:
    """The coding-question steps of an ``Interview`` (a mixin: it uses the interview's turns,
    engine, bank and store)."""

    def _coding_turn(self) -> Turn:
        turn = self.current
        if turn is None or turn.kind != "coding" or self.phase != "awaiting_answer":
            raise InterviewError("there is no open coding question")
        return turn

    def _check_code(self, code: str) -> str:
        code = code if isinstance(code, str) else str(code)
        if problem := code_problem(code):
            raise InterviewError(problem)
        return code

    def _keep_explanation(self, turn: Turn, text: str) -> Reply:
        _add_explanation(turn, text)
        self._save(turn)
        return Reply(
            "note",
            "Noted: your explanation is saved and will be graded with your code. Now submit "
            "the code (in the app, the editor's Submit button; in a terminal, a ```python "
            "block), or /skip.",
            turn=turn,
        )

    def run_code(self, code: str) -> HarnessResult:
        """Run the open coding question's visible example tests on ``code`` (not graded); the
        code is kept as the question's draft."""
        turn = self._coding_turn()
        _save_code(turn, self._check_code(code))
        self._save(turn)
        return self.engine.code_runner.run_visible(self.bank[turn.question_id], turn.code)

    def submit_code(
        self, code: str, explanation: str | None = None, on_token: TokenCallback | None = None
    ) -> Reply:
        """Grade the open coding question's code on its hidden tests (and the explanation, if
        any, as an answer); then a follow-up or the next question."""
        turn = self._coding_turn()
        code = self._check_code(code)
        spec = self.bank[turn.question_id].coding
        if problem := ungradable(code, spec.starter, spec.entry_point):
            raise InterviewError(problem)
        _save_code(turn, code)
        if explanation and explanation.strip():
            _add_explanation(turn, explanation)
        turn.answered_at = time.time()
        self._save(turn)  # committed before it runs: a crash while grading loses nothing
        question = self.bank[turn.question_id]
        grade, result, usage = self.engine.judge_code(question, turn.code, turn.answer)
        usage.add_to(turn)
        turn.code_result = result.model_dump(mode="json")
        turn.grade = self._penalise(turn, grade)
        self._save(turn)
        return self._probe_or_close(turn, on_token, lead=code_ran_said(turn.code_result))
