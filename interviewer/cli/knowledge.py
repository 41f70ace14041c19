"""`mock-interview ingest`, `search` and `guides` (list and delete the guides in the store)."""

from __future__ import annotations

import json
import unicodedata

from interviewer.cli.common import any_case, confirmed, print_json, whole_number
from interviewer.config import Settings
from interviewer.errors import UsageError
from interviewer.markup import plural

KNOWN_SHOWN = 12  # guide ids an unknown-id error names before "and N more"


def register(sub) -> None:
    """Add the ingest, search and guides sub-commands."""
    p = sub.add_parser("ingest", help="ingest guides (.txt, .md, .pdf) into the knowledge base")
    p.add_argument("paths", nargs="*", help="guide files (default: the built-in guide)")
    p.add_argument("--json", action="store_true", help="one JSON object per guide")
    p.add_argument(
        "--id",
        metavar="NAME",
        dest="guide_id",
        type=typed_id,
        help="the guide's id: lowercase letters (of any script), digits and hyphens (one file "
        "only; default: the file name as such a slug)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace a guide of the same id that another file made",
    )
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("search", help="search the knowledge base")
    p.add_argument("query")
    p.add_argument("-k", type=whole_number(1), default=4, help="number of results (default 4)")
    rounds = ["L1", "L2", "general"]
    p.add_argument("--round", choices=rounds, type=any_case(*rounds))
    p.add_argument("--guide", type=typed_id, help="only this guide id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)

    summary = "the guides in the knowledge base: list, delete"
    parser = sub.add_parser("guides", help=summary, description=summary + ".")
    guides = parser.add_subparsers(dest="guides_command", required=True)
    p = guides.add_parser("list", help="every guide: id, file, chunks and sections")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_guides_list)
    p = guides.add_parser(
        "delete", aliases=["remove"], help="delete a guide (not the built-in one) by id"
    )
    p.add_argument("id", type=typed_id)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=cmd_guides_delete)


def typed_id(text: str) -> str:
    """A guide id as typed: NFKC-normalised, as ids are (a terminal may send "é" as "e" and
    a combining accent, and a guide's id holds it composed)."""
    return unicodedata.normalize("NFKC", text)


def cmd_ingest(args, settings: Settings) -> int:
    """Ingest guide files (all validated before any is stored)."""
    from interviewer import knowledge
    from interviewer.knowledge.files import id_slug

    if not args.paths and (args.guide_id or args.replace):
        raise UsageError("--id and --replace need a guide file (the built-in guide has its own)")
    if args.guide_id is not None:
        if len(args.paths) != 1:
            raise UsageError("--id names one guide: give exactly one file with it")
        if id_slug(args.guide_id) != args.guide_id:
            suggestion = id_slug(args.guide_id) or "notes"
            raise UsageError(
                f"--id {args.guide_id!r}: use lowercase letters, digits and hyphens "
                f"(for example {suggestion!r})"
            )
    results = knowledge.ingest(
        args.paths or None, settings=settings, as_id=args.guide_id, replace=args.replace
    )
    if not args.paths:  # the built-in guide: the speech recogniser learns its words too
        from interviewer.bank import bank_for
        from interviewer.engine import warm_up
        from interviewer.grading.grader import default_grader
        from interviewer.voice import ensure_builtin_domain_model

        ensure_builtin_domain_model(settings)
        # rubric vectors, on disk
        warm_up(default_grader(settings), bank_for(settings), background=False)
    for r in results:
        if args.json:
            print(json.dumps(r.to_dict(), ensure_ascii=False))
        else:
            print(
                f"{r.guide}: {r.added} added, {r.unchanged} unchanged, "
                f"{r.removed} removed, {plural(r.total, 'chunk')}"
            )
            if r.encoding == "windows-1252":
                print(
                    f"{r.guide}: read as Windows-1252 (Western European), not UTF-8; if its "
                    "accents look wrong in `mock-interview search`, save the file as UTF-8 "
                    "and ingest it again"
                )
    return 0


def _known(guides: list[dict]) -> str:
    ids = [g["guide"] for g in guides]
    if not ids:
        return "the knowledge base holds no guide yet"
    more = f" and {len(ids) - KNOWN_SHOWN} more" if len(ids) > KNOWN_SHOWN else ""
    return "known guides: " + ", ".join(ids[:KNOWN_SHOWN]) + more


def _unknown(guide: str, settings: Settings) -> UsageError:
    """The error for a guide id the store does not hold, naming the ones it does."""
    from interviewer import knowledge

    known = _known(knowledge.list_guides(settings=settings))
    return UsageError(f"no guide {guide!r}; {known} (see `mock-interview guides list`)")


def cmd_search(args, settings: Settings) -> int:
    """Print the chunks closest to a query."""
    from interviewer import knowledge

    knowledge.ensure_builtin(settings=settings)
    if args.guide is not None and not _guide_exists(args.guide, settings):
        raise _unknown(args.guide, settings)
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


def _guide_exists(guide: str, settings: Settings) -> bool:
    from interviewer.knowledge.store import vectorstore

    return bool(vectorstore(settings).get(where={"guide": guide}, limit=1, include=[])["ids"])


def _kind(g: dict) -> str:
    from interviewer import knowledge

    if g["guide"] == knowledge.BUILTIN_GUIDE_ID:
        return "built-in"
    return "upload" if g["owner"] or "/" in g["guide"] else "shared"


def _file_said(g: dict) -> str:
    """Where a listed guide came from, in words."""
    kind = _kind(g)
    if kind == "built-in":
        return f"{g['source'] or 'the built-in guide'} (built-in)"
    if kind == "upload":
        return f"{g['source'] or '?'} (uploaded in the app by {g['guide'].split('/', 1)[0]})"
    return g["source_path"] or g["source"] or "? (ingested before file names were recorded)"


def cmd_guides_list(args, settings: Settings) -> int:
    """List the guides in the store: id, chunks, sections and the file each came from."""
    from interviewer import knowledge

    guides = knowledge.list_guides(settings=settings)
    if args.json:
        print_json(
            [
                {
                    "guide": g["guide"],
                    "kind": _kind(g),
                    "source": g["source"] or None,
                    "source_path": g["source_path"] or None,
                    "chunks": g["chunks"],
                    "sections": len(g["sections"]),
                }
                for g in guides
            ]
        )
        return 0
    if not guides:
        print(
            "no guides yet: `mock-interview ingest` builds the built-in one (so do `search` "
            "and the app at start)"
        )
        return 0
    width = max(len("guide"), *(_columns(g["guide"]) for g in guides)) + 2
    print(f"{'guide':<{width}}{'chunks':>7}{'sections':>10}  file")
    for g in guides:
        pad = " " * (width - _columns(g["guide"]))
        print(f"{g['guide']}{pad}{g['chunks']:>7}{len(g['sections']):>10}  {_file_said(g)}")
    return 0


def _columns(text: str) -> int:
    """The terminal columns ``text`` takes: a wide (CJK) character takes two, a combining mark
    none (a re-walk's `guides list` padded 日本語 by characters, and its columns slid)."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF"
               else 1 for c in text)  # fmt: skip


def cmd_guides_delete(args, settings: Settings) -> int:
    """Delete one guide's chunks, after confirmation (or --yes)."""
    from interviewer import knowledge

    if args.id == knowledge.BUILTIN_GUIDE_ID:
        raise UsageError(
            f"{args.id!r} is the built-in guide: it cannot be deleted (the app and "
            "`mock-interview ingest` build it again at every start, and offline interviews ask "
            "from its question bank); delete only guides you ingested"
        )
    guides = knowledge.list_guides(settings=settings)
    info = next((g for g in guides if g["guide"] == args.id), None)
    if info is None:  # before any prompt
        known = _known(guides)
        raise UsageError(f"no guide {args.id!r}; {known} (see `mock-interview guides list`)")
    shared = "; every user of the app has it" if _kind(info) == "shared" else ""
    prompt = (
        f"Delete guide {args.id} ({_file_said(info)}; {plural(info['chunks'], 'chunk')} in "
        f"{plural(len(info['sections']), 'section')}{shared})? [y/N] "
    )
    if not confirmed(args.id, prompt, args.yes):
        return 1
    removed = knowledge.delete_guide(args.id, settings=settings)
    print(f"deleted guide {args.id} ({plural(removed, 'chunk')})")
    return 0
