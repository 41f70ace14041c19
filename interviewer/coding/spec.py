"""The ``coding:`` block of a coding question, validated on load (pydantic v2, strict).

A coding question is a normal bank question (id, round, topic, key points, ...) plus::

    coding:
      entry_point: kmeans            # the function the tests call
      starter: |                     # what the candidate starts from: signature + docstring
        def kmeans(X, k, ...): ...
      helpers: |                     # optional test-side code run before every test
        def make_blobs(n, seed): ...
      visible_tests: [{name, code, kind, weight}]   # shown to the candidate
      hidden_tests:  [{name, code, kind, weight, checks, why, core}]   # used for the grade;
                                     # checks: the key points whose stated behaviour the test
                                     # checks; why: one sentence on what a failing submission
                                     # got wrong, said beside the test's name when it fails;
                                     # core: the question's central case (at most one)
      reference: |                   # a solution that passes every test
      time_limit_s: 2.0              # per test
      vectorise: true                # Python loops over rows/arrays count against the candidate
      loop_over: [chunks]            # optional: inputs meant to be walked in Python (no finding)
      scaling: {setup, n, factor}    # optional: time at n and factor*n to measure growth
      forbidden_imports: [sklearn]   # "from scratch" means from scratch
      forbidden_operations: [division]   # what the question says not to use ("without division")
      quality: {correctness, readability, vectorisation, edge_cases}
      follow_ups:                    # asked after the code, in order
        - What is the complexity?      # a plain question, or one probing a key point:
        - {key_point: memory, text: What is the peak memory?}   # skipped once it is covered

Test ``code`` runs with ``np``, ``pd``, ``math``, the helpers and the entry point in scope;
it passes when it raises nothing (use ``assert``).
"""

from __future__ import annotations

import ast
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "CodeTest",
    "CodingFollowUp",
    "CodingSpec",
    "QualityRubric",
    "Scaling",
    "imports_used",
    "operations_used",
]

TestKind = Literal["basic", "edge", "large"]
Operation = Literal["division"]
_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"
WHY_CHARS = 160  # a hidden test's ``why``: one short sentence
# A sentence's end inside a ``why`` (". A", "! The"), and what a Markdown or HTML view would
# render instead of showing (code spans, emphasis, links, tags, entities).
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")
_MARKUP = re.compile(r"`|\*\*|__|\]\(|<[A-Za-z/!]|&[#A-Za-z0-9]+;|https?://")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _parse(source: str, what: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"{what} is not valid Python (line {exc.lineno}: {exc.msg})") from None


def _top_level_functions(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def parameters(tree: ast.Module, name: str | None = None, *, required: bool = False) -> set[str]:
    """The parameter names of the functions called ``name`` (of every function when None);
    ``required``: only those without a default value (the data, not the options)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and (name is None or node.name == name):
            args = node.args
            pos = args.posonlyargs + args.args
            defaulted = {a.arg for a in pos[len(pos) - len(args.defaults):]} if args.defaults else set()
            defaulted |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                          if d is not None}  # fmt: skip
            names.update(a.arg for a in pos + args.kwonlyargs
                         if not (required and a.arg in defaulted))  # fmt: skip
    return names


class CodeTest(_Strict):
    """One test: statements run against the candidate's function; passes if nothing raises."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=60)
    code: str = Field(min_length=5)
    kind: TestKind = "basic"
    weight: float = Field(default=1.0, ge=0.1, le=10.0)
    time_limit_s: float | None = Field(default=None, gt=0, le=60)
    # Ids of the question's key points whose behaviour this (hidden) test checks ("ties come
    # out alphabetically"): when it fails, an explanation that states such a point is not
    # credited with it, as the code does not do what it says. A test stopped for time or memory
    # contradicts nothing (``grade.contradicted``): a timed-out large input already takes the
    # claims of speed (``engine.SPEED_CLAIM``).
    checks: list[str] = Field(default_factory=list, max_length=4)
    # What the (hidden) test catches, in one plain sentence a candidate can act on without being
    # handed the solution ('Counting brackets cannot check nesting: "([)]" has matching counts
    # but is not nested.'): said beside the test's name when it fails (the chat's feedback, the
    # grade's flag, the report), where the name alone left a walk-through's bracket counter
    # with "failed interleaved_is_not_nested" and no word of why counting is wrong.
    why: str = Field(default="", max_length=WHY_CHARS)
    # The question's central case: the one test whose failure means the code does not do the
    # task set, however many others pass (walk33's mean of means, the bug the chunked-mean
    # question is about, passed 5 of 7 and scored 71, a pass). Code failing it scores at most
    # ``grade.CORE_MISSED_MAX``, under the pass mark, with or without an explanation. At most
    # one per question, of kind basic (a small case: it failing however it fails, a time-out
    # too, is the code not doing it).
    core: bool = False

    @field_validator("code")
    @classmethod
    def _compiles(cls, code: str) -> str:
        _parse(code, "test code")
        return code

    @field_validator("why")
    @classmethod
    def _one_plain_sentence(cls, why: str) -> str:
        if not why:
            return why
        if why != why.strip() or "\n" in why:
            raise ValueError("why must be one line, without surrounding spaces")
        if not why[:1].isupper() or not why.endswith("."):
            raise ValueError("why must be one sentence: a capital first, a full stop last")
        if _SENTENCE_BREAK.search(why[:-1]):
            raise ValueError(f"why must be one sentence: {why!r}")
        if m := _MARKUP.search(why):
            raise ValueError(f"why must be plain text, without markup: {m.group(0)!r}")
        return why


class Scaling(_Strict):
    """How to measure growth: ``setup`` defines ``make_args(n)`` returning the call's arguments."""

    setup: str = Field(min_length=10)
    n: int = Field(ge=10, le=10_000_000)
    factor: int = Field(default=4, ge=2, le=16)

    @field_validator("setup")
    @classmethod
    def _defines_make_args(cls, setup: str) -> str:
        if "make_args" not in _top_level_functions(_parse(setup, "scaling.setup")):
            raise ValueError("scaling.setup must define make_args(n)")
        return setup


class QualityRubric(_Strict):
    """What the interviewer looks for, per criterion, beyond the tests (notes for the grader)."""

    correctness: str = Field(min_length=10)
    readability: str = Field(min_length=10)
    vectorisation: str = Field(min_length=10)  # or complexity, when vectorise is false
    edge_cases: str = Field(min_length=10)


class CodingFollowUp(_Strict):
    """A question asked after the code. ``key_point``: the question's key point it probes; a
    candidate whose explanation already covered that point is not asked it."""

    text: str = Field(min_length=5)
    key_point: str | None = None


class CodingSpec(_Strict):
    """The ``coding:`` block of a question."""

    entry_point: str = Field(pattern=_IDENT)
    starter: str = Field(min_length=10)
    helpers: str = ""
    visible_tests: list[CodeTest] = Field(min_length=1, max_length=10)
    hidden_tests: list[CodeTest] = Field(min_length=2, max_length=20)
    reference: str = Field(min_length=10)
    time_limit_s: float = Field(default=2.0, gt=0, le=30)
    vectorise: bool = False
    # Inputs the task means to be walked in Python (an iterator of chunks): a loop over them is
    # the task, not a missed vectorisation.
    loop_over: list[str] = Field(default_factory=list)
    scaling: Scaling | None = None
    # The speed the question's text asks for, in its words ("linear time", "O(n log n)"): code
    # failing a hidden test of kind large then misses what was asked however many others pass,
    # and scores at most ``grade.CORE_MISSED_MAX`` as code failing the central case does
    # (walk50: a quadratic answer to "..., in linear time" timed out on large_200k and scored
    # 74, a pass). The question's text must hold it (``bank.Question``).
    pace: str = Field(default="", max_length=40)
    forbidden_imports: list[str] = Field(default_factory=list)
    forbidden_operations: list[Operation] = Field(default_factory=list)
    quality: QualityRubric
    follow_ups: list[CodingFollowUp] = Field(min_length=1, max_length=6)

    def example_helpers(self) -> str:
        """The helpers, when a visible example calls one of them, else "": shown with the
        examples, which cannot be run without them (walk25 read K-Means' examples calling
        make_blobs and same_partition, defined nowhere it could see)."""
        if not self.helpers:
            return ""
        defined = _top_level_functions(_parse(self.helpers, "helpers"))
        calls = {n.func.id for t in self.visible_tests for n in ast.walk(ast.parse(t.code))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}  # fmt: skip
        return self.helpers if defined & calls else ""

    @field_validator("follow_ups", mode="before")
    @classmethod
    def _plain_questions(cls, value):
        """A plain string is a follow-up that probes no key point."""
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CodingSpec:
        names = [t.name for t in self.visible_tests + self.hidden_tests]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"test names must be unique; repeated: {', '.join(dupes)}")
        for what, source in (("starter", self.starter), ("reference", self.reference)):
            if self.entry_point not in _top_level_functions(_parse(source, what)):
                raise ValueError(f"{what} does not define the entry point {self.entry_point}()")
        if self.helpers:
            _parse(self.helpers, "helpers")
        params = parameters(_parse(self.starter, "starter"), self.entry_point)
        if unknown := sorted(set(self.loop_over) - params):
            raise ValueError(f"loop_over names no parameter of {self.entry_point}(): {unknown}")
        if linked := [t.name for t in self.visible_tests if t.checks]:
            raise ValueError(f"only hidden tests check key points; visible: {', '.join(linked)}")
        if said := [t.name for t in self.visible_tests if t.why]:  # (its failure is not graded)
            raise ValueError(f"only hidden tests say why; visible: {', '.join(said)}")
        if central := [t.name for t in self.visible_tests if t.core]:
            raise ValueError(f"only a hidden test is the central case; visible: {central[0]}")
        core = [t for t in self.hidden_tests if t.core]
        if len(core) > 1:
            raise ValueError(f"one central case at most; core: {', '.join(t.name for t in core)}")
        if core and core[0].kind != "basic":
            raise ValueError(f"the central case is a basic test; {core[0].name} is {core[0].kind}")
        if self.pace and not any(t.kind == "large" for t in self.hidden_tests):
            raise ValueError(f"pace {self.pace!r} needs a hidden test of kind 'large' to check it")
        if not any(t.kind == "edge" for t in self.hidden_tests):
            raise ValueError("hidden_tests need at least one test of kind 'edge'")
        used = imported_modules(self.reference)
        banned = sorted(used & set(self.forbidden_imports))
        if banned:
            raise ValueError(f"reference imports forbidden modules: {', '.join(banned)}")
        if used_ops := operations_used(self.reference, self.forbidden_operations):
            raise ValueError(f"reference uses a forbidden operation: {used_ops[0]}")
        return self

    def core(self) -> str:
        """The name of the hidden test that is the question's central case ("" for none)."""
        return next((t.name for t in self.hidden_tests if t.core), "")

    def paced(self) -> list[str]:
        """The hidden tests that check the speed the question asks for (``pace``): its large
        inputs (none when it asks for none)."""
        return [t.name for t in self.hidden_tests if t.kind == "large"] if self.pace else []

    def why(self, name: str) -> str:
        """The ``why`` of the hidden test called ``name`` ("" when it has none)."""
        return next((t.why for t in self.hidden_tests if t.name == name), "")

    def tests(
        self, which: Literal["visible", "hidden", "all", "none"] = "hidden"
    ) -> list[CodeTest]:
        """The tests of one set: visible (shown while coding), hidden (graded), all or none."""
        if which == "none":
            return []
        if which == "visible":
            return list(self.visible_tests)
        if which == "hidden":
            return list(self.hidden_tests)
        return list(self.visible_tests) + list(self.hidden_tests)


def imported_modules(source: str) -> set[str]:
    """Top-level names of every module the source imports (empty when it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {name for name, _ in _imports(tree)}


def _imports(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """(top-level module name, node) for each import: the statements, and a call of
    ``importlib.import_module`` or ``__import__`` with the module's name written out."""
    found: list[tuple[str, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((a.name.split(".")[0], node) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], node))
        elif isinstance(node, ast.Call) and node.args and _called(node) in _IMPORT_CALLS:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
                found.append((first.value.split(".")[0], node))
    return found


_IMPORT_CALLS = frozenset({"import_module", "__import__"})


def _called(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _where(source: str, node: ast.AST, what: str) -> str:
    """``what`` on the node's line, with the code there: "division on line 4: `total // x`"."""
    text = " ".join((ast.get_source_segment(source, node) or "").split())
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{what} on line {node.lineno}" + (f": `{text}`" if text else "")


def imports_used(source: str, modules: list[str] | tuple[str, ...]) -> list[str]:
    """Where ``source`` imports any of ``modules`` ("sklearn on line 1: `from sklearn...`"), one
    per module, in line order; empty when it imports none or does not parse."""
    if not modules:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return []
    first: dict[str, ast.AST] = {}
    for name, node in sorted(_imports(tree), key=lambda x: (x[1].lineno, x[1].col_offset)):
        if name in modules:
            first.setdefault(name, node)
    return [_where(source, node, name) for name, node in first.items()]


# Division in any spelling: the operators, the functions that divide, and a power of -1 (x ** -1
# is 1 / x). A question that says "without division" means all of them.
_DIVIDE_OPS = (ast.Div, ast.FloorDiv)
_DIVIDE_CALLS = frozenset({"divide", "true_divide", "floor_divide", "truediv", "floordiv",
                           "itruediv", "ifloordiv", "reciprocal", "divmod", "__truediv__",
                           "__floordiv__", "__rtruediv__", "__rfloordiv__"})  # fmt: skip


def _negative(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.Constant)
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float) and node.value < 0


def _divides(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp | ast.AugAssign):
        if isinstance(node.op, _DIVIDE_OPS):
            return True
        return isinstance(node.op, ast.Pow) and _negative(
            node.right if isinstance(node, ast.BinOp) else node.value)
    if isinstance(node, ast.Call):
        name = _called(node)
        if name == "pow" and len(node.args) >= 2:
            return _negative(node.args[1])
        if name == "Fraction":  # Fraction(a, b) is a / b
            return len(node.args) + len(node.keywords) >= 2
        return name in _DIVIDE_CALLS
    return isinstance(node, ast.Attribute) and node.attr in _DIVIDE_CALLS


def operations_used(source: str, operations: list[str] | tuple[str, ...]) -> list[str]:
    """Where ``source`` uses any of ``operations`` (each "division on line 4: `total // x`"),
    in line order; empty when it uses none or does not parse. Parsing runs nothing."""
    if "division" not in operations:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return []
    found: dict[int, str] = {}
    for node in ast.walk(tree):
        if _divides(node) and node.lineno not in found:
            found[node.lineno] = _where(source, node, "division")
    return [found[k] for k in sorted(found)]
