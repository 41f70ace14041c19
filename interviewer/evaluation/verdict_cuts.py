"""Verdict cuts: scores remapped for the best verdict macro-F1 (weighed, not shipped)."""

from __future__ import annotations

import numpy as np

from interviewer.grading.rubric import VERDICT_CUTS, verdict_of

# A head's isotonic map gives each step the mean human score of its answers: the best guess of the
# score for squared error, not of the verdict. SAF's scores sit mostly at 1.0 and 0.5-0.75, so a
# step of mean 0.80 may hold more answers a human called correct (>= 0.84) than not, and the mean
# calls them all partial. Verdict cuts move the scores monotonically (piecewise linear: 0 -> 0,
# lo -> 0.34, hi -> 0.84, 1 -> 1) so that the verdicts read off them have the best macro-F1 on
# out-of-fold scores. Cross-validated on SAF train (calibration.md) they did not carry to held-out
# answers on either path, so no head has them.
CUT_GRID_LO = tuple(round(0.2 + 0.02 * i, 2) for i in range(16))  # 0.20 .. 0.50
CUT_GRID_HI = tuple(round(0.6 + 0.02 * i, 2) for i in range(18))  # 0.60 .. 0.94


def verdict_remap(scores, cuts) -> np.ndarray:
    """Scores moved so that ``cuts`` (lo, hi) land on the verdict thresholds 0.34 and 0.84."""
    (_, hi_at), (_, lo_at) = VERDICT_CUTS
    lo, hi = cuts
    return np.interp(np.asarray(scores, float), [0.0, lo, hi, 1.0], [0.0, lo_at, hi_at, 1.0])


def choose_verdict_cuts(y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """The (lo, hi) of the grids with the best verdict macro-F1 of ``verdict_remap(pred)``
    against the human scores ``y`` (ties: nearest the thresholds themselves, then the lower)."""
    from sklearn.metrics import f1_score

    (_, hi_at), (_, lo_at) = VERDICT_CUTS
    truth = [verdict_of(v) for v in y]

    def key(c):
        got = [verdict_of(v) for v in verdict_remap(pred, c)]
        f1 = f1_score(truth, got, average="macro", zero_division=0)
        return (-round(float(f1), 4), round(abs(c[0] - lo_at) + abs(c[1] - hi_at), 4), c)

    return min(((lo, hi) for lo in CUT_GRID_LO for hi in CUT_GRID_HI), key=key)


def cross_fitted_cuts(y: np.ndarray, pred: np.ndarray, groups, mask=None) -> np.ndarray:
    """``pred`` moved by verdict cuts (``choose_verdict_cuts``) chosen, for each group of
    answers, on the other groups' answers only (those in ``mask``, default all); answers
    outside ``mask`` are left as they are."""
    groups = np.asarray(groups)
    mask = np.ones(len(y), bool) if mask is None else np.asarray(mask, bool)
    out = pred.copy()
    for g in np.unique(groups):
        held = groups == g
        cuts = choose_verdict_cuts(y[~held & mask], pred[~held & mask])
        out[held & mask] = verdict_remap(pred[held & mask], cuts)
    return out
