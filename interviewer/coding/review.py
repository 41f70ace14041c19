"""Static review of a submission (ruff, AST loop detection) and the measured-growth verdict.

Nothing here runs candidate code: ruff parses it in its own process, the AST checks parse it in
ours (parsing is safe; executing is not). Growth is measured by the harness inside the sandbox.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from interviewer.coding.harness import run_submission
from interviewer.coding.spec import CodingSpec, imports_used, operations_used, parameters

__all__ = [
    "Growth",
    "LintFinding",
    "LoopFinding",
    "Review",
    "RUFF_RULES",
    "classify_growth",
    "find_loops",
    "lint",
    "measure_growth",
    "review",
]

# A fixed rule set, so a submission's score never depends on the project's ruff config:
# errors and warnings, pyflakes, bugbear, complexity (mccabe), naming, simplifications,
# comprehensions, returns and performance anti-patterns. N803/N806 are ignored because X for a
# feature matrix is the ML convention.
RUFF_RULES = "E,W,F,B,C90,N,SIM,C4,RET,PERF"
# N803/N806: upper-case X for a matrix is the data-science convention. W292: the code editor
# decides whether the text ends in a newline, not the candidate. SIM102 (a nested if that could
# be one condition): a taste, not a defect; it took 3 points off the bank's own stack-based
# bracket checker (`elif ch in PAIRS:` then `if not stack or ...`), which reads better nested.
# B905 (`zip()` without `strict=`): a walk-through's plain `zip(y_true, y_pred)`, lengths checked
# two lines before, lost 2 readability points; no interviewer asks for it.
RUFF_IGNORE = "N803,N806,W292,SIM102,B905"
RUFF_TIMEOUT_S = 20.0
# Growth exponent above which the time is taken as superlinear: quadratic Python measures
# 2.0-2.1 here, linear Python 1.0-1.5 (noise), so 1.7 leaves a margin on both sides. Vectorised
# NumPy code is not measured this way: its timings jump with cache and page-fault effects.
GROWTH_FLAG_EXPONENT = 1.7
# Below this many seconds at factor*n the timings are noise: no verdict either way.
GROWTH_MIN_SECONDS = 0.02
# A flagged growth is checked against the reference solution's, measured on the same machine
# then: flagged only when it exceeds the reference's by this much. A sort and one sweep (the
# bank's merge-intervals reference) measures ~n^1.0-1.7 here, and a walk-through on a busy host
# saw ~n^1.8 called "quadratic" for it: the cache and the host's load move both alike. Linear
# against quadratic is 1.0 apart; n log n against quadratic about 0.8.
GROWTH_OVER_REFERENCE = 0.5


@dataclass(frozen=True)
class LintFinding:
    """One ruff finding."""

    code: str
    message: str
    line: int

    def __str__(self) -> str:
        return f"line {self.line}: {self.code} {self.message}"


@dataclass(frozen=True)
class LoopFinding:
    """A Python-level loop where vectorised code was asked for.

    ``kind`` is ``row-loop`` (iterrows, itertuples, apply(axis=1)), ``index-loop``
    (for i in range(len(x))), ``element-loop`` (a Python loop over an input array or frame) or
    ``elementwise-python`` (apply/map with a Python function, np.vectorize: milder), and
    ``nested-loop`` besides for a loop over the data inside another (listed first).
    """

    kind: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class Growth:
    """What the measured timings say about complexity."""

    exponent: float | None  # log(t(factor*n) / t(n)) / log(factor); 1 = linear, 2 = quadratic
    flagged: bool
    message: str
    timing: str = ""  # the measurement alone ("time grew x4.1 for a 2x larger input")


@dataclass(frozen=True)
class Review:
    """All static findings on one submission."""

    syntax_error: str | None = None
    lint: tuple[LintFinding, ...] = ()
    loops: tuple[LoopFinding, ...] = ()
    forbidden_imports: tuple[str, ...] = ()  # "sklearn on line 1: `from sklearn import ...`"
    forbidden_operations: tuple[str, ...] = ()  # where the code does what the question rules out
    notes: tuple[str, ...] = field(default_factory=tuple)


def _ruff() -> str | None:
    # The ruff next to the running interpreter (the venv's), else one on PATH.
    local = Path(sys.executable).parent / "ruff"
    return str(local) if local.exists() else shutil.which("ruff")


def lint(code: str) -> tuple[list[LintFinding], str | None]:
    """Ruff findings with the fixed rule set, and a note when ruff could not be run."""
    exe = _ruff()
    if exe is None:
        return [], "ruff is not installed: readability was not linted"
    with tempfile.TemporaryDirectory(prefix="review-") as tmp:
        path = os.path.join(tmp, "submission.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(code)
        argv = [
            exe, "check", "--isolated", "--no-cache", "--ignore-noqa", "--exit-zero",
            "--select", RUFF_RULES, "--ignore", RUFF_IGNORE, "--line-length", "100",
            "--output-format", "json", path,
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                argv, capture_output=True, timeout=RUFF_TIMEOUT_S, cwd=tmp, env=_ruff_env()
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return [], f"ruff failed: {exc}"
    try:
        rows = json.loads(proc.stdout or b"[]")
    except ValueError:
        return [], "ruff output was not JSON"
    findings = [
        LintFinding(
            code=str(r.get("code") or "E999"),
            message=_plain(str(r.get("message", "")))[:200],
            line=int((r.get("location") or {}).get("row") or 0),
        )
        for r in rows
    ]
    return sorted(findings, key=lambda f: (f.line, f.code)), None


def _plain(message: str) -> str:
    """Ruff's message with its Markdown code spans as quotes: evidence is shown as plain text
    (escaped), where `if` kept its backticks."""
    return re.sub(r"`([^`]*)`", "‘\\1’", message)


@lru_cache(maxsize=64)
def _starter_findings(starter: str) -> frozenset[tuple[str, str]]:
    return frozenset((f.code, f.message) for f in lint(starter)[0])


def _ruff_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tempfile.gettempdir()}


# -------------------------------------------------------------------------------- AST checks


def _attr_call(node: ast.AST, *names: str) -> str | None:
    """The method name when node is ``<something>.<name>(...)`` for one of ``names``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
    ):
        return node.func.attr
    return None


def _axis_is_rows(call: ast.Call) -> bool:
    for kw in call.keywords:
        if kw.arg == "axis" and isinstance(kw.value, ast.Constant):
            return kw.value.value in (1, "columns")
    return False


def _is_python_function(node: ast.AST) -> bool:
    # A lambda or a named function: apply/map then calls Python once per element.
    return isinstance(node, ast.Lambda | ast.Name) or (
        isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Name)
    )


def _root_name(node: ast.AST) -> str | None:
    """``x`` for x, x.values, x.to_numpy(), x["col"], x.col.tolist(), enumerate(x), zip(x, y)."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in ("enumerate", "zip", "reversed"):
                if not node.args:
                    return None
                node = node.args[0]
            elif isinstance(node.func, ast.Attribute):
                node = node.func.value
            else:
                return None
        else:
            return None


def _is_range_over_length(
    it: ast.AST, lengths: frozenset[str] = frozenset(), options: frozenset[str] = frozenset()
) -> bool:
    """range(len(x)), range(x.shape[0]), range(x.size), range(0, len(x)) and the like, and a
    range over a name holding an input's length (``lengths``: ``n = len(x)``, then
    ``range(window, n)``); not over the length of an option (``options``: parameters with a
    default, such as ``labels=None``)."""
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
        return False
    return any(_names_length(arg, lengths, options) for arg in it.args)


def _names_length(
    expr: ast.AST, lengths: frozenset[str] = frozenset(), options: frozenset[str] = frozenset()
) -> bool:
    """Whether ``expr`` reads an input's length: ``len(x)``, ``x.shape``, ``x.size``, or a name
    in ``lengths`` (not an option's length: see ``_is_range_over_length``)."""
    for sub in ast.walk(expr):
        is_call = isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
        if is_call and sub.func.id == "len":
            if sub.args and _root_name(sub.args[0]) in options:
                continue
            return True
        if isinstance(sub, ast.Attribute) and sub.attr in ("shape", "size"):
            if _root_name(sub.value) in options:
                continue
            return True
        if isinstance(sub, ast.Name) and sub.id in lengths:
            return True
    return False


def _input_lengths(tree: ast.AST, params: set[str]) -> frozenset[str]:
    """Names assigned an input's length: ``n = len(x)``, ``n = x.shape[0]``, ``n = x.size``, or
    the first of ``n, d = X.shape`` (a walk-through's running-sum loop ``for i in range(window,
    n)`` over a moving average's input read as vectorised)."""

    def kind(value: ast.AST) -> str | None:  # "length", "shape" (of an input) or None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.args:
            return "length" if value.func.id == "len" and _root_name(value.args[0]) in params \
                else None  # fmt: skip
        if isinstance(value, ast.Subscript) and _index_is(value, 0):
            return "length" if kind(value.value) == "shape" else None
        if isinstance(value, ast.Attribute) and _root_name(value.value) in params:
            return {"size": "length", "shape": "shape"}.get(value.attr)
        return None

    names: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, got = node.targets[0], kind(node.value)
        if got == "length" and isinstance(target, ast.Name):
            names.add(target.id)
        elif got == "shape" and isinstance(target, ast.Tuple) and target.elts and \
                isinstance(target.elts[0], ast.Name):  # fmt: skip
            names.add(target.elts[0].id)  # n, d = X.shape: n rows
    return frozenset(names)


# Calls that keep a sequence as long as their argument: a loop over what they return walks the
# input element by element (a walk-through's ``order = sorted(range(len(scores)), key=...)`` then
# ``for r, i in enumerate(order)`` read "no Python loops over the data found").
_SAME_LENGTH = frozenset({"sorted", "list", "tuple", "reversed"})
_SAME_LENGTH_NP = frozenset({"argsort", "sort", "asarray", "array", "ravel", "argwhere"})
_SAME_LENGTH_METHODS = frozenset({"argsort", "tolist", "to_list", "to_numpy", "ravel", "flatten",
                                  "copy", "astype", "sort_values", "reset_index"})  # fmt: skip


def _input_sequences(
    tree: ast.AST, params: set[str], lengths: frozenset[str], options: frozenset[str]
) -> frozenset[str]:
    """Names assigned a sequence as long as an input: the input itself, a range over its length,
    or either through a call that keeps the length (sorted, list, np.argsort, .tolist(), ...);
    not a reduction (``np.unique(labels)``, ``x.mean()``), whose loop is over a few values."""
    names: set[str] = set()

    def sized(v: ast.AST) -> bool:
        if isinstance(v, ast.Name):
            return v.id in params or v.id in names
        if _is_range_over_length(v, lengths, options):
            return True
        if isinstance(v, ast.Attribute) and v.attr == "values":
            return sized(v.value)
        if not isinstance(v, ast.Call):
            return False
        f = v.func
        if isinstance(f, ast.Name) and f.id in _SAME_LENGTH:
            return bool(v.args) and sized(v.args[0])
        if isinstance(f, ast.Attribute):
            if isinstance(f.value, ast.Name) and f.value.id in ("np", "numpy"):
                return f.attr in _SAME_LENGTH_NP and bool(v.args) and sized(v.args[0])
            return f.attr in _SAME_LENGTH_METHODS and sized(f.value)
        return False

    for _ in range(2):  # a name built from a name built from the input
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name) and sized(node.value)):  # fmt: skip
                names.add(node.targets[0].id)
    return frozenset(names)


def _index_is(sub: ast.Subscript, value: int) -> bool:
    return isinstance(sub.slice, ast.Constant) and sub.slice.value == value


def find_loops(
    code: str, *, entry_point: str | None = None, loop_over: tuple[str, ...] | list[str] = ()
) -> list[LoopFinding]:
    """Python-level loops over rows or elements (empty list when the code does not parse);
    ``loop_over``: inputs the task means to be walked in Python (an iterator of chunks)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    # A parameter with a default is an option (``labels=None``, ``max_iter=100``), not the data:
    # a walk-through's dict comprehension over the confusion matrix's labels was called a loop
    # over the input. Every vectorised question's data parameters have no default.
    params = parameters(tree, entry_point, required=True) - set(loop_over)
    options = frozenset(parameters(tree, entry_point) - params - set(loop_over))
    lengths = _input_lengths(tree, params)
    built = _input_sequences(tree, params, lengths, options) - params
    found: list[LoopFinding] = []

    loops: list[tuple[ast.AST, int]] = []  # (a loop found over the data, its line)

    def loop_over(it: ast.AST, line: int) -> None:
        n_found = len(found)
        _loop_over(it, line)
        if len(found) > n_found:
            loops.append((it, line))

    def _loop_over(it: ast.AST, line: int) -> None:
        method = _attr_call(it, "iterrows", "itertuples")
        if method:
            found.append(LoopFinding("row-loop", line, f"loop over DataFrame rows (.{method}())"))
        elif _is_range_over_length(it, lengths, options):
            found.append(
                LoopFinding("index-loop", line, "Python loop over row/element indices (a range "
                            "over the input's length)")  # fmt: skip
            )
        else:
            root = _root_name(it)
            if root in params and not _is_small_iterable(it):
                found.append(
                    LoopFinding("element-loop", line, f"Python loop over the input {root!r}")
                )
            elif root in built:
                found.append(LoopFinding("element-loop", line, f"Python loop over {root!r}, "
                                         "one step per element of the input"))  # fmt: skip

    # a while loop up to an input's length, or a name holding it (walk55's ROC-AUC ranked ties
    # with ``while i < n`` over ``n = len(s)``, s = np.asarray(scores), and read "no Python
    # loops over the data found")
    counted = lengths | _input_lengths(tree, params | built)
    for node in ast.walk(tree):
        if isinstance(node, ast.While) and _names_length(node.test, counted, options):
            found.append(LoopFinding("index-loop", node.lineno, "Python while loop over "
                                     "element indices (up to the input's length)"))  # fmt: skip
        elif isinstance(node, ast.For | ast.AsyncFor):
            loop_over(node.iter, node.lineno)
        elif isinstance(node, ast.comprehension):
            loop_over(node.iter, getattr(node.iter, "lineno", 0))
        elif isinstance(node, ast.Call):
            method = _attr_call(node, "apply", "map", "applymap", "transform", "agg")
            if method == "apply" and _axis_is_rows(node):
                found.append(LoopFinding("row-loop", node.lineno, "row-wise .apply(..., axis=1)"))
            elif method == "applymap":
                found.append(
                    LoopFinding("elementwise-python", node.lineno, ".applymap() is per cell")
                )
            elif method in ("apply", "map") and node.args and isinstance(node.args[0], ast.Lambda):
                found.append(
                    LoopFinding(
                        "elementwise-python", node.lineno, f".{method}(lambda ...) per element"
                    )
                )
            elif (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "vectorize"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("np", "numpy")
            ):
                found.append(
                    LoopFinding("elementwise-python", node.lineno, "np.vectorize is a Python loop")
                )
    found += _nested(tree, loops)
    # One finding per line and kind is enough to explain the score; a nested loop first (it is
    # what makes the code quadratic: a walk-through's pairwise loops were named after two
    # comprehensions, line order having put those first).
    unique = {(f.kind, f.line): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.kind != "nested-loop", f.line, f.kind))


def _nested(tree: ast.AST, loops: list[tuple[ast.AST, int]]) -> list[LoopFinding]:
    """A loop over the data inside another one (a for loop's body or an earlier ``for`` of the
    same comprehension), given the loops found as (their iterable node, line)."""
    found = {id(it): line for it, line in loops}
    inside: dict[int, int] = {}  # iterable node id -> the line of a loop over data around it
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.AsyncFor) and id(node.iter) in found:
            for stmt in node.body:
                for sub in ast.walk(stmt):
                    if id(sub) in found:
                        inside.setdefault(id(sub), node.lineno)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            outer = None
            for gen in node.generators:
                if outer is not None and id(gen.iter) in found:
                    inside.setdefault(id(gen.iter), outer)
                if id(gen.iter) in found:
                    outer = found[id(gen.iter)]
    return [LoopFinding("nested-loop", found[i], "nested Python loops over the data ("
                        + ("two in one comprehension" if found[i] == line
                           else f"inside the loop on line {line}") + "): quadratic")
            for i, line in inside.items()]  # fmt: skip


def _is_small_iterable(it: ast.AST) -> bool:
    # Iterating over columns (df.columns, df.dtypes, df.items()) is a loop over a handful of
    # things, not over the data.
    if isinstance(it, ast.Attribute) and it.attr in ("columns", "dtypes"):
        return True
    return _attr_call(it, "items", "keys") is not None and isinstance(it, ast.Call)


# ------------------------------------------------------------------------------------ growth


def classify_growth(
    t_n: float | None, t_kn: float | None, factor: int, *, timed_out: bool = False
) -> Growth:
    """Judge complexity from the time at n and factor*n (None when there is no timing)."""
    if timed_out:
        return Growth(None, True, f"the {factor}x larger input timed out: growth is superlinear")
    if t_n is None or t_kn is None:
        return Growth(None, False, "growth not measured")
    if t_kn < GROWTH_MIN_SECONDS:
        return Growth(None, False, f"too fast to measure growth ({t_kn * 1000:.1f} ms)")
    ratio = t_kn / max(t_n, 1e-9)
    exponent = math.log(ratio) / math.log(factor) if ratio > 0 else 0.0
    shape = "about linear" if exponent < 1.3 else "superlinear" if exponent < 1.7 else "quadratic"
    if exponent >= 2.6:
        shape = "worse than quadratic"
    timing = f"time grew x{ratio:.1f} for a {factor}x larger input"
    msg = f"{timing} (~n^{exponent:.1f}, {shape})"
    return Growth(round(exponent, 2), exponent >= GROWTH_FLAG_EXPONENT, msg, timing)


def against_reference(growth: Growth, reference: Growth) -> Growth:
    """A flagged ``growth`` kept flagged only when it exceeds the reference solution's growth
    (measured on the same machine, then) by GROWTH_OVER_REFERENCE; unmeasured references
    leave it as it is."""
    if not growth.flagged or growth.exponent is None or reference.exponent is None:
        return growth
    if growth.exponent - reference.exponent < GROWTH_OVER_REFERENCE:
        return Growth(growth.exponent, False,
                      f"{growth.timing} (~n^{growth.exponent:.1f}), as the reference solution's "
                      f"did here (~n^{reference.exponent:.1f}): no slower than it",
                      growth.timing)  # fmt: skip
    return Growth(growth.exponent, True, f"{growth.message}; the reference solution: "
                  f"~n^{reference.exponent:.1f} here", growth.timing)  # fmt: skip


# ------------------------------------------------------------------------------------ review


def review(code: str, spec: CodingSpec, *, run_lint: bool = True) -> Review:
    """Static findings: syntax, ruff, loops (when the spec asks for vectorised code), imports."""
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return Review(syntax_error=f"line {exc.lineno}: {exc.msg}")
    findings, note = lint(code) if run_lint else ([], None)
    # What the starter itself shows (its `import numpy as np` unused by a pure-Python solution)
    # is the question's, not the candidate's.
    given = _starter_findings(spec.starter) if findings else frozenset()
    findings = [f for f in findings if (f.code, f.message) not in given]
    loops = (find_loops(code, entry_point=spec.entry_point, loop_over=spec.loop_over)
             if spec.vectorise else [])  # fmt: skip
    banned = imports_used(code, spec.forbidden_imports)
    return Review(
        lint=tuple(findings),
        loops=tuple(loops),
        forbidden_imports=tuple(banned),
        forbidden_operations=tuple(operations_used(code, spec.forbidden_operations)),
        notes=(note,) if note else (),
    )


def measure_growth(spec: CodingSpec, code: str, **sandbox: object) -> Growth:
    """Run only the scaling measurement of ``spec`` in the sandbox and classify it.

    ``sandbox`` takes the harness's keyword arguments (limits, mode, require_sandbox, deny).
    """
    if spec.scaling is None:
        return Growth(None, False, "this question has no scaling measurement")
    result = run_submission(spec, code, which="none", measure_scaling=True, **sandbox)
    if result.problem:
        return Growth(None, False, f"growth not measured: {result.problem}")
    s = result.scaling
    if s is None:
        return Growth(None, False, "growth not measured")
    if s.error:
        return Growth(None, False, f"growth not measured: {s.error}")
    return classify_growth(s.t_n, s.t_kn, s.factor, timed_out=s.timed_out)


def summarise(items: Sequence[object], limit: int = 3) -> str:
    """The first few findings on one line."""
    shown = "; ".join(str(i) for i in list(items)[:limit])
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return shown + more
