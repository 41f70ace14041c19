"""One browser tab's interview: its state, and what is said of a click not acted on."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from interviewer.interview import Interview

# What an action did not do once the interview has ended, in the words of that action.
AFTER_THE_END = {
    "send": "nothing was sent, and your text is still in the box",
    "submit_code": "the code was not submitted, and it is still in the editor",
    "run_code": "the code was not run",
    "hint": "there is no open question to hint at",
    "repeat": "there is no open question to repeat",
    "skip": "there is no open question to skip",
    "end": "it is already over",
}


@dataclass
class Live:
    """One browser tab's interview; the lock stops a double click from answering twice."""

    interview: Interview
    user: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    # What the tab's components were last set to (component id -> properties), so a turn sends
    # only the properties that change (see ``changes_only``).
    shown: dict = field(default_factory=dict)
    history: list = field(default_factory=list)  # the chat as last settled (see ``chat.clear``)
    # Clicks refused while a step ran (component -> the actions refused there, said after that
    # step's reply, which clears the status lines: a refusal said at the click was lost under it).
    notes: dict = field(default_factory=dict)
    # Said in the status line with the next settled step (a restarted model server, say), before
    # the engine's own notes, which that step's status would otherwise replace.
    status_note: str = ""

    def take_status_note(self) -> str:
        """The status note, taken: it is said once."""
        note, self.status_note = self.status_note, ""
        return note

    def note(self, where, action: str) -> None:
        """Say after the running step's reply, in ``where``, that ``action`` was not done."""
        said = self.notes.setdefault(where, [])
        if action not in said:
            said.append(action)

    def refused(self, action: str) -> bool:
        """Whether ``action`` was refused while the running step ran (not yet said)."""
        return any(action in said for said in list(self.notes.values()))

    def take_notes(self) -> dict:
        """The actions refused in each component (``note``), taken: each is said once."""
        out = {}
        for where in list(self.notes):
            said = self.notes.pop(where, None)
            if said:
                out[where] = said
        return out


def changes_only(live: Live, out: dict) -> dict:
    """``out`` without the property updates the tab already shows. Each property update makes
    Gradio rebuild the component and its config on the server (a few ms apiece, and a turn
    would send a dozen of them); a new interview (a new ``Live``) sends them all again."""
    kept = {}
    for comp, value in out.items():
        if isinstance(value, dict) and value.get("__type__") == "update":
            props = value.get("value")
            if props is None or isinstance(props, (str, list)):  # not audio: cheap to compare
                seen = repr(sorted(value.items()))
                if live.shown.get(comp._id) == seen:
                    continue
                live.shown[comp._id] = seen
            else:
                live.shown.pop(comp._id, None)
        kept[comp] = value
    return kept


BUSY = "Still working on your last message…"
# Said on resuming an interview that moved on in another tab, with text typed here in the box.
STALE_TEXT = (
    "ℹ The text in the answer box was typed here before this interview moved on in "
    "the other tab: read where it is now, above, and edit the text before you press "
    "**Send**."
)
END_AFTER_STEP = "Still working on your last step: the interview ends once it is answered…"
WHILE_BUSY = "was pressed while your last step was still being answered"
BUSY_ACTIONS = {  # what a click refused while a step ran did not do, and what is kept
    "send": f"⚠ Your answer was not sent: **Send** {WHILE_BUSY}. It is still in the box: read "
    "the reply above, then press **Send** if it still answers it.",
    "submit_code": f"⚠ Your code was not submitted: **Submit code** {WHILE_BUSY}. It is still in "
    "the editor: press **Submit code** again.",
    "run_code": f"⚠ **Run the examples** was not done: it {WHILE_BUSY}. Press it again if you "
    "still want it.",
}
CLOSED_ACTIONS = {  # the same, when that step closed the coding question (its editor is gone)
    "submit_code": f"⚠ Your code was not submitted: **Submit code** {WHILE_BUSY}, and that "
    "coding question is now closed.",
    "run_code": f"⚠ **Run the examples** was not done: it {WHILE_BUSY}, and that coding question "
    "is now closed.",
}


def not_done(action: str, closed: bool = False) -> str:
    """Why a click made while a step ran was not done (said after that step's reply):
    ``action`` is a key of BUSY_ACTIONS or a command's name; ``closed`` when that step closed
    the coding question."""
    return (closed and CLOSED_ACTIONS.get(action)) or BUSY_ACTIONS.get(action) or (
        f"⚠ **{action.capitalize()}** was not done: it {WHILE_BUSY}. Press it again if you still "
        "want it."
    )  # fmt: skip
