"""The interview state machine: intro, asking, awaiting answer, follow-up, feedback, done.

UI-free: the Gradio app, the terminal and the tests drive the same object. Every change to a
turn is written to the store the moment it happens, so a killed process loses nothing.
"""

from __future__ import annotations

import random
import re
import time
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from interviewer.bank import Bank, Question
from interviewer.coding.grade import CodeResult, ran_and_failed, ruled_out
from interviewer.coding.harness import NOT_RUN, STOPPED, HarnessResult
from interviewer.engine import (
    ALONE_EARNS,
    LOOPS_FOUND,
    Engine,
    QuestionRequest,
    code_grade,
    code_problem,
    emit,
    hint_order,
    numbered,
    question_header,
    ungradable,
    with_tested_said,
)
from interviewer.errors import InterviewError
from interviewer.grading import text as tu
from interviewer.grading.copying import FLAG_SEEN, seen_copy_grade
from interviewer.grading.decide import CAP
from interviewer.grading.feedback import quoted, without_gap
from interviewer.grading.rubric import (
    CORRECTED,
    CORRECTION_COST,
    FLAG_KEYWORDS,
    FLAG_NOT_ENGLISH,
    FLAG_OFF_TOPIC,
    FLAG_OTHER_QUESTION,
    FLAG_RESTATES,
    NO_FORM_PROBLEM,
    STAR_MISSING,
    Grade,
    red_flag_claims,
)
from interviewer.grading.star import STAR_UNTOLD
from interviewer.markup import FENCE, shorten, telling, tests_passed
from interviewer.models import (
    MAX_ANSWER_CHARS,
    MAX_QUESTIONS,
    FollowUpExchange,
    SessionInfo,
    SessionSettings,
    Turn,
    opens_l2,
    too_long_said,
)
from interviewer.policy import START_DIFFICULTY, group_plan, next_difficulty, time_budget
from interviewer.report import (
    Report,
    build_report,
    l1_result,
    l1_score,
    l2_opening,
)

HINT_PENALTY = 10  # overall points off a question per hint taken (at most 2 hints a question)


def hint_said(hint: str) -> str:
    """A hint as the interviewer gives it, live and in a resumed or reviewed chat."""
    return f"Hint (costs {HINT_PENALTY} points): {hint}"


def code_ran_said(result: dict) -> str:
    """What the interviewer says of submitted code before a follow-up on it (the feedback comes
    after the follow-up; a walk-through's candidate was asked the complexity of code that had
    failed half its tests and not told)."""
    said = f"Your code ran: {tests_passed(result['passed'], result['total'], result['verdict'])}"
    criteria = result.get("criteria") or {}
    correctness = criteria.get("correctness") or {}
    loops = (criteria.get("vectorisation") or {}).get("evidence") or ""
    if ruled := ruled_out(correctness.get("evidence") or ""):  # why all passed is not correct
        said += f", but it uses {ruled}, which the question rules out"
    elif result["passed"] == result["total"] and result["verdict"] != "correct" and \
            loops.startswith(LOOPS_FOUND):  # fmt: skip
        said += f", but it has {loops}"
    return said + "."


# A failed test's error is cut to this many characters in the probe about it (a pandas test's
# assertion with both lists runs to about 150).
PROBE_ERROR_CHARS = 240


def failed_test_probe(result: dict | None, said: str = "") -> str | None:
    """The first probe on code that failed hidden tests, as an interviewer points at the failing
    case before anything else (a walk-through's code failed 3 of 8 tests, "threshold boundaries"
    among them, and was asked how it would scale): a test that ran and failed, by name, with
    what came back (the first whose error shows the value, else the first). A test stopped for
    time or memory is asked about only when no test ran and failed: a walk-through's K-Means
    timed out on its large input and gave NaN on an empty cluster, and was asked only the
    complexity its explanation had stated. Then how it was stopped, and what to change (its
    complexity too, unless ``said``, what the candidate said, states one). None when every test
    passed, or when none ran (the run's error is the feedback)."""
    failed = (result or {}).get("failed") or []
    ran = [f for f in failed if ran_and_failed(f["error"])]
    if ran:
        # one whose error shows what came back or quotes the whole case (a re-walk's first
        # failure was an assertion on random input, with neither the input nor the value)
        test = ran[telling([(f["error"], f.get("code") or "") for f in ran])]
        return (f"The hidden test “{_test_named(test)}” failed: "
                f"{shorten(test['error'], PROBE_ERROR_CHARS)}. What does your code do in that "
                "case, and what would you change?")  # fmt: skip
    test = next((f for f in failed if not f["error"].startswith(NOT_RUN)), None)
    if test is None:
        return None
    error = test["error"].removeprefix(STOPPED)  # the whole run was stopped in it
    stop = shorten(error, PROBE_ERROR_CHARS)
    if error.startswith("output limit"):
        ask = "What is your code printing there, and what would you change?"
    elif "memory" in error:
        ask = "What does your code hold in memory there, and what would you change?"
    elif "waiting" in error:  # the wall-clock backstop: it slept or blocked
        ask = "What is your code waiting for there, and what would you change?"
    elif not error.startswith(("timed out", "wall time")):  # it exited, or crashed
        ask = "What in your code ends the run there, and what would you change?"
    elif _STATES_COMPLEXITY.search(said):
        ask = ("Where does your code spend that time, and what would you change to make it fast "
               "enough?")  # fmt: skip
    else:
        ask = ("What is the complexity of your code, and what would you change to make it fast "
               "enough?")  # fmt: skip
    return f"The hidden test “{_test_named(test)}” was stopped: {stop}. {ask}"


def _test_named(test: dict) -> str:
    return test["name"].replace("_", " ")


MAX_HINTS = 2
COMMANDS = ("hint", "repeat", "skip", "end")
TokenCallback = Callable[[str], None]
Phase = Literal["intro", "awaiting_answer", "follow_up", "done"]
ReplyKind = Literal["question", "follow_up", "hint", "repeat", "report", "note"]

__all__ = ["COMMANDS", "Interview", "InterviewError", "Reply", "split_code"]


CODE_AT_FOLLOW_UP = (
    "The code in your follow-up answer was not run: the hidden tests graded the code you "
    "submitted, and your words here are graded as your explanation. To fix the code and run the "
    "tests again, drill this question in Practice."
)


# A story told as what "we" did (no "I ..."): what every behavioural interviewer asks next. Asked
# even when every key point is covered: such a story is capped (rubric.OWN_PART_CAP).
OWN_PART_PROBE = ("You've told me what the team did. What did you yourself do: which decisions "
                  "were yours, and what did you say, build or change?")


# How the probes open that ask an answer again (``form_probe``): to another question, about
# something else, or a list of terms. What follows them is graded without the answer before.
OTHER_QUESTION_ASKED = "That sounds like an answer to a different question."
OFF_TOPIC_ASKED = "That answer is about something else."
LISTED_ASKED = "You've listed some terms."
NOT_ENGLISH_ASKED = "Please answer in English: the interview is held in English."
ASKED_AGAIN = (OTHER_QUESTION_ASKED, OFF_TOPIC_ASKED, LISTED_ASKED, NOT_ENGLISH_ASKED)
# The communication of an answer given as a list of terms and said in sentences only at the
# probe: at most "adequate", as an interviewer marks a candidate who needed asking.
LISTED_COMMUNICATION_MAX = 3


def asked_again(turn: Turn) -> str | None:
    """The opening of the probe (``ASKED_AGAIN``) that asked a turn's answer again, if its first
    probe was one."""
    first = turn.follow_ups[0].question if turn.follow_ups else ""
    return next((o for o in ASKED_AGAIN if first.startswith(o)), None)


def form_probe(question: Question, flags: list[str]) -> str | None:
    """The probe for an answer that is a list of terms, restates the question, or tells no story
    where one is asked for: to say it in full sentences; for an answer to another bank question,
    what was asked (``neighbours``); for a story of only what "we" did,
    to say what the candidate did (``OWN_PART_PROBE``). An authored probe presumes an answer
    was given: a walk-through's keyword list to "Describe a time ..." was asked "How exactly
    did you explain the cause?"."""
    story = ("Walk me through what actually happened, in full sentences: the situation, what "
             "you did, and how it turned out.")
    if FLAG_NOT_ENGLISH in flags:  # (walk22's Spanish story was told it was off-topic)
        return f"{NOT_ENGLISH_ASKED} What I asked was: {question.text}"
    if any(f.startswith(FLAG_OTHER_QUESTION) for f in flags):
        return f"{OTHER_QUESTION_ASKED} What I asked was: {question.text}"
    if FLAG_OFF_TOPIC in flags:  # (a walk-through's answer on boosting to a question on
        # reproducible training was probed on GPU kernels)
        return f"{OFF_TOPIC_ASKED} What I asked was: {question.text}"
    if FLAG_KEYWORDS in flags:
        if question.asks_for_story:
            return f"{LISTED_ASKED} {story}"
        return (f"{LISTED_ASKED} Walk me through it in full sentences: what each one "
                "means here, and how they fit together.")
    # A story question answered with no story (STAR_UNTOLD of its four parts missing): "Drift,
    # SHAP values and a dashboard." is no list by the keyword rule, and a re-walk's was asked
    # "How exactly did you explain the cause?".
    if question.asks_for_story and sum(f.startswith(STAR_MISSING) for f in flags) >= STAR_UNTOLD:
        return f"Take me through one real case. {story}"
    if FLAG_RESTATES in flags:
        return ("That mostly restates the question. What would you actually do, step by step, "
                "and why?")
    if question.asks_for_story and STAR_MISSING + "action" in flags:
        return OWN_PART_PROBE
    return None


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


# A coding probe that asks only for the complexity, and words that state one: such a probe tied
# to no key point (the question has none stating an O(...)) is not asked after they were said.
_COMPLEXITY_PROBE = re.compile(r"What is the (time and space )?complexity( in time and space)?\?")
_STATES_COMPLEXITY = re.compile(
    r"\bO\s*\([^)]*\)|\b(linear|quadratic|logarithmic|constant)( in [\w ]+?)? (time|space)\b"
    r"|\bn\s*log\s*n\b|\b(runs|is) (linear|quadratic)\b", re.I)  # fmt: skip


def _complexity_said(text: str, probe: str) -> bool:
    """Whether ``probe`` asks only for the complexity and ``text`` already states one."""
    return bool(_COMPLEXITY_PROBE.fullmatch(probe.strip()) and _STATES_COMPLEXITY.search(text))


ANSWERS_APART = "\n\n"  # between answers graded together: no sentence runs across two


def _said(turn: Turn) -> str:
    """Everything the candidate said on a turn: the answer and the follow-up answers."""
    parts = [turn.answer, *(f.answer for f in turn.follow_ups)]
    # A blank line between them: one line break is read as a soft wrap, and an answer ending
    # with no full stop ran into the follow-up's first sentence (a walk-through's quote read
    # "... weight them differently MSE squares the errors ...").
    return ANSWERS_APART.join(p for p in parts if p)


def _listed_first(grade: Grade, listed: str) -> Grade:
    """``grade`` of the sentences said at the probe after a list of terms (``listed``): its
    communication held at ``LISTED_COMMUNICATION_MAX``, and saying why."""
    said = grade.criteria.get("communication")
    if said is None:
        return grade
    held = said.model_copy(update={
        "score": min(said.score, LISTED_COMMUNICATION_MAX),
        "evidence": [shorten(listed, 160)],
        "rationale": "the first answer was a list of terms, said in sentences only when asked; "
                     + said.rationale.removeprefix(f"{NO_FORM_PROBLEM}; "),
    })  # fmt: skip
    return grade.model_copy(update={"criteria": {**grade.criteria, "communication": held}})


def _said_after(turn: Turn) -> str:
    """The follow-up answers of a turn, without the answer before them."""
    return ANSWERS_APART.join(f.answer for f in turn.follow_ups if f.answer)


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



# Prior, not fitted (no answers labelled for corrections exist): a follow-up sentence that the
# grader credits with a key point puts a wrong claim right when it shares at least this many
# content words, beyond the question's own, with the claim's authored correction. A walk-through's
# "Actually Polars is written in Rust on top of Apache Arrow, and in lazy mode it builds a query
# plan ..." shares six with "Polars is an independent Rust engine on Apache Arrow memory, ...".
CORRECTION_WORDS = 2


def corrected_claims(question: Question, grade: Grade, answer: str, alone: Grade) -> dict[str, str]:
    """The wrong claims of ``grade`` (the answer and its follow-up answers graded together) that
    ``answer`` (the answer before the follow-ups) stated and the follow-up answers, graded
    ``alone``, put right: claim -> the answer's words that stated it. None when the follow-up
    answers state a wrong claim themselves."""
    if red_flag_claims(alone.flags):
        return {}
    asked = tu.content_stems(question.text)
    fixes = question.rubric().corrections
    stated = [tu.content_stems(kp.evidence) for kp in alone.key_points if kp.covered and kp.evidence]
    before = tu.normalise(answer)
    out = {}
    for claim in red_flag_claims(grade.flags):
        said = grade.wrong_said.get(claim, "")
        why = tu.content_stems(fixes.get(claim, "")) - asked
        if said and said in before and any(len(w & why) >= CORRECTION_WORDS for w in stated):
            out[claim] = said
    return out


def without_claims(answer: str, said: dict[str, str]) -> str:
    """The answer with the words that stated the given claims taken out."""
    text = tu.normalise(answer)
    for words in said.values():
        text = text.replace(words, " ")
    # the punctuation that led into the words goes with them: "underfits: ." read as a slip in
    # a walk-through's "Landed" quote of "... underfits: high bias, low variance, ..."
    text = re.sub(r"[ \t]*[,;:][ \t]*(?=[.!?,;:]|$)", "", text, flags=re.M)
    text = re.sub(r"[ \t]+(?=[.,;:!?])", "", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def corrected_score(overall: int, corrected: int) -> int:
    """The overall of an answer whose ``corrected`` wrong claims the follow-up put right:
    ``CORRECTION_COST`` points each, but never below the red-flag cap the claims would have held
    it at (a correction is worth more than the claim left standing)."""
    return max(overall - CORRECTION_COST * corrected, min(overall, round(100 * CAP)))


def with_corrections(grade: Grade, said: dict[str, str]) -> Grade:
    """``grade`` (of the answer without the corrected claims, and its follow-ups) saying which
    wrong claims the follow-up answers put right, in the candidate's words, each costing
    ``CORRECTION_COST`` points."""
    note = " ".join(f"Corrected in your follow-up: you said {quoted(w)}, which is wrong, and your "
                    "follow-up answer put it right; the correction is credited, less "
                    f"{CORRECTION_COST} points, as a hint would cost." for w in said.values())  # fmt: skip
    overall = corrected_score(grade.overall, len(said))
    return grade.model_copy(update={
        "overall": overall,
        "correction_penalty": grade.overall - overall,
        "flags": [*grade.flags, *(CORRECTED + c for c in said)],
        "wrong_said": {**grade.wrong_said, **said},
        "feedback": f"{grade.feedback.rstrip()} {note}".strip(),
    })  # fmt: skip


def explain_probe(q: Question) -> str:
    """The probe of code sent alone to a question that asks for words too."""
    asked = q.explain_request
    return f"As the question asks, {asked[0].lower()}{asked[1:]}: your code alone {ALONE_EARNS}."


MOVED_ON = ("this interview has moved on in another tab or window, so this was not recorded: "
            "press Resume (or reload the page) to continue it from where it is now")


def _stored_print(turn: Turn) -> tuple:
    """What a step of the interview changes in a stored turn: its question and status, whether
    it was answered, its follow-ups asked and answered, its hints, whether code was sent."""
    return (turn.question_id, turn.status, bool(turn.answer), len(turn.follow_ups),
            sum(bool(f.answer) for f in turn.follow_ups), len(turn.hints), turn.code is not None)


def merge_follow_up(before: Grade | None, after: Grade) -> Grade:
    """A question's grade once its follow-up is answered (``after`` grades the answer and the
    follow-up together): it can only rise. The higher of the two grades, and every key point
    either covered stays covered, with its evidence. But a wrong claim first stated in the
    follow-up answer counts as it would have in the answer: ``after``, which has its red flag
    (and its cap), stands (a walk-through's wrong follow-up answer was dropped by the higher
    grade, and the points it named were ticked)."""
    if before is None:
        return after
    if set(red_flag_claims(after.flags)) - set(red_flag_claims(before.flags)):
        return after
    base, other = (after, before) if after.overall >= before.overall else (before, after)
    theirs = {kp.id: kp for kp in other.key_points if kp.covered}
    gained = {kp.id: theirs[kp.id] for kp in base.key_points
              if not kp.covered and kp.id in theirs}  # fmt: skip
    if not gained:
        return base
    text = base.feedback
    for kp in gained.values():
        text = without_gap(text, kp.point)  # no longer the gap to fill
    points = [gained.get(kp.id, kp) for kp in base.key_points]
    merged = base.model_copy(update={"key_points": points, "feedback": text})
    # A coding point the code failed that the follow-up answer diagnosed is no longer "not
    # credited" in the feedback of the grade at submission, when that is the higher
    return with_tested_said(merged) if any(kp.failed_test for kp in points) else merged

# A question whose phrasing took longer than this (a model writing it) is stamped as asked when
# it is shown: a walk-through's timed question read a minute over, the local model's minute.
RESTAMP_AFTER_S = 1.0


class Interview:
    """One mock interview session for round L1, L2 or a full loop (L2 only after passing L1)."""

    def __init__(
        self,
        *,
        round: str = "L1",
        questions: int = 3,
        feedback: str = "each",
        follow_ups: int = 1,
        coding: bool = True,
        real: bool = False,
        engine: Engine,
        bank: Bank,
        store=None,
        user_id: str = "local",
        seed: int | None = None,
        info: SessionInfo | None = None,
    ):
        if round not in ("L1", "L2", "full"):
            raise InterviewError(f"round must be L1, L2 or full, not {round!r}")
        if not 1 <= questions <= MAX_QUESTIONS:
            raise InterviewError(f"questions must be between 1 and {MAX_QUESTIONS}")
        if feedback not in ("each", "end"):
            raise InterviewError("feedback must be 'each' (after every answer) or 'end'")
        if real:  # as in the room: the grades come at the end
            feedback = "end"
        self.engine = engine
        self.store = store
        # The shared bank is read-only; questions this session generates (LLM mode) live in
        # its own map in front of it, so they never leak into other sessions.
        self.generated: dict[str, Question] = {}
        self.bank = ChainMap(self.generated, bank)
        self.rng = random.Random(seed)
        self.info = info or SessionInfo(
            user_id=user_id,
            round=round,
            mode=self.engine.name,
            model=self.engine.model,
            settings=SessionSettings(
                questions=questions,
                feedback=feedback,
                follow_ups=follow_ups,
                seed=seed,
                coding=coding,
                real=real,
            ),
        )
        self.turns: list[Turn] = []
        self.phase: Phase = "intro"
        self.note = ""
        # What the store holds of each turn, as this interview last wrote or read it
        # (``_stored_print``): a step is refused when another tab has moved the session on.
        self._stored: dict[int, tuple] = {}

    # -- settings ----------------------------------------------------------------------------
    @property
    def n_questions(self) -> int:
        """Questions per round."""
        return self.info.settings.questions

    @property
    def feedback_each(self) -> bool:
        """Whether feedback comes after each answer (else only at the end)."""
        return self.info.settings.feedback == "each"

    @property
    def follow_up_budget(self) -> int:
        """Probes per question."""
        return self.info.settings.follow_ups

    @property
    def current(self) -> Turn | None:
        return self.turns[-1] if self.turns and self.turns[-1].status == "pending" else None

    def _open_turn(self) -> Turn:
        """The open question, or a clear refusal when there is none (the step that was to ask
        the next one failed: Skip asks it)."""
        turn = self.current
        if turn is None:
            raise InterviewError("there is no open question: the next one could not be asked. "
                                 "Press Skip to ask it (nothing was recorded)")  # fmt: skip
        return turn

    @property
    def done(self) -> bool:
        return self.phase == "done"

    # -- persistence -------------------------------------------------------------------------
    def _save(self, turn: Turn) -> None:
        self.engine.take_usage().add_to(turn)  # tokens spent phrasing since the last save
        if self.store is not None:
            self._check_not_moved_on()
            self.store.save_turn(self.info.id, turn)
            self._stored[turn.index] = _stored_print(turn)

    def _check_not_moved_on(self) -> None:
        """Refuse to write when the stored session is no longer as this interview left it: the
        same session open in two tabs (or browsers, or replicas), one answered, and the other,
        still showing the question, then sent an answer that overwrote it (a walk-through lost
        an answer so, with no word said)."""
        _, stored = self.store.load_session(self.info.id, user_id=self.info.user_id)
        if {t.index: _stored_print(t) for t in stored} != self._stored:
            raise InterviewError(MOVED_ON)

    def _save_info(self) -> None:
        self.info.updated_at = time.time()
        if self.store is not None:
            self.store.update_session(self.info)

    # -- flow --------------------------------------------------------------------------------
    def start(self, on_token: TokenCallback | None = None, *, buttons: bool = False) -> Reply:
        """Open the session and ask the first question; ``buttons``: the front end has buttons
        for the commands (the app), which the opening names."""
        if self.phase != "intro":
            raise InterviewError("the interview has already started")
        if self.store is not None:
            self.store.create_session(self.info)
        intro = self.engine.intro(self.info.round, self.n_questions, on_token=on_token,
                                  hints=not self.info.settings.real, buttons=buttons)  # fmt: skip
        reply = self._ask_next(on_token)
        reply.text = f"{intro}\n\n{reply.text}"
        return reply

    def _plan(self) -> list[tuple[str, str]]:
        """(round, group) of every question the session will ask, as far as known now."""
        n, coding = self.n_questions, self.info.settings.coding
        if self.info.round == "full":
            plan = [("L1", g) for g in group_plan("L1", n, coding=coding)]
            return plan + [("L2", g) for g in group_plan("L2", n)]
        return [(self.info.round, g) for g in group_plan(self.info.round, n, coding=coding)]

    def _l1_score(self) -> int:
        return l1_score(self.turns)

    def _l1_passed(self) -> bool:
        return l1_result(self.turns)[1]

    def _ask_next(self, on_token: TokenCallback | None = None) -> Reply:
        plan = self._plan()
        index = len(self.turns)
        if index >= len(plan):
            return self._finish(on_token)
        round_name, group = plan[index]
        opening = ""
        if opens_l2(index, round_name, self.per_round):
            l1, passed = l1_result(self.turns)
            if not passed:  # (the report says why: its score, or its code)
                self.note = (
                    "L1 was not passed, so the L2 round was not unlocked (as in the real process)."
                )
                return self._finish(on_token)
            opening = emit(l2_opening(l1, score=self.feedback_each) + "\n\n", on_token)
        graded = [t for t in self.turns if t.round == round_name]
        difficulty = START_DIFFICULTY
        for t in graded:
            score = 0 if t.status == "skipped" else (t.grade.overall if t.grade else None)
            difficulty = next_difficulty(difficulty, score)
        recent = (self.store.recent_question_ids(user_id=self.info.user_id, besides=self.info.id)
                  if self.store else set())  # fmt: skip
        asked = {t.question_id for t in self.turns}
        question, sources = self.engine.question_for(
            QuestionRequest(
                bank=self.bank,
                round_name=round_name,
                group=group,
                difficulty=difficulty,
                asked=frozenset(asked),
                recent=frozenset(set(recent) - asked),
                topics_used=tuple(t.topic for t in self.turns),
                rng=self.rng,
            )
        )
        if question is None:
            self.note = "The question bank for this round has no more unasked questions."
            return self._finish(on_token)
        if question.id not in self.bank:
            self.generated[question.id] = question
        turn = Turn.of_question(index, question, sources=sources)
        self.turns.append(turn)
        self._save(turn)
        self.phase = "awaiting_answer"
        text = opening + self.engine.ask(
            question, *numbered(index, len(plan), self.per_round), on_token=on_token
        )
        if time.time() - turn.asked_at > RESTAMP_AFTER_S:  # the question's clock starts when
            turn.asked_at = time.time()  # it is shown, not while a model phrased it
            self._save(turn)
        return Reply("question", text, turn=turn)

    def answer(
        self, text: str, on_token: TokenCallback | None = None, delivery: dict | None = None
    ) -> Reply:
        """Take the candidate's answer to the pending question or follow-up.

        On a coding question, a fenced ```python block is the submitted code (the words around
        it are the explanation); words alone are kept as the explanation and the question stays
        open for the code. ``delivery``: how a spoken answer was delivered, kept with the turn.
        """
        if self.phase not in ("awaiting_answer", "follow_up"):
            raise InterviewError("there is no open question to answer")
        text = text if isinstance(text, str) else str(text)
        if any("\ud800" <= ch <= "\udfff" for ch in text):  # bytes that were not UTF-8
            raise InterviewError("the answer holds a character that is not valid Unicode (a lone surrogate); remove it and send it again (nothing was recorded)")  # fmt: skip
        if len(text) > MAX_ANSWER_CHARS:
            raise InterviewError(too_long_said(len(text), "send"))
        stripped = text.strip()
        if stripped.startswith("/") and stripped[1:].lower() in COMMANDS:
            return self.command(stripped[1:].lower(), on_token=on_token)
        if re.fullmatch(r"/[A-Za-z][\w-]*", stripped):  # a mistyped command is no answer
            said = ", ".join(f"/{c}" for c in COMMANDS)
            raise InterviewError(f"{stripped} is not a command (the commands are {said}); "
                                 "nothing was recorded")  # fmt: skip
        turn = self._open_turn()
        if delivery is not None:
            turn.delivery = delivery
        if turn.kind == "coding" and self.phase == "awaiting_answer":
            code, explanation = split_code(text)
            if code is None:
                return self._keep_explanation(turn, text)
            return self.submit_code(code, explanation=explanation, on_token=on_token)
        now = time.time()
        if self.phase == "follow_up":
            turn.follow_ups[-1].answer = text
            turn.answered_at = now
            self._save(turn)  # committed before grading: a crash while grading loses nothing
            turn.grade = merge_follow_up(turn.grade, self._judge(turn, _said(turn)))
            # A fix pasted at a coding question's follow-up is kept as typed, not run: a
            # walk-through's terminal fix of the failed test was silently left at 4 of 6.
            code_sent = turn.kind == "coding" and split_code(text)[0] is not None
            return self._close_turn(turn, on_token, note=CODE_AT_FOLLOW_UP if code_sent else "")

        turn.answer = text
        turn.answered_at = now
        self._save(turn)
        turn.grade = self._judge(turn, text)
        self._save(turn)
        return self._probe_or_close(turn, on_token)

    def _probe_or_close(self, turn: Turn, on_token: TokenCallback | None, lead: str = "") -> Reply:
        """A follow-up (said after ``lead``, if any), or the turn closed with its feedback."""
        probe = self._follow_up_for(turn)
        if probe is not None:
            turn.follow_ups.append(probe)
            self._save(turn)
            self.phase = "follow_up"
            if lead:
                emit(lead + "\n\n", on_token)
            said = self.engine.follow_up(probe.question, on_token=on_token)
            if turn.answered_at is not None:  # the clock stops while the interviewer works
                probe.waited = round(max(0.0, time.time() - turn.answered_at), 2)
                self._save(turn)
            return Reply("follow_up", f"{lead}\n\n{said}" if lead else said, turn=turn,
                         grade=turn.grade)  # fmt: skip
        return self._close_turn(turn, on_token)

    # -- coding questions --------------------------------------------------------------------
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

    def _judge(self, turn: Turn, answer: str) -> Grade:
        question = self.bank[turn.question_id]
        if turn.kind == "coding" and turn.code_result is not None:
            answer = FENCE.sub(" ", answer).strip()  # code pasted at a follow-up is not words
            spoken, usage = self.engine.judge(question, answer) if answer else (None, None)
            result = CodeResult.model_validate(turn.code_result)
            # A point the code was claimed to do but failed is credited when the follow-up
            # answers alone state it: a diagnosis or the fix (with the explanation, the
            # sentence that made the claim can read closer to the point than the diagnosis)
            diagnosis = None
            words = FENCE.sub(" ", _said_after(turn)).strip()
            if words and turn.grade and any(
                    kp.failed_test and not kp.covered for kp in turn.grade.key_points):  # fmt: skip
                diagnosis, more = self.engine.judge(question, words)
                usage = more if usage is None else usage + more
            # (what the code was claimed to do is read from the grade at submission: a fix
            # named in a follow-up answer is no such claim)
            grade = code_grade(question, result, spoken, answer, before=turn.grade,
                               follow_up=diagnosis, after=words)  # fmt: skip
        else:
            before = turn.grade is not None and FLAG_SEEN in turn.grade.flags
            again = asked_again(turn)
            if before or again:  # the answer copied a model answer seen before, or answered
                # another question or none, or listed terms: what follows is graded (a re-walk's
                # second anagram answer to "two sum", at the probe that asked the question
                # again, scored 43 with the first one; a walk-through's off-topic answer on
                # boosting, graded with its follow-up answer, had "GPU kernels are
                # nondeterministic" ticked by it; walk19a's list of terms before its full answer
                # took it from 61 to 50, and its communication read "no list ... found")
                answer = ANSWERS_APART.join(f.answer for f in turn.follow_ups if f.answer) or answer
            grade, usage = self.engine.judge(question, answer)
            if again == LISTED_ASKED and answer != turn.answer:
                grade = _listed_first(grade, turn.answer)
            after = _said_after(turn)
            if not before and after and red_flag_claims(grade.flags):
                # A wrong claim the follow-up answers put right is not held against the grade:
                # an interviewer credits a correction made on the probe (a walk-through's
                # "Actually Polars is written in Rust on top of Apache Arrow, ..." scored 6, its
                # point reported missing, as the answer's "Polars is basically a wrapper around
                # pandas" capped both). Graded again without the corrected claims' words.
                alone, more = self.engine.judge(question, after)
                usage = more if usage is None else usage + more
                fixed = corrected_claims(question, grade, turn.answer, alone)
                if fixed:
                    kept = without_claims(turn.answer, fixed)
                    grade, more = self.engine.judge(
                        question, ANSWERS_APART.join(p for p in (kept, after) if p))
                    usage = usage + more
                    grade = with_corrections(grade, fixed)
            grade = seen_copy_grade(grade, answer, question.rubric(), lambda: self._seen(turn),
                                    copied_before=before)  # fmt: skip
        if usage is not None:
            usage.add_to(turn)
        return self._penalise(turn, grade)

    def _seen(self, turn: Turn) -> bool:
        """Whether this candidate has been shown the question's model answer before (a closed
        turn of it in an earlier session or in practice)."""
        return self.store is not None and self.store.question_seen(
            user_id=self.info.user_id, question_id=turn.question_id
        )

    def _penalise(self, turn: Turn, grade: Grade) -> Grade:
        """The grade less the hint penalty of this turn; ``hint_penalty`` records what was
        actually taken off (never more than the score: a 0 stays 0 and claims no "before").
        Idempotent: a grade already penalised is penalised again from its score before."""
        before = grade.overall + grade.hint_penalty
        penalty = min(HINT_PENALTY * len(turn.hints), before)
        if penalty == grade.hint_penalty:
            return grade
        return grade.model_copy(update={"overall": before - penalty, "hint_penalty": penalty})

    def _follow_up_for(self, turn: Turn) -> FollowUpExchange | None:
        """The probe an interviewer would ask now, or None.

        A probe asks about a point the answer missed without stating it: the authored probe
        of the most important missed point that has one (a covered point is never probed), or
        one the LLM writes (never quoting the rubric); none at 85 or more. A coding question's
        probes are, for code that failed hidden tests, the first failed test
        (:func:`failed_test_probe`, at any score), then its
        authored follow-ups (complexity, scale) in order, but for one probing a key point the
        explanation covered.
        """
        if len(turn.follow_ups) >= self.follow_up_budget or turn.grade is None:
            return None
        if not (_said(turn).strip() or turn.code):
            return None
        asked = {f.question for f in turn.follow_ups}
        if turn.kind == "coding":
            # A failed hidden test is asked about at any score: a re-walk's K-Means that gave
            # NaN on an empty cluster scored 86 and was never asked about it.
            probe = failed_test_probe(turn.code_result, said=_said(turn))
            if probe is not None and probe not in asked:
                return FollowUpExchange(key_point="code", question=probe)
        question = self.bank[turn.question_id]
        if turn.kind == "coding" and question.explain_request and not _said(turn).strip():
            # Code sent alone where the question asks for words too: an interviewer asks for
            # them (walk20: precision/recall's "explain the edge cases" was probed on its
            # complexity, and the candidate never heard the words were missing)
            probe = explain_probe(question)
            if probe not in asked:
                return FollowUpExchange(key_point="code", question=probe)
        if turn.grade.overall >= 85:
            return None
        covered = {kp.id for kp in turn.grade.key_points if kp.covered}
        if turn.kind == "coding":
            said = _said(turn)
            fu = next((f for f in question.coding.follow_ups
                       if f.text not in asked and f.key_point not in covered
                       and not (f.key_point is None and _complexity_said(said, f.text))),
                      None)  # fmt: skip
            return None if fu is None else FollowUpExchange(key_point=fu.key_point or "code",
                                                            question=fu.text)  # fmt: skip
        missed = sorted(
            (kp for kp in turn.grade.key_points if kp.id not in covered), key=lambda kp: -kp.weight
        )
        form = form_probe(question, turn.grade.flags)
        if form == OWN_PART_PROBE and form not in asked:
            return FollowUpExchange(key_point="own_part", question=form)
        if form is not None and form not in asked and missed:
            return FollowUpExchange(key_point=missed[0].id, question=form)
        for kp in missed:
            fu = question.follow_up_for(kp.id)
            if fu is not None and fu.text not in asked:
                return FollowUpExchange(key_point=kp.id, question=fu.text)
        for kp in missed:
            text = self.engine.probe_for(question, kp.point)
            if text:
                return FollowUpExchange(key_point=kp.id, question=text)
        return None

    def _close_turn(self, turn: Turn, on_token: TokenCallback | None, note: str = "") -> Reply:
        """Close ``turn``: its feedback (when given after each answer), after ``note`` (said
        in every feedback mode), then the next question."""
        turn.status = "answered"
        self._save(turn)
        feedback = emit(note, on_token) if note else ""
        if self.feedback_each:
            if feedback:
                emit("\n\n", on_token)
            said = self.engine.feedback(self.bank[turn.question_id], turn.grade, on_token,
                                        code_result=turn.code_result)
            feedback = f"{feedback}\n\n{said}" if feedback else said
        if feedback and on_token is not None:
            on_token("\n\n")  # the next question starts a new paragraph
        nxt = self._ask_next(on_token)
        nxt.text = f"{feedback}\n\n{nxt.text}".strip() if feedback else nxt.text
        nxt.feedback = feedback
        nxt.grade = turn.grade if self.feedback_each else None
        nxt.graded_turn = turn
        return nxt

    def command(self, name: str, on_token: TokenCallback | None = None) -> Reply:
        """hint (costs points), repeat, skip or end."""
        name = name.strip().lower().lstrip("/")
        if name not in COMMANDS:
            raise InterviewError(f"unknown command {name!r}; use one of: {', '.join(COMMANDS)}")
        if name == "end":
            if self.done:
                return Reply("report", "", done=True, report=self.report())
            turn = self.current
            if turn is not None:
                turn.commands.append("end")
                # An unanswered pending question stays "pending": listed, never scored. Code
                # submitted from the editor is an answer even with no words beside it.
                if turn.answer is not None or turn.grade is not None:
                    turn.status = "answered"
                self._save(turn)
            return self._finish(on_token)
        turn = self.current
        if turn is None and name == "skip" and self.phase in ("awaiting_answer", "follow_up"):
            return self._ask_next(on_token)  # the step before failed to ask it: ask it now
        turn = self._open_turn()
        turn.commands.append(name)
        if name == "repeat":
            self._save(turn)
            text = self.question_said(turn)
            if self.phase == "follow_up":  # the question the probe is about, then the probe
                # (a walk-through's terminal never showed the question again after a resume)
                text += f"\n\nFollow-up: {turn.follow_ups[-1].question}"
            return Reply("repeat", text, turn=turn)
        if name == "hint":
            if self.info.settings.real:
                turn.commands.pop()  # refused: not part of the transcript
                raise InterviewError("there are no hints in a real interview")
            question = self.bank[turn.question_id]
            hint = None
            if self.phase == "follow_up":  # a hint at the point the follow-up asks about (a
                # walk-through's hint at a complexity probe was about the k-means steps)
                ids = [kp.id for kp in hint_order(question)]
                probed = turn.follow_ups[-1].key_point
                if probed not in ids:
                    turn.commands.pop()  # nothing given, nothing taken
                    about = ("what you yourself did" if probed == "own_part"
                             else "your own approach")  # fmt: skip
                    return Reply("hint", f"There is no hint for this follow-up: it asks about "
                                 f"{about}. No points were taken.", turn=turn)  # fmt: skip
                hint = self.engine.hint(question, ids.index(probed))
                if hint in turn.hints:
                    turn.commands.pop()
                    return Reply("hint", f"The hint for this follow-up was: {hint} (no more "
                                 "points were taken).", turn=turn)  # fmt: skip
            if len(turn.hints) >= MAX_HINTS:
                self._save(turn)
                return Reply("hint", "No more hints for this question.", turn=turn)
            hint = hint or self.engine.hint(question, len(turn.hints))
            turn.hints.append(hint)
            if turn.grade is not None:  # a hint at a follow-up costs as one before the answer
                turn.grade = self._penalise(turn, turn.grade)
            self._save(turn)
            return Reply("hint", hint_said(hint), turn=turn)
        # skip
        if self.phase == "follow_up":
            return self._close_turn(turn, on_token)
        turn.status = "skipped"
        turn.answered_at = time.time()
        self._save(turn)
        try:
            nxt = self._ask_next(on_token)
        except Exception:
            if self.turns[-1] is turn:  # no next question was asked: not skipped after all,
                # the question stays open and Skip can be pressed again
                turn.status, turn.answered_at = "pending", None
                turn.commands.pop()
                self._save(turn)
            raise
        nxt.text = f"Skipped.\n\n{nxt.text}"
        return nxt

    def _finish(self, on_token: TokenCallback | None = None) -> Reply:
        self.phase = "done"
        report = self.report()
        self.info.status = "finished"
        self.info.summary = report.model_dump()
        self._save_info()
        return Reply("report", "", done=True, report=report)

    def report(self) -> Report:
        """The graded report of the turns so far."""
        return build_report(
            self.turns,
            self.bank,
            note=self.note,
            planned=self.planned,
            timed=self.info.settings.real,
        )

    def _header(self, turn: Turn) -> str:
        return question_header(turn.index, self.planned, turn.round, turn.topic, self.per_round)

    def question_said(self, turn: Turn) -> str:
        """``turn``'s question as it was asked: "Question N of M (round, topic): text"."""
        return f"{self._header(turn)}: {turn.question}"

    @property
    def per_round(self) -> int | None:
        """A full loop's questions per round: its questions are numbered within each round."""
        return self.info.per_round

    @property
    def planned(self) -> int:
        """Questions this session means to ask: a full loop whose L1 was not passed ends after
        L1, as the real process does."""
        n = self.n_questions
        if self.info.round != "full":
            return n
        l1 = [t for t in self.turns if t.round == "L1"]
        l1_over = len(l1) >= n and all(t.status != "pending" for t in l1)
        return n if l1_over and not self._l1_passed() else 2 * n

    # -- resume ------------------------------------------------------------------------------
    @classmethod
    def resume(
        cls,
        store,
        session_id: str,
        *,
        user_id: str = "local",
        engine: Engine,
        bank: Bank,
    ) -> tuple[Interview, Reply]:
        """Pick a stored session up where it stopped, as if it had never stopped.

        What the candidate sent before a crash is never asked for again: an answer committed
        but not graded is graded now, and a follow-up answer not yet merged is merged; then the
        flow goes on (a probe, feedback, the next question). Only a question (or probe) that
        was never answered is asked again.
        """
        info, turns = store.load_session(session_id, user_id=user_id)
        s = info.settings
        self = cls(
            round=info.round,
            questions=s.questions,
            feedback=s.feedback,
            follow_ups=s.follow_ups,
            coding=s.coding,
            real=s.real,
            engine=engine,
            store=store,
            user_id=info.user_id,
            seed=s.seed,
            bank=bank,
            info=info,
        )
        self.turns = turns
        self._stored = {t.index: _stored_print(t) for t in turns}
        for t in turns:  # generated questions are not in the bank: rebuild them from the turn
            if t.question_id not in self.bank:
                q = self.engine.restore_question(t)
                if q is not None:
                    self.generated[q.id] = q
        if info.status == "finished":
            self.phase = "done"
            return self, Reply("report", "", done=True, report=self.report())
        turn = self.current
        if turn is None:
            self.phase = "awaiting_answer"
            reply = self._ask_next()
            reply.text = "Welcome back. " + reply.text
            return self, reply
        settled = self._settle_pending(turn)
        if settled is not None:
            settled.text = "Welcome back. " + settled.text
            return self, settled
        self._count_a_long_absence_as_the_budget(turn)
        if turn.follow_ups and turn.follow_ups[-1].answer is None and turn.grade is not None:
            self.phase = "follow_up"  # (its hints are in the chat, with the answer before it)
            # The first follow-up on submitted code begins with how it ran, as it did live (the
            # rebuilt chat leaves the open follow-up out: a re-walk's resumed chat lost the line)
            ran = turn.code is not None and turn.code_result is not None
            lead = f"{code_ran_said(turn.code_result)}\n\n" if ran and len(turn.follow_ups) == 1 else ""
            return self, Reply(
                "follow_up", f"Welcome back. {lead}Follow-up: {turn.follow_ups[-1].question}",
                turn=turn,
            )
        # The hints already taken on the open question are said again with it (the chat leaves
        # the open question out): they were paid for (a re-walk saw none after a Resume, took
        # another, and paid twice).
        hints = "".join(f"\n\n{hint_said(h)}" for h in turn.hints)
        self.phase = "awaiting_answer"
        opening = (l2_opening(self._l1_score(), score=self.feedback_each) + "\n\n"
                   if opens_l2(turn.index, turn.round, self.per_round) else "")  # fmt: skip
        return self, Reply(
            "question",
            f"Welcome back. {opening}{self.question_said(turn)}{hints}",
            turn=turn,
        )

    def _count_a_long_absence_as_the_budget(self, turn: Turn) -> None:
        """Leaving does not stop the open question's clock (a reload gives no time back), but a
        long absence counts only as the question's whole budget: it is over time either way,
        and its time should not read as hours."""
        q = self.bank.get(turn.question_id)
        budget = time_budget(q.group if q is not None else "")
        away = time.time() - self.info.updated_at
        if away > budget:
            turn.asked_at += away - budget
            self._save(turn)

    def _settle_pending(self, turn: Turn) -> Reply | None:
        """Finish what a crash interrupted on the open turn (see ``resume``); None when the
        turn waits for the candidate."""
        if turn.follow_ups and turn.follow_ups[-1].answer is not None:
            # The follow-up answer was committed; the merged grade and the close never were.
            self.phase = "follow_up"
            turn.grade = merge_follow_up(turn.grade, self._judge(turn, _said(turn)))
            return self._close_turn(turn, None)
        if turn.grade is not None:
            if turn.follow_ups:  # a probe is open: the candidate answers it
                return None
            # Graded; the crash came before the probe or the close was committed.
            self.phase = "awaiting_answer"
            return self._probe_or_close(turn, None)
        if turn.kind == "coding":
            if turn.code and turn.answered_at is not None:  # submitted, never graded
                self.phase = "awaiting_answer"
                return self.submit_code(turn.code)
            return None
        if turn.answer is not None:  # committed, never graded
            self.phase = "awaiting_answer"
            turn.grade = self._judge(turn, turn.answer)
            self._save(turn)
            return self._probe_or_close(turn, None)
        return None


def _add_explanation(turn: Turn, text: str) -> None:
    """A coding turn's spoken part: each explanation the candidate sends is kept, in order."""
    turn.answer = text if not turn.answer else f"{turn.answer}{ANSWERS_APART}{text}"
