"""The offline grader on the authored test split against its 1-5 labels, and as the guide path."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from interviewer.evaluation.baselines import baseline_rows, raw_scores
from interviewer.evaluation.metrics import agreement, score_metrics
from interviewer.grading import decide as dc

ROBUST_MAX = 20  # the robustness bar: these styles score at most this overall


def _grade_rows(grader, bank, rows, answers=None):
    items = [
        (bank[r["question_id"]].rubric(), r["answer"] if answers is None else answers[i])
        for i, r in enumerate(rows)
    ]
    return grader.grade_many(items)


def by_style(rows: list[dict], grades) -> dict:
    """Per authored style: label and score means (1-5 and 0-1), the largest score."""
    groups = defaultdict(list)
    for r, g in zip(rows, grades, strict=True):
        groups[r["style"]].append((r["label"], g.label, g.overall))
    return {
        style: {
            "n": len(v),
            "mean_label": round(float(np.mean([x[0] for x in v])), 2),
            "mean_predicted": round(float(np.mean([x[1] for x in v])), 2),
            "mae": round(float(np.mean([abs(x[0] - x[1]) for x in v])), 2),
            "max_overall": int(max(x[2] for x in v)),
            "share_at_most_20": round(float(np.mean([x[2] <= ROBUST_MAX for x in v])), 3),
        }
        for style, v in sorted(groups.items())
    }


def grader_agreement(grader, bank, rows) -> dict:
    """Agreement with the labels overall and per answer style (0-1 metrics and the 1-5 ones)."""
    grades = _grade_rows(grader, bank, rows)
    labels = [(r["label"] - 1) / 4 for r in rows]
    preds = [g.score for g in grades]
    return {
        "all": {**agreement(labels, preds), **{k: v for k, v in score_metrics(labels, preds).items()
                                              if k in ("mae", "macro_f1")}},
        "mae_points": agreement(labels, preds)["mae"],
        "by_style": by_style(rows, grades),
        "_grades": grades,
    }  # fmt: skip


def authored_eval(grader, bank, test: list[dict], dev: list[dict]) -> dict:
    """The authored test split: the grader, baselines (cosine, overlap, each also calibrated on
    dev), the style prior (oracle), per-criterion agreement, the robustness styles."""
    from interviewer.evaluation.cross_validation import criteria_agreement

    res = grader_agreement(grader, bank, test)
    grades = res.pop("_grades")
    y = [(r["label"] - 1) / 4 for r in test]
    yd = [(r["label"] - 1) / 4 for r in dev]
    baselines = authored_baselines(grader, bank, test, dev)
    dev_mean = defaultdict(list)
    for r, v in zip(dev, yd, strict=True):
        dev_mean[r["style"]].append(v)
    prior = [float(np.mean(dev_mean[r["style"]])) if dev_mean[r["style"]] else float(np.mean(yd))
             for r in test]  # fmt: skip
    items = [{"label": r["label"], "criteria": r.get("criteria", {})} for r in test]
    crit = criteria_agreement(items, [{c: s.score for c, s in g.criteria.items()} for g in grades])
    return {
        **res,
        "grader": score_metrics(y, [g.score for g in grades]),
        "baselines": baselines,
        "style_prior_oracle": score_metrics(y, prior),
        "criteria": crit,
    }


def authored_baselines(grader, bank, test: list[dict], dev: list[dict]) -> dict:
    """Cosine and overlap of each authored answer with its question's model answer, raw and
    calibrated on dev, against the test labels."""

    def raw_of(rows):
        return raw_scores(grader, [(r["answer"], bank[r["question_id"]].model_answer)
                                   for r in rows])  # fmt: skip

    yd = [(r["label"] - 1) / 4 for r in dev]
    return baseline_rows(
        [(r["label"] - 1) / 4 for r in test], raw_of(test), {"y": yd, **raw_of(dev)}
    )


def guide_eval(grader, bank, test: list[dict], dev: list[dict]) -> dict:
    """The authored test split graded as Practice grades an uploaded guide's section: each
    answer against its question's model answer as the section's text (``guide_rubric``). Beside
    the guide head, what the same answers got before guide rubrics had a head of their own (the
    reference head, reference caps: as `grade` grades it with the model answer as its
    reference_answer), and the baselines."""
    from interviewer.evaluation.calibrate import guide_rubric
    from interviewer.evaluation.cross_validation import as_before_guide_head

    rubrics = {q: guide_rubric(bank[q]) for q in dict.fromkeys(r["question_id"] for r in test)}
    analysed = grader.analyse_many([(rubrics[r["question_id"]], r["answer"]) for r in test])
    y = [(r["label"] - 1) / 4 for r in test]
    p = grader.params
    before, caps = as_before_guide_head(p)
    ours = [dc.decide(rd, rv, a, p).score for rd, rv, a in analysed]
    theirs = [dc.decide(rd, rv, a, before, caps=caps).score for rd, rv, a in analysed]

    def styles(pred):
        groups = defaultdict(list)
        for r, v in zip(test, pred, strict=True):
            groups[r["style"]].append(round(100 * v))
        return {st: {"n": len(v), "mean_overall": round(float(np.mean(v)), 1), "max": max(v),
                     "share_at_most_20": round(float(np.mean([x <= ROBUST_MAX for x in v])), 3)}
                for st, v in sorted(groups.items())}  # fmt: skip

    return {
        "grader": score_metrics(y, ours),
        "reference_head_before": score_metrics(y, theirs),
        "baselines": authored_baselines(grader, bank, test, dev),
        "by_style": styles(ours),
        "by_style_before": styles(theirs),
    }
