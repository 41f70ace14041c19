"""The package's layers, as the tree shows them: a module imports only from its own layer's
siblings it is allowed to and from the layers below it, never from one above.

import-linter cannot see ``interviewer.knowledge`` (it ships from the top-level ``knowledge/``
folder through setuptools' package-dir), so the imports are read here with ``ast``; lazy
imports inside functions count, imports under ``if TYPE_CHECKING:`` do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import ROOT

# Outermost first. Modules in one row are independent of each other unless the row is marked
# as one layer whose members may import each other (the package's own subpackages).
LAYERS: list[set[str]] = [
    {"__main__"},
    {"cli"},
    {"ui"},
    {"evaluation"},
    {"llm"},
    {"interview", "practice"},
    {"coding_turns", "resume"},
    {"probes", "regrade", "reply"},
    {"report_render"},
    {"engine", "export", "report", "store", "voice"},
    {"chat_feedback"},
    {"coding_answer", "code_checks"},
    {"neighbours"},
    {"policy"},
    {"bank", "models", "knowledge"},
    {"grading", "coding", "speech"},
    {"config", "markup", "tokens", "processes", "paths"},
    {"errors"},
]
SOURCES = {"knowledge": ROOT / "knowledge", "prompts": ROOT / "prompts"}


def _unit(dotted: str) -> str | None:
    """The layer unit of an ``interviewer.*`` module name (its first component)."""
    parts = dotted.split(".")
    if parts[0] != "interviewer" or len(parts) < 2:
        return None
    return parts[1]


def _rank(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            if node.module == "interviewer":  # from interviewer import knowledge
                out += [(node.lineno, f"interviewer.{a.name}") for a in node.names]
    return out


def _modules():
    for path in sorted((ROOT / "interviewer").rglob("*.py")):
        rel = path.relative_to(ROOT / "interviewer").with_suffix("")
        yield rel.parts[0], path
    for unit, folder in SOURCES.items():
        for path in sorted(folder.rglob("*.py")):
            yield unit, path


@pytest.mark.parametrize("unit, path", list(_modules()), ids=lambda x: str(x)[-50:])
def test_a_module_imports_only_from_lower_layers(unit, path):
    if unit in ("__init__", "prompts"):  # the package's docstring; prompt files only
        return
    mine = _rank(unit)
    wrong = []
    for line, name in _imports(path):
        other = _unit(name)
        if other is None or other == unit or other == "prompts":
            continue
        if other not in {u for layer in LAYERS for u in layer}:
            wrong.append(f"{line}: {name} (not in any layer)")
        elif _rank(other) <= mine:
            wrong.append(f"{line}: {name}")
    assert not wrong, f"{path.relative_to(ROOT)} imports from its own layer or above: {wrong}"


def test_every_unit_of_the_package_has_a_layer():
    units = {unit for unit, _ in _modules()} - {"__init__"}
    placed = {u for layer in LAYERS for u in layer} | {"prompts"}
    assert units <= placed, units - placed
