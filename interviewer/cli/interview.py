"""`mock-interview interview`: sit a mock interview in the terminal (or from an answers file)."""

from __future__ import annotations

import contextlib
import re
import select
import sys
from pathlib import Path

from interviewer.cli.common import any_case, print_json, read_text, whole_number
from interviewer.cli.said import (
    hints_taken,
    show_command,
    terminal_report,
    terminal_words,
    unbroken,
    warned,
)
from interviewer.coding_answer import HELPERS_SAID, also_asked, libraries_said
from interviewer.config import Settings
from interviewer.errors import UsageError
from interviewer.markup import plain, plural, wrap_words
from interviewer.models import MAX_ANSWER_CHARS, MAX_QUESTIONS
from interviewer.report_render import report_text


def register(sub) -> None:
    """Add the interview sub-command."""
    p = sub.add_parser("interview", help="sit a mock interview in the terminal")
    rounds = ["L1", "L2", "full"]
    # every option says what it does (walk23: --round had no help text, its default unsaid)
    p.add_argument("--round", choices=rounds, type=any_case(*rounds), default="L1",
                   help="L1 (ML fundamentals, Python and a coding question), L2 (system design, "
                   "MLOps, one behavioural question) or full (L1, then L2 if L1 passed); "
                   "default L1")  # fmt: skip
    p.add_argument("--questions", type=whole_number(1, MAX_QUESTIONS), default=3,
                   help=f"questions per round, 1-{MAX_QUESTIONS} (default 3)")  # fmt: skip
    p.add_argument(
        "--feedback",
        choices=["each", "end"],
        type=any_case("each", "end"),
        default="each",
        help="feedback after each answer (practice; the default) or only at the end (real)",
    )
    # At most 1: answering a probe closes the question (a review found 3 accepted and 1 asked).
    p.add_argument("--follow-ups", type=whole_number(0, 1), default=1,
                   help="a follow-up probe on each question (1, the default) or none (0)")  # fmt: skip
    p.add_argument(
        "--no-coding",
        dest="coding",
        action="store_false",
        help="L1 without its coding question (in a terminal, code is sent as a ```python block)",
    )
    modes = ["offline", "llm", "local"]
    p.add_argument("--mode", choices=modes, type=any_case(*modes), help="default: INTERVIEWER_MODE")
    p.add_argument(
        "--answers-file",
        type=Path,
        help="one answer per line (a ``` block, to its closing fence, is one answer); a line "
        "/hint, /repeat, /skip or /end is a command",
    )
    p.add_argument("--json", action="store_true", help="print the final report as JSON")
    p.add_argument(
        "--speak",
        action="store_true",
        help="read the interviewer's words aloud (INTERVIEWER_SPEECH; off by default here)",
    )
    p.add_argument("--resume", metavar="SESSION_ID", help="resume an unfinished session")
    p.add_argument(
        "--seed",
        type=int,
        help="fix question choice: the same seed asks the same "
        "questions for the same history (questions of your last 5 sessions are still "
        "avoided, so a second run differs)",
    )  # a re-walk read it as repeatable as is
    p.add_argument("--user", help="user id (default: INTERVIEWER_USER)")
    p.set_defaults(handler=cmd_interview)


def answers_from(path: Path):
    """The answers file's answers, read now: a file that cannot be read is refused before a
    session is created (a walk-through's missing file left an empty session to resume). One
    answer a line ("\\n" in it a line break), except that a ``` block, from its opening fence
    to its closing one, is one answer with its lines as they are, as at the terminal (a
    walk-through's 9-line code block was sent as nine answers, each an explanation "Noted")."""
    answers: list[str] = []
    block: list[str] | None = None  # the lines of an open ``` block
    for line in read_text(path, "answers file").splitlines():
        fence = line.strip().startswith("```")
        if block is not None:
            block.append(line)
            if fence:
                answers.append("\n".join(block))
                block = None
        elif fence and line.count("```") == 1:  # (```x``` on one line is a line's answer)
            block = [line]
        else:
            answers.append(line.replace("\\n", "\n"))
    if block is not None:  # no closing fence: the block runs to the end of the file
        answers.append("\n".join(block))
    if not any(a.strip() for a in answers):  # (a re-walk's empty file made a session, exit 0)
        raise UsageError(f"{path}: the answers file has no answer (one answer a line)")
    return iter(answers)


def line_editing() -> None:
    """GNU readline for the terminal's answers: line editing, and no line limit. Without it the
    terminal's own line discipline cuts a line at 4095 characters before Python reads it (a
    walk-through pasted 10,080 characters on one line and 4,095 were stored, cut mid-word)."""
    try:
        import readline  # noqa: F401  (importing it is what makes input() use it)
    except ImportError:  # no readline on this platform: input() as it is
        pass


# a note as the terminal's others ("! "; walk50 read it as the only one in brackets)
NOTHING_TYPED = warned("nothing to send yet: type your answer, then an empty line; or /skip")
# An empty line with more input already waiting this long after it is part of a paste, not the
# Enter that sends: nobody types the next key within 50 ms of Enter, and a terminal writes a
# paste at once. (readline here does not turn on bracketed paste, so a paste arrives line by
# line: walk41's two pasted paragraphs went to two questions.)
PASTE_GAP_S = 0.05
# The prompts of an answer's first line and of the lines after it. The second is blank (it was
# ". ", and the empty line that sends an answer read as a stray "." after every answer).
PROMPT, MORE = "> ", "  "


def read_answer(out=None) -> str | None:
    """One answer from the terminal: lines until an empty one (a command or a single line
    starting with / is sent at once; a ``` block runs to its closing fence). A paste keeps its
    empty lines, whether it arrives as one piece with line breaks in it (a terminal's bracketed
    paste) or line by line with the rest already waiting (``input_waiting``). None at Ctrl-D
    with nothing typed (piped input: what was read, at its end); Ctrl-C,
    and Ctrl-D at a terminal, raise KeyboardInterrupt with what was typed as its ``draft``. An
    empty line with nothing typed says so on ``out`` (it was passed over in silence, and a
    walk-through pressed Enter again and again)."""
    lines: list[str] = []
    in_code = False
    while True:
        try:
            chunk = input(PROMPT if not lines else MORE)
        except EOFError:
            if lines and sys.stdin.isatty():  # Ctrl-D in the middle of an answer stops, as
                # Ctrl-C does (a walk-through's half answer was graded); piped input ends there
                stop = KeyboardInterrupt()
                stop.draft = "\n".join(lines)
                raise stop from None
            return "\n".join(lines) if lines else None
        except KeyboardInterrupt:
            stop = KeyboardInterrupt()
            editing = sys.modules.get("readline")  # the line being typed is in its buffer
            current = editing.get_line_buffer() if editing is not None else ""
            stop.draft = "\n".join([*lines, current] if current.strip() else lines)  # not sent
            raise stop from None
        pieces = chunk.split("\n")
        pasted = len(pieces) > 1
        if not lines and not pasted and chunk.strip().startswith("/"):
            return chunk
        for line in pieces:
            if line.strip().startswith("```"):
                in_code = not in_code
            if not line.strip() and not in_code and not pasted:
                if lines and input_waiting():  # the paste goes on after its empty line
                    lines.append(line)
                    continue
                if lines:
                    return "\n".join(lines)
                print(NOTHING_TYPED, file=out or sys.stdout, flush=True)
                continue
            if line.strip() or lines:
                lines.append(line)


def input_waiting(within: float = PASTE_GAP_S) -> bool:
    """Whether the terminal has more input for us within ``within`` seconds (never for piped
    input: its lines are the answers file's, read as they come)."""
    try:
        if not sys.stdin.isatty():
            return False
        return bool(select.select([sys.stdin], [], [], within)[0])
    except (AttributeError, OSError, ValueError):  # a replaced or closed stdin
        return False


@contextlib.contextmanager
def working(said: str, out):
    """``said`` on a line while the model is at work, at a terminal (a walk-through sat a
    minute before a local model's reply with nothing on screen); wiped when it is done. Cut to
    the terminal's width: a line that wrapped left its first row on screen."""
    width = width_of(out)
    said = said[: width - 1] if width else ""
    if said:
        print(said, end="", file=out, flush=True)
    try:
        yield
    finally:
        if said:
            print("\r" + " " * len(said) + "\r", end="", file=out, flush=True)


def width_of(stream) -> int:
    """The width to wrap at: a terminal's (at most 100 columns), or 0 (no wrapping) when the
    output is a pipe or a file."""
    import shutil

    try:
        if not stream.isatty():
            return 0
    except (AttributeError, ValueError):
        return 0
    return min(100, max(40, shutil.get_terminal_size((100, 40)).columns - 1))


def wrap_text(text: str, width: int) -> str:
    """Text wrapped at word boundaries for a terminal (a walk-through read "ML fu / ndamentals"
    where the terminal cut a long line): a bullet's or list item's continuation is indented
    under its text, a quote's under its marker; lines inside a ``` block and a table's rows
    are left as they are. A dash, star or bullet inside a line stays with the word before it,
    so no wrapped line starts like a new item (a re-walk's "|x|^2 - 2x.c + |c|^2" read as a
    bullet "- 2x.c ..." under "Top gaps")."""
    out, in_code = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code or line.lstrip().startswith(("```", "|")) or len(line) <= width:
            out.append(line)  # (a Markdown table's row is left whole: wrapped, it breaks)
            continue
        # a quote's marker starts each of its lines (`transcripts show`: walk41 read its
        # Markdown cut mid-word at the terminal's edge)
        quote, item = re.match(r"(\s*(?:>[ \t]?)*)((?:[-*•]\s+|\d+[.)]\s+)?)", line).groups()
        rest = quote + " " * len(item)
        out += wrap_words(unbroken(line[len(quote + item) :]), width, quote + item, rest)
    return "\n".join(out)


def coding_brief(q, *, practice: bool = False) -> str:
    """What the app's editor and examples show, for a terminal: the starter to complete, the
    example tests, and how to send the code (a walk-through's correct ``invert`` failed every
    test: the terminal never named ``invert_mapping``). The hidden tests run once, on the code
    sent, as the app's Submit runs them: the brief named ``mock-interview code``, which runs them
    on a file as often as one likes, in the middle of an interview."""
    fence = "```"
    tests = "\n".join(t.code.rstrip() for t in q.coding.visible_tests)
    if helpers := q.coding.example_helpers():  # (walk25: K-Means' examples call two of them)
        tests += f"\n{fence}\n\n{HELPERS_SAID}\n\n{fence}python\n{helpers.rstrip()}"
    return (
        f"Complete the starter and send it in a {fence}python block (an empty line after the "
        f"closing {fence} sends it):\n\n{fence}python\n{q.coding.starter.rstrip()}\n{fence}\n\n"
        "Examples (the hidden tests also check edge cases and a large input; the tests run "
        f"with math, numpy as np and pandas as pd imported; {libraries_said()}):\n\n"
        f"{fence}python\n{tests}\n{fence}\n\nYou may write it in your own editor (and run the "
        f"examples there), then paste it here in a {fence}python block. "
        + ("Each block you send runs the hidden tests and is graded and saved; fix it and send "
           "it again as often as you like." if practice else "The code you send is final: the "
           "hidden tests run once, on it (code that does not parse comes back to fix).")
    ) + (f"\n\n{asked}" if (asked := also_asked(
        q, f"write it before the {fence}python block, in the same answer")) else "")  # fmt: skip


def kept_said(interview) -> str:
    """What a resumed session kept: each question answered or skipped before it stopped, with
    its score when feedback comes after each answer; "" when none was."""
    done = [t for t in interview.turns if t.status != "pending"]
    if not done:
        return ""

    def said(t) -> str:
        if t.status == "skipped":
            return "skipped"
        scored = interview.feedback_each and t.grade is not None
        return f"answered, {t.grade.overall}/100" if scored else "answered"

    lines = [f"- {interview.header(t)}: {said(t)}" for t in done]
    return f"Kept from before ({plural(len(done), 'question')}):\n" + "\n".join(lines)


def _speaker(settings: Settings):
    """A function that reads text aloud; after the first failure it says why once and stops."""
    from interviewer.cli.speech import play
    from interviewer.errors import SpeechError
    from interviewer.voice import Voice

    voice, broken = Voice(settings), []

    def speak(text: str) -> None:
        if broken:
            return
        try:
            problem = play(voice.say_wav(plain(text)[:4000]))
        except SpeechError as exc:
            problem = str(exc)
        if problem:
            broken.append(problem)
            print(warned(f"not reading aloud: {problem}"), file=sys.stderr)

    return speak


def over_said(info) -> str:
    """What a resumed finished session says under its report (a walk-through's printed the
    report, then "Type your answer", then exited)."""
    return (f"This interview is over: session {info.id} has nothing left to answer. Start a new "
            f"one with `mock-interview interview --round {info.round}`.")  # fmt: skip


def feedback_pointer(session_id: str, user: str | None = None) -> str:
    """The line under the terminal's report naming where each answer's feedback is (a
    walk-through with feedback at the end never saw its story's missing STAR parts: the report
    has scores and gaps; the app shows every answer's grade beside it, a terminal cannot)."""
    return ("Each answer's feedback (what landed, what was missing and why, each key point): "
            f"{show_command(session_id, user)}")  # fmt: skip


# An over-long answer from a file is echoed to this many characters (walk23: a 20,000-character
# line filled the screen before its one-line refusal).
ECHO_CHARS = 200


def echoed(answer: str) -> str:
    """An answers file's answer as the terminal shows it sent (its further lines indented); one
    over MAX_ANSWER_CHARS, which is refused, only its start, cut, with its length."""
    if len(answer) > MAX_ANSWER_CHARS:
        answer = f"{answer[:ECHO_CHARS]}… (cut here: {len(answer):,} characters in all)"
    return PROMPT + answer.replace("\n", "\n" + MORE)


def cmd_interview(args, settings: Settings) -> int:
    """Sit an interview in the terminal (or from an answers file)."""
    from dataclasses import replace

    from interviewer.bank import bank_for
    from interviewer.engine import MODEL_WORKING, fallback_note
    from interviewer.interview import Interview, InterviewError
    from interviewer.llm.factory import make_engine
    from interviewer.store import open_store

    user = args.user or settings.user
    store = open_store(settings)
    if args.mode:
        settings = replace(settings, mode=args.mode)
    elif args.resume:  # a session resumes as it ran (a walk-through's local session went on
        # offline, silently, from the resume command printed at Ctrl-C)
        info, _ = store.load_session(args.resume, user_id=user)
        settings = replace(settings, mode=info.mode)
    bank = bank_for(settings)
    if settings.mode == "local" and width_of(sys.stderr):
        print("Starting the local model server (up to a minute)…", file=sys.stderr, flush=True)
    engine = make_engine(settings)
    if settings.mode != "offline":  # LLM questions are grounded in the guide's passages
        from interviewer import knowledge

        knowledge.ensure_builtin(settings=settings)
    quiet = args.json
    out = sys.stderr if quiet else sys.stdout

    width = width_of(out)

    def say(text: str, wrap: bool = True) -> None:
        print(f"\n{wrap_text(text, width) if width and wrap else text}", file=out, flush=True)

    source = answers_from(args.answers_file) if args.answers_file else None
    if args.resume:
        interview, reply = Interview.resume(
            store, args.resume, user_id=user, engine=engine, bank=bank
        )
        if kept := kept_said(interview):  # (walk56: nothing said which answers were kept)
            say(plain(kept))
        turn = interview.current
        if interview.phase == "follow_up" and turn is not None:
            # The app rebuilds the chat; a terminal starts empty: the question and the answer
            # the follow-up is about come first (a walk-through saw only the follow-up).
            say(plain(interview.question_said(turn)))
            if turn.answer:
                say(plain(f"Your answer: {turn.answer}"))
            if turn.code is not None:  # the code the follow-up asks about (walk23 saw none)
                code = f"```python\n{turn.code.rstrip()}\n```"
                say(plain(f"Your code, as submitted:\n{code}"))
            if turn.hints:  # paid for, so said again, as at the question (walk23 saw none)
                say(plain(hints_taken(turn.hints)))
    else:
        interview = Interview(
            round=args.round,
            questions=args.questions,
            feedback=args.feedback,
            follow_ups=args.follow_ups,
            coding=args.coding,
            engine=engine,
            bank=bank,
            store=store,
            user_id=user,
            seed=args.seed,
        )
        reply = interview.start()

    speaker = _speaker(settings) if args.speak else None
    named = user if user != settings.user else None  # (--user in the commands printed)

    def terminal(text: str) -> str:
        return terminal_words(text, show_command(interview.info.id, named))

    def show(reply) -> None:
        if note := fallback_note(engine):  # the model failed and offline stood in: say so
            say(warned(note))
        if reply.text.strip():
            say(plain(terminal(reply.text)))
            if speaker is not None:
                speaker(reply.text)
        turn = reply.turn
        if (reply.kind in ("question", "repeat") and turn is not None and turn.kind == "coding"
                and interview.phase == "awaiting_answer"):  # fmt: skip
            say(plain(coding_brief(bank[turn.question_id])))
        if reply.report is not None:
            # laid out to the terminal's width by itself (its columns, its indents)
            report = terminal_report(reply.report, show_command(interview.info.id, named))
            say(report_text(report, width or 100), wrap=False)
            # (wrapped as the chat is: a re-walk's 60 columns cut it "and wh / y")
            say(feedback_pointer(interview.info.id, named))

    def saved() -> str:
        sid = interview.info.id
        return f"Session {sid} is saved; resume with `mock-interview interview --resume {sid}`."

    show(reply)
    source_is_terminal = args.answers_file is None
    if interview.done:  # a finished session resumed: its report, and no prompt to type into
        say(over_said(interview.info))
    else:
        say(f"(session {interview.info.id})")
        if source_is_terminal:
            say("Type your answer; an empty line sends it. /hint, /repeat, /skip, /end are "
                "commands.")  # fmt: skip
            if sys.stdin.isatty():
                line_editing()

    try:
        while not interview.done:
            if source is not None:
                line = next(source, None)
                if line is None:
                    say(f"Answers file ended. {saved()}")
                    break
                if not quiet:  # (an answer's further lines as the terminal shows them)
                    print(echoed(line), file=out)
            else:
                line = read_answer(out)
                if line is None:
                    say(saved())
                    break
            try:
                with working(MODEL_WORKING.get(engine.name, ""), out):
                    reply = interview.answer(line)
            except InterviewError as exc:
                say(warned(terminal(str(exc))))
                continue
            show(reply)
    except KeyboardInterrupt as exc:
        draft = getattr(exc, "draft", "").strip()
        if draft:
            # Not sent, so not saved: shown once more so it can be copied into the resumed
            # session (the app keeps such drafts in the browser; a terminal has only its screen).
            say("Not sent, so not saved. What you had typed:", wrap=False)
            print(draft, file=out, flush=True)
        if source_is_terminal or not interview.done:
            say(f"Interrupted. {saved()}")
        return 130
    if args.json:
        print_json(
            {
                "session": interview.info.id,
                "status": interview.info.status,
                "report": interview.report().model_dump(),
            }
        )
    return 0
