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
from tests.helpers import SAYS_TIES, TIES_FIRST_SEEN

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
    said = (" — stated, but not shown by your code: it failed `ties_alphabetical`, the hidden "
            "test that checks it")  # fmt: skip
    assert f"- {md_escape(ORDERING)}{said}\n" in md, md
    page = _section(to_html(info, turns), "<h3>Missed key points</h3>", "</ul>")
    assert (
        "<li>Sort or select with the key (-count, word) so higher counts come first and ties are "
        "alphabetical. — stated, but not shown by your code: it failed "
        "<code>ties_alphabetical</code>, the hidden test that checks it</li>"
    ) in page, page
    # `transcripts show` (the Markdown as a terminal shows it) says it too
    assert main(["transcripts", "show", iv.info.id, "--user", iv.info.user_id]) == 0
    shown = _section(capsys.readouterr().out, "Missed key points", "Feedback")
    assert "alphabetical. — stated, but not shown by your code: it failed" in shown
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
NOT_CREDITED = "Stated, but not credited, as your code fails the hidden test that checks it"


def _ordering(grade):
    return next(kp for kp in grade.key_points if kp.id == "ordering-key")


def _judged(code: str):
    from interviewer.bank import default_bank
    from tests.helpers import offline_engine

    q = default_bank()["l1-code-top-k-words"]
    grade, result, _ = offline_engine().judge_code(q, code, SAYS_TIES)
    return grade, {f.name: f.error for f in result.failed}


def test_not_credited_names_only_the_linked_tests_that_ran_and_failed():
    # "Stated, but not credited, ...: “...” (<tests> failed)" names a test of the point only when
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
    # the run died on the first linked test: none ran, so none is named and the point stands
    grade, failed = _judged(EXITS_ON_TIES)
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
