"""Why submitted code is not graded at all: empty, too long, unparsable, the starter code
unchanged, or not defining the function the tests call. Interviews and practice say the same;
parsing runs nothing."""

from __future__ import annotations

import ast

from interviewer.models import MAX_CODE_CHARS

# What the refusals below say of the app's editor and Run button: named, as the terminal, which
# has neither, says each otherwise (``cli.said.TERMINAL_WORDS``).
FIX_AND_SUBMIT = (
    "Fix it and submit again: nothing was graded, and your code is kept (Run shows the same error)"
)
STARTER_NOT_GRADED = "(nothing was graded; Run shows what the examples expect)"


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
        return f"this is the starter code, unchanged: write your solution first {STARTER_NOT_GRADED}"
    if entry_point and not _defines(code, entry_point):
        return (f"the code defines no {entry_point}: the tests call {entry_point}(...), as the "
                "starter names it; name your function so (nothing was graded)")  # fmt: skip
    return None


def _defines(code: str, name: str) -> bool:
    """Does the code (which parses) bind ``name`` at module level, as the tests import it: a
    def, a class, an assignment or an import, also under a module-level if, try, with or loop
    (a method of a class or a function nested in another is not it)."""
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
    """The same program, whatever comments and blank lines were added or docstrings edited
    (both parse): walk25's starter, pasted at a terminal with a blank line of its docstring
    lost, was graded 0 and saved as an attempt."""
    try:
        return _without_docstrings(a) == _without_docstrings(b)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False


def _without_docstrings(code: str) -> str:
    """The dump of ``code``'s syntax tree with every docstring taken out."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):  # fmt: skip
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def unparsable(code: str) -> str | None:
    """Why the code does not parse (naming the line), or None. A typo is fixed and submitted
    again, never graded as a failed solution; parsing runs nothing."""
    try:
        ast.parse(code)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return (
            f"{where}{exc.msg}. {FIX_AND_SUBMIT}"
        )
    except (RecursionError, MemoryError, ValueError) as exc:
        return f"the code cannot be parsed ({type(exc).__name__}): nothing was graded"
    return None
