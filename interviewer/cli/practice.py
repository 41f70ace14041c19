"""`mock-interview practice`: drill one round and topic in the terminal, as the app's Practice tab
does: a question at a time, graded at once, with the model answer; every graded answer is saved
in a practice session (Transcripts and Progress show it)."""

from __future__ import annotations

import contextlib
import random
import signal
import sys
import threading
from pathlib import Path

from interviewer.bank import TOPICS, topic_label
from interviewer.cli.common import any_case, whole_number
from interviewer.cli.interview import (
    answers_from,
    coding_brief,
    echoed,
    line_editing,
    read_answer,
    width_of,
    working,
    wrap_text,
)
from interviewer.cli.said import show_command, terminal_words, warned
from interviewer.config import Settings
from interviewer.errors import UsageError
from interviewer.markup import answer_md, md_code, md_for_terminal, plain, plural
from interviewer.models import half_up

COMMANDS = ("/skip", "/repeat", "/end")
MAX_PRACTICE = 50


def register(sub) -> None:
    """Add the practice sub-command."""
    p = sub.add_parser(
        "practice",
        help="drill one round and topic, each answer graded at once with its model answer",
    )
    rounds = ["L1", "L2"]
    p.add_argument("--round", choices=rounds, type=any_case(*rounds), default=None,
                   help="the round whose questions are drilled (default: the --question's "
                   "round, else L1)")  # fmt: skip
    p.add_argument("--topic", default="weakest",
                   help="a topic's id or name (`mock-interview practice --topics` lists them), or "
                   "weakest (the default): your weakest topics of the round, from your "
                   "graded answers")  # fmt: skip
    p.add_argument("--topics", action="store_true", help="list the round's topics and exit")
    p.add_argument("--question", metavar="QUESTION_ID",
                   help="start with this bank question (its id, as `transcripts show` and the "
                   "exports name it)")  # fmt: skip
    p.add_argument("--questions", type=whole_number(1, MAX_PRACTICE), default=5,
                   help=f"stop after this many graded answers, 1-{MAX_PRACTICE} (default 5)")  # fmt: skip
    modes = ["offline", "llm", "local"]
    p.add_argument("--mode", choices=modes, type=any_case(*modes), help="default: INTERVIEWER_MODE")
    p.add_argument("--answers-file", type=Path,
                   help="one answer per line (a ``` block, to its closing fence, is one answer); "
                   "a line /skip, /repeat or /end is a command")  # fmt: skip
    p.add_argument("--seed", type=int, help="fix which questions are picked")
    p.add_argument("--user", help="user id (default: INTERVIEWER_USER)")
    p.set_defaults(handler=cmd_practice)


def topic_of(round_name: str, given: str) -> str:
    """The topic id ``given`` names in this round (its id or its name, in any case), or
    "weakest"; UsageError listing the round's topics otherwise."""
    from interviewer.practice import WEAKEST

    wanted = given.strip().lower().replace("_", "-")
    if wanted in (WEAKEST, "weakest topics"):
        return WEAKEST
    ours = [t for t, (rn, _) in TOPICS.items() if rn == round_name]
    for t in ours:
        if wanted in (t, topic_label(t).lower(), topic_label(t).lower().replace(" ", "-")):
            return t
    other = next((t for t, (rn, _) in TOPICS.items() if wanted in (t, topic_label(t).lower())),
                 None)  # fmt: skip
    where = f"; {other} is an {TOPICS[other][0]} topic" if other else ""
    raise UsageError(f"no {round_name} topic {given!r}{where}. {round_name} topics: "
                     + ", ".join(ours) + ", or weakest")  # fmt: skip


def topics_said(round_name: str) -> str:
    """The round's topics, one a line: id, then the name the app shows."""
    return "\n".join(f"{t:<32}{topic_label(t)}" for t, (rn, _) in TOPICS.items()
                     if rn == round_name)  # fmt: skip


def question_said(q, n: int) -> str:
    """A practice question as the terminal asks it: its number, topic and kind, then its text."""
    kind = ", coding" if q.kind == "coding" else ""
    return f"Question {n} ({q.round}, {topic_label(q.topic)}{kind}): {q.text}"


def cmd_practice(args, settings: Settings) -> int:
    """Drill questions in the terminal, each graded at once and saved."""
    from dataclasses import replace

    from interviewer import practice
    from interviewer.bank import bank_for
    from interviewer.chat_feedback import failed_told, feedback_text
    from interviewer.cli.coding import failed_lines
    from interviewer.coding_turns import split_code
    from interviewer.engine import MODEL_WORKING, fallback_note
    from interviewer.llm.factory import make_engine
    from interviewer.store import open_store

    if args.topics:
        print(topics_said(args.round or "L1"))
        return 0
    if args.mode:
        settings = replace(settings, mode=args.mode)
    bank = bank_for(settings)
    first = None
    if args.question:
        first = bank.get(args.question)
        if first is None:
            raise UsageError(f"no bank question {args.question!r}: `mock-interview questions` "
                             "lists their ids")  # fmt: skip
        if args.round not in (None, first.round):  # (walk50 read "no L2 bank question")
            raise UsageError(f"{args.question} is an {first.round} question: leave out --round, "
                             f"or give --round {first.round}")  # fmt: skip
    args.round = args.round or (first.round if first else "L1")
    topic = topic_of(args.round, args.topic)
    source = answers_from(args.answers_file) if args.answers_file else None
    user = args.user or settings.user
    store = open_store(settings)
    engine = make_engine(settings)
    rng = random.Random(args.seed) if args.seed is not None else None
    out = sys.stdout
    width = width_of(out)

    def say(text: str) -> None:
        print(f"\n{wrap_text(text, width) if width else text}", file=out, flush=True)

    named = f"topic {topic_label(topic)}" if topic != practice.WEAKEST else "your weakest topics"
    # what was asked for: with --question, that question first (then the topic's, if more)
    asked = named if first is None else f"question {first.id}" + (
        f", then {named}" if args.questions > 1 else "")  # fmt: skip
    say(f"Practice, {args.round}, {asked}: a question at a time, graded at once, with its model "
        "answer; each graded answer is saved. An empty line sends an answer; /skip asks another "
        "question, /repeat the question again, /end stops.")  # fmt: skip
    if source is None and sys.stdin.isatty():
        line_editing()
    session_id, scores, shown = None, [], set()
    named_user = user if user != settings.user else None  # (--user in the commands printed)

    def next_question(previous):
        if first is not None and not shown:
            return first, ""
        weakest = store.progress(user_id=user)["weak_topics"]  # (this drill's grades too)
        recent = store.recent_question_ids(user_id=user) | shown
        return practice.pick_question(bank, args.round, topic, weakest,
                                      previous.id if previous else None, recent, rng)  # fmt: skip

    def ended(why: str) -> int:
        if session_id is None:
            say(f"{why} Nothing was graded, so nothing was saved.")
            return 0
        mean = half_up(sum(scores) / len(scores))  # as `transcripts list` (walk50: 42 and 43)
        show = show_command(session_id, named_user)
        say(f"{why} {plural(len(scores), 'answer')} graded and saved (mean {mean}/100) in practice "
            f"session {session_id}; `{show}` prints each with its feedback, and `mock-interview "
            "transcripts progress` your scores over time.")  # fmt: skip
        return 0

    q = None
    try:
        # questions finished (graded with its model answer shown): a coding attempt that fails
        # hidden tests is fixed and sent again, and does not use up one of --questions (walk31:
        # with --questions 1 the drill ended right after "send it again as often as you like")
        finished = 0
        while finished < args.questions:
            q, note = next_question(q)
            if q is None:
                return ended(f"No {args.round} question for {named}.")
            shown.add(q.id)
            if note:
                say(note)
            say(plain(question_said(q, len(shown))))
            if q.kind == "coding":
                say(plain(coding_brief(q, practice=True)))
            while True:  # until this question is graded, skipped or the drill ends
                if source is not None:
                    line = next(source, None)
                    if line is not None:
                        print(echoed(line), file=out)
                else:
                    line = read_answer(out)
                command = (line or "").strip().lower()
                if line is None or command == "/end":
                    return ended("Practice ended." if line else "No more answers.")
                if command == "/repeat":
                    say(plain(question_said(q, len(shown))))
                    continue
                if command == "/skip":
                    break
                if command.startswith("/") and "\n" not in command:
                    say(warned(f"unknown command {command}; use one of: {', '.join(COMMANDS)}"))
                    continue
                code, words = split_code(line) if q.kind == "coding" else (None, line)
                if q.kind == "coding" and code is None:
                    say(warned("send your code in a ```python block (the starter above shows "
                               "how); the words beside it are graded as its explanation"))  # fmt: skip
                    continue
                if problem := practice.not_gradable(q, words or "", code or ""):
                    say(warned(terminal_words(problem, "")))
                    continue
                with saved_first(out), working(MODEL_WORKING.get(engine.name, "Grading…"), out):
                    got = practice.grade_answer(
                        engine, q, words or "", code or "", settings=settings,
                        seen=lambda qid=q.id: store.question_seen(user_id=user, question_id=qid),
                    )  # fmt: skip
                    session_id = practice.record_answer(
                        store, user_id=user, question=q, answer=words or "", grade=got.grade,
                        engine=engine, usage=got.usage, session_id=session_id,
                        code=code, code_result=got.code_result, bank=bank,
                    )  # fmt: skip
                    scores.append(got.grade.overall)  # (with it: a Ctrl-C counts it as saved)
                if fell := fallback_note(engine):
                    say(warned(fell))
                say(plain(feedback_text(q, got.grade, got.code_result, others_below=True)))
                result = got.code_result or {}
                if len(failed := result.get("failed") or []) > 1:
                    # the failed tests the feedback does not name, each with its why, as the
                    # app's Practice panel lists them: there is no report to find them in
                    told = failed_told(result)
                    # (under a heading of their own: walk30 read the first one, indented, as
                    # part of the feedback's last "Landed" bullet)
                    others = [(f["name"], f["kind"], f["error"])
                              for i, f in enumerate(failed) if i != told]  # fmt: skip
                    tests = "test" if len(others) == 1 else "tests"
                    say(plain("\n".join([f"The other hidden {tests} your code failed:",
                                         *failed_lines(q, others)])))  # fmt: skip
                if result.get("passed", 0) < result.get("total", 0):
                    # held back while hidden tests fail, as the app folds them: fix, send again
                    show = show_command(session_id, named_user)
                    # (the transcript has the model answer, not the reference solution:
                    # walk27 read "prints them" and found only the one)
                    # (walk30 read "held back ... (`show` prints the model answer)" as a
                    # contradiction: it is held back here so the fix is your own)
                    say(f"The reference solution and the model answer are held back while "
                        f"hidden tests fail, so the fix is your own; to read the model answer "
                        f"now instead, `{show}` prints it.")  # fmt: skip
                    say("Fix the code and send the whole ```python block again, /skip for the "
                        "next question, or /end.")  # fmt: skip
                    continue
                finished += 1
                if q.kind == "coding":
                    say(plain(f"A reference solution:\n{md_code(q.coding.reference)}"))
                # (its prose flowing, as in the app: the bank's hard wraps broke walk25's lines
                # mid-sentence)
                say(md_for_terminal(f"Model answer: {answer_md(q.model_answer, flow=True)}"))
                break
        return ended("Done:")
    except KeyboardInterrupt as exc:
        if draft := getattr(exc, "draft", "").strip():  # (read_answer: typed, not sent)
            say("Not sent, so not saved. What you had typed:")
            print(draft, file=out, flush=True)
        ended("Interrupted.")
        return 130


# What a first Ctrl-C while an answer is graded says: it stops once the answer is saved (walk50:
# Ctrl-C a second after sending lost the answer, "Nothing was graded, so nothing was saved.")
SAVED_FIRST = ("Stopping once this answer is graded and saved; press Ctrl-C again to stop now, "
               "without it.")


@contextlib.contextmanager
def saved_first(out):
    """Ctrl-C inside the block (grading an answer and saving it) stops after it: the first
    says so (``SAVED_FIRST``) and the block runs on, then ``KeyboardInterrupt`` is raised; a
    second raises at once. The sandbox and a model server run in sessions of their own, so the
    terminal's Ctrl-C does not reach them. Only the main thread may set the handler: elsewhere
    the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    asked = []

    def later(_signum, _frame):
        if asked:
            raise KeyboardInterrupt
        asked.append(True)
        print(f"\n{SAVED_FIRST}", file=out, flush=True)

    previous = signal.signal(signal.SIGINT, later)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if asked:
        raise KeyboardInterrupt

