"""Gradio building blocks of the web app; callbacks only call the engine and render its result."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from interviewer.config import Settings  # noqa: E402


def build_app(settings: Settings) -> gr.Blocks:
    """The app: for now a knowledge-base search page (the interview tabs come with the UI issue)."""
    import knowledge

    def run_search(query: str, round_name: str):
        hits = knowledge.search(
            query, k=4, round=None if round_name == "any" else round_name, settings=settings
        )
        return [[f"{h.score:.3f}", h.section, h.round, h.text] for h in hits]

    with gr.Blocks(title="mock-interview") as demo:
        gr.Markdown("# mock-interview\nSearch the Persistent Systems ML Engineer interview guide.")
        with gr.Row():
            query = gr.Textbox(label="Query", scale=4)
            round_name = gr.Dropdown(["any", "L1", "L2", "general"], value="any", label="Round")
        results = gr.Dataframe(headers=["score", "section", "round", "text"], wrap=True)
        query.submit(run_search, [query, round_name], results)
    return demo


def launch(settings: Settings | None = None) -> None:
    """Build the knowledge base if missing, then serve the app on the configured host and port."""
    import knowledge

    settings = settings or Settings.from_env()
    knowledge.ensure_builtin(settings=settings)
    build_app(settings).queue(default_concurrency_limit=2, max_size=64).launch(
        server_name=settings.host, server_port=settings.port, share=False, show_error=True
    )
