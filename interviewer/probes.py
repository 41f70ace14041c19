"""What the interviewer asks after an answer, before its feedback: the probe on a failed
hidden test, on an answer in the wrong form (a list of terms, another question, another
language, a story of only what "we" did), and on code sent without the words asked for."""

from __future__ import annotations

import re

from interviewer.bank import Question
from interviewer.coding.grade import FailedTest, cap_read, probed, ruled_out
from interviewer.coding.harness import NOT_RUN, STOPPED
from interviewer.coding_answer import ALONE_EARNS, LOOPS_FOUND
from interviewer.grading.rubric import (
    FLAG_KEYWORDS,
    FLAG_NOT_ENGLISH,
    FLAG_OFF_TOPIC,
    FLAG_OTHER_QUESTION,
    FLAG_RESTATES,
    STAR_MISSING,
)
from interviewer.grading.star import Star
from interviewer.markup import shorten, tests_passed
from interviewer.models import (  # noqa: F401 (the openings, here with the other probes)
    ANSWERS_APART,
    ASKED_AGAIN,
    LISTED_ASKED,
    NOT_ENGLISH_ASKED,
    OFF_TOPIC_ASKED,
    OTHER_QUESTION_ASKED,
    Turn,
    asked_again,
)


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
    elif central := cap_read(result):  # why its tests passed do not say its grade
        said += f", but {central}"
    elif result["passed"] == result["total"] and result["verdict"] != "correct" and \
            loops.startswith(LOOPS_FOUND):  # fmt: skip
        said += f", but it has {loops}"
    return said + "."


# How a probe on a failed hidden test opens (``failed_test_probe``): "What does your code do in
# that case?" is answered by describing the submitted code.
FAILED_TEST_ASKED = "The hidden test “"


def failed_test_answers(turn: Turn) -> str:
    """The answers to the probes on a failed hidden test of a coding turn ("" for none)."""
    return ANSWERS_APART.join(f.answer for f in turn.follow_ups
                              if f.answer and f.question.startswith(FAILED_TEST_ASKED))  # fmt: skip


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
    # one whose error shows what came back or quotes the whole case (a re-walk's first failure
    # was an assertion on random input, with neither the input nor the value)
    asked = probed([FailedTest(name=f["name"], kind=f.get("kind") or "", error=f["error"],
                               code=f.get("code") or "") for f in failed])  # fmt: skip
    if asked is not None:
        test = {"name": asked.name, "error": asked.error}
        return (f"{FAILED_TEST_ASKED}{_test_named(test)}” failed: "
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
    return f"{FAILED_TEST_ASKED}{_test_named(test)}” was stopped: {stop}. {ask}"


def _test_named(test: dict) -> str:
    return test["name"].replace("_", " ")


CODE_AT_FOLLOW_UP = (
    "The code in your follow-up answer was not run: the hidden tests graded the code you "
    "submitted, and your words here are graded as your explanation. To fix the code and run the "
    "tests again, drill this question in Practice."
)


# A story told as what "we" did (no "I ..."): what every behavioural interviewer asks next. Asked
# even when every key point is covered: such a story is capped (rubric.OWN_PART_CAP).
OWN_PART_PROBE = ("You've told me what the team did. What did you yourself do: which decisions "
                  "were yours, and what did you say, build or change?")


# A story that stops before its outcome: what an interviewer asks next (walk49's story ended at
# "I ran a two-week experiment ..." and was asked about the need behind the request instead).
RESULT_PROBE = "And how did it turn out? What changed in the end, in numbers if you have them?"
# The story probes, asked even when no key point is missed, and what each asks about (a hint
# has nothing to give there)
STORY_PROBES = {OWN_PART_PROBE: "own_part", RESULT_PROBE: "result"}


def form_probe(question: Question, flags: list[str]) -> str | None:
    """The probe for an answer that is a list of terms, restates the question, or tells no story
    where one is asked for: to say it in full sentences; for an answer to another bank question,
    what was asked (``neighbours``); for a story of only what "we" did,
    to say what the candidate did (``OWN_PART_PROBE``); for a story with no outcome, how it
    turned out (``RESULT_PROBE``). An authored probe presumes an answer
    was given: a walk-through's keyword list to "Describe a time ..." was asked "How exactly
    did you explain the cause?"."""
    steps = "the situation, what you did, and how it turned out."
    if FLAG_NOT_ENGLISH in flags:  # (walk22's Spanish story was told it was off-topic)
        return f"{NOT_ENGLISH_ASKED} What I asked was: {question.text}"
    if any(f.startswith(FLAG_OTHER_QUESTION) for f in flags):
        return f"{OTHER_QUESTION_ASKED} What I asked was: {question.text}"
    if FLAG_OFF_TOPIC in flags:  # (a walk-through's answer on boosting to a question on
        # reproducible training was probed on GPU kernels)
        return f"{OFF_TOPIC_ASKED} What I asked was: {question.text}"
    if FLAG_KEYWORDS in flags:
        if question.asks_for_story:
            return f"{LISTED_ASKED} Walk me through what actually happened, in full sentences: {steps}"
        return (f"{LISTED_ASKED} Walk me through it in full sentences: what each one "
                "means here, and how they fit together.")
    # A story question answered with no story (STAR_UNTOLD of its four parts missing): "Drift,
    # SHAP values and a dashboard." is no list by the keyword rule, and a re-walk's was asked
    # "How exactly did you explain the cause?".
    if question.asks_for_story and not Star.of_flags(flags).told:
        # ("in full sentences" only after a list: walk45's advice, in sentences, was asked so)
        return f"Take me through one real case from your own work: {steps}"
    if FLAG_RESTATES in flags:
        return ("That mostly restates the question. What would you actually do, step by step, "
                "and why?")
    if question.asks_for_story and STAR_MISSING + "action" in flags:
        return OWN_PART_PROBE
    if question.asks_for_story and STAR_MISSING + "result" in flags:
        return RESULT_PROBE
    return None


# A coding probe that asks only for the complexity, and words that state one: such a probe tied
# to no key point (the question has none stating an O(...)) is not asked after they were said.
_COMPLEXITY_PROBE = re.compile(r"What is the (time and space )?complexity( in time and space)?\?")


_STATES_COMPLEXITY = re.compile(
    r"\bO\s*\([^)]*\)|\b(linear|quadratic|logarithmic|constant)( in [\w ]+?)? (time|space)\b"
    r"|\bn\s*log\s*n\b|\b(runs|is) (linear|quadratic)\b", re.I)  # fmt: skip


def complexity_said(text: str, probe: str) -> bool:
    """Whether ``probe`` asks only for the complexity and ``text`` already states one."""
    return bool(_COMPLEXITY_PROBE.fullmatch(probe.strip()) and _STATES_COMPLEXITY.search(text))


def not_english_code_probe(q: Question) -> str:
    """The probe of code explained in another language: the words asked again, in English, as a
    spoken answer's are (walk24's Spanish explanation of working code got a 0 and no word)."""
    asked = q.explain_request or "Walk me through your code: what it does, and why this approach"
    return f"{NOT_ENGLISH_ASKED} {asked[0].upper()}{asked[1:].rstrip('.')}."


def explain_probe(q: Question) -> str:
    """The probe of code sent alone to a question that asks for words too."""
    asked = q.explain_request
    return f"As the question asks, {asked[0].lower()}{asked[1:]}: your code alone {ALONE_EARNS}."
