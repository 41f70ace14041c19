"""`mock-interview ingest` and `mock-interview search`."""

from __future__ import annotations

import json

from interviewer.cli.common import print_json, whole_number
from interviewer.config import Settings


def register(sub) -> None:
    """Add the ingest and search sub-commands."""
    p = sub.add_parser("ingest", help="ingest guides (.txt, .md, .pdf) into the knowledge base")
    p.add_argument("paths", nargs="*", help="guide files (default: the built-in guide)")
    p.add_argument("--json", action="store_true", help="one JSON object per guide")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("search", help="search the knowledge base")
    p.add_argument("query")
    p.add_argument("-k", type=whole_number(1), default=4, help="number of results (default 4)")
    p.add_argument("--round", choices=["L1", "L2", "general"])
    p.add_argument("--guide", help="only this guide id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)


def cmd_ingest(args, settings: Settings) -> int:
    """Ingest guide files (all validated before any is stored)."""
    from interviewer import knowledge

    results = knowledge.ingest(args.paths or None, settings=settings)
    if not args.paths:  # the built-in guide: the speech recogniser learns its words too
        from interviewer.bank import bank_for
        from interviewer.engine import warm_up
        from interviewer.grading.grader import default_grader
        from interviewer.voice import ensure_builtin_domain_model

        ensure_builtin_domain_model(settings)
        warm_up(default_grader(settings), bank_for(settings), background=False)  # rubric vectors, on disk
    for r in results:
        if args.json:
            print(json.dumps(r.to_dict(), ensure_ascii=False))
        else:
            print(
                f"{r.guide}: {r.added} added, {r.unchanged} unchanged, "
                f"{r.removed} removed, {r.total} chunks"
            )
    return 0


def cmd_search(args, settings: Settings) -> int:
    """Print the chunks closest to a query."""
    from interviewer import knowledge

    knowledge.ensure_builtin(settings=settings)
    hits = knowledge.search(
        args.query, k=args.k, round=args.round, guide=args.guide, settings=settings
    )
    if args.json:
        print_json([h.to_dict() for h in hits])
        return 0
    if not hits:
        print("no results")
    for i, h in enumerate(hits, 1):
        print(f"{i}. [{h.score:.3f}] {h.guide} | {h.section} | {h.round}")
        print("   " + h.text.replace("\n", "\n   "))
    return 0
