"""What the Interview tab's buttons do: each streams one engine step into the chat."""

from __future__ import annotations

import logging
from functools import partial
from types import SimpleNamespace

import gradio as gr

from interviewer import knowledge
from interviewer.engine import MODEL_WORKING, fallback_note, intro_text
from interviewer.errors import InterviewError, SessionNotFound, SpeechError
from interviewer.interview import Interview
from interviewer.llm.local import BUSY_NOW
from interviewer.report_render import report_markdown
from interviewer.resume import MOVED_ON
from interviewer.ui import draft
from interviewer.ui import render as r
from interviewer.ui import setup as ui_setup
from interviewer.ui.auth import user_of
from interviewer.ui.context import AppContext, streamed
from interviewer.ui.guides import interview_guide
from interviewer.ui.live import (
    AFTER_THE_END,
    BUSY,
    END_AFTER_STEP,
    STALE_TEXT,
    Live,
    changes_only,
    not_done,
)
from interviewer.ui.scripts import (
    CONFIRM_END_JS,
    CONFIRM_RESUME_JS,
    CONFIRM_SKIP_JS,
    CONFIRM_START_JS,
    FOLLOW_CHAT_JS,
    KEYS_JS,
    MARK_SUBMITTED_JS,
    TIMERS_JS,
)
from interviewer.voice import budget_for, into_box, recording

log = logging.getLogger(__name__)


# How long End clicked while a step runs waits for it, to end the interview after it (the other
# clicks are refused and noted: ``refuse_busy``): longer than any one step (a code submission's
# sandbox budget is about 20 s plus its tests' wall backstops).
END_WAIT_S = 300.0


# An interview deleted while it ran: nothing more of it can be saved.
SESSION_DELETED = ("⚠ This interview no longer exists: it was deleted (in the Transcripts tab, "
                   "another browser tab or the terminal), so nothing more of it can be saved. "
                   "Start a new interview; your text is still in the box.")


def wire(ctx: AppContext, ui: SimpleNamespace, guide_state: gr.State) -> None:
    """Wire the Interview tab's components to the interview engine."""
    outputs = [
        ui.chat,
        ui.answer,
        ui.live,
        ui.spoken,
        ui.voice_out,
        ui.scorecard,
        ui.score_line,
        ui.timer_key,
        ui.status,
        ui.report,
        ui.running,
        ui.code_area,
        ui.code,
        ui.code_out,
        ui.code_status,
        ui.hint,
        ui.repeat,
        ui.skip,
        ui.end,
        ui.dl_md,
        ui.dl_json,
        ui.dl_html,
        ui.resume_pick,
        ui.resume,
        ui.draft_key,
        ui.resume_note,
        ui.setup_box,
        ui.code_base,
        ui.code_saved,
    ]

    def resume_list(user: str, running: str | None = None, pick: str | None = None) -> dict:
        """The unfinished sessions to resume, less the one running in this tab; ``pick`` (one of
        them) chosen, else the newest."""
        sessions = [s for s in ctx.store.unfinished_sessions(user_id=user) if s["id"] != running]
        choices = r.session_choices(sessions)
        ids = [c[1] for c in choices]
        return {
            ui.resume_pick: gr.update(
                choices=choices,
                value=pick if pick in ids else (ids[0] if ids else None),
                visible=bool(choices),
            ),
            ui.resume: gr.update(visible=bool(choices)),
        }

    def code_open(iv: Interview) -> bool:
        """Whether a coding question is open (its editor shown)."""
        turn = None if iv.done else iv.current
        return turn is not None and turn.kind == "coding" and iv.phase == "awaiting_answer"

    def code_view(iv: Interview, reset: bool) -> dict:
        """The code editor is shown for an open coding question, with its starter (or the
        candidate's last draft) when the question has just been asked."""
        turn = iv.current
        coding = code_open(iv)
        out = {ui.code_area: gr.update(visible=coding)}
        if coding and reset:
            q = iv.bank[turn.question_id]
            # code_base: what the editor held when the server last set it (Skip and End ask
            # when the code differs from it: typed, not submitted).
            out[ui.code] = out[ui.code_base] = turn.code or q.coding.starter
            out[ui.code_out] = r.code_examples_md(q)
        return out

    def spoken_reply(reply, speak: bool):
        """The interviewer's words as audio, when the candidate asked for them aloud."""
        if not speak or reply is None or not ctx.voice.enabled:
            return gr.update(visible=False)
        text = (
            reply.text if reply.report is None else "The interview is over. Your report is ready."
        )
        try:
            samples, rate = ctx.voice.say(text[:4000])
            return gr.update(value=(rate, samples), visible=True)
        except SpeechError as exc:
            log.warning("reading aloud failed: %s", exc)
            return gr.update(visible=False)

    def settled(live: Live, history: list, reply=None, speak: bool = False) -> dict:
        """Everything that follows from the interview's state after the engine answered."""
        iv = live.interview
        st = iv.info.settings
        real = st.real
        report = iv.report() if iv.done else None
        live.history = history
        # The folded setup's line says how this interview runs, from the interview itself (the
        # fields are only set on the page as this update lands: a resume's summary read them
        # before they were and said "feedback after each answer" for a real interview).
        fold = ui_setup.SETUP_LABEL if iv.done else ui_setup.setup_summary(
            iv.info.round, st.questions, st.feedback, st.real, st.coding)  # fmt: skip
        out = {
            ui.chat: history,
            ui.live: live,
            ui.scorecard: r.scorecard_md(iv.turns, iv.feedback_each, iv.done, iv.per_round),
            ui.score_line: r.score_line(
                iv.turns, iv.feedback_each, iv.done, iv.planned, report, iv.per_round
            ),
            ui.timer_key: r.timer_key(None if iv.done else iv.current, iv.info.id, iv.bank, real),
            ui.status: "  \n".join(x for x in (live.take_status_note(), _engine_status(iv)) if x),
            ui.running: "" if iv.done else "1",
            ui.setup_box: gr.update(label=fold),
            ui.draft_key: draft.key_of(iv),
            ui.code_saved: draft.stamp(
                None if iv.done or iv.current is None else iv.current.code_at
            ),  # fmt: skip
            ui.resume_note: "",  # an interview in the page: the note about a kept draft is done
            ui.code_status: "",
            ui.spoken: None,
            ui.voice_out: spoken_reply(reply, speak),
            ui.hint: gr.update(visible=not real and not iv.done),  # no hints after the end
            # nor any other command: the next step is a new interview (or a resumed one)
            ui.repeat: gr.update(visible=not iv.done),
            ui.skip: gr.update(visible=not iv.done),
            ui.end: gr.update(visible=not iv.done),
            ui.report: gr.update(value=report_markdown(report) if report else "", visible=iv.done),
        }
        new_question = reply is None or reply.kind in ("question", "report")
        out.update(code_view(iv, reset=new_question or reply.graded_turn is not None))
        files = ctx.write_exports(iv.info.id, live.user) if iv.done else [None] * 3
        for button, path in zip((ui.dl_md, ui.dl_json, ui.dl_html), files, strict=True):
            out[button] = gr.update(value=path, visible=path is not None)
        if iv.done or reply is None or not live.shown:  # an interview ends, or one begins
            out.update(resume_list(live.user, None if iv.done else iv.info.id))
        return changes_only(live, out)

    def refuse_busy(live: Live, where, action: str) -> dict:
        """``action`` clicked while a step runs: "Still working…" now, and after that step's
        reply why it was not done (said by the step's ``drive``, or here when the step ended
        before it could read the note)."""
        live.note(where, action)
        if live.lock.acquire(blocking=False):  # the step has ended: it may not have seen it
            live.lock.release()
            return placed(live, live.take_notes()) or {where: gr.skip()}
        return {where: BUSY}

    def placed(live: Live, notes: dict) -> dict:
        """``notes`` (component -> refused actions) as updates saying why each was not done;
        the code's go to the interview's status line when the editor is hidden (the step moved
        on from the coding question, which the note then says)."""
        closed = not code_open(live.interview)
        if ui.code_status in notes and closed:
            notes[ui.status] = notes.get(ui.status, []) + notes.pop(ui.code_status)
        return {where: "  \n".join(not_done(a, closed) for a in actions)
                for where, actions in notes.items()}  # fmt: skip

    def drive(
        live: Live,
        history: list,
        call,
        said: str | dict | None,
        typed: str | None = None,
        speak: bool = False,
        where=None,
        fresh: bool = False,
        command: str | None = None,
        action: str = "send",
        working: str = "",
    ):
        """Stream one engine call into the chat, after ``said``, the candidate's message (text,
        or a chat message already made, as submitted code's); ``typed`` is an answer sent from
        the box, which is cleared while the engine works and put back if the answer is refused.
        A refusal is
        said in ``where`` (the status line unless given: the code's, for code). ``fresh`` empties
        the box with the next question, a new interview's first or the one after a skip (in
        the same update as the new draft key, so an abandoned interview's kept draft stays
        kept). Clicked while a step runs (``action``: "send", "submit_code", or ``command``, a
        name of ``COMMAND_SAID``), End waits for that step (up to END_WAIT_S) and then ends the
        interview, going on from the chat that step left, not from ``history`` as sent; anything
        else is not done and says so after that step's reply (``refuse_busy``: a refusal said
        at the click was cleared by the reply and the click lost unsaid). ``working`` is said
        in ``where`` while the step runs."""
        where = where or ui.status
        working = working or MODEL_WORKING.get(live.interview.engine.name, "")
        if not live.lock.acquire(blocking=False):
            if command != "end":
                yield refuse_busy(live, where, command or action)
                return
            yield {where: END_AFTER_STEP}
            if not live.lock.acquire(timeout=END_WAIT_S):
                yield {where: not_done(command)}
                return
            if live.interview.done:  # that step ended it
                live.lock.release()
                yield {where: gr.skip()}
                return
            history = list(live.history)
        refusal = None
        try:
            before = list(history)
            mine = [said if isinstance(said, dict) else r.user_msg(said)] if said else []
            history = before + mine + [r.bot_msg("…")]
            yield {ui.chat: history, ui.status: "", where: working} | (
                {ui.answer: ""} if typed else {}
            )
            for kind, value in streamed(call):
                if kind == "partial":
                    history[-1] = r.bot_msg(r.text_md(value))
                    yield {ui.chat: history}
                else:
                    iv = live.interview
                    history[-1:] = r.reply_messages(value, iv.bank, iv.feedback_each)
                    # (an answer refused while it ran is still in the box, as its note says)
                    clear = fresh and not live.refused("send")
                    yield settled(live, history, value, speak) | ({ui.answer: ""} if clear else {})
        except InterviewError as exc:
            refusal = r.refusal_md(str(exc))
            moved = {}
            if str(exc) == MOVED_ON:  # this tab's interview is stale: Resume, as the refusal
                # says, takes it up where the other tab left it (walk20's Resume opened another
                # session: the list left this one out as running here)
                moved = resume_list(live.user, pick=live.interview.info.id) | {
                    ui.running: ui_setup.STALE
                }
            yield {ui.chat: before, where: refusal} | ({ui.answer: typed} if typed else {}) | moved
        except SessionNotFound:  # deleted while it ran (the Transcripts tab, another tab, the
            # CLI): walk46's every Send read "Something went wrong ... Try again"
            refusal = SESSION_DELETED
            yield {ui.chat: before, where: refusal} | ({ui.answer: typed} if typed else {})
        except Exception:  # noqa: BLE001 - keep the candidate's text whatever broke
            log.exception("interview step failed")
            refusal = "⚠ Something went wrong; nothing you typed was lost. Try again."
            yield {ui.chat: before, where: refusal} | ({ui.answer: typed} if typed else {})
        finally:
            live.lock.release()
        # (not in ``finally``: a generator closed by a gone client must not yield)
        if notes := placed(live, live.take_notes()):
            if refusal and where in notes:
                notes[where] = f"{refusal}  \n{notes[where]}"
            yield notes

    def start(
        round_name, questions, feedback, real, coding, mode, guide, speak, running,
        request: gr.Request,
    ):  # fmt: skip
        if running == "cancel":  # the candidate kept the running interview
            yield {ui.status: gr.skip()}  # (an empty dict would be read as one missing value)
            return
        user = user_of(request)
        if mode != "offline" and ctx.settings.mode == "local":  # a restart can take a while:
            yield {ui.status: "Checking the local model server…"}  # not the last one's note
        server_note, lost = ctx.local_model_check() if mode != "offline" else ("", None)
        llm = mode != "offline" and ctx.llm_available and lost is None
        # A guide deleted meanwhile (in another browser tab): the built-in one, said so.
        guide, gone = interview_guide(ctx, guide, user) if llm else (guide, "")
        guide = guide or knowledge.BUILTIN_GUIDE_ID
        try:
            iv = Interview(
                round=round_name,
                questions=int(questions),
                feedback=feedback,
                real=bool(real),
                coding=bool(coding),
                engine=ctx.engine(mode if llm else "offline", guide),
                bank=ctx.bank,
                store=ctx.store,
                user_id=user,
            )
        except InterviewError as exc:
            yield {ui.status: f"⚠ {r.md_escape(str(exc))}"}
            return
        # Offline questions come from the built-in guide's bank, whatever guide is chosen.
        iv.info.guide = guide if llm else knowledge.BUILTIN_GUIDE_ID
        note = "  \n".join(x for x in (r.md_escape(server_note), gone) if x)
        live = Live(iv, user, status_note=note)
        yield from drive(live, [], partial(iv.start, buttons=True), None, speak=speak, fresh=True)

    def no_interview(live, request=None, text=None, action: str = "send") -> str | None:
        """Why ``action`` (a key of ``AFTER_THE_END``) cannot run now, or None."""
        if live is None:
            return "No interview in progress: press **Start interview** (or resume one) first."
        if live.interview.done:  # what was typed stays where it was (nothing clears it here)
            return f"This interview has ended: {AFTER_THE_END[action]}. Press **Start " \
                "interview** to begin a new one."  # fmt: skip
        return ctx.refusal(request, live, text)  # another user's session, too fast, bad text

    def send(text, history, live, spoken, speak, keep, request: gr.Request):
        if problem := no_interview(live, request, text):
            yield {ui.status: problem}
            return
        if not (text or "").strip():
            yield {ui.status: "Type an answer first, or use Skip."}
            return
        iv = live.interview
        delivery = None
        if spoken is not None:  # this answer was spoken (and maybe edited): keep its delivery
            delivery = dict(spoken["delivery"])
            if keep and spoken.get("audio") is not None:
                delivery["recording"] = ctx.keep_recording(live.user, iv.info.id, spoken["audio"])

        def call(cb):
            return iv.answer(text, on_token=cb, delivery=delivery)

        yield from drive(live, history, call, text, text, speak)

    def transcribe(audio, live, typed, spoken, request: gr.Request):
        """A recorded (or uploaded) answer as text in the box, with its delivery feedback."""
        if audio is None:
            return {}
        budget = None
        if live is not None and not live.interview.done and live.interview.current:
            if live.user != user_of(request):
                return {ui.status: "This interview belongs to another session: reload the page."}
            iv = live.interview
            budget = budget_for(iv.bank[iv.current.question_id])
        try:
            audio = recording(audio)
            got = ctx.voice.transcribe(audio, budget_seconds=budget)
        except SpeechError as exc:  # the recording stays in the player: try again, or type
            return {ui.status: f"⚠ {r.md_escape(str(exc))}"}
        if not got.text.strip():
            return {ui.status: "⚠ No words were recognised: speak closer to the microphone, "
                    "or type your answer."}  # fmt: skip
        note = r.text_md(got.delivery["summary"])
        return {
            ui.answer: into_box(typed, got.text, (spoken or {}).get("text")),
            ui.spoken: {"delivery": got.delivery, "audio": audio, "text": got.text},
            ui.status: f"**Transcribed** (edit it before sending). Delivery:  \n{note}",
        }

    def submit_code(code, text, history, live, request: gr.Request):
        """Grade the editor's code; what the answer box holds goes with it as the explanation
        (it was left in the box, to be sent later as the next question's answer)."""
        if problem := no_interview(live, request, f"{code or ''}{text or ''}", "submit_code"):
            yield {ui.code_status: problem}
            return
        iv = live.interview
        text = text if (text or "").strip() else None
        said = r.submitted_msg(code, text)
        call = lambda cb: iv.submit_code(code or "", explanation=text, on_token=cb)  # noqa: E731
        yield from drive(live, history, call, said, text, where=ui.code_status,
                         action="submit_code", working=r.RUNNING_TESTS)  # fmt: skip

    def run_code(code, live, request: gr.Request):
        if problem := no_interview(live, request, code, "run_code"):
            return {ui.code_status: problem}
        if not live.lock.acquire(blocking=False):
            return refuse_busy(live, ui.code_status, "run_code")
        try:
            result = live.interview.run_code(code or "")
            turn = live.interview.current
        except InterviewError as exc:
            return {ui.code_status: r.refusal_md(str(exc))}
        finally:
            live.lock.release()
        # The results above the examples they ran: a candidate reads an example again when
        # one fails (a walk-through found the examples gone after a Run).
        shown = r.ran_examples_md(result, live.interview.bank[turn.question_id])
        return {ui.code_out: shown, ui.code_status: "", ui.code_saved: draft.stamp(turn.code_at)}

    def command(name: str):
        def run(history, live, code, code_base, speak, request: gr.Request):
            if speak == "cancel":  # End or Skip with unsent text, and the candidate kept on
                yield {ui.status: gr.skip()}
                return
            if problem := no_interview(live, request, None, name):
                yield {ui.status: problem}
                return
            iv = live.interview
            call = lambda cb: iv.command(name, on_token=cb)  # noqa: E731
            # A skip empties the box with the next question (the candidate agreed to it).
            # Clicked while a step runs (code in the sandbox): End ends the interview after it,
            # the others say after it that they were not done (``drive``).
            said = (r.SKIPPED_FOLLOW_UP if name == "skip" and iv.phase == "follow_up"
                    else r.COMMAND_SAID[name])  # fmt: skip
            yield from drive(live, history, call, said, speak=speak,
                             fresh=name == "skip", command=name)  # fmt: skip

        return run

    def resume(session_id, running, typed, request: gr.Request):
        """Resume ``session_id``; ``running`` is "1" when this leaves a running interview (its
        unsent text stays with it: the box is emptied with the new draft key), "cancel"
        when the candidate kept that one, and ``ui_setup.STALE`` when this tab's interview moved
        on in another tab: the text ``typed`` here stays in the box, with a word that it was
        typed for where the interview was (walk21 sent it as the next follow-up's answer)."""
        if running == "cancel":
            return {ui.status: gr.skip()}
        user = user_of(request)
        if not session_id:
            return {ui.status: "No unfinished session to resume."}
        try:
            # (the turns as stored: the chat is rebuilt from them, and what resuming settles,
            # an answer a crash left ungraded, is said once, by the resume's reply; walk37's
            # resumed chat said a grade twice, from the turn graded and from the reply)
            info, stored = ctx.store.load_session(session_id, user_id=user)
            problem = None
            if info.mode != "offline":  # a stopped local server is started again first
                _, problem = ctx.local_model_check()
                if problem is None and not ctx.llm_available:
                    problem = ctx.llm_problem
            if problem and BUSY_NOW in problem.lower():  # its own server, writing (walk22)
                return {ui.status: f"⚠ {r.md_escape(problem)} Press Resume again then."}
            if problem:
                ran = "the local model" if info.mode == "local" else "LLM mode"
                return {ui.status: f"⚠ This session ran with {ran}, which is unavailable now: "
                        f"{r.md_escape(problem)} Resume it once that is fixed."}  # fmt: skip
            iv, reply = Interview.resume(
                ctx.store,
                session_id,
                user_id=user,
                engine=ctx.engine(info.mode, info.guide),
                bank=ctx.bank,
            )
        except (SessionNotFound, InterviewError) as exc:
            return {ui.status: f"⚠ {r.md_escape(str(exc))}"}
        st = iv.info.settings
        # The chat starts as it did: the opening names the round and the commands.
        history = [
            r.bot_msg(
                r.text_md(intro_text(info.round, iv.n_questions, hints=not st.real, buttons=True))
            )
        ]
        history += r.history_from_turns(stored, iv.feedback_each, info.status == "finished",
                                        iv.bank, iv.planned, iv.per_round)  # fmt: skip
        history += r.reply_messages(reply, iv.bank, iv.feedback_each)
        # The setup shows how the resumed session runs (a real interview stays one on screen).
        setup = {ui.round: info.round, ui.questions: st.questions, ui.feedback: st.feedback,
                 ui.real: st.real, ui.coding: st.coding and info.round != "L2"}  # fmt: skip
        out = settled(Live(iv, user), history) | setup
        if running == "1":
            out[ui.answer] = ""
        elif running == ui_setup.STALE and (typed or "").strip() and not iv.done:
            out[ui.status] = "  \n".join(x for x in (STALE_TEXT, out[ui.status]) if x)
        return out

    def notes(mode, guide):
        return ui_setup.mode_note(ctx) + "  \n" + ui_setup.guide_note(guide, mode)

    def load(request: gr.Request):
        return resume_list(user_of(request))

    def guide_checked(guide, request: gr.Request):
        """The guide interviews draw on, the built-in one once it is gone (the help's note
        follows, ``guide_state.change``)."""
        return interview_guide(ctx, guide, user_of(request))[0]

    started = ui.start.click(
        start,
        [
            ui.round,
            ui.questions,
            ui.feedback,
            ui.real,
            ui.coding,
            ui.mode,
            guide_state,
            ui.speak,
            ui.running,
        ],  # fmt: skip
        outputs,
        js=CONFIRM_START_JS,
        concurrency_id="interview",
    )
    started.then(guide_checked, guide_state, guide_state)
    # Enter makes a new line (answers are often several paragraphs); Ctrl+Enter sends (KEYS_JS).
    ui.send.click(
        send,
        [ui.answer, ui.chat, ui.live, ui.spoken, ui.speak, ui.keep_audio],
        outputs,
        js=FOLLOW_CHAT_JS,
        concurrency_id="interview",
    )
    for event in (ui.mic.stop_recording, ui.mic.upload):
        event(transcribe, [ui.mic, ui.live, ui.answer, ui.spoken],
              [ui.answer, ui.spoken, ui.status], concurrency_id="speech")  # fmt: skip
    ui.submit.click(submit_code, [ui.code, ui.answer, ui.chat, ui.live], outputs,
                    js=MARK_SUBMITTED_JS, concurrency_id="interview")  # fmt: skip
    ui.run.click(run_code, [ui.code, ui.live],
                 [ui.code_out, ui.code_status, ui.code_saved, ui.status],
                 concurrency_id="code")  # fmt: skip
    for button, name in (
        (ui.hint, "hint"),
        (ui.repeat, "repeat"),
        (ui.skip, "skip"),
        (ui.end, "end"),
    ):
        button.click(command(name), [ui.chat, ui.live, ui.code, ui.code_base, ui.speak], outputs,
                     js={"end": CONFIRM_END_JS, "skip": CONFIRM_SKIP_JS}.get(name, FOLLOW_CHAT_JS),
                     concurrency_id="interview")  # fmt: skip
    setup = ui_setup.fields(ui)
    resumed = ui.resume.click(resume, [ui.resume_pick, ui.running, ui.answer], outputs + setup,
                              js=CONFIRM_RESUME_JS, concurrency_id="interview")  # fmt: skip
    draft.wire(ctx, ui, resumed)
    ui_setup.wire(ui)
    # The chat's clear button is hidden (CSS: a cleared chat looked like no interview while one
    # ran); should a clear still arrive, the conversation comes back as it was.
    ui.chat.clear(lambda live: live.history if live else gr.skip(), ui.live, ui.chat,
                  api_visibility="private", queue=False)  # fmt: skip
    ui.mode.change(notes, [ui.mode, guide_state], ui.notes)
    guide_state.change(notes, [ui.mode, guide_state], ui.notes)
    timers = [ui.timer, ui.answer_timer]
    ui.tick.tick(None, [ui.timer_key], timers, js=TIMERS_JS)
    ui.timer_key.change(None, [ui.timer_key], timers, js=TIMERS_JS)  # reset without a 1 s lag
    ui.load = load
    ui.load_outputs = [ui.resume_pick, ui.resume]
    ui.guide_checked = guide_checked
    ui.keys_js = KEYS_JS


def _engine_status(iv: Interview) -> str:
    """A line about an LLM failure the engine recovered from (it fell back to offline)."""
    note = fallback_note(iv.engine)
    return f"ℹ {r.md_escape(note)}" if note else ""
