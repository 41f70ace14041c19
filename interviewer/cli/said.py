"""What the terminal says where it cannot say what the app says: commands kept unbroken by
wrapping, "! " notes with a capital, the words shared with the app that name what only the app
has (a Run button, an editor that keeps the code, a model answer on screen), and the report's
stopped test said once. Findings of walk23; the shared texts stay as the app shows them."""

from __future__ import annotations

import re

from interviewer.code_checks import FIX_AND_SUBMIT, STARTER_NOT_GRADED
from interviewer.grading.rubric import JUDGEMENT_UNREAD
from interviewer.markup import AS_ABOVE
from interviewer.reply import HINT_PENALTY


def unbroken(text: str) -> str:
    """``text`` with the spaces of each `inline code` span no-break spaces, which
    ``wrap_words`` never breaks at and prints as spaces: a command is wrapped around, never
    inside (walk23 copied "mock-interview interview --resume" with the session id on the next
    line, a broken command)."""
    return re.sub(r"`[^`\n]+`", lambda m: m.group(0).replace(" ", "\u00a0"), text)


def show_command(session_id: str, user: str | None = None) -> str:
    """The command that prints a session's transcript (``--user`` when one was given)."""
    who = f" --user {user}" if user else ""
    return f"mock-interview transcripts show {session_id}{who}"


def warned(text) -> str:
    """A note or a refusal as the terminal prints it: "! " and a capital letter (walk23 read
    "! line 1: expected ':'" and "! answer is 20,000 characters", where the texts the engine
    shares with the app start lower-case to follow a label or a colon)."""
    text = str(text)
    return f"! {text[:1].upper()}{text[1:]}"


# What the texts shared with the app say of what only the app has (walk23): the terminal has no
# Run button and no editor that keeps the code (it is pasted again), and no model answer on
# screen (`transcripts show` prints it). Each is said as it is true at the terminal.
TERMINAL_WORDS = {
    FIX_AND_SUBMIT: "Fix it and paste the whole ```python block again (nothing was recorded)",
    STARTER_NOT_GRADED: "(nothing was graded; the examples under the question show what it "
    "should do, and /repeat prints them again)",
}


def terminal_words(text: str, show: str) -> str:
    """``text`` (a reply, a refusal, the report's note) as true at the terminal: TERMINAL_WORDS,
    and a story's caveat pointing to ``show``, the command that prints its model answer."""
    for app_said, said in TERMINAL_WORDS.items():
        text = text.replace(app_said, said)
    if JUDGEMENT_UNREAD in text:
        caveat = JUDGEMENT_UNREAD.rsplit(": ", 1)[0]  # (its last clause names the model answer)
        text = text.replace(JUDGEMENT_UNREAD, f"{caveat}: check your story against its model "
                            f"answer, which `{show}` prints.")  # fmt: skip
    return text


def hints_taken(hints: list[str]) -> str:
    """The hints taken on a question, for a terminal that resumes it at its follow-up (walk23:
    they were paid for and not shown)."""
    said = "\n".join(f"• {h}" for h in hints)
    return f"Hints taken: {len(hints)} ({HINT_PENALTY} points off each):\n{said}"


# The run's error line when a test was stopped for time or memory (``coding.grade``): "5 of 6
# hidden tests passed; test large_200k was too slow: timed out ...".
_STOPPED_IN = re.compile(r"; test (\S+) (?:was too slow|ran out of memory): (.+)$", re.S)


def said_once(q):
    """A report's question whose stopped test's error is said once, on its "failed" line (walk23
    read it on the tests line, then "failed large_200k (a large input): same error as above")."""
    m = _STOPPED_IN.search(q.tests)
    if m is None or m.group(1) not in {f["name"] for f in q.failed_tests}:
        return q
    failed = [dict(f, error=m.group(2)) if f["name"] == m.group(1) and f["error"] == AS_ABOVE
              else f for f in q.failed_tests]  # fmt: skip
    return q.model_copy(update={"tests": q.tests[: m.start()], "failed_tests": failed})


def terminal_report(report, show: str):
    """The report as the terminal prints it: its note's words true there (``terminal_words``),
    its commands unbroken (``unbroken``), each stopped test's error said once."""
    return report.model_copy(update={
        "note": unbroken(terminal_words(report.note, show)),
        "questions": [said_once(q) for q in report.questions],
    })  # fmt: skip
