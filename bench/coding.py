"""Submission-to-result latency of coding questions, printed as JSON.

For a simple question (max subarray, numpy only) and a pandas question (no-loop transform):
``grade_submission`` (what the app calls on submit: ruff, AST, hidden tests and growth in the
sandbox) and ``run_submission`` on the visible tests (the "run my tests" button). Run with
``.venv/bin/python bench/coding.py [--runs 20]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interviewer.bank import load_bank  # noqa: E402
from interviewer.coding.grade import grade_submission  # noqa: E402
from interviewer.coding.harness import run_submission  # noqa: E402
from interviewer.coding.sandbox import resolve_mode  # noqa: E402

QUESTIONS = {"simple": "l1-code-max-subarray", "pandas": "l1-code-pandas-no-loop-transform"}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _measure(fn, runs: int) -> dict:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return {
        "runs": runs,
        "p50_s": round(statistics.median(times), 3),
        "p95_s": round(_percentile(times, 0.95), 3),
        "max_s": round(max(times), 3),
    }


def main() -> None:
    """Measure and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    bank = {q.id: q for q in load_bank().values() if q.kind == "coding"}
    report: dict = {"sandbox": resolve_mode("auto"), "questions": {}}
    for label, qid in QUESTIONS.items():
        spec = bank[qid].coding
        code = spec.reference
        first = grade_submission(qid, spec, code)  # warm-up, and a sanity check
        assert first.verdict == "correct", first
        report["questions"][label] = {
            "id": qid,
            "grade": _measure(lambda s=spec, c=code, q=qid: grade_submission(q, s, c), args.runs),
            "visible_run": _measure(
                lambda s=spec, c=code: run_submission(s, c, which="visible"), args.runs
            ),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
