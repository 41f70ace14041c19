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
