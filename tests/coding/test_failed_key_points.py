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
