"""Agreement and retrieval metrics: pure functions, testable without any model."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import cohen_kappa_score


def to_five(x: float) -> int:
    """A score in [0, 1] onto the 1-5 scale (the rubric's label cuts at 0.2, 0.4, 0.6, 0.8)."""
    from interviewer.grading.rubric import score_to_label

    return score_to_label(100 * x)


def qwk(a: list[int], b: list[int]) -> float:
    """Quadratic weighted kappa on the 1-5 scale (NaN for fewer than 2 answers: one answer's
    agreement is no measure, and read 0.0 in a re-walk's ``grade`` printout)."""
    if len(a) < 2:
        return float("nan")
    if len(set(a)) == 1 and len(set(b)) == 1:
        return 1.0 if a == b else 0.0
    return float(cohen_kappa_score(a, b, weights="quadratic", labels=[1, 2, 3, 4, 5]))


def _corr(fn, a, b) -> float:
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(fn(a, b)[0])


def agreement(labels: list[float], preds: list[float]) -> dict:
    """Spearman, Pearson, QWK (1-5) and MAE (in label points, 1-5 scale) of predictions in
    [0, 1] against labels in [0, 1]."""
    la, pa = np.asarray(labels, float), np.asarray(preds, float)
    l5 = [1 + round(4 * x) for x in la]
    p5 = [to_five(x) for x in pa]
    out = {
        "spearman": _corr(spearmanr, la, pa),
        "pearson": _corr(pearsonr, la, pa),
        "qwk": qwk(l5, p5),
        "mae": float(np.mean(np.abs((1 + 4 * la) - (1 + 4 * pa)))),
        "exact": float(np.mean(np.array(l5) == np.array(p5))),
        "n": len(labels),
    }
    return {
        k: (round(v, 4) if isinstance(v, float) and not math.isnan(v) else v)
        for k, v in out.items()
    }


def recall_at(ranks: list[int | None], k: int) -> float:
    """Share of queries whose target is ranked within the top ``k`` (ranks start at 1)."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: list[int | None]) -> float:
    """Mean reciprocal rank (0 for a target not retrieved)."""
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def verdict_classes(scores) -> list[str]:
    """Each 0-1 score's verdict (correct / partially_correct / incorrect)."""
    from interviewer.grading.rubric import verdict_of

    return [verdict_of(float(s)) for s in scores]


def score_metrics(labels: list[float], preds: list[float]) -> dict:
    """Agreement on the 0-1 scale, as human short-answer grading is reported: Pearson, Spearman,
    MAE (0-1) and the macro-F1 of the three verdicts."""
    from sklearn.metrics import f1_score

    la, pa = np.asarray(labels, float), np.asarray(preds, float)
    out = {
        "pearson": _corr(pearsonr, la, pa),
        "spearman": _corr(spearmanr, la, pa),
        "mae": float(np.mean(np.abs(la - pa))) if len(la) else float("nan"),
        "macro_f1": float(
            f1_score(verdict_classes(la), verdict_classes(pa), average="macro",
                     labels=["incorrect", "partially_correct", "correct"], zero_division=0)
        ) if len(la) else float("nan"),
        "n": len(la),
    }  # fmt: skip
    return {
        k: (round(v, 4) if isinstance(v, float) and not math.isnan(v) else v)
        for k, v in out.items()
    }


BOOTSTRAP_DRAWS = 1000  # resamples of the answers for an interval (seeded: the report is stable)


def bootstrap_intervals(labels: list[float], preds: list[float], seed: int = 0) -> dict:
    """95% percentile-bootstrap intervals of Pearson, MAE and verdict macro-F1 over the answers:
    how far a figure on this many answers moves by which answers happen to be in the set."""
    from sklearn.metrics import f1_score

    la, pa = np.asarray(labels, float), np.asarray(preds, float)
    vl, vp = np.array(verdict_classes(la)), np.array(verdict_classes(pa))
    rng = np.random.default_rng(seed)
    got: dict[str, list[float]] = {"pearson": [], "mae": [], "macro_f1": []}
    for _ in range(BOOTSTRAP_DRAWS):
        i = rng.integers(0, len(la), len(la))
        if la[i].std() == 0 or pa[i].std() == 0:
            continue
        got["pearson"].append(float(np.corrcoef(la[i], pa[i])[0, 1]))
        got["mae"].append(float(np.abs(la[i] - pa[i]).mean()))
        got["macro_f1"].append(float(f1_score(vl[i], vp[i], average="macro", zero_division=0,
                                              labels=["incorrect", "partially_correct", "correct"])))  # fmt: skip
    return {k: [round(float(np.percentile(v, 2.5)), 3), round(float(np.percentile(v, 97.5)), 3)]
            for k, v in got.items()}  # fmt: skip
