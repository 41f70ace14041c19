"""Benchmarks, printed as JSON: offline grading throughput (batched; cold, with rubric vectors on
disk, and with them in memory), ingest time and retrieval latency. Run with `make bench`."""

from __future__ import annotations

import json
import resource
import tempfile
import time
from pathlib import Path

from interviewer.bank import default_bank
from interviewer.config import Settings
from interviewer.evaluation.runner import load_labelled
from interviewer.grading.embeddings import VectorCache
from interviewer.grading.grader import OfflineGrader


def bench_grading() -> dict:
    """Batched offline grading of the 315 labelled answers (45 questions).

    cold: a fresh grader, nothing embedded yet (the first `mock-interview grade` run).
    disk: a fresh grader whose rubric vectors are in the on-disk cache (a later run).
    steady: the rubrics already in memory, every answer new (a running app, a second batch).
    """
    bank = default_bank()
    rows = [r for r in load_labelled() if r["question_id"] in bank]
    items = [(bank[r["question_id"]].rubric(), r["answer"]) for r in rows]
    OfflineGrader().grade_many([(items[0][0], "Load the model first.")])
    out = {"answers": len(items)}
    with tempfile.TemporaryDirectory() as d:
        disk = VectorCache(Path(d) / "vector_cache.sqlite")
        for name in ("cold", "disk", "steady"):
            grader = OfflineGrader(vector_cache=disk)
            if name == "steady":
                grader.prime(rub for rub, _ in items)
            start = time.perf_counter()
            grader.grade_many(items)
            seconds = time.perf_counter() - start
            out[f"{name}_seconds"] = round(seconds, 2)
            out[f"{name}_answers_per_second"] = round(len(items) / seconds, 1)
    return out


def bench_knowledge() -> dict:
    from interviewer import knowledge

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
