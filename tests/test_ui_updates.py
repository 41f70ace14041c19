"""A turn sends only the property updates that change what the page shows."""

from __future__ import annotations

import gradio as gr

from interviewer.ui.interview import Live, changes_only


def test_unchanged_property_updates_are_not_sent_again():
    hint, report, voice, chat = gr.Button(), gr.Markdown(), gr.Audio(), gr.Chatbot()
    live = Live(interview=None, user="u")  # type: ignore[arg-type]
    audio = (16000, [0, 1, 2])

    def turn(visible_report: bool) -> dict:
        return {
            chat: [{"role": "user", "content": "hi"}],
            hint: gr.update(visible=True),
            report: gr.update(value="done" if visible_report else "", visible=visible_report),
            voice: gr.update(value=audio, visible=True),
        }

    first = changes_only(live, turn(False))
    assert set(first) == {chat, hint, report, voice}
    second = changes_only(live, turn(False))
    # values always go; the hint and report are as the page shows them; audio is always sent
    assert set(second) == {chat, voice}
    third = changes_only(live, turn(True))
    assert set(third) == {chat, report, voice} and third[report]["value"] == "done"
    # a new interview (a new Live) sends every property again
    assert set(changes_only(Live(interview=None, user="u"), turn(True))) == set(first)  # type: ignore[arg-type]


def test_the_progress_caption_says_what_a_one_session_round_cannot_draw():
    # Seen in the app: an L1 session at 65 and an L2 session at 49 gave an empty "Scores per
    # round" plot (a line needs two points) and no word about it.
    from interviewer.markup import when
    from interviewer.ui.render import progress_caption

    one_each = {"sessions": [{}, {}], "by_round": {"L1": [[1.7e9, 65.0]], "L2": [[1.8e9, 49]]}}
    assert progress_caption(one_each) == (
        f"A round's line starts with its second session; so far L1 65/100 ({when(1.7e9)}); "
        f"L2 49/100 ({when(1.8e9)})."
    )
    first = {"sessions": [{}], "by_round": {"L1": [[1.7e9, 65.0]], "L2": []}}
    assert progress_caption(first).endswith("The criterion lines start with your next session.")
    lines = {"sessions": [{}, {}], "by_round": {"L1": [[1.7e9, 65.0], [1.8e9, 70]], "L2": []}}
    assert progress_caption(lines) == ""


def test_the_transcripts_table_marks_a_real_interview():
    from interviewer.ui.render import session_rows

    base = {"created_at": 1.7e9, "round": "L1", "questions": 2, "planned": 3, "score": 65,
            "signal": "", "status": "finished", "id": "s1"}  # fmt: skip
    real, practice = {**base, "settings": {"real": True}}, {**base, "settings": {}}
    assert [row[1] for row in session_rows([real, practice, base])] == ["L1 (real)", "L1", "L1"]


def _graded_turn(index: int, overall: int, status: str = "answered"):
    from interviewer.grading.rubric import CRITERIA, CriterionScore, Grade
    from interviewer.models import Turn

    grade = Grade(
        question_id=f"q{index}",
        overall=overall,
        criteria={c: CriterionScore(score=3, rationale=f"q{index} {c}") for c in CRITERIA},
    )
    return Turn(index=index, question_id=f"q{index}", round="L1", topic="overfitting",
                difficulty=2, question="Why?", status=status, grade=grade)  # fmt: skip


def test_the_scorecard_shows_every_answer_once_the_interview_is_over():
    # Seen in the app: after End the scorecard kept only the last question's details while the
    # report and the transcript had them all.
    from interviewer.ui.render import scorecard_md

    turns = [_graded_turn(0, 71), _graded_turn(1, 0, "skipped"), _graded_turn(2, 48)]
    running = scorecard_md(turns, feedback_each=True, done=False)
    assert "**Q3**: **48/100**" in running and "**Q1**:" not in running  # the latest, live
    over = scorecard_md(turns, feedback_each=True, done=True)
    assert "**Q1**: **71/100**" in over and "**Q3**: **48/100**" in over
    assert "**Q2**:" not in over  # skipped: nothing graded to show
    assert over.index("**Q1**:") < over.index("**Q3**:")
    # feedback at the end: nothing before the end, everything after it
    assert "/100" not in scorecard_md(turns, feedback_each=False, done=False)
    assert "**Q1**:" in scorecard_md(turns, feedback_each=False, done=True)


def test_a_draft_comes_back_only_to_its_own_open_question():
    from types import SimpleNamespace

    from interviewer.ui import draft

    turn = SimpleNamespace(index=1, follow_ups=[object()])
    iv = SimpleNamespace(done=False, current=turn, info=SimpleNamespace(id="s1"), phase="follow_up")
    key = draft.key_of(iv)
    assert key == "s1|1|1"
    typed = "<b>half</b> an answer"  # given back as typed: the box shows it as text
    assert draft.restored({"key": key, "text": typed}, key) == (typed, "")
    assert draft.restored({"key": key, "code": "def f(): pass"}, key) == ("", "def f(): pass")
    assert draft.session_of({"key": key, "text": "half"}) == "s1"
    iv.phase = "awaiting_answer"  # the follow-up was answered elsewhere: another question now
    for stale in ({"key": key, "text": "half"}, {"key": "s1|1", "text": "  "}, {}, None,
                  {"key": "s1|1", "text": 7}, {"key": "s1|1", "text": "x" * 10**6}, "s1|1"):  # fmt: skip
        assert draft.restored(stale, draft.key_of(iv)) is None
    assert draft.restored({"key": "s1|1", "text": "half"}, draft.key_of(iv)) == ("half", "")
    iv.done = True
    assert draft.key_of(iv) == "" and draft.restored({"key": "", "text": "half"}, "") is None
