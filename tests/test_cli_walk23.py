"""What walk23 found at the terminal: commands broken by wrapping, words about what only the app
has, no next step under the weakest topics, a resumed follow-up without its code and hints, a
stopped test's error said twice, an over-long answer echoed in full, an error naming an
exception class, an option without help, and "! " messages starting lower-case. Driven through
the CLI's main() with a real data dir (SQLite store, offline grader, sandbox)."""

from __future__ import annotations

import re

import pytest

from interviewer.bank import default_bank
from interviewer.cli import build_parser, main
from interviewer.config import Settings
from interviewer.grading.rubric import JUDGEMENT_UNREAD
from interviewer.reply import HINT_PENALTY
from interviewer.store import Store

BRACKETS = "l1-code-balanced-brackets"
# Correct, but each push copies the stack: quadratic, so only large_200k fails (too slow).
SLOW_BRACKETS = """def is_balanced(s):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in s:
        if ch in "([{":
            stack = stack + [ch]
        elif ch in pairs:
            if not stack or stack[-1] != pairs[ch]:
                return False
            stack = stack[:-1]
    return not stack
"""


def _only_brackets(monkeypatch) -> None:
    """The CLI's bank with one coding question, BRACKETS (the rest as built in)."""
    bank = {k: v for k, v in default_bank().items() if v.coding is None or k == BRACKETS}
    monkeypatch.setattr("interviewer.bank.bank_for", lambda settings: bank)


def _sit(tmp_path, capsys, lines: list[str], *options: str) -> tuple[str, str]:
    """An interview sat from an answers file of ``lines``: (its output, its session id)."""
    path = tmp_path / "answers.txt"
    path.write_text("\n".join(lines) + "\n")
    code = main(["interview", *options, "--answers-file", str(path)])
    assert code == 0
    out = capsys.readouterr().out
    return out, Store(settings=Settings.from_env()).list_sessions(user_id="local")[0]["id"]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_resume_command_printed_at_ctrl_c_is_never_broken_by_wrapping(monkeypatch, capsys):
    # walk23: at an 80-column terminal "resume with `mock-interview interview --resume" ended
    # a line and the session id began the next: the copied command was broken.
    import interviewer.cli.interview as cli

    def ctrl_c(prompt=""):
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.input", ctrl_c)
    for width in (60, 80, 90):
        monkeypatch.setattr(cli, "width_of", lambda stream, w=width: w)  # as at such a terminal
        argv = ["interview", "--round", "L1", "--questions", "1", "--no-coding"]
        assert main(argv) == 130
        out = capsys.readouterr().out
        sid = Store(settings=Settings.from_env()).list_sessions(user_id="local")[0]["id"]
        command = f"`mock-interview interview --resume {sid}`"
        said = out[out.index("Interrupted.") :].strip()
        assert any(command in line for line in said.splitlines()), (width, said)
        assert all(len(line) <= width for line in said.splitlines())  # the prose still wraps
        assert _flat(said) == f"Interrupted. Session {sid} is saved; resume with {command}."
    # the same for any width and any `command` in the interviewer's words
    text = ("This interview is over: session 0123456789ab has nothing left to answer. Start a "
            "new one with `mock-interview interview --round L2`.")  # fmt: skip
    for width in range(40, len(text)):
        lines = cli.wrap_text(text, width).splitlines()
        assert any("`mock-interview interview --round L2`." in line for line in lines), width
        assert _flat(" ".join(lines)) == text and "\u00a0" not in "".join(lines)


def test_a_story_points_to_the_model_answer_transcripts_show_prints(tmp_path, capsys):
    # walk23: after the story and in the report the terminal said "check your story against
    # the model answer", which a terminal never shows.
    story = ("In my last project our churn model degraded. I was the lead engineer. I retrained it "
             "on fresh data and added monitoring; the client was to blame for the bad data. The "
             "result was a 10 percent lift.")  # fmt: skip
    out, sid = _sit(tmp_path, capsys, [story, "/end"], "--round", "L2", "--questions", "2",
                    "--follow-ups", "0")  # fmt: skip
    assert JUDGEMENT_UNREAD not in _flat(out) and "against the model answer" not in _flat(out)
    pointer = ("check your story against its model answer, which "
               f"`mock-interview transcripts show {sid}` prints.")  # fmt: skip
    chat, report = _flat(out).split("REPORT")
    assert pointer in chat and pointer in report  # after the story, and in the report's note
    # and that command does print it
    assert main(["transcripts", "show", sid]) == 0
    assert "Model answer" in capsys.readouterr().out


def test_code_that_is_not_graded_is_refused_in_the_terminals_own_words(
    tmp_path, capsys, monkeypatch
):
    # walk23: "! line 1: expected ':'. Fix it ... your code is kept (Run shows the same error)":
    # no Run at the terminal, nothing kept (the block is pasted again), and a lower-case start.
    _only_brackets(monkeypatch)
    starter = default_bank()[BRACKETS].coding.starter.rstrip()
    broken = "```python\\ndef is_balanced(s)\\n    return True\\n```"
    out, _ = _sit(tmp_path, capsys, ["/skip", broken, f"```python\\n{starter}\\n```".replace(
        "\n", "\\n"), "/end"], "--round", "L1", "--questions", "2")  # fmt: skip
    assert "Run shows" not in out and "your code is kept" not in out
    assert ("\n! Line 1: expected ':'. Fix it and paste the whole ```python block again (nothing "
            "was recorded)\n") in out  # fmt: skip
    assert ("\n! This is the starter code, unchanged: write your solution first (nothing was "
            "graded; the examples under the question show what it should do, and /repeat prints "
            "them again)\n") in out  # fmt: skip


def test_an_over_long_answer_is_echoed_cut_with_its_length(tmp_path, capsys):
    # walk23: a 20,000-character line was echoed in full, then "! answer is 20,000 characters".
    out, _ = _sit(tmp_path, capsys, ["x" * 20_000, "/end"], "--round", "L2", "--questions", "1")
    assert "x" * 1000 not in out and len(out) < 10_000
    assert f"\n> {'x' * 200}… (cut here: 20,000 characters in all)\n" in out
    assert "\n! Answer is 20,000 characters; the maximum is 8,000." in out  # a capital too
    # an answer within the limit is echoed whole, its lines indented as typed
    out, _ = _sit(tmp_path, capsys, ["one\\ntwo " + "y" * 7000, "/end"], "--round", "L2")
    assert f"\n> one\n  two {'y' * 7000}\n" in out


def test_progress_ends_with_how_to_drill_the_weakest_topics(tmp_path, capsys):
    # walk23: "weakest topics: ..." and no next step.
    _sit(tmp_path, capsys, ["I don't know.", "/end"], "--round", "L1", "--questions", "1",
         "--no-coding", "--follow-ups", "0")  # fmt: skip
    assert main(["transcripts", "progress"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2].startswith("weakest topics: ")
    assert lines[-1] == ("To drill them: `mock-interview practice --round L1`, or the app's "
                         'Practice tab (Topic "Weakest topics").')  # fmt: skip
    # the command it names exists, and drills the weakest topics by default
    assert build_parser().parse_args(["practice", "--round", "L1"]).topic == "weakest"


def test_resuming_at_a_follow_up_on_code_shows_the_code_and_the_hints_taken(
    tmp_path, capsys, monkeypatch
):
    # walk23: the resumed follow-up showed the explanation only: not the code it asks about,
    # nor the hint paid for.
    _only_brackets(monkeypatch)
    code = SLOW_BRACKETS.strip("\n")  # (it fails a test, so it is probed)
    block = f"```python\n{code}\n```".replace("\n", "\\n")
    _, sid = _sit(tmp_path, capsys, ["/skip", "/hint", "One pass with a stack.", block],
                  "--round", "L1", "--questions", "2")  # fmt: skip
    store = Store(settings=Settings.from_env())
    turn = store.load_session(sid, user_id="local")[1][-1]
    assert turn.follow_ups and turn.follow_ups[-1].answer is None and len(turn.hints) == 1
    again = tmp_path / "again.txt"
    again.write_text("/repeat\n")
    assert main(["interview", "--resume", sid, "--answers-file", str(again)]) == 0
    out = capsys.readouterr().out
    shown = out.index(f"Your code, as submitted:\n```python\n{code}\n```\n")
    hints = out.index(f"Hints taken: 1 ({HINT_PENALTY} points off each):\n• {turn.hints[0]}\n")
    assert out.index("Your answer: One pass with a stack.") < shown < hints
    assert hints < out.index("Welcome back.")


def test_a_stopped_tests_error_is_said_once_in_the_report(tmp_path, capsys, monkeypatch):
    # walk23: "5 of 6 hidden tests passed; test large_200k was too slow: ..." then "failed
    # large_200k (a large input): same error as above".
    _only_brackets(monkeypatch)
    block = f"```python\n{SLOW_BRACKETS}```".replace("\n", "\\n")
    out, _ = _sit(tmp_path, capsys, ["/skip", "One pass with a stack.", block], "--round", "L1",
                  "--questions", "2", "--follow-ups", "0", "--feedback", "end")  # fmt: skip
    report = out[out.index("REPORT") :]
    assert "same error as above" not in report and "was too slow" not in report
    total = len(default_bank()[BRACKETS].coding.hidden_tests)
    assert f"\n      {total - 1} of {total} hidden tests passed\n" in report
    # (the test's ``why`` after its kind, the line wrapped)
    why = default_bank()[BRACKETS].coding.why("large_200k")
    why = re.escape(f"{why[:1].lower()}{why[1:-1]}")
    failed = re.search(rf"\n      failed large_200k \(a large input; {why}\): (.+)\n",
                       report.replace("\n             ", " "))  # fmt: skip
    assert failed and failed.group(1).startswith("timed out after ")
    assert report.count("timed out") == 1


def test_grade_says_no_such_file_with_its_path(tmp_path, capsys):
    # walk23: "cannot read answers (FileNotFoundError)", where other commands say "no such file".
    missing = tmp_path / "nosuch.jsonl"
    assert main(["grade", "--input", str(missing)]) == 2
    assert capsys.readouterr().err == (f"mock-interview: error: {missing}: cannot read answers "
                                       "(no such file)\n")  # fmt: skip


def test_every_interview_option_has_help(capsys):
    # walk23: `interview --help` listed --round with no help text and no default.
    sub = build_parser()._subparsers._group_actions[0].choices["interview"]
    for action in sub._actions:
        assert action.help, action.option_strings
    with pytest.raises(SystemExit) as stop:
        main(["interview", "--help"])
    assert stop.value.code == 0
    said = _flat(capsys.readouterr().out)
    assert re.search(r"--round \{L1,L2,full\} L1 \(ML fundamentals.*; default L1", said), said
    assert "feedback after each answer (practice; the default)" in said
