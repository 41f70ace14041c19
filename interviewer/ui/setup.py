"""The Interview tab's setup: what the rounds are, and the round, number of questions,
feedback, real interview, coding and mode of the next interview. It is locked while an
interview runs (it only shapes the next one) and folded to one line saying how this one runs,
so the chat and the answer box come up the page; it opens and unlocks when the interview ends.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from interviewer import knowledge
from interviewer.grading.rubric import PASS_MARK
from interviewer.markup import md_escape
from interviewer.models import MAX_QUESTIONS
from interviewer.ui.context import AppContext

ROUNDS_INTRO = (
    "**L1** · about 15-20 minutes: ML fundamentals, Python and data work, and one coding "
    "question whose code runs against hidden tests.  \n"
    "**L2** · about 30-40 minutes: real-time scenarios, ML system design, MLOps and one "
    "behavioural question.  \n"
    f"**Full loop** · L1, then L2 only if you pass L1 (a round passes at {PASS_MARK}/100), as in "
    "the real process."
)
SETUP_LABEL = "Setup"
CODING_DEFAULT = True  # a new page's L1 includes its coding question (it decides the round)
CODING_INFO = "It is the second question: with 2 or more."
CODING_NONE = "With 1 question there is none: it is the second question."


def coding_info(questions) -> dict:
    """The coding box's info line for the question count (a re-walk: with 1 question the box
    still read as if L1 had its coding question)."""
    return gr.update(info=CODING_NONE if int(questions or 0) < 2 else CODING_INFO)


def setup_summary(round_name, questions, feedback, real, coding) -> str:
    """The setup's one-line label while an interview runs (the accordion is closed), from the
    running interview's own settings (``actions.settled``)."""
    n = int(questions)
    count = f"{n} question{'' if n == 1 else 's'}" + (" per round" if round_name == "full" else "")
    parts = [{"full": "Full loop"}.get(round_name, round_name), count]
    parts.append(
        "real interview"
        if real
        else "feedback after each answer"
        if feedback == "each"
        else "feedback at the end"
    )
    if round_name != "L2":  # the coding question comes second (policy.group_plan)
        parts.append("with coding" if coding and n >= 2 else "no coding")
    return "Setup: " + " · ".join(parts) + " (locked while this interview runs)"  # fmt: skip


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
        # A server with logins: its candidates cannot set the operator's environment.
        why = ("LLM mode is not set up on this server." if ctx.settings.auth
               else md_escape(ctx.llm_problem or ""))  # fmt: skip
        return f"Offline mode: the question bank and the coverage grader, no network. {why}"
    return f"⚠ {md_escape(ctx.llm_problem or '')}. Falling back to offline mode."


def guide_note(guide: str | None, mode: str) -> str:
    """Which guide the next interview draws on, in this mode."""
    builtin = knowledge.BUILTIN_GUIDE_ID
    if not guide or guide == builtin:
        return f"Guide: **{builtin}** (built-in)."
    if mode == "offline":
        return (
            f"Guide: **{md_escape(guide)}** is used in LLM mode and in Practice; offline "
            f"interviews ask from the question bank of the built-in guide ({builtin})."
        )
    return f"Guide: **{md_escape(guide)}**: the LLM writes questions from its passages."


def fields(ui: SimpleNamespace) -> list:
    """The setup's fields a resumed session sets, in the order ``setup_summary`` takes them."""
    return [ui.round, ui.questions, ui.feedback, ui.real, ui.coding]


def build(ctx: AppContext, ui: SimpleNamespace) -> None:
    """Lay out the setup (in the current column) as attributes of ``ui``."""
    modes = mode_choices(ctx)
    # Open to set up an interview; closed to one line while one runs (see ``wire``).
    with gr.Accordion(SETUP_LABEL, open=True, elem_id="setup") as ui.setup_box:
        gr.Markdown(ROUNDS_INTRO, elem_id="rounds-intro")
        with gr.Row():
            ui.round = gr.Radio(
                [("L1", "L1"), ("L2", "L2"), ("Full loop", "full")],
                value="L1",
                label="Round",
                elem_id="setup-round",
            )
            # as many as the CLI allows (a walk-through found 10 here and 20 there)
            ui.questions = gr.Slider(1, MAX_QUESTIONS, value=3, step=1, label="Questions (per round)",
                                     elem_id="questions")  # fmt: skip
            ui.feedback = gr.Radio(
                [("After each answer", "each"), ("At the end", "end")],
                value="each",
                label="Feedback",
                elem_id="setup-feedback",
            )
        with gr.Row():
            ui.real = gr.Checkbox(
                False,
                label="Real interview: a time budget per question, no hints, feedback at the end",
                elem_id="real-interview",
            )
            ui.coding = gr.Checkbox(
                CODING_DEFAULT,
                label="L1 includes a coding question",
                info=CODING_INFO,  # a walk-through ticked it and sat one question, no coding
                elem_id="setup-coding",
            )
            ui.mode = gr.Radio(
                modes,
                value="llm" if ctx.llm_available else "offline",
                label="Mode",
                visible=len(modes) > 1,  # one option is no choice
            )
        ui.feedback_before_real = gr.State(None)  # the Feedback choice a Real tick replaced
        ui.coding_before_l2 = gr.State(None)  # the coding tick an L2 pick cleared
        ui.setup_note = gr.Markdown(
            "🔒 The setup is locked while this interview runs: it applies to the next one, "
            "and unlocks when this one ends.",
            visible=False,
            elem_id="setup-note",
        )


# ``ui.running`` of a tab whose interview moved on in another tab (interview.MOVED_ON): not
# running here, so Resume takes it up without asking to leave it or emptying the box, and the
# setup stays locked and folded as while it ran (walk21: it opened, pushing the refusal down).
STALE = "stale"
RUNS = ("1", STALE)


def coding_free(running, round_name):
    """The coding box is free between interviews, except with L2 picked (it has no coding)."""
    return gr.update(interactive=running not in RUNS and round_name != "L2")


def coding_for_round(round_name, running, coding, before):
    """(the coding box's update, the tick to give back later): L2 has no coding question, so
    with L2 picked the box is unticked and locked (it showed ticked, greyed, as if L2 had one);
    picking L1 or the full loop again gives back the candidate's tick. A resumed L2 session
    (``running`` is "1") had no tick of the candidate's: L1 picked after it gets the box as a
    new page has it (CODING_DEFAULT; a walk-through's next L1 ran with no coding question)."""
    if round_name == "L2":
        kept = CODING_DEFAULT if running == "1" else (coding if before is None else before)
        return gr.update(value=False, interactive=False), kept
    free = coding_free(running, round_name)
    if before is None or running == "1":
        return free, None
    return free | {"value": before}, None


def wire(ui: SimpleNamespace) -> None:
    """Lock and fold the setup while an interview runs (``ui.running`` is "1"), and keep a real
    interview's Feedback at the end."""

    def lock_setup(running, real, round_name):
        """Locked while an interview runs (so it never seems to change it) and closed to a line
        saying how this one runs; open and unlocked when it ends. A real interview keeps
        Feedback at the end."""
        free = running not in RUNS
        out = {c: gr.update(interactive=free) for c in (ui.round, ui.questions, ui.real,
                                                         ui.mode)}  # fmt: skip
        out[ui.feedback] = gr.update(interactive=free and not real)
        out[ui.coding] = coding_free(running, round_name)
        out[ui.setup_note] = gr.update(visible=not free)
        out[ui.setup_box] = gr.update(open=free)  # its line: the interview's own (``settled``)
        return out

    setup = fields(ui)

    # A real interview gives its feedback at the end: the Feedback choice says so while it is
    # ticked (it was left on "After each answer", contradicting the box next to it). Feedback
    # stays locked while an interview runs (a resume sets Real interview as the session was).
    # Unticked again (between interviews), Feedback goes back to what it was before the tick.
    def real_changed(real, running, feedback, before_real):
        if real:
            return gr.update(value="end", interactive=False), feedback
        if running == "1":  # a resume set it: the resumed session's Feedback stands
            return gr.update(interactive=False), None
        return gr.update(value=before_real or feedback, interactive=True), None

    ui.real.change(real_changed, [ui.real, ui.running, ui.feedback, ui.feedback_before_real],
                   [ui.feedback, ui.feedback_before_real], api_visibility="private",
                   queue=False)  # fmt: skip
    ui.questions.change(coding_info, [ui.questions], [ui.coding], api_visibility="private",
                        queue=False, show_progress="hidden")  # fmt: skip
    # L2 has no coding question: its box says so by being off while L2 is picked.
    ui.round.change(coding_for_round, [ui.round, ui.running, ui.coding, ui.coding_before_l2],
                    [ui.coding, ui.coding_before_l2], api_visibility="private",
                    queue=False)  # fmt: skip
    ui.running.change(lock_setup, [ui.running, ui.real, ui.round],
                      [*setup, ui.mode, ui.setup_note, ui.setup_box],
                      api_visibility="private", queue=False, show_progress="hidden")  # fmt: skip
