"""How the interviewer thinks: the ``Engine`` seam and the offline engine (bank + coverage
grader).

The LLM engine (``interviewer.llm.engine``) implements the same protocol; the interview flow
only calls these methods, so both modes share one flow.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from interviewer.bank import Bank, Question, judgement_unread, topic_label
from interviewer.coding.grade import (
    LOOPED_MAX,
    RULED_OUT_MAX,
    CodeResult,
    contradicted,
    grade_submission,
    quotable,
    ruled_out,
)
from interviewer.coding.harness import HarnessResult, run_submission
from interviewer.coding.sandbox import SandboxLimits
from interviewer.config import Settings
from interviewer.grading import rubric as rb
from interviewer.grading.copying import FLAG_SEEN
from interviewer.grading.feedback import addressed_by, gap_rank, quoted, without_gap
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import (
    CODE_CRITERIA,
    CRITERIA,
    CriterionScore,
    Grade,
    KeyPointResult,
    code_criterion_label,
)
from interviewer.grading.text import FUNCTION_WORDS, denies
from interviewer.markup import failed_tests, lower_first, plural, telling, tests_passed
from interviewer.models import MAX_CODE_CHARS, ROUNDS, Turn, numbered
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


def code_problem(code: str) -> str | None:
    """Why code cannot be run at all (empty, or over MAX_CODE_CHARS), or None. Interviews and
    practice say the same; nothing is recorded."""
    if not (code or "").strip():
        return "the code is empty: write your solution first"
    if len(code) > MAX_CODE_CHARS:
        return (f"code is {len(code)} characters; the maximum is {MAX_CODE_CHARS} "
                "(nothing was recorded)")  # fmt: skip
    return None


def ungradable(code: str, starter: str, entry_point: str = "") -> str | None:
    """Why code is not graded: unparsable (naming the line), the starter code with nothing but
    comments or blank lines added (it would be graded and saved as a failed attempt, pulling
    progress down for nothing), or code that never defines the function the tests call (a
    walk-through's correct ``invert`` failed every test written for ``invert_mapping``)."""
    if problem := unparsable(code):
        return problem
    if starter and _same_program(code, starter):
        return ("this is the starter code, unchanged: write your solution first (nothing was "
                "graded; Run shows what the examples expect)")  # fmt: skip
    if entry_point and not _defines(code, entry_point):
        return (f"the code defines no {entry_point}: the tests call {entry_point}(...), as the "
                "starter names it; name your function so (nothing was graded)")  # fmt: skip
    return None


def _defines(code: str, name: str) -> bool:
    """Does the code (which parses) bind ``name`` at module level, as the tests import it: a
    def, a class, an assignment or an import, also under a module-level if, try, with or loop
    (a method of a class or a function nested in another is not it)."""
    import ast

    def binds(target: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))

    def walk(body: list[ast.stmt]) -> bool:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if node.name == name:
                    return True
                continue  # what is bound inside is not the module's
            if isinstance(node, ast.Import | ast.ImportFrom):
                if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                    return True
            elif isinstance(node, ast.Assign):
                if any(binds(t) for t in node.targets):
                    return True
            elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
                if binds(node.target):
                    return True
            elif isinstance(node, ast.With | ast.AsyncWith):
                if any(i.optional_vars is not None and binds(i.optional_vars) for i in node.items):
                    return True
            for part in ("body", "orelse", "finalbody"):
                if walk(getattr(node, part, None) or []):
                    return True
            for handler in getattr(node, "handlers", None) or []:
                if walk(handler.body):
                    return True
        return False

    return walk(ast.parse(code).body)


def _same_program(a: str, b: str) -> bool:
    """The same program, whatever comments and blank lines were added (both parse)."""
    import ast

    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False


def unparsable(code: str) -> str | None:
    """Why the code does not parse (naming the line), or None. A typo is fixed and submitted
    again, never graded as a failed solution; parsing runs nothing."""
    import ast

    try:
        ast.parse(code)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return (
            f"{where}{exc.msg}. Fix it and submit again: nothing was graded, and your code is "
            "kept (Run shows the same error)"
        )
    except (RecursionError, MemoryError, ValueError) as exc:
        return f"the code cannot be parsed ({type(exc).__name__}): nothing was graded"
    return None


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

    ``follow_up``: the follow-up answers alone, graded (with ``before``). A point the words sent
    with the code stated and the code failed, which a follow-up answer states too, once the
    failed test was shown, is a diagnosis or the fix, and is credited as one stated only there
    is: covered, in the follow-up's words, the test still named (a walk-through's "most_common
    keeps ties in first-seen order; I would sort with the key (-count, word) instead" earned
    nothing, as the explanation had claimed the ordering). The code is still graded as
    submitted: the failed test keeps costing its correctness.

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
        said = criteria["communication"]
        criteria["communication"] = CriterionScore(
            score=min(said.score, NOT_EXPLAINED_CRITERION_MAX), evidence=[],
            rationale=f"{NOT_EXPLAINED_RATIONALE}{alone_said(asked)} ({said.rationale})",
        )  # fmt: skip
    flags = [f"{CODE_FLAG}{result.error}"] if result.error else []
    if result.failed:
        names = ", ".join(f.name for f in result.failed[:FAILED_NAMED])
        more = len(result.failed) - FAILED_NAMED
        flags.append(f"{FAILED_FLAG}{names}" + (f" and {more} more" if more > 0 else ""))
    if explanation is not None:
        vec = result.criteria.get("vectorisation")
        if vec is not None and vec.evidence.startswith(LOOPS_FOUND) and claims_vectorised(said):
            false_claim = f"it calls the code vectorised, but the code has {vec.evidence}. "
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
    if explanation is not None and unshown and not false_claim:
        efficiency = result.criteria["vectorisation"].evidence
        feedback = (f"{feedback.rstrip()} Its claim of speed is not credited, as the code does "
                    f"not show it: {efficiency}.").strip()  # fmt: skip
    if explanation is not None and (undone or diagnosed):
        feedback = f"{feedback.rstrip()} {tested_said(key_points)}".strip()
    head = tests_passed(result.passed, result.total, result.verdict) + "."
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


def also_asked(q: Question, how: str) -> str:
    """What a coding question asks besides the code (``Question.asks_to_explain``), said with
    its examples, where to write it (``how``) and what code alone earns; "" for none."""
    if not q.asks_to_explain:
        return ""
    return f"This question also asks you to {q.asks_to_explain}: {how}; code alone {ALONE_EARNS}."


def alone_said(asked: str) -> str:
    """Why code sent alone is not all the answer (``Question.asks_to_explain``)."""
    return f"the question also asks you to {asked}; your code alone {ALONE_EARNS}"


def tests_share(q: Question, result: CodeResult) -> int:
    """The weighted share of the hidden tests the code passed, in percent (floored), as the
    code's own grade caps it (``coding.grade``)."""
    failed = {f.name for f in result.failed}
    tests = q.coding.hidden_tests
    total = sum(t.weight for t in tests)
    got = sum(t.weight for t in tests if t.name not in failed)
    return math.floor(100 * got / total) if total else 0


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
        fix = bool(after) and bool(kp.evidence) and kp.evidence.rstrip("…")[:60] in after
        claim = SPEED_CLAIM.search(kp.point) and not SLOW_WAY.search(kp.point) and not fix
        if kp.covered and (claim or said_vectorised and claims_vectorised(kp.evidence)):
            kp, taken = kp.model_copy(update={"covered": False, "evidence": ""}), True
        points.append(kp)
    return explanation.model_copy(update={"key_points": points}), taken


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
                        got = fixed[kp.id]
                        kp = kp.model_copy(update={"covered": True, "evidence": got.evidence,
                                                   "coverage": got.coverage})  # fmt: skip
                (diagnosed if kp.covered else undone).append(kp)
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
NOT_CREDITED = "Stated, but not credited, as your code fails the hidden test that checks it: "
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


MAX_BULLETS = 3


# Two feedback builders on purpose: this one writes the chat's score and bullets after an
# answer from any finished Grade (offline or an LLM judge's); ``grading.feedback.feedback`` writes
# the offline grade's own paragraph from the grader's Decision. They share gap_rank, addressed_by.
def judgement_note(q: Question, grade: Grade) -> str:
    """What follows a story's chat feedback when the offline grader graded it
    (``rubric.JUDGEMENT_UNREAD``, the scorecard's note too), or ""."""
    if judgement_unread(q, grade):
        return f"\n\n{rb.JUDGEMENT_UNREAD}"
    return ""


def feedback_text(q: Question, grade: Grade, code_result: dict | None = None) -> str:
    """Feedback after one answer: the score (before any hint penalty too), then two or three
    bullets: what landed, quoting the candidate's own sentence; what was wrong and why; what was
    missing; the missing STAR part of a story; a coding question's test results, and with its
    graded run (``code_result``) the first failed test and why it failed."""
    score = f"Score: {grade.overall}/100"
    if costs := grade.penalties_said():
        score += f" ({costs})"
    bullets = []
    if FLAG_SEEN in grade.flags:  # a copy of a model answer seen before: said first
        # (where it was shown: a re-walk's interview said "shown before" of one seen in Practice)
        bullets.append("• Copied: this answer repeats the model answer you were shown before "
                       "(with an earlier grade of this question: Practice, a report or "
                       "Transcripts), word for word; only what is in your own words is scored.")
    if rb.FLAG_NOT_ENGLISH in grade.flags:  # (walk24's 0 said only "Missing: all 6 ...")
        bullets.append("• Not in English: the interview is held in English, so these words "
                       "were not graded; say them in English.")  # fmt: skip
    for other in rb.flagged(grade.flags, rb.FLAG_OTHER_QUESTION)[:1]:
        # (a strong answer to a neighbouring question had every point here ticked)
        bullets.append(f"• Another question: your answer is about “{other}”, not the question "
                       "asked; none of this question's points is credited.")  # fmt: skip
    result = next(iter(rb.flagged(grade.flags, CODE_FLAG)), None)
    if result:
        bullets.append(f"• Your code was stopped: {result}")
    reds = rb.red_flag_claims(grade.flags)
    fix = ""  # what the "Wrong" bullet says is right instead, when authored
    for claim in reds[:1]:
        rf = q.red_flag(claim)
        fix = rf.why if rf is not None else ""
        why = fix or f'"{claim.rstrip(".")}" is a known mistake'
        # the words read as the mistake (a walk-through's strong answer was capped by its opening
        # clause, "CI/CD for ML follows the same ideas as software, but ...", and not told which)
        said = grade.wrong_said.get(claim)
        said = f'you said "{said.rstrip(".")}": ' if said else ""
        bullets.append(f"• Wrong: {said}{why.rstrip('.')}.")
    corrected = rb.flagged(grade.flags, rb.CORRECTED)
    for claim in corrected[:1]:
        said = grade.wrong_said.get(claim, claim)
        more = f" (and {len(corrected) - 1} more wrong claim)" if len(corrected) == 2 else (
            f" (and {len(corrected) - 1} more wrong claims)" if len(corrected) > 2 else "")
        bullets.append(f'• Corrected: you said "{said.rstrip(".")}"{more}, and your follow-up '
                       "answer put it right: each correction is credited, less "
                       f"{rb.CORRECTION_COST} points, as a hint would cost.")  # fmt: skip
    # A story's missing STAR parts come before what landed: a walk-through's vague story got
    # two "Landed" bullets and no word of the four parts it lacked (MAX_BULLETS cut it).
    star_parts = rb.flagged(grade.flags, rb.STAR_MISSING)
    # A story of only what "we" did is held at OWN_PART_CAP: said as such, not as a missing
    # STAR part nor as "every key point is there" (a re-walk read that beside a 55)
    held = rb.FLAG_OWN_PART in grade.flags
    if held:
        bullets.append("• Your part: you told what the team did, not what you yourself did; "
                       f"the answer is held at {round(100 * rb.OWN_PART_CAP)} until you say it.")
    if parts := [p for p in star_parts if not (held and p == "action")]:
        bullets.append(f"• STAR: your story lacks the {', '.join(parts)}.")
    repeats = next((f for f in grade.flags if f.startswith(rb.FLAG_REPEATS)), None)
    if repeats:  # (a walk-through's paste of three sentences 18 times was never told)
        m = re.search(r"(\d+) of (\d+)", repeats)
        said = f"{m[1]} of your {m[2]} sentences repeat earlier ones" if m else "you repeat yourself"
        bullets.append(f"• Repeated: {said}; a point counts once however often it is said, and "
                       "an interviewer hears the repetition.")  # fmt: skip
    # A sentence that denies what its point asserts is no "Landed" quote, whatever MiniLM read
    # (a walk-through: 'Landed: "A sliding window doesn't actually work here, ..."' for the
    # point "Use a sliding window ..."); the point stays ticked: a rule unticking such points
    # cost correct answers as many ticks as it saved (README, "Tried and not shipped").
    # What the explanation said that the code does not do (a failed hidden test checks it) is
    # said so, and no sentence of it is quoted as landed, for another point either (a
    # walk-through's "sort by count, then by word" was "Landed" beside code failing the ties).
    landed = sorted(
        (kp for kp in quotable(grade.key_points) if kp.covered and kp.evidence
         and not kp.failed_test and (not denies(kp.evidence) or denies(kp.point))),
        key=lambda kp: -kp.weight,
    )  # fmt: skip
    undone = [kp for kp in grade.key_points if kp.failed_test and not kp.covered]
    quotes = list(dict.fromkeys(kp.evidence for kp in landed))  # one sentence quoted once
    if grade.overall < 100 * rb.VERDICT_CUTS[1][1]:
        # An answer graded incorrect: its ticks are the least sure (MiniLM reading topic), and a
        # "Landed" quote would praise another wrong sentence (a walk-through's "Sorting isn't
        # needed, so it's O(n) per threshold" landed beside the ROC-AUC red flag; a later one's
        # "Memory is O(1) because the alphabet is fixed" beside "no linear-time solution"),
        # as the report quotes no strength from it.
        quotes = []
    if undone:
        kp = undone[0]
        said = (f'you said "{kp.evidence.rstrip(".")}"' if kp.evidence
                else f"you stated that {lower_first(kp.point.rstrip('.'))}")  # fmt: skip
        more = (f" (the same for {plural(len(undone) - 1, 'more point')})"
                if len(undone) > 1 else "")  # fmt: skip
        bullets.append(f"• Not shown by your code: {said}, but it failed {kp.failed_test}, the "
                       f"hidden test that checks that{more}.")  # fmt: skip
    # A point the code failed that a follow-up answer then stated: the diagnosis, credited (a
    # walk-through's right diagnosis after the failed test was shown earned no word)
    diagnosed = [kp for kp in grade.key_points if kp.failed_test and kp.covered]
    if diagnosed:
        kp = diagnosed[0]
        said = f': "{kp.evidence.rstrip(".")}"' if kp.evidence else ""
        more = (f" (and {plural(len(diagnosed) - 1, 'more point')})"
                if len(diagnosed) > 1 else "")  # fmt: skip
        bullets.append(f"• Diagnosed: your code failed {kp.failed_test}, and your follow-up "
                       f"answer states what that hidden test checks{said}. The point is credited"
                       f"{more}; the failed test still costs the code you submitted.")  # fmt: skip
    shown = quotes[: 2 if not (reds or star_parts or undone or diagnosed) else 1]
    for quote in shown:
        bullets.append(f'• Landed: "{quote}"')
    # (a point stated but not done is said above, not "Missing")
    missed = sorted(
        (kp for kp in grade.key_points if not kp.covered and not kp.failed_test),
        key=lambda kp: gap_rank(kp.point, kp.weight, kp.coverage),
        reverse=True,
    )
    # (not the point the "Wrong" bullet's correction has just said, as the grader's feedback)
    gaps = [kp for kp in missed if not (fix and addressed_by(kp.point, fix))]
    if gaps and grade.overall < 85:
        # The most important point, and how many more (the scorecard lists them all: one point
        # named alone read as the only one missed).
        first = gaps[0].point.rstrip(".")
        if len(missed) > 1 and len(missed) == len(grade.key_points):
            bullets.append(f"• Missing: all {len(missed)} key points; the first to make: {first}.")
        elif len(missed) > 1:
            bullets.append(f"• Missing: {first} (and {plural(len(missed) - 1, 'more point')}).")
        else:
            bullets.append(f"• Missing: {first}.")
    elif (not missed and grade.key_points and grade.overall < 85 and not reds and not held
          and q.kind != "coding"):  # fmt: skip
        # Every point made, and still under 85: say what a higher score takes (a walk-through
        # got 81 with every point ticked and no word on the difference).
        # The point made least directly is named (a walk-through's answer with several
        # examples was told to add "a concrete example"): its weak match is what holds the
        # score down, as the head reads how closely each point is stated.
        # Not a point whose sentence was just quoted as "Landed" (a walk-through was told to
        # state outright the point of the sentence quoted above it).
        unquoted = [kp for kp in grade.key_points if kp.evidence not in shown]
        if unquoted:
            weakest = min(unquoted, key=lambda kp: kp.coverage)  # all covered here
            bullets.append(f"• To score higher: every key point is there; the one you made "
                           f'least directly is "{weakest.point.rstrip(".")}": state it outright '
                           "and say why it holds.")  # fmt: skip
        else:
            bullets.append("• To score higher: every key point is there; make each concrete: "
                           "say why it holds, the trade-off, and give an example.")
    if q.kind == "coding" and not result:
        tests = grade.feedback.split(".")[0]
        bullets.insert(0, f"• Tests: {tests}.")
        failed = failed_tests(code_result) if code_result else []
        if failed:  # why the code lost points comes before the review (a walk-through found
            # the chat said "3 of 6 passed" and nothing of which or why, until the report)
            # the one whose error tells the case, as the follow-up asks about (a walk-through's
            # chat named a test built on lines it never saw when "all scores tied" had failed)
            name, error, _ = failed[telling([(e, c) for _, e, c in failed])]
            rest = (f" ({len(failed) - 1} more in the report, with inputs)"
                    if len(failed) > 1 else "")  # fmt: skip
            bullets.insert(1, f"• Failed test: {name}: {error.rstrip('.')}{rest}.")
        # What the question rules out comes next: the tests alone read "6 of 6 passed" for
        # division in a task set "without division" (a walk-through's scored 76).
        ruled = ruled_out(grade.criteria["depth"].rationale) if "depth" in grade.criteria else None
        if ruled:  # and an explanation of that approach has not "landed" (a sentence on
            # dividing the total shares the words of the point on why not to)
            bullets = [b for b in bullets if not b.startswith("• Landed:")]
            bullets.insert(1 + bool(failed), f"• Ruled out: the code uses {ruled}, which the "
                           "question rules out: passing the tests another way does not solve "
                           "the task set.")  # fmt: skip
        # Loops where the question asks for none: why all passed is not "correct" (a
        # walk-through's practice feedback named the loop, not that it caps the score)
        loops = ((code_result or {}).get("criteria") or {}).get("vectorisation") or {}
        loops = loops.get("evidence") or ""
        looped = (not ruled and loops.startswith(LOOPS_FOUND) and code_result["verdict"] != "correct"
                  and code_result["passed"] == code_result["total"])  # fmt: skip
        if looped:
            where = loops[len(LOOPS_FOUND) :].lstrip(": ")
            bullets.insert(1 + bool(failed), f"• Loops: the question asks for no Python loops "
                           f"over the data, so code with one scores at most {LOOPED_MAX} however "
                           f"many tests pass; {where}.")  # fmt: skip
        # Words the question asks for besides the code, not sent: why passing code is at 75
        unexplained = q.asks_to_explain and f"{EXPLAINED} {NOT_EXPLAINED}:" in grade.feedback
        if unexplained:
            bullets.insert(1 + bool(failed) + bool(ruled) + looped,
                           f"• Not explained: {alone_said(q.asks_to_explain)}.")
        # What cost the code points beside the tests (a walk-through found a lint finding only
        # in the scorecard): the weaker of engineering and readability, when under 5.
        review = sorted((c for k, c in grade.criteria.items()
                         if k in ("engineering", "communication") and c.score < 5
                         and not (looped and LOOPS_FOUND in (c.rationale or ""))
                         # (said by the "Not explained" bullet: walk24 read it twice)
                         and not (unexplained and (c.rationale or "").startswith(
                             NOT_EXPLAINED_RATIONALE))),
                        key=lambda c: c.score)  # fmt: skip
        if review and review[0].rationale:
            why = review[0].rationale.rstrip(".")
            bullets.insert(1 + bool(failed) + bool(ruled) + looped + bool(unexplained),
                           f"• {why[:1].upper()}{why[1:]} ({review[0].score}/5).")
    if not bullets:
        bullets.append(f"• {grade.feedback}")
    return "\n".join([score, *bullets[:MAX_BULLETS]])


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
