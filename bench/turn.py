"""One candidate's turn latency through the real app, printed as JSON: the app is started on a
free port (offline, its own data dir, the knowledge base and rubric vectors built first, as
`make run` leaves them), and one candidate answers 2 x 10 questions through the app's API; each
answer is timed from send to the graded reply. Twice, each on a fresh app: reading the event
stream as a browser does (``bench/sse.py``), and with gradio_client, whose 50 ms polling adds to
every call. Next to them: the time the grader alone takes on the same answers, so the difference
is what the app adds.

    python bench/turn.py [--answers 20]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.ui_support

from interviewer import knowledge  # noqa: E402
from interviewer.bank import default_bank  # noqa: E402
from interviewer.config import Settings  # noqa: E402
from interviewer.engine import warm_up  # noqa: E402
from interviewer.evaluation.runner import load_labelled  # noqa: E402
from interviewer.grading.embeddings import VectorCache  # noqa: E402
from interviewer.grading.grader import OfflineGrader  # noqa: E402
from tests.ui_support import running_app  # noqa: E402


def stats(values: list[float]) -> dict:
    """p50/p95/max in milliseconds."""
    arr = np.asarray(values) * 1000
    return {
        "n": len(values),
        "p50_ms": round(float(np.percentile(arr, 50)), 1),
        "p95_ms": round(float(np.percentile(arr, 95)), 1),
        "max_ms": round(float(arr.max()), 1),
    }


def interview(predict, answers: list[str]) -> list[float]:
    """One candidate answers ``answers`` in 10-question L1 interviews through ``predict``
    (``api_name``, kwargs -> (outputs, seconds)); the seconds of each answer. Every answer must
    come back graded (the chat is sent back with it), or this stops: a refused answer (too many
    in a minute, say) is a status line only, and not a turn."""
    predict("/send", text="hello")  # no interview yet: warms the route
    turns: list[float] = []
    while len(turns) < len(answers):
        predict("/start", round_name="L1", questions=10, feedback="each", real=False,
                coding=False, mode="offline", running="")  # fmt: skip
        for _ in range(10):
            if len(turns) == len(answers):
                break
            out, seconds = predict("/send", text=answers[len(turns)])
            chat = out[0]
            if not (isinstance(chat, list) and chat and chat[0].get("role") == "user"):
                raise SystemExit(f"answer {len(turns) + 1} was not graded: {out}")
            turns.append(seconds)
    return turns


def through_sse(url: str, answers: list[str]) -> list[float]:
    """The app's API as a browser uses it (bench/sse.py)."""
    from bench.sse import SSEClient

    client = SSEClient(url)
    try:
        return interview(lambda api, **kw: client.predict(api_name=api, **kw), answers)
    finally:
        client.close()


def through_gradio_client(url: str, answers: list[str]) -> list[float]:
    """The app's API through gradio_client (which polls for each event every 50 ms)."""
    from gradio_client import Client

    client = Client(url, verbose=False)

    def predict(api: str, **kw):
        start = time.perf_counter()
        out = client.predict(api_name=api, **kw)
        return out, time.perf_counter() - start

    try:
        return interview(predict, answers)
    finally:
        client.close()


def main() -> None:
    """Measure and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20,
                        help="answers per client (the app takes 20 a minute from one user)")
    args = parser.parse_args()

    answers = [r["answer"] for r in load_labelled() if r["label"] >= 3][: args.answers]
    report: dict = {"machine": {"cpus": os.cpu_count()}}
    with tempfile.TemporaryDirectory(prefix="turn-bench-") as tmp:
        kb = Path(tmp) / "kb"
        settings = Settings.from_env({"INTERVIEWER_DATA_DIR": str(kb)})
        knowledge.ingest(settings=settings)
        grader = OfflineGrader(vector_cache=VectorCache.in_data_dir(settings))
        warm_up(grader, default_bank(), background=False)
        # Grade-only: the same answers against bank rubrics, one at a time, as a turn does.
        rubrics = [q.rubric() for q in default_bank().values() if q.kind == "spoken"]
        grade_only = []
        for i, a in enumerate(answers):
            start = time.perf_counter()
            grader.grade_many([(rubrics[i % len(rubrics)], a)])
            grade_only.append(time.perf_counter() - start)
        # A fresh app for each client: the app keeps answers' vectors in memory, so a second
        # client sending the same answers to the same app would be measured on a warm cache.
        for name, drive in (("sse", through_sse), ("gradio_client", through_gradio_client)):
            with running_app(Path(tmp) / name, kb) as (url, _, _):
                turns = drive(url, answers)
            report[f"answer_to_graded_reply_{name}"] = stats(turns[1:])
            report[f"first_answer_ms_{name}"] = round(turns[0] * 1000, 1)
    report["grade_only"] = stats(grade_only)
    report["target_p95_ms"] = 300
    report["machine"]["loadavg"] = list(os.getloadavg())
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
