"""The Guides tab: upload and ingest a guide, look at its sections and chunks, search it,
choose the guide interviews draw on, and delete a guide one uploaded.

A guide belongs to whoever uploaded it (id ``<user>/<file-name slug>``, with ``-2`` when
another of their files has that id): nobody else sees, searches, replaces or deletes it.
Shared guides (the built-in one, those the operator ingests with ``mock-interview ingest``)
are everyone's, so only the operator deletes them (``mock-interview guides delete``; never the
built-in one). Ingestion runs in one background worker thread, so a big guide never holds a
slot of the interview queue; the upload's event only follows its progress.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from interviewer import knowledge
from interviewer.knowledge import SUPPORTED
from interviewer.knowledge.files import guide_visible
from interviewer.markup import md_escape, plural
from interviewer.ui import render as r
from interviewer.ui.auth import user_of
from interviewer.ui.context import AppContext
from interviewer.ui.scripts import GUIDE_UPLOAD_DONE_JS, guide_upload_js

ANY_ROUND = "any"
POLL = 0.5  # seconds between progress updates of a running ingest
INGEST_WAITING = 8  # upload events that may wait on the worker at once (the rest queue)
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
_jobs: dict[str, object] = {}  # user -> the future of their running ingest
_jobs_lock = threading.Lock()
log = logging.getLogger(__name__)
NO_UPLOADS = "None yet: the built-in guide and shared ones cannot be deleted here."
# Where this browser keeps the guide picked to delete (localStorage), so that a reload, like a
# return to the tab, shows it still picked while it is there; Log out forgets it (ui/draft.py).
DELETE_CHOICE_KEY = "mock-interview-guide-delete"
# The columns of the search results and the chunks, as shares of the table's width: at the
# narrow-screen minimum width (720 px, the app's CSS) "score" (and a score of "-0.063"), "round"
# and "general" fit their columns (not "s c o r e", a letter a line, as at 8% of a phone), and
# the section column holds a word of 20 letters ("Internationalization"; the built-in guide's
# "Responsibilities" broke as "Responsibiliti/es" at 22% of 640 px), so a section name wraps
# between its words.
HIT_WIDTHS = ["10%", "26%", "12%", "52%"]
CHUNK_WIDTHS = ["30%", "12%", "58%"]


def run_ingest(ctx: AppContext, path: str, user: str, progress) -> knowledge.IngestResult:
    """Ingest ``path`` as ``user``'s guide in the background worker; ``progress(fraction,
    message)`` is called from this thread every ``POLL`` seconds until it is done. One ingest
    per user at a time (a second one is refused with a GuideError)."""
    state = {"fraction": 0.0, "message": "waiting for the ingest worker"}
    with _jobs_lock:
        running = _jobs.get(user)
        if running is not None and not running.done():
            raise knowledge.GuideError(
                Path(path).name, "your previous guide is still being ingested: wait for it"
            )
        job = _worker.submit(
            knowledge.ingest,
            [path],
            settings=ctx.settings,
            owner=user,
            progress=lambda f, m: state.update(fraction=f, message=m),
        )
        _jobs[user] = job
    while True:
        try:
            return job.result(timeout=POLL)[0]
        except FutureTimeout:
            progress(state["fraction"], state["message"])


def ingested_said(result: knowledge.IngestResult, drills: dict[str, int] | None = None) -> str:
    """The status line after an upload was ingested (Markdown, names escaped): its guide and
    chunks, and when another file of the user's held the id its name gives, that this one is a
    guide of its own (a walk-through's second file of that id silently replaced the first);
    ``drills``: its practice questions' sections by round (a walk-through's one-line upload was
    promised practice questions that Practice then had none of); a section of no one round is
    offered in both, and counted once (walk47's two-section guide read "2 questions for L1, 2
    questions for L2")."""
    said = (
        f"Ingested **{md_escape(result.guide)}**: {plural(result.total, 'chunk')} "
        f"({result.added} new, {result.unchanged} unchanged, {result.removed} removed). "
    )
    if result.taken_by is not None:
        said += (
            f"Your guide **{md_escape(result.wanted or '')}** holds another file, "
            f"{md_escape(result.taken_by)}, so this one is a guide of its own and "
            f"{md_escape(result.taken_by)} was not replaced. "
        )
    if drills is not None and not any(drills.values()):
        from interviewer.practice import MIN_SECTION_WORDS

        return said + (
            "None of its sections has enough text to practise on offline (a section needs at "
            f"least {MIN_SECTION_WORDS} words under its heading); LLM interviews can draw on it."
        )
    rounds = ""
    if drills is not None:
        offered = {rn: set(sections) for rn, sections in drills.items() if sections}
        if len(offered) > 1 and len({frozenset(v) for v in offered.values()}) == 1:
            n = len(next(iter(offered.values())))
            rounds = f" ({plural(n, 'question')}, the same in {' and '.join(offered)})"
        else:
            rounds = " (" + ", ".join(f"{plural(len(v), 'question')} for {rn}"
                                      for rn, v in offered.items()) + ")"  # fmt: skip
    return said + (
        f"Offline, its sections are practice questions{rounds} in the **Practice** tab (pick it "
        "under *Questions from*), graded against the section's text; LLM interviews can draw on "
        "it."
    )


def may_delete(guide: str | None, user: str) -> bool:
    """Whether ``user`` may delete ``guide`` in the app: their own uploads only. Never the
    built-in guide (every start builds it again), nor a shared one the operator ingested (every
    user has it: the operator deletes it with ``mock-interview guides delete``), nor another
    user's upload."""
    return bool(guide) and "/" in guide and guide_visible(guide, user)


def own_uploads(ctx: AppContext, user: str, ids: list[str] | None = None) -> list[str]:
    """Ids of the guides ``user`` uploaded in the app, those they may delete here: of ``ids``
    (the guides they see, ``ctx.visible_guides``) when the caller has listed them already. The
    Guides tab's one way to tell them (its Delete list, and Delete finding a guide gone)."""
    if ids is None:
        ids = ctx.visible_guides(user)
    return [g for g in ids if may_delete(g, user)]


@dataclass(frozen=True)
class Choices:
    """What the Guides tab's pickers offer a user now, and what each shows."""

    guides: list[str]  # Interviews draw on, Look inside a guide: shared ones, then their own
    own: list[str]  # Delete one of your uploaded guides
    view: str
    pick: str
    drop: str | None


def choices(
    ctx: AppContext,
    user: str,
    view: str | None = None,
    pick: str | None = None,
    drop: str | None = None,
    ids: list[str] | None = None,
) -> Choices:
    """The Guides tab's pickers for ``user`` now, each keeping its choice while that guide is
    still there. One deleted meanwhile (in another browser tab too) gives way: interviews draw
    on the built-in guide, the view shows the first guide, and nothing is picked to delete."""
    builtin = knowledge.BUILTIN_GUIDE_ID
    ids = ids or ctx.visible_guides(user) or [builtin]
    own = own_uploads(ctx, user, ids)
    return Choices(
        guides=ids,
        own=own,
        view=view if view in ids else ids[0],
        pick=pick if pick in ids else builtin,
        drop=drop if drop in own else None,
    )


def interview_guide(ctx: AppContext, guide: str | None, user: str) -> tuple[str, str]:
    """The guide an interview of ``user``'s draws on: ``guide`` while they still see it, else
    the built-in one, with a line saying why (Markdown; "" when nothing changed). A guide
    deleted in another browser tab stayed chosen here: its LLM interviews asked from the
    question bank, saying only that no guide passage was found."""
    builtin = knowledge.BUILTIN_GUIDE_ID
    if not guide or guide == builtin:
        return builtin, ""
    try:
        if guide in ctx.visible_guides(user):
            return guide, ""
    except Exception:  # noqa: BLE001 - a store that does not answer: the interview says so later
        log.exception("listing guides before an interview on %r failed", guide)
        return guide, ""
    return builtin, (
        f"ℹ Guide {md_escape(guide)} no longer exists (deleted in another tab?): interviews "
        f"draw on the built-in guide, {builtin}."
    )


def _refused(guide: str | None, user: str) -> str | None:
    """Why ``user`` may not delete ``guide`` here, or None."""
    if not guide:
        return "Pick one of your uploaded guides first."
    if guide == knowledge.BUILTIN_GUIDE_ID:
        return (
            f"{guide} is the built-in guide: it cannot be deleted (every start of the app builds "
            "it again, and offline interviews ask from its question bank)."
        )
    if "/" not in guide:
        return f"{guide} is shared with every user of the app: only the operator can delete it."
    if not may_delete(guide, user):  # another user's: whether it exists is not ours to say
        return f"You have no uploaded guide {guide}."
    with _jobs_lock:
        running = _jobs.get(user)
    if running is not None and not running.done():  # it may be this guide, being written
        return "Your last upload is still being ingested: wait for it, then delete."
    return None


def delete_question(ctx: AppContext, guide: str | None, user: str) -> tuple[str | None, str]:
    """The confirmation to ask before ``user`` deletes ``guide`` (Markdown), or why it cannot
    be deleted (None, the reason in one line)."""
    if why := _refused(guide, user):
        return None, why
    info = next((g for g in knowledge.list_guides(settings=ctx.settings)
                 if g["guide"] == guide), None)  # fmt: skip
    if info is None:
        return None, f"Guide {guide} no longer exists (deleted in another tab?)."
    source = f"from {md_escape(info['source'])}; " if info["source"] else ""
    return (
        f"Delete **{md_escape(guide)}** ({source}{plural(info['chunks'], 'chunk')} in "
        f"{plural(len(info['sections']), 'section')})? Interviews and Practice can no longer "
        "draw on it; your past sessions that used it stay in **Transcripts**. This cannot be "
        "undone: to get it back, upload the file again."
    ), ""


# What a Guides tab step says when the guide store (a Chroma server) does not answer (a
# walk-through saw Gradio's bare "Error" on every list, the search and the upload).
STORE_DOWN = ("The guide store is not answering (the Chroma server may be down), so the guides "
              "cannot be read now; interviews still run. Try again in a moment.")


def delete_upload(ctx: AppContext, guide: str | None, user: str) -> tuple[bool, str]:
    """Delete ``user``'s uploaded ``guide``: whether it was deleted, and what to say (one line
    of Markdown, names escaped). Sessions that used it are kept: a transcript holds its
    questions and the guide's id as text, and a resumed LLM interview asks from the bank."""
    if why := _refused(guide, user):
        return False, f"⚠ {md_escape(why)} Nothing was deleted."
    try:
        removed = knowledge.delete_guide(guide, settings=ctx.settings)
    except Exception:  # noqa: BLE001 - the store's own error (a Chroma server down) goes to the log
        log.exception("deleting guide %r failed", guide)
        return False, (
            f"⚠ The guide store did not answer, so {md_escape(guide)} was not deleted: try "
            "again in a moment."
        )
    if not removed:
        return False, f"⚠ Guide {md_escape(guide)} no longer exists (deleted in another tab?)."
    return True, f"Deleted guide **{md_escape(guide)}** ({plural(removed, 'chunk')})."


def build(ctx: AppContext, guide_state: gr.State) -> SimpleNamespace:
    """Lay out the Guides tab and wire it to the knowledge base."""
    ui = SimpleNamespace()
    builtin = knowledge.BUILTIN_GUIDE_ID
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            ui.upload = gr.File(
                label=f"Upload a guide (.txt, .md, .pdf, up to {ctx.settings.max_guide_mb:g} MB): "
                "it is ingested at once",
                file_types=sorted(SUPPORTED),
                type="filepath",
                elem_id="guide-upload",
            )
            ui.status = gr.Markdown("", elem_id="guide-status")
        with gr.Column(scale=3):
            ui.pick = gr.Dropdown(
                [builtin], value=builtin, label="Interviews draw on", elem_id="guide-pick"
            )
            ui.pick_note = gr.Markdown(
                "LLM mode writes questions from the chosen guide's passages. Offline mode always "
                "asks from the question bank of the built-in guide."
            )
            with gr.Row(equal_height=False, elem_id="guide-delete-row"):
                ui.drop = gr.Dropdown(
                    [],
                    value=None,
                    label="Delete one of your uploaded guides",
                    info=NO_UPLOADS,
                    elem_id="guide-delete-pick",
                    scale=3,
                )
                ui.delete = gr.Button(
                    "Delete guide…", variant="stop", interactive=False, scale=1,
                    elem_id="guide-delete",
                )  # fmt: skip
            # The second step: the guide named, with what goes and what stays.
            with gr.Column(
                visible=False, variant="panel", elem_id="guide-delete-confirm"
            ) as ui.confirm_box:
                ui.confirm_text = gr.Markdown("")
                with gr.Row():
                    ui.confirm = gr.Button("Yes, delete it", variant="stop", size="md", scale=0)
                    ui.cancel = gr.Button("Cancel", size="md", scale=0)
            ui.delete_status = gr.Markdown("", elem_id="guide-delete-status")
            ui.pending = gr.State(None)  # the guide the confirmation names: the one deleted
            # The Delete pick, as {"guide": id or None}: Gradio stores no falsy value, so a
            # bare None would leave the last guide picked in the browser.
            ui.kept = gr.BrowserState(None, storage_key=DELETE_CHOICE_KEY)
    gr.Markdown("### Look inside a guide")
    ui.view = gr.Dropdown([builtin], value=builtin, label="Guide", elem_id="guide-view")
    ui.sections = gr.Markdown("", elem_id="guide-sections")
    with gr.Accordion("Chunks", open=False):
        ui.chunks = gr.Dataframe(
            headers=r.CHUNK_HEADERS,
            datatype="str",
            interactive=False,
            wrap=True,
            max_height=400,
            column_widths=CHUNK_WIDTHS,
            elem_id="guide-chunks",
        )
    with gr.Row():
        ui.query = gr.Textbox(label="Search this guide", scale=4, elem_id="guide-query")
        ui.round = gr.Dropdown(
            [ANY_ROUND, "L1", "L2", "general"], value=ANY_ROUND, label="Round", scale=1
        )
        ui.search = gr.Button("Search", scale=1)
    ui.hits = gr.Dataframe(
        headers=r.HIT_HEADERS,
        datatype="str",
        column_widths=HIT_WIDTHS,
        interactive=False,
        wrap=True,
        elem_id="guide-hits",
        max_height=400,
    )

    def refresh(view, pick, user: str, drop=None, ids=None):
        now = choices(ctx, user, view, pick, drop, ids)
        return now.view, {
            ui.view: gr.Dropdown(choices=now.guides, value=now.view),
            ui.pick: gr.Dropdown(choices=now.guides, value=now.pick),
            ui.drop: gr.Dropdown(
                choices=now.own, value=now.drop, info=None if now.own else NO_UPLOADS
            ),
        }

    def focused(view, pick, drop, request: gr.Request):
        """A picker of the tab gained focus (its list opens): every picker offers the guides
        there are now, so one deleted in another browser tab is gone without a reload. A
        choice is sent only when its guide went: the one just clicked in the opening list
        must not be put back to what this event read (a Dropdown's value, sent again, is)."""
        try:
            now = choices(ctx, user_of(request), view, pick, drop)
        except Exception:  # noqa: BLE001 - the store's error goes to the log; the lists stay
            log.exception("listing guides for the Guides tab's pickers failed")
            return {ui.view: gr.skip(), ui.pick: gr.skip(), ui.drop: gr.skip()}

        def if_gone(shown, now_shown):
            return {} if shown == now_shown else {"value": now_shown}

        out = {
            ui.view: gr.Dropdown(choices=now.guides, **if_gone(view, now.view)),
            ui.pick: gr.Dropdown(choices=now.guides, **if_gone(pick, now.pick)),
            ui.drop: gr.Dropdown(
                choices=now.own, info=None if now.own else NO_UPLOADS, **if_gone(drop, now.drop)
            ),
        }
        if now.view != view:  # the guide on view went (its sections follow, ui.view.change)
            out[ui.hits] = r.hit_rows([])
        return out

    def ingest(path, view, pick, drop, request: gr.Request, progress=gr.Progress()):
        if not path:
            return {}
        user = user_of(request)
        try:
            result = run_ingest(
                ctx, path, user, lambda fraction, message: progress(fraction, desc=message)
            )
        except knowledge.GuideError as exc:
            # The message names the upload's temp path; the user knows the file by its name.
            reason = getattr(exc, "reason", str(exc))
            # The rejected file leaves the uploader, so the next one can be dropped at once.
            return {ui.status: f"⚠ {md_escape(Path(path).name)}: {md_escape(reason)}",
                    ui.upload: None}  # fmt: skip
        except Exception:  # noqa: BLE001 - the store's own error (a Chroma server down) is logged
            log.exception("ingesting an upload failed")
            return {ui.status: f"⚠ {md_escape(Path(path).name)} was not stored: {STORE_DOWN} "
                    "Upload it again then."}  # fmt: skip
        _, out = refresh(result.guide, pick, user, drop)
        from interviewer.practice import section_questions

        drills = {rn: [q.topic for q in section_questions(result.guide, rn, settings=ctx.settings)]
                  for rn in ("L1", "L2")}  # fmt: skip
        out[ui.status] = ingested_said(result, drills)
        if result.encoding == "windows-1252":
            out[ui.status] += (
                " It was read as Windows-1252 (Western European), not UTF-8: if its accents "
                "look wrong below, save the file as UTF-8 and upload it again."
            )
        # The file leaves the uploader, so the next one can be dropped at once (it kept the
        # chip of the last one, and a walk-through had to press Clear first).
        return out | {ui.upload: None}

    def show(guide, request: gr.Request):
        try:
            guides = knowledge.list_guides(settings=ctx.settings)
        except Exception:  # noqa: BLE001 - the store's own error (a Chroma server down) is logged
            log.exception("listing guides for the Guides tab failed")
            return f"⚠ {STORE_DOWN}", r.chunk_rows([])
        mine = guide if ctx.guide_allowed(guide, user_of(request)) else None
        info = next((g for g in guides if g["guide"] == mine), None)
        hits = knowledge.guide_chunks(guide, settings=ctx.settings) if info else []
        return r.guide_md(info, builtin), r.chunk_rows(hits)

    def search(query, guide, round_name, request: gr.Request):
        if not ctx.guide_allowed(guide, user_of(request)):
            return r.hit_rows([])  # never another user's guide, never all guides at once
        try:
            hits = knowledge.search(
                query or "",
                k=5,
                round=None if round_name == ANY_ROUND else round_name,
                guide=guide,
                settings=ctx.settings,
            )
        except Exception:  # noqa: BLE001 - the store's own error (a Chroma server down) is logged
            log.exception("searching the guides failed")
            gr.Warning(STORE_DOWN)
            return r.hit_rows([])
        return r.hit_rows(hits)

    def pick_guide(guide, request: gr.Request):
        return guide if ctx.guide_allowed(guide, user_of(request)) else builtin

    hide_confirm = {ui.confirm_box: gr.Column(visible=False), ui.pending: None}

    def drop_picked(guide):
        """A guide picked to delete: Delete asks about it (a confirmation left open goes); this
        browser keeps the choice for a reload."""
        return {ui.delete: gr.Button(interactive=bool(guide)),
                ui.kept: {"guide": guide}} | hide_confirm  # fmt: skip

    def ask(guide, request: gr.Request):
        """Delete pressed: name the guide and what deleting it does, or say why it cannot be."""
        try:
            question, why = delete_question(ctx, guide, user_of(request))
        except Exception:  # noqa: BLE001 - the store's own error goes to the log
            log.exception("listing guides before deleting %r failed", guide)
            question, why = None, "The guide store did not answer: try again in a moment."
        if question is None:  # (one gone meanwhile leaves the list too)
            out = {ui.delete_status: f"⚠ {md_escape(why)}"} | hide_confirm
            with contextlib.suppress(Exception):
                own = own_uploads(ctx, user_of(request))
                out[ui.drop] = gr.Dropdown(choices=own, value=guide if guide in own else None)
            return out
        return {
            ui.confirm_text: question,
            ui.confirm_box: gr.Column(visible=True),
            ui.pending: guide,
            ui.delete_status: "",
        }

    def confirmed(guide, view, pick, drop, request: gr.Request):
        """Yes pressed: delete the guide the confirmation named; every guide list here follows
        (the Practice tab's is refreshed after this, see ``interviewer.ui``)."""
        if not guide:  # a second press of Yes: the first one closed the confirmation
            return {ui.delete_status: gr.skip()}
        user = user_of(request)
        deleted, said = delete_upload(ctx, guide, user)
        out = {ui.delete_status: said} | hide_confirm
        try:
            ids = ctx.visible_guides(user) or [builtin]
        except Exception:  # noqa: BLE001 - the store's own error goes to the log
            log.exception("listing guides after deleting %r failed", guide)
            return out
        new_view, lists = refresh(view, pick, user, None if deleted else drop, ids)
        out |= lists
        if deleted:  # the last upload's "Ingested ..." may name the guide that went
            out[ui.status] = ""
        if pick not in ids:  # interviews in this browser draw on the built-in guide again
            out[guide_state] = builtin
        if new_view != view:  # the guide on view went (its sections follow, ui.view.change)
            out[ui.hits] = r.hit_rows([])
        return out

    def cancelled():
        return {ui.delete_status: "Nothing was deleted."} | hide_confirm

    # Its own queue: an ingest waits on the worker without holding an interview's slot.
    ui.upload.upload(
        ingest,
        [ui.upload, ui.view, ui.pick, ui.drop],
        [ui.status, ui.view, ui.pick, ui.drop, ui.upload],
        concurrency_id="ingest",
        concurrency_limit=INGEST_WAITING,
    ).then(None, None, None, js=GUIDE_UPLOAD_DONE_JS).then(show, ui.view, [ui.sections, ui.chunks])
    ui.view.change(show, ui.view, [ui.sections, ui.chunks])
    for trigger in (ui.search.click, ui.query.submit):
        trigger(search, [ui.query, ui.view, ui.round], ui.hits)
    ui.pick.change(pick_guide, ui.pick, guide_state)
    confirm_outputs = [ui.confirm_box, ui.pending]
    ui.drop.change(drop_picked, ui.drop, [ui.delete, ui.kept, *confirm_outputs])
    pickers = [ui.view, ui.pick, ui.drop]
    for picker in pickers:  # (no progress shown: it flashed over every picker and the results)
        picker.focus(focused, pickers, [*pickers, ui.hits], show_progress="hidden")
    ui.delete.click(ask, ui.drop, [ui.confirm_text, ui.delete_status, ui.drop, *confirm_outputs])
    ui.deleted = ui.confirm.click(
        confirmed,
        [ui.pending, ui.view, ui.pick, ui.drop],
        [ui.delete_status, *confirm_outputs, ui.view, ui.pick, ui.drop, guide_state,
         ui.status, ui.hits],
    )  # fmt: skip
    ui.cancel.click(cancelled, None, [ui.delete_status, *confirm_outputs])

    def load(view, pick, kept, request: gr.Request):
        """The tab opened: its lists as they are now, each keeping its choice while that
        guide is there; the guide picked to delete too (``kept``: this browser's, so a reload
        keeps it as well; it used to start over each time)."""
        drop = kept.get("guide") if isinstance(kept, dict) else None
        try:
            view, out = refresh(view, pick, user_of(request), drop)
        except Exception:  # noqa: BLE001 - the store's own error (a Chroma server down) is logged
            log.exception("listing guides for the Guides tab failed")  # the lists stay
            return {ui.sections: f"⚠ {STORE_DOWN}", ui.chunks: r.chunk_rows([])}
        sections, chunks = show(view, request)
        return out | {ui.sections: sections, ui.chunks: chunks}

    ui.load, ui.focused = load, focused
    ui.run_search, ui.run_ingest = search, ingest  # (the tests call them as the buttons do)
    ui.upload_js = guide_upload_js(ctx.settings.max_guide_bytes, sorted(SUPPORTED))
    ui.load_inputs = [ui.view, ui.pick, ui.kept]
    ui.load_outputs = [ui.view, ui.pick, ui.drop, ui.sections, ui.chunks]
    return ui
