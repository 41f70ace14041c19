"""The Guides tab: upload and ingest a guide, look at its sections and chunks, search it, and
choose the guide interviews draw on.

A guide belongs to whoever uploaded it (id ``<user>/<file-name slug>``): nobody else sees,
searches or replaces it. Shared guides (the built-in one, those the operator ingests with
``mock-interview ingest``) are everyone's. Ingestion runs in one background worker thread,
so a big guide never holds a slot of the interview queue; the upload's event only follows its
progress.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from interviewer import knowledge
from interviewer.knowledge import SUPPORTED
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
            column_widths=["30%", "8%", "62%"],
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
        column_widths=["8%", "24%", "8%", "60%"],
        interactive=False,
        wrap=True,
        elem_id="guide-hits",
        max_height=400,
    )

    def refresh(view, pick, user: str):
        ids = ctx.visible_guides(user) or [builtin]
        view = view if view in ids else ids[0]
        return view, {
            ui.view: gr.Dropdown(choices=ids, value=view),
            ui.pick: gr.Dropdown(choices=ids, value=pick if pick in ids else builtin),
        }

    def ingest(path, view, pick, request: gr.Request, progress=gr.Progress()):
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
        _, out = refresh(result.guide, pick, user)
        out[ui.status] = (
            f"Ingested **{md_escape(result.guide)}**: {plural(result.total, 'chunk')} "
            f"({result.added} new, {result.unchanged} unchanged, {result.removed} removed). "
            "Offline, its sections are practice questions in the **Practice** tab (pick it under "
            "*Questions from*), graded against the section's text; LLM interviews can draw on it."
        )
        if result.encoding == "windows-1252":
            out[ui.status] += (
                " It was read as Windows-1252 (Western European), not UTF-8: if its accents "
                "look wrong below, save the file as UTF-8 and upload it again."
            )
        # The file leaves the uploader, so the next one can be dropped at once (it kept the
        # chip of the last one, and a walk-through had to press Clear first).
        return out | {ui.upload: None}

    def show(guide, request: gr.Request):
        guides = knowledge.list_guides(settings=ctx.settings)
        mine = guide if ctx.guide_allowed(guide, user_of(request)) else None
        info = next((g for g in guides if g["guide"] == mine), None)
        hits = knowledge.guide_chunks(guide, settings=ctx.settings) if info else []
        return r.guide_md(info, builtin), r.chunk_rows(hits)

    def search(query, guide, round_name, request: gr.Request):
        if not ctx.guide_allowed(guide, user_of(request)):
            return r.hit_rows([])  # never another user's guide, never all guides at once
        hits = knowledge.search(
            query or "",
            k=5,
            round=None if round_name == ANY_ROUND else round_name,
            guide=guide,
            settings=ctx.settings,
        )
        return r.hit_rows(hits)

    def pick_guide(guide, request: gr.Request):
        return guide if ctx.guide_allowed(guide, user_of(request)) else builtin

    # Its own queue: an ingest waits on the worker without holding an interview's slot.
    ui.upload.upload(
        ingest,
        [ui.upload, ui.view, ui.pick],
        [ui.status, ui.view, ui.pick, ui.upload],
        concurrency_id="ingest",
        concurrency_limit=INGEST_WAITING,
    ).then(None, None, None, js=GUIDE_UPLOAD_DONE_JS).then(show, ui.view, [ui.sections, ui.chunks])
    ui.view.change(show, ui.view, [ui.sections, ui.chunks])
    for trigger in (ui.search.click, ui.query.submit):
        trigger(search, [ui.query, ui.view, ui.round], ui.hits)
    ui.pick.change(pick_guide, ui.pick, guide_state)

    def load(view, pick, request: gr.Request):
        view, out = refresh(view, pick, user_of(request))
        sections, chunks = show(view, request)
        return out | {ui.sections: sections, ui.chunks: chunks}

    ui.load = load
    ui.upload_js = guide_upload_js(ctx.settings.max_guide_bytes, sorted(SUPPORTED))
    ui.load_inputs = [ui.view, ui.pick]
    ui.load_outputs = [ui.view, ui.pick, ui.sections, ui.chunks]
    return ui
