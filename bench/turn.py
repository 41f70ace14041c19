"""One candidate's turn latency through the real app, printed as JSON: the app is started on a
free port (offline, its own data dir, the knowledge base and rubric vectors built first, as
`make run` leaves them), and one candidate answers 2 x 10 questions through the app's API with
gradio_client; each answer is timed from send to the graded reply. Next to it: the time the
grader alone takes on the same answers, so the difference is what the app adds.

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


def main() -> None:
    """Measure and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20)
    args = parser.parse_args()
    from gradio_client import Client

    answers = [r["answer"] for r in load_labelled() if r["label"] >= 3][: args.answers]
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
        with running_app(Path(tmp) / "app", kb) as (url, _, _):
            client = Client(url, verbose=False)
            client.predict("hello", api_name="/send")  # no interview yet: warms the route
            turns = []
            done = 0
            while done < len(answers):
                client.predict(round_name="L1", questions=10, feedback="each", real=False,
                               coding=False, mode="offline", running="",
                               api_name="/start")  # fmt: skip
                for _ in range(10):
                    if done == len(answers):
                        break
                    start = time.perf_counter()
                    client.predict(text=answers[done], api_name="/send")
                    turns.append(time.perf_counter() - start)
                    done += 1
    first = turns[0]
    print(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "loadavg": list(os.getloadavg())},
                "answer_to_graded_reply": stats(turns[1:]),
                "first_answer_ms": round(first * 1000, 1),
                "grade_only": stats(grade_only),
                "target_p95_ms": 300,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
