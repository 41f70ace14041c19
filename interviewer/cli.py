"""The ``mock-interview`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from interviewer.config import ConfigError, Settings

COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {}


class UsageError(Exception):
    """Bad input from the user; printed as one line, exit status 2."""


def command(name: str):
    """Register a sub-command handler."""

    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))


@command("ingest")
def cmd_ingest(args, settings: Settings) -> int:
    import knowledge

    results = knowledge.ingest(args.paths or None, settings=settings)
    for r in results:
        if args.json:
            print(json.dumps(r.to_dict(), ensure_ascii=False))
        else:
            print(
                f"{r.guide}: {r.added} added, {r.unchanged} unchanged, "
                f"{r.removed} removed, {r.total} chunks"
            )
    return 0


@command("search")
def cmd_search(args, settings: Settings) -> int:
    import knowledge

    knowledge.ensure_builtin(settings=settings)
    hits = knowledge.search(
        args.query, k=args.k, round=args.round, guide=args.guide, settings=settings
    )
    if args.json:
        _print_json([h.to_dict() for h in hits])
        return 0
    if not hits:
        print("no results")
    for i, h in enumerate(hits, 1):
        print(f"{i}. [{h.score:.3f}] {h.guide} | {h.section} | {h.round}")
        print("   " + h.text.replace("\n", "\n   "))
    return 0


@command("app")
def cmd_app(args, settings: Settings) -> int:
    from interviewer.ui import launch

    launch(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mock-interview",
        description="Mock ML Engineer interviews for Persistent Systems, graded against a rubric.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest guides (.txt, .md, .pdf) into the knowledge base")
    p.add_argument("paths", nargs="*", help="guide files (default: the built-in guide)")
    p.add_argument("--json", action="store_true", help="one JSON object per guide")

    p = sub.add_parser("search", help="search the knowledge base")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=4, help="number of results (default 4)")
    p.add_argument("--round", choices=["L1", "L2", "general"])
    p.add_argument("--guide", help="only this guide id")
    p.add_argument("--json", action="store_true")

    sub.add_parser("app", help="start the web app")

    from interviewer import cli_eval, cli_interview, cli_local, cli_transcripts

    cli_interview.add_parsers(sub)
    cli_eval.add_parser(sub)
    cli_transcripts.add_parser(sub)
    cli_local.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mock-interview`` console script."""
    args = build_parser().parse_args(argv)
    from knowledge import GuideError

    try:
        settings = Settings.from_env()
        if getattr(args, "k", 1) < 1:
            raise UsageError("-k must be at least 1")
        return COMMANDS[args.command](args, settings)
    except (GuideError, ConfigError, UsageError) as exc:
        print(f"mock-interview: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run as `python -m interviewer.cli`: the sub-command modules register themselves in
    # `interviewer.cli`, not in this `__main__` copy, so hand over to the real module.
    from interviewer.cli import main as _main

    sys.exit(_main())
