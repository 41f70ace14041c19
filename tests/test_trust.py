"""An interviewer a candidate trusts: one score story everywhere, incomplete sessions said as
such, probes that never hand over the answer, feedback that quotes the candidate, STAR checks
for stories, wrong claims corrected, and a clean terminal. Real grader, real SQLite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from interviewer.bank import default_bank
from interviewer.cli import main
from interviewer.config import Settings
from interviewer.engine import OfflineEngine
from interviewer.export import to_json, to_markdown
from interviewer.grading import text as tu
from interviewer.grading.grader import default_grader
from interviewer.grading.rubric import CRITERIA, STAR_MISSING
from interviewer.models import half_up
from interviewer.store import open_store
from tests.helpers import new_interview, offline_engine, resume

EXE = str(Path(sys.executable).with_name("mock-interview"))


def _answer_then_skip(store, seed=4):
    """A 3-question L1 session: a strong answer, a skipped question, a weak answer."""
    bank = default_bank()
    iv = new_interview(round="L1", questions=3, store=store, seed=seed, follow_ups=0)
    iv.start()
    iv.answer(bank[iv.current.question_id].model_answer)
    iv.command("skip")
    iv.answer("It depends on the data, I would try a few things.")
    return iv


def test_one_score_everywhere_with_a_skipped_question(store, capsys):
    iv = _answer_then_skip(store)
    report = iv.report()
    assert iv.done and [q.status for q in report.questions] == ["answered", "skipped", "answered"]
    graded = [t.grade.overall for t in iv.turns if t.grade]
    assert report.overall == half_up(sum(graded) / 3)  # the skipped question counts 0
    [listed] = store.list_sessions(user_id="local")
    assert listed["score"] == report.overall and listed["questions"] == 2
    progress = store.progress(user_id="local")
    assert progress["sessions"][0]["overall"] == report.overall
    assert progress["by_round"]["L1"][0][1] == report.overall
    info, turns = store.load_session(iv.info.id, user_id="local")
    assert info.summary["overall"] == report.overall
    assert json.loads(to_json(info, turns))["session"]["summary"]["overall"] == report.overall
    assert f"{report.overall}/100" in to_markdown(info, turns)
    # criterion averages count the skipped question as the lowest mark
    depth = [t.grade.criteria["depth"].score for t in iv.turns if t.grade] + [1]
    assert report.criteria["depth"] == round(sum(depth) / 3, 2)
    assert main(["transcripts", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["score"] == report.overall
    # The terminal's list shows it as the app does: "46", not "46.0" (a walk-through).
    assert main(["transcripts", "list"]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[0] == iv.info.id and f"{report.overall}" in row and f"{report.overall}.0" not in row


def test_an_early_end_is_incomplete_with_no_hire_signal(store):
    bank = default_bank()
    iv = new_interview(round="L1", questions=3, store=store, seed=1, follow_ups=0)
    iv.start()
    iv.answer(bank[iv.current.question_id].model_answer)
    iv.command("end")
    report = iv.report()
    assert not report.complete and report.signal == "incomplete" and not report.passed
    assert report.planned == 3 and report.answered == 1
    assert "1 of 3 planned questions answered" in report.note
    [listed] = store.list_sessions(user_id="local")
    assert listed["signal"] == "incomplete" and (listed["questions"], listed["planned"]) == (1, 3)


def test_the_resume_label_counts_what_it_scores(store):
    from interviewer.ui.render import session_choices

    bank = default_bank()
    iv = new_interview(round="L1", questions=3, store=store, seed=1, follow_ups=0)
    iv.start()
    iv.answer(bank[iv.current.question_id].model_answer)  # then the tab is closed
    [label] = [label for label, _ in session_choices(store.unfinished_sessions(user_id="local"))]
    score = iv.turns[0].grade.overall
    assert f"1 of 3 answered · {score}/100" in label


def test_an_open_session_with_only_skips_is_listed_without_a_score(store):
    # Seen in a walk-through: "0 of 2 answered · 0/100" read as a graded zero.
    from interviewer.ui.render import session_choices, session_rows

    iv = new_interview(round="L1", questions=3, store=store, seed=1, follow_ups=0)
    iv.start()
    iv.command("skip")  # then the tab is closed
    listed = store.unfinished_sessions(user_id="local")
    assert listed[0]["score"] == 0  # the report's score: a skip counts 0
    [label] = [label for label, _ in session_choices(listed)]
    assert "0 of 3 answered" in label and "/100" not in label
    assert session_rows(listed)[0][1] == ""
    iv.answer(default_bank()[iv.current.question_id].model_answer)
    [label] = [label for label, _ in session_choices(store.unfinished_sessions(user_id="local"))]
    assert f"1 of 3 answered · {half_up(iv.turns[1].grade.overall / 2)}/100" in label
    iv.command("end")  # finished: the report's 0 for the skip stands wherever it is listed
    [finished] = store.list_sessions(user_id="local")
    assert session_rows([finished])[0][1] == finished["score"]


def test_two_sessions_started_in_the_same_minute_are_told_apart_by_their_seconds():
    # Seen in a walk-through: two lines read alike up to their ids, which a phone cuts.
    from interviewer.markup import when
    from interviewer.ui.render import session_choices

    base = {"round": "L1", "questions": 0, "planned": 2, "score": 0, "status": "active"}
    t = 1_800_000_000 - 1_800_000_000 % 60  # the start of a minute
    listed = [{**base, "id": "a", "created_at": t + 5}, {**base, "id": "b", "created_at": t + 40},
              {**base, "id": "c", "created_at": t + 3600}]  # fmt: skip
    a, b, c = (label for label, _ in session_choices(listed))
    assert a.startswith(when(t + 5, seconds=True)) and b.startswith(when(t + 40, seconds=True))
    assert a.split(" · ")[0] != b.split(" · ")[0]
    assert c.startswith(when(t + 3600) + " · ")  # alone in its minute: no seconds


def test_an_unfinished_real_interview_is_listed_without_its_score(store):
    from interviewer.ui.render import session_choices

    bank = default_bank()
    iv = new_interview(round="L1", questions=3, store=store, seed=1, follow_ups=0, real=True)
    iv.start()
    iv.answer(bank[iv.current.question_id].model_answer)
    [label] = [label for label, _ in session_choices(store.unfinished_sessions(user_id="local"))]
    assert "L1 real interview · 1 of 3 answered" in label and "/100" not in label


def test_weakest_topics_are_below_the_pass_mark_and_include_skipped_ones(store):
    iv = _answer_then_skip(store)
    progress = store.progress(user_id="local")
    topics = progress["by_topic"]
    strong, skipped, weak = (t.topic for t in iv.turns)
    assert topics[strong]["mean"] >= 60 and strong not in progress["weakest_topics"]
    assert topics[skipped]["mean"] == 0 and progress["weakest_topics"][0] == skipped
    assert all(topics[t]["mean"] < 60 for t in progress["weakest_topics"])


def test_probes_never_state_the_point_and_never_probe_a_covered_one(store):
    bank = default_bank()
    for q in bank.values():  # every authored probe asks without giving the answer away
        for fu in q.follow_ups:
            point = q.key_point(fu.key_point)
            want = tu.content_stems(point.point)
            shared = len(want & tu.content_stems(fu.text)) / max(1, len(want))
            assert shared <= 0.5, (q.id, fu.key_point, round(shared, 2))
    # an answer that covers one point is probed on another, never on what it said
    q = bank["l1-bagging-vs-boosting"]
    iv = new_interview(round="L1", questions=1, bank={q.id: q}, store=store)
    iv.start()
    reply = iv.answer(
        "Bagging trains models in parallel on bootstrap samples and averages them, which "
        "reduces variance."
    )
    turn = iv.turns[0]
    covered = {kp.id for kp in turn.grade.key_points if kp.covered}
    assert covered and reply.kind == "follow_up"
    probed = turn.follow_ups[0].key_point
    assert probed not in covered and reply.text.endswith(q.follow_up_for(probed).text)


def test_offline_probes_only_come_from_authored_follow_ups():
    q = default_bank()["l1-bagging-vs-boosting"]
    assert OfflineEngine(default_grader(Settings.from_env())).probe_for(q, "anything") is None


def test_a_story_without_a_quantified_result_is_told_so():
    q = default_bank()["l2-explain-model-failure-stakeholder"]
    assert q.asks_for_story
    story = (
        "At my last job our demand forecast overshot for promoted products and the supply "
        "chain head asked why. My task was to explain it without jargon and agree a fix. I met "
        "her the same day, explained that the model had never seen this kind of promotion, and "
        "proposed a manual override for new promotion types. She was happy with it."
    )
    grade, _ = offline_engine().judge(q, story)
    assert STAR_MISSING + "result" in grade.flags
    assert "result" in grade.feedback and "numbers" in grade.feedback
    full = story.replace("She was happy with it.", "As a result overstock fell from 18% to 6%.")
    grade, _ = offline_engine().judge(q, full)
    assert not [f for f in grade.flags if f.startswith(STAR_MISSING)]


def test_feedback_quotes_the_candidate_and_shows_the_score_before_the_hint_penalty(store):
    bank = default_bank()
    iv = new_interview(round="L1", questions=2, store=store, seed=3, follow_ups=0)
    iv.start()
    q = bank[iv.current.question_id]
    iv.command("hint")
    reply = iv.answer(q.model_answer)
    graded = reply.graded_turn.grade
    assert graded.hint_penalty == 10
    lines = reply.text.splitlines()
    assert lines[0] == (
        f"Score: {graded.overall}/100 ({graded.overall + 10} for what you said, less 10 for the "
        "hint penalty)"
    )
    landed = [x for x in lines if x.startswith('• Landed: "')]
    assert landed and all(x[len('• Landed: "') : -1] in q.model_answer.replace("\n", " ")
                          or x.endswith('…"') for x in landed)  # fmt: skip
    assert 2 <= len([x for x in lines if x.startswith("•")]) <= 3


def test_strengths_say_what_was_strong_not_the_question(store):
    bank = default_bank()
    iv = new_interview(round="L1", questions=2, store=store, seed=7, follow_ups=0)
    iv.start()
    while not iv.done:
        iv.answer(bank[iv.current.question_id].model_answer)
    report = iv.report()
    assert report.strengths
    for s in report.strengths:
        assert not any(t.question in s for t in iv.turns), s


def test_a_wrong_claim_is_corrected_not_advised_and_its_sentence_covers_nothing():
    bank = default_bank()
    q = bank["l1-bagging-vs-boosting"]
    wrong = (
        "Boosting trains all its models independently and in parallel on bootstrap samples, "
        "and random forest is the classic boosting algorithm. Bagging is what mainly reduces bias."
    )
    grade, _ = offline_engine().judge(q, wrong)
    reds = [f for f in grade.flags if f.startswith("red flag: ")]
    assert reds
    assert "Wrong: " in grade.feedback and "Check:" not in grade.feedback
    # the sentence that states the wrong claim (boosting in parallel) covers no key point
    stated = wrong.split(". ")[0]
    assert all(not kp.evidence.startswith(stated[:40]) for kp in grade.key_points if kp.covered)


def test_hints_keep_acronyms_and_counts_read_right():
    from interviewer.engine import HINT_STOPS
    from interviewer.markup import lower_first, plural

    assert lower_first("AUC is the probability") == "AUC is the probability"
    assert lower_first("XGBoost uses") == "XGBoost uses" and lower_first("Bagging fits") == (
        "bagging fits"
    )
    assert lower_first("L1 adds an absolute penalty") == "L1 adds an absolute penalty"  # walk-through
    # code keeps its case (a walk-through's strength read "series.map looks up each value")
    assert lower_first("Series.map looks up each value") == "Series.map looks up each value"
    assert lower_first("Groupby_mean, then merge") == "Groupby_mean, then merge"
    assert lower_first("Map, then merge") == "map, then merge"
    assert plural(1, "question") == "1 question" and plural(3, "question") == "3 questions"
    for q in default_bank().values():  # every question whose first hint opens on an acronym
        top = max(q.key_points, key=lambda kp: kp.weight).point
        first = top.split()[0]
        hint = offline_engine().hint(q, 0)
        assert ".;" not in hint and "…." not in hint and ",." not in hint
        # it stops after a word that carries meaning (a walk-through read "..., and ...")
        assert hint.split()[-2].strip(",.;:").lower() not in HINT_STOPS, hint
        if len(first) > 1 and first[1:] != first[1:].lower():
            assert f"think about this: {first}" in hint, (q.id, hint)
    iv = new_interview(round="L1", questions=1)
    assert "1 question." in iv.start().text


def test_the_terminal_gets_a_clean_report(tmp_path):
    answers = tmp_path / "a.txt"
    answers.write_text("Bagging averages <b>models</b> & trees | here.\n/skip\n/end\n")
    out = subprocess.run(
        [EXE, "interview", "--round", "L1", "--questions", "2", "--seed", "3", "--no-coding",
         "--follow-ups", "0", "--answers-file", str(answers)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = out.stdout[out.stdout.index("REPORT  ") :]
    for noise in ("**", "&gt;", "&lt;", "&amp;", "\\", "| "):
        assert noise not in report, noise
    assert "Criterion" in report and "Per question" in report


def test_ctrl_c_and_multi_line_answers_in_the_terminal(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [EXE, "interview", "--round", "L2", "--questions", "2", "--seed", "2", "--follow-ups", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=env,
    )  # fmt: skip
    store = open_store(Settings.from_env())
    try:
        proc.stdin.write("First line of my answer.\nSecond line, same answer.\n\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            sessions = store.list_sessions(user_id="local")
            if sessions:
                _, turns = store.load_session(sessions[0]["id"], user_id="local")
                if turns and turns[0].grade is not None and len(turns) == 2:
                    break
            assert proc.poll() is None, f"exited early ({proc.returncode}): {proc.stdout.read()}"
            time.sleep(0.3)
        else:
            raise AssertionError("the first answer was never graded and the second question asked")
        assert turns[0].answer == "First line of my answer.\nSecond line, same answer."
        proc.send_signal(signal.SIGINT)
        text, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    sid = sessions[0]["id"]
    assert f"Interrupted. Session {sid} is saved; resume with `mock-interview interview --resume {sid}`." in text
    again, reply = resume(store, sid, user_id="local")
    assert reply.kind == "question" and again.current.index == 1


def _readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` has something to read (or was closed) within ``timeout`` s. poll, not
    select: select refuses a descriptor numbered 1024 or more, which a pty opened late in a
    long test session can get ("filedescriptor out of range in select()", a CI run)."""
    import select

    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


class Pty:
    """The terminal interview on a real pseudo-terminal: what a candidate's terminal sends and
    shows (readline, the line discipline, Ctrl-C as a key)."""

    def __init__(self, argv: list[str]):
        import fcntl
        import pty
        import termios

        self.master, slave = pty.openpty()

        def controlling_terminal():  # the pty is the child's terminal, as in a real one
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            # As a terminal's shell starts it: Ctrl-C interrupts, whatever this run inherited
            # (a job started in the background by a non-interactive shell ignores SIGINT).
            signal.signal(signal.SIGINT, signal.SIG_DFL)

        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
            preexec_fn=controlling_terminal, env={**os.environ, "TERM": "dumb"},
        )  # fmt: skip
        os.close(slave)
        self.seen = ""
        self.mark = 0  # what was shown before the last keys typed

    def wait_for(self, text: str, timeout: float = 300) -> None:
        """Until ``text`` is shown after the last keys typed."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.mark :]:
            assert time.monotonic() < deadline, f"{text!r} never shown; last: {self.seen[-500:]!r}"
            if _readable(self.master, 1.0):
                try:
                    self.seen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:  # the child closed the terminal
                    assert text in self.seen[self.mark :], f"{text!r} never shown: {self.seen!r}"

    def press_until(self, key: str, text: str, every: float = 5.0, timeout: float = 300) -> None:
        """Press ``key``, and again every ``every`` s while the program shows nothing at all in
        reply (once it replies, it is not pressed again: a second Ctrl-C would cut short its
        handling of the first); then wait until ``text`` is shown."""
        deadline = time.monotonic() + timeout
        self.type(key)
        mark = self.mark
        while len(self.seen) == mark and time.monotonic() < deadline:
            if _readable(self.master, every):
                try:
                    self.seen += os.read(self.master, 65536).decode("utf-8", "replace")
                except OSError:
                    break
            elif self.proc.poll() is None:
                self.type(key)
                self.mark = mark  # what the first press shows counts too
        self.wait_for(text, timeout=max(1.0, deadline - time.monotonic()))

    def type(self, text: str) -> None:
        self.mark = len(self.seen)
        for i in range(0, len(text), 512):  # as a terminal delivers a paste: in pieces
            os.write(self.master, text[i : i + 512].encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=60)
        os.close(self.master)


def test_a_long_line_and_ctrl_c_in_a_real_terminal():
    # Seen in a walk-through: a 10,080-character answer pasted on one line was stored cut at
    # 4,095 characters (the terminal's line limit), and Ctrl-C dropped two typed, unsent lines
    # without a word.
    from interviewer.cli.interview import MORE  # the prompt of an answer's later lines

    long = " ".join(["I would window the card events in Flink keyed by card id"] * 110)
    assert len(long) > 6000
    term = Pty([EXE, "interview", "--round", "L2", "--questions", "2", "--seed", "2",
                "--follow-ups", "0", "--no-coding"])  # fmt: skip
    try:
        term.wait_for("an empty line sends it")
        term.wait_for("\n> ")
        term.type(long + "\r")
        term.wait_for("\n" + MORE)  # the answer goes on until an empty line
        term.type("\r")
        term.wait_for("Question 2")
        term.wait_for("\n> ")
        term.type("a draft I had not sent\r")
        term.wait_for("\n" + MORE)
        term.type("and a line still being typed")  # no Enter: it is in readline's buffer
        term.wait_for("being typed")
        # Ctrl-C, as the key: the terminal sends SIGINT. Python's readline misses one that
        # lands between echoing a key and waiting for the next (its C loop checks signals only
        # when its select is interrupted): a candidate presses it again, and so does this test
        # (a loaded CI host once sat five minutes on the first).
        term.press_until("\x03", "resume with")
        assert term.proc.wait(timeout=60) == 130
        shown = term.seen.replace("\r", "")
        assert ("Not sent, so not saved. What you had typed:\na draft I had not sent\n"
                "and a line still being typed") in shown  # fmt: skip
    finally:
        term.close()
    store = open_store(Settings.from_env())
    sid = store.list_sessions(user_id="local")[0]["id"]
    _, turns = store.load_session(sid, user_id="local")
    assert turns[0].answer == long and turns[1].answer in (None, "")


def test_ctrl_d_in_the_middle_of_an_answer_in_a_real_terminal_sends_nothing():
    # walk19b: Ctrl-D after a typed line sent the half answer to be graded; the README says
    # Ctrl-D prints the command that resumes the session.
    from interviewer.cli.interview import MORE

    term = Pty([EXE, "interview", "--round", "L2", "--questions", "2", "--seed", "2",
                "--follow-ups", "0", "--no-coding"])  # fmt: skip
    try:
        term.wait_for("an empty line sends it")
        term.wait_for("\n> ")
        term.type("Our churn model was late because the labels were wrong\r")
        term.wait_for("\n" + MORE)
        term.type("\x04")  # Ctrl-D at the start of a line: end of input
        term.wait_for("resume with")
        assert term.proc.wait(timeout=60) == 130
        shown = term.seen.replace("\r", "")
        assert ("Not sent, so not saved. What you had typed:\nOur churn model was late because "
                "the labels were wrong") in shown and "resume with" in shown  # fmt: skip
    finally:
        term.close()
    store = open_store(Settings.from_env())
    sid = store.list_sessions(user_id="local")[0]["id"]
    _, turns = store.load_session(sid, user_id="local")
    assert turns[0].answer in (None, "") and turns[0].grade is None


def test_a_full_loops_report_numbers_questions_as_the_scorecard_does():
    # Seen in a walk-through: the report's "Per question" read 1-8 beside a scorecard and chat
    # of L1 Q1-Q4 and L2 Q1-Q4.
    from interviewer.report import build_report
    from interviewer.report_render import report_markdown, report_text
    from tests.test_store import make_turn

    turns = [make_turn(0, overall=80), make_turn(1, overall=70),
             make_turn(2, round="L2", overall=60), make_turn(3, round="L2", overall=40)]  # fmt: skip
    report = build_report(turns, planned=4)
    md, text = report_markdown(report), report_text(report, 100)
    for tag in ("L1 Q1", "L1 Q2", "L2 Q1", "L2 Q2"):
        assert f"\n- {tag}. " in md and f"{tag}. [" in text
    # ... each its own list item, not one paragraph (a walk-through read them run together)
    from markdown_it import MarkdownIt

    for rep in (report, build_report(turns[:2], planned=2)):
        part = report_markdown(rep).split("### Per question")[1].split("###")[0]
        html = MarkdownIt().render(part)
        assert html.count("<li>") == len(rep.questions) and "<p>" not in html, html
    one = build_report([make_turn(0, overall=80), make_turn(1, overall=70)], planned=2)
    assert "\n2. " in report_markdown(one) and " 2. [80" not in report_text(one, 100)
    assert " 2. [70/100" in report_text(one, 100)


def test_a_wrong_claim_is_its_questions_top_gap():
    # A walk-through: the worst L1 answer ("there is no linear-time solution") was in no gap;
    # its one unticked point, an edge case, ranked below other questions' points.
    from interviewer.grading.rubric import RED_FLAG
    from interviewer.report import build_report
    from tests.test_store import make_turn

    bank = default_bank()
    q = bank["l1-longest-substring-no-repeat"]
    flag = q.red_flags[-1]
    turns = [make_turn(0, overall=20, question_id=q.id), make_turn(1, overall=70)]
    turns[0].grade.flags.append(f"{RED_FLAG}{flag.claim}")
    gaps = build_report(turns, bank=bank, planned=2).gaps
    assert gaps[0].point == f"{flag.why.rstrip('.')} (your answer stated otherwise)."
    assert gaps[0].question == turns[0].question and len({g.question for g in gaps}) == len(gaps)
    # a question the bank does not hold (an LLM's) names the claim itself
    turns[0].question_id = "generated-1"
    said = build_report(turns, bank=bank, planned=2).gaps[0].point
    assert said == f"“{flag.claim.rstrip('.')}” is a known mistake, which your answer stated."


def test_a_gap_is_led_by_its_topic_once():
    # A walk-through's first gap began "Prevent it by ..." with no word of what "it" was; a
    # re-walk's then read "Data drift: data drift, also called covariate shift, ...".
    from interviewer.report import Gap
    from interviewer.report_render import gap_said

    def gap(point, topic):
        return Gap(point=point, topic=topic, question="q", guide_section="", weight=3)

    assert gap_said(gap("Prevent it by defining each feature once.", "pipeline-design")) == (
        "Pipeline design: prevent it by defining each feature once.")
    said = "Data drift, also called covariate shift, is a change in the inputs."
    assert gap_said(gap(said, "data-drift")) == said
    assert gap_said(gap("PCA needs scaled features.", "")) == "PCA needs scaled features."


def test_scores_round_halves_up_everywhere():
    # A re-walk: a round of 3 and 2 read 2/100 (Python's round() takes halves to even), while
    # 83 and 100 read 92.
    from interviewer.report import build_report
    from tests.test_store import make_turn

    turns = [make_turn(0, overall=83), make_turn(1, overall=100),
             make_turn(2, round="L2", overall=3), make_turn(3, round="L2", overall=2)]  # fmt: skip
    report = build_report(turns, planned=4)
    assert report.rounds["L1"]["overall"] == 92 and report.rounds["L2"]["overall"] == 3
    assert report.overall == 47  # 188 / 4
    assert build_report([make_turn(0, overall=58), make_turn(1, overall=59)]).overall == 59


def test_gaps_of_weaker_answers_come_first_and_an_answer_graded_correct_last():
    # A re-walk: the top gap was from a question scored 100, above ones scored 42 and 50.
    from interviewer.report import build_report
    from tests.test_store import make_turn

    # (graded correct at 90: an answer at 100 gives no gap at all, test_interview)
    turns = [make_turn(0, overall=90), make_turn(1, overall=50), make_turn(2, overall=42)]
    order = [g.question for g in build_report(turns, planned=3).gaps]
    assert order == [turns[2].question, turns[1].question, turns[0].question]
    turns[0].grade.overall = 100
    order = [g.question for g in build_report(turns, planned=3).gaps]
    assert order == [turns[2].question, turns[1].question]


def test_a_signal_lowered_by_red_flags_says_why():
    # A walk-through: 74/100 read "lean no hire" beside 73 "hire" in another session, with
    # nothing said about the red flag that lowered it.
    from interviewer.grading.rubric import RED_FLAG
    from interviewer.report import build_report
    from interviewer.report_render import report_markdown, report_text
    from tests.test_store import make_turn

    turns = [make_turn(0, overall=80), make_turn(1, overall=70), make_turn(2, overall=72)]
    assert "red flag" not in build_report(turns, planned=3).note
    turns[1].grade.flags.append(f"{RED_FLAG}Variance is the noise in the labels.")
    assert build_report(turns, planned=3).signal == "hire"  # one of three: not over a third
    turns[2].grade.flags.append(f"{RED_FLAG}More complex models always have lower test error.")
    report = build_report(turns, planned=3)
    assert report.overall >= 70 and report.signal == "lean no hire"
    said = "At most lean no hire: a wrong claim (a red flag) in 2 of 3 answers, more than a third."
    assert said in report.note
    assert said in report_markdown(report) and "more than a third" in report_text(report, 100)
    # and each one is named under its question
    for out in (report_markdown(report), report_text(report, 100)):
        assert "stated a wrong claim: “Variance is the noise in the labels”" in out
        assert out.count("stated a wrong claim") == 2
    # With the words read as the claim, those come first (a walk-through's "accuracy averaged
    # over thresholds" was reported as having said "AUC is the accuracy at 0.5")
    claim = "More complex models always have lower test error."
    turns[2].grade.wrong_said[claim] = "A deeper net is better on new data."
    report = build_report(turns, planned=3)
    for out in (report_markdown(report), " ".join(report_text(report, 100).split())):
        assert ("stated a wrong claim: you said “A deeper net is better on new data”, read as "
                "“More complex models always have lower test error”") in out  # fmt: skip
    # the claim's own words are quoted once (a re-walk read "you said X, read as X")
    turns[2].grade.wrong_said[claim] = "more complex models always have lower test error"
    out = report_markdown(build_report(turns, planned=3))
    assert "stated a wrong claim: “More complex models always have lower test error”" in out
    assert "read as" not in out


def test_the_terminal_report_fits_a_narrow_terminal():
    # Seen in a walk-through: at 70 columns the criteria header broke as "Average (1-5" / ")".
    from interviewer.report import build_report
    from interviewer.report_render import report_text
    from tests.test_store import make_turn

    report = build_report([make_turn(0, overall=80), make_turn(1, overall=60)], planned=2)
    wide, narrow = report_text(report, 100), report_text(report, 70)
    assert "Engineering excellence" in wide
    header = next(line for line in narrow.splitlines() if line.startswith("Criterion"))
    assert header.endswith("Average (1-5)") and len(header) <= 70
    assert "Engineering excellence" not in narrow and "\nEngineering " in narrow


def test_a_question_without_a_score_never_reads_none_in_the_report():
    # Seen in a walk-through: the terminal's report printed "[None/100]".
    from interviewer.report import build_report
    from interviewer.report_render import report_markdown, report_text
    from tests.test_store import make_turn

    turns = [make_turn(0, overall=80), make_turn(1), make_turn(2, answer=None)]
    assert turns[1].status == "answered" and turns[1].grade is None
    report = build_report(turns, planned=3)
    md, text = report_markdown(report), report_text(report, 100)
    assert "None" not in md and "None" not in text
    assert "[not graded]" in text and "**not graded**" in md
    assert "[not answered]" in text and "[80/100]" in text


def test_a_loop_with_a_failed_round_is_not_passed_and_never_reads_as_a_hire():
    """Full loop: L1 at 100, L2 at 50 averages 75, but a failed L2 is no offer."""
    from interviewer.report import build_report
    from tests.test_store import make_turn

    turns = [make_turn(0, overall=100), make_turn(1, overall=100),
             make_turn(2, round="L2", overall=60), make_turn(3, round="L2", overall=40)]  # fmt: skip
    report = build_report(turns, planned=4)
    assert report.overall == 75 and report.complete
    assert report.rounds["L2"]["passed"] is False and not report.passed
    assert report.signal == "lean no hire"
    # Seen in a walk-through: "75/100 · lean no hire" with no word on why: the report says so.
    assert "Not passed: L2 scored 50, below the pass mark (60)" in report.note
    one_round = build_report([make_turn(0, overall=40), make_turn(1, overall=50)], planned=2)
    assert not one_round.passed and "Not passed" not in one_round.note  # its score says it


def test_a_loops_transcript_and_exports_say_each_rounds_score_and_why_it_did_not_pass():
    # A walk-through: the report said "Round L1: 72/100 ... (passed)", "Round L2: 47/100 ... (not
    # passed)" and why, the Transcripts view and the exports only "Overall: 60/100 · not passed".
    from interviewer.export import to_html, to_json, to_markdown
    from interviewer.models import SessionInfo
    from interviewer.report import build_report
    from tests.test_store import make_turn

    turns = [make_turn(0, overall=100), make_turn(1, overall=100),
             make_turn(2, round="L2", overall=60), make_turn(3, round="L2", overall=40)]  # fmt: skip
    report = build_report(turns, planned=4)
    info = SessionInfo(round="full", status="finished", summary=report.model_dump())
    said = ("Round L1: 100/100 over 2 questions (passed)", "Round L2: 50/100 over 2 questions "
            "(not passed)", "Not passed: L2 scored 50, below the pass mark (60)")  # fmt: skip
    md, html = to_markdown(info, turns), to_html(info, turns)
    for line in said:
        label, _, value = line.partition(": ") if line.startswith("Round") else ("", "", line)
        assert (f"**{label}:** {value}" if label else value) in md, md
        assert value in html, html
    stored = json.loads(to_json(info, turns))["session"]["summary"]  # the summary as stored
    assert stored["rounds"]["L2"] == {"overall": 50, "questions": 2, "passed": False}
    one = SessionInfo(round="L1", status="finished",
                      summary=build_report(turns[:2], planned=2).model_dump())  # fmt: skip
    assert "Round L1" not in to_markdown(one, turns[:2])  # one round: its overall says it


def test_a_loop_names_a_criterion_a_strength_only_when_every_round_was_strong_in_it():
    """Seen in a walk-through: a loop whose L2 failed listed criteria averaging 4/5 as strengths,
    carried by L1."""
    from interviewer.report import build_report
    from tests.test_store import make_turn

    strong, weak = (5, 5, 5, 5), (3, 3, 5, 3)  # depth, problem solving, engineering, comm.
    turns = [make_turn(0, overall=95, scores=strong), make_turn(1, overall=95, scores=strong),
             make_turn(2, round="L2", overall=55, scores=weak),
             make_turn(3, round="L2", overall=45, scores=weak)]  # fmt: skip
    report = build_report(turns, planned=4)
    assert report.criteria["depth"] == 4.0 and not report.passed
    named = [s for s in report.strengths if s.startswith("On average")]
    assert named == [f"On average: {CRITERIA['engineering']} 5.0/5"]
    # ... and the ones strong in L1 alone are L1's, named as such (a later walk-through read no
    # strength at all for an L1 averaging 4/5 on every criterion)
    assert f"In L1, on average: {CRITERIA['depth']} 5.0/5, {CRITERIA['problem_solving']} 5.0/5, " \
        f"{CRITERIA['communication']} 5.0/5" in report.strengths
    assert not any(s.startswith("In L2") for s in report.strengths)
    # One round: its own means decide, as before.
    l1 = build_report(turns[:2], planned=2)
    # on one line (a walk-through read four criterion lines as a list of every criterion)
    assert l1.strengths[0] == "On average: " + ", ".join(f"{CRITERIA[c]} 5.0/5" for c in CRITERIA)
    assert not [s for s in l1.strengths[1:] if "on average" in s.lower()]


def test_a_loop_whose_l1_had_many_strong_answers_still_names_l2_strengths():
    """walk47: L2 at 91/100, and every strength the report listed was L1's (its five strong
    answers came first and filled the list)."""
    from interviewer.report import MAX_STRENGTHS, _topic, build_report
    from tests.test_store import make_turn

    l1 = [make_turn(i, topic=f"fundamentals-{i}", overall=90) for i in range(5)]
    l2 = [make_turn(5 + i, topic=f"design-{i}", round="L2", overall=91) for i in range(2)]
    report = build_report(l1 + l2, planned=10)
    assert len(report.strengths) == MAX_STRENGTHS
    named = [s for s in report.strengths if not s.startswith(("On average", "In L"))]
    assert any(s.startswith(f"{_topic(l2[0])}:") for s in named), report.strengths
    assert any(s.startswith(f"{_topic(l1[0])}:") for s in named), report.strengths


def test_the_signal_and_the_pass_read_the_same_rounded_score():
    """60 and 59 average 59.5, shown as 60/100: passed, so at least "lean hire"."""
    from interviewer.report import build_report
    from tests.test_store import make_turn

    report = build_report([make_turn(0, overall=60), make_turn(1, overall=59)], planned=2)
    assert report.overall == 60 and report.passed and report.signal == "lean hire"


def test_a_model_answer_shows_its_code_as_code_and_its_prose_escaped():
    from interviewer.ui.render import model_answer_msg

    msg = model_answer_msg(
        "Use a dict of last positions.\n\n```python\ndef f(s):\n    return len(set(s))\n```\n"
        "It is O(n). <b>bold?</b>"
    )
    content = msg["content"]
    assert "```python\ndef f(s):\n    return len(set(s))\n```" in content  # a code block
    assert "Use a dict of last positions." in content
    assert "<b>" not in content  # prose stays text, never HTML
    # The bank's hard-wrapped prose flows as a paragraph (the chat shows every line break).
    assert model_answer_msg("One line\nwrapped here.\n\nNext.")["content"] == (
        "One line wrapped here.\n\nNext."
    )


def test_a_story_set_at_a_client_has_its_situation():
    # Seen in the app: "I built a churn model for a telecom client." flagged "STAR: no
    # situation" while the feedback quoted it; a story with no setting is still flagged.
    from interviewer.grading.star import star

    for setting in ("I built a churn model for a telecom client.",
                    "I worked with a regional bank on fraud alerts.",
                    "At a fintech startup I owned the scoring model.",
                    # a walk-through's labelled STAR story was told it "lacks the situation"
                    "Situation: the retention campaigns were wasting offers.",
                    "Our churn scoring model's precision dropped after a pricing change."):  # fmt: skip
        assert star(setting).situation, setting
    assert not star("I chose gradient-boosted trees because the data was tabular.").situation
    # ... and one labelled "Action:" with its own verbs has its action; "we" alone has none.
    assert star("Action: I skipped the jargon and prepared two charts.").action
    assert not star("I wanted to fix it, so we retrained the model.").action


def test_the_terminal_report_says_incomplete_once():
    from interviewer.report import build_report
    from interviewer.report_render import report_text
    from tests.test_store import make_turn

    report = build_report([make_turn(0, overall=70)], planned=3)
    head = report_text(report).splitlines()[0]
    assert head == "REPORT  70/100 · incomplete" and not report.complete
    done = report_text(build_report([make_turn(0, overall=70)], planned=1)).splitlines()[0]
    assert done.startswith("REPORT  70/100 · ") and done.endswith(" · passed")
