"""The Interview tab: settings, a streaming chat, commands, a live scorecard, a timer, exports."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace

import gradio as gr

from interviewer import knowledge
from interviewer.errors import InterviewError, SessionNotFound
from interviewer.interview import Interview
from interviewer.ui import render as r
from interviewer.ui.context import AppContext, streamed, user_of

log = logging.getLogger(__name__)

# Runs in the browser every second (no server round trip): the time spent on the open question.
# The key is "question id|seconds already spent", so a resumed question keeps its clock.
TIMER_JS = """
(key) => {
  if (!key) { window.__miqTimer = null; return ""; }
  const [id, spent] = key.split("|");
  const t = window.__miqTimer;
  if (!t || t.id !== id) {
    window.__miqTimer = { id: id, start: Date.now() - parseFloat(spent) * 1000 };
  }
  const s = Math.max(0, Math.floor((Date.now() - window.__miqTimer.start) / 1000));
  const mm = String(Math.floor(s / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return "Time on this question: **" + mm + ":" + ss + "**";
}
"""


@dataclass
class Live:
    """One browser tab's interview; the lock stops a double click from answering twice."""

    interview: Interview
    user: str
    lock: threading.Lock = field(default_factory=threading.Lock)


def mode_choices(ctx: AppContext) -> list[tuple[str, str]]:
    """The modes on offer: offline always, LLM when its endpoint answered at start-up."""
    choices = [("Offline", "offline")]
    if ctx.llm_available:
        choices.append((ctx.llm_label, "llm"))
    return choices


def mode_note(ctx: AppContext) -> str:
    """Why LLM mode is or is not on offer."""
    if ctx.llm_available:
        where = ctx.llm_settings.openai_base_url or "api.openai.com"
        return f"{ctx.llm_label} answers from `{where}`; offline mode needs no network."
    if ctx.settings.mode == "offline":
        return "Offline mode: the question bank and the coverage grader, no network. " + (
            r.md_escape(ctx.llm_problem or "")
        )
    return f"⚠ {r.md_escape(ctx.llm_problem or '')}. Falling back to offline mode."


def guide_note(guide: str | None, mode: str) -> str:
    """Which guide the next interview draws on, in this mode."""
    builtin = knowledge.BUILTIN_GUIDE_ID
    if not guide or guide == builtin:
        return f"Guide: **{builtin}** (built-in)."
    if mode == "offline":
        return (
            f"Guide: **{r.md_escape(guide)}** is used in LLM mode only; offline mode asks "
            f"questions from the question bank of the built-in guide ({builtin})."
        )
    return f"Guide: **{r.md_escape(guide)}**: the LLM writes questions from its passages."


def build(ctx: AppContext, guide_state: gr.State) -> SimpleNamespace:
    """Lay out the Interview tab and wire it to the interview engine."""
    ui = SimpleNamespace()
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            with gr.Row():
                ui.round = gr.Radio(
                    [("L1", "L1"), ("L2", "L2"), ("Full loop", "full")],
                    value="L1",
                    label="Round",
                )
                ui.questions = gr.Slider(1, 10, value=3, step=1, label="Questions (per round)")
                ui.feedback = gr.Radio(
                    [("After each answer", "each"), ("At the end", "end")],
                    value="each",
                    label="Feedback",
                )
                ui.mode = gr.Radio(
                    mode_choices(ctx),
                    value="llm" if ctx.llm_available else "offline",
                    label="Mode",
                )
            ui.notes = gr.Markdown(
                mode_note(ctx) + "  \n" + guide_note(None, "offline"), elem_id="interview-notes"
            )
            with gr.Row():
                ui.start = gr.Button("Start interview", variant="primary", scale=1)
                ui.resume_pick = gr.Dropdown(
                    label="Unfinished sessions", choices=[], visible=False, scale=3
                )
                ui.resume = gr.Button("Resume", visible=False, scale=1)
            ui.chat = gr.Chatbot(
                label="Interview",
                elem_id="interview-chat",
                height=460,
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
            ui.answer = gr.Textbox(
                label="Your answer",
                lines=4,
                max_lines=12,
                placeholder="Explain your reasoning and the trade-offs, as you would in the room.",
                elem_id="answer-box",
            )
            with gr.Row():
                ui.send = gr.Button("Send answer", variant="primary", scale=2, min_width=120)
                ui.hint = gr.Button("Hint", min_width=80)
                ui.repeat = gr.Button("Repeat", min_width=80)
                ui.skip = gr.Button("Skip", min_width=80)
                ui.end = gr.Button("End", variant="stop", min_width=80)
            ui.status = gr.Markdown("", elem_id="interview-status")
        with gr.Column(scale=2):
            ui.timer = gr.Markdown("", elem_id="question-timer")
            ui.scorecard = gr.Markdown(
                r.scorecard_md([], True, False), elem_id="scorecard", container=True
            )
            with gr.Row():
                ui.dl_md = gr.DownloadButton("Transcript (.md)", visible=False, size="sm")
                ui.dl_json = gr.DownloadButton("Transcript (.json)", visible=False, size="sm")
                ui.dl_html = gr.DownloadButton("Transcript (.html)", visible=False, size="sm")
    ui.live = gr.State(None)
    ui.timer_key = gr.Textbox(visible=False)
    ui.tick = gr.Timer(1.0)
    _wire(ctx, ui, guide_state)
    return ui


def _wire(ctx: AppContext, ui: SimpleNamespace, guide_state: gr.State) -> None:
    outputs = [
        ui.chat,
        ui.answer,
        ui.live,
        ui.scorecard,
        ui.timer_key,
        ui.status,
        ui.dl_md,
        ui.dl_json,
        ui.dl_html,
        ui.resume_pick,
        ui.resume,
    ]

    def resume_list(user: str) -> dict:
        sessions = ctx.store.unfinished_sessions(user_id=user)
        choices = r.session_choices(sessions)
        return {
            ui.resume_pick: gr.Dropdown(
                choices=choices, value=choices[0][1] if choices else None, visible=bool(choices)
            ),
            ui.resume: gr.Button(visible=bool(choices)),
        }

    def settled(live: Live, history: list, reply=None) -> dict:
        """Everything that follows from the interview's state after the engine answered."""
        iv = live.interview
        out = {
            ui.chat: history,
            ui.live: live,
            ui.scorecard: r.scorecard_md(iv.turns, iv.feedback_each, iv.done),
            ui.timer_key: r.timer_key(None if iv.done else iv.current, iv.info.id),
            ui.status: _engine_status(iv),
        }
        files = ctx.write_exports(iv.info.id, live.user) if iv.done else [None] * 3
        for button, path in zip((ui.dl_md, ui.dl_json, ui.dl_html), files, strict=True):
            out[button] = gr.DownloadButton(value=path, visible=path is not None)
        if iv.done or reply is None:
            out.update(resume_list(live.user))
        return out

    def drive(live: Live, history: list, call, said: str | None, typed: str | None = None):
        """Stream one engine call into the chat; ``typed`` is an answer sent from the box, which
        is cleared while the engine works and put back if the answer is refused."""
        if not live.lock.acquire(blocking=False):
            yield {ui.status: "Still working on your last message…"}
            return
        try:
            before = list(history)
            history = before + ([r.user_msg(said)] if said else []) + [r.bot_msg("…")]
            yield {ui.chat: history, ui.status: ""} | ({ui.answer: ""} if typed else {})
            for kind, value in streamed(call):
                if kind == "partial":
                    history[-1] = r.bot_msg(r.text_md(value))
                    yield {ui.chat: history}
                else:
                    history[-1] = r.bot_msg(r.reply_md(value))
                    yield settled(live, history, value)
        except InterviewError as exc:
            yield {ui.chat: before, ui.status: f"⚠ {r.md_escape(str(exc))}"} | (
                {ui.answer: typed} if typed else {}
            )
        except Exception:  # noqa: BLE001 - keep the candidate's text whatever broke
            log.exception("interview step failed")
            yield {
                ui.chat: before,
                ui.status: "⚠ Something went wrong; nothing you typed was lost. Try again.",
            } | ({ui.answer: typed} if typed else {})
        finally:
            live.lock.release()

    def start(round_name, questions, feedback, mode, guide, request: gr.Request):
        user = user_of(request)
        llm = mode != "offline" and ctx.llm_available
        guide = guide or knowledge.BUILTIN_GUIDE_ID
        try:
            iv = Interview(
                round=round_name,
                questions=int(questions),
                feedback=feedback,
                engine=ctx.engine(mode, guide),
                bank=ctx.bank,
                store=ctx.store,
                user_id=user,
            )
        except InterviewError as exc:
            yield {ui.status: f"⚠ {r.md_escape(str(exc))}"}
            return
        # Offline questions come from the built-in guide's bank, whatever guide is chosen.
        iv.info.guide = guide if llm else knowledge.BUILTIN_GUIDE_ID
        yield from drive(Live(iv, user), [], iv.start, None)

    def send(text, history, live):
        if live is None or live.interview.done:
            yield {ui.status: "No interview in progress: start one (or resume one) first."}
            return
        if not (text or "").strip():
            yield {ui.status: "Type an answer first, or use Skip."}
            return
        iv = live.interview
        yield from drive(live, history, lambda cb: iv.answer(text, on_token=cb), text, text)

    def command(name: str):
        def run(history, live):
            if live is None or live.interview.done:
                yield {ui.status: "No interview in progress: start one (or resume one) first."}
                return
            iv = live.interview
            yield from drive(live, history, lambda cb: iv.command(name, on_token=cb), f"/{name}")

        return run

    def resume(session_id, request: gr.Request):
        user = user_of(request)
        if not session_id:
            return {ui.status: "No unfinished session to resume."}
        try:
            info, _ = ctx.store.load_session(session_id, user_id=user)
            if info.mode != "offline" and not ctx.llm_available:
                return {
                    ui.status: "⚠ This session ran in LLM mode, which is unavailable now: "
                    + r.md_escape(ctx.llm_problem or "")
                }
            iv, reply = Interview.resume(
                ctx.store,
                session_id,
                user_id=user,
                engine=ctx.engine(info.mode, info.guide),
                bank=ctx.bank,
            )
        except (SessionNotFound, InterviewError) as exc:
            return {ui.status: f"⚠ {r.md_escape(str(exc))}"}
        history = r.history_from_turns(iv.turns, iv.feedback_each, iv.done)
        history.append(r.bot_msg(r.reply_md(reply)))
        return settled(Live(iv, user), history)

    def notes(mode, guide):
        return mode_note(ctx) + "  \n" + guide_note(guide, mode)

    def load(request: gr.Request):
        return resume_list(user_of(request))

    ui.start.click(
        start,
        [ui.round, ui.questions, ui.feedback, ui.mode, guide_state],
        outputs,
        concurrency_id="interview",
    )
    # No submit-on-Enter: answers are often several paragraphs.
    ui.send.click(send, [ui.answer, ui.chat, ui.live], outputs, concurrency_id="interview")
    for button, name in (
        (ui.hint, "hint"),
        (ui.repeat, "repeat"),
        (ui.skip, "skip"),
        (ui.end, "end"),
    ):
        button.click(command(name), [ui.chat, ui.live], outputs, concurrency_id="interview")
    ui.resume.click(resume, [ui.resume_pick], outputs, concurrency_id="interview")
    ui.mode.change(notes, [ui.mode, guide_state], ui.notes)
    guide_state.change(notes, [ui.mode, guide_state], ui.notes)
    ui.tick.tick(None, [ui.timer_key], [ui.timer], js=TIMER_JS)
    ui.timer_key.change(None, [ui.timer_key], [ui.timer], js=TIMER_JS)  # reset without a 1 s lag
    ui.load = load
    ui.load_outputs = [ui.resume_pick, ui.resume]


def _engine_status(iv: Interview) -> str:
    """A line about an LLM failure the engine recovered from (it fell back to offline)."""
    err = getattr(iv.engine, "last_error", None)
    if not err:
        return ""
    iv.engine.last_error = None
    return f"ℹ LLM problem, offline fallback used: {r.md_escape(err)}"
