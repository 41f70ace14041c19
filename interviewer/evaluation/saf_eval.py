"""The offline grader on SAF unseen answers against the human scores, baselines next to it."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from interviewer.evaluation.baselines import baseline_rows, raw_scores
from interviewer.evaluation.datasets import load_saf
from interviewer.evaluation.metrics import bootstrap_intervals, score_metrics
from interviewer.grading import rubric as rb
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import Rubric

FEEDBACK_EXAMPLES = 5  # SAF unseen answers shown with the human's feedback and ours


def saf_rubrics(rows: list[dict]) -> dict[str, Rubric]:
    """One reference rubric per question (rows with "question_id", "question" and
    "reference_answer": SAF's, and the other subjects')."""
    out: dict[str, Rubric] = {}
    for r in rows:
        if r["question_id"] not in out:
            out[r["question_id"]] = Rubric.from_reference(
                r["question"], r["reference_answer"], r["question_id"]
            )
    return out


def _floored(g) -> bool:
    return any(f in g.flags for f in rb.FLOOR_FLAGS)


def saf_eval(grader: OfflineGrader, *, exemplars: bool = True) -> dict:
    """The grader on SAF unseen answers (reference-only path), baselines, the exemplar path
    (graded exemplars from SAF train) and five answers' feedback next to the human's."""
    unseen, train = load_saf("unseen"), load_saf("train")
    rubrics = saf_rubrics(train + unseen)
    grades = grader.grade_many([(rubrics[r["question_id"]], r["answer"]) for r in unseen])
    y = [float(r["score"]) for r in unseen]
    pred = [g.score for g in grades]
    real = [i for i, g in enumerate(grades) if not _floored(g)]
    refs = {q: r.model_answer for q, r in rubrics.items()}
    raw = raw_scores(grader, [(r["answer"], refs[r["question_id"]]) for r in unseen])
    train_raw = {
        "y": [float(r["score"]) for r in train],
        **raw_scores(grader, [(r["answer"], refs[r["question_id"]]) for r in train]),
    }
    out = {
        "_train_raw": train_raw,  # for the other-subject baselines' maps; not in the report
        "n": len(unseen),
        "questions": len({r["question_id"] for r in unseen}),
        "grader": score_metrics(y, pred),
        "grader_intervals": bootstrap_intervals(y, pred),
        "grader_real_answers": score_metrics([y[i] for i in real], [pred[i] for i in real]),
        "floored_by_rule": len(unseen) - len(real),
        "baselines": baseline_rows(y, raw, train_raw),
        # The same baselines on the real answers only: the placeholders ("No response.") that the
        # grader floors by rule are easy points for every method, so this is the harder view.
        "baselines_real_answers": baseline_rows(
            [y[i] for i in real], {k: [v[i] for i in real] for k, v in raw.items()}, train_raw
        ),
    }
    if exemplars:
        by_q = defaultdict(list)
        for r in train:
            by_q[r["question_id"]].append({"answer": r["answer"], "score": float(r["score"])})
        ex = grader.grade_many(
            [(rubrics[r["question_id"]], r["answer"], by_q[r["question_id"]]) for r in unseen]
        )
        out["exemplars_from_train"] = score_metrics(y, [g.score for g in ex])
        out["exemplars_from_train_intervals"] = bootstrap_intervals(y, [g.score for g in ex])
        out["exemplars_per_question"] = round(float(np.mean([len(v) for v in by_q.values()])), 1)
    picked = feedback_sample(unseen)
    out["feedback_examples"] = [
        {"id": unseen[i]["id"], "question": unseen[i]["question"], "answer": unseen[i]["answer"],
         "human_score": y[i], "human_feedback": unseen[i].get("feedback", ""),
         "score": round(pred[i], 2), "verdict": grades[i].verdict, "feedback": grades[i].feedback}
        for i in picked
    ]  # fmt: skip
    return out


def feedback_sample(rows: list[dict]) -> list[int]:
    """FEEDBACK_EXAMPLES answers by id, cycling through the human verdicts (incorrect, partial,
    correct), so the side-by-side shows what the grader says about wrong answers too."""
    by_verdict: dict[str, list[int]] = defaultdict(list)
    for i in sorted(range(len(rows)), key=lambda i: rows[i]["id"]):
        if rows[i]["answer"].strip().lower().rstrip(".") != "no response":
            by_verdict[rb.verdict_of(float(rows[i]["score"]))].append(i)
    order = ("incorrect", "partially_correct", "correct")
    picked: list[int] = []
    for k in range(len(rows)):
        for v in order:
            if len(picked) < FEEDBACK_EXAMPLES and k < len(by_verdict[v]):
                picked.append(by_verdict[v][k])
    return picked
