"""The ``mock-interview`` command line.

Each command module adds its sub-parser and its handler (``set_defaults(handler=...)``); this
module builds the parser from them, runs the handler, and is the one place that turns an error
into one line on stderr (exit status 2) and ends quietly when the reader of stdout has gone
(``mock-interview ... | head``). No other module imports the CLI.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

from interviewer import processes
from interviewer.cli import security
from interviewer.config import Settings
from interviewer.errors import ConfigError, InterviewerError

LOG_FILE = "mock-interview.log"


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, with every sub-command."""
    from interviewer.cli import (
        app,
        coding,
        evals,
        grade,
        interview,
        knowledge,
        local,
        practice,
        speech,
        transcripts,
    )

    parser = argparse.ArgumentParser(
        prog="mock-interview",
        description="Mock ML Engineer interviews for Persistent Systems, graded against a rubric.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=f"show library logs on stderr (default: they go to {LOG_FILE} in the data dir)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (
        knowledge,
        app,
        interview,
        practice,
        grade,
        coding,
        speech,
        evals,
        transcripts,
        local,
        security,
    ):
        module.register(sub)
    return parser


def stderr_is_journal() -> bool:
    """Whether stderr is systemd's journal stream (systemd names it in JOURNAL_STREAM as
    "device:inode" when it connects a service's output to the journal)."""
    named = os.environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return bool(named) and named == f"{st.st_dev}:{st.st_ino}"


def setup_logging(settings: Settings, verbose: bool) -> None:
    """Library logs (and Python warnings) go to the data dir's log file, or to stderr with -v,
    so nothing but the conversation and the results reaches the terminal; under systemd to the
    journal (walk39: a replica's warnings sat in a file in its data dir, and the journal the
    README pointed to had none of them)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "mock_interview", False)]:
        root.removeHandler(old)  # set up by an earlier call in this process
        old.close()
    if verbose or stderr_is_journal():
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        root.setLevel(logging.INFO if verbose else logging.WARNING)
    else:
        path = Path(settings.data_dir) / LOG_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, delay=True, encoding="utf-8")
        except OSError:
            handler = logging.NullHandler()
        root.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.mock_interview = True
    root.addHandler(handler)
    logging.captureWarnings(True)
    if not verbose:
        warnings.simplefilter("default")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mock-interview`` console script."""
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # output still buffered meets a closed pipe here, not at exit
    except BrokenPipeError:
        # The reader of stdout left (`| head -1`): stop quietly, as the Python docs' recipe
        # does (a walk-through's `transcripts list --json | head -1` ended in a traceback).
        # What is still buffered goes to devnull, so the flush at exit cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    # A child we start (the local model server) is stopped whatever signal ends us.
    previous = processes.exit_on_stop_signals()
    security.tolerant_stdin()  # input that is not UTF-8 is refused in one line, not a crash
    try:
        settings = Settings.from_env()
        setup_logging(settings, args.verbose)
        return args.handler(args, settings)
    except InterviewerError as exc:
        print(f"mock-interview: error: {exc}", file=sys.stderr)
        # `app` refused by its own settings exits with EX_CONFIG, which its systemd unit does
        # not restart (RestartPreventExitStatus): a placeholder password restarted every 5 s for
        # ever. An endpoint or model error (a ConfigError's subclass) and anything else is 2.
        return getattr(args, "config_status", 2) if type(exc) is ConfigError else 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        processes.restore_signals(previous)
        close_store_clients()


def close_store_clients() -> None:
    """Close the Chroma server clients the command opened, if it opened any: left to the
    interpreter's exit, each of their sockets printed a ResourceWarning."""
    store = sys.modules.get("interviewer.knowledge.store")
    if store is not None:
        store.close_clients()
