"""An answer typed but not sent survives a reload: the answer box and the code editor are copied,
as the candidate types, into the browser's localStorage (``gr.BrowserState``) under the key of
the question they answer ("session|question" or "session|question|follow-up n"). Resuming that
session at that question puts them back; sending the answer empties the box's copy.

The draft comes back from the browser, so it is untrusted: it only ever becomes the value of
the answer box or the editor (plain text), is never rendered as Markdown or HTML, and a draft
that is not a short string under the open question's key is ignored.
"""

from __future__ import annotations

import gradio as gr

from interviewer.interview import Interview
from interviewer.models import MAX_ANSWER_CHARS, MAX_CODE_CHARS

STORAGE_KEY = "mock-interview-draft"
# BrowserState sends its secret to the page to encrypt there, so it hides nothing from the page
# itself; a fixed one (Gradio's default is random per process) lets a draft outlive an app
# restart or a move to the other replica.
SECRET = "mock-interview answer draft"
# Runs in the browser on every change of the answer box (no server round trip). With no open
# question (no key) it keeps the stored draft as it is: a reload's empty box must not erase it.
SAVE_JS = (
    "(text, key, old) => (key ? { key: key, text: text || '', "
    "code: old && old.key === key && typeof old.code === 'string' ? old.code : '' } : old)"
)
# The same for the code editor, on the candidate's edits only (``input``): the starter code the
# app puts in the editor is no draft, and on a resume it must not overwrite the kept code.
SAVE_CODE_JS = (
    "(code, key, old) => (key ? { key: key, code: code || '', "
    "text: old && old.key === key && typeof old.text === 'string' ? old.text : '' } : old)"
)
# A draft longer than an answer may be is still given back (to be cut down before sending);
# far beyond that it is no draft of this app.
MAX_DRAFT_CHARS = 4 * MAX_ANSWER_CHARS
MAX_CODE_DRAFT_CHARS = 4 * MAX_CODE_CHARS


def browser_state() -> gr.BrowserState:
    """The component that keeps the draft in this browser's localStorage."""
    return gr.BrowserState({}, storage_key=STORAGE_KEY, secret=SECRET)


def key_of(iv: Interview | None) -> str:
    """The key of the question (or follow-up) open in ``iv``; "" when none is open."""
    turn = None if iv is None or iv.done else iv.current
    if turn is None:
        return ""
    key = f"{iv.info.id}|{turn.index}"
    return key + (f"|{len(turn.follow_ups)}" if iv.phase == "follow_up" else "")


def _part(draft: dict, name: str, limit: int) -> str:
    value = draft.get(name, "")
    return value if isinstance(value, str) and value.strip() and len(value) <= limit else ""


def _valid(draft) -> bool:
    return (
        isinstance(draft, dict)
        and isinstance(draft.get("key"), str)
        and bool(
            _part(draft, "text", MAX_DRAFT_CHARS) or _part(draft, "code", MAX_CODE_DRAFT_CHARS)
        )
    )


def session_of(draft) -> str | None:
    """The session a stored draft belongs to, if it holds any text or code."""
    return draft["key"].split("|", 1)[0] if _valid(draft) else None


def restored(draft, key: str) -> tuple[str, str] | None:
    """The draft's answer text and code ("" for none) when it answers the open question (its
    key ``key``), else None."""
    if not (key and _valid(draft) and draft["key"] == key):
        return None
    return _part(draft, "text", MAX_DRAFT_CHARS), _part(draft, "code", MAX_CODE_DRAFT_CHARS)


def what(draft) -> str:
    """What a stored draft keeps, in words: "answer", "code" or "answer and code"."""
    parts = [w for w, n, limit in (("answer", "text", MAX_DRAFT_CHARS),
                                   ("code", "code", MAX_CODE_DRAFT_CHARS))
             if _valid(draft) and _part(draft, n, limit)]  # fmt: skip
    return " and ".join(parts) or "answer"
