"""A coding question's grade: the code's own (hidden tests, review, growth) with the
candidate's explanation of it, and what a grade's feedback says of the points a failed hidden
test checks."""

from __future__ import annotations

import functools
import re
import sys

from interviewer.bank import Question
from interviewer.coding.grade import (
    CORE_MISSED_MAX,
    RULED_OUT_MAX,
    CodeResult,
    cap_read,
    cap_said,
    capping_test,
    contradicted,
    passed_share,
    quotable,
    ran_and_failed,
    ruled_out,
)
from interviewer.coding.harness import NOT_RUN
from interviewer.grading import detectors as det
from interviewer.grading import rubric as rb
from interviewer.grading import text as tu
from interviewer.grading.feedback import quoted, without_gap
from interviewer.grading.rubric import (
    CODE_CRITERIA,
    CRITERIA,
    CriterionScore,
    Grade,
    KeyPointResult,
    code_criterion_label,
)
from interviewer.markup import lower_first, tests_passed

# A key point that claims speed (a complexity, vectorised code, no loops): an explanation that
# states it is not credited with it when the code shows otherwise (its large input timed out, or
# no test passed): a walk-through's "O(n) with a dictionary" beside code that timed out was
# listed among the strengths.
# A key point that says the code is vectorised (not one stating a complexity): shown by code
# whose vectorisation (or efficiency) scored 5.
VECTORISED_POINT = re.compile(r"vectori[sz]|\bloops?\b", re.I)
SPEED_CLAIM = re.compile(r"\bO\(|vectori[sz]|\bloops?\b|\bmilliseconds\b", re.I)
# An explanation saying the code has no Python loops, checked against the loops the review
# found in the code (a walk-through's "Simple and fully vectorised, O(n)." beside a loop the
# review flagged read "it states nothing wrong"). Not when a negation comes just before.
VECTORISED_CLAIM = re.compile(
    r"\bvectori[sz]ed\b|\bno (?:python |for[- ])?loops?\b|\bwithout (?:any )?(?:python )?"
    r"loops?\b|\bloop-free\b", re.I)  # fmt: skip
_NEGATED = re.compile(r"\b(?:not|n't|never|isn't|aren't|partly|partially)\W+(?:\w+\W+)?$", re.I)
LOOPS_FOUND = "Python-level loops"  # the vectorisation criterion's evidence of loops found


def claims_slower(q: Question, said: str, result: CodeResult) -> str:
    """The sentence of ``said`` that gives the code a cost a key point sets against the
    question's own (``detectors.claims_cost_set_against``: "It is O(n^2) time ..." for a
    one-pass answer) while the code passed every large input, or "" (walk53: Kadane explained
    as "O(n^2) time" read "it states nothing wrong" at 100)."""
    failed = {f.name for f in result.failed}
    large = [t.name for t in q.coding.hidden_tests if t.kind == "large"] if q.coding else []
    if not large or failed & set(large):  # (sized so the slower way times out: test_grade)
        return ""
    points = [kp.point for kp in q.key_points]
    return next((s for s in tu.sentences(said)
                 if any(det.claims_cost_set_against(s, p) for p in points)), "")  # fmt: skip


def claims_vectorised(said: str) -> bool:
    """Whether ``said`` claims the code runs without Python loops."""
    return any(not _NEGATED.search(said[: m.start()]) for m in VECTORISED_CLAIM.finditer(said))
FAILED_NAMED = 5  # failed hidden tests named in a grade's flag; the rest are counted
# A coding grade's flags about its run: why the code could not run fully, and which tests failed
# (a view that lists the run's results beside the grade leaves them out: ``TEST_FLAGS``).
CODE_FLAG = "code: "
FAILED_FLAG = "hidden tests failed: "
TEST_FLAGS = (CODE_FLAG, FAILED_FLAG)
CODE_SHARE = 0.75  # of a coding question's overall score when the approach was also explained
# When no hidden test passes, an explanation earns at most this share, and no criterion scores
# above NO_TEST_CRITERION_MAX: code that does not work is not excellent engineering.
NO_TEST_EXPLANATION_SHARE = 0.10
NO_TEST_CRITERION_MAX = 2
# Code sent alone where the question asks for words too (``Question.asks_to_explain``): its
# communication is held below "adequate" (3), as a candidate asked to walk the interviewer
# through something who says nothing would be marked; the prompt's probe asks for the words.
NOT_EXPLAINED_CRITERION_MAX = 2
NOT_EXPLAINED_RATIONALE = "not explained: "  # that criterion's rationale opens so


# Flags about how a spoken answer reads (a list of terms, a restated question, another topic):
# a note sent with working code is not judged as an answer on its own, so they are not carried.
SPOKEN_ONLY_FLAGS = (rb.FLAG_OFF_TOPIC, rb.FLAG_KEYWORDS, rb.FLAG_RESTATES, rb.FLAG_REPEATS)


def code_grade(
    q: Question,
    result: CodeResult,
    explanation: Grade | None = None,
    said: str = "",
    before: Grade | None = None,
    follow_up: Grade | None = None,
    after: str = "",
) -> Grade:
    """A coding question's grade: the code's (tests, review, growth), and, when the candidate
    also explained the approach (``said``, graded as ``explanation``), that explanation's rubric
    grade with a quarter of the weight. An explanation calling the code vectorised when the
    review found Python-level loops in it states something wrong: it counts, and says so.

    An explanation of code that passes hidden tests counts only when it raises the grade or
    states a wrong claim (a red flag costs, as in a spoken answer): a short note ("O(n) time")
    beside correct code is no reason to mark it down, and its points not made are not gaps the
    code left (a walk-through found the reference solution at 75 with "off-topic").

    A point the explanation states but a failed hidden test that checks it (``CodeTest.checks``)
    shows the code does not do is not credited: it is not covered, keeps the words that stated
    it and names the test, and the feedback says so (a walk-through's "sort by count, then by
    word" beside code that failed the ties test was quoted as landed and as a strength). The
    explanation's score stays as graded: it said the right thing, and the failed test already
    costs the code's correctness and caps its score, so the bug is charged once.

    ``before``: the grade given when the code was submitted, when ``said`` adds the answers to
    follow-ups after it. What the code was claimed to do is read from the words sent with it:
    a point they stated keeps their sentence (not a follow-up's), and a point only a follow-up
    answer states, once the failed test was shown, is a diagnosis or the fix, graded as said (a
    walk-through's "I would sort with the key (-count, word) instead" was quoted back as "you
    said ..., but it failed ties_alphabetical", and the report then praised the explanation's
    sentence that had made the claim).

    ``follow_up``: the follow-up answers alone, graded (with ``before``). A point a failed
    hidden test checks, which a follow-up answer states once the failed test was shown, is a
    diagnosis or the fix, whether or not the words sent with the code had claimed it: covered,
    in the follow-up's words, the test still named (a walk-through's "most_common keeps ties in
    first-seen order; I would sort with the key (-count, word) instead" earned nothing, as the
    explanation had claimed the ordering; walk33's mean of means, not claimed, was ticked with
    no word of its test). The code is still graded as submitted: the failed test keeps costing
    its correctness.

    ``after``: the words said after the code ran (the follow-up answers): a speed point stated
    there is the fix, credited beside a timed-out test (``_speed_claims_checked``)."""
    criteria = {}
    for c in CRITERIA:
        name = CODE_CRITERIA[c]
        got = result.criteria[name]
        score = got.score if result.passed else min(got.score, NO_TEST_CRITERION_MAX)
        criteria[c] = CriterionScore(
            score=score, evidence=[],
            rationale=f"{code_criterion_label(name, q.coding.vectorise)}: {got.evidence}",
        )
    overall = result.overall
    key_points, feedback, false_claim = [], "", ""
    asked = q.asks_to_explain
    # what the code showed is no gap in the words (walk23: "Return -1 for an empty string" read
    # as missed beside code passing every edge-case test; walk20: in the words asked for)
    shown = shown_by_code(q, result)
    if explanation is None and asked:  # the question asks for words too: not given
        explanation = _not_explained(q, asked, shown)
        # nor is communication what the code's readability alone says (walk20's scorecard read
        # four 5/5 rows beside 75)
        talk = criteria["communication"]  # (not ``said``: the words, "" here, are read below)
        criteria["communication"] = CriterionScore(
            score=min(talk.score, NOT_EXPLAINED_CRITERION_MAX), evidence=[],
            rationale=f"{NOT_EXPLAINED_RATIONALE}{alone_said(asked)} ({talk.rationale})",
        )  # fmt: skip
    flags = [f"{CODE_FLAG}{result.error}"] if result.error else []
    if result.failed:
        names = names_with_why(q, [(f.name, f.error) for f in result.failed[:FAILED_NAMED]])
        more = len(result.failed) - FAILED_NAMED
        flags.append(f"{FAILED_FLAG}{names}" + (f" and {more} more" if more > 0 else ""))
    if explanation is not None:
        vec = result.criteria.get("vectorisation")
        if vec is not None and vec.evidence.startswith(LOOPS_FOUND) and claims_vectorised(said):
            false_claim = f"it calls the code vectorised, but the code has {vec.evidence}. "
        elif slower := claims_slower(q, said, result):
            false_claim = (f"it says {quoted(slower)}, but the code is faster than that: it "
                           "passed every large input. ")  # fmt: skip
        explanation, unshown = _speed_claims_checked(explanation, result, bool(false_claim),
                                                     after)  # fmt: skip
        explanation, undone, diagnosed = _tested_points_checked(
            explanation, q, result, before, follow_up
        )
        share = 1 - CODE_SHARE if result.passed else NO_TEST_EXPLANATION_SHARE
        blended = round((1 - share) * result.overall + share * explanation.overall)
        wrong = any(rb.is_red_flag(f) for f in explanation.flags) or bool(false_claim)
        # (an explanation the question asks for always counts: code alone answers a part)
        counted = blended >= overall or wrong or not result.passed or bool(asked)
        for f in explanation.flags:
            if f in flags or f.startswith(SPOKEN_ONLY_FLAGS):
                continue
            if f.startswith(rb.NEEDS_REVIEW):  # about the explanation's own score: said so,
                # and not at all when that score is not counted (a walk-through read "the
                # coverage grade 49 stands" beside working code at 100)
                if counted:
                    flags.append(f"{rb.NEEDS_REVIEW}the explanation: {f[len(rb.NEEDS_REVIEW):]}")
                continue
            flags.append(f)
        if counted:
            # Words lift no code past the share of the hidden tests it passes (walk23's bracket
            # checker failing 3 of 8, 62 by its tests, scored 72 with its explanation)
            overall = min(blended, tests_share(q, result)) if result.failed and result.passed \
                else blended
            key_points, feedback = explanation.key_points, false_claim + explanation.feedback
            # (walk20's edge-case code read "Missing: Precision = TP / (TP + FP) ...")
            key_points = [kp for kp in key_points if kp.covered or kp.failed_test
                          or kp.id not in shown]  # fmt: skip
            for kp in explanation.key_points:  # nor the feedback's gap (walk21's merge)
                if kp.id in shown and not kp.covered:
                    feedback = without_gap(feedback, kp.point)
        else:  # not counted: what it got right is still credited, nothing it left out is a gap
            key_points = [kp for kp in explanation.key_points if kp.covered or kp.failed_test]
            # (a walk-through's report read "The explanation: it is not counted, as the code's
            # own grade is higher and it states nothing wrong." as a puzzle)
            feedback = "not scored, as your code scores higher on its own" + (
                "." if unshown or undone or diagnosed else "; it states nothing wrong."
            )
        if ruled_out(result.criteria["correctness"].evidence):  # an explanation cannot lift
            overall = min(overall, RULED_OUT_MAX)  # code that solves another task over this
    # nor code that fails the question's central case past its cap (walk33's mean of means)
    capping = capping_test(q.coding, (f.name for f in result.failed)) if q.coding else ""
    capped = bool(capping) and overall > CORE_MISSED_MAX
    if capped:
        overall = CORE_MISSED_MAX
    if explanation is not None and unshown and not false_claim:
        efficiency = result.criteria["vectorisation"].evidence
        feedback = (f"{feedback.rstrip()} Its claim of speed is not credited, as the code does "
                    f"not show it: {efficiency}.").strip()  # fmt: skip
    if explanation is not None and (undone or diagnosed):
        feedback = f"{feedback.rstrip()} {tested_said(key_points)}".strip()
    # the cap said where it bites: on these words, or on the code alone
    head = tests_passed(result.passed, result.total, result.verdict,
                        but=cap_said(capping, q.coding) if capped else cap_read(result)) + "."
    return Grade(
        question_id=q.id,
        overall=overall,
        criteria=criteria,
        key_points=quotable(key_points),  # (the JSON export reads them as stored)
        flags=flags,
        source="offline",
        feedback=f"{head} {EXPLAINED} {lower_first(feedback)}" if feedback else head,
    )


# What code sent alone earns where the question asks for words too (its explanation, 0, counts
# a quarter), said the same way wherever it is said.
ALONE_EARNS = f"earns {round(100 * CODE_SHARE)} of 100 at most"


@functools.cache
def libraries_said() -> str:
    """The versions of Python, NumPy and pandas the tests run with (the sandbox runs the app's
    own interpreter and packages), as "Python 3.11, NumPy 2.4, pandas 3.1" (walk60:
    numpy 2's removed np.trapz and pandas 3's copy-on-write, which makes a chained
    fillna(inplace=True) do nothing, failed code written for older versions, with no word of
    which versions the tests use)."""
    from importlib.metadata import version

    def short(dist: str) -> str:
        return ".".join(version(dist).split(".")[:2])

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"Python {python}, NumPy {short('numpy')}, pandas {short('pandas')}"


# Said above a coding question's example helpers (``CodingSpec.example_helpers``), in the app
# and the terminal alike.
HELPERS_SAID = "The examples call these helpers, which the tests define:"


def also_asked(q: Question, how: str) -> str:
    """What a coding question asks besides the code (``Question.asks_to_explain``), said with
    its examples, where to write it (``how``) and what code alone earns; "" for none."""
    if not q.asks_to_explain:
        return ""
    return f"This question also asks you to {q.asks_to_explain}: {how}; code alone {ALONE_EARNS}."


def alone_said(asked: str) -> str:
    """Why code sent alone is not all the answer (``Question.asks_to_explain``)."""
    return f"the question also asks you to {asked}; your code alone {ALONE_EARNS}"


# A failed test's error saying the run was stopped at a limit of time or memory: the runner's
# ("timed out after 2 s of CPU time (time limit)", "MemoryError: memory limit exceeded") and the
# sandbox's, for the test the run was in (``STOPPED``: "wall time limit exceeded (20 s)", "CPU
# time limit exceeded", "killed (memory or CPU limit)", "memory limit exceeded (1024 MB): ...");
# not one stopped by its output ("output limit exceeded ..."). Read only of an error that says
# the test was stopped (``ran_and_failed``): the code's own TimeoutError ran and failed.
_TIME_OR_MEMORY = re.compile(
    r"\btimed out\b|\btime limit\b|\bmemory limit\b|\bmemory or CPU limit\b"
)


def stopped_for_time_or_memory(error: str) -> bool:
    """Whether a failed test's ``error`` says it was stopped for time or memory (not that it
    ran and failed, was stopped by its output, or never ran)."""
    return (not ran_and_failed(error) and not error.startswith(NOT_RUN)
            and bool(_TIME_OR_MEMORY.search(error)))  # fmt: skip


def _why_fits(q: Question, name: str, error: str) -> bool:
    """Whether the hidden test ``name``'s ``why`` describes its failure with ``error``: not when
    the run never reached it (that shows nothing of the code); and a test of kind "large" that
    checks no key point only times the code at scale, its why saying what is too slow ("only a
    linear pass finishes in time"), so only when it was stopped for time or memory (a
    walk-through's linear bracket checker, ending in ``return True``, failed its assertion and
    was told only a linear pass finishes in time). A large test that checks a key point
    (``CodeTest.checks``) asserts that behaviour, as any test does (peak memory held to one
    chunk): its why is said when it ran and failed too."""
    test = next((t for t in q.coding.hidden_tests if t.name == name), None)
    if test is None or not test.why or error.startswith(NOT_RUN):
        return False
    if test.kind == "large" and not test.checks:
        return stopped_for_time_or_memory(error)
    return True


def why_failed(q: Question | None, failed: list[tuple[str, str]]) -> str | None:
    """Of some failed hidden tests, as (name, error) pairs in the order they ran, the name of
    the first whose ``CodeTest.why`` describes its failure (``_why_fits``): one that ran, or
    was stopped in it, but not a large input's why about speed beside a failed assertion;
    None when none does. The one rule for saying a why: the chat, the grade's flag, the
    report, the exports, Practice and `mock-interview code` all read it."""
    if q is None or q.coding is None:
        return None
    return next((name for name, error in failed if _why_fits(q, name, error)), None)


def why_said(q: Question | None, name: str) -> str:
    """A failed hidden test's ``why`` to continue a sentence (its first letter lower case, no
    full stop): "counting brackets cannot check nesting: ..."; "" when it has none."""
    why = q.coding.why(name) if q is not None and q.coding is not None else ""
    return lower_first(why.rstrip(".")) if why else ""


def failed_why(q: Question | None, name: str, error: str) -> str:
    """What one failed hidden test catches (its ``CodeTest.why``, to continue a sentence), said
    beside its name wherever failed tests are listed: "" when it has none or the run never
    reached it (``why_failed``), or ``q`` is not a bank coding question."""
    return why_said(q, name) if why_failed(q, [(name, error)]) else ""


def failed_named(q: Question | None, name: str) -> str:
    """A failed hidden test's name with its ``why`` beside it, as the grade's flag, the chat and
    the report say it: "interleaved_is_not_nested (counting brackets cannot check nesting:
    ...)"; the name alone when the test has none."""
    why = why_said(q, name)
    return f"{name} ({why})" if why else name


def names_with_why(q: Question | None, failed: list[tuple[str, str]]) -> str:
    """Failed hidden tests' names, as (name, error) pairs in the order they ran, joined by
    commas, the first whose ``why`` fits its failure (``why_failed``) with it beside its name
    (one why: a list of names is short), as the grade's flag and the report's gap say them."""
    told = why_failed(q, failed)
    return ", ".join(failed_named(q, name) if name == told else name for name, _ in failed)


def tests_share(q: Question, result: CodeResult) -> int:
    """The weighted share of the hidden tests the code passed, in percent (floored), as the
    code's own grade caps it (``coding.grade``)."""
    failed = {f.name for f in result.failed}
    return passed_share((t.weight, t.name not in failed) for t in q.coding.hidden_tests)


def shown_by_code(q: Question, result: CodeResult) -> set[str]:
    """The key points code showed: every hidden test that checks the point passed, or a
    ``VECTORISED_POINT`` beside code scored 5 on vectorisation."""
    failed = {f.name for f in result.failed}
    tests = q.coding.hidden_tests if result.passed else []
    shown = {kp for t in tests if t.name not in failed for kp in t.checks} - {
        kp for t in tests if t.name in failed for kp in t.checks}  # fmt: skip
    if tests and result.criteria["vectorisation"].score == 5:  # no loops found, nothing slow
        shown |= {kp.id for kp in q.key_points if VECTORISED_POINT.search(kp.point)}
    return shown


def _not_explained(q: Question, asked: str, shown: set[str]) -> Grade:
    """The explanation a coding question asks for (``Question.asks_to_explain``) when only
    code was sent: 0, so it counts as an explanation would, and its key points missed, to be
    asked about and reported as gaps, but those the code showed (``shown``: ``shown_by_code``):
    "Missing: ... Alternate an assignment step and an update step" read wrong beside K-Means
    code that passes the test of it. A walk-through's K-Means scored 100 on code alone, where
    the question asked to "walk me through its complexity and failure modes"."""
    return Grade(
        question_id=q.id,
        overall=0,
        criteria={c: CriterionScore(score=1, rationale=NOT_EXPLAINED) for c in CRITERIA},
        key_points=[KeyPointResult(id=kp.id, point=kp.point, weight=kp.weight, coverage=0.0,
                                   covered=False) for kp in q.key_points if kp.id not in shown],
        feedback=f"{NOT_EXPLAINED}: {alone_said(asked)}.",
    )  # fmt: skip


# A key point that names the slow way ("Calling s.count(ch) for each character ... is O(n^2)"):
# code that times out bears it out, so stating it is no claim of speed.
SLOW_WAY = re.compile(r"O\(\s*n\s*(?:\^|\*\*)\s*2\s*\)|O\(\s*n²\s*\)|\bquadratic", re.I)


def _speed_claims_checked(
    explanation: Grade, result: CodeResult, said_vectorised: bool = False, after: str = ""
) -> tuple[Grade, bool]:
    """The explanation with its speed claims (``SPEED_CLAIM`` key points) not credited when the
    code shows it is not fast: a large input timed out, or no test passed, or the explanation
    called looped code vectorised (``said_vectorised``); and whether any covered one was taken.
    (Not on the growth estimate alone: a walk-through saw a sort and one sweep estimated
    "~n^1.8, quadratic" on a busy host.) Not a point naming the slow way (``SLOW_WAY``), nor one
    stated in the words said after the code ran (``after``, the follow-up answers): the fix,
    as an interviewer credits it at the probe on the timed-out test (walk23's "I would count once
    with collections.Counter ..., which is O(n)" read "Missing" beside "it is actually O(n
    squared)"), while the code is still graded as submitted."""
    timed_out = any(f.kind == "large" and "timed out" in f.error for f in result.failed)
    if result.passed and not timed_out and not said_vectorised:
        return explanation, False
    points, taken = [], False
    for kp in explanation.key_points:
        # (with looped code called vectorised, a point credited to that very sentence goes too:
        # a re-walk saw "count pairs at once with np.bincount" ticked by "fully vectorised")
        fix = bool(after) and bool(kp.evidence) and kp.evidence.strip("…")[:60] in after
        claim = SPEED_CLAIM.search(kp.point) and not SLOW_WAY.search(kp.point) and not fix
        if kp.covered and (claim or said_vectorised and claims_vectorised(kp.evidence)):
            kp, taken = kp.model_copy(update={"covered": False, "evidence": ""}), True
        points.append(kp)
    return explanation.model_copy(update={"key_points": points}), taken


def _diagnosed(kp: KeyPointResult, said: KeyPointResult, test: str = "") -> KeyPointResult:
    """``kp`` covered in the words of a follow-up answer (``said``) that diagnosed it, with the
    failed hidden test that checks it (``test``; kept as it is when "")."""
    update = {"covered": True, "evidence": said.evidence, "coverage": said.coverage}
    return kp.model_copy(update=update | ({"failed_test": test} if test else {}))


def _tested_points_checked(
    explanation: Grade,
    q: Question,
    result: CodeResult,
    before: Grade | None = None,
    follow_up: Grade | None = None,
) -> tuple[Grade, list[KeyPointResult], list[KeyPointResult]]:
    """The explanation with each covered point that a failed hidden test checks not credited
    (not covered; its words kept, the test named), those points, and those diagnosed (none at
    submission). With ``before`` (the grade at submission, the explanation now adding follow-up
    answers), those are the points the words sent with the code stated, as ``before`` has them,
    with their sentence; one that ``follow_up`` (the follow-up answers alone) covers is
    diagnosed: covered, in the follow-up's words, its test still named. The sentence that made
    the claim stays quoted under no other point (``quotable``)."""
    failing = contradicted(q.coding, result.failed)
    stated = {kp.id: kp for kp in before.key_points if kp.failed_test} if before else None
    fixed = {kp.id: kp for kp in follow_up.key_points if kp.covered} if follow_up else {}
    points, undone, diagnosed, claims = [], [], [], set()
    for kp in explanation.key_points:
        if stated is not None:
            if kp.id in stated:  # claimed of the code: in the words sent with it
                kp = stated[kp.id]
                if not kp.covered:
                    claims.add(kp.evidence)
                    if kp.id in fixed:  # ... and diagnosed in a follow-up answer
                        kp = _diagnosed(kp, fixed[kp.id])
                (diagnosed if kp.covered else undone).append(kp)
            elif kp.id in failing and (kp.id in fixed or kp.covered):
                # not claimed of the code, but stated once its failed test was shown: a
                # diagnosis too (walk33's mean of means, explained in the follow-up answer,
                # was ticked with no word of the test that checks it), also when only the
                # words together state it (walk36's ROC-AUC ties point, ticked as if done)
                kp = _diagnosed(kp, fixed.get(kp.id, kp), failing[kp.id])
                diagnosed.append(kp)
        elif kp.covered and kp.id in failing:
            kp = kp.model_copy(update={"covered": False, "failed_test": failing[kp.id]})
            undone.append(kp)
        points.append(kp)
    if not (undone or diagnosed):
        return explanation, [], []
    claims.discard("")
    points = [kp.model_copy(update={"evidence": ""})
              if kp.covered and not kp.failed_test and kp.evidence in claims else kp
              for kp in points]  # fmt: skip
    return explanation.model_copy(update={"key_points": points}), undone, diagnosed


NOT_EXPLAINED = "none sent with the code"  # a coding grade's explanation, when the question asks for one
EXPLAINED = "The explanation:"  # in a coding grade's feedback, before what is said of it
NOT_CREDITED = "Not credited, as your code fails the hidden test that checks it: "
DIAGNOSED = (
    "Credited from your follow-up answer, which diagnosed it, though the code you submitted "
    "fails the hidden test that checks it: "
)
# (either may start the explanation's feedback, its first letter then lower case)
_TESTED_SAID = re.compile("|".join(re.escape(lead) for lead in (NOT_CREDITED, DIAGNOSED)), re.I)


def tested_said(key_points: list[KeyPointResult]) -> str:
    """What a coding grade's feedback says of the points a failed hidden test checks: those
    stated but not credited (:func:`_not_done_said`), then those a follow-up answer diagnosed,
    in its words; "" when there are none."""
    undone = [kp for kp in key_points if kp.failed_test and not kp.covered]
    diagnosed = [kp for kp in key_points if kp.failed_test and kp.covered]
    said = [_not_done_said(undone)] if undone else []
    if diagnosed:
        said.append(DIAGNOSED + _each_said(diagnosed) + ".")
    return " ".join(said)


def with_tested_said(grade: Grade) -> Grade:
    """``grade`` with its feedback's sentences on the points a failed hidden test checks said
    anew from its key points (a merged grade can take another grade's points: a point a
    follow-up answer diagnosed is no longer "not credited")."""
    text = grade.feedback
    m = _TESTED_SAID.search(text)
    if m is not None:  # (always last: code_grade appends them)
        text = text[: m.start()].rstrip()
    said = tested_said(grade.key_points)
    if said:
        text = f"{text} {lower_first(said) if text.endswith(':') else said}".strip()
    elif text.endswith(f" {EXPLAINED}"):  # nothing else was said of the explanation
        text = text[: -len(EXPLAINED) - 1]
    return grade if text == grade.feedback else grade.model_copy(update={"feedback": text})


def _not_done_said(points: list[KeyPointResult]) -> str:
    """What the explanation states that the code does not do, as a grade's feedback says it: in
    the candidate's words, each sentence once (the point named, unquoted, when there are none:
    a walk-through read the rubric's wording in quotation marks, as if the candidate's)."""
    return f"{NOT_CREDITED}{_each_said(points)}."


def _each_said(points: list[KeyPointResult]) -> str:
    """Each point's sentence once (quoted; the point unquoted when there is none), with the
    tests it failed: “...” (ties_alphabetical failed)."""
    tests: dict[str, list[str]] = {}
    for kp in points:
        said = quoted(kp.evidence) if kp.evidence else lower_first(kp.point.strip().rstrip("."))
        tests.setdefault(said, [])
        if kp.failed_test not in tests[said]:
            tests[said].append(kp.failed_test)
    return "; ".join(f"{said} ({', '.join(names)} failed)" for said, names in tests.items())
