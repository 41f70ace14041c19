"""Thin entry point: build the Gradio app from ``interviewer`` and launch it."""

from interviewer.ui import launch

if __name__ == "__main__":
    launch()
