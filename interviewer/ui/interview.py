"""The Interview tab: what the rounds are, settings, a streaming chat, commands, a code editor
for coding questions, a live scorecard, a timer (a countdown in a real interview), the report in
its own panel, and exports."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from interviewer.ui import actions, draft
from interviewer.ui import render as r
from interviewer.ui import setup as ui_setup
from interviewer.ui.context import AppContext


def build(ctx: AppContext, guide_state: gr.State) -> SimpleNamespace:
    """Lay out the Interview tab and wire it to the interview engine."""
    ui = SimpleNamespace()
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            ui_setup.build(ctx, ui)
            # Widths the labels need (Start wrapped to two lines beside the list): a narrow
            # column wraps the list and Resume to a line of their own instead.
            with gr.Row():
                ui.start = gr.Button("Start interview", variant="primary", scale=0,
                                     min_width=200)  # fmt: skip
                ui.resume_pick = gr.Dropdown(label="Unfinished sessions", choices=[],
                                             visible=False, scale=3, min_width=300,
                                             container=False)  # fmt: skip
                ui.resume = gr.Button("Resume", visible=False, scale=0, min_width=120)
            # Next to Resume: a draft kept in this browser, said where the candidate acts on it.
            ui.resume_note = gr.Markdown("", elem_id="resume-note")
            ui.chat = gr.Chatbot(
                label="Interview",
                # No label over the chat: it covered the first line once the chat scrolled
                # (the tab already says Interview).
                show_label=False,
                elem_id="interview-chat",
                # What the window leaves under the folded setup and over the answer box and
                # its buttons (a 900 px high window shows both), never under 300 px.
                height="calc(100vh - 560px)",
                min_height=300,
                sanitize_html=True,
                render_markdown=True,
                allow_tags=False,
                latex_delimiters=[],
                feedback_options=None,
                buttons=["copy"],
                allow_file_downloads=False,
                group_consecutive_messages=False,
                placeholder="Pick a round and press **Start interview**.",
            )
            # The id sits on a Column: Gradio's Group writes its elem_id on two nested elements.
            with gr.Column(visible=False, elem_id="code-area") as ui.code_area, gr.Group():
                ui.code = gr.Code(
                    value="",
                    language="python",
                    label="Your solution (Python)",
                    lines=14,
                    interactive=True,
                    # long lines wrap: at 375 px the starter's docstring ran off the right
                    wrap_lines=True,
                    elem_id="code-editor",
                )
                with gr.Row():
                    ui.run = gr.Button("Run the examples", min_width=120, elem_id="run-code")
                    ui.submit = gr.Button(
                        "Submit code", variant="primary", min_width=120, elem_id="submit-code"
                    )
                # Refusals of Run and Submit, right under the buttons (the status line is far
                # below the editor).
                ui.code_status = gr.Markdown("", elem_id="code-status")
                ui.code_out = gr.Markdown("", elem_id="code-results")
            ui.score_line = gr.Markdown("", elem_id="score-line")
            ui.voice_out = gr.Audio(
                autoplay=True, visible=False, interactive=False, elem_id="interviewer-voice"
            )
            ui.answer_timer = gr.Markdown("", elem_id="answer-timer")  # on phones only (CSS)
            ui.answer = gr.Textbox(
                "",  # (a default: API clients that resume need not send the box's text)
                label="Your answer (Ctrl+Enter sends)",
                lines=4,
                max_lines=12,
                placeholder="Explain your reasoning and the trade-offs, as you would in the room.",
                elem_id="answer-box",
            )
            with gr.Row():
                ui.send = gr.Button(
                    "Send answer",
                    variant="primary",
                    scale=2,
                    min_width=120,
                    elem_id="send-button",
                )
                ui.hint = gr.Button("Hint", min_width=80)
                ui.repeat = gr.Button("Repeat", min_width=80)
                ui.skip = gr.Button("Skip", min_width=80)
                ui.end = gr.Button("End", variant="stop", min_width=80)
            ui.status = gr.Markdown("", elem_id="interview-status")
            # Voice input under the box it fills, so the box sits right under the chat.
            with gr.Row(visible=ctx.voice.enabled):
                ui.mic = gr.Audio(
                    sources=["microphone", "upload"],
                    type="filepath",  # decoded by the app (voice.recording)
                    label="Answer by voice (transcribed into the box above)",
                    elem_id="answer-mic",
                    scale=3,
                )
                with gr.Column(scale=1, min_width=160):
                    ui.speak = gr.Checkbox(False, label="Read the interviewer aloud")
                    ui.keep_audio = gr.Checkbox(False, label="Keep my recordings")
            ui.report = gr.Markdown(
                "", visible=False, elem_id="report-panel", container=True, line_breaks=False
            )
            # At the foot of the column: configuration notes, rarely needed mid-interview.
            with gr.Accordion("Help: modes, guides and settings", open=False):
                ui.notes = gr.Markdown(
                    ui_setup.mode_note(ctx) + "  \n" + ui_setup.guide_note(None, "offline"),
                    elem_id="interview-notes",
                )
        with gr.Column(scale=2):
            ui.timer = gr.Markdown("", elem_id="question-timer")
            # The transcript downloads (after the end) sit over the scorecard, which then holds
            # every graded answer in full: under it they were thousands of pixels down.
            with gr.Row():
                ui.dl_md = gr.DownloadButton("Transcript (.md)", visible=False, size="sm")
                ui.dl_json = gr.DownloadButton("Transcript (.json)", visible=False, size="sm")
                ui.dl_html = gr.DownloadButton("Transcript (.html)", visible=False, size="sm")
            ui.scorecard = gr.Markdown(
                r.scorecard_md([], True, False), elem_id="scorecard", container=True
            )
    ui.live = gr.State(None)
    ui.spoken = gr.State(None)  # the last transcribed answer's delivery, until it is sent
    ui.running = gr.Textbox("", visible=False)  # "1" while an interview runs (for Start)
    ui.timer_key = gr.Textbox(visible=False)
    ui.tick = gr.Timer(1.0)
    ui.draft = draft.browser_state()  # the unsent answer, in this browser (see ``draft``)
    ui.draft_key = gr.Textbox("", visible=False)  # the open question's draft key
    ui.code_base = gr.Textbox("", visible=False)  # the code the server last put in the editor
    # When the open question's code was last saved (draft.stamp of turns.code_at): a draft
    # notes the one it was typed over (see ``draft.saved_later``).
    ui.code_saved = gr.Textbox("", visible=False)
    actions.wire(ctx, ui, guide_state)
    return ui
