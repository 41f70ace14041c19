"""Reference heads weighed against the shipped one on SAF train (not shipped)."""

from __future__ import annotations

import numpy as np

from interviewer.evaluation.metrics import score_metrics
from interviewer.evaluation.verdict_cuts import cross_fitted_cuts
from interviewer.grading import decide as dc
from interviewer.grading import fit


def _median_map(raw: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A monotone map fitted for absolute error (pool adjacent violators with block medians;
    scikit-learn's isotonic regression fits squared error only): (knots, values)."""
    order = np.argsort(raw, kind="stable")
    blocks: list[list] = []  # [values, median]
    for v in y[order]:
        blocks.append([[v], v])
        while len(blocks) > 1 and blocks[-2][1] > blocks[-1][1]:
            last = blocks.pop()
            blocks[-1][0].extend(last[0])
            blocks[-1][1] = float(np.median(blocks[-1][0]))
    return raw[order], np.concatenate([[b[1]] * len(b[0]) for b in blocks])


# Heads that were weighed against the shipped one (ridge, then a squared-error isotonic map), each
# refitted inside the same leave-question-out folds of SAF train on the same features. The tree
# heads' settings are fixed priors (shallow trees, 40 answers a leaf at least), not searched.
def _ridge_head(Xt, yt, alpha, median=False):
    coef, b = fit.ridge(Xt, yt, alpha)
    raw = Xt @ coef + b
    if median:
        knots, vals = _median_map(raw, yt)
    else:
        iso = fit.isotonic(raw, yt)
        knots, vals = np.array(iso["x"]), np.array(iso["y"])
    return lambda Xe: np.clip(np.interp(Xe @ coef + b, knots, vals), 0.0, 1.0)


def _boosting_head(Xt, yt, alpha):
    from sklearn.ensemble import HistGradientBoostingRegressor

    m = HistGradientBoostingRegressor(
        max_depth=3, learning_rate=0.05, max_iter=200, min_samples_leaf=40, random_state=0
    ).fit(Xt, yt)
    return lambda Xe: np.clip(m.predict(Xe), 0.0, 1.0)


def _forest_head(Xt, yt, alpha):
    from sklearn.ensemble import RandomForestRegressor

    m = RandomForestRegressor(
        n_estimators=200, min_samples_leaf=40, max_features=0.5, random_state=0, n_jobs=1
    ).fit(Xt, yt)
    return lambda Xe: np.clip(m.predict(Xe), 0.0, 1.0)


def _spline_head(Xt, yt, alpha):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer, StandardScaler

    m = make_pipeline(StandardScaler(), SplineTransformer(n_knots=5, degree=3),
                      Ridge(alpha=alpha)).fit(Xt, yt)  # fmt: skip
    return lambda Xe: np.clip(m.predict(Xe), 0.0, 1.0)


HEAD_ALTERNATIVES = {
    "ridge, squared-error isotonic map (shipped)": _ridge_head,
    "ridge, absolute-error monotone map": lambda X, y, a: _ridge_head(X, y, a, median=True),
    "per-feature splines (cubic, 5 knots), ridge": _spline_head,
    "gradient boosting (depth 3, 200 rounds)": _boosting_head,
    "random forest (200 trees)": _forest_head,
}


REFERENCE_WITH_CUTS = "the shipped head with verdict cuts (chosen on the other folds; not shipped)"


def head_alternatives(saf: list[dict], guide: list[dict]) -> dict:
    """The reference head against non-linear and absolute-error heads, bare (no caps or rules
    but the floor's 0), leave-question-out on SAF train with the ridge alpha chosen inside each
    fold as the shipped fit chooses it (``fit.choose_alpha``); each fitted, as the shipped head
    is, on the other SAF questions and the authored answers of ``fit.reference_pool``."""
    n = len(saf)
    items = fit.reference_pool(saf, guide)
    y = np.array([it["score"] for it in items])
    floor = np.array([bool(it["analysis"].floor) for it in items])
    X = np.array([[it["analysis"].features.get(k, 0.0) for k in dc.FEATURES_REFERENCE]
                  for it in items])  # fmt: skip
    extra = np.arange(n, len(items))[~floor[n:]]
    preds = {name: np.zeros(n) for name in HEAD_ALTERNATIVES}
    for tr, te in fit.group_folds([it["qid"] for it in saf]):
        alpha, _ = fit.choose_alpha(fit.reference_pool([saf[i] for i in tr], guide))
        tr = np.concatenate([tr[~floor[tr]], extra])
        for name, make in HEAD_ALTERNATIVES.items():
            preds[name][te] = np.where(floor[te], 0.0, make(X[tr], y[tr], alpha)(X[te]))
    y, floor = y[:n], floor[:n]
    # the shipped head with verdict cuts chosen for each fold's questions on the other folds'
    fold_of = fit.fold_ids([it["qid"] for it in saf])
    shipped = next(iter(HEAD_ALTERNATIVES))
    preds[REFERENCE_WITH_CUTS] = cross_fitted_cuts(y, preds[shipped], fold_of)
    return {name: {"all": score_metrics(y, p), "real_answers": score_metrics(y[~floor], p[~floor])}
            for name, p in preds.items()}  # fmt: skip
