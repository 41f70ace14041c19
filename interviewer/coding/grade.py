"""Grade a coding submission: hidden tests in the sandbox, static review, measured growth.

Self-contained: it imports only the standard library, pydantic, ``interviewer.errors`` and the
rest of ``interviewer.coding``, so the app can adapt :class:`CodeResult` into its own Grade.

Scores are 1-5 per criterion with one line of evidence each:

* correctness: weighted share of hidden tests passed (5 only when all pass);
* readability: ruff findings with a fixed rule set;
* vectorisation (complexity when the question does not ask for vectorised code): loops found in
  the AST, a timed-out large test, and the growth measured between n and factor*n;
* edge_cases: share of the hidden tests of kind ``edge`` passed.

``overall`` (0-100) weighs them with :data:`WEIGHTS` (at most :data:`NO_PASS_MAX` when no
hidden test passes, and at most the weighted share of hidden tests passed, in percent, when one
fails); the verdict is ``correct`` from 84,
``partially_correct`` from 34, else ``incorrect``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from interviewer.coding.harness import (
    NOT_RUN,
    STOPPED,
    HarnessResult,
    TestOutcome,
    run_submission,
)
from interviewer.coding.review import (
    Growth,
    Review,
    against_reference,
    classify_growth,
    review,
    summarise,
)
from interviewer.coding.review import measure_growth as review_growth
from interviewer.coding.sandbox import SandboxLimits
from interviewer.coding.spec import CodingSpec
from interviewer.markup import plural, telling

if TYPE_CHECKING:
    from interviewer.grading.rubric import KeyPointResult

__all__ = [
    "CORE_MISSED_MAX",
    "CORRECT_FROM",
    "CodeResult",
    "CriterionScore",
    "FailedTest",
    "PARTIAL_FROM",
    "WEIGHTS",
    "cap_read",
    "cap_said",
    "capping_test",
    "contradicted",
    "grade_submission",
    "quotable",
    "ran_and_failed",
    "score",
]

Criterion = Literal["correctness", "readability", "vectorisation", "edge_cases"]
Verdict = Literal["correct", "partially_correct", "incorrect"]
# Correctness dominates: style and speed alone cannot lift a wrong answer to "partially".
WEIGHTS: dict[str, float] = {
    "correctness": 0.55,
    "edge_cases": 0.20,
    "vectorisation": 0.125,
    "readability": 0.125,
}
NO_PASS_MAX = 5  # overall of code that passes no hidden test
# Overall of code that uses what the question rules out (an import for "from scratch", division
# for "without division"): it may pass the tests, but it solves another task than the one set,
# so it stays under the pass mark (60) even with an explanation's quarter at 100 (0.75 * 40 + 25).
RULED_OUT_MAX = 40
# Overall of code with a Python-level loop over the data (rows, elements, indices) where the
# question asks for vectorised code: it works and may pass, but is not the "correct" answer
# to the task set (a walk-through's running-sum loop for a moving average "without Python
# loops" scored 100, a looped confusion matrix 88). A loop over a small input (the labels) is
# not one; an element-wise .apply(lambda) costs only the vectorisation score.
LOOPED_MAX = 75
# Readability and efficiency are read from code that does the task: under half the hidden tests
# (by weight) passed, each is held at the correctness score. A walk-through's `return events`
# (1 of 6 tests) read "vectorisation 5/5 · no Python loops over the data found" and
# "readability 5/5": an interviewer would not praise how code that does nothing reads or runs.
JUDGED_FROM = 0.5
# Overall of code that fails the question's central case (``CodeTest.core``), with or without
# an explanation: partly done, under the pass mark (60) however many other tests pass (walk33's
# mean of means, the chunked-mean question's own bug, passed 5 of 7 and scored 71).
CORE_MISSED_MAX = 50
RULED_OUT = ", which the question rules out"  # ends the correctness evidence's "; uses ..." part
CORRECT_FROM = 84
PARTIAL_FROM = 34
_MAX_CODE_SHOWN = 600


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CriterionScore(_Frozen):
    """A 1-5 score and the one line that justifies it."""

    score: int = Field(ge=1, le=5)
    evidence: str


class FailedTest(_Frozen):
    """A hidden test that failed: its name, kind, the one-line error and its code (the inputs)."""

    name: str
    kind: str
    error: str
    code: str


class CodeResult(_Frozen):
    """The grade of one submission; ``error`` says why the code could not be run fully."""

    question_id: str
    passed: int
    total: int
    failed: list[FailedTest]
    criteria: dict[Criterion, CriterionScore]
    overall: int = Field(ge=0, le=100)
    verdict: Verdict
    error: str | None = None
    lint: list[str] = Field(default_factory=list)
    loops: list[str] = Field(default_factory=list)
    growth: str | None = None
    stdout: str = ""
    stderr: str = ""
    sandbox: str | None = None  # "bwrap" or "rlimits"; None when nothing ran
    seconds: float = 0.0


# Said wherever code fails the question's central case (``CodeTest.core``); one phrase, written
# by ``cap_said`` and read back from a stored run's evidence by ``cap_read``.
_CORE_PHRASE = "{name} is the question's central case, so the code scores at most {cap}"
# ... and where a test of the speed the question asks for failed (``CodingSpec.pace``)
_PACE_PHRASE = "{name} checks the {pace} the question asks for, so the code scores at most {cap}"


def cap_said(name: str, spec: CodingSpec | None = None) -> str:
    """Why ``name`` (a ``capping_test``), failed, caps the code: it is the central case, or a
    test of the question's pace."""
    if spec is not None and name in spec.paced():
        return _PACE_PHRASE.format(name=name, pace=spec.pace, cap=CORE_MISSED_MAX)
    return _CORE_PHRASE.format(name=name, cap=CORE_MISSED_MAX)


def _said_as(phrase: str) -> str:
    return (re.escape(phrase).replace(r"\{name\}", r"\w+").replace(r"\{cap\}", r"\d+")
            .replace(r"\{pace\}", r"[^,]{1,40}"))  # fmt: skip


CAP_SAID = re.compile(f"{_said_as(_CORE_PHRASE)}|{_said_as(_PACE_PHRASE)}")


def cap_read(result: dict | CodeResult) -> str:
    """What a graded run (a ``CodeResult``, or one as stored) says of the failed test that
    capped it (``cap_said``: its central case or a test of its pace), read from its correctness
    evidence ("not_mean_of_means is the question's central case, so the code scores at most
    50"), or "" when the cap did not lower it; said after its tests passed
    wherever they are (walk36: the report's "4 of 7 hidden tests passed" stood beside 50 with
    no word why)."""
    if isinstance(result, CodeResult):
        evidence = result.criteria["correctness"].evidence
    else:
        evidence = ((result.get("criteria") or {}).get("correctness") or {}).get("evidence") or ""
    found = CAP_SAID.search(evidence)
    return found.group(0) if found else ""


def capping_test(spec: CodingSpec, failed: Iterable[str]) -> str:
    """The failed test that caps the code at ``CORE_MISSED_MAX``: the central case's name when
    it is among the ``failed`` test names, else the first failed test of the question's pace
    (``CodingSpec.paced``), else "". ``cap_said`` says which kind it is."""
    failed = set(failed)
    core = spec.core()
    if core and core in failed:
        return core
    return next((t for t in spec.paced() if t in failed), "")


def _from_fraction(f: float) -> int:
    """5 only for everything; otherwise 1 + floor(4f), so any failure costs a point."""
    if f >= 1.0:
        return 5
    return max(1, min(4, 1 + math.floor(4 * f + 1e-9)))


def _weighted(tests: Sequence[TestOutcome]) -> float:
    total = sum(t.weight for t in tests)
    return sum(t.weight for t in tests if t.passed) / total if total else 0.0


def passed_share(weighted: Iterable[tuple[float, bool]]) -> int:
    """The weighted share of hidden tests passed, in percent (floored), from (weight, passed)
    pairs: no code failing some of them scores above it, with its explanation too."""
    pairs = list(weighted)
    total = sum(w for w, _ in pairs)
    return math.floor(100 * sum(w for w, ok in pairs if ok) / total) if total else 0


# The readability of code whose printing reached the output limit: below "adequate" (3).
FLOODED_READABILITY = 2


def _readability(rev: Review) -> CriterionScore:
    if rev.syntax_error:
        return CriterionScore(score=1, evidence=f"does not parse: {rev.syntax_error}")
    n = len(rev.lint)
    score = 5 if n == 0 else 4 if n <= 2 else 3 if n <= 5 else 2 if n <= 10 else 1
    if n == 0:
        note = f" ({rev.notes[0]})" if rev.notes else ""
        return CriterionScore(score=score, evidence=f"no lint findings{note}")
    findings = f"{plural(n, 'lint finding')}: {summarise(rev.lint, 2)}"
    return CriterionScore(score=score, evidence=findings)


def _timed_out(t: TestOutcome) -> bool:
    return not t.passed and bool(t.error) and "timed out" in (t.error or "")


def _efficiency(
    spec: CodingSpec, rev: Review, tests: Sequence[TestOutcome], growth: Growth | None
) -> CriterionScore:
    label = "vectorised" if spec.vectorise else "efficient"
    if not any(t.passed for t in tests):
        # (walk48 read "efficiency not assessed (1/5)" as a score for something not judged)
        return CriterionScore(score=1, evidence="no hidden test passed: code that does none of "
                              "the task earns no efficiency credit")  # fmt: skip
    slow = [t.name for t in tests if t.kind == "large" and _timed_out(t)]
    if slow:
        limit = spec.time_limit_s
        return CriterionScore(
            score=1, evidence=f"large input timed out ({', '.join(slow)}; {limit:g} s limit)"
        )
    score, evidence = 5, []
    hard = [f for f in rev.loops if f.kind != "elementwise-python"]
    soft = [f for f in rev.loops if f.kind == "elementwise-python"]
    if hard:
        score = 2
        evidence.append(f"Python-level loops: {summarise(hard, 2)}")
    elif soft:
        score = 3
        evidence.append(f"element-wise Python calls: {summarise(soft, 2)}")
    if growth is not None and growth.flagged:
        score = min(score, 2)
        evidence.append(growth.message)
    if not evidence:
        if growth is not None and growth.exponent is not None:
            evidence.append(f"{label}; {growth.message}")
        else:
            evidence.append(
                f"no Python loops over the data found; {label}"
                if spec.vectorise
                else "no large input timed out"
            )
    return CriterionScore(score=score, evidence="; ".join(evidence))


def _too_little_done(got: CriterionScore, cap: int, tests: Sequence[TestOutcome]) -> CriterionScore:
    """``got`` held at ``cap`` (the correctness score), for code that passes under half the
    hidden tests (``JUDGED_FROM``)."""
    if got.score <= cap:
        return got
    done = f"{sum(t.passed for t in tests)} of {len(tests)}"
    return CriterionScore(
        score=cap,
        # (what it measured, said as such: walk47 read "held at 2: ... too little of the task to
        # judge (efficient; ...)" as a contradiction)
        evidence=f"held at {cap}: the code passes only {done} hidden tests, too little of the task "
        f"to judge (measured on the code as it is: {got.evidence})",
    )


def _verdict(overall: int) -> Verdict:
    if overall >= CORRECT_FROM:
        return "correct"
    if overall >= PARTIAL_FROM:
        return "partially_correct"
    return "incorrect"


def _resource_error(run: HarnessResult) -> str | None:
    if run.error:
        stopped = next((t for t in run.tests if (t.error or "").startswith(STOPPED)), None)
        return f"{run.error}, in test {stopped.name}" if stopped else run.error
    for t in run.tests:
        err = t.error or ""
        if "timed out" in err:
            return f"test {t.name} was too slow: {err}"
        if "memory limit" in err:
            return f"test {t.name} ran out of memory: {err}"
    return None


# How a failed test's error starts when it says nothing of what the code returns: it was stopped
# (time, memory: the runner's words; output, the run's wall time: the harness's) or never ran
# (the harness's). Such a failure contradicts no
# key point. Matched at the start only: the code's own exception is "<Type>: <message>" and an
# assertion "assertion failed: ...", so a test whose code raised TimeoutError("... timed out")
# ran and failed (it was read as stopped, and the point it checks was credited).
_NOT_SHOWN = ("timed out", "MemoryError: memory limit exceeded", NOT_RUN, STOPPED)


def ran_and_failed(error: str) -> bool:
    """Whether a failed test's ``error`` says it ran and failed (an assertion, or the code
    raised), not that it was stopped for time or memory or never ran."""
    return not error.startswith(_NOT_SHOWN)


def probed(failed: Sequence[FailedTest]) -> FailedTest | None:
    """The failed hidden test an interviewer points at first (the probe on failed code): of
    those that ran and failed, the one whose error tells most (``markup.telling``); None when
    none ran and failed."""
    ran = [f for f in failed if ran_and_failed(f.error)]
    return ran[telling([(f.error, f.code) for f in ran])] if ran else None


def contradicted(spec: CodingSpec, failed: Sequence[FailedTest]) -> dict[str, str]:
    """The key points (by id) whose behaviour a failed hidden test checks (``CodeTest.checks``),
    each with the name of such a test: the one the probe asks about (``probed``) when it checks
    the point, else the first (walk36: the probe asked about all_scores_tied while the ties
    point named matches_pairwise_definition). Code that ran and failed it does not do what the
    point says. Not for a test that was stopped or never ran."""
    checks = {t.name: t.checks for t in spec.hidden_tests}
    asked = probed(failed)
    out: dict[str, str] = {}
    for f in [asked] + list(failed) if asked else failed:
        if ran_and_failed(f.error):
            for kp in checks.get(f.name, ()):
                out.setdefault(kp, f.name)
    return out


def quotable(key_points: Sequence[KeyPointResult]) -> list[KeyPointResult]:
    """The key points as they may be quoted: a covered point whose sentence (``evidence``) is
    also the evidence of a point the code was shown not to do (a failed hidden test checks it:
    ``failed_test``, not covered) loses that quote, as landed, as a strength and in a
    transcript alike. That sentence holds the claim the code failed: a walk-through's report
    praised "count with a Counter" in the words "..., then sort by count descending, then
    alphabetically by word, ..." beside code failing the ties test, and its transcript listed
    that sentence under two other points."""
    not_done = {kp.evidence for kp in key_points if kp.failed_test and not kp.covered}
    not_done.discard("")
    if not not_done:
        return list(key_points)
    return [kp.model_copy(update={"evidence": ""}) if kp.covered and kp.evidence in not_done
            else kp for kp in key_points]  # fmt: skip


def ruled_out(evidence: str) -> str | None:
    """What the code uses that the question rules out ("division on line 14: `total // x`"),
    read from its correctness evidence, or None."""
    if RULED_OUT not in evidence:
        return None
    return evidence.split(RULED_OUT)[0].split("; uses ")[-1]


def _ruled_out_load(error: str | None, run: HarnessResult, rev: Review) -> str | None:
    """A run stopped while loading code that imports what the question rules out says so: a
    walk-through's scikit-learn import ran out of time loading, and was called too slow."""
    if not (error and run.load_error and rev.forbidden_imports):
        return error
    modules = ", ".join(f.split(" on line")[0] for f in rev.forbidden_imports)
    return f"{error} (it imports {modules}, which the question rules out)"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def score(
    question_id: str,
    spec: CodingSpec,
    run: HarnessResult,
    rev: Review,
    growth: Growth | None = None,
) -> CodeResult:
    """Combine a hidden-test run, a static review and a growth verdict into a CodeResult."""
    tests = run.tests
    frac = _weighted(tests)
    failed_names = [t.name for t in tests if not t.passed]
    capping = capping_test(spec, failed_names)
    if rev.syntax_error or run.syntax_error:
        correctness = CriterionScore(
            score=1, evidence=f"syntax error: {rev.syntax_error or run.syntax_error}"
        )
    elif run.problem and not any(t.passed for t in tests):
        correctness = CriterionScore(score=1, evidence=_clip(run.problem, 200))
    else:
        c = _from_fraction(frac)
        evidence = f"{sum(t.passed for t in tests)}/{len(tests)} hidden tests passed"
        evidence += f" ({frac:.0%} by weight)"
        if failed_names:
            evidence += f"; failed: {', '.join(failed_names[:4])}"
            evidence += " ..." if len(failed_names) > 4 else ""
        if rev.forbidden_imports:
            c = min(c, 2)
            evidence += f"; uses {summarise(rev.forbidden_imports, 2)}{RULED_OUT}"
        if rev.forbidden_operations:  # passing the tests another way does not solve this task
            c = min(c, 2)
            evidence += f"; uses {summarise(rev.forbidden_operations, 2)}{RULED_OUT}"
        correctness = CriterionScore(score=c, evidence=evidence)
    edges = [t for t in tests if t.kind == "edge"]
    if edges:
        e_frac = _weighted(edges)
        missed = [t.name for t in edges if not t.passed]
        e_evidence = f"{len(edges) - len(missed)}/{len(edges)} edge-case tests passed"
        if missed:
            e_evidence += f"; missed: {', '.join(missed[:4])}"
        edge = CriterionScore(score=_from_fraction(e_frac), evidence=e_evidence)
    else:
        edge = CriterionScore(score=correctness.score, evidence="no edge tests: as correctness")
    criteria: dict[Criterion, CriterionScore] = {
        "correctness": correctness,
        "readability": _readability(rev),
        "vectorisation": _efficiency(spec, rev, tests, growth),
        "edge_cases": edge,
    }
    if frac < JUDGED_FROM:
        for k in ("readability", "vectorisation"):
            criteria[k] = _too_little_done(criteria[k], correctness.score, tests)
    if (run.error or "").startswith("output limit"):  # printing that flooded the run is no
        # clean code, whatever the tests say (walk24's correct solution, printing 200,000
        # lines first, scored 100 beside "output limit exceeded")
        got = criteria["readability"]
        criteria["readability"] = CriterionScore(
            score=min(got.score, FLOODED_READABILITY),
            evidence=f"it printed until the output limit stopped the run: {run.error}",
        )
    overall = round(100 * sum(WEIGHTS[k] * (v.score - 1) / 4 for k, v in criteria.items()))
    if not any(t.passed for t in tests):
        # Code that passes no hidden test does not solve the problem, however tidy it reads.
        overall = min(overall, NO_PASS_MAX)
    elif failed_names:
        # Nor can tidy or fast code score above the share of the hidden tests it passes (a
        # walk-through's code that failed 3 of 6 scored 62, over the pass mark, with readability
        # and efficiency at 5).
        overall = min(overall, passed_share((t.weight, t.passed) for t in tests))
        if capping and overall > CORE_MISSED_MAX:  # said where it bites (code that scores 0 by
            # its tests read "... so the code scores at most 50")
            overall = CORE_MISSED_MAX
            got = criteria["correctness"]
            criteria["correctness"] = CriterionScore(
                score=got.score, evidence=f"{got.evidence}; {cap_said(capping, spec)}")
    if rev.forbidden_imports or rev.forbidden_operations:
        overall = min(overall, RULED_OUT_MAX)
    if spec.vectorise and any(f.kind != "elementwise-python" for f in rev.loops):
        overall = min(overall, LOOPED_MAX)
    failed = [
        FailedTest(
            name=t.name,
            kind=t.kind,
            error=t.error or "failed",
            code=_clip(t.code, _MAX_CODE_SHOWN),
        )
        for t in tests
        if not t.passed
    ]
    return CodeResult(
        question_id=question_id,
        passed=sum(t.passed for t in tests),
        total=len(tests),
        failed=failed,
        criteria=criteria,
        overall=overall,
        verdict=_verdict(overall),
        error=_ruled_out_load(_resource_error(run), run, rev),
        lint=[str(f) for f in rev.lint],
        loops=[str(f) for f in rev.loops],
        growth=growth.message if growth else None,
        stdout=run.stdout,
        stderr=run.stderr,
        sandbox=run.mode,
        seconds=round(run.seconds, 3),
    )


def grade_submission(
    question_id: str,
    spec: CodingSpec,
    code: str,
    *,
    limits: SandboxLimits | None = None,
    mode: str = "auto",
    require_sandbox: bool = False,
    deny: Sequence[str | os.PathLike] = (),
    measure_growth: bool = True,
) -> CodeResult:
    """Run the hidden tests (and the growth measurement) in the sandbox and grade the code.

    Never raises for anything the submission does; a refused sandbox (policy, no bwrap with
    ``require_sandbox``) comes back as a result with ``error`` set and every test failed.
    """
    rev = review(code, spec)
    run = run_submission(
        spec,
        code,
        which="hidden",
        measure_scaling=measure_growth and spec.scaling is not None and not rev.syntax_error,
        limits=limits,
        mode=mode,
        require_sandbox=require_sandbox,
        deny=deny,
    )
    growth = None
    s = run.scaling
    if s is not None and s.error is None:
        growth = classify_growth(s.t_n, s.t_kn, s.factor, timed_out=s.timed_out)
    if growth is not None and growth.flagged and growth.exponent is not None:
        # measured now on this machine: what looks quadratic may be the host, not the code
        growth = against_reference(growth, review_growth(spec, spec.reference, limits=limits,
                                   mode=mode, require_sandbox=require_sandbox, deny=deny))  # fmt: skip
    return score(question_id, spec, run, rev, growth)
