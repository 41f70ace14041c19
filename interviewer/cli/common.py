"""What the command modules share: JSON output and reading the user's files."""

from __future__ import annotations

import json
from pathlib import Path

from interviewer.errors import UsageError


def print_json(obj) -> None:
    """Pretty JSON on stdout, Unicode kept."""
    print(json.dumps(obj, indent=2, ensure_ascii=False))


def read_text(path: Path, what: str) -> str:
    """A UTF-8 file the user named; UsageError naming the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = READ_ERRORS.get(type(exc), exc.__class__.__name__)
        raise UsageError(f"{path}: cannot read {what} ({why})") from None


# Why a file cannot be read, in words ("(FileNotFoundError)" read as jargon in a re-walk).
READ_ERRORS = {
    FileNotFoundError: "no such file",
    IsADirectoryError: "it is a folder, not a file",
    PermissionError: "permission denied",
    UnicodeDecodeError: "not UTF-8 text",
}
