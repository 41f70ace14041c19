"""The baselines next to the grader: content-word overlap and MiniLM cosine, raw and calibrated."""

from __future__ import annotations

import numpy as np

from interviewer.evaluation.metrics import score_metrics
from interviewer.grading import text as tu
from interviewer.grading.grader import OfflineGrader


def overlap(answer: str, reference: str) -> float:
    """Content-word overlap: the share of the reference's content stems the answer uses."""
    ref = tu.content_stems(reference)
    return len(ref & tu.content_stems(answer)) / max(1, len(ref))


def cosines(grader: OfflineGrader, pairs: list[tuple[str, str]]) -> list[float]:
    """MiniLM cosine of the whole answer and the whole reference, each one text."""
    texts = sorted({t or " " for p in pairs for t in p})
    vecs = dict(zip(texts, grader.embeddings.encode(texts), strict=True))
    return [float(vecs[a or " "] @ vecs[r or " "]) for a, r in pairs]


def raw_scores(grader: OfflineGrader, pairs: list[tuple[str, str]]) -> dict[str, list[float]]:
    """Both baselines' raw scores of (answer, reference) pairs: {"cosine", "overlap"}."""
    return {"cosine": cosines(grader, pairs), "overlap": [overlap(a, r) for a, r in pairs]}


def isotonic_on(train_x, train_y, x) -> list[float]:
    """A monotone map fitted on the training side, applied to the test side (calibration)."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    return [float(v) for v in iso.fit(train_x, train_y).predict(x)]


def baseline_rows(y, raw: dict[str, list[float]], train: dict | None) -> dict:
    """Each baseline raw (clipped to [0, 1]) and, with ``train`` = {"y", name: raw}, with an
    isotonic map fitted on the training side."""
    out = {}
    for name, xs in raw.items():
        out[f"{name}_raw"] = score_metrics(y, list(np.clip(xs, 0, 1)))
        if train is not None:
            out[f"{name}_calibrated"] = score_metrics(y, isotonic_on(train[name], train["y"], xs))
    return out
