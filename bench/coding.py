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
    report["reference_headroom"] = reference_headroom(bank)
    print(json.dumps(report, indent=2))


HEADROOM_TARGET = 0.6  # of a test's CPU limit: a reference needing more is close to flaky


def reference_headroom(bank: dict) -> dict:
    """The largest share of a hidden test's CPU time limit each reference solution uses (a
    reference near its limit would fail correct answers on a slower or busier host)."""
    shares = {}
    for qid, entry in sorted(bank.items()):
        spec = entry.coding
        limit = {t.name: t.time_limit_s or spec.time_limit_s for t in spec.tests("all")}
        result = run_submission(spec, spec.reference, which="all")
        assert result.passed == len(result.tests), (qid, result.problem)
        worst = max(result.tests, key=lambda t: t.cpu_seconds / limit[t.name])
        shares[qid] = {
            "test": worst.name,
            "cpu_seconds": round(worst.cpu_seconds, 3),
            "share_of_limit": round(worst.cpu_seconds / limit[worst.name], 3),
        }
    top = max(shares.values(), key=lambda v: v["share_of_limit"])
    return {
        "target": HEADROOM_TARGET,
        "worst_share_of_limit": top["share_of_limit"],
        "over_target": sorted(
            q for q, v in shares.items() if v["share_of_limit"] > HEADROOM_TARGET
        ),
        "questions": shares,
    }


if __name__ == "__main__":
    main()
