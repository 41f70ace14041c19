"""Prompt templates, one versioned file per task in ``prompts/``, loaded by name.

The files ship inside the package as ``interviewer.prompts`` and are read through
``importlib.resources``, so a wheel has them too. A file is ``version: N``, a line ``---``, then
the template with ``{variables}``. Rendering with a missing variable fails loudly, naming it;
nothing is sent half-filled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from langchain_core.prompts import PromptTemplate

from interviewer.errors import PromptError


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt template with its name and version."""

    name: str
    version: int
    template: PromptTemplate

    @property
    def variables(self) -> set[str]:
        """The template's variable names."""
        return set(self.template.input_variables)

    def render(self, **values) -> str:
        """The prompt text; PromptError naming any missing variable."""
        missing = self.variables - set(values)
        if missing:
            raise PromptError(f"prompt {self.name!r} needs {', '.join(sorted(missing))}")
        return self.template.format(**{k: values[k] for k in self.variables}).strip()


def prompts_dir():
    """The folder of prompt files inside the installed package."""
    return resources.files("interviewer.prompts")


@lru_cache(maxsize=64)
def load(name: str, directory=None) -> Prompt:
    """The prompt called ``name`` (file ``prompts/NAME.md``)."""
    directory = prompts_dir() if directory is None else directory
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
