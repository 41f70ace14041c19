"""The Gradio app: Interview, Practice, Transcripts, Progress and Guides tabs.

The tabs live in ``interview``, ``practice``, ``history`` and ``guides``; this module
puts them together, wires what crosses tabs, and launches with the deployment defaults (local
address, optional login, no share link, no analytics, bounded uploads and queue).
"""

from __future__ import annotations

import os
from pathlib import Path

# Before gradio is imported: no analytics, no version check, no Hugging Face telemetry.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

from interviewer.config import Settings  # noqa: E402
from interviewer.markup import md_escape  # noqa: E402
from interviewer.ui.context import AppContext, parse_auth, user_of  # noqa: E402

CONCURRENCY_LIMIT = 2  # grading and embedding are CPU-bound; more at once only queues in torch
QUEUE_MAX_SIZE = 64
CACHE_CLEANUP = (3600, 3600)  # exported and uploaded files leave the cache after an hour

CSS = """
#scorecard { max-height: 640px; overflow-y: auto; }
#question-timer { font-size: 1.1rem; min-height: 1.5rem; }
"""


def build_app(settings: Settings, ctx: AppContext | None = None) -> gr.Blocks:
    """The whole app as a Blocks object (not launched)."""
    from interviewer.knowledge import BUILTIN_GUIDE_ID
    from interviewer.ui import guides as ui_guides
    from interviewer.ui import history as ui_history
    from interviewer.ui import interview as ui_interview
    from interviewer.ui import practice as ui_practice

    ctx = ctx or AppContext.create(settings)
    with gr.Blocks(
        title="mock-interview",
        analytics_enabled=False,
        delete_cache=CACHE_CLEANUP,
    ) as demo:
        with gr.Row():
            gr.Markdown(
                "# mock-interview\nMock Machine Learning Engineer interviews for Persistent "
                "Systems, graded against a rubric."
            )
            who = gr.Markdown("", elem_id="signed-in")
            if settings.auth:
                gr.Button("Log out", link="/logout", size="sm", scale=0)
        guide_state = gr.State(BUILTIN_GUIDE_ID)
        with gr.Tabs() as tabs:
            with gr.Tab("Interview", id="interview"):
                interview = ui_interview.build(ctx, guide_state)
            with gr.Tab("Practice", id="practice"):
                practice = ui_practice.build(ctx)
            with gr.Tab("Transcripts", id="transcripts") as transcripts_tab:
                transcripts = ui_history.build_transcripts(ctx)
            with gr.Tab("Progress", id="progress") as progress_tab:
                progress = ui_history.build_progress(ctx)
            with gr.Tab("Guides", id="guides") as guides_tab:
                guides = ui_guides.build(ctx, guide_state)

        def signed_in(request: gr.Request):
            return f"Signed in as **{md_escape(user_of(request))}**" if settings.auth else ""

        # Each tab reads the store again when opened, so it shows what other tabs just did.
        transcripts_tab.select(transcripts.refresh, None, transcripts.outputs)
        progress_tab.select(progress.refresh, None, progress.outputs)
        guides_tab.select(guides.load, guides.load_inputs, guides.load_outputs)

        def drill(topic):
            from interviewer.bank import TOPICS

            if topic not in TOPICS:  # nothing picked: stay on Progress
                return gr.Tabs(), gr.Radio(), gr.Dropdown()
            round_name = TOPICS[topic][0]
            return (
                gr.Tabs(selected="practice"),
                round_name,
                gr.Dropdown(choices=ui_practice.topic_options(round_name), value=topic),
            )

        progress.drill.click(drill, progress.topic, [tabs, practice.round, practice.topic]).then(
            practice.new_question, [practice.round, practice.topic, practice.qid], practice.outputs
        )

        demo.load(signed_in, None, who)
        demo.load(interview.load, None, interview.load_outputs)
    return demo


def launch_kwargs(settings: Settings) -> dict:
    """The deployment defaults of ``launch``."""
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "share": False,
        "auth": parse_auth(settings.auth),
        "auth_message": "mock-interview: sign in to see your own sessions.",
        "max_file_size": settings.max_guide_bytes,
        # Never serve the data dir (database, Chroma), whatever a callback returns.
        "blocked_paths": [str(Path(settings.data_dir).resolve())],
        "show_error": False,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "run_history": False,
        "footer_links": ["settings"],
        "theme": gr.themes.Default(),
        "css": CSS,
    }


def launch(settings: Settings, **overrides) -> None:
    """Build the knowledge base if missing, then serve the app on the configured host and port."""
    from interviewer import knowledge

    kwargs = launch_kwargs(settings) | overrides  # fail on a bad INTERVIEWER_AUTH before work
    knowledge.ensure_builtin(settings=settings)
    app = build_app(settings)
    app.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_MAX_SIZE)
    app.launch(**kwargs)
