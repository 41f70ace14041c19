"""Benchmarks, printed as JSON: offline grading throughput (batched; cold, with rubric vectors on
disk, and with them in memory), ingest time and retrieval latency. Run with `make bench`."""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from interviewer.bank import default_bank
from interviewer.config import Settings
from interviewer.evaluation.runner import load_labelled
from interviewer.grading import text as tu
from interviewer.grading.embeddings import VectorCache
from interviewer.grading.grader import OfflineGrader


def bench_grading(steady_runs: int = 5) -> dict:
    """Batched offline grading of the 315 labelled answers (45 questions).

    cold: a fresh grader, nothing embedded yet (the first `mock-interview grade` run).
    disk: a fresh grader whose rubric vectors are in the on-disk cache (a later run).
    steady: the rubrics already in memory, every answer new (a running app, a second batch);
    the median of ``steady_runs`` runs, each with a fresh grader (one run on a shared machine
    moved by +-15% from one run to the next), with every run's rate beside it.

    Before each run the caches keyed by whole texts (sentences, clauses, words and stems of a
    text) are emptied, so no answer's own text is found split already; caches keyed by a single
    word (stems, rarity) stay warm, as in a running app.
    """
    bank = default_bank()
    rows = [r for r in load_labelled() if r["question_id"] in bank]
    items = [(bank[r["question_id"]].rubric(), r["answer"]) for r in rows]
    OfflineGrader().grade_many([(items[0][0], "Load the model first.")])
    out = {"answers": len(items)}
    with tempfile.TemporaryDirectory() as d:
        disk = VectorCache(Path(d) / "vector_cache.sqlite")
        for name in ("cold", "disk") + ("steady",) * steady_runs:
            tu.clear_text_caches()
            grader = OfflineGrader(vector_cache=disk)
            if name == "steady":
                grader.prime(rub for rub, _ in items)
            start = time.perf_counter()
            grader.grade_many(items)
            seconds = time.perf_counter() - start
            out.setdefault(f"{name}_seconds", []).append(seconds)
    for name in ("cold", "disk", "steady"):
        runs = sorted(out[f"{name}_seconds"])
        out[f"{name}_seconds"] = round(statistics.median(runs), 2)
        out[f"{name}_answers_per_second"] = round(len(items) / statistics.median(runs), 1)
        if len(runs) > 1:
            out[f"{name}_answers_per_second_range"] = [round(len(items) / s, 1) for s in runs[::-1]]
    return out


def bench_exemplar_grading(steady_runs: int = 3) -> dict:
    """Grading with graded exemplars (``grade``'s ``examples``; the exemplar path): a fifth of each
    SAF train question's answers (360), each graded with the question's other answers (~66) as
    exemplars, in one batch, the rubrics in memory. cold: a fresh grader (the exemplars embedded
    too); steady: the same grader again with every answer new, the exemplars' vectors in memory
    (they are still analysed and the question's own models fitted once per call). The median
    of ``steady_runs`` runs."""
    from interviewer.evaluation.datasets import load_saf
    from interviewer.grading.rubric import Rubric

    by_q: dict[str, list[dict]] = {}
    for r in load_saf("train"):
        by_q.setdefault(r["question_id"], []).append(r)
    items = []
    for qid, rows in by_q.items():
        rubric = Rubric.from_reference(rows[0]["question"], rows[0]["reference_answer"], qid)
        graded, exemplars = rows[::5], [r for i, r in enumerate(rows) if i % 5]
        ex = [{"answer": r["answer"], "score": r["score"]} for r in exemplars]
        items += [(rubric, r["answer"], ex) for r in graded]
    runs, cold = [], []
    for _ in range(steady_runs):
        tu.clear_text_caches()
        grader = OfflineGrader()
        grader.prime(rub for rub, _, _ in items)
        start = time.perf_counter()
        grader.grade_many(items)
        cold.append(time.perf_counter() - start)
        # steady: the same exemplars again (a running app grading more answers to a question
        # whose graded answers it has read), every answer new
        tu.clear_text_caches()
        fresh = [(rub, f"{answer} (again)", ex) for rub, answer, ex in items]
        start = time.perf_counter()
        grader.grade_many(fresh)
        runs.append(time.perf_counter() - start)
    return {"answers": len(items), "exemplars_per_question": round(statistics.mean(
        len(e) for _, _, e in items), 1),
        "cold_answers_per_second": round(len(items) / statistics.median(cold), 1),
        "steady_seconds": round(statistics.median(runs), 2),
        "steady_answers_per_second": round(len(items) / statistics.median(runs), 1),
        "steady_answers_per_second_range": sorted(round(len(items) / s, 1) for s in runs)}


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


def bench_weight_formats(rounds: int = 5) -> dict:
    """MiniLM's integer model alone, int8 against uint8 weights (texts per second, the median of
    ``rounds`` alternating runs over 400 SAF train answers). uint8 is the fallback for CPUs
    whose uint8 x int8 products saturate; there only it is measured."""
    import statistics

    import onnx

    from interviewer.evaluation.datasets import load_saf
    from interviewer.grading import minilm, quantize

    texts = [r["answer"] for r in load_saf("train")][:400]
    minilm.runtime()  # the float model is made by now
    flt = minilm.OnnxMiniLM(minilm.onnx_path())
    formats = {"uint8": True} | ({"int8": False} if quantize.products_exact() else {})
    speeds: dict[str, list[float]] = {name: [] for name in formats}
    with tempfile.TemporaryDirectory() as d:
        models = {}
        for name, unsigned in formats.items():
            path = Path(d) / f"{name}.onnx"
            onnx.save(minilm.quantized(flt, unsigned), str(path))
            models[name] = minilm.OnnxMiniLM(path, "int8")
            models[name].forward(texts[:16])  # warm
        for _ in range(rounds):
            for name, model in models.items():
                start = time.perf_counter()
                model.forward(texts)
                speeds[name].append(len(texts) / (time.perf_counter() - start))
    return {f"{name}_texts_per_second": round(statistics.median(v), 1) for name, v in speeds.items()}


if __name__ == "__main__":
    out = {
        "grading": bench_grading(),
        "exemplar_grading": bench_exemplar_grading(),
        "knowledge": bench_knowledge(),
        "minilm_weight_formats": bench_weight_formats(),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(out, indent=2))
