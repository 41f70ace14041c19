"""Test hooks for a probe's subprocess, set by environment variables and installed before the
product runs (``python -c "import tests.security.hooks as h; h.run(['app'])"``). They change
when things happen, never what the product does with them:

- ``MI_TEST_PUBLIC_IPS=1``: Gradio's URL check takes every address for a public one, as if the
  test's local server were any host on the internet (what the open-proxy probe exploits).
- ``MI_TEST_PAUSE_AT_JUDGE=N`` with ``MI_TEST_MARKER=path``: the N-th grading of the process
  writes the marker and waits forever, so a probe kills the process at that exact moment.
- ``MI_TEST_HASH_EMBEDDINGS=1``: guide ingestion embeds with a fast stand-in (thousands of
  chunks in seconds); ``MI_TEST_INGEST_GATE=path``: an ingest of a guide whose id contains
  "gated" waits until that file exists, so a probe can act while it runs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def install() -> None:
    """Install the hooks the environment asks for."""
    if os.environ.get("MI_TEST_PUBLIC_IPS") == "1":
        import safehttpx

        safehttpx.is_public_ip = lambda ip: True

    if os.environ.get("MI_TEST_PAUSE_AT_JUDGE"):
        from interviewer.interview import Interview

        pause_at = int(os.environ["MI_TEST_PAUSE_AT_JUDGE"])
        marker = Path(os.environ["MI_TEST_MARKER"])
        real = Interview._judge
        calls = {"n": 0}

        def judge(self, turn, answer):
            calls["n"] += 1
            if calls["n"] == pause_at:
                marker.write_text(f"{self.info.id}\n{turn.index}\n", encoding="utf-8")
                while True:  # the probe kills us here
                    time.sleep(60)
            return real(self, turn, answer)

        Interview._judge = judge

    if os.environ.get("MI_TEST_HASH_EMBEDDINGS") == "1" or os.environ.get("MI_TEST_INGEST_GATE"):
        from interviewer.knowledge import ingestion

        from tests.security.support import HashEmbeddings

        if os.environ.get("MI_TEST_HASH_EMBEDDINGS") == "1":
            ingestion.get_embeddings = lambda settings: HashEmbeddings()
        gate = os.environ.get("MI_TEST_INGEST_GATE")
        if gate:
            real_store = ingestion._store

            def store(guides, settings, report):
                if any("gated" in g.id for g in guides):
                    report(0.0, "waiting at the test gate")
                    while not Path(gate).exists():
                        time.sleep(0.1)
                return real_store(guides, settings, report)

            ingestion._store = store


def run(argv: list[str]) -> None:
    """Install the hooks, then run ``mock-interview`` with ``argv``."""
    install()
    from interviewer.cli import main

    sys.exit(main(argv))
