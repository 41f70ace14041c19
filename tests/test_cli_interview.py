"""`mock-interview interview`, `grade` and `eval` as a user runs them, including kill -9 resume."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from interviewer.bank import default_bank, topic_label
from interviewer.cli import main
from interviewer.config import Settings
from interviewer.store import Store

EXE = str(Path(sys.executable).with_name("mock-interview"))


def test_scripted_interview_prints_a_json_report(tmp_path, capsys):
    answers = tmp_path / "answers.txt"
    answers.write_text(
        "Bagging averages models trained in parallel on bootstrap samples.\n"
        "/hint\nnot sure\n/skip\n/end\n"
    )
    code = main(
        [
            "interview",
            "--round",
            "L1",
            "--questions",
            "3",
            "--seed",
            "3",
            "--answers-file",
            str(answers),
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "finished"
    statuses = [q["status"] for q in out["report"]["questions"]]
    assert statuses == ["answered", "skipped", "pending"]
    assert out["report"]["signal"]


def test_grade_jsonl_with_labels_reports_agreement(tmp_path, capsys):
    bank = default_bank()
    q = bank["l1-bagging-vs-boosting"]
    rows = [
        {"id": "a", "question_id": q.id, "answer": q.model_answer, "score": 5},
        {
            "id": "b",
            "question": q.text,
            "reference_answer": q.model_answer,
            "answer": "",
            "score": 1,
        },
        {
            "id": "c",
            "question": "What is a feature store?",
            "answer": "It serves features.",
            "rubric": {"key_points": ["serves the same features online and offline"]},
            "score": 3,
        },
        {"id": "d", "question_id": "l2-detect-data-drift", "answer": "I don't know", "score": 1},
    ]
    inp = tmp_path / "in.jsonl"
    inp.write_text("\n".join(json.dumps(r) for r in rows))
    out_path = tmp_path / "out.jsonl"
    assert main(["grade", "--input", str(inp), "--output", str(out_path)]) == 0
    graded = [json.loads(x) for x in out_path.read_text().splitlines()]
    assert [g["id"] for g in graded] == ["a", "b", "c", "d"]
    assert graded[0]["score"] >= 0.8 and graded[1]["score"] == 0 and graded[3]["score"] == 0
    assert set(graded[0]) >= {"score", "criteria", "covered", "missed", "flags"}
    agreement = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert agreement["n"] == 4 and agreement["agreement"]["spearman"] > 0.5


def test_grade_rejects_bad_input_with_the_line_number(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "a", "reference_answer": "r"}\n{"question": "q"}\n')
    assert main(["grade", "--input", str(bad)]) == 2
    assert "bad.jsonl:2: 'answer'" in capsys.readouterr().err
    bad.write_text("not json\n")
    assert main(["grade", "--input", str(bad)]) == 2


def test_grade_reads_a_utf8_bom_and_names_other_encodings(tmp_path, capsys):
    # walk50: a BOM (as Notepad saves UTF-8), UTF-16 and Latin-1 were all "not valid JSON"
    line = json.dumps({"question": "What is PCA?", "reference_answer": "PCA projects data onto "
                       "the directions of largest variance, the caf\u00e9 way.",
                       "answer": "It projects onto the directions of largest variance."},
                      ensure_ascii=False) + "\n"  # fmt: skip
    path = tmp_path / "in.jsonl"
    path.write_bytes(line.encode("utf-8-sig"))
    assert main(["grade", "--input", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["score"] > 0.5
    path.write_bytes(line.encode("utf-16"))
    assert main(["grade", "--input", str(path)]) == 2
    assert "in.jsonl: UTF-16 text; save it as UTF-8" in capsys.readouterr().err
    path.write_bytes(line.encode("latin-1"))
    assert main(["grade", "--input", str(path)]) == 2
    assert "in.jsonl:1: not UTF-8 text (byte " in capsys.readouterr().err


def test_grade_refuses_too_few_graded_exemplars_rather_than_ignoring_them(tmp_path, capsys):
    # Fewer than five were graded on the reference alone, without a word (a walk-through's 4).
    line = {"question": "What does L2 regularisation do?", "answer": "It shrinks the weights.",
            "reference_answer": "It adds the sum of squared weights to the loss."}  # fmt: skip
    ex = [{"answer": f"answer {i}", "score": i / 4} for i in range(5)]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps(line) + "\n" + json.dumps({**line, "examples": ex[:4]}) + "\n")
    assert main(["grade", "--input", str(src), "--output", str(out)]) == 2
    assert "in.jsonl:2: 'examples': 4 given; graded exemplars are used from 5 on" in (
        capsys.readouterr().err
    )
    assert not out.exists()  # nothing graded, nothing written
    src.write_text(json.dumps({**line, "examples": ex}) + "\n"
                   + json.dumps({**line, "examples": []}) + "\n")  # fmt: skip
    assert main(["grade", "--input", str(src), "--output", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 2


def _wait_for(predicate, proc, log, timeout=240.0):
    """``predicate()``'s first truthy value; a clear failure, with the end of ``proc``'s stderr
    (written to ``log``), when ``proc`` exits first or time runs out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"exited early ({proc.returncode}): {log.read_text()[-2000:]}")
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {predicate.__name__}")


def test_kill_9_mid_session_then_resume_exactly_where_it_stopped(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    bank = default_bank()
    proc = subprocess.Popen(
        [
            EXE,
            "interview",
            "--round",
            "L1",
            "--questions",
            "3",
            "--seed",
            "11",
            "--follow-ups",
            "0",
            "--no-coding",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr.txt").open("w"),  # shown if it exits early
        text=True,
        env=env,
    )
    store = Store(settings=Settings.from_env())
    try:

        def first_asked():  # the session row is written before its first question
            sessions = store.list_sessions(user_id="local")
            turns = sessions and store.load_session(sessions[0]["id"], user_id="local")[1]
            return turns and (sessions[0]["id"], turns)

        session, turns = _wait_for(first_asked, proc, tmp_path / "stderr.txt")
        # an answer may span lines: an empty line sends it
        proc.stdin.write(bank[turns[0].question_id].model_answer.replace("\n\n", "\n") + "\n\n")
        proc.stdin.flush()

        def second_asked():
            _, ts = store.load_session(session, user_id="local")
            return len(ts) == 2 and ts[0].grade is not None and ts

        turns = _wait_for(second_asked, proc, tmp_path / "stderr.txt")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    first_grade = turns[0].grade
    pending = turns[1]
    answers = tmp_path / "rest.txt"
    answers.write_text("not sure\nno idea\n")
    out = subprocess.run(
        [EXE, "interview", "--resume", session, "--answers-file", str(answers), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert f"Welcome back. Question {pending.index + 1} of " in out.stderr
    assert f"): {pending.question}" in out.stderr
    # Only the conversation reaches the terminal: no model-loading progress bar, no library logs.
    for noise in ("Loading weights", "it/s]", "WARNING", "Traceback"):
        assert noise not in out.stderr and noise not in out.stdout
    report = json.loads(out.stdout)["report"]
    assert report["questions"][0]["overall"] == first_grade.overall
    assert [q["question"] for q in report["questions"]][:2] == [turns[0].question, pending.question]
    info, final = store.load_session(session, user_id="local")
    assert info.status == "finished" and len(final) == 3 and final[0].grade == first_grade
    assert final[1].answer == "not sure"
    bad = subprocess.run(
        [EXE, "interview", "--resume", "nope"], capture_output=True, text=True, env=env, timeout=120
    )
    assert bad.returncode == 2 and "nope" in bad.stderr


def test_a_terminal_coding_question_shows_its_starter_and_examples(tmp_path, capsys):
    # Seen in a walk-through: the terminal gave only the task's words, so a correct `invert`
    # failed every hidden test written for `invert_mapping`, with no word on why.
    from tests.helpers import new_interview

    iv = new_interview(round="L1", questions=2, seed=7, coding=True, follow_ups=0)
    iv.start()
    iv.command("skip")
    q = default_bank()[iv.current.question_id]
    assert q.kind == "coding" and "\\" not in q.coding.reference
    wrong = "```python\ndef not_it(x):\n    return x\n```"
    right = f"```python\n{q.coding.reference.rstrip()}\n```"
    answers = tmp_path / "answers.txt"
    lines = ["/skip", wrong.replace("\n", "\\n"), right.replace("\n", "\\n"), "/end"]
    answers.write_text("\n".join(lines) + "\n")
    args = ["interview", "--round", "L1", "--questions", "2", "--seed", "7", "--follow-ups", "0"]
    assert main([*args, "--answers-file", str(answers)]) == 0
    out = capsys.readouterr().out
    assert q.coding.starter.strip().splitlines()[0] in out
    assert q.coding.visible_tests[0].code.strip().splitlines()[0] in out
    # Written in one's own editor and pasted, the code is final, as the app's Submit: the brief
    # no longer names `mock-interview code`, which runs the hidden tests as often as one likes (a
    # walk-through read it as an invitation to, in the middle of an interview).
    assert "mock-interview code" not in out and "run the hidden tests" not in out
    assert "You may write it in your own editor (and run the examples there), then paste it " \
        "here in a ```python block. The code you send is final: the hidden tests run once, on " \
        "it (code that does not parse comes back to fix)." in out  # fmt: skip
    assert f"! The code defines no {q.coding.entry_point}" in out  # (walk23: with a capital)
    total = len(q.coding.hidden_tests)
    assert f"{total} of {total} hidden tests passed" in out


def test_terminal_text_wraps_at_words_and_leaves_code_alone():
    from interviewer.cli.interview import wrap_text

    text = ("Question 1 of 3 (L1, ML fundamentals): " + "explain the bias variance trade-off " * 4
            + "\n• Landed: " + "a point the answer made well " * 4
            + "\n```python\n" + "x = " + " + ".join(["value"] * 30) + "\n```")  # fmt: skip
    out = wrap_text(text, 60).splitlines()
    code = out.index("```python")
    assert all(len(line) <= 60 for line in out[:code])
    words = " ".join(" ".join(out[:code]).split())
    assert words == " ".join(text.split("\n```")[0].split())  # no word cut or lost
    bullet = next(i for i, line in enumerate(out) if line.startswith("• Landed"))
    assert re.match(r"  \S", out[bullet + 1])  # indented under the bullet's text ("• ")
    assert out[code + 1] == "x = " + " + ".join(["value"] * 30)  # code as it was
    assert "fu\nndamentals" not in "\n".join(out)


def test_transcripts_show_at_a_terminal_wraps_its_markdown_at_words(tmp_path, capsys, monkeypatch):
    # walk41: `transcripts show` was cut by the terminal mid-word ("sessio / n", "predicte /
    # d"). At a terminal it wraps at words, a quote's lines each under its ">", a table's rows
    # and code left whole; to a pipe it is the Markdown as it was.
    import interviewer.cli.transcripts as transcripts

    answers = tmp_path / "answers.txt"
    answers.write_text("I would compare the predicted distribution with the training one " * 4
                       + "\n")  # fmt: skip
    assert main(["interview", "--round", "L2", "--questions", "1", "--follow-ups", "0",
                 "--answers-file", str(answers)]) == 0  # fmt: skip
    session = Store(settings=Settings.from_env()).list_sessions(user_id="local")[0]["id"]
    capsys.readouterr()
    assert main(["transcripts", "show", session]) == 0
    whole = capsys.readouterr().out
    monkeypatch.setattr(transcripts, "width_of", lambda stream: 60)
    assert main(["transcripts", "show", session]) == 0
    out = capsys.readouterr().out.splitlines()
    def words(lines) -> list[str]:  # (a quote's marker repeated on its wrapped lines aside)
        return [w for w in " ".join(lines).split() if w != ">"]

    assert words(out) == words(whole.splitlines())  # nothing cut or lost
    table = {line for line in whole.splitlines() if line.startswith("|")}
    assert table and table <= set(out)  # a table's rows whole
    assert all(len(line) <= 60 for line in out if line not in table and not line.startswith("`"))
    said = [line for line in out if "predicted distribution" in line or "training one" in line]
    assert len(said) > 2 and all(line.startswith("> ") for line in said)


def test_a_dash_inside_a_line_never_starts_a_wrapped_line():
    # A re-walk's "Top gaps": "...with broadcasting or the |x|^2" then "    - 2x.c + |c|^2
    # expansion ...", which read as a new bullet.
    from interviewer.cli.interview import wrap_text

    line = ("    - Vectorised distances: compute the squared distances with broadcasting or the "
            "|x|^2 - 2x.c + |c|^2 expansion instead of a loop * fast • and simple")
    for width in range(30, len(line)):
        out = wrap_text(line, width).splitlines()
        assert out[0].startswith("    - Vectorised") and all(len(x) <= width for x in out)
        assert not any(re.match(r"\s*[-*•] ", x) for x in out[1:]), (width, out)
        assert " ".join(" ".join(out).split()) == " ".join(line.split())  # nothing lost


def test_the_terminal_report_never_starts_a_wrapped_line_with_a_dash():
    # A re-walk at 60 columns: the report's own wrapper printed "    - so I log live feature
    # vectors ..." under Strengths (the chat's wrapper had the fix, the report's did not).
    from interviewer.report import build_report
    from interviewer.report_render import report_text

    note = ("Skew - the online service computes features differently - so I log live feature "
            "vectors and compare them entity by entity - a long note")
    report = build_report([], note=note)
    for width in range(40, 90):
        lines = report_text(report, width).splitlines()
        start = next(i for i, x in enumerate(lines) if x.startswith("Skew"))
        said = []
        for x in lines[start:]:
            if not x.strip():
                break
            assert not x.lstrip().startswith("- "), (width, x)
            said.append(x)
        assert " ".join(" ".join(said).split()) == note


def test_the_terminal_report_is_laid_out_once_at_the_terminal_width(tmp_path, capsys, monkeypatch):
    # A review found the report wrapped twice at a 90-column terminal: its own layout at 100,
    # then every line again ("may share / a value:", a lone "(re-read:").
    import interviewer.cli.interview as cli
    from interviewer.report import Report
    from interviewer.report_render import report_text

    monkeypatch.setattr(cli, "width_of", lambda stream: 60)  # as at a 61-column terminal
    answers = tmp_path / "answers.txt"
    answers.write_text("Bagging averages models trained in parallel on bootstrap samples.\n/end\n")
    args = ["interview", "--round", "L1", "--questions", "2", "--seed", "3", "--no-coding",
            "--follow-ups", "0", "--answers-file", str(answers), "--json"]  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    report = Report(**json.loads(captured.out)["report"])
    assert report_text(report, 60) in captured.err  # as laid out, not wrapped again
    said = captured.err[: captured.err.index("REPORT")]
    assert all(len(line) <= 60 for line in said.splitlines())  # the rest is wrapped


def _sat(tmp_path, capsys, answers: str, *options: str):
    """An L2 interview sat from an answers file at the terminal: (the store, its session as
    listed). Its output is read and dropped."""
    path = tmp_path / "answers.txt"
    path.write_text(answers)
    assert main(["interview", "--round", "L2", *options, "--answers-file", str(path)]) == 0
    capsys.readouterr()
    store = Store(settings=Settings.from_env())
    return store, store.list_sessions(user_id="local")[0]


def test_resuming_at_a_follow_up_shows_its_question_and_answer_first(tmp_path, capsys):
    # A walk-through: after Ctrl-C at a follow-up, --resume printed only "Welcome back.
    # Follow-up: ...", and /repeat repeated only the follow-up: the question never came back.
    store, listed = _sat(tmp_path, capsys, "I would use machine learning and monitor it.\n",
                         "--questions", "2", "--seed", "3")  # fmt: skip
    session = listed["id"]
    _, turns = store.load_session(session, user_id="local")
    assert turns[0].follow_ups and turns[0].follow_ups[-1].answer is None  # left at its probe
    probe = turns[0].follow_ups[-1].question
    again = tmp_path / "again.txt"
    again.write_text("/repeat\n")
    assert main(["interview", "--resume", session, "--answers-file", str(again)]) == 0
    out = re.sub(r"\s+", " ", capsys.readouterr().out)
    question = re.sub(r"\s+", " ", turns[0].question)
    header = "Question 1 of 2 (L2, "
    said = out.index(header)
    assert out.index(question, said) < out.index("Your answer: I would use machine learning")
    assert out.index("Your answer:") < out.index(f"Welcome back. Follow-up: {probe}")
    # /repeat says the question, then the follow-up
    repeated = out.rindex(header)
    assert repeated > out.index("Welcome back.")
    assert out.index(f"Follow-up: {probe}", repeated) > out.index(question, repeated)


def test_an_unreadable_answers_file_is_refused_before_a_session_is_created(tmp_path, capsys):
    # A walk-through: a missing --answers-file printed the welcome and question 1, then the
    # error, and left an empty session in the app's Resume list.
    store = Store(settings=Settings.from_env())
    before = {s["id"] for s in store.list_sessions(user_id="local")}
    missing = tmp_path / "nope.txt"
    assert main(["interview", "--round", "L2", "--answers-file", str(missing)]) != 0
    captured = capsys.readouterr()
    assert "nope.txt: cannot read answers file (no such file)" in captured.err
    assert "Question 1" not in captured.out
    assert {s["id"] for s in store.list_sessions(user_id="local")} == before
    # an empty file (or blank lines only) is refused the same way (a re-walk's made a session)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    assert main(["interview", "--round", "L2", "--answers-file", str(empty)]) == 2
    assert "empty.txt: the answers file has no answer" in capsys.readouterr().err
    assert {s["id"] for s in store.list_sessions(user_id="local")} == before


def test_an_empty_line_with_nothing_typed_says_how_to_answer(monkeypatch, capsys):
    # A walk-through pressed Enter at the answer prompt and nothing at all happened.
    from interviewer.cli.interview import NOTHING_TYPED, read_answer

    typed = iter(["", "  ", "The answer.", ""])
    monkeypatch.setattr("builtins.input", lambda prompt: next(typed))
    assert read_answer() == "The answer."
    out = capsys.readouterr().out
    assert out.count(NOTHING_TYPED) == 2
    assert out.splitlines()[0] == ("! Nothing to send yet: type your answer, then an empty "
                                   "line; or /skip")


def _labelled(tmp_path, *scores, name="in.jsonl") -> Path:
    """A grade input file: one answer per label in ``scores`` (None: no label)."""
    q = default_bank()["l1-bagging-vs-boosting"]
    rows = [{"id": str(i), "question_id": q.id, "answer": q.model_answer if i % 2 else "Boosting."}
            | ({} if s is None else {"score": s}) for i, s in enumerate(scores)]  # fmt: skip
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _no_grading(monkeypatch):
    """Make grading fail the test: what is refused must be refused before any answer is graded."""

    def graded(*a, **k):
        raise AssertionError("graded before the refusal")

    monkeypatch.setattr("interviewer.grading.grader.default_grader", graded)


def test_grade_refuses_an_output_that_is_the_input_under_any_name(tmp_path, capsys, monkeypatch):
    # A walk-through's `grade --input F --output F` overwrote F: the answers were lost.
    inp = _labelled(tmp_path, 5, 1)
    before = inp.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(inp)
    _no_grading(monkeypatch)
    monkeypatch.chdir(tmp_path)
    for output in (str(inp), "./in.jsonl", str(link)):
        assert main(["grade", "--input", str(inp), "--output", output]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("mock-interview: error: --output ")
        assert "is the --input file: writing it would overwrite the answers" in err
        assert inp.read_bytes() == before and link.is_symlink()


def test_grade_refuses_an_output_it_cannot_write_before_grading(tmp_path, capsys, monkeypatch):
    # A walk-through's `--output /nonexistent/dir/x.jsonl` graded everything, then crashed in a
    # FileNotFoundError traceback.
    inp = _labelled(tmp_path, 5)
    _no_grading(monkeypatch)
    missing = tmp_path / "nowhere" / "x.jsonl"
    assert main(["grade", "--input", str(inp), "--output", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == (f"mock-interview: error: {missing}: cannot write graded answers "
                   f"(no such folder: {missing.parent})\n")  # fmt: skip
    assert not missing.parent.exists()
    assert main(["grade", "--input", str(inp), "--output", str(tmp_path)]) == 2
    assert "cannot write graded answers (it is a folder, not a file)" in capsys.readouterr().err


def test_grade_refuses_a_label_off_the_scale_with_its_line_and_keeps_the_output(tmp_path, capsys):
    # A walk-through's "score": 9 with --labels-max 5 was taken (clamped to 5) without a word.
    inp = _labelled(tmp_path, 5, None, 9)
    out = tmp_path / "out.jsonl"
    out.write_text("earlier grades\n")
    assert main(["grade", "--input", str(inp), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == ("mock-interview: error: " f"{inp}:3: 'score' 9 is not on the label scale 1..5 "
                   "(--labels-min, --labels-max)\n")  # fmt: skip
    assert out.read_text() == "earlier grades\n"
    # on a 0-10 scale the same file is graded
    assert main(["grade", "--input", str(inp), "--output", str(out), "--labels-min", "0",
                 "--labels-max", "10"]) == 0  # fmt: skip
    assert len(out.read_text().splitlines()) == 3


def _strict_json(line: str) -> dict:
    """``line`` parsed as JSON proper: Python's json module takes NaN, a JSON reader does not."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(line, parse_constant=refuse)


def test_grade_agreement_is_valid_json_with_null_and_why_when_undefined(tmp_path, capsys):
    # A walk-through's one labelled line printed `"spearman": NaN`, which no JSON reader takes.
    for scores, why in (((4,), "spearman, pearson and qwk are null: they need at least 3 "
                               "labelled answers (qwk 2), and the input has 1"),
                        ((3, 3, 3), "spearman and pearson are null: every label is the same")):  # fmt: skip
        inp = _labelled(tmp_path, *scores)
        assert main(["grade", "--input", str(inp), "--output", str(tmp_path / "o.jsonl")]) == 0
        said = _strict_json(capsys.readouterr().err.strip().splitlines()[-1])
        a = said["agreement"]
        assert a["spearman"] is None and a["pearson"] is None
        assert a["on_0_1"]["spearman"] is None and a["on_0_1"]["pearson"] is None
        assert a["mae"] is not None and said["n"] == len(scores)
        assert said["note"] == why
        # one answer's QWK is no measure (a re-walk read "qwk": 0.0 beside the nulls)
        assert (a["qwk"] is None) == (len(scores) == 1)
    # with correlations defined there is no note
    inp = _labelled(tmp_path, 1, 5, 1, 5)
    assert main(["grade", "--input", str(inp), "--output", str(tmp_path / "o.jsonl")]) == 0
    said = _strict_json(capsys.readouterr().err.strip().splitlines()[-1])
    assert isinstance(said["agreement"]["spearman"], float) and "note" not in said


def test_resuming_a_finished_session_says_it_is_over_not_to_type(tmp_path, capsys, monkeypatch):
    # A walk-through's --resume of a finished session printed the report, then "Type your
    # answer; an empty line sends it", then exited.
    store, session = _sat(tmp_path, capsys,
                          "Bagging averages models trained in parallel on bootstrap samples.\n/end\n",
                          "--questions", "1", "--follow-ups", "0")  # fmt: skip
    assert session["status"] == "finished"

    def no_typing(prompt=""):
        raise AssertionError("asked for an answer")

    monkeypatch.setattr("builtins.input", no_typing)
    assert main(["interview", "--resume", session["id"]]) == 0
    out = capsys.readouterr().out
    assert "Per question" in out  # the report
    assert "Type your answer" not in out and f"(session {session['id']})" not in out
    said = re.sub(r"\s+", " ", out.strip().splitlines()[-1])
    assert said == (f"This interview is over: session {session['id']} has nothing left to "
                    "answer. Start a new one with `mock-interview interview --round L2`.")  # fmt: skip


def test_numeric_options_refuse_negative_and_out_of_range_numbers(capsys):
    # A walk-through's `interview --follow-ups -3` was taken; every numeric option is checked
    # by its argparse type, in argparse's one line (exit 2), before anything runs.
    before = Store(settings=Settings.from_env()).list_sessions(user_id="local")
    cases = [
        (["interview", "--follow-ups", "-3"], "--follow-ups: must be a whole number from 0 to 1"),
        # answering a probe closes the question: a budget of 3 was accepted and 1 asked
        (["interview", "--follow-ups", "2"], "--follow-ups: must be a whole number from 0 to 1"),
        (["interview", "--questions", "-2"], "--questions: must be a whole number from 1 to 20"),
        (["interview", "--questions", "21"], "--questions: must be a whole number from 1 to 20"),
        (["interview", "--questions", "2.5"], "--questions: must be a whole number from 1 to 20"),
        (["eval", "--mode", "llm", "--limit", "-1"], "--limit: must be a whole number (at least 1)"),
        (["search", "x", "-k", "0"], "-k: must be a whole number (at least 1)"),
        (["serve-model", "--port", "-1"], "--port: must be a whole number from 1 to 65535"),
        (["serve-model", "--threads", "0"], "--threads: must be a whole number (at least 1)"),
        (["transcripts", "list", "--min-score", "-5"], "--min-score: must be a number from 0 to 100"),
        (["transcripts", "list", "--max-score", "nan"], "--max-score: must be a number from 0 to 100"),
        (["grade", "--input", "x", "--labels-max", "inf"], "--labels-max: must be a number,"),
    ]
    for argv, says in cases:
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == 2, argv
        else:
            raise AssertionError(f"{argv} was accepted")
        err = capsys.readouterr().err
        bad = argv[-1]
        assert f"error: argument {says}" in err and f"not '{bad}'" in err, err
    assert Store(settings=Settings.from_env()).list_sessions(user_id="local") == before
    # the edges are taken
    from interviewer.cli import build_parser

    args = build_parser().parse_args(["interview", "--follow-ups", "0", "--questions", "20"])
    assert (args.follow_ups, args.questions) == (0, 20)


def test_a_code_block_in_an_answers_file_is_one_answer_as_at_the_terminal(tmp_path, capsys):
    # A walk-through: each line of a 9-line ```python block was sent as an answer of its own,
    # and "Noted: your explanation is saved ..." came back nine times.
    first = tmp_path / "first.txt"
    first.write_text("MSE squares the errors, so large misses cost more.\n")
    assert main(["interview", "--round", "l1", "--questions", "2", "--follow-ups", "0",
                 "--answers-file", str(first)]) == 0  # fmt: skip
    store = Store(settings=Settings.from_env())
    session = store.list_sessions(user_id="local")[0]["id"]
    capsys.readouterr()
    _, turns = store.load_session(session, user_id="local")
    q = default_bank()[turns[-1].question_id]
    assert q.kind == "coding"  # L1 asks its coding question second
    code = q.coding.reference.strip("\n") + '\n\n\n# a "\\n" in code stays as it is: "\\n".join'
    assert "\n\n" in code  # (empty lines in the block too)
    answers = tmp_path / "answers.txt"
    answers.write_text(f"My approach: the reference one.\n```python\n{code}\n```\n/end\n")
    assert main(["interview", "--resume", session, "--answers-file", str(answers)]) == 0
    out = capsys.readouterr().out
    assert out.count("Noted: your explanation is saved") == 1  # the line before the block
    assert "hidden tests passed" in out  # graded as code
    assert "\n> ```python\n  " in out  # echoed as the terminal shows a sent block
    _, turns = store.load_session(session, user_id="local")
    assert turns[-1].code.strip("\n") == code
    assert turns[-1].status == "answered" and turns[-1].grade is not None


def test_an_answers_files_lines_and_blocks(tmp_path):
    from interviewer.cli.interview import answers_from

    path = tmp_path / "answers.txt"
    path.write_text("one\\ntwo\n```py\nx = '\\n'\n\n  ```\n```inline```\n/skip\n```\nopen\n")
    assert list(answers_from(path)) == [
        "one\ntwo",  # "\n" in a line is a line break
        "```py\nx = '\\n'\n\n  ```",  # a block is one answer, its lines as they are
        "```inline```",
        "/skip",
        "```\nopen",  # no closing fence: to the end of the file
    ]


def test_choices_are_taken_in_any_case(tmp_path, capsys):
    # A walk-through's `interview --round l1` and `questions --round l1` were refused:
    # "invalid choice: 'l1' (choose from 'L1', 'L2', 'full')".
    from interviewer.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["interview", "--round", "l1"]).round == "L1"
    assert parse(["interview", "--round", "FULL", "--mode", "Offline", "--feedback", "END"]).round \
        == "full"  # fmt: skip
    args = parse(["interview", "--mode", "LLM", "--feedback", "End"])
    assert (args.round, args.mode, args.feedback) == ("L1", "llm", "end")  # (the default)
    assert parse(["transcripts", "list", "--round", "l2"]).round == "L2"
    assert parse(["search", "x", "--round", "General"]).round == "general"
    assert main(["questions", "--round", "l1", "--kind", "Coding", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {(r["round"], r["kind"]) for r in rows} == {("L1", "coding")}
    # Anything else is refused as before, naming the choices as they are spelt.
    for argv in (["interview", "--round", "l3"], ["questions", "--round", "full"]):
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"{argv} was accepted")
        err = capsys.readouterr().err
        assert f"argument --round: invalid choice: '{argv[-1]}' (choose from 'L1', 'L2'" in err
    answers = tmp_path / "answers.txt"
    answers.write_text("/end\n")
    assert main(["interview", "--round", "l2", "--answers-file", str(answers), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["report"]["questions"][0]["round"] == "L2"


@contextmanager
def _at_a_terminal(code: str):
    """``code`` in a child Python on a pseudo-terminal (readline on, as the CLI runs); yields
    ``(send, wait_for)``: write to the terminal, and read its output until a text appears."""
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=child_fd, stdout=child_fd,
                            stderr=child_fd, cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    os.close(child_fd)
    seen = bytearray()

    def wait_for(text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not seen: {bytes(seen)!r}")
            try:
                seen.extend(os.read(main_fd, 4096))
            except OSError:  # the child closed the terminal
                raise AssertionError(f"{text!r} not seen: {bytes(seen)!r}") from None
        return seen.decode(errors="replace")

    try:
        yield (lambda text: os.write(main_fd, text.encode())), wait_for
    finally:
        proc.kill()
        proc.wait()
        os.close(main_fd)


READ_ONE = (
    "import json\n"
    "from interviewer.cli.interview import line_editing, read_answer\n"
    "line_editing()\n"
    "print('ANSWER ' + json.dumps(read_answer()) + ' END', flush=True)\n"
)


def test_a_paste_with_an_empty_line_is_one_answer_at_a_terminal():
    """walk41: two paragraphs pasted with an empty line between them were two answers (the
    first sent at the empty line, the second taken as the next question's): readline here
    never turns bracketed paste on, so the paste arrived line by line. An empty line with the
    rest of the paste already waiting is kept; Enter on an empty line still sends."""
    with _at_a_terminal(READ_ONE) as (send, wait_for):
        wait_for("> ")
        send("Encoders read the whole input.\n\nDecoders write one token at a time.\n")
        wait_for("one token at a time")
        send("\n")  # the Enter that sends, typed after the paste
        out = wait_for(" END")
    answer = json.loads(out.split("ANSWER ", 1)[1].rsplit(" END", 1)[0])
    assert answer == "Encoders read the whole input.\n\nDecoders write one token at a time."

    with _at_a_terminal(READ_ONE) as (send, wait_for):
        wait_for("> ")
        send("Typed, not pasted.\n")
        wait_for("Typed, not pasted.")
        send("\n")
        out = wait_for(" END")
    assert json.loads(out.split("ANSWER ", 1)[1].rsplit(" END", 1)[0]) == "Typed, not pasted."


def test_ctrl_d_at_a_delete_confirmation_is_a_no():
    # walk41: Ctrl-D at "Delete ...? [y/N]" (transcripts delete, guides delete) ended in an
    # EOFError traceback.
    code = (
        "from interviewer.cli.common import confirmed\n"
        "print('RESULT', confirmed('s1', 'Delete s1? [y/N] ', False), 'END', flush=True)\n"
    )
    for key, result in (("\x04", "False"), ("y\n", "True")):
        with _at_a_terminal(code) as (send, wait_for):
            wait_for("[y/N] ")
            send(key)
            out = wait_for(" END")
        assert f"RESULT {result} END" in out and "Traceback" not in out
        assert ("Not deleted." in out) == (result == "False")


def test_a_resumed_session_says_which_answers_it_kept(tmp_path, capsys):
    """walk56: a session resumed at the terminal went on at its open question with no word of
    the answers kept; now each question answered or skipped is listed first, with its score
    when feedback comes after each answer, and none with feedback at the end."""
    for feedback, scored in (("each", True), ("end", False)):
        store, listed = _sat(tmp_path, capsys, "I don't know.\n/skip\n", "--questions", "3",
                             "--seed", "3", "--follow-ups", "0", "--feedback", feedback)  # fmt: skip
        _, turns = store.load_session(listed["id"], user_id="local")
        assert [t.status for t in turns[:2]] == ["answered", "skipped"]
        again = tmp_path / "again.txt"
        again.write_text("/repeat\n")
        assert main(["interview", "--resume", listed["id"], "--answers-file", str(again)]) == 0
        out = capsys.readouterr().out
        kept = out[out.index("Kept from before (2 questions):"):out.index("Welcome back.")]
        first = f"- Question 1 of 3 (L2, {topic_label(turns[0].topic)}): answered"
        assert first in kept and ("/100" in kept) == scored, kept
        assert (first + f", {turns[0].grade.overall}/100" in kept) == scored, kept
        assert f"- Question 2 of 3 (L2, {topic_label(turns[1].topic)}): skipped" in kept
        assert "Question 3" not in kept
