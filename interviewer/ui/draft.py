"""An answer typed but not sent survives a reload: the answer box and the code editor are copied,
as the candidate types, into the browser's localStorage (``gr.BrowserState``), one draft per
session (the last ``KEEP`` sessions, so two tabs keep two drafts), each under the key of the
question it answers ("session|question" or "session|question|follow-up n"). Resuming that
session puts them back; sending the answer empties the box's copy; when the question changes
in the page the draft moves to the new question with what the box still shows; when the
interview ends its draft is dropped, and Log out drops them all.

The draft comes back from the browser, so it is untrusted: it only ever becomes the value of
the answer box or the editor (plain text), is never rendered as Markdown or HTML, and a draft
that is not a string under its session's key is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from interviewer.interview import Interview
from interviewer.markup import md_code, when
from interviewer.models import MAX_ANSWER_CHARS, MAX_CODE_CHARS

STORAGE_KEY = "mock-interview-draft"
# BrowserState sends its secret to the page to encrypt there, so it hides nothing from the page
# itself; a fixed one (Gradio's default is random per process) lets a draft outlive an app
# restart or a move to the other replica.
SECRET = "mock-interview answer draft"
KEEP = 5  # sessions whose drafts this browser keeps, the most recently typed in
END = "end"  # the key's last part once the session's interview has ended

# The stored drafts ({"drafts": {session: {key, text, code, at}}}) as a mutable copy, and
# ``put`` to store the open question's entry (an empty one is dropped) and keep the last KEEP.
_STORE_JS = f"""
  const drafts = {{}};
  if (old && typeof old === "object") {{
    if (typeof old.key === "string") drafts[old.key.split("|")[0]] = old;  // one-slot format
    if (old.drafts && typeof old.drafts === "object") Object.assign(drafts, old.drafts);
  }}
  const sid = key.split("|")[0];
  // The session last open in this browser (Start, Resume, its next question): a reload picks it.
  const open = old && typeof old.open === "string" ? old.open : "";
  const put = (entry) => {{
    if (!(entry.text || "").trim() && !(entry.code || "").trim()) delete drafts[sid];
    else {{
      // strictly the newest, even within one millisecond
      const at = Math.max(Date.now(), ...Object.values(drafts).map((d) => (d.at || 0) + 1));
      drafts[sid] = {{ key: key, text: entry.text || "", code: entry.code || "",
                       base: entry.base || "", at: at }};
    }}
    const ids = Object.keys(drafts).sort((a, b) => (drafts[b].at || 0) - (drafts[a].at || 0));
    for (const id of ids.slice({KEEP})) delete drafts[id];
    return {{ drafts: drafts, open: open }};
  }};
  const mine = drafts[sid] && drafts[sid].key === key ? drafts[sid] : {{}};
"""
# Runs in the browser on every change of the answer box (no server round trip). With no open
# question (no key: a reload's empty box) or after the end it keeps the stored drafts as they are.
SAVE_JS = f"""(text, key, old) => {{
  if (!key || key.endsWith("|{END}")) return old;
  {_STORE_JS}
  return put({{ ...mine, text: text }});
}}"""
# The same for the code editor, on the candidate's edits only (``input``): the starter code the
# app puts in the editor is no draft, and on a resume it must not overwrite the kept code. The
# draft notes which saved code it was typed over (``base``: the stamp of the question's code
# when the server last set it, ``stamp``), so a resume can tell code saved since then.
SAVE_CODE_JS = f"""(code, key, old, base) => {{
  if (!key || key.endsWith("|{END}")) return old;
  {_STORE_JS}
  return put({{ ...mine, code: code, base: base || "" }});
}}"""
# When the open question changes. The interview ended: its draft goes. The same session moved
# on (an answer sent, a skip, a follow-up): the draft is what the box now shows, for the new
# question (after Send the box is empty; after Skip it still holds the text). Another session
# came into the page (a Start, a Resume): its kept draft stays as it is, for Resume to give back.
# Every open question marks its session as the one open here; an ended one is no longer.
REKEY_JS = f"""(key, text, old) => {{
  const before = window.__miqDraftKey || "";
  window.__miqDraftKey = key;
  if (!key) return old;
  {_STORE_JS}
  if (key.endsWith("|{END}")) {{
    delete drafts[sid];
    return {{ drafts: drafts, open: open === sid ? "" : open }};
  }}
  if (before.split("|")[0] !== sid || drafts[sid]?.key === key) {{
    return {{ drafts: drafts, open: sid }};
  }}
  return {{ ...put({{ text: text }}), open: sid }};
}}"""
# Log out forgets what the app keeps in this browser (every draft, the guide picked to delete
# in the Guides tab: each under a "mock-interview-" key), then signs out.
LOGOUT_JS = """() => {
  Object.keys(localStorage).filter((k) => k.startsWith("mock-interview-"))
    .forEach((k) => localStorage.removeItem(k));
  window.location.href = "/logout";
}"""
# A draft longer than an answer may be is still given back (to be cut down before sending);
# beyond this it is given back cut, and the candidate is told.
MAX_DRAFT_CHARS = 4 * MAX_ANSWER_CHARS
MAX_CODE_DRAFT_CHARS = 4 * MAX_CODE_CHARS


def browser_state() -> gr.BrowserState:
    """The component that keeps the drafts in this browser's localStorage."""
    return gr.BrowserState({}, storage_key=STORAGE_KEY, secret=SECRET)


def key_of(iv: Interview | None) -> str:
    """The key of the question (or follow-up) open in ``iv``; "session|end" once it has ended;
    "" with no interview."""
    if iv is None:
        return ""
    if iv.done:
        return f"{iv.info.id}|{END}"
    turn = iv.current
    if turn is None:
        return ""
    key = f"{iv.info.id}|{turn.index}"
    return key + (f"|{len(turn.follow_ups)}" if iv.phase == "follow_up" else "")


@dataclass(frozen=True)
class Kept:
    """One session's draft as the browser gave it back."""

    session: str
    key: str
    text: str  # "" for none
    code: str
    cut: bool  # longer than a draft may be: ``text`` / ``code`` are its beginning
    at: float
    base: str = ""  # the stamp of the saved code the draft's code was typed over ("" none)

    def what(self) -> str:
        """What it keeps, in words: "answer", "code" or "answer and code"."""
        return " and ".join(w for w, v in (("answer", self.text), ("code", self.code)) if v)


def _part(entry: dict, name: str, limit: int) -> tuple[str, bool]:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        return "", False
    return value[:limit], len(value) > limit


def drafts(saved) -> dict[str, Kept]:
    """Every usable draft the browser keeps, by session (the one-slot format read too)."""
    if not isinstance(saved, dict):
        return {}
    entries = saved.get("drafts") if isinstance(saved.get("drafts"), dict) else {}
    if isinstance(saved.get("key"), str):
        entries = {saved["key"].split("|", 1)[0]: saved, **entries}
    out = {}
    for session, entry in entries.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("key"), str)):
            continue
        if entry["key"].split("|", 1)[0] != session or entry["key"].endswith(f"|{END}"):
            continue
        text, cut_text = _part(entry, "text", MAX_DRAFT_CHARS)
        code, cut_code = _part(entry, "code", MAX_CODE_DRAFT_CHARS)
        at, base = entry.get("at"), entry.get("base")
        if text or code:
            at = float(at) if isinstance(at, (int, float)) else 0.0
            base = base if isinstance(base, str) else ""
            out[session] = Kept(session, entry["key"], text, code, cut_text or cut_code, at, base)
    return out


def offered(saved, sessions) -> Kept | None:
    """The most recent draft of one of ``sessions`` (ids), if any."""
    mine = [k for s, k in drafts(saved).items() if s in set(sessions)]
    return max(mine, key=lambda k: k.at) if mine else None


def last_open(saved, sessions) -> str | None:
    """The session last open in this browser, if it is one of ``sessions`` (unfinished)."""
    sid = saved.get("open") if isinstance(saved, dict) else None
    return sid if isinstance(sid, str) and sid in set(sessions) else None


def pick_after_reload(saved, sessions) -> tuple[str | None, Kept | None, bool]:
    """After a reload: (the session to pick for Resume, the draft to tell of, whether that
    draft is another session's). The session last open here comes first, with its own draft if
    it has one (a walk-through reloaded an interview and got an older one that had a draft);
    else the session of the most recent draft."""
    kept = offered(saved, sessions)
    sid = last_open(saved, sessions)
    if sid is None:
        return (kept.session if kept else None), kept, False
    own = drafts(saved).get(sid)
    if own is not None:
        return sid, own, False
    return sid, kept, kept is not None


def restored(saved, key: str) -> Kept | None:
    """The draft of the session whose question ``key`` is open (written for that question or,
    when the question moved on elsewhere, an earlier one), else None."""
    if not key or key.endswith(f"|{END}"):
        return None
    return drafts(saved).get(key.split("|", 1)[0])


def merged(kept: str, typed: str) -> tuple[str | None, bool]:
    """The answer box's text once a kept answer comes back to it (None: leave the box as it is),
    and whether what was typed meanwhile was kept too (under the kept answer)."""
    if not kept.strip() or kept.strip() in (typed or ""):
        return None, False
    if not (typed or "").strip() or typed.strip() in kept:
        return kept, False
    return kept.rstrip() + "\n\n" + typed.lstrip(), True


def offer_note(kept: Kept, other: str | None = None) -> str:
    """What the page says after a reload when a listed session has a draft in this browser;
    ``other``: that session's label, when the one picked is another (the one open here)."""
    verb = "are" if " and " in kept.what() else "is"
    if other is not None:
        note = (f"Your unsent {kept.what()} of another unfinished session {verb} kept too "
                f"({other}): pick it in the list and press **Resume** to continue with it.")  # fmt: skip
    else:
        note = f"Your unsent {kept.what()} {verb} kept: press **Resume** to continue with it."
    return note + (f" {_CUT_NOTE}" if kept.cut else "")


def stamp(saved_at: float | None) -> str:
    """The stamp of a question's saved code (``turns.code_at``) as the page keeps it."""
    return "" if saved_at is None else f"{saved_at:.6f}"


def saved_later(kept: Kept, saved_at: float | None) -> bool:
    """Whether the code the server keeps for the question was saved (a Run or the Submit, at
    ``saved_at``) after this browser's draft was typed over the code it had: then it is the
    newer code (from another tab or browser) and the draft must not replace it. Only the
    server's times are compared (a browser's clock may be off), and a draft typed over no
    saved code, or of the earlier format with no stamp, counts as older than any saved code."""
    return saved_at is not None and kept.base != stamp(saved_at)


def older_code_note(kept: Kept, saved_at: float) -> str:
    """What the page says when the editor keeps newer saved code: the draft this browser kept
    is shown (as code, never run or rendered), so it is not lost."""
    typed = f" (typed at {when(kept.at / 1000, seconds=True)})" if _sane(kept.at / 1000) else ""
    return (
        f"The code in the editor was saved at {when(saved_at, seconds=True)} by a Run or "
        f"Submit after the unsent code this browser kept{typed} was typed, so it stays. This "
        f"browser's older code, if you want it back:\n\n" + md_code(kept.code)
    )


def _sane(ts: float) -> bool:
    """A time a browser could have written (a draft's own time comes from the page)."""
    return 1e9 < ts < 1e10


def restore_note(kept: Kept, text_back: bool, code_back: bool, typed_kept: bool, key: str) -> str:
    """What the page says when Resume puts a draft back."""
    back = [w for w, v in (("answer", text_back), ("code", code_back)) if v]
    where = [w for w, v in (("in the box", text_back), ("in the editor", code_back)) if v]
    note = (
        f"Your unsent {' and '.join(back)} {'are' if len(back) > 1 else 'is'} back "
        + " and ".join(where)
    )
    note += ", above what you typed since the reload." if typed_kept else "."
    if kept.key != key:
        note += " It was written for an earlier question of this interview: check it fits this one."
    return note + (f" {_CUT_NOTE}" if kept.cut else "")


_CUT_NOTE = (
    f"It was longer than a draft is kept ({MAX_DRAFT_CHARS:,} characters of answer, "
    f"{MAX_CODE_DRAFT_CHARS:,} of code), so only its beginning came back."
)


def wire(ctx, ui, resumed) -> None:
    """Keep the Interview tab's unsent answer and code in the browser as they are typed, offer
    a kept draft after the page loads (``ui.offer_draft``, chained to the load by the app), and
    give it back after ``resumed`` (the Resume click). The draft is read in private events of
    their own, so the API's /resume and load keep their signatures."""
    from interviewer.ui.auth import user_of
    from interviewer.ui.render import session_choices

    def restore_draft(saved, key, typed, code, live):
        """After a resume: the answer and the code left unsent in this session, back in the box
        (above anything typed since the reload, which stays) and the editor, unless the code
        saved for the question is newer; after a resume that failed or was called off (the
        page still shows that draft) nothing changes."""
        kept = restored(saved, key)
        text, typed_kept = merged(kept.text, typed or "") if kept else (None, False)
        code_back = bool(kept and kept.code and kept.code.strip() != (code or "").strip())
        iv = None if live is None or live.interview.done else live.interview
        turn = iv.current if iv is not None else None
        saved_at = turn.code_at if turn is not None else None
        # The class tells the browser tests that the check ran, whatever it found.
        done = gr.update(elem_classes=["draft-checked"])
        older = code_back and saved_later(kept, saved_at)
        code_back = code_back and not older
        if kept is None or (text is None and not code_back and not older):
            return gr.skip(), gr.skip(), gr.skip(), done, gr.skip()
        notes = [restore_note(kept, text is not None, code_back, typed_kept, key)
                 if text is not None or code_back else ""]  # fmt: skip
        # The older code is shown next to the editor and its buttons, where it is wanted; with
        # the editor closed (the code was submitted: a follow-up is open), in the status.
        editor_open = iv is not None and turn.kind == "coding" and iv.phase == "awaiting_answer"
        code_note = older_code_note(kept, saved_at) if older else ""
        if code_note and not editor_open:
            notes.append(code_note)
            code_note = ""
        note = "\n\n".join(n for n in notes if n)
        return (gr.skip() if text is None else text, kept.code if code_back else gr.skip(),
                note or gr.skip(), done, code_note or gr.skip())  # fmt: skip

    def offer_draft(saved, request: gr.Request):
        """After the page loads: the session last open in this browser, else one with an unsent
        answer here, is the one picked for Resume, and a kept draft is told of next to it."""
        sessions = ctx.store.unfinished_sessions(user_id=user_of(request))
        sid, kept, elsewhere = pick_after_reload(saved, [s["id"] for s in sessions])
        other = None
        if elsewhere:
            other = dict((v, k) for k, v in session_choices(sessions)).get(kept.session)
        # The class tells the browser tests that the check ran, whatever it found.
        note = offer_note(kept, other) if kept else ""
        return (sid or gr.skip(),
                gr.update(value=note, elem_classes=["draft-offer-checked"]))  # fmt: skip

    resumed.then(restore_draft, [ui.draft, ui.draft_key, ui.answer, ui.code, ui.live],
                 [ui.answer, ui.code, ui.status, ui.resume_note, ui.code_status],
                 api_visibility="private", queue=False)  # fmt: skip
    ui.answer.change(None, [ui.answer, ui.draft_key, ui.draft], ui.draft, js=SAVE_JS)
    ui.code.input(None, [ui.code, ui.draft_key, ui.draft, ui.code_saved], ui.draft,
                  js=SAVE_CODE_JS)  # fmt: skip
    ui.draft_key.change(None, [ui.draft_key, ui.answer, ui.draft], ui.draft, js=REKEY_JS)
    ui.offer_draft = offer_draft
    ui.offer_draft_inputs = [ui.draft]
    ui.offer_draft_outputs = [ui.resume_pick, ui.resume_note]
