"""Prompt templates, one versioned file per task in ``prompts/``, loaded by name.

A file is ``version: N``, a line ``---``, then the template with ``{variables}``. Rendering with a
missing variable fails loudly, naming it; nothing is sent half-filled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import PromptTemplate

from interviewer.config import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"


class PromptError(ValueError):
    """A prompt file is missing or malformed, or a variable was not supplied."""


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    template: PromptTemplate

    @property
    def variables(self) -> set[str]:
        return set(self.template.input_variables)

    def render(self, **values) -> str:
        """The prompt text; PromptError naming any missing variable."""
        missing = self.variables - set(values)
        if missing:
            raise PromptError(f"prompt {self.name!r} needs {', '.join(sorted(missing))}")
        return self.template.format(**{k: values[k] for k in self.variables}).strip()


@lru_cache(maxsize=64)
def load(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    """The prompt called ``name`` (file ``prompts/NAME.md``)."""
    path = directory / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"no prompt file {path.name} in {directory}")
    head, sep, body = path.read_text(encoding="utf-8").partition("\n---\n")
    m = re.fullmatch(r"version:\s*(\d+)\s*", head)
    if not sep or not m:
        raise PromptError(f"{path.name}: must start with 'version: N' and a '---' line")
    return Prompt(name, int(m.group(1)), PromptTemplate.from_template(body))


def render(name: str, **values) -> str:
    """Load and render in one call."""
    return load(name).render(**values)
