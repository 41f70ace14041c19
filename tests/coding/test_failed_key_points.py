"""A coding key point the explanation states but a hidden test that checks it showed the code
does not do: how the transcripts list it, which tests the feedback names, and what a follow-up
answer that diagnoses the bug earns. Real sandbox runs, the offline grader."""

from __future__ import annotations

from interviewer.cli import main
from interviewer.config import Settings
from interviewer.export import to_html, to_markdown
from interviewer.markup import md_escape
from interviewer.store import open_store
from tests.coding.test_interview_coding import _at_the_brackets_question
from tests.helpers import FIX_NAMED, SAYS_ALL, SAYS_TIES, TIES_FIRST_SEEN

ORDERING = (
    "Sort or select with the key (-count, word) so higher counts come first and ties are "
    "alphabetical."
)


def _section(text: str, head: str, end: str) -> str:
    """The last coding question's part of a transcript between ``head`` and ``end``."""
    return text.rsplit(head, 1)[1].split(end, 1)[0]


def test_a_missed_point_the_code_failed_names_the_test_in_every_transcript(capsys):
    # A walk-through's transcript listed the ordering point under "Missed key points" as if it
    # had never been said; only the Feedback paragraph under it named ties_alphabetical.
    store = open_store(Settings.from_env())
    iv, _ = _at_the_brackets_question(store, follow_ups=0, qid="l1-code-top-k-words")
    turn = iv.current
    iv.submit_code(TIES_FIRST_SEEN, explanation=SAYS_TIES)
    point = next(kp for kp in turn.grade.key_points if kp.id == "ordering-key")
    assert not point.covered and point.failed_test == "ties_alphabetical"
    if not iv.done:
        iv.command("end")
    info, turns = store.load_session(iv.info.id, user_id=iv.info.user_id)

    md = _section(to_markdown(info, turns), "**Missed key points**", "**Feedback**")
    said = (" — not shown by your code: it failed `ties_alphabetical`, the hidden "
            "test that checks it")  # fmt: skip
    assert f"- {md_escape(ORDERING)}{said}\n" in md, md
    page = _section(to_html(info, turns), "<h3>Missed key points</h3>", "</ul>")
    assert (
        "<li>Sort or select with the key (-count, word) so higher counts come first and ties are "
        "alphabetical. — not shown by your code: it failed "
        "<code>ties_alphabetical</code>, the hidden test that checks it</li>"
    ) in page, page
    # `transcripts show` (the Markdown as a terminal shows it) says it too
    assert main(["transcripts", "show", iv.info.id, "--user", iv.info.user_id]) == 0
    shown = _section(capsys.readouterr().out, "Missed key points", "Feedback")
    # (read as one line: the terminal's width, which the run inherits, decides where it wraps)
    assert "alphabetical. — not shown by your code: it failed" in " ".join(shown.split()), shown
    assert "ties_alphabetical" in shown, shown
    # a point simply not made says nothing of a test
    iv2, _ = _at_the_brackets_question(store, follow_ups=0, qid="l1-code-top-k-words")
    iv2.submit_code(TIES_FIRST_SEEN, explanation="I use a Counter.")
    if not iv2.done:
        iv2.command("end")
    info2, turns2 = store.load_session(iv2.info.id, user_id=iv2.info.user_id)
    md2 = to_markdown(info2, turns2)
    assert "not shown by your code" not in md2 and "not shown by your code" not in to_html(
        info2, turns2)  # fmt: skip


# Counts ascending: the commonest words come last. It fails both tests of the ordering point
# (ties_alphabetical, counts_beat_alphabet), and k_zero_and_too_large, a k-bounds test.
ASCENDING = '''from collections import Counter


def top_k_words(words, k):
    """The k words by count."""
    if k < 0:
        raise ValueError("k must be non-negative")
    counts = Counter(words)
    return sorted(counts, key=lambda w: (counts[w], w))[:k]
'''
# The same, but it computes for ever on the ties test's input (four distinct words): that test
# is stopped for time, and says nothing of what the code returns.
SPINS_ON_TIES = ASCENDING.replace(
    "    counts = Counter(words)\n",
    "    counts = Counter(words)\n    while len(counts) == 4:\n        pass\n",
)
# Raises on ties, with "timed out" in its own message: the test ran and the code raised.
RAISES_ON_TIES = '''from collections import Counter


def top_k_words(words, k):
    """The k most frequent words by Counter.most_common."""
    if k < 0:
        raise ValueError("k must be non-negative")
    counts = Counter(words)
    if len(set(counts.values())) < len(counts):
        raise TimeoutError("tie-breaking timed out")
    return [word for word, _ in counts.most_common(k)]
'''
# Kills its own test run on the ties test's input: that test and every one after it never ran.
EXITS_ON_TIES = SPINS_ON_TIES.replace(
    "        pass\n", "        import os\n\n        os._exit(3)\n"
)
NOT_CREDITED = "Not credited, as your code fails the hidden test that checks it"


def _ordering(grade):
    return next(kp for kp in grade.key_points if kp.id == "ordering-key")


def _judged(code: str):
    from interviewer.bank import default_bank
    from tests.helpers import offline_engine

    q = default_bank()["l1-code-top-k-words"]
    grade, result, _ = offline_engine().judge_code(q, code, SAYS_TIES)
    return grade, {f.name: f.error for f in result.failed}


def test_not_credited_names_only_the_linked_tests_that_ran_and_failed():
    # "Not credited, ...: “...” (<tests> failed)" names a test of the point only when
    # it ran and gave a wrong answer or raised: not one stopped for time, not one that never
    # ran, not one that passed, though the point links two (ties_alphabetical,
    # counts_beat_alphabet).
    said = f"“{SAYS_TIES.rstrip('.')}”"
    # one linked test failed, the other passed
    grade, failed = _judged(TIES_FIRST_SEEN)
    assert list(failed) == ["ties_alphabetical"]
    assert f"{NOT_CREDITED}: {said} (ties_alphabetical failed)." in grade.feedback
    assert "counts_beat_alphabet" not in grade.feedback
    # both ran and failed: the first is named, and nothing else
    grade, failed = _judged(ASCENDING)
    assert {"ties_alphabetical", "counts_beat_alphabet"} <= set(failed)
    assert _ordering(grade).failed_test == "ties_alphabetical"
    assert f"{NOT_CREDITED}: {said} (ties_alphabetical failed)." in grade.feedback
    # the first linked test timed out: the one that ran and failed is named, not it
    grade, failed = _judged(SPINS_ON_TIES)
    assert failed["ties_alphabetical"].startswith("timed out")
    assert failed["counts_beat_alphabet"].startswith("assertion failed")
    assert _ordering(grade).failed_test == "counts_beat_alphabet"
    assert f"{NOT_CREDITED}: {said} (counts_beat_alphabet failed)." in grade.feedback
    assert "ties_alphabetical failed" not in grade.feedback
    # the run died on the first linked test: it was stopped there and none after it ran, so
    # none is named and the point stands
    grade, failed = _judged(EXITS_ON_TIES)
    assert failed.pop("ties_alphabetical").startswith("stopped: exited with status 3"), failed
    assert all(e.startswith("not run") for e in failed.values()), failed
    assert not _ordering(grade).failed_test and NOT_CREDITED not in grade.feedback


def test_a_test_whose_code_raised_with_timed_out_in_its_message_ran_and_failed():
    # The code raised TimeoutError("tie-breaking timed out"): the test ran and the code raised,
    # which shows it does not break ties; it was read as a test stopped for time, and the point
    # was credited ("Landed") beside code that fails on every tie.
    grade, failed = _judged(RAISES_ON_TIES)
    assert failed["ties_alphabetical"].startswith("TimeoutError: tie-breaking timed out")
    point = _ordering(grade)
    assert not point.covered and point.failed_test == "ties_alphabetical"
    assert "(ties_alphabetical failed)." in grade.feedback


# Right diagnoses at the follow-up on the failed test: the fix (FIX_NAMED), and the cause alone.
# Graded with the explanation, the cause reads closer to the explanation's sentence than to itself.
CAUSE_NAMED = (
    "The bug is that Counter.most_common breaks ties by insertion order, not alphabetically."
)


def _claimed_and_failed(store, follow_up: str):
    """An interview's top-k words question: SAYS_ALL with TIES_FIRST_SEEN, then ``follow_up``
    at the probe on ties_alphabetical. (interview, turn, the claim's point at submission,
    the reply to the follow-up)"""
    iv, _ = _at_the_brackets_question(store, follow_ups=1, qid="l1-code-top-k-words")
    turn = iv.current
    probe = iv.submit_code(TIES_FIRST_SEEN, explanation=SAYS_ALL)
    assert probe.kind == "follow_up" and "ties alphabetical" in probe.text
    claim = _ordering(turn.grade)
    assert not claim.covered and claim.failed_test == "ties_alphabetical"
    assert claim.evidence.strip(".…") in SAYS_ALL
    return iv, turn, claim, iv.answer(follow_up)


def test_a_follow_up_that_diagnoses_a_claimed_point_the_code_failed_is_credited():
    # A walk-through: the explanation claimed ties come out alphabetically, the code failed
    # ties_alphabetical, and the follow-up answer named the cause and the fix; it earned nothing
    # (the point stayed "not shown", its only quote the claim), while the same diagnosis after
    # an explanation that had not claimed the ordering was credited.
    from interviewer.grading.feedback import quoted

    store = open_store(Settings.from_env())
    for diagnosis, quote in ((FIX_NAMED, "…I would sort with the key (-count, word) instead"),
                             (CAUSE_NAMED, CAUSE_NAMED.rstrip("."))):  # fmt: skip
        iv, turn, claim, reply = _claimed_and_failed(store, diagnosis)
        graded_before = turn.code_result
        point = _ordering(turn.grade)
        assert point.covered and point.failed_test == "ties_alphabetical", point
        assert point.evidence.rstrip(".") == quote  # the follow-up's words, not the claim's
        assert (
            "• Diagnosed: your code failed ties_alphabetical, and your follow-up answer states "
            f'what that hidden test checks: "{quote}". The point is credited; the failed test '
            "still costs the code you submitted."
        ) in reply.text, reply.text
        assert "Not shown" not in reply.text and claim.evidence.rstrip(".") not in reply.text
        feedback = turn.grade.feedback
        assert "Not credited, as your code fails" not in feedback
        assert (
            "Credited from your follow-up answer, which diagnosed it, though the code you "
            f"submitted fails the hidden test that checks it: {quoted(quote)} (ties_alphabetical "
            "failed)."
        ) in feedback, feedback
        # the code is graded as submitted: its failed test still costs it
        assert turn.code_result == graded_before and graded_before["passed"] == 5
        assert turn.grade.criteria["depth"].score == 4
        # the claim's sentence is still quoted under no point
        assert not [kp.id for kp in turn.grade.key_points if kp.evidence == claim.evidence]
        # the app's scorecard says so beside the tick (a re-walk's showed a plain ✓ beside
        # the failed test); at submission it named the test beside the missed point
        from interviewer.ui.render import grade_md

        card = grade_md(turn.grade)
        assert ("(diagnosed in a follow-up answer: your code failed `ties_alphabetical`, the "
                "hidden test that checks it)") in card, card
        assert "— not shown by your code: it failed `ties_alphabetical`" in grade_md(
            iv.turns[turn.index].grade.model_copy(update={"key_points": [claim]}))
        report = iv.command("end").report if not iv.done else iv.report()
        gaps = [g.point for g in report.gaps]
        assert not any(g.startswith("Make the code do what you said") for g in gaps), gaps
        # (the test named with what it catches, its ``why``)
        from interviewer.bank import default_bank

        why = default_bank()["l1-code-top-k-words"].coding.why("ties_alphabetical")
        assert ("Make the code pass the hidden tests it failed: ties_alphabetical "
                f"({why[:1].lower()}{why[1:-1]}).") in gaps, gaps  # fmt: skip
        assert claim.evidence not in "\n".join(report.strengths)
        info, turns = store.load_session(iv.info.id, user_id=iv.info.user_id)
        md = _section(to_markdown(info, turns), "**Covered key points**", "**Feedback**")
        assert (
            f"- {md_escape(ORDERING)} — “{md_escape(point.evidence)}” (diagnosed in a follow-up "
            "answer: your code failed `ties_alphabetical`, the hidden test that checks it)"
        ) in md, md
        assert "not shown by your code" not in md
        page = _section(to_html(info, turns), "<h3>Covered key points</h3>", "</ul>")
        assert (
            "(diagnosed in a follow-up answer: your code failed <code>ties_alphabetical</code>, "
            "the hidden test that checks it)</li>"
        ) in page


def test_a_fix_pasted_as_code_alone_at_the_follow_up_is_not_run_and_the_chat_says_so():
    # The code submitted is what the hidden tests grade (README, "Coding questions"): a fix
    # pasted at the follow-up is kept, not run, and its code is no words to credit; the chat
    # says why before saying the point is still not shown.
    from interviewer.bank import default_bank
    from interviewer.probes import CODE_AT_FOLLOW_UP

    store = open_store(Settings.from_env())
    reference = default_bank()["l1-code-top-k-words"].coding.reference
    iv, turn, claim, reply = _claimed_and_failed(store, f"```python\n{reference}```")
    assert reply.text.startswith(CODE_AT_FOLLOW_UP)
    point = _ordering(turn.grade)
    assert not point.covered and point.evidence == claim.evidence
    assert "• Not shown by your code: you said" in reply.text


def test_a_diagnosis_merged_into_a_higher_grade_at_submission_is_said_as_credited():
    # merge_follow_up keeps the higher grade: when that is the one given at submission, the
    # diagnosed point joins it, and its feedback no longer says "Not credited, as your code fails".
    from interviewer.bank import default_bank
    from interviewer.coding_answer import code_grade
    from interviewer.regrade import merge_follow_up
    from tests.helpers import offline_engine

    engine = offline_engine()
    q = default_bank()["l1-code-top-k-words"]
    at_submission, result, _ = engine.judge_code(q, TIES_FIRST_SEEN, SAYS_ALL)
    assert "Not credited, as your code fails" in at_submission.feedback
    said = f"{SAYS_ALL}\n\n{FIX_NAMED}"
    after = code_grade(q, result, engine.judge(q, said)[0], said, before=at_submission,
                       follow_up=engine.judge(q, FIX_NAMED)[0])  # fmt: skip
    assert _ordering(after).covered
    higher = at_submission.model_copy(update={"overall": after.overall + 5})
    merged = merge_follow_up(higher, after)
    assert merged.overall == higher.overall
    point = _ordering(merged)
    assert point.covered and point.failed_test == "ties_alphabetical"
    assert "Not credited, as your code fails" not in merged.feedback
    assert merged.feedback.endswith(
        "Credited from your follow-up answer, which diagnosed it, though the code you submitted "
        "fails the hidden test that checks it: “…I would sort with the key (-count, word) "
        "instead” (ties_alphabetical failed)."
    ), merged.feedback
    assert merged.feedback.startswith(higher.feedback.split(" Not credited, as your code fails")[0])
