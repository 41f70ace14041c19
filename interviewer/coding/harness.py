"""Run a submission's tests in the sandbox: one outcome per test, never an exception.

The runner (``_runner.py``) executes inside the sandbox and streams one JSON line per test; the
harness turns those lines into :class:`HarnessResult`. A syntax error, a missing entry point,
a refused sandbox or a run killed on a limit all come back as fields of the result.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from interviewer.coding.sandbox import SandboxLimits, SandboxResult, run_python
from interviewer.coding.spec import CodeTest, CodingSpec
from interviewer.errors import SandboxError

__all__ = ["HarnessResult", "ScalingOutcome", "TestOutcome", "run_submission"]

_RUNNER = Path(__file__).with_name("_runner.py")
MAX_CODE_CHARS = 100_000  # a submission longer than this is refused before any process starts
_PANDAS = re.compile(r"\bpd\.|\bpandas\b")
# A time limit counts CPU time, so a loaded machine never times out a correct solution; code that
# waits instead (time.sleep, a blocked call) uses none and is stopped by a wall-clock backstop:
# WALL_FACTOR times the limit plus WALL_SLACK_S. A machine must be more than three times
# oversubscribed before a test that computes within its limit reaches it.
WALL_FACTOR, WALL_SLACK_S = 3.0, 1.0


def wall_limit(cpu_limit: float) -> float:
    """The wall-clock backstop of a step whose CPU time limit is ``cpu_limit`` seconds."""
    return round(WALL_FACTOR * cpu_limit + WALL_SLACK_S, 3)


@dataclass(frozen=True)
class TestOutcome:
    """One test's result; ``error`` is one line (truncated) when it failed."""

    name: str
    kind: str
    weight: float
    passed: bool
    error: str | None
    seconds: float
    code: str  # the test's own code: it holds the inputs, shown for failed tests
    # CPU time of the thread running it: what the code itself needed, whatever else the machine
    # was doing meanwhile. The time limit counts the process's CPU time (the same, unless the
    # code starts threads of its own); ``seconds`` is wall time.
    cpu_seconds: float = 0.0


@dataclass(frozen=True)
class ScalingOutcome:
    """Timings of the entry point at n and factor*n (best of a few runs)."""

    n: int
    factor: int
    t_n: float | None
    t_kn: float | None
    timed_out: bool
    error: str | None


@dataclass(frozen=True)
class HarnessResult:
    """Everything one sandboxed test run produced."""

    tests: tuple[TestOutcome, ...]
    error: str | None = None  # run-level: refused, killed on a limit, crashed
    syntax_error: str | None = None
    load_error: str | None = None  # the module raised or looped while being loaded
    missing_entry_point: str | None = None
    scaling: ScalingOutcome | None = None
    stdout: str = ""
    stderr: str = ""
    output_truncated: bool = False
    mode: str | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> int:
        """Number of tests that passed."""
        return sum(t.passed for t in self.tests)

    @property
    def total(self) -> int:
        """Number of tests asked for."""
        return len(self.tests)

    @property
    def problem(self) -> str | None:
        """The one-line reason nothing could be tested, if there is one."""
        return self.error or self.syntax_error or self.load_error or self.missing_entry_point


def _imports_for(spec: CodingSpec, code: str, tests: Sequence[CodeTest]) -> list[str]:
    # pandas costs about 0.4 s to import: only load it up front when something mentions it.
    text = "\n".join([code, spec.helpers, spec.starter, *(t.code for t in tests)])
    if spec.scaling:
        text += spec.scaling.setup
    return ["numpy", "pandas"] if _PANDAS.search(text) else ["numpy"]


# How a failed test's error starts when the test never ran, or ran and was stopped with the whole
# run (its output or the run's wall time): it says nothing of what the code returns.
NOT_RUN = "not run: "
STOPPED = "stopped: "


def _not_run(tests: Sequence[CodeTest], reason: str) -> tuple[TestOutcome, ...]:
    return tuple(
        TestOutcome(t.name, t.kind, t.weight, False, f"{NOT_RUN}{reason}", 0.0, t.code)
        for t in tests
    )


def run_submission(
    spec: CodingSpec,
    code: str,
    *,
    which: Literal["visible", "hidden", "all", "none"] = "hidden",
    measure_scaling: bool = False,
    limits: SandboxLimits | None = None,
    mode: str = "auto",
    require_sandbox: bool = False,
    deny: Sequence[str | os.PathLike] = (),
) -> HarnessResult:
    """Run ``code`` against one test set of ``spec`` in the sandbox.

    The CPU budget is ``limits.wall_s`` (start-up and slack) plus every timed step's CPU time
    limit (loading, each test, the scaling runs when ``measure_scaling``); the wall budget has
    each step's wall backstop (``wall_limit``) instead. Never raises for anything the submission
    does; a refused sandbox is reported in ``error`` as well.
    """
    limits = limits or SandboxLimits()
    tests = spec.tests(which)
    if len(code) > MAX_CODE_CHARS:
        return HarnessResult(
            tests=_not_run(tests, "submission too long"),
            error=f"submission too long ({len(code)} characters; the limit is {MAX_CODE_CHARS})",
        )
    per_test = [t.time_limit_s or spec.time_limit_s for t in tests]
    scaling = spec.scaling if measure_scaling else None
    timed = per_test + [spec.time_limit_s]  # the last: loading the submission
    slack = limits.wall_s
    if scaling:
        timed += [spec.time_limit_s] * 8  # 8 timed calls
        slack += 5.0  # building their inputs
    run_limits = dataclasses.replace(
        limits,
        wall_s=slack + sum(map(wall_limit, timed)),
        cpu_s=math.ceil(slack + sum(timed)),
    )
    imports = _imports_for(spec, code, tests)
    job = {
        "code": code,
        "entry_point": spec.entry_point,
        "helpers": spec.helpers,
        "imports": imports,
        "load_time_limit_s": spec.time_limit_s,
        "load_wall_limit_s": wall_limit(spec.time_limit_s),
        "tests": [
            {"name": t.name, "kind": t.kind, "code": t.code, "time_limit_s": lim,
             "wall_limit_s": wall_limit(lim)}
            for t, lim in zip(tests, per_test, strict=True)
        ],  # fmt: skip
        "scaling": None
        if scaling is None
        else {
            "setup": scaling.setup,
            "n": scaling.n,
            "factor": scaling.factor,
            "time_limit_s": spec.time_limit_s,
            "wall_limit_s": wall_limit(spec.time_limit_s),
        },
    }
    try:
        result = run_python(
            _RUNNER.read_text(encoding="utf-8"),
            stdin=json.dumps(job).encode(),
            limits=run_limits,
            mode=mode,
            require_sandbox=require_sandbox,
            preimport=imports,
            deny=deny,
            guard="main",  # the runner forks the submission a process of its own, guarded
        )
    except SandboxError as exc:
        return HarnessResult(tests=_not_run(tests, "the sandbox refused"), error=str(exc))
    return _collect(tests, result)


def _collect(tests: Sequence[CodeTest], result: SandboxResult) -> HarnessResult:
    """Turn the runner's event lines into a HarnessResult."""
    by_name: dict[str, dict] = {}
    started: set[str] = set()
    syntax = load = missing = None
    scaling = None
    done = False
    for ev in result.events():
        kind = ev.get("event")
        if kind == "test" and isinstance(ev.get("name"), str):
            by_name[ev["name"]] = ev
        elif kind == "start" and isinstance(ev.get("name"), str):
            started.add(ev["name"])
        elif kind == "syntax_error":
            syntax = str(ev.get("message", "syntax error"))
        elif kind == "load_error":
            load = f"the submission failed while loading: {ev.get('message', '')}"
        elif kind == "missing_entry_point":
            missing = str(ev.get("message", "the entry point is missing"))
        elif kind == "helpers_error":
            load = f"the test helpers failed: {ev.get('message', '')}"
        elif kind == "scaling":
            scaling = ScalingOutcome(
                n=int(ev.get("n", 0)),
                factor=int(ev.get("factor", 0)),
                t_n=ev.get("t_n"),
                t_kn=ev.get("t_kn"),
                timed_out=bool(ev.get("timed_out")),
                error=ev.get("error"),
            )
        elif kind == "done":
            done = True
    run_error = result.error
    if run_error is None and not done:
        run_error = "the test run ended early"
    if done and result.error and result.exit_code == 0:
        run_error = None
    reason = syntax or missing or load or run_error or "not reached"
    outcomes = []
    for t in tests:
        ev = by_name.get(t.name)
        if ev is None:
            # the test the run was in when it was stopped ran, and was stopped: a walk-through's
            # test that printed past the output limit read "not run"
            said = STOPPED if t.name in started else NOT_RUN
            outcomes.append(
                TestOutcome(t.name, t.kind, t.weight, False, f"{said}{reason}", 0.0, t.code)
            )
            continue
        outcomes.append(
            TestOutcome(
                name=t.name,
                kind=t.kind,
                weight=t.weight,
                passed=bool(ev.get("passed")),
                error=None if ev.get("passed") else str(ev.get("error") or "failed"),
                seconds=float(ev.get("seconds") or 0.0),
                code=t.code,
                cpu_seconds=float(ev.get("cpu_seconds") or 0.0),
            )
        )
    return HarnessResult(
        tests=tuple(outcomes),
        error=run_error,
        syntax_error=syntax,
        load_error=load,
        missing_entry_point=missing,
        scaling=scaling,
        stdout=result.stdout,
        stderr=result.stderr,
        output_truncated=result.stdout_truncated or result.stderr_truncated,
        mode=result.mode,
        seconds=result.seconds,
        notes=result.notes,
    )
