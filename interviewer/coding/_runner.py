"""Test runner executed inside the sandbox (the main script the boot script runs).

Reads one job (JSON) on stdin, loads the submission, runs each test under its own time limit
and reports one JSON line per event on fd 3 as soon as it is known, so a run the parent has to
kill still keeps the results it had. Standard library only, plus what the tests import.
"""

from __future__ import annotations

import ast
import json
import math
import os
import signal
import sys
import time
import traceback

REPORT_FD = 3
SUBMISSION = "submission.py"
MAX_ERROR = 300


class TestTimeout(BaseException):  # noqa: N818 - BaseException: `except Exception` must not eat it
    """The test's time limit passed (``waited``: the wall-clock backstop, not the CPU limit)."""

    def __init__(self, waited: bool = False):
        super().__init__()
        self.waited = waited


def report(obj: dict) -> None:
    """One JSON line to the parent."""
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(REPORT_FD, data) :]


def _on_signal(signum, frame):
    raise TestTimeout(waited=signum == signal.SIGALRM)


class time_limit:  # noqa: N801 - used as a context manager
    """Raise TestTimeout in the running code once it has used ``seconds`` of CPU time (the
    process's, user and system: what a loaded machine does not stretch), or once ``wall``
    seconds have passed (code that waits instead of computing uses no CPU); each fires again
    every 0.2 s after, should candidate code swallow the first."""

    def __init__(self, seconds: float, wall: float):
        self.seconds, self.wall = seconds, wall

    def __enter__(self):
        signal.signal(signal.SIGPROF, _on_signal)
        signal.signal(signal.SIGALRM, _on_signal)
        signal.setitimer(signal.ITIMER_PROF, self.seconds, 0.2)
        signal.setitimer(signal.ITIMER_REAL, self.wall, 0.2)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        return False


def _clip(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 3] + "..."


def describe(
    exc: BaseException, test_name: str, test_code: str, limit: float, wall: float = 0.0
) -> str:
    """One line saying why a test failed, pointing at the test line or the submission line."""
    if isinstance(exc, TestTimeout) and exc.waited:
        # By construction under ``limit`` s of CPU time: waiting, or a machine very busy.
        return (f"timed out: still running after {wall:g} s with under {limit:g} s of CPU time "
                "used (waiting: a sleep or a blocked call?)")  # fmt: skip
    if isinstance(exc, TestTimeout):
        return f"timed out after {limit:g} s of CPU time (time limit)"
    if isinstance(exc, MemoryError):
        return "MemoryError: memory limit exceeded"
    where = ""
    test_line = sub_line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        name = frame.f_code.co_filename
        if name == f"<test {test_name}>":
            test_line = lineno
        elif name == SUBMISSION:
            sub_line = lineno
    if isinstance(exc, AssertionError):
        lines = test_code.splitlines()
        src = lines[test_line - 1].strip() if test_line and test_line <= len(lines) else ""
        msg = str(exc)
        if msg and src.startswith("raise AssertionError("):  # the message says it all (a
            # re-walk read 'raise AssertionError("negative k must ...") -> negative k must ...')
            return _clip(f"assertion failed: {msg}")
        text = f"assertion failed: {src}" if src else "assertion failed"
        return _clip(f"{text} -> {msg}" if msg else text)
    if sub_line:
        where = f" (submission line {sub_line})"
    elif test_line:
        where = f" (test line {test_line})"
    msg = str(exc)
    return _clip(f"{type(exc).__name__}: {msg}{where}" if msg else f"{type(exc).__name__}{where}")


GOT = "_mock_interview_got"  # the name a test's compared value is kept under
SHOW = "_mock_interview_shown"  # the name ``shown`` is called by in a test's namespace
SHOWN_CHARS = 120  # a value shown in a failed assertion is cut here (a list of 300 floats)


def shown(value) -> str:
    """What a failed comparison got, as its message: "got 3"."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - candidate code's own __repr__ may fail
        text = f"a {type(value).__name__}"
    return "got " + (text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "...")


def with_values_shown(code: str, filename: str):
    """The test compiled so that a failing ``assert <expr> <op> <expected>`` with no message says
    what ``<expr>`` was ("... -> got 3"), as an interviewer would: the value is kept as the
    comparison runs, so the candidate's code is not called twice. Other asserts, and code this
    cannot compile, run as written."""
    try:
        tree = ast.parse(code, filename)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assert) and node.msg is None
                    and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1
                    and not isinstance(node.test.left, ast.Constant)):  # fmt: skip
                left = node.test.left
                node.test.left = ast.NamedExpr(target=ast.Name(GOT, ast.Store()), value=left)
                node.msg = ast.Call(ast.Name(SHOW, ast.Load()),
                                    [ast.Name(GOT, ast.Load())], [])  # fmt: skip
        ast.fix_missing_locations(tree)
        return compile(tree, filename, "exec")
    except (SyntaxError, ValueError, TypeError):
        return compile(code, filename, "exec")


def base_namespace(imports: list[str]) -> dict:
    """What every test sees before the helpers: math, numpy as np, pandas as pd."""
    ns: dict = {"__name__": "tests", "__builtins__": __builtins__, "math": math,
                SHOW: shown}  # fmt: skip
    aliases = {"numpy": "np", "pandas": "pd"}
    for module in imports:
        try:
            ns[aliases.get(module, module)] = __import__(module)
        except ImportError:
            pass
    return ns


def load_submission(job: dict):
    """The entry point function, or None after reporting why it could not be had."""
    code, entry = job["code"], job["entry_point"]
    try:
        compiled = compile(code, SUBMISSION, "exec")
    except SyntaxError as exc:
        report(
            {
                "event": "syntax_error",
                "line": exc.lineno,
                "message": _clip(f"line {exc.lineno}: {exc.msg}"),
            }
        )
        return None
    module = {"__name__": "submission", "__builtins__": __builtins__}
    started = time.perf_counter()
    limit, wall = job["load_time_limit_s"], job["load_wall_limit_s"]
    try:
        with time_limit(limit, wall):
            exec(compiled, module)
    except BaseException as exc:  # noqa: BLE001 - reported, whatever it is
        msg = describe(exc, "", "", limit, wall)
        report({"event": "load_error", "message": msg, "seconds": time.perf_counter() - started})
        return None
    fn = module.get(entry)
    if not callable(fn):
        report({"event": "missing_entry_point", "message": f"no function {entry}() is defined"})
        return None
    return fn


def run_tests(job: dict, fn, base: dict) -> bool:
    """Run each test in a fresh copy of the namespace; report as each one ends.

    Returns True when a test of kind "large" timed out (the growth measurement is then moot).
    """
    entry = job["entry_point"]
    large_timed_out = waited = False
    for test in job["tests"]:
        name, code, limit = test["name"], test["code"], test["time_limit_s"]
        # Once a test has waited out its backstop, the code waits (a sleep in it): the rest get
        # their CPU time limit as wall time, so a candidate is not kept waiting for every one.
        wall = limit if waited else test["wall_limit_s"]
        ns = dict(base)
        ns[entry] = fn
        # said before it runs: a run stopped whole (output, wall time) names the test it was in
        report({"event": "start", "name": name})
        started, cpu_started = time.perf_counter(), time.thread_time()
        passed, error = False, None
        try:
            compiled = with_values_shown(code, f"<test {name}>")
            with time_limit(limit, wall):
                exec(compiled, ns)
            passed = True
        except BaseException as exc:  # noqa: BLE001 - a failing test is data, not a crash
            error = describe(exc, name, code, limit, wall)
            waited = waited or (isinstance(exc, TestTimeout) and exc.waited)
            if isinstance(exc, TestTimeout) and test.get("kind") == "large":
                large_timed_out = True
        seconds = time.perf_counter() - started
        report({"event": "test", "name": name, "passed": passed, "error": error,
                "seconds": seconds, "cpu_seconds": time.thread_time() - cpu_started})  # fmt: skip
        sys.stdout.flush()
    return large_timed_out


def _call_timed(fn, make_args, n: int, limit: float, wall: float) -> float:
    """The CPU time of one call (the machine's other load does not stretch it)."""
    args = make_args(n)
    args = args if isinstance(args, tuple) else (args,)
    started = time.thread_time()
    with time_limit(limit, wall):
        fn(*args)
    return time.thread_time() - started


def run_scaling(job: dict, fn, base: dict) -> None:
    """Time the entry point at n and factor*n (best of a few runs) and report both."""
    scaling = job["scaling"]
    n, factor, limit = scaling["n"], scaling["factor"], scaling["time_limit_s"]
    wall = scaling["wall_limit_s"]
    out = {"event": "scaling", "n": n, "factor": factor, "t_n": None, "t_kn": None}
    out.update({"timed_out": False, "error": None})
    try:
        ns = dict(base)
        exec(compile(scaling["setup"], "<scaling>", "exec"), ns)
        make_args = ns["make_args"]
        # Best of several runs: the minimum is the least disturbed by the machine's noise.
        out["t_n"] = min(_call_timed(fn, make_args, n, limit, wall) for _ in range(5))
        out["t_kn"] = min(_call_timed(fn, make_args, n * factor, limit, wall) for _ in range(3))
    except TestTimeout:
        out["timed_out"] = True
    except BaseException as exc:  # noqa: BLE001 - a broken submission just has no timing
        out["error"] = describe(exc, "", "", limit, wall)
    report(out)


def main() -> None:
    """Run the job read from stdin."""
    job = json.loads(sys.stdin.read())
    sys.stdin.close()
    fn = load_submission(job)
    if fn is not None:
        base = base_namespace(job.get("imports", []))
        if job.get("helpers"):
            try:
                exec(compile(job["helpers"], "<helpers>", "exec"), base)
            except BaseException as exc:  # noqa: BLE001
                report({"event": "helpers_error", "message": describe(exc, "", "", 0)})
                return
        large_timed_out = run_tests(job, fn, base)
        if job.get("scaling") and large_timed_out:
            scaling = job["scaling"]
            report(
                {
                    "event": "scaling", "n": scaling["n"], "factor": scaling["factor"],
                    "t_n": None, "t_kn": None, "timed_out": True, "error": None,
                }
            )  # fmt: skip
        elif job.get("scaling"):
            run_scaling(job, fn, base)
    report({"event": "done"})


if __name__ == "__main__":  # run inside the sandbox by _boot.py
    main()
