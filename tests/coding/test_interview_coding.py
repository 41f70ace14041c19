"""A coding question inside an interview: run the visible tests, explain, submit, get probed on
complexity, and find the code, its test results and its grade in the store and the exports."""

from __future__ import annotations

import json
import re
import time

from interviewer.bank import default_bank
from interviewer.chat_feedback import feedback_text
from interviewer.cli import main
from interviewer.coding_answer import code_grade, why_said
from interviewer.config import Settings
from interviewer.export import to_html, to_json, to_markdown
from interviewer.grading import rubric as rb
from interviewer.grading.rubric import PASS_MARK
from interviewer.markup import md_code, telling
from interviewer.report import turn_score
from interviewer.store import open_store
from tests.coding.test_probe_stopped_tests import KMEANS_LOOPS
from tests.helpers import (
    FIX_NAMED,
    SAYS_ALL,
    SAYS_TIES,
    TIES_FIRST_SEEN,
    new_interview,
    offline_engine,
)

# Averages the chunks' means: wrong whenever chunks hold a key unevenly.
MEAN_OF_MEANS = """import pandas as pd


def chunked_mean_by_key(chunks, key, value):
    means = [chunk.groupby(key)[value].mean() for chunk in chunks]
    if not means:
        return pd.Series(dtype=float, name=value)
    return pd.concat(means).groupby(level=0).mean().sort_index().rename(value)
"""
WRONG_KMEANS_NOTE = "    # off by one: the last point never joins a cluster\n"


def _to_coding_question(iv):
    iv.start()
    bank = default_bank()
    while iv.current.kind != "coding":
        iv.answer(bank[iv.current.question_id].model_answer)
        while iv.phase == "follow_up":
            iv.answer("I am not sure.")
    return bank[iv.current.question_id]


def _at_the_brackets_question(store, follow_ups: int, qid: str = "l1-code-balanced-brackets",
                              **kw):  # fmt: skip
    """An L1 interview at its coding question, the balanced-brackets one (or ``qid``)."""
    bank = default_bank()
    q = bank[qid]
    bank = {k: v for k, v in bank.items() if v.coding is None or k == q.id}
    iv = new_interview(round="L1", questions=2, bank=bank, store=store, coding=True,
                       follow_ups=follow_ups, **kw)  # fmt: skip
    assert _to_coding_question(iv) is q
    return iv, q


DIVIDES = """def product_except_self(nums):
    zeros = nums.count(0)
    total = 1
    for x in nums:
        if x:
            total *= x
    if zeros > 1:
        return [0] * len(nums)
    if zeros == 1:
        return [total if x == 0 else 0 for x in nums]
    return [total // x for x in nums]
"""


def test_code_that_passes_every_test_with_division_the_question_rules_out_does_not_pass():
    # A walk-through: product-except-self solved by dividing the total (the question says
    # "without using division") passed every hidden test and scored 76, and the chat quoted
    # its explanation as "Landed"; the one red flag for division wrongly said zeros were not
    # handled, and flagged correct answers to the follow-up asking why not to divide.
    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=0, qid="l1-code-product-except-self")
    turn = iv.current
    said = "I divide the total product by each element, handling zeros separately."
    reply = iv.answer(f"{said}\n```python\n{DIVIDES}```")
    assert turn.code_result["passed"] == turn.code_result["total"]  # the tests alone pass it
    assert turn.grade.overall < PASS_MARK and not any(rb.is_red_flag(f) for f in turn.grade.flags)
    assert "• Ruled out: the code uses division on line 11: `total // x`, which the question " \
        "rules out" in reply.text and "Landed" not in reply.text  # fmt: skip
    # Nor can an explanation lift it, however good (a walk-through's scipy K-Means ended at 46),
    # and the words said before a follow-up on it already say why all passed is not correct.
    from interviewer.coding.grade import RULED_OUT_MAX, CodeResult
    from interviewer.coding_answer import code_grade
    from interviewer.probes import code_ran_said

    result = CodeResult.model_validate(turn.code_result)
    perfect = turn.grade.model_copy(update={"overall": 100, "flags": []})
    assert code_grade(q, result, perfect).overall == RULED_OUT_MAX
    assert code_ran_said(turn.code_result) == (
        "Your code ran: 6 of 6 hidden tests passed (partially correct), but it uses division on "
        "line 11: `total // x`, which the question rules out.")  # fmt: skip
    report = iv.command("end").report
    assert report.gaps[0].point == ("Solve it as the question sets it: the code uses division on "
                                    "line 11: `total // x`, which the question rules out.")  # fmt: skip
    assert not any(said in s for s in report.strengths)
    # The reference, with the same explanation's claim turned round, passes.
    iv2, _ = _at_the_brackets_question(store, follow_ups=0, qid=q.id)
    turn2 = iv2.current
    iv2.submit_code(q.coding.reference, explanation="Prefix times suffix products, no division.")
    assert turn2.grade.overall >= PASS_MARK


def test_a_coding_question_runs_is_submitted_graded_and_stored():
    store = open_store(Settings.from_env())
    iv = new_interview(round="L1", questions=3, store=store, seed=2, coding=True)
    q = _to_coding_question(iv)
    turn = iv.current
    assert turn.kind == "coding" and q.coding is not None

    assert turn.code_at is None
    before = time.time()
    run = iv.run_code(q.coding.starter)  # the starter fails its examples; nothing is graded
    assert run.tests and not all(t.passed for t in run.tests)
    assert turn.grade is None and turn.code == q.coding.starter
    ran_at = turn.code_at  # when the code was saved: a draft typed before it is older
    assert ran_at is not None and before <= ran_at <= time.time()
    assert store.load_session(iv.info.id, user_id="local")[1][turn.index].code_at == ran_at

    # An explanation stating a known mistake: it costs the working code points (a short note
    # that states nothing wrong would not), so the interviewer probes.
    claim = q.red_flags[0].claim
    note = iv.answer(claim)
    assert note.kind == "note" and iv.current is turn and turn.grade is None

    reply = iv.submit_code(q.coding.reference)
    assert turn.code == q.coding.reference and turn.code_result["passed"] == turn.code_result["total"]
    assert turn.code_at >= ran_at
    assert turn.grade is not None and turn.grade.overall >= 70
    assert reply.kind == "follow_up" and reply.text.endswith(q.coding.follow_ups[0].text)
    iv.answer("Linear in the number of rows; for bigger data I would process it in chunks.")
    assert turn.status == "answered"

    _, stored = store.load_session(iv.info.id, user_id="local")
    saved = stored[turn.index]
    assert saved.code == q.coding.reference and saved.code_result == turn.code_result
    assert saved.code_at == turn.code_at
    assert saved.answer.startswith(claim)
    md = to_markdown(iv.info, stored)
    assert "```python\n" + q.coding.reference.rstrip() in md  # the fence is intact
    assert f"{turn.code_result['passed']} of {turn.code_result['total']} hidden tests" in md
    html = to_html(iv.info, stored)
    assert "<pre><code>" in html and "<script" not in html
    # the scorecard's rows name the coding criterion behind each of the rubric's four
    assert "| Depth: correctness | " in md and '<td class="ww">Communication: readability</td>' in html


def test_a_coding_scorecard_names_the_coding_criteria_and_a_spoken_one_the_rubric_titles():
    # A walk-through read "Communication (clear, structured, concise)" beside "readability: no
    # lint findings" as a mislabel.
    from interviewer.ui.render import grade_md
    from tests.helpers import LOOPED_MOVING_AVERAGE, offline_engine

    engine, bank = offline_engine(), default_bank()
    q = bank["l1-code-moving-average"]
    grade, _, _ = engine.judge_code(q, LOOPED_MOVING_AVERAGE, None)
    shown = grade_md(grade)
    assert "| Engineering: vectorisation | 2/5 | Python-level loops: line " in shown
    assert "| Communication: readability | " in shown and rb.CRITERIA["communication"] not in shown
    spoken = engine.judge(bank["l1-bias-variance-tradeoff"], bank["l1-bias-variance-tradeoff"].model_answer)[0]
    shown = grade_md(spoken)
    assert all(f"| {title} | " in shown for title in rb.CRITERIA.values())
    assert "Depth: " not in shown


def test_a_wrong_submission_fails_named_hidden_tests_listed_in_the_report():
    iv = new_interview(round="L1", questions=2, seed=2, coding=True, follow_ups=0)
    q = _to_coding_question(iv)
    turn = iv.current
    iv.submit_code(f"def {q.coding.entry_point}(*args, **kwargs):\n    return None\n")
    assert turn.code_result["passed"] == 0 and turn.grade.overall < 34
    iv.command("end")
    summary = next(s for s in iv.report().questions if s.index == turn.index)
    assert summary.kind == "coding" and summary.failed_tests
    assert {f["name"] for f in summary.failed_tests} <= {t.name for t in q.coding.hidden_tests}


def test_the_chat_feedback_says_which_hidden_test_failed_first_and_why():
    # Seen in a walk-through: the chat said "5 of 7 hidden tests passed" and nothing of which
    # failed or why until the end report; the feedback after the answer and the transcript's
    # replay of it now name the first failed test with its error.
    from interviewer.ui.render import history_from_turns

    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=0)
    turn = iv.current
    reply = iv.submit_code(q.coding.reference.replace("return not stack", "return True"))
    failed = turn.code_result["failed"]
    assert 0 < turn.code_result["passed"] < turn.code_result["total"] and failed
    line = next(x for x in reply.text.splitlines() if x.startswith("• Failed test:"))
    named = failed[telling([(f["error"], f["code"]) for f in failed])]  # as the probe names
    # (with what the test catches beside its name, when it says: its ``why``)
    why = q.coding.why(named["name"])
    why = f" ({why[:1].lower()}{why[1:].rstrip('.')})" if why else ""
    assert f"{named['name']}{why}: {named['error'].rstrip('.')}" in line
    assert (f"({len(failed) - 1} more in the report" in line) == (len(failed) > 1)
    _, stored = store.load_session(iv.info.id, user_id="local")
    replay = " ".join(str(m["content"]) for m in history_from_turns(stored, True, False, iv.bank))
    assert f"Failed test: {named['name']}" in replay.replace("\\_", "_")  # markdown


def test_the_cli_takes_a_fenced_python_block_as_the_answer(tmp_path, capsys):
    bank = default_bank()
    iv = new_interview(round="L1", questions=2, seed=5, coding=True)
    iv.start()
    first = bank[iv.current.question_id]
    iv.answer(first.model_answer)
    while iv.phase == "follow_up":
        iv.answer("not sure")
    coding_q = bank[iv.current.question_id]
    fenced = "My approach is vectorised.\n```python\n" + coding_q.coding.reference + "\n```"
    answers = tmp_path / "answers.txt"
    lines = [first.model_answer.replace("\n", " "), "not sure", fenced.replace("\n", "\\n"),
             "Linear time.", "/end"]  # fmt: skip
    answers.write_text("\n".join(lines) + "\n")
    code = main(["interview", "--round", "L1", "--questions", "2", "--seed", "5",
                 "--answers-file", str(answers), "--json"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    q2 = out["report"]["questions"][1]
    assert q2["kind"] == "coding" and q2["tests"].startswith(f"{len(coding_q.coding.hidden_tests)} of")


def test_a_typo_at_submit_names_the_line_and_grades_nothing():
    import pytest

    from interviewer.errors import InterviewError

    store = open_store(Settings.from_env())
    iv = new_interview(round="L1", questions=3, store=store, seed=2, coding=True)
    q = _to_coding_question(iv)
    turn = iv.current
    broken = q.coding.reference.replace("):", ")", 1)
    assert broken != q.coding.reference
    with pytest.raises(InterviewError, match=r"line \d+: .*nothing was graded"):
        iv.submit_code(broken)
    assert turn.grade is None and turn.code_result is None and iv.current is turn
    reply = iv.submit_code(q.coding.reference)  # fixed: graded as usual
    assert turn.grade is not None and turn.grade.overall >= 70 and reply.kind != "note"


def test_empty_or_oversized_code_is_refused_at_run_and_submit_and_nothing_is_recorded():
    # Interviews and practice share the check (engine.code_problem), so both say the same.
    import pytest

    from interviewer.code_checks import code_problem
    from interviewer.errors import InterviewError
    from interviewer.models import MAX_CODE_CHARS

    store = open_store(Settings.from_env())
    iv = new_interview(round="L1", questions=3, store=store, seed=2, coding=True)
    q = _to_coding_question(iv)
    turn = iv.current
    huge = q.coding.reference + "#" * MAX_CODE_CHARS
    for code, says in (("   \n", "empty"), (huge, f"maximum is {MAX_CODE_CHARS}")):
        assert says in code_problem(code)
        for act in (iv.run_code, iv.submit_code):
            with pytest.raises(InterviewError, match=says):
                act(code)
    assert turn.code is None and turn.grade is None and iv.current is turn
    assert code_problem(q.coding.reference) is None


def test_the_untouched_starter_code_is_not_graded():
    # Seen in a walk-through: Grade on the untouched starter was graded (5/100) and saved, pulling
    # progress down. Run still runs it (the examples show what is expected).
    import pytest

    from interviewer.errors import InterviewError

    store = open_store(Settings.from_env())
    iv = new_interview(round="L1", questions=3, store=store, seed=2, coding=True)
    q = _to_coding_question(iv)
    turn = iv.current
    assert iv.run_code(q.coding.starter) is not None
    with pytest.raises(InterviewError, match="starter code, unchanged"):
        iv.submit_code("# my attempt\n" + q.coding.starter + "  \n# TODO\n")
    # nor with its docstrings edited or gone (walk25's terminal paste lost a docstring's blank
    # line, and the starter was graded 0 and saved)
    import ast

    tree = ast.parse(q.coding.starter)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and ast.get_docstring(node):
            node.body[0].value.value = "My notes."
    assert "My notes." in ast.unparse(tree)
    with pytest.raises(InterviewError, match="starter code, unchanged"):
        iv.submit_code(ast.unparse(tree))
    assert turn.grade is None and turn.code_result is None and iv.current is turn
    iv.submit_code(q.coding.reference)
    assert turn.grade is not None


def test_code_that_passes_no_test_is_not_lifted_by_its_explanation():
    from interviewer.coding.grade import NO_PASS_MAX
    from interviewer.coding_answer import NO_TEST_CRITERION_MAX, NO_TEST_EXPLANATION_SHARE
    from tests.helpers import offline_engine

    bank = default_bank()
    q = next(x for x in bank.values() if x.kind == "coding")
    engine = offline_engine()
    explanation = bank[q.id].model_answer  # the best explanation there is
    grade, result, _ = engine.judge_code(q, "def nothing():\n    pass\n", explanation)
    assert result.passed == 0
    assert grade.overall <= NO_PASS_MAX + 100 * NO_TEST_EXPLANATION_SHARE <= 15
    assert grade.feedback.startswith("0 of ") and "The explanation: " in grade.feedback
    assert all(c.score <= NO_TEST_CRITERION_MAX for c in grade.criteria.values())
    # the flag names five failed tests and counts the rest (it dropped them unsaid)
    from interviewer.coding_answer import FAILED_NAMED

    flag = next(f for f in grade.flags if f.startswith("hidden tests failed: "))
    n = len(result.failed)
    assert n > FAILED_NAMED and flag.endswith(f" and {n - FAILED_NAMED} more"), flag
    # Practice lists the run under the grade: its flags do not say the same again above it
    from interviewer.ui.render import grade_md, practice_result_md

    shown = practice_result_md(q, grade, None, result.model_dump(mode="json"))
    from interviewer.markup import md_escape

    assert "hidden tests failed" not in shown
    assert all(f"- ✗ {md_escape(f.name)}: " in shown for f in result.failed)
    assert "Flags: hidden tests failed: " in grade_md(grade)  # the scorecard, no run beside it


def test_a_short_note_beside_working_code_does_not_mark_it_down_but_a_wrong_claim_does():
    # Seen in a walk-through: the reference solution with "O(n) time, O(k) space." beside it
    # scored 75 with "Flags: off-topic" and its explanation's unmade points as gaps.
    from tests.helpers import offline_engine

    engine = offline_engine()
    q = default_bank()["l1-code-first-unique-char"]
    alone, result, _ = engine.judge_code(q, q.coding.reference, None)
    noted, _, _ = engine.judge_code(q, q.coding.reference, "O(n) time, O(k) space.")
    assert result.passed == result.total and noted.overall == alone.overall
    assert rb.FLAG_OFF_TOPIC not in noted.flags and noted.missed == []
    assert "The explanation: not scored, as your code scores higher on its own" in noted.feedback
    wrong, _, _ = engine.judge_code(q, q.coding.reference, q.red_flags[0].claim)
    assert any(rb.is_red_flag(f) for f in wrong.flags) and wrong.overall < alone.overall
    best, _, _ = engine.judge_code(q, q.coding.reference, q.model_answer)  # it may still add
    assert best.overall >= alone.overall and best.missed == [] and best.covered


def test_a_claim_of_speed_is_not_credited_beside_code_whose_large_input_timed_out():
    # Seen in a walk-through: "a dictionary gives O(1) lookups, so O(n)" beside code that timed
    # out was listed among the strengths.
    from tests.helpers import offline_engine

    engine = offline_engine()
    q = default_bank()["l1-code-first-unique-char"]
    quadratic = q.coding.reference.split("def ")[0] + (
        f"def {q.coding.entry_point}(s):\n    for i, ch in enumerate(s):\n"
        "        if s.count(ch) == 1:\n            return i\n    return -1\n")  # fmt: skip
    said = ("I count every character with a Counter in one pass, then scan again for the first "
            "count of 1; a dictionary gives O(1) lookups so the whole thing is O(n).")  # fmt: skip
    fast, _, _ = engine.judge_code(q, q.coding.reference, said)
    slow, result, _ = engine.judge_code(q, quadratic, said)
    assert result.criteria["vectorisation"].evidence.startswith("large input timed out")
    claim = next(kp.id for kp in q.key_points if "O(n)" in kp.point and "dictionary" in kp.point)
    assert {kp.id: kp.covered for kp in fast.key_points}[claim]  # shown by the code: credited
    got = {kp.id: kp for kp in slow.key_points}
    assert not got[claim].covered and got[claim].evidence == ""
    assert "two-passes" in got and got["two-passes"].covered  # what the code does show stays
    assert "Its claim of speed is not credited, as the code does not show it: large input " \
        "timed out" in slow.feedback  # fmt: skip
    # words, not the verdict's key; and the speed the question asks for, missed, caps it
    assert ("passed (partially correct), but large_200k checks the linear time the question asks "
            "for, so the code scores at most 50.") in slow.feedback and slow.overall == 50
    # A low efficiency score alone (a growth estimate a busy host can mislead) takes nothing:
    # only a timed-out large input, or no test passed, shows the claim false.
    from interviewer.coding_answer import code_grade

    spoken = engine.judge(q, said)[0]
    estimated_only = result.model_copy(update={"failed": [], "passed": result.total})
    assert estimated_only.criteria["vectorisation"].score == 1
    kept = {kp.id: kp.covered for kp in code_grade(q, estimated_only, spoken).key_points}
    assert kept.get(claim) is True and "claim of speed" not in code_grade(
        q, estimated_only, spoken).feedback  # fmt: skip


def test_ending_after_submitting_code_counts_it_answered_and_lists_its_failed_tests_as_a_gap():
    store = open_store(Settings.from_env())
    iv = new_interview(round="L1", questions=3, store=store, seed=2, coding=True)
    q = _to_coding_question(iv)
    iv.submit_code(q.coding.starter + "    return None\n")  # fails hidden tests; a probe may be open
    report = iv.command("end").report
    coded = report.questions[iv.turns[-1].index]
    assert coded.status == "answered" and coded.overall is not None
    assert not report.complete and "2 of 3" in report.note
    assert any(g.point.startswith("Make the code pass the hidden tests it failed: ") for g in report.gaps)


def test_a_coding_strength_says_how_many_hidden_tests_passed():
    # Seen in the app: "your code passed the hidden tests" among the strengths and "failed:
    # empty_raises" among the gaps of the same answer (6 of 7 passed).
    from interviewer.report import build_report
    from tests.test_store import make_turn

    def coding(passed: int) -> list:
        t = make_turn(0, topic="python-coding", overall=85, kind="coding",
                      code_result={"passed": passed, "total": 7, "verdict": "x"})  # fmt: skip
        t.grade.key_points = []
        return [t]

    assert "Python coding: your code passed 6 of 7 hidden tests" in build_report(coding(6)).strengths
    assert "Python coding: your code passed all 7 hidden tests" in build_report(coding(7)).strengths


def _authored_probes_only(monkeypatch):
    """Code that fails hidden tests is first asked about the first failed test; tests of the
    authored probes' order, which submit failing code to be probed at all, skip that one."""
    monkeypatch.setattr("interviewer.interview.failed_test_probe", lambda result, said="": None)


def test_a_coding_follow_up_whose_point_the_explanation_covered_is_not_asked(monkeypatch):
    _authored_probes_only(monkeypatch)
    store = open_store(Settings.from_env())
    bank = default_bank()
    q = bank["l1-code-chunked-mean"]  # the only coding question in this bank
    bank = {k: v for k, v in bank.items() if v.coding is None or k == q.id}
    memory = q.coding.follow_ups[0]
    assert memory.key_point == "memory"  # "What is the peak memory of your solution?"
    point = next(kp.point for kp in q.key_points if kp.id == "memory")

    asked = []
    for explanation in ("I aggregate each chunk and combine them at the end.", point):
        iv = new_interview(round="L1", questions=2, bank=bank, store=store, coding=True,
                           follow_ups=1)  # fmt: skip
        assert _to_coding_question(iv) is q
        iv.answer(explanation)
        turn = iv.current
        reply = iv.submit_code(MEAN_OF_MEANS)  # fails tests: well short of 85, so probed
        covered = {kp.id for kp in turn.grade.key_points if kp.covered}
        assert reply.kind == "follow_up", reply.text
        asked.append((covered, reply.text))
    (before, first), (after, second) = asked
    assert "memory" not in before and first.endswith(memory.text)  # missed: asked, in order
    assert "memory" in after and not second.endswith(memory.text)  # covered: the next one
    assert second.endswith(q.coding.follow_ups[1].text)


def test_an_untied_complexity_probe_is_not_asked_after_the_explanation_gave_the_complexity(
    monkeypatch,
):
    # Seen in a walk-through: "O(n) time, O(k) space." then "Follow-up: What is the
    # complexity?". This question has no key point stating an O(...), so the probe is tied to
    # none: it is passed over when the explanation states a complexity, asked when it does not.
    _authored_probes_only(monkeypatch)
    store = open_store(Settings.from_env())
    bank = default_bank()
    q = bank["l1-code-precision-recall-f1"]
    bank = {k: v for k, v in bank.items() if v.coding is None or k == q.id}
    first, second = q.coding.follow_ups
    assert first.key_point is None and first.text == "What is the complexity?"
    no_empty_check = q.coding.reference.replace("y_true.size == 0 or ", "")  # fails a test
    asked = []
    for explanation in ("I count with boolean masks.", "Boolean masks: O(n) time, O(1) space."):
        iv = new_interview(round="L1", questions=2, bank=bank, store=store, coding=True,
                           follow_ups=1)  # fmt: skip
        assert _to_coding_question(iv) is q
        iv.answer(explanation)
        reply = iv.submit_code(no_empty_check)
        assert reply.kind == "follow_up" and iv.current.grade.overall < 85, reply.text
        asked.append(reply.text)
    assert asked[0].endswith(first.text) and asked[1].endswith(second.text)


def test_the_chat_feedback_names_what_cost_working_code_points():
    # Seen in a walk-through: a lint finding showed only in the scorecard, not in the chat.
    from interviewer.chat_feedback import feedback_text
    from tests.helpers import offline_engine

    q = default_bank()["l1-code-balanced-brackets"]
    engine = offline_engine()
    clean, _, _ = engine.judge_code(q, q.coding.reference, None)
    assert feedback_text(q, clean).count("•") == 1  # the tests alone: nothing cost points
    grade, result, _ = engine.judge_code(q, "import os\n" + q.coding.reference, None)
    assert result.passed == result.total and grade.overall < clean.overall
    lines = feedback_text(q, grade).splitlines()
    assert lines[1].startswith("• Tests: ") and lines[2].startswith("• Readability: 1 lint finding")
    assert "F401" in lines[2] and lines[2].endswith("(4/5).")


def test_code_that_never_defines_the_tested_function_is_not_graded():
    from interviewer.code_checks import ungradable

    q = default_bank()["l1-code-invert-mapping"]
    spec = q.coding
    for wrong in ("def invert(d):\n    return {}\n",
                  # bound, but not where the tests import it from (a review's cases)
                  "class Solution:\n    def invert_mapping(self, mapping):\n        return {}\n",
                  "def outer():\n    def invert_mapping(m):\n        return {}\n",
                  "keys = [invert_mapping for invert_mapping in 'ab']\n"):  # fmt: skip
        why = ungradable(wrong, spec.starter, spec.entry_point)
        assert why and why.startswith("the code defines no invert_mapping"), wrong
    for fine in ("invert_mapping = lambda mapping: {}\n",
                 "from collections import Counter as invert_mapping\n",
                 "try:\n    from fast import invert_mapping\nexcept ImportError:\n"
                 "    def invert_mapping(mapping):\n        return {}\n",
                 "def invert_mapping(mapping):\n    return {}\n", spec.reference):  # fmt: skip
        assert ungradable(fine, spec.starter, spec.entry_point) is None, fine
    # Every reference solution defines its entry point.
    for other in default_bank().values():
        if other.kind == "coding":
            c = other.coding
            assert ungradable(c.reference, c.starter, c.entry_point) is None, other.id


def test_a_hint_at_a_probe_of_the_code_takes_nothing_and_says_why(monkeypatch):
    # A hint at "What is the complexity?" gave the start of an unrelated key point, for 10
    # points; that probe is about the candidate's own code: no hint, nothing taken.
    _authored_probes_only(monkeypatch)
    bank = default_bank()
    q = bank["l1-code-precision-recall-f1"]
    bank = {k: v for k, v in bank.items() if v.coding is None or k == q.id}
    assert q.coding.follow_ups[0].key_point is None
    iv = new_interview(round="L1", questions=2, bank=bank, coding=True, follow_ups=1)
    assert _to_coding_question(iv) is q
    iv.answer("I count with boolean masks.")
    reply = iv.submit_code(q.coding.reference.replace("y_true.size == 0 or ", ""))
    assert reply.kind == "follow_up" and reply.text.endswith(q.coding.follow_ups[0].text)
    turn = iv.current
    before = turn.grade.overall
    said = iv.command("hint").text
    assert said.startswith("There is no hint for this follow-up") and "No points were taken" in said
    assert turn.grade.overall == before and turn.hints == [] and "hint" not in turn.commands


def test_a_follow_up_on_submitted_code_first_says_how_it_ran_live_and_resumed():
    # A walk-through: after submitting code that failed 3 of 6 hidden tests, the chat asked
    # "What is the complexity?" and said nothing of the tests until after that answer.
    from interviewer.ui.render import history_from_turns
    from tests.helpers import resume

    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=1)
    pieces: list[str] = []
    reply = iv.submit_code(q.coding.reference.replace("return not stack", "return True"),
                           on_token=pieces.append)  # fmt: skip
    result = iv.current.code_result
    said = f"Your code ran: {result['passed']} of {result['total']} hidden tests passed"
    assert 0 < result["passed"] < result["total"]
    assert reply.kind == "follow_up" and reply.text.startswith(said)
    assert "The hidden test “" in reply.text and "".join(pieces) == reply.text
    again, welcome = resume(store, iv.info.id, user_id="local")
    # the open follow-up is asked again as it was said live, how the code ran first (a re-walk's
    # resumed chat went from the question to "Welcome back. Follow-up: ...")
    assert welcome.text == f"Welcome back. {reply.text}"
    again.answer("Linear: one pass with a stack.")
    chat = history_from_turns(again.turns, True, False, again.bank, again.planned)
    said_md = [m["content"] for m in chat]
    at = next(i for i, m in enumerate(said_md) if m.startswith("(submitted the code in the editor)"))
    assert said_md[at + 1].startswith(said) and "Follow-up:" in said_md[at + 1]


def test_a_resumed_chat_shows_code_and_its_explanation_as_sent():
    # Seen in a walk-through: live, "(submitted the code in the editor)" came first with the
    # explanation under it; the resumed chat showed the explanation first, then the code line.
    from interviewer.ui.render import history_from_turns
    from tests.helpers import resume

    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=1)
    iv.submit_code(q.coding.reference, explanation="One pass with a stack of open brackets.")
    again, _ = resume(store, iv.info.id, user_id="local")
    mine = [m["content"] for m in history_from_turns(again.turns, True, False, again.bank,
                                                     again.planned) if m["role"] == "user"]  # fmt: skip
    # the code itself as a code block between them: the editor is hidden while its follow-ups
    # are asked (a walk-through was asked about code it could no longer see)
    code = md_code(q.coding.reference)
    assert mine[-1] == f"(submitted the code in the editor)\n\n{code}\n\nOne pass with a stack of open brackets."


LOOPED_CONFUSION_MATRIX = """import numpy as np


def confusion_matrix(y_true, y_pred, labels=None):
    if labels is None:
        labels = sorted(set(y_true))
    index = {lab: i for i, lab in enumerate(labels)}
    k = len(labels)
    m = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred):
        m[index[t], index[p]] += 1
    return m
"""


def test_an_explanation_calling_looped_code_vectorised_states_something_wrong():
    # Seen in a walk-through's practice: "Simple and fully vectorised, O(n)." beside a loop the
    # review flagged read "it is not counted, as the code's own grade is higher and it states
    # nothing wrong".
    from tests.helpers import offline_engine

    engine = offline_engine()
    q = default_bank()["l1-code-confusion-matrix"]
    alone, result, _ = engine.judge_code(q, LOOPED_CONFUSION_MATRIX, None)
    assert result.criteria["vectorisation"].evidence.startswith("Python-level loops")
    claimed, _, _ = engine.judge_code(q, LOOPED_CONFUSION_MATRIX,
                                      "Simple and fully vectorised, O(n).")  # fmt: skip
    assert "it calls the code vectorised, but the code has Python-level loops" in claimed.feedback
    assert "states nothing wrong" not in claimed.feedback and claimed.overall < alone.overall
    from interviewer.coding_answer import SPEED_CLAIM  # and no claim of speed is credited

    assert not any(kp.covered and SPEED_CLAIM.search(kp.point) for kp in claimed.key_points)
    # nor a point credited to the sentence making the claim (a re-walk: "count pairs at once
    # with np.bincount" ticked by "My solution is fully vectorised, with no loops: ...")
    said = ("My solution is fully vectorised, with no loops: I map each label to its index and "
            "then count the (true, predicted) pairs with NumPy, so it runs in O(n + k^2).")
    again, _, _ = engine.judge_code(q, LOOPED_CONFUSION_MATRIX, said)
    assert not any(kp.covered and "vectorised" in kp.evidence for kp in again.key_points)
    assert "it calls the code vectorised" in again.feedback
    # Said honestly, the same note is no claim: not counted, as before.
    honest, _, _ = engine.judge_code(q, LOOPED_CONFUSION_MATRIX,
                                     "It loops once over the pairs, so it is not vectorised.")  # fmt: skip
    assert "states nothing wrong" in honest.feedback and honest.overall == alone.overall
    # Vectorised code with the same claim: nothing said against it.
    fine, _, _ = engine.judge_code(q, q.coding.reference, "Simple and fully vectorised, O(n).")
    assert "calls the code vectorised" not in fine.feedback


def test_the_code_command_prints_what_the_score_is_made_of(tmp_path, capsys):
    # A walk-through: `mock-interview code` printed only "error: ..." for a timed-out solution,
    # and --json never held the criteria.
    from tests.helpers import LOOPED_MOVING_AVERAGE

    path = tmp_path / "solution.py"
    path.write_text(LOOPED_MOVING_AVERAGE)
    assert main(["code", "--question", "l1-code-moving-average", "--file", str(path),
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["score"] == 0.75 and out["criteria"]["vectorisation"]["score"] == 2
    assert out["criteria"]["vectorisation"]["evidence"].startswith("Python-level loops: line 14")
    slow = ("import numpy as np\n\ndef moving_average(x, window):\n    x = np.asarray(x, float)\n"
            "    return np.array([x[i:i + window].mean() for i in range(len(x) - window + 1)])\n")
    path.write_text(slow)
    assert main(["code", "--question", "l1-code-moving-average", "--file", str(path)]) == 0
    text = capsys.readouterr().out
    assert "error: " in text and "too slow" in text
    # the criteria, also here, named as the app's scorecard names them
    assert "  Engineering: vectorisation " in text and "  Depth: correctness " in text


def test_the_code_command_labels_criteria_and_failed_tests_as_the_app_does(tmp_path, capsys):
    # A walk-through: "failed ties_alphabetical (basic): ..." read like a test named "basic",
    # and "vectorisation 5/5" stood where the app says "Engineering: efficiency" (a question
    # that does not ask for vectorised code).
    q = default_bank()["l1-code-top-k-words"]
    assert not q.coding.vectorise
    path = tmp_path / "solution.py"
    path.write_text(TIES_FIRST_SEEN)
    assert main(["code", "--question", q.id, "--file", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{q.id}: 5/6 hidden tests passed, score 0.83 (partially correct)"
    rows = [re.match(r"  (\S.*?) +(\d)/5  ", line).groups() for line in lines[1:5]]
    assert rows == [("Depth: correctness", "4"), ("Problem solving: edge cases", "5"),
                    ("Engineering: efficiency", "5"), ("Communication: readability", "5")]  # fmt: skip
    # (and what the test catches, its why, beside its kind)
    why = why_said(q, "ties_alphabetical")
    assert why and lines[5].startswith(f"  failed ties_alphabetical (a basic case; {why}): "
                                       "assertion failed: ")  # fmt: skip
    assert main(["code", "--question", q.id, "--file", str(path), "--json"]) == 0
    criteria = json.loads(capsys.readouterr().out)["criteria"]
    assert criteria["vectorisation"]["label"] == "Engineering: efficiency"
    assert criteria["edge_cases"]["label"] == "Problem solving: edge cases"


COUNTS_ONLY = '''def is_balanced(s):
    """Counts each kind of bracket; never checks the nesting."""
    return all(s.count(o) == s.count(c) for o, c in ("()", "[]", "{}"))
'''


def test_code_that_fails_hidden_tests_is_first_asked_about_the_first_failed_test():
    # A walk-through: pandas code failing 3 of 8 hidden tests ("threshold boundaries" among
    # them) was asked "How would this scale to data that does not fit in memory?".
    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=2)
    turn = iv.current
    reply = iv.submit_code(COUNTS_ONLY, explanation="I count the brackets of each kind.")
    failed = turn.code_result["failed"]
    assert failed and not turn.code_result["error"]
    # the first whose error shows what came back, else the first
    shown = next((f for f in failed if " -> " in f["error"]), failed[0])
    name = shown["name"].replace("_", " ")
    assert reply.kind == "follow_up"
    assert f"The hidden test “{name}” failed: " in reply.text, reply.text
    assert reply.text.endswith("What does your code do in that case, and what would you change?")
    # it asks about the candidate's own code: no hint, nothing taken
    assert iv.command("hint").text.startswith("There is no hint for this follow-up")
    iv.answer("It counts, so ')(' passes; I would use a stack to check the nesting.")
    assert turn.status == "answered" and turn.follow_ups[0].question in reply.text
    # The HTML export keeps a failed test's "->" on one line (walk16: "-" ended a line, ">"
    # began the next).
    assert " -> got " in shown["error"]
    page = to_html(iv.info, store.load_session(iv.info.id, user_id=iv.info.user_id)[1])
    assert page.count('<span class="nw">-&gt;</span> got ') >= 1
    assert "-&gt; got" not in page.replace('<span class="nw">-&gt;</span>', "")
    # Code that passes every test is asked the authored probe, as before.
    iv2, _ = _at_the_brackets_question(store, follow_ups=1)
    reply2 = iv2.submit_code(q.coding.reference, explanation="A stack of open brackets.")
    assert "The hidden test" not in reply2.text
    if reply2.kind == "follow_up":
        assert reply2.text.endswith(tuple(f.text for f in q.coding.follow_ups))


def test_the_failed_test_probe_names_one_whose_error_shows_what_came_back():
    # A re-walk: the first failure was an assertion on random input, with neither the input nor
    # the returned value in its words.
    from interviewer.probes import PROBE_ERROR_CHARS, failed_test_probe

    blind = {"name": "matches_pairwise", "error": "assertion failed: assert isclose(auc, want)",
             "code": ""}  # fmt: skip
    shown = {"name": "ties_average", "error": "assertion failed: assert f([0, 1]) == 0.5 -> 1.0",
             "code": ""}  # fmt: skip
    said = failed_test_probe({"error": None, "failed": [blind, shown]})
    assert said.startswith("The hidden test “ties average” failed: assertion failed: assert f(")
    assert failed_test_probe({"error": None, "failed": [blind]}).startswith(
        "The hidden test “matches pairwise” failed: ")
    # else one whose error quotes a one-line test whole (its inputs and what was expected)
    setup = {**blind, "code": "y = rng.integers(0, 2, 300)\nassert isclose(auc(y), want)\n"}
    tied = {"name": "all_tied", "error": "assertion failed: assert f([0, 1], [0.3] * 2) == 0.5",
            "code": "assert f([0, 1], [0.3] * 2) == 0.5\n"}  # fmt: skip
    said = failed_test_probe({"error": None, "failed": [setup, tied]})
    assert said.startswith("The hidden test “all tied” failed: assertion failed: assert f([0, 1]")
    assert "“ties average”" in failed_test_probe({"error": None, "failed": [setup, tied, shown]})
    from interviewer.markup import AS_ABOVE  # a test "failed as above" tells nothing itself

    assert telling([("assertion failed", "a = 1\nassert a == 2"), (AS_ABOVE, "assert f() == 1")]) == 0
    long = {**shown, "error": "x -> " + "y" * 1000}
    assert len(failed_test_probe({"error": None, "failed": [long]})) < PROBE_ERROR_CHARS + 120
    never = {**shown, "error": "not run: SyntaxError: invalid syntax"}  # nothing ran
    assert failed_test_probe({"error": "SyntaxError: invalid syntax", "failed": [never]}) is None
    assert failed_test_probe({"error": None, "failed": []}) is None


def test_code_pasted_at_a_follow_up_is_kept_not_run_and_the_candidate_is_told():
    # A terminal walk-through: at the failed-test probe the candidate explained the bug and
    # pasted the fix in a ```python block; the grade stayed at 4 of 6 hidden tests, silently.
    from interviewer.probes import CODE_AT_FOLLOW_UP

    store = open_store(Settings.from_env())
    for feedback in ("each", "end"):
        iv, q = _at_the_brackets_question(store, follow_ups=1, feedback=feedback)
        iv.submit_code(q.coding.reference.replace("return not stack", "return True"))
        turn = iv.current
        ran = dict(turn.code_result)
        assert iv.phase == "follow_up" and ran["passed"] < ran["total"]
        fix = ("It returned True with brackets left open; the fix checks the stack is empty."
               f"\n```python\n{q.coding.reference}```")  # fmt: skip
        pieces: list[str] = []
        reply = iv.answer(fix, on_token=pieces.append)
        assert reply.text.startswith(CODE_AT_FOLLOW_UP) and "".join(pieces).strip() == reply.text
        assert reply.feedback.startswith(CODE_AT_FOLLOW_UP)
        assert turn.code_result == ran and turn.code == q.coding.reference.replace(
            "return not stack", "return True")  # the submitted code stands, as graded
        assert turn.follow_ups[-1].answer == fix  # kept as typed
        # the words are graded, the pasted code is not quoted as what was said
        quoted = [kp.evidence for kp in turn.grade.key_points if kp.evidence]
        assert not any("def " in e or "stack.append" in e for e in quoted), quoted
    # words alone at a follow-up get no such note
    iv, q = _at_the_brackets_question(store, follow_ups=1)
    iv.submit_code(q.coding.reference.replace("return not stack", "return True"))
    assert CODE_AT_FOLLOW_UP not in iv.answer("Linear time, one pass with a stack.").text


def test_a_point_stated_but_failed_by_the_code_is_neither_landed_nor_a_strength():
    # A walk-through: "sort by count descending, then word" was credited from the words, quoted
    # as "Landed" and listed among the report's strengths, beside code that failed the hidden
    # test on ties, which the report listed as failed. The bank links that test to the point.
    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=0, qid="l1-code-top-k-words")
    turn = iv.current
    reply = iv.submit_code(TIES_FIRST_SEEN, explanation=SAYS_TIES)
    assert [f["name"] for f in turn.code_result["failed"]] == ["ties_alphabetical"]
    ordering = next(kp for kp in turn.grade.key_points if kp.id == "ordering-key")
    assert not ordering.covered and ordering.failed_test == "ties_alphabetical"
    assert ordering.evidence == SAYS_TIES  # the words that stated it, kept to say so
    assert "Landed" not in reply.text and "Missing" not in reply.text
    assert (
        f'• Not shown by your code: you said "{SAYS_TIES.rstrip(".")}", but it failed '
        "ties_alphabetical, the hidden test that checks that."
    ) in reply.text
    assert (  # in the candidate's words, not the rubric's
        "Not credited, as your code fails the hidden test that checks it: "
        f"“{SAYS_TIES.rstrip('.')}” (ties_alphabetical failed)."
    ) in turn.grade.feedback
    report = iv.command("end").report if not iv.done else iv.report()
    said = " ".join(report.strengths)
    assert "(-count, word)" not in said and "alphabetical" not in said, report.strengths
    # its gap is the code, not the words: they were said
    gap = (
        "Make the code do what you said: sort or select with the key (-count, word) so higher "
        "counts come first and ties are alphabetical (it failed the hidden test ties_alphabetical)."
    )
    assert any(g.point == gap for g in report.gaps), report.gaps
    # The same explanation beside code that passes the ties test is a strength, in its words.
    iv2, _ = _at_the_brackets_question(store, follow_ups=0, qid=q.id)
    turn2 = iv2.current
    reply2 = iv2.submit_code(q.coding.reference, explanation=SAYS_TIES)
    ordering2 = next(kp for kp in turn2.grade.key_points if kp.id == "ordering-key")
    assert ordering2.covered and not ordering2.failed_test
    assert f'• Landed: "{SAYS_TIES}"' in reply2.text
    report2 = iv2.command("end").report if not iv2.done else iv2.report()
    assert (
        "Python coding: sort or select with the key (-count, word) so higher counts come "
        f'first and ties are alphabetical. ("{SAYS_TIES}")'
    ) in report2.strengths


def test_a_point_the_code_fails_on_still_counts_in_the_explanations_score():
    # The failed test already costs the code its correctness and caps its score; the
    # explanation said the right thing, so its own score is not docked for the same bug again:
    # the grade is what it would be without the link, only the point is not credited.
    from interviewer.coding.grade import CodeResult
    from interviewer.coding_answer import code_grade
    from tests.helpers import offline_engine

    engine = offline_engine()
    q = default_bank()["l1-code-top-k-words"]
    grade, result, _ = engine.judge_code(q, TIES_FIRST_SEEN, SAYS_TIES)
    tests = [t.model_copy(update={"checks": []}) for t in q.coding.hidden_tests]
    unlinked = q.model_copy(update={"coding": q.coding.model_copy(update={"hidden_tests": tests})})
    spoken = engine.judge(q, SAYS_TIES)[0]
    plain = code_grade(unlinked, CodeResult.model_validate(result.model_dump()), spoken, SAYS_TIES)
    assert grade.overall == plain.overall
    assert [kp.id for kp in plain.key_points if kp.covered] == ["ordering-key"]
    assert not any(kp.covered for kp in grade.key_points)
    # counted beside the code (no test passed: a tenth), the point is still not credited
    broken = result.model_copy(update={"passed": 0})
    counted = code_grade(q, broken, spoken, SAYS_TIES)
    point = next(kp for kp in counted.key_points if kp.id == "ordering-key")
    assert not point.covered and point.failed_test == "ties_alphabetical"
    assert counted.overall == code_grade(unlinked, broken, spoken, SAYS_TIES).overall
    from interviewer.coding_answer import NO_TEST_EXPLANATION_SHARE as share

    # the explanation's tenth, at its score as graded
    assert counted.overall == round((1 - share) * broken.overall + share * spoken.overall)



def _point(grade, kp_id: str):
    """The grade's result for a key point (None when it lists none: a point an explanation not
    counted beside working code left out is no gap)."""
    return next((kp for kp in grade.key_points if kp.id == kp_id), None)


def test_a_fix_named_in_a_follow_up_is_not_quoted_back_as_a_claim_the_code_failed():
    # A walk-through: the follow-up answer naming the fix was quoted as 'Not shown by your code:
    # you said "I would sort with the key (-count, word) instead", but it failed
    # ties_alphabetical' (a rebuke for the right diagnosis), and the report's strengths then
    # quoted the explanation's sentence that had claimed the ordering. (That diagnosis is now
    # credited: tests/coding/test_failed_key_points.py.)
    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=1, qid="l1-code-top-k-words")
    turn = iv.current
    probe = iv.submit_code(TIES_FIRST_SEEN, explanation=SAYS_ALL)
    assert probe.kind == "follow_up" and "ties alphabetical" in probe.text
    claim = _point(turn.grade, "ordering-key")  # stated with the code, which fails its test
    assert claim.failed_test == "ties_alphabetical" and claim.evidence
    assert claim.evidence.strip(".…") in SAYS_ALL
    reply = iv.answer(FIX_NAMED)
    point = _point(turn.grade, "ordering-key")
    assert point.covered and point.failed_test == "ties_alphabetical"
    assert point.evidence.strip(".…") in FIX_NAMED
    assert "Not shown" not in reply.text and "you said" not in reply.text
    assert "Not credited, as your code fails" not in turn.grade.feedback
    report = iv.command("end").report if not iv.done else iv.report()
    said = "\n".join(report.strengths)
    assert claim.evidence not in said, report.strengths

    # A follow-up answer that names no fix leaves the claim not credited, in the words sent
    # with the code, not the follow-up's.
    iv3, _ = _at_the_brackets_question(store, follow_ups=1, qid=q.id)
    turn3 = iv3.current
    iv3.submit_code(TIES_FIRST_SEEN, explanation=SAYS_ALL)
    unsure = "I am not sure what went wrong there; I would have to run it again."
    reply3 = iv3.answer(unsure)
    point3 = _point(turn3.grade, "ordering-key")
    assert not point3.covered and point3.failed_test == "ties_alphabetical"
    assert point3.evidence == claim.evidence  # the words sent with the code
    assert (
        f'• Not shown by your code: you said "{claim.evidence.rstrip(".")}", but it failed '
        "ties_alphabetical, the hidden test that checks that."
    ) in reply3.text
    assert "not sure" not in reply3.text and "Landed" not in reply3.text
    assert f"“{claim.evidence.rstrip('.')}” (ties_alphabetical failed)." in turn3.grade.feedback
    report3 = iv3.command("end").report if not iv3.done else iv3.report()
    said3 = "\n".join(report3.strengths)
    assert claim.evidence not in said3 and "not sure" not in said3, report3.strengths
    assert any(g.point.startswith("Make the code do what you said: sort or select") for g in
               report3.gaps)  # fmt: skip

    # The fix named only in the follow-up (the explanation sent with the code did not claim the
    # ordering): the right diagnosis is credited as said, nothing is "not shown", and it is a
    # diagnosis too (walk32 and walk33: a right diagnosis of a failed test got no word of it,
    # where the README promised the "Diagnosed" bullet whether or not the point was claimed)
    from interviewer.ui.render import grade_md

    iv2, _ = _at_the_brackets_question(store, follow_ups=1, qid=q.id)
    turn2 = iv2.current
    counts = "I count the words with collections.Counter in one pass and take the first k."
    assert iv2.submit_code(TIES_FIRST_SEEN, explanation=counts).kind == "follow_up"
    before = _point(turn2.grade, "ordering-key")
    assert before is None or not (before.covered or before.failed_test)
    reply2 = iv2.answer(FIX_NAMED)
    fix = _point(turn2.grade, "ordering-key")
    assert fix.covered and fix.failed_test == "ties_alphabetical"
    assert fix.evidence.strip(".…") in FIX_NAMED
    assert "Not shown" not in reply2.text and "Not credited, as your code fails" not in turn2.grade.feedback
    assert ("• Diagnosed: your code failed ties_alphabetical, and your follow-up answer states "
            "what that hidden test checks") in reply2.text, reply2.text
    assert "(diagnosed in a follow-up answer: your code failed `ties_alphabetical`" in grade_md(
        turn2.grade)
    assert turn2.code_result["passed"] == 5  # the code is graded as submitted


def test_the_sentence_of_a_point_the_code_failed_is_quoted_under_no_other_point_anywhere():
    # A walk-through: the chat and the report no longer quoted the sentence stating the ordering
    # the code failed, but the transcript (terminal, Transcripts tab, exports) still listed it
    # under "Covered key points" for two other points, and the grade's feedback put the
    # rubric's wording in quotation marks as if the candidate had said it.
    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=0, qid="l1-code-top-k-words")
    turn = iv.current
    reply = iv.submit_code(TIES_FIRST_SEEN, explanation=SAYS_ALL)
    claim = _point(turn.grade, "ordering-key")
    assert claim.failed_test == "ties_alphabetical" and claim.evidence
    # (the grader reads other points in that sentence: the case at hand)
    spoken = offline_engine().judge(q, SAYS_ALL)[0]
    assert [kp.id for kp in spoken.key_points
            if kp.covered and kp.id != "ordering-key" and kp.evidence == claim.evidence]  # fmt: skip
    # stored so (the JSON export dumps the grade as it is)
    assert not [kp.id for kp in turn.grade.key_points
                if kp.covered and kp.evidence == claim.evidence]  # fmt: skip
    assert f'"{claim.evidence}"' not in reply.text.replace("you said", "")  # never as landed
    feedback = turn.grade.feedback
    assert f"“{claim.evidence.rstrip('.')}” (ties_alphabetical failed)." in feedback
    assert "“Sort or select" not in feedback  # the rubric's words are not the candidate's
    iv.command("end")
    info, turns = store.load_session(iv.info.id, user_id=iv.info.user_id)

    def covered_md(md: str) -> str:
        q2 = md.split("## Q2.", 1)[1]
        return q2.split("**Covered key points**", 1)[1].split("**Missed key points**", 1)[0]

    def covered_html(page: str) -> str:
        return page.split("<h3>Covered key points</h3>", 2)[2].split("</ul>", 1)[0]

    from interviewer.markup import md_escape

    md, page = to_markdown(info, turns), to_html(info, turns)
    assert "Count with a dictionary or collections.Counter" in covered_md(md)
    assert md_escape(claim.evidence) not in covered_md(md)
    assert "collections.Counter in one pass, then sort" not in covered_html(page)
    data = json.loads(to_json(info, turns))
    stored = data["turns"][-1]["grade"]["key_points"]
    assert not [kp["id"] for kp in stored if kp["covered"] and kp["evidence"] == claim.evidence]
    # A grade stored before this (its other points still quoting the sentence) reads the same.
    stale = turns[-1].grade.model_copy(update={"key_points": [
        kp.model_copy(update={"evidence": claim.evidence}) if kp.covered else kp
        for kp in turns[-1].grade.key_points]})  # fmt: skip
    old = [*turns[:-1], turns[-1].model_copy(update={"grade": stale})]
    md, page = to_markdown(info, old), to_html(info, old)
    assert "Count with a dictionary or collections.Counter" in covered_md(md)
    assert md_escape(claim.evidence) not in covered_md(md)
    assert "collections.Counter in one pass, then sort" not in covered_html(page)
    from interviewer.report import build_report

    strengths = "\n".join(build_report(old, default_bank()).strengths)
    assert "Python coding: count with" in strengths and claim.evidence not in strengths


def test_a_stated_point_with_no_words_to_quote_is_named_without_quotation_marks():
    # A point the LLM judge ticked has no sentence of the candidate's: the feedback names it,
    # unquoted (quotation marks around the rubric's words read as the candidate's).
    from interviewer.coding.grade import CodeResult
    from interviewer.coding_answer import code_grade

    engine = offline_engine()
    q = default_bank()["l1-code-top-k-words"]
    _, result, _ = engine.judge_code(q, TIES_FIRST_SEEN, None)
    spoken = engine.judge(q, SAYS_TIES)[0]
    unquoted = spoken.model_copy(update={"key_points": [
        kp.model_copy(update={"evidence": ""}) for kp in spoken.key_points]})  # fmt: skip
    grade = code_grade(q, CodeResult.model_validate(result.model_dump()), unquoted, SAYS_TIES)
    assert (
        "Not credited, as your code fails the hidden test that checks it: sort or "
        "select with the key (-count, word) so higher counts come first and ties are "
        "alphabetical (ties_alphabetical failed)."
    ) in grade.feedback


# A walk-through's K-Means: a pure-Python triple loop with no empty-cluster handling. It passes
# 7 of 9 hidden tests: the large input times out and duplicate points give an empty cluster's
# NaN. Its round read 86, "strong hire".
SLOW_KMEANS = KMEANS_LOOPS.replace("#RESEED\n", "")


def _l1_with_kmeans(code: str):
    """A complete 3-question L1 (two spoken answers given as their model answers), its coding
    question K-Means answered with ``code`` and the model answer's explanation."""
    bank = default_bank()
    q = bank["l1-code-kmeans"]
    bank = {k: v for k, v in bank.items() if v.coding is None or k == q.id}
    iv = new_interview(round="L1", questions=3, bank=bank, store=open_store(Settings.from_env()),
                       coding=True, follow_ups=0, seed=1)  # fmt: skip
    assert _to_coding_question(iv) is q
    iv.submit_code(code, explanation="Assign each point to its nearest centroid, move each "
                   "centroid to the mean of its points, and repeat until they stop moving.")
    while iv.phase != "done":
        iv.answer(bank[iv.current.question_id].model_answer)
    return iv, iv.report()


def test_code_that_failed_hidden_tests_holds_the_signal_at_hire():
    iv, report = _l1_with_kmeans(SLOW_KMEANS)
    coded = next(t for t in iv.turns if t.kind == "coding")
    assert coded.code_result["passed"] == 7 and coded.code_result["overall"] >= PASS_MARK
    assert report.complete and report.overall >= 80  # "strong hire" by the score alone
    assert report.signal == "hire"
    assert "At most hire: your code failed hidden tests (ML from scratch, 2 of 9)." in report.note


def test_code_under_the_pass_mark_fails_the_round_and_passing_code_does_not():
    q = default_bank()["l1-code-kmeans"]
    iv, report = _l1_with_kmeans(q.coding.starter + "    return None, None\n")
    assert report.signal in ("lean no hire", "no hire", "strong no hire")
    assert not report.passed and not report.rounds["L1"]["passed"]
    coded = next(t for t in iv.turns if t.kind == "coding")
    code, whole = coded.code_result["overall"], turn_score(coded)
    assert whole > code  # the explanation counts for a quarter: both numbers are said
    assert (f"Not passed: the coding question's code must pass on its own (60); in L1 the code "
            f"decides the round (L1, ML from scratch: its code alone scored {code} (0 of "
            f"{coded.code_result['total']} hidden tests passed); {whole} with your explanation)."
            ) in report.note  # fmt: skip
    _, report = _l1_with_kmeans(q.coding.reference)
    assert "At most" not in report.note and report.signal == rb.hire_signal(report.overall)
    assert report.passed


def test_a_full_loop_does_not_open_l2_when_the_code_failed_whatever_l1_scored(store):
    # A re-walk: the unchanged starter code (0 of 9 tests) read "L1 passed (71/100): the L2 round
    # starts now."
    bank = default_bank()
    q = bank["l1-code-kmeans"]
    bank = {k: v for k, v in bank.items() if v.coding is None or k == q.id}
    iv = new_interview(round="full", questions=3, bank=bank, store=store, coding=True,
                       follow_ups=0, seed=1)  # fmt: skip
    assert _to_coding_question(iv) is q
    reply = iv.submit_code(q.coding.starter + "    return None, None\n")
    # the chat says so at once (walk55: only the report said the code had failed the round)
    assert ("• Round: your code alone scored 0 (0 of 9 hidden tests passed), under the pass mark "
            "(60); in L1 the code decides the round, so this L1 will not pass") in reply.text
    from interviewer.ui.render import history_from_turns  # and a resumed chat, as it was live

    said = [m["content"] for m in history_from_turns(iv.turns, True, False, bank)]
    assert sum("• Round: your code alone scored 0" in x for x in said) == 1
    while iv.phase != "done":
        iv.answer(bank[iv.current.question_id].model_answer)
    assert {t.round for t in iv.turns} == {"L1"}
    report = iv.report()
    assert report.overall >= 60 and not report.passed  # the score alone would pass
    assert "L2 round was not unlocked" in report.note and "in L1 the code decides the round" in report.note


def test_code_alone_answers_part_of_a_question_that_asks_for_an_explanation(store):
    # A walk-through's K-Means scored 100 on code alone, where the question asks to "walk me
    # through its complexity and failure modes": the interviewer asks for it, and the code alone
    # earns three quarters.
    q = default_bank()["l1-code-kmeans"]
    assert q.asks_to_explain == "walk through its complexity and failure modes"
    iv, _ = _at_the_brackets_question(store, follow_ups=1, qid=q.id)
    reply = iv.submit_code(q.coding.reference)
    turn = iv.current
    assert turn.code_result["overall"] == 100 and turn.grade.overall == 75
    # the scorecard says why too: communication is held at 2, the other criteria the code's
    assert {c: s.score for c, s in turn.grade.criteria.items()} == {
        "depth": 5, "problem_solving": 5, "engineering": 5, "communication": 2}
    assert turn.grade.criteria["communication"].rationale.startswith(
        "not explained: the question also asks you to walk through its complexity and failure "
        "modes; your code alone earns 75 of 100 at most (readability: ")  # fmt: skip
    assert reply.kind == "follow_up"  # asked for the words, as the question set them
    assert reply.text.endswith("Follow-up: As the question asks, walk me through its complexity "
                               "and failure modes: your code alone earns 75 of 100 at most.")
    # the points the code showed (a passed hidden test checks it; no loops) are not missed
    missed = {kp.id for kp in turn.grade.key_points if not kp.covered}
    assert missed == {"complexity", "assumptions"}
    assert "none sent with the code: the question also asks you to walk through its " \
        "complexity and failure modes" in turn.grade.feedback
    reply = iv.answer("One iteration is O(n k d) time and the distance matrix takes O(n k) "
                      "memory; for 100 million points I would use mini-batch K-Means.")
    graded = iv.turns[turn.index].grade
    assert 75 < graded.overall < 100
    assert graded.criteria["communication"].score == 5  # the words came at the follow-up
    assert any(kp.covered for kp in graded.key_points if kp.id == "complexity")
    # The chat said why at once, after the tests
    result = iv.engine.code_runner.grade(q, q.coding.reference)
    lines = feedback_text(q, code_grade(q, result), result.model_dump()).splitlines()
    assert lines[0] == "Score: 75/100" and lines[1].startswith("• Tests: 9 of 9")
    assert lines[2] == ("• Not explained: the question also asks you to walk through its "
                        "complexity and failure modes; your code alone earns 75 of 100 at most.")
    assert sum("not explained" in x.lower() for x in lines) == 1  # (walk24 read it twice)
    # Words sent that do not cover what the code showed: that is no gap either (walk20:
    # "Missing: Precision = TP / (TP + FP) ..." beside code passing the test of it)
    prf = default_bank()["l1-code-precision-recall-f1"]
    result = iv.engine.code_runner.grade(prf, prf.coding.reference)
    said = "It is O(n) time with boolean masks and O(1) extra space."
    graded = code_grade(prf, result, iv.engine.judge(prf, said)[0], said)
    assert [kp.id for kp in graded.key_points if not kp.covered] == ["when-to-use"]
    merge = default_bank()["l1-code-merge-flag-outliers"]  # nor the feedback's gap (walk21)
    result = iv.engine.code_runner.grade(merge, merge.coding.reference)
    said = ("It scales linearly: one merge and one quantile pass; past memory I would load only "
            "the needed columns or move the join to Polars or Spark.")
    spoken = iv.engine.judge(merge, said)[0]
    join = "Most important gap: “Choose the join type deliberately"
    assert join in spoken.feedback  # the words alone: their gap
    graded = code_grade(merge, result, spoken, said)
    assert join not in graded.feedback and "join-type" not in {
        kp.id for kp in graded.key_points if not kp.covered}
    # A question that asks for code alone: the code's grade, as before
    other = default_bank()["l1-code-max-subarray"]
    assert other.asks_to_explain is None
    result = iv.engine.code_runner.grade(other, other.coding.reference)
    assert code_grade(other, result).overall == result.overall == 100


def test_code_explained_in_another_language_is_asked_again_in_english():
    # walk24: a Spanish explanation of working code scored 0 and was never asked for in English,
    # as a spoken answer in another language is.
    from interviewer.probes import NOT_ENGLISH_ASKED

    store = open_store(Settings.from_env())
    iv, q = _at_the_brackets_question(store, follow_ups=1)
    iv.answer("Uso una pila para guardar los paréntesis abiertos y compruebo que cada cierre "
              "coincide con el último abierto; al final la pila tiene que estar vacía. Si "
              "encuentro un cierre sin apertura, devuelvo falso de inmediato. La complejidad es "
              "lineal en tiempo y en memoria, porque cada carácter entra y sale de la pila una "
              "sola vez.")  # fmt: skip
    reply = iv.submit_code(q.coding.reference)
    turn = iv.current
    assert turn.code_result["passed"] == turn.code_result["total"]
    assert rb.FLAG_NOT_ENGLISH in turn.grade.flags
    assert reply.kind == "follow_up" and f"Follow-up: {NOT_ENGLISH_ASKED}" in reply.text
    # (shorter than the Spanish before it: graded together, the two read as Spanish again)
    reply = iv.answer("I use a stack: push each opener, pop and match on a closer; balanced if "
                      "empty at the end.")  # fmt: skip
    graded = reply.graded_turn
    assert graded is not None and graded.index == turn.index
    assert rb.FLAG_NOT_ENGLISH not in graded.grade.flags
    assert any(kp.covered and kp.evidence.lstrip("…") in "balanced if empty at the end."
               for kp in graded.grade.key_points)
    assert "Not in English" not in reply.feedback


def test_an_explanation_giving_working_code_a_slower_cost_states_something_wrong():
    # walk53: Kadane's one pass explained as "O(n^2) time" scored 100 and read "not scored, as
    # your code scores higher on its own; it states nothing wrong"
    from tests.helpers import offline_engine

    engine = offline_engine()
    q = default_bank()["l1-code-max-subarray"]
    said = "It is O(n^2) time because of the running comparison at each element, and O(1) space."
    claimed, result, _ = engine.judge_code(q, q.coding.reference, said)
    assert not result.failed
    assert ("it says “It is O(n^2) time because of the running comparison at each element, and "
            "O(1) space”, but the code is faster than that: it passed every large input"
            ) in claimed.feedback  # fmt: skip
    assert "states nothing wrong" not in claimed.feedback and claimed.overall < 100
    fine, _, _ = engine.judge_code(q, q.coding.reference, "One pass, O(n) time and O(1) space.")
    assert "faster than that" not in fine.feedback


def test_a_wrong_claim_about_most_common_beside_right_code_is_named():
    """walk60: correct top-k code explained with "Counter's most_common already orders ties
    alphabetically" scored 100 and had that sentence "Landed"; the bank's model answer says
    the opposite. Now a red flag of the question names it, and the code keeps its tests."""
    q = default_bank()["l1-code-top-k-words"]
    code = ("from collections import Counter\n\n\ndef top_k_words(words, k):\n"
            "    if k < 0:\n        raise ValueError('k must be non-negative')\n"
            "    counts = Counter(words)\n"
            "    return sorted(counts, key=lambda w: (-counts[w], w))[:k]\n")  # fmt: skip
    words = ("Counter's most_common already orders ties alphabetically, so I just sort by "
             "count and take the first k.")
    grade, ran, _ = offline_engine().judge_code(q, code, words)
    assert ran.passed == ran.total
    assert rb.red_flag_claims(grade.flags) == [
        "Counter.most_common already orders tied words alphabetically."]
    text = feedback_text(q, grade, ran.model_dump())
    assert "• Wrong:" in text and "first seen" in text and "most_common already" not in " ".join(
        line for line in text.splitlines() if line.startswith("• Landed"))  # fmt: skip
    right, _, _ = offline_engine().judge_code(q, code, "I sort by negative count, then by the "
                                              "word, so ties are alphabetical.")  # fmt: skip
    assert not rb.red_flag_claims(right.flags) and right.overall > grade.overall
