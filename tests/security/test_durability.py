"""Nothing lost: an answer committed before a crash is graded on resume, never asked for again
nor overwritten; a follow-up answered before a crash is merged. The CLI probes kill a real
process with SIGKILL at the exact moment grading starts (a test hook pauses it there)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from interviewer.bank import default_bank
from interviewer.config import Settings
from interviewer.store import Store
from tests import ROOT
from tests.helpers import new_interview, resume

EXE = str(os.path.join(os.path.dirname(sys.executable), "mock-interview"))
HOOKED = "import tests.security.hooks as h, sys; h.run(sys.argv[1:])"
WEAK = "It is a trade-off between two kinds of error."


def _crash_after_commit(iv, text: str) -> None:
    """What a kill -9 during grading leaves: the answer committed, no grade."""
    turn = iv.current
    if iv.phase == "follow_up":
        turn.follow_ups[-1].answer = text
    else:
        turn.answer = text
    turn.answered_at = time.time()
    iv.store.save_turn(iv.info.id, turn)


def test_an_answer_committed_but_not_graded_is_graded_on_resume(store):
    iv = new_interview(round="L1", questions=2, follow_ups=0, store=store, seed=4, coding=False)
    iv.start()
    first = iv.current
    answer = default_bank()[first.question_id].model_answer
    _crash_after_commit(iv, answer)

    again, reply = resume(store, iv.info.id)
    assert reply.kind == "question" and reply.turn.index == 1  # the next question, not Q1
    assert reply.text.startswith("Welcome back.") and first.question not in reply.text
    assert reply.graded_turn is not None and reply.graded_turn.index == 0
    _, turns = store.load_session(iv.info.id, user_id="local")
    assert turns[0].answer == answer and turns[0].status == "answered"
    assert turns[0].grade is not None and turns[0].grade.overall >= 60
    again.answer("not sure")
    _, turns = store.load_session(iv.info.id, user_id="local")
    assert turns[0].answer == answer and turns[1].answer == "not sure"  # nothing overwritten


def test_a_follow_up_answered_before_a_crash_is_graded_and_merged(store):
    iv = new_interview(round="L1", questions=2, follow_ups=1, store=store, seed=4, coding=False)
    iv.start()
    reply = iv.answer(WEAK)
    assert reply.kind == "follow_up"
    main_grade = iv.current.grade
    probe_answer = default_bank()[iv.current.question_id].model_answer
    _crash_after_commit(iv, probe_answer)

    _, reply = resume(store, iv.info.id)
    assert reply.kind == "question" and reply.turn.index == 1
    _, turns = store.load_session(iv.info.id, user_id="local")
    assert turns[0].answer == WEAK and turns[0].follow_ups[0].answer == probe_answer
    assert turns[0].status == "answered" and turns[0].grade.overall > main_grade.overall


def test_a_grade_committed_before_the_probe_goes_on_to_the_probe(store):
    iv = new_interview(round="L1", questions=2, follow_ups=1, store=store, seed=4, coding=False)
    iv.start()
    turn = iv.current
    turn.answer, turn.answered_at = WEAK, time.time()
    turn.grade = iv._judge(turn, WEAK)  # graded and committed; the probe never was
    store.save_turn(iv.info.id, turn)

    again, reply = resume(store, iv.info.id)
    assert reply.kind == "follow_up" and again.phase == "follow_up"
    _, turns = store.load_session(iv.info.id, user_id="local")
    assert turns[0].answer == WEAK and len(turns[0].follow_ups) == 1


def test_an_unanswered_question_is_still_asked_again(store):
    iv = new_interview(round="L1", questions=2, store=store, seed=4, coding=False)
    iv.start()
    question = iv.current.question
    _, reply = resume(store, iv.info.id)
    assert reply.kind == "question" and question in reply.text


def _interview(tmp_path, args: list[str], pause_at: int):
    """``mock-interview interview`` that pauses (for a kill) at its ``pause_at``-th grading."""
    marker = tmp_path / f"paused-{pause_at}"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "MI_TEST_PAUSE_AT_JUDGE": str(pause_at),
        "MI_TEST_MARKER": str(marker),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", HOOKED, "interview", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    return proc, marker


def _wait_for(path, proc, timeout=300.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"exited early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > end:
            raise AssertionError("the hook never paused")
        time.sleep(0.2)


def _first_turn(store, proc, until=lambda turn: True, timeout=300.0):
    """(session id, turns) once the CLI's session holds its first question and ``until`` holds
    for it. The session row is written before the first question is asked, so a poll in between
    sees a session with no turns yet."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sessions = store.list_sessions(user_id="local")
        if sessions:
            _, turns = store.load_session(sessions[0]["id"], user_id="local")
            if turns and until(turns[0]):
                return sessions[0]["id"], turns
        if proc.poll() is not None:
            raise AssertionError(f"exited early ({proc.returncode}): {proc.stderr.read()}")
        time.sleep(0.3)
    raise AssertionError("the first question (in the state waited for) never reached the store")


def _kill_9(proc) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _resume(tmp_path, session: str, answers: list[str]):
    path = tmp_path / "rest.txt"
    path.write_text("\n".join(answers) + "\n")
    out = subprocess.run(
        [EXE, "interview", "--resume", session, "--answers-file", str(path), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return out


ARGS = ["--round", "L1", "--questions", "2", "--seed", "4", "--no-coding"]


def test_cli_kill_9_while_grading_the_answer_then_resume_grades_it(tmp_path):
    proc, marker = _interview(tmp_path, [*ARGS, "--follow-ups", "0"], pause_at=1)
    try:
        store = Store(settings=Settings.from_env())
        session, turns = _first_turn(store, proc)
        answer = default_bank()[turns[0].question_id].model_answer.replace("\n", " ")
        proc.stdin.write(answer + "\n\n")  # an empty line sends an answer
        proc.stdin.flush()
        _wait_for(marker, proc)
        _, turns = store.load_session(session, user_id="local")
        assert turns[0].answer == answer and turns[0].grade is None  # committed, not graded
        _kill_9(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = _resume(tmp_path, session, ["not sure"])
    assert f"Question 1: {turns[0].question}" not in out.stderr  # never asked again
    info, final = store.load_session(session, user_id="local")
    assert info.status == "finished"
    assert final[0].answer == answer and final[0].grade is not None
    assert final[0].grade.overall >= 60 and final[1].answer == "not sure"
    report = json.loads(out.stdout)["report"]
    assert report["questions"][0]["overall"] == final[0].grade.overall


def test_cli_kill_9_while_grading_a_follow_up_then_resume_merges_it(tmp_path):
    proc, marker = _interview(tmp_path, [*ARGS, "--follow-ups", "1"], pause_at=2)
    try:
        store = Store(settings=Settings.from_env())
        proc.stdin.write(WEAK + "\n\n")
        proc.stdin.flush()
        session, turns = _first_turn(store, proc, until=lambda t: bool(t.follow_ups))
        probe_answer = default_bank()[turns[0].question_id].model_answer.replace("\n", " ")
        proc.stdin.write(probe_answer + "\n\n")
        proc.stdin.flush()
        _wait_for(marker, proc)
        _kill_9(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, before = store.load_session(session, user_id="local")
    assert before[0].follow_ups[0].answer == probe_answer and before[0].status == "pending"
    out = _resume(tmp_path, session, ["not sure"])
    assert f"Question 1: {before[0].question}" not in out.stderr
    _, final = store.load_session(session, user_id="local")
    assert final[0].answer == WEAK  # the main answer was never overwritten
    assert final[0].follow_ups[0].answer == probe_answer and final[0].status == "answered"
    assert final[0].grade.overall > before[0].grade.overall  # the follow-up was graded in
    assert final[1].answer == "not sure"


def test_cli_refuses_bytes_that_are_not_utf8_in_one_line_and_keeps_the_question(tmp_path):
    proc = subprocess.run(
        [EXE, "interview", *ARGS, "--follow-ups", "0"],
        input=b"caf\xed\xa0\x80 \xff\n\n/end\n",
        capture_output=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=600,
    )
    out, err = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, err
    assert "Traceback" not in err + out
    # (walk41: "a lone surrogate" alone is jargon for bytes that are not UTF-8)
    assert "bytes that are not UTF-8 text (or a lone surrogate)" in out and "nothing was recorded" in out
    store = Store(settings=Settings.from_env())
    session = store.list_sessions(user_id="local")[0]["id"]
    _, turns = store.load_session(session, user_id="local")
    assert turns[0].answer is None  # the question stayed open; /end closed the session
