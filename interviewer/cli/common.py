"""What the command modules share: JSON output, the user's files, and numeric options."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from interviewer.errors import UsageError
from interviewer.markup import num


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


def check_writable(path: Path, what: str) -> None:
    """UsageError naming ``path`` when ``what`` could not be written there, checked before the
    work that makes it (a walk-through's `grade --output` into a missing folder graded every
    answer, then died in a traceback). Creates nothing; an existing file is left as it is."""
    folder = path.resolve().parent  # a symlink is written where it points
    if path.is_dir():
        why = "it is a folder, not a file"
    elif not folder.is_dir():
        why = f"no such folder: {folder}" if not folder.exists() else f"{folder} is not a folder"
    elif not os.access(path if path.exists() else folder, os.W_OK):
        why = "permission denied"
    else:
        return
    raise UsageError(f"{path}: cannot write {what} ({why})")


def _scale(low, high) -> str:
    if low is not None and high is not None:
        return f" from {num(low)} to {num(high)}"
    if low is not None:
        return f" (at least {num(low)})"
    return f" (at most {num(high)})" if high is not None else ""


def whole_number(low: int, high: int | None = None):
    """An argparse ``type``: a whole number in ``low..high`` (no top when ``high`` is None),
    refused in argparse's one line otherwise (a walk-through's ``--follow-ups -3`` was taken)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(
                f"must be a whole number{_scale(low, high)}, not {text!r}"
            )
        return value

    return parse


def any_case(*names: str):
    """An argparse ``type`` for an option with ``choices=names``: the choice in any case
    ("l1" is L1; a walk-through's `--round l1` was refused), given as its canonical spelling.
    Anything else is passed on as typed, for argparse's "invalid choice" line that lists them."""
    canonical = {name.casefold(): name for name in names}

    def parse(text: str) -> str:
        return canonical.get(text.strip().casefold(), text)

    return parse


def finite_number(low: float | None = None, high: float | None = None):
    """An argparse ``type``: a finite number, in ``low..high`` where given (``float`` alone
    takes "nan", which then passes every range check made with it)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if (not math.isfinite(value) or (low is not None and value < low)
                or (high is not None and value > high)):  # fmt: skip
            raise argparse.ArgumentTypeError(f"must be a number{_scale(low, high)}, not {text!r}")
        return value

    return parse


def confirmed(what: str, prompt: str, yes: bool) -> bool:
    """Whether deleting ``what`` is confirmed: ``--yes`` (``yes``), or "y" typed at ``prompt``
    on a terminal. Without a terminal and without ``--yes`` nothing is asked: a usage error."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"not deleting {what!r} without confirmation: pass --yes")
    try:
        said = input(prompt)
    except EOFError:  # Ctrl-D: a no (it ended in a traceback, walk41)
        said = ""
        print()
    except KeyboardInterrupt:  # Ctrl-C: stop, on a line of its own (not after the prompt)
        print()
        raise
    if said.strip().lower() in ("y", "yes"):
        return True
    print("Not deleted.")
    return False
