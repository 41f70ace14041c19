"""Benchmarks, printed as JSON: offline grading throughput (batched, cold and warm rubric cache),
ingest time and retrieval latency. Run with `make bench`."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interviewer.bank import default_bank  # noqa: E402
from interviewer.config import Settings  # noqa: E402
from interviewer.evaluation.runner import load_labelled  # noqa: E402
from interviewer.grader import OfflineGrader, Rubric  # noqa: E402


def bench_grading() -> dict:
    bank = default_bank()
    rows = [r for r in load_labelled() if r["question_id"] in bank]
    items = [(Rubric.from_question(bank[r["question_id"]]), r["answer"]) for r in rows]
    grader = OfflineGrader()
    grader.grade_many(items[:5])  # load the model
    grader._cache.clear()
    start = time.perf_counter()
    grader.grade_many(items)
    cold = time.perf_counter() - start
    # New answers to questions whose rubric is already embedded: the steady state of a server.
    fresh = [(rub, ans + " In short, that is my answer.") for rub, ans in items]
    start = time.perf_counter()
    grader.grade_many(fresh)
    warm = time.perf_counter() - start
    return {
        "answers": len(items),
        "cold_seconds": round(cold, 2),
        "cold_answers_per_second": round(len(items) / cold, 1),
        "warm_seconds": round(warm, 2),
        "warm_answers_per_second": round(len(items) / warm, 1),
    }


def bench_knowledge() -> dict:
    import knowledge

    with tempfile.TemporaryDirectory() as d:
        settings = Settings.from_env({"INTERVIEWER_DATA_DIR": d})
        start = time.perf_counter()
        [res] = knowledge.ingest(settings=settings)
        ingest = time.perf_counter() - start
        start = time.perf_counter()
        knowledge.ingest(settings=settings)
        reingest = time.perf_counter() - start
        queries = [q.text for q in default_bank().values()]
        start = time.perf_counter()
        for q in queries:
            knowledge.search(q, k=4, settings=settings)
        search = (time.perf_counter() - start) / len(queries)
    return {
        "chunks": res.total,
        "ingest_seconds": round(ingest, 2),
        "reingest_unchanged_seconds": round(reingest, 2),
        "search_ms_per_query": round(1000 * search, 1),
    }


if __name__ == "__main__":
    out = {
        "grading": bench_grading(),
        "knowledge": bench_knowledge(),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(out, indent=2))
