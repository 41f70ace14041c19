"""The Practice tab through its own Gradio events (as the page's buttons and picker send them),
on a real SQLite store, the bank and the offline grader; what the page shows is followed by
applying each event's outputs to its Markdown components."""

from __future__ import annotations

import re
from types import SimpleNamespace

import gradio as gr

from interviewer import knowledge
from interviewer.bank import default_bank
from interviewer.models import SessionInfo
from interviewer.store import Store
from interviewer.ui import practice as ui_practice
from interviewer.ui.context import AppContext
from tests.test_store import make_turn

LOCAL = SimpleNamespace(username=None, client=SimpleNamespace(host="127.0.0.1"))
GRADED = (
    "The model is overfitting: it memorises the training set. I would add regularisation, get "
    "more data, simplify the model and use early stopping, and check for leakage."
)


class Page:
    """The Practice tab's Markdown as the browser shows it, updated by each event's outputs."""

    def __init__(self, demo: gr.Blocks):
        self.demo = demo
        self.shown: dict[int, str] = {
            b._id: b.value or "" for b in demo.blocks.values() if isinstance(b, gr.Markdown)
        }

    def send(self, component, event: str, *args):
        """Run the event's function as Gradio would (a generator to its end), showing each of
        its updates in turn."""
        [f] = [f for f in self.demo.fns.values() if (component._id, event) in f.targets]
        out = f.fn(*args)
        for update in out if hasattr(out, "__next__") else [out]:
            pairs = update.items() if isinstance(update, dict) else zip(f.outputs, update,
                                                                       strict=True)  # fmt: skip
            for block, value in pairs:
                if block._id in self.shown and isinstance(value, str):
                    self.shown[block._id] = value

    def text(self) -> str:
        return "\n".join(v for v in self.shown.values() if v)


def test_the_last_score_on_a_picked_question_goes_once_it_is_graded_again(kb_settings):
    # A walk-through: a question picked again said "You scored 83/100 on this one last time.";
    # graded again, that line stayed under the new grade. It goes with the new grade, stays
    # off the next question, and the question picked once more says the new score.
    q = default_bank()["l1-diagnose-overfitting"]
    store = Store(settings=kb_settings)
    info = store.create_session(SessionInfo(round="L1"))
    store.save_turn(info.id, make_turn(0, topic=q.topic, question_id=q.id, overall=35))
    ctx = AppContext(settings=kb_settings, store=store, bank=default_bank(), llm_problem=None)
    with gr.Blocks() as demo:
        ui = ui_practice.build(ctx)
    page = Page(demo)
    builtin = knowledge.BUILTIN_GUIDE_ID

    def pick(current):
        page.send(ui.pick, "select", q.id, "L1", q.topic, current, builtin, {}, "", "{}", LOCAL)

    pick(None)
    assert "99% accuracy on the training data" in page.text()
    assert "You scored 35/100 on this one last time." in page.text()

    page.send(ui.grade, "click", GRADED, "", q.id, "offline", {}, {}, "L1", q.topic, LOCAL)
    score = re.search(r"Your grade: \*\*(\d+)/100", page.text())[1]
    assert "last time" not in page.text(), page.text()  # nothing stale beside the new grade
    assert int(score) != 35

    page.send(ui.next, "click", "L1", q.topic, q.id, builtin, {}, "", "{}", LOCAL)
    assert "99% accuracy" not in page.text() and "last time" not in page.text()

    pick("l1-some-other-question")
    assert f"You scored {score}/100 on this one last time." in page.text()
    store.close()
