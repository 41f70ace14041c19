"""The Practice tab: drill one round and topic, graded at once, with the model answer and the
guide passage the question comes from. Every graded answer is stored (see ``practice``)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import gradio as gr
from sqlalchemy.exc import SQLAlchemyError

from interviewer import knowledge, practice
from interviewer.bank import TOPICS, Bank, Question
from interviewer.errors import InterviewerError
from interviewer.markup import md_escape
from interviewer.models import MAX_ANSWER_CHARS
from interviewer.ui import render as r
from interviewer.ui.context import AppContext, user_of
from interviewer.ui.interview import mode_choices

WEAKEST = "weakest"
_rng = random.SystemRandom()


def topic_options(round_name: str) -> list[tuple[str, str]]:
    """The topic dropdown of a round: the user's weakest topics first, then every topic."""
    return [("Weakest topics", WEAKEST), *r.topic_choices(round_name)]


def pick_question(
    bank: Bank, round_name: str, topic: str, weakest: list[str], exclude: str | None
) -> tuple[Question | None, str]:
    """A bank question of the round and topic (or of a weak topic), not the one just shown;
    with a note when there was no weak topic to drill yet."""
    note = ""
    topics = [topic]
    if topic == WEAKEST:
        topics = [t for t in weakest if TOPICS.get(t, ("",))[0] == round_name]
        if not topics:
            note = f"No graded {round_name} answers yet, so this is a question on any topic."
            topics = [t for t, (rn, _) in TOPICS.items() if rn == round_name]
    pool = [q for q in bank.values() if q.round == round_name and q.topic in topics]
    fresh = [q for q in pool if q.id != exclude] or pool
    return (_rng.choice(fresh) if fresh else None), note


def guide_passage(q: Question, settings):
    """The chunk of the built-in guide closest to the question, within its guide section."""
    hits = knowledge.search(q.text, k=8, guide=knowledge.BUILTIN_GUIDE_ID, settings=settings)
    same = [h for h in hits if h.section == q.guide_section]
    return same[0] if same else None


def build(ctx: AppContext) -> SimpleNamespace:
    """Lay out the Practice tab and wire it to the bank and the grader."""
    ui = SimpleNamespace()
    with gr.Row():
        ui.round = gr.Radio([("L1", "L1"), ("L2", "L2")], value="L1", label="Round")
        ui.topic = gr.Dropdown(topic_options("L1"), value=WEAKEST, label="Topic")
        ui.mode = gr.Radio(
            mode_choices(ctx), value="llm" if ctx.llm_available else "offline", label="Grader"
        )
    ui.new = gr.Button("New question", variant="primary")
    ui.question = gr.Markdown(
        "Pick a round and a topic, then press **New question**.", elem_id="practice-question"
    )
    ui.answer = gr.Textbox(label="Your answer", lines=5, max_lines=14, elem_id="practice-answer")
    with gr.Row():
        ui.grade = gr.Button("Grade my answer", variant="primary")
        ui.next = gr.Button("Next question")
    ui.result = gr.Markdown("", elem_id="practice-result", line_breaks=True)
    ui.qid = gr.State(None)
    ui.sessions = gr.State({})  # this sitting's practice session per "round/grader"

    def new_question(round_name, topic, current, request: gr.Request):
        weakest = ctx.store.progress(user_id=user_of(request))["weakest_topics"]
        q, note = pick_question(ctx.bank, round_name, topic or WEAKEST, weakest, current)
        if q is None:
            return {ui.question: "No question for this topic.", ui.qid: None}
        text = r.practice_question_md(q) + (f"\n\n*{md_escape(note)}*" if note else "")
        return {ui.question: text, ui.qid: q.id, ui.answer: "", ui.result: ""}

    def grade(answer, qid, mode, sessions, request: gr.Request):
        q = ctx.bank.get(qid) if qid else None
        if q is None:
            return "Press **New question** first.", sessions
        if not (answer or "").strip():
            return "Type an answer first.", sessions
        if len(answer) > MAX_ANSWER_CHARS:
            return (
                f"⚠ Your answer is {len(answer)} characters; the maximum is {MAX_ANSWER_CHARS}. "
                "Shorten it and grade again."
            ), sessions
        engine = ctx.engine(mode)
        result, usage = engine.judge(q, answer)
        text = r.practice_result_md(q, result, guide_passage(q, ctx.settings))
        key = f"{q.round}/{engine.name}"
        try:
            sid = practice.record_answer(
                ctx.store,
                user_id=user_of(request),
                question=q,
                answer=answer,
                grade=result,
                engine=engine,
                usage=usage,
                session_id=(sessions or {}).get(key),
            )
            sessions = {**(sessions or {}), key: sid}
        except (SQLAlchemyError, InterviewerError) as exc:
            # The grade still shows and the answer stays in the box: grade it again to save it.
            text = f"⚠ This answer was not saved ({md_escape(str(exc))}).\n\n{text}"
        return text, sessions

    outputs = [ui.question, ui.qid, ui.answer, ui.result]
    # .input, not .change: the Progress tab sets round and topic together and must keep both.
    ui.round.input(
        lambda rn: gr.Dropdown(choices=topic_options(rn), value=WEAKEST), ui.round, ui.topic
    )
    for button in (ui.new, ui.next):
        button.click(new_question, [ui.round, ui.topic, ui.qid], outputs)
    ui.grade.click(
        grade,
        [ui.answer, ui.qid, ui.mode, ui.sessions],
        [ui.result, ui.sessions],
        concurrency_id="grading",
    )
    ui.new_question = new_question
    ui.outputs = outputs
    return ui
