"""The reference-only grader on subjects it was never fitted on (``other-subjects.jsonl``).

Questions from sixteen school and university subjects, none about networks or ML, each with a
reference answer and seven answers of spread quality scored 0-1 by their author before any
grader saw them (``evals/LABELLING.md``). Measured only: nothing is fitted or chosen on it. Each
answer is graded as ``mock-interview grade`` grades a line with a ``reference_answer``.
"""

from __future__ import annotations

from interviewer.evaluation.baselines import baseline_rows, raw_scores
from interviewer.evaluation.datasets import load_jsonl
from interviewer.evaluation.metrics import bootstrap_intervals, score_metrics
from interviewer.evaluation.saf_eval import saf_rubrics
from interviewer.grading.grader import OfflineGrader

FILE = "other-subjects.jsonl"


def other_subjects_eval(grader: OfflineGrader, saf_train_raw: dict | None) -> dict:
    """Grader and baselines on the other-subject answers; the baselines' isotonic maps are
    fitted on SAF train (``saf_train_raw``: its scores, cosines and overlaps), as the reference
    head is fitted on it. {} when the file is missing."""
    rows = [{**r, "question_id": r["id"].split(":")[0]} for r in load_jsonl(FILE)]  # "q01:a1"
    if not rows:
        return {}
    rubrics = saf_rubrics(rows)
    grades = grader.grade_many([(rubrics[r["question_id"]], r["answer"]) for r in rows])
    y = [float(r["score"]) for r in rows]
    pred = [g.score for g in grades]
    raw = raw_scores(grader, [(r["answer"], r["reference_answer"]) for r in rows])
    return {
        "n": len(rows),
        "questions": len(rubrics),
        "grader": score_metrics(y, pred),
        "grader_intervals": bootstrap_intervals(y, pred),
        "baselines": baseline_rows(y, raw, saf_train_raw),
    }
