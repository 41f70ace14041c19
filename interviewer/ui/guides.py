"""The Guides tab: upload and ingest a guide, look at its sections and chunks, search it, and
choose the guide interviews draw on."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from interviewer import knowledge
from interviewer.knowledge import SUPPORTED, guide_id
from interviewer.markup import md_escape
from interviewer.ui import render as r
from interviewer.ui.context import AppContext

ANY_ROUND = "any"


def build(ctx: AppContext, guide_state: gr.State) -> SimpleNamespace:
    """Lay out the Guides tab and wire it to the knowledge base."""
    ui = SimpleNamespace()
    builtin = knowledge.BUILTIN_GUIDE_ID
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            ui.upload = gr.File(
                label="Upload a guide (.txt, .md, .pdf): it is ingested at once",
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

    def guide_ids() -> list[str]:
        return [g["guide"] for g in knowledge.list_guides(settings=ctx.settings)]

    def refresh(view, pick):
        ids = guide_ids() or [builtin]
        view = view if view in ids else ids[0]
        return view, {
            ui.view: gr.Dropdown(choices=ids, value=view),
            ui.pick: gr.Dropdown(choices=ids, value=pick if pick in ids else builtin),
        }

    def ingest(path, view, pick, progress=gr.Progress()):
        if not path:
            return {}
        if guide_id(Path(path)) == builtin:
            return {ui.status: "⚠ That file name is the built-in guide's; rename the file."}
        try:
            result = knowledge.ingest(
                [path],
                settings=ctx.settings,
                progress=lambda fraction, message: progress(fraction, desc=message),
            )[0]
        except knowledge.GuideError as exc:
            # The message names the upload's temp path; the user knows the file by its name.
            reason = getattr(exc, "reason", str(exc))
            return {ui.status: f"⚠ {md_escape(Path(path).name)}: {md_escape(reason)}"}
        _, out = refresh(result.guide, pick)
        out[ui.status] = (
            f"Ingested **{md_escape(result.guide)}**: {result.total} chunks "
            f"({result.added} new, {result.unchanged} unchanged, {result.removed} removed)."
        )
        return out

    def show(guide):
        guides = knowledge.list_guides(settings=ctx.settings)
        info = next((g for g in guides if g["guide"] == guide), None)
        hits = knowledge.guide_chunks(guide, settings=ctx.settings) if info else []
        return r.guide_md(info, builtin), r.chunk_rows(hits)

    def search(query, guide, round_name):
        hits = knowledge.search(
            query or "",
            k=5,
            round=None if round_name == ANY_ROUND else round_name,
            guide=guide or None,
            settings=ctx.settings,
        )
        return r.hit_rows(hits)

    ui.upload.upload(
        ingest,
        [ui.upload, ui.view, ui.pick],
        [ui.status, ui.view, ui.pick],
        concurrency_id="ingest",
    ).then(show, ui.view, [ui.sections, ui.chunks])
    ui.view.change(show, ui.view, [ui.sections, ui.chunks])
    for trigger in (ui.search.click, ui.query.submit):
        trigger(search, [ui.query, ui.view, ui.round], ui.hits)
    ui.pick.change(lambda g: g, ui.pick, guide_state)

    def load(view, pick):
        view, out = refresh(view, pick)
        sections, chunks = show(view)
        return out | {ui.sections: sections, ui.chunks: chunks}

    ui.load = load
    ui.load_inputs = [ui.view, ui.pick]
    ui.load_outputs = [ui.view, ui.pick, ui.sections, ui.chunks]
    return ui
