"""What a failed hidden test catches (``CodeTest.why``), said beside its name wherever a failed
test is named to the candidate: the chat's feedback, the grade's flag, the report. Real sandbox
runs of the bank's bracket checker, real SQLite."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from interviewer.bank import default_bank
from interviewer.chat_feedback import feedback_text
from interviewer.coding.grade import CORE_MISSED_MAX
from interviewer.coding.spec import WHY_CHARS, CodeTest, CodingSpec
from interviewer.coding_answer import FAILED_FLAG, failed_named, failed_why, why_failed, why_said
from interviewer.config import Settings
from interviewer.report_render import report_markdown, report_text
from interviewer.store import open_store
from tests.coding.test_interview_coding import COUNTS_ONLY, _at_the_brackets_question
from tests.helpers import offline_engine

BRACKETS = "l1-code-balanced-brackets"
NESTING = "interleaved_is_not_nested"
COUNTING_WHY = (
    'counting brackets cannot check nesting: "([)]" has matching counts but is not nested'
)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_a_bracket_counter_is_told_why_counting_cannot_work():
    # A demanding candidate: the textbook wrong answer, counting each kind of bracket, scored 62
    # and its feedback said only that it failed interleaved_is_not_nested; an interviewer says
    # why. The why is said beside the test's name in the chat, the flag and the report.
    q = default_bank()[BRACKETS]
    assert q.coding.why(NESTING) == COUNTING_WHY[:1].upper() + COUNTING_WHY[1:] + "."
    store = open_store(Settings.from_env())
    iv, _ = _at_the_brackets_question(store, follow_ups=0)
    turn = iv.current
    reply = iv.submit_code(COUNTS_ONLY, explanation="I count the brackets of each kind.")
    failed = [f["name"] for f in turn.code_result["failed"]]
    # (62 by its tests; the nesting test is the question's central case: at most 50)
    assert NESTING in failed and turn.grade.overall == CORE_MISSED_MAX == 50
    assert f"but {NESTING} is the question's central case" in reply.text
    line = next(x for x in reply.text.splitlines() if x.startswith("• Failed test:"))
    assert line.startswith(f"• Failed test: {NESTING} ({COUNTING_WHY}): assertion failed: "), line
    assert "Also failed" not in line  # the test named has a why: one is said
    # the grade's flag (the scorecard): that why beside that name only, the rest named
    flag = next(f for f in turn.grade.flags if f.startswith(FAILED_FLAG))
    assert flag.startswith(f"{FAILED_FLAG}{NESTING} ({COUNTING_WHY}), ")
    assert flag.count("(") - flag.count("([)]") == 1
    # the report: each failed test with its own why, and the gap names the first
    iv.command("end")
    report = iv.report()
    summary = next(s for s in report.questions if s.index == turn.index)
    whys = {f["name"]: f["why"] for f in summary.failed_tests}
    assert whys[NESTING] == COUNTING_WHY and all(whys.values())
    text = _flat(report_text(report))
    assert f"failed {NESTING} (a basic case; {COUNTING_WHY}): assertion failed: " in text
    gap = next(g.point for g in report.gaps if "hidden tests it failed" in g.point)
    assert gap.startswith(f"Make the code pass the hidden tests it failed: {NESTING} "
                          f"({COUNTING_WHY}), ")  # fmt: skip
    assert "counting brackets cannot check nesting" in report_markdown(report)


def test_the_probe_asks_about_the_failed_test_and_the_feedback_after_it_says_why():
    # The probe asks the candidate to diagnose the case (an answer that does is credited): it
    # does not hand over the why, which the feedback after the answer then says.
    store = open_store(Settings.from_env())
    iv, _ = _at_the_brackets_question(store, follow_ups=1)
    reply = iv.submit_code(COUNTS_ONLY, explanation="I count the brackets of each kind.")
    assert reply.kind == "follow_up" and "“interleaved is not nested” failed" in reply.text
    assert "counting brackets cannot" not in reply.text.lower()
    after = iv.answer("It only counts, so ([)] passes; I would use a stack instead.")
    assert f"• Failed test: {NESTING} ({COUNTING_WHY}): " in after.text


def test_when_the_test_named_has_no_why_the_first_failed_one_that_has_one_is_said():
    q = default_bank()[BRACKETS]
    tests = [t.model_copy(update={"why": ""}) if t.name == NESTING else t
             for t in q.coding.hidden_tests]  # fmt: skip
    bare = q.model_copy(update={"coding": q.coding.model_copy(update={"hidden_tests": tests})})
    grade, result, _ = offline_engine().judge_code(bare, COUNTS_ONLY, "")
    said = feedback_text(bare, grade, result.model_dump(mode="json"))
    line = next(x for x in said.splitlines() if x.startswith("• Failed test:"))
    second = next(f.name for f in result.failed if f.name != NESTING)
    assert line.startswith(f"• Failed test: {NESTING}: assertion failed: ")
    why = q.coding.why(second)
    assert line.endswith(f" Also failed: {second} ({why[:1].lower()}{why[1:].rstrip('.')})."), line
    # a test the run never reached says nothing of the code: its why is not said
    assert why_failed(q, [(NESTING, "not run: the run was stopped")]) is None
    assert why_failed(q, [("empty_string", "assertion failed"), (NESTING, "x")]) == NESTING
    assert why_failed(None, [(NESTING, "x")]) is None


@pytest.mark.parametrize(
    ("why", "wrong"),
    [
        ("Two sentences. Not one.", "one sentence"),
        ("no capital first.", "capital first"),
        ("No full stop", "full stop"),
        ("Uses `code` spans.", "markup"),
        ("Is **bold** here.", "markup"),
        ("Has a <b>tag</b> in it.", "markup"),
        ("Links to [the guide](https://example.com) here.", "markup"),
        ("Runs onto\na second line.", "one line"),
        ("A" * WHY_CHARS + ".", "at most"),
    ],
)
def test_a_why_is_one_short_plain_sentence(why, wrong):
    with pytest.raises(ValidationError, match=wrong):
        CodeTest(name="t", code="assert True", why=why)


def test_only_hidden_tests_say_why_and_every_bank_why_loads():
    from tests.coding.test_bank_coding import _spec

    visible = [{"name": "v", "code": "assert True", "why": "Catches nothing."}]
    with pytest.raises(ValidationError, match="only hidden tests say why"):
        CodingSpec.model_validate(_spec(visible_tests=visible))
    specs = [q.coding for q in default_bank().values() if q.coding is not None]
    whys = [t.why for s in specs for t in s.hidden_tests if t.why]
    # the tests a wrong but plausible solution fails have one: at least one per question
    assert all(any(t.why for t in s.hidden_tests) for s in specs) and len(whys) >= 100
    assert all(s.why("no_such_test") == "" for s in specs)


def _bracket_counter_run():
    q = default_bank()[BRACKETS]
    grade, result, _ = offline_engine().judge_code(q, COUNTS_ONLY, "I count each kind.")
    assert NESTING in [f.name for f in result.failed]
    return q, grade, result.model_dump(mode="json")


def test_the_practice_panel_says_why_beside_each_failed_test():
    # The Practice tab's tests panel listed "✗ interleaved_is_not_nested: assertion failed"
    # and left out the chat's "Failed test" bullet that says why: the panel says it.
    from types import SimpleNamespace

    from interviewer.markup import md_escape
    from interviewer.ui.render import practice_result_md, tests_md

    q, grade, result = _bracket_counter_run()
    md = practice_result_md(q, grade, SimpleNamespace(text="passage"), result)
    assert f"- ✗ {md_escape(f'{NESTING} ({COUNTING_WHY})')}: assertion failed: " in md
    # each failed test that has a why says its own; without the question, names alone
    rows = [x for x in md.splitlines() if x.startswith("- ✗ ")]
    named = [f"- ✗ {md_escape(failed_named(q, f['name']))}: " for f in result["failed"]]
    assert len(rows) == len(named) and all(map(str.startswith, rows, named)), rows
    assert all(why_said(q, f["name"]) for f in result["failed"])
    assert "counting brackets" not in tests_md(result)
    # the panel lists every failed test: its feedback points to no report (Practice has none)
    assert len(result["failed"]) > 1 and "in the report" not in md


def test_the_exports_say_why_beside_each_failed_test():
    # The Markdown and HTML transcripts (and `mock-interview transcripts show`) named the
    # failed test and its error only.
    import html

    from interviewer.export import to_html, to_markdown
    from interviewer.markup import md_escape

    store = open_store(Settings.from_env())
    iv, _ = _at_the_brackets_question(store, follow_ups=0)
    iv.submit_code(COUNTS_ONLY, explanation="I count the brackets of each kind.")
    iv.command("end")
    info, turns = store.load_session(iv.info.id, user_id=iv.info.user_id)
    md = to_markdown(info, turns)
    assert f"- failed `{NESTING}` ({md_escape(COUNTING_WHY)}): assertion failed: " in md
    page = to_html(info, turns)
    assert f"failed <code>{NESTING}</code> ({html.escape(COUNTING_WHY)}): assertion " in page


def test_the_code_command_says_why_beside_each_failed_test(tmp_path, capsys):
    import json

    from interviewer.cli import main

    path = tmp_path / "solution.py"
    path.write_text(COUNTS_ONLY)
    assert main(["code", "--question", BRACKETS, "--file", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    line = next(x for x in lines if x.startswith(f"  failed {NESTING} "))
    assert line.startswith(f"  failed {NESTING} (a basic case; {COUNTING_WHY}): assertion "), line
    assert main(["code", "--question", BRACKETS, "--file", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["why"][NESTING] == COUNTING_WHY and set(out["why"]) <= set(out["failed"])


# A linear stack checker that forgets the openers left open: it ends in ``return True``. It
# fails curly_braces_matched (on "{"), unclosed_opener and large_200k, each by its assertion.
ENDS_TRUE = '''def is_balanced(s):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs and (not stack or stack.pop() != pairs[ch]):
            return False
    return True
'''
# The slow way the large test's why names: deleting "()" pairs in a loop, quadratic.
DELETES_PAIRS = '''def is_balanced(s):
    s = "".join(ch for ch in s if ch in "()[]{}")
    while True:
        shorter = s.replace("()", "").replace("[]", "").replace("{}", "")
        if shorter == s:
            return not s
        s = shorter
'''
LARGE = "large_200k"
SPEED_WHY = "only a linear pass finishes in time"


def test_a_large_inputs_why_about_speed_is_not_said_beside_a_failed_assertion(tmp_path, capsys):
    # A demanding candidate: linear code ending in `return True` failed large_200k by its
    # assertion ("assert is_balanced(s + "(") is False -> got True") and was told "only a
    # linear pass finishes in time", beside "efficiency 5/5, no large input timed out".
    q = default_bank()[BRACKETS]
    grade, result, _ = offline_engine().judge_code(q, ENDS_TRUE, "")
    error = next(f.error for f in result.failed if f.name == LARGE)
    assert error.startswith("assertion failed: ") and "got True" in error
    # (too fast to time on a quick machine; timed, and linear, on a busy one: either way fast)
    efficiency = result.criteria["vectorisation"].evidence
    assert efficiency == "no large input timed out" or (
        efficiency.startswith("efficient; time grew") and "about linear" in efficiency), efficiency
    assert why_failed(q, [(LARGE, error)]) is None and failed_why(q, LARGE, error) == ""
    run = result.model_dump(mode="json")
    said = feedback_text(q, grade, run) + " ".join(grade.flags)
    assert SPEED_WHY not in said and "quadratic" not in said, said
    # the other failures keep theirs: the chat names one, the flag says it beside its name
    assert "openers still unclosed at the end" in said or "opener still open" in said
    from interviewer.markup import md_escape
    from interviewer.ui.render import tests_md

    panel = tests_md(run, q)
    assert f"- ✗ {md_escape(LARGE)}: assertion failed" in panel and SPEED_WHY not in panel
    from interviewer.cli import main

    path = tmp_path / "solution.py"
    path.write_text(ENDS_TRUE)
    assert main(["code", "--question", BRACKETS, "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"  failed {LARGE} (a large input): assertion failed: " in out
    assert SPEED_WHY not in out


def test_a_large_inputs_why_is_said_when_it_was_stopped_for_time():
    q = default_bank()[BRACKETS]
    grade, result, _ = offline_engine().judge_code(q, DELETES_PAIRS, "")
    error = next(f.error for f in result.failed if f.name == LARGE)
    assert error.startswith("timed out"), error
    assert SPEED_WHY in failed_why(q, LARGE, error)
    flag = next(f for f in grade.flags if f.startswith(FAILED_FLAG))
    assert flag == f"{FAILED_FLAG}{failed_named(q, LARGE)}" and SPEED_WHY in flag, flag


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ("timed out after 2 s of CPU time (time limit)", True),
        ("MemoryError: memory limit exceeded", True),
        ("stopped: wall time limit exceeded (20 s)", True),
        ("stopped: killed (memory or CPU limit)", True),
        ("stopped: output limit exceeded (printed more than 8 MiB)", False),  # not for time
        ("not run: wall time limit exceeded (20 s)", False),  # never reached
        ("TimeoutError: timed out", False),  # the code's own exception: it ran and failed
        ("assertion failed: assert (np.asarray(labels) == nearest(X, centroids)).all()", False),
    ],
)
def test_a_large_tests_why_is_said_only_on_a_stop_for_time_or_memory(error, said):
    # K-Means' vectorised code failing large_200k by its assertion read "only vectorised
    # distances finish in time".
    for qid in (BRACKETS, "l1-code-kmeans"):
        q = default_bank()[qid]
        assert (why_failed(q, [(LARGE, error)]) == LARGE) is said, (qid, error)
    # a test of another kind says its why whichever way it failed, but when never reached
    q = default_bank()[BRACKETS]
    assert (why_failed(q, [(NESTING, error)]) == NESTING) is not error.startswith("not run")


def test_a_large_test_that_checks_a_key_point_says_its_why_when_its_assertion_fails():
    # streams_without_holding_chunks (kind large) asserts the memory behaviour its key point
    # states: code holding every chunk fails it by its assertion, and its why fits.
    q = default_bank()["l1-code-chunked-mean"]
    test = next(t for t in q.coding.hidden_tests if t.name == "streams_without_holding_chunks")
    assert test.kind == "large" and test.checks and "memory" in test.why
    holds = '''import pandas as pd


def chunked_mean_by_key(chunks, key, value):
    frames = list(chunks)
    if not frames:
        return pd.Series(dtype=float, name=value)
    return pd.concat(frames).groupby(key)[value].mean().sort_index().rename(value)
'''
    _, result, _ = offline_engine().judge_code(q, holds, "")
    error = next(f.error for f in result.failed if f.name == test.name)
    assert error.startswith("assertion failed: ") and "still alive" in error, error
    assert failed_why(q, test.name, error).startswith("keeping earlier chunks alive")
    # every other large test checks no key point and its why is about speed or memory
    for s in (x.coding for x in default_bank().values() if x.coding is not None):
        for t in s.hidden_tests:
            if t.kind == "large" and t.why and not t.checks:
                assert re.search(r"in time|too slow|memory", t.why), t.why


def test_the_curly_braces_why_states_the_rule_the_test_checks():
    # "each closer must match the most recent unclosed opener of its own kind" holds for
    # "{(})", the very case the test rejects, and said nothing of "{" left open, the case a
    # checker ending in `return True` failed.
    q = default_bank()[BRACKETS]
    why = q.coding.why("curly_braces_matched")
    assert "of its own kind" not in why
    assert "most recent unclosed opener, which must be of the same kind" in why
    assert "open at the end" in why
    grade, result, _ = offline_engine().judge_code(q, ENDS_TRUE, "")
    line = next(x for x in feedback_text(q, grade, result.model_dump(mode="json")).splitlines()
                if x.startswith("• Failed test:"))  # fmt: skip
    said = why_said(q, "curly_braces_matched")
    assert line.startswith(f"• Failed test: curly_braces_matched ({said}): assertion failed: "
                           'assert is_balanced("{") is False'), line  # fmt: skip


def test_whys_that_named_only_part_of_what_their_test_asserts():
    bank = default_bank()
    # the test asserts the latest record is kept, not only that emails are normalised
    assert "latest signup is kept" in bank["l1-code-clean-customers"].coding.why(
        "latest_record_wins")
    # the test asserts the rows come back sorted with a fresh index, not only the sessions
    why = bank["l1-code-sessionize"].coding.why("unsorted_input")
    assert "returned in that order with a fresh 0..n-1 index" in why
