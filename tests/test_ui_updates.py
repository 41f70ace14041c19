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
