"""Thin entry point: build the Gradio app from ``interviewer`` and launch it (the same as
``mock-interview app``)."""

import sys

from interviewer.cli import main

if __name__ == "__main__":
    sys.exit(main(["app", *sys.argv[1:]]))  # ("app.py --help" started the app)
