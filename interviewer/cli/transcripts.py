"""``mock-interview transcripts``: list, show, export, delete past sessions and track progress."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

from interviewer.bank import TOPICS, topic_label
from interviewer.cli.common import any_case, confirmed, finite_number, print_json
from interviewer.cli.interview import width_of, wrap_text
from interviewer.config import Settings
from interviewer.errors import UsageError
from interviewer.export import EXPORTERS, listed_score, to_markdown
from interviewer.grading.rubric import CRITERIA
from interviewer.markup import answered_said, md_for_terminal, num, plural, when
from interviewer.paths import export_dir, forget_exports
from interviewer.store import Store, open_store


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``transcripts`` and its sub-commands to the top-level sub-parsers."""
    # The summary names every sub-command from HANDLERS (one left out "progress").
    summary = "past sessions: " + ", ".join(HANDLERS)
    parser = subparsers.add_parser("transcripts", help=summary, description=summary + ".")
    sub = parser.add_subparsers(dest="transcripts_command", required=True)

    def with_user(p):
        p.add_argument("--user", help="user id (default: INTERVIEWER_USER, 'local')")
        return p

    p = with_user(sub.add_parser("list", help="list sessions, newest first"))
    p.add_argument("--json", action="store_true")
    rounds = ["L1", "L2", "full"]
    p.add_argument("--round", choices=rounds, type=any_case(*rounds))
    p.add_argument("--since", metavar="YYYY-MM-DD", help="started on or after this day")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="started on or before this day")
    p.add_argument("--min-score", type=finite_number(0, 100), metavar="N",
                   help="mean score at least N (0-100)")  # fmt: skip
    p.add_argument("--max-score", type=finite_number(0, 100), metavar="N",
                   help="mean score at most N (0-100)")  # fmt: skip

    p = with_user(sub.add_parser("show", help="print a session as a Markdown transcript"))
    p.add_argument("id")

    p = with_user(sub.add_parser("export", help="export a session (md, json or html)"))
    p.add_argument("id")
    p.add_argument("--format", choices=sorted(EXPORTERS), required=True)
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")

    p = with_user(sub.add_parser("delete", help="delete a session with its turns and grades"))
    p.add_argument("id")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = with_user(sub.add_parser("progress", help="scores over time, by topic and criterion"))
    p.add_argument("--json", action="store_true")
    parser.set_defaults(handler=cmd_transcripts)
    return parser


def _day(value: str | None, flag: str, *, end: bool = False) -> float | None:
    """Local midnight of a YYYY-MM-DD day as a timestamp (the next midnight when ``end``)."""
    if value is None:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise UsageError(f"{flag} {value!r} is not a date: use YYYY-MM-DD") from None
    if end:
        day += timedelta(days=1)
    return day.timestamp()


def _score(session: dict) -> str:
    """A listed session's score as the app lists it ("46", not "46.0"; "-" when none)."""
    score = listed_score(session)
    return "-" if score is None else num(score)


def _fmt(value, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def cmd_transcripts(args, settings: Settings) -> int:
    """Dispatch ``transcripts <sub-command>``."""
    user = args.user or settings.user
    store = open_store(settings)
    try:
        code = HANDLERS[args.transcripts_command](args, store, user)
    finally:
        store.close()
    if args.transcripts_command == "delete" and code == 0:
        # the app's download files of it too (an app run with these settings serves them)
        forget_exports(export_dir(settings.app_cache_dir), args.id)
    return code


def _list(args, store: Store, user: str) -> int:
    since = _day(args.since, "--since")
    until = _day(args.until, "--until", end=True)
    if since is not None and until is not None and since >= until:
        raise UsageError("--since must not be after --until")
    rows = store.list_sessions(
        user_id=user,
        round=args.round,
        since=since,
        until=until,
        min_score=args.min_score,
        max_score=args.max_score,
    )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no sessions")
        return 0
    # A practice sitting's round is named as `transcripts progress` and the app name it ("L1
    # practice"; a walk-through read "L1" here and "L1 practice" in Progress); --json keeps
    # "round" and has the name as "line".
    width = max(7, *(len(r["line"]) + 2 for r in rows))
    print(f"{'id':<14}{'started':<18}{'round':<{width}}{'mode':<9}{'answered':>10}{'score':>7}"
          "  status")  # fmt: skip
    for r in rows:
        status = r["status"] + (f" ({r['signal']})" if r["signal"] else "")
        print(
            f"{r['id']:<14}{when(r['created_at']):<18}{r['line']:<{width}}{r['mode']:<9}"
            f"{answered_said(r):>10}{_score(r):>7}  {status}"
        )
    return 0


def _show(args, store: Store, user: str) -> int:
    info, turns = store.load_session(args.id, user_id=user)
    text = md_for_terminal(to_markdown(info, turns))
    width = width_of(sys.stdout)  # at a terminal, wrapped at words (0: a pipe, left whole)
    sys.stdout.write(wrap_text(text, width) if width else text)
    return 0


def _export(args, store: Store, user: str) -> int:
    info, turns = store.load_session(args.id, user_id=user)
    text = EXPORTERS[args.format](info, turns)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _delete(args, store: Store, user: str) -> int:
    # Load first so an unknown id fails before any prompt.
    info, turns = store.load_session(args.id, user_id=user)
    prompt = (
        f"Delete session {info.id} ({info.round}, {when(info.created_at)}, "
        f"{plural(len(turns), 'question')})? [y/N] "
    )
    if not confirmed(args.id, prompt, args.yes):
        return 1
    store.delete_session(args.id, user_id=user)
    print(f"deleted {args.id}")
    return 0


def _progress(args, store: Store, user: str) -> int:
    data = store.progress(user_id=user)
    if args.json:
        print_json(data)
        return 0
    if not data["sessions"]:
        print("no graded answers yet")
        return 0
    print(plural(len(data["sessions"]), "graded session"))
    if data["left_out"]:
        print(f"(and {plural(data['left_out'], 'session')} with nothing answered, left out)")
    print()
    print(
        f"{'started':<18}{'round':<21}{'overall':>8}  " + " ".join(f"{c[:5]:>5}" for c in CRITERIA)
        + "  signal"
    )
    for s in data["sessions"]:
        crit = " ".join(f"{_fmt(s['criteria'].get(c), '.2f'):>5}" for c in CRITERIA)
        # A practice sitting (one drilled topic) says so, as in the app's Progress view: a
        # walk-through read "L1 46.0" then "L1 79.0" as improvement from one interview to the next.
        print(f"{when(s['created_at']):<18}{s['line']:<21}{_fmt(s['overall']):>8}  {crit}  "
              f"{s['signal'] or ('still open' if s['open'] else '-')}".rstrip())  # fmt: skip
    print()
    # Topics by the names the app shows (walk17 read "low-label-learning" here and "learning
    # with few labels" in the app); --json keeps the ids.
    print("by topic (mean, questions):")
    for topic, t in sorted(data["by_topic"].items(), key=lambda kv: kv[1]["mean"]):
        print(f"  {topic_label(topic):<32}{_fmt(t['mean']):>7}{t['n']:>5}")
    if data["practice_by_topic"]:
        # each drilled topic apart: the practice rows above join sittings of any topics
        print()
        print("practice by topic (sittings, first -> latest):")
        for topic, points in data["practice_by_topic"].items():
            print(f"  {topic_label(topic):<32}{len(points):>5}  {_fmt(points[0][1])} -> "
                  f"{_fmt(points[-1][1])}")
    if data["weakest_topics"]:
        print()
        print("weakest topics: " + ", ".join(topic_label(t) for t in data["weakest_topics"]))
        print(drill_said(data["weakest_topics"]))
    return 0


def drill_said(weakest: list[str]) -> str:
    """How to drill the weakest topics, under them (walk23: the list ended with no next step):
    `mock-interview practice` of their round, which drills the weakest topics by default, or
    the app's Practice tab."""
    rounds = sorted({TOPICS[t][0] for t in weakest if t in TOPICS}) or ["L1"]
    here = " or ".join(f"`mock-interview practice --round {r}`" for r in rounds)
    return (f"To drill them: {here}, or the app's Practice tab (Topic \"Weakest topics\").")


HANDLERS = {
    "list": _list,
    "show": _show,
    "export": _export,
    "delete": _delete,
    "progress": _progress,
}
