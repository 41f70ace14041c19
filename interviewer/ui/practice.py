"""The Practice tab: drill one round and topic, graded at once, with the model answer and the
guide passage the question comes from; coding questions get the code editor. An uploaded guide
is useful offline too: its sections become questions graded against the section's text. Every
graded answer is stored (see ``interviewer.practice``)."""

from __future__ import annotations

import contextlib
import json
import logging
import random
from types import SimpleNamespace

import gradio as gr
from sqlalchemy.exc import SQLAlchemyError

from interviewer import knowledge, practice
from interviewer.bank import TOPICS, Bank, Question, topic_label
from interviewer.code_checks import code_problem
from interviewer.errors import InterviewerError
from interviewer.knowledge.clean import guide_line
from interviewer.markup import md_escape, shorten
from interviewer.practice import WEAKEST
from interviewer.ui import render as r
from interviewer.ui.auth import user_of
from interviewer.ui.context import AppContext
from interviewer.ui.scripts import CONFIRM_NEXT_PRACTICE_JS, CONFIRM_PICK_PRACTICE_JS
from interviewer.ui.setup import mode_choices
from interviewer.voice import into_box, recording

_rng = random.SystemRandom()
log = logging.getLogger(__name__)


GRADE_BUTTON = "**Grade my answer**"


def _held(answer: str, code: str) -> str:
    """What Next may clear without asking: the answer and code last graded (or served)."""
    return json.dumps({"answer": answer, "code": code})


def topic_options(round_name: str) -> list[tuple[str, str]]:
    """The topic dropdown of a round: the user's weakest topics first, then every topic."""
    return [("Weakest topics", WEAKEST), *r.topic_choices(round_name)]


PICK_LABEL_CHARS = 90


def _pick_label(q: Question, scores: dict[str, int | None], topic: bool) -> str:
    """A question as the picker lists it: shortened, its topic first when ``topic``, a coding
    one marked (a coding and a spoken question can share their opening words: a walk-through
    read two identical entries), and the latest score on it."""
    text = shorten(q.text, PICK_LABEL_CHARS)
    kind = " (code)" if q.kind == "coding" else ""
    if topic:
        text = f"{topic_label(q.topic)}{kind}: {text}"
    elif kind:
        text = f"Code: {text}"
    if q.id in scores:
        text += " (skipped last time)" if scores[q.id] is None else f" (last {scores[q.id]}/100)"
    return text


PICK_LABEL = "Or pick a question (your last score on it beside it)"


def pick_label(round_name: str, topic: str, weakest: list[str]) -> str:
    """The picker's label; for "Weakest topics" it names them, as the list narrows to them once
    a first grade makes one weak (a re-walk's list shrank with no word why)."""
    if (topic or WEAKEST) != WEAKEST:
        return PICK_LABEL
    weak = [topic_label(t) for t in practice.round_weakest(weakest, round_name)]
    said = ", ".join(weak) if weak else f"none yet, so every {round_name} topic"
    return f"{PICK_LABEL[:-1]}; weakest topics: {said})"


def question_choices(
    bank: Bank,
    round_name: str,
    topic: str,
    weakest: list[str],
    scores: dict[str, int | None],
    shown: str | None = None,
) -> list[tuple[str, str]]:
    """The Question picker's list: every question of the round and topic (a candidate goes
    back to one they missed: New question skips those of their last sessions), each with the
    score of their latest attempt at it, ordered by topic, then as the bank lists them. The
    question ``shown`` on screen comes first when it is of another round or topic ("On screen,
    ..."): a walk-through's picker went blank after a topic change while the question stayed."""
    pool, _ = practice.topic_pool(bank, round_name, topic or WEAKEST, weakest)
    several = len({q.topic for q in pool}) > 1
    order = sorted(pool, key=lambda q: list(TOPICS).index(q.topic) if q.topic in TOPICS else 0)
    choices = [(_pick_label(q, scores, several), q.id) for q in order]
    if shown in bank and shown not in {q.id for q in pool}:
        choices.insert(0, (f"On screen, {_pick_label(bank[shown], scores, True)}", shown))
    return choices


def last_score_said(score: int | None) -> str:
    """The line under a question picked again: the candidate's latest score on it (None: it was
    skipped)."""
    if score is None:
        return "You skipped this one last time."
    return f"You scored {score}/100 on this one last time."


PICK_PROMPT = "Pick a round and a topic, then press **New question**."
# Said under every question made from an uploaded guide: the offline grader reads which of the
# section's points an answer makes, not whether its claims are true (a re-walk's fluent wrong
# answers in the guide's own words scored full marks).
GUIDE_NOTE = ("Graded offline against this section of your guide: the grader checks which of its "
              "points you make, not whether each claim is true, so a wrong statement in the "
              "guide's own words can still score high; check your answer against the section.")


def no_sections_said(guide: str, round_name: str, settings) -> str:
    """Why an uploaded guide gives no practice question for this round: its sections belong to
    the other round, or none has the text to grade against (a walk-through's one-line upload was
    promised practice questions, and Practice said "no section for this round yet" in both)."""
    other = next(r for r in ("L1", "L2") if r != round_name)
    if practice.section_questions(guide, other, settings=settings):
        return (f"This guide's sections are about the {other} round: pick **{other}** under "
                "*Round* to practise on them.")  # fmt: skip
    return ("None of this guide's sections has enough text to practise on: a section needs at "
            f"least {practice.MIN_SECTION_WORDS} words under its heading to grade an answer "
            "against. Add to the file and upload it again.")


def guide_passage(q, settings):
    """The chunk of the built-in guide closest to the question, within its guide section; of
    those, the one holding the section's item about the question (``guide_line``: a
    walk-through's confusion-matrix question showed the overfitting bullets, not the metrics
    one), if any."""
    hits = knowledge.search(q.text, k=8, guide=knowledge.BUILTIN_GUIDE_ID, settings=settings)
    same = [h for h in hits if h.section == q.guide_section]
    line = guide_line(q.guide_section, " ".join(kp.point for kp in q.key_points),
                      asked=f"{q.text} {topic_label(q.topic)}")
    holding = [h for h in same if line and " ".join(line.split()) in " ".join(h.text.split())]
    return (holding or same or [None])[0]


def build(ctx: AppContext) -> SimpleNamespace:
    """Lay out the Practice tab and wire it to the bank, uploaded guides and the grader."""
    ui = SimpleNamespace()
    builtin = knowledge.BUILTIN_GUIDE_ID
    with gr.Row():
        ui.round = gr.Radio([("L1", "L1"), ("L2", "L2")], value="L1", label="Round",
                            elem_id="practice-round")
        ui.guide = gr.Dropdown(
            [builtin], value=builtin, label="Questions from", elem_id="practice-guide"
        )
        ui.topic = gr.Dropdown(
            topic_options("L1"), value=WEAKEST, label="Topic", elem_id="practice-topic"
        )
        modes = mode_choices(ctx)
        ui.mode = gr.Radio(
            modes,
            value="llm" if ctx.llm_available else "offline",
            label="Grader",
            visible=len(modes) > 1,
        )
    with gr.Row(equal_height=True):
        ui.new = gr.Button("New question", variant="primary", scale=1)
        ui.pick = gr.Dropdown(
            [], value=None, label=PICK_LABEL,
            elem_id="practice-pick", scale=4,
        )  # fmt: skip
    ui.question = gr.Markdown(PICK_PROMPT, elem_id="practice-question")
    # The last score on a question picked again, apart from its text: the new grade clears it
    # (a walk-through read "You scored 83/100 on this one last time." under its fresher grade).
    ui.last = gr.Markdown("", elem_id="practice-last")
    with gr.Group(visible=False) as ui.code_area:
        ui.code = gr.Code(
            language="python", label="Your solution (Python)", lines=14, interactive=True,
            wrap_lines=True, elem_id="practice-code",
        )  # fmt: skip
        ui.run = gr.Button("Run the examples", elem_id="practice-run")
        ui.code_out = gr.Markdown("", elem_id="practice-code-results")
    ui.mic = gr.Audio(
        sources=["microphone", "upload"],
        type="filepath",  # decoded by the app (voice.recording)
        label="Answer by voice (transcribed into the box below)",
        elem_id="practice-mic",
        visible=ctx.voice.enabled,
    )
    ui.voice_note = gr.Markdown("", elem_id="practice-voice-note")
    ui.said = gr.State(None)  # the last transcript put in the answer box
    ui.answer = gr.Textbox(
        label="Your answer (for a coding question: how you approached it, and what the "
              "question asks you to explain)",
        lines=5,
        max_lines=14,
        elem_id="practice-answer",
    )
    with gr.Row():
        ui.grade = gr.Button("Grade my answer", variant="primary", elem_id="practice-grade")
        # (named so in the examples' line of a coding question that asks for words: walk20 read
        # "Submit code", the Interview tab's button)
        ui.next = gr.Button("Next question")
    ui.result = gr.Markdown("", elem_id="practice-result", line_breaks=True)
    ui.qid = gr.State(None)
    ui.drills = gr.State({})  # this sitting's questions made from uploaded guides, by id
    ui.sessions = gr.State({})  # this sitting's practice session per "round/grader"
    ui.held = gr.Textbox("{}", visible=False)  # the answer and code last graded or served

    def question_of(qid, drills):
        return ctx.bank.get(qid) if qid in ctx.bank else (drills or {}).get(qid)

    def topics_for(round_name, guide, request: gr.Request):
        if guide == builtin or not ctx.guide_allowed(guide, user_of(request)):
            return gr.Dropdown(choices=topic_options(round_name), value=WEAKEST)
        qs = practice.section_questions(guide, round_name, settings=ctx.settings)
        choices = [("Any section", "any")] + [(q.topic, q.guide_section) for q in qs]
        return gr.Dropdown(choices=choices, value="any")

    def guides_changed(round_name, guide, current, request: gr.Request):
        """The Questions from list as it is now (a guide deleted in the Guides tab, of this
        browser tab or another; the list gaining focus, the Practice tab opened): shared guides
        and the user's own, and when the guide picked here went, the built-in one with its
        topics and questions in its place. The choice is sent only then: one just clicked in
        the opening list must not be put back to what this event read."""
        try:
            ids = ctx.visible_guides(user_of(request)) or [builtin]  # shared and the user's own
        except Exception:  # noqa: BLE001 - a store that does not answer: the list stays
            log.exception("listing guides for Practice failed")
            return {ui.guide: gr.skip()}
        if guide in ids:
            return {ui.guide: gr.Dropdown(choices=ids)}
        return {
            ui.guide: gr.Dropdown(choices=ids, value=builtin),
            ui.topic: gr.Dropdown(choices=topic_options(round_name), value=WEAKEST),
            ui.pick: picks(round_name, WEAKEST, builtin, current, request),
        }

    def picker(round_name, topic, user, value=None, weakest=None, scores=None):
        """The Question picker for the built-in guide's round and topic, showing ``value``
        (``weakest`` and ``scores`` read from the store unless the caller has them)."""
        if weakest is None:
            weakest = ctx.store.progress(user_id=user)["weak_topics"]
        if scores is None:
            scores = ctx.store.last_scores(user_id=user)
        choices = question_choices(ctx.bank, round_name, topic, weakest, scores, value)
        value = value if value in {c[1] for c in choices} else None
        return gr.Dropdown(choices=choices, value=value, visible=True,
                           label=pick_label(round_name, topic, weakest))  # fmt: skip

    def picks(round_name, topic, guide, current, request: gr.Request):
        """The picker again (a round or topic picked, a question graded: its last score)."""
        if guide != builtin and guide:  # an uploaded guide's sections: the Topic list picks
            return gr.Dropdown(choices=[], value=None, visible=False)
        try:
            return picker(round_name, topic, user_of(request), current)
        except SQLAlchemyError:  # the store is down: the picker keeps what it shows
            return gr.skip()

    def new_question(round_name, topic, current, guide, drills, code, held,
                     request: gr.Request, picked: str | None = None):  # fmt: skip
        """A question of the round and topic: ``picked`` (the Question picker's choice, with
        the last score on it under its text), or one not asked lately."""
        last_said = ""
        if held == "cancel":  # the candidate kept what was not graded (CONFIRM_NEXT_PRACTICE_JS)
            # (the picker showed the question not taken: it shows the current one again)
            return {ui.qid: current, ui.pick: current if current in ctx.bank else gr.skip()}
        if guide != builtin and ctx.guide_allowed(guide, user_of(request)):
            qs = practice.section_questions(guide, round_name, settings=ctx.settings)
            qs = [q for q in qs if topic in (None, "any", WEAKEST) or q.guide_section == topic]
            fresh = [q for q in qs if q.id != current] or qs
            if not fresh:
                if guide not in ctx.visible_guides(user_of(request)):  # deleted (another tab)
                    return {ui.question: f"Guide {md_escape(guide)} no longer exists (deleted): "
                            "pick another under *Questions from*.", ui.qid: None,
                            ui.last: ""}  # fmt: skip
                return {ui.question: no_sections_said(guide, round_name, ctx.settings),
                        ui.qid: None, ui.last: "", ui.result: "",
                        ui.code_area: gr.Group(visible=False)}  # fmt: skip
            q = _rng.choice(fresh)
            note = GUIDE_NOTE
            drills = {**(drills or {}), q.id: q}
            pick = gr.Dropdown(choices=[], value=None, visible=False)
        else:
            user = user_of(request)
            weakest = ctx.store.progress(user_id=user)["weak_topics"]
            last = ctx.store.last_scores(user_id=user)
            chosen = ctx.bank.get(picked) if picked else None
            if chosen is not None and chosen.round == round_name:
                q, note = chosen, ""
                if q.id in last:  # a copy of its model answer, shown then, is not scored
                    last_said = last_score_said(last[q.id])
            else:
                recent = ctx.store.recent_question_ids(user_id=user)
                q, note = practice.pick_question(ctx.bank, round_name, topic or WEAKEST, weakest,
                                        current, recent)  # fmt: skip
            if q is None:
                return {ui.question: "No question for this topic.", ui.qid: None, ui.last: ""}
            pick = picker(round_name, topic, user, q.id, weakest, last)
        coding = q.kind == "coding"
        return {
            ui.pick: pick,
            ui.question: r.practice_question_md(q) + (f"\n\n*{md_escape(note)}*" if note else ""),
            ui.last: f"*{md_escape(last_said)}*" if last_said else "",
            ui.qid: q.id,
            ui.drills: drills,
            ui.answer: "",
            ui.result: "",
            ui.code_area: gr.Group(visible=coding),
            ui.code: q.coding.starter if coding else "",
            ui.code_out: r.code_examples_md(q, GRADE_BUTTON) if coding else "",
            ui.held: _held("", q.coding.starter if coding else ""),
        }

    def transcribe(audio, typed, last):
        if audio is None:
            return {}
        try:
            got = ctx.voice.transcribe(recording(audio))
        except InterviewerError as exc:  # the recording stays in the player
            return {ui.voice_note: f"⚠ {md_escape(str(exc))}"}
        note = r.text_md(got.delivery["summary"])
        return {ui.answer: into_box(typed, got.text, last), ui.said: got.text,
                ui.voice_note: f"**Transcribed** (edit it). {note}"}

    def run(code, qid, drills):
        q = question_of(qid, drills)
        if q is None or q.kind != "coding":
            return "Press **New question** first."
        if problem := code_problem(code):
            return r.refusal_md(problem)
        return r.ran_examples_md(ctx.engine("offline").code_runner.run_visible(q, code), q,
                                 GRADE_BUTTON)

    def seen(user: str, question_id: str) -> bool:
        try:
            return ctx.store.question_seen(user_id=user, question_id=question_id)
        except SQLAlchemyError:  # saving fails too, and says so; the grade is still shown
            return False

    def refused(q, answer, code, request: gr.Request) -> str | None:
        """Why this answer is not graded (nothing is recorded), or None."""
        if q is None:
            return "Press **New question** first."
        if problem := ctx.refusal(request, None, f"{answer or ''}{code or ''}"):
            return f"⚠ {md_escape(problem)}"
        problem = practice.not_gradable(q, answer, code)
        return None if problem is None else r.refusal_md(problem)

    def grade(answer, code, qid, mode, sessions, drills, round_name, topic, request: gr.Request):
        """Say at once that it is being graded (the last result stayed in view while code ran
        its tests), then the grade."""
        q = question_of(qid, drills)
        if (why := refused(q, answer, code, request)) is not None:
            yield why, sessions, gr.skip(), gr.skip(), gr.skip()
            return
        working = r.RUNNING_TESTS if q.kind == "coding" else r.GRADING
        yield working, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        # the last score on it goes as the new grade shows: it is no longer the last one
        yield *graded(q, answer, code, mode, sessions, request, (round_name, topic)), ""

    def graded(q, answer, code, mode, sessions, request: gr.Request, listed=(None, None)):
        coding = q.kind == "coding"
        # Questions from an uploaded guide have no authored rubric: the offline grader takes
        # the section's text as the reference.
        engine = ctx.engine("offline" if q.group == practice.GUIDE_GROUP else mode)
        got = practice.grade_answer(engine, q, answer, code, settings=ctx.settings,
                                    seen=lambda: seen(user_of(request), q.id))  # fmt: skip
        result, code_result, usage = got.grade, got.code_result, got.usage
        text = r.practice_result_md(q, result, None if q.group == practice.GUIDE_GROUP
                                    else guide_passage(q, ctx.settings), code_result)  # fmt: skip
        key = f"{q.round}/{engine.name}"
        try:
            sid = practice.record_answer(
                ctx.store,
                user_id=user_of(request),
                question=q,
                answer=answer or "",
                grade=result,
                engine=engine,
                usage=usage,
                session_id=(sessions or {}).get(key),
                code=code if coding else None,
                code_result=code_result,
                bank=ctx.bank,
            )
            sessions = {**(sessions or {}), key: sid}
        except (SQLAlchemyError, InterviewerError) as exc:
            # The grade still shows and the answer stays in the box: grade it again to save it.
            text = f"⚠ This answer was not saved ({md_escape(str(exc))}).\n\n{text}"
        pick = gr.skip()
        round_name, topic = listed
        if q.id in ctx.bank and round_name:  # the picker shows the new last score
            with contextlib.suppress(SQLAlchemyError):
                pick = picker(round_name, topic, user_of(request), q.id)
        return text, sessions, _held(answer or "", code if coding else ""), pick

    outputs = [
        ui.question, ui.qid, ui.drills, ui.answer, ui.result, ui.code_area, ui.code, ui.code_out,
        ui.held, ui.pick, ui.last,
    ]  # fmt: skip
    # .input, not .change: the Progress tab sets round and topic together and must keep both.
    listing = [ui.round, ui.topic, ui.guide, ui.qid]
    def unserved(qid, round_name, guide, request: gr.Request):
        """With no question on screen, a notice about the guide or round just left goes (a
        re-walk read "This guide's sections are about the L2 round" under another guide), and
        an uploaded guide with no question for this round says so at once (walk49 read it only
        after pressing New question)."""
        if qid is not None:
            return gr.skip()
        if guide != builtin and guide and ctx.guide_allowed(guide, user_of(request)) and \
                not practice.section_questions(guide, round_name, settings=ctx.settings):  # fmt: skip
            return no_sections_said(guide, round_name, ctx.settings)
        return PICK_PROMPT

    for event in (ui.round.input, ui.guide.input):
        event(topics_for, [ui.round, ui.guide], ui.topic).then(picks, listing, ui.pick)
        event(unserved, [ui.qid, ui.round, ui.guide], ui.question, show_progress="hidden")
    ui.topic.input(picks, listing, ui.pick)
    ui.guide.focus(guides_changed, [ui.round, ui.guide, ui.qid], [ui.guide, ui.topic, ui.pick])
    inputs = [ui.round, ui.topic, ui.qid, ui.guide, ui.drills, ui.code, ui.held]
    for button in (ui.new, ui.next):
        button.click(new_question, inputs, outputs, js=CONFIRM_NEXT_PRACTICE_JS)

    def take(picked, round_name, topic, current, guide, drills, code, held, request: gr.Request):
        if not picked or picked == current:  # the one on screen, picked again: nothing to do
            return {ui.qid: current}
        return new_question(round_name, topic, current, guide, drills, code, held, request,
                            picked)  # fmt: skip

    # A question picked is served at once, asking first about an answer not graded; on .select,
    # not .input, which also fired when the list closed with nothing picked (a walk-through's
    # "Error" over the page, and a confirm for no new question).
    ui.pick.select(take, [ui.pick, *inputs], outputs, js=CONFIRM_PICK_PRACTICE_JS)
    ui.run.click(run, [ui.code, ui.qid, ui.drills], ui.code_out, concurrency_id="code")
    for event in (ui.mic.stop_recording, ui.mic.upload):
        event(transcribe, [ui.mic, ui.answer, ui.said], [ui.answer, ui.voice_note, ui.said],
              concurrency_id="speech")
    ui.grade.click(
        grade,
        [ui.answer, ui.code, ui.qid, ui.mode, ui.sessions, ui.drills, ui.round, ui.topic],
        [ui.result, ui.sessions, ui.held, ui.pick, ui.last],
        concurrency_id="grading",
    )

    ui.new_question = new_question
    ui.grade_answer = grade
    ui.guides_changed = guides_changed
    ui.guides_inputs = [ui.round, ui.guide, ui.qid]
    ui.guides_outputs = [ui.guide, ui.topic, ui.pick]
    ui.picks, ui.listing = picks, listing
    ui.outputs = outputs
    return ui
