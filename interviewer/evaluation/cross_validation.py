"""Leave-question-out cross-validation of every fitted part: the "CV" figures, calibration.md."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np

from interviewer.evaluation.head_alternatives import head_alternatives
from interviewer.evaluation.metrics import qwk, score_metrics
from interviewer.evaluation.verdict_cuts import (
    choose_verdict_cuts,
    cross_fitted_cuts,
    verdict_remap,
)
from interviewer.grading import decide as dc
from interviewer.grading import fit


def _with(params: dict, **parts) -> dict:
    p = json.loads(json.dumps(params))
    p.update(parts)
    return p


def as_before_guide_head(params: dict) -> tuple[dict, dict]:
    """(params, caps) grading guide rubrics as before they had a head of their own: on the
    reference head, with the reference caps (the reports' "before" rows)."""
    caps = {**dc.default_caps(), "guide": dc.default_caps()["reference"]}
    return _with(params, heads={**params["heads"], "guide": params["heads"]["reference"]}), caps


def cross_validate(data: dict, params: dict) -> dict:
    """Every fitted part refitted inside leave-question-out folds; figures on the held-out
    questions. SAF train: 6 folds (the reference alpha re-selected inside each fold), and the
    exemplar path (within-question folds). Authored dev: 5 folds (bank head, key-point model,
    red-flag cap and criterion maps refitted)."""
    saf, dev, guide = data["saf"], data["dev"], data["guide"]
    out: dict = {}
    # SAF train, reference path
    y = np.array([it["score"] for it in saf])
    real = np.array([not it["analysis"].floor for it in saf])
    pred = np.zeros(len(saf))
    alphas = []
    for tr, te in fit.group_folds([it["qid"] for it in saf]):
        pool = fit.reference_pool([saf[i] for i in tr], guide)  # the other SAF questions
        a_fold, _ = fit.choose_alpha(pool)
        alphas.append(a_fold)
        head = fit.fit_reference_head(pool, a_fold)
        p = _with(params, heads={**params["heads"], "reference": head})
        for i in te:
            it = saf[i]
            pred[i] = dc.decide(it["rd"], it["rv"], it["analysis"], p).score
    out["saf_train_loqo"] = {
        "grader": score_metrics(y, pred),
        "grader_real_answers": score_metrics(y[real], pred[real]),
        "alphas_selected_in_folds": alphas,
        "head_alternatives": head_alternatives(saf, guide),
    }
    # SAF train, exemplar path: exemplars of a held-out answer come from the other folds of its
    # question; the head is fitted on rows of the other folds whose exemplars also exclude it.
    fold = fit.exemplar_folds(saf)
    ex_pred = {}
    for name, features in reversed(EXEMPLAR_ABLATION.items()):  # the grader's last: cut below
        oof = fit.exemplar_oof(saf, pred, features)
        has = ~np.isnan(oof)  # the others are graded on the reference path, as at run time
        ex_pred[name] = np.where(has, oof, pred)
    cut = np.where(has, cross_fitted_cuts(y, np.nan_to_num(oof), fold, has), pred)
    out["saf_train_exemplars"] = {
        "grader": score_metrics(y, ex_pred["grader"]),
        "grader_real_answers": score_metrics(y[real], ex_pred["grader"][real]),
        "with_verdict_cuts": score_metrics(y, cut),
        "without_lexical_neighbours": score_metrics(y, ex_pred["without_lexical_neighbours"]),
        "as_at_run_time": exemplars_as_at_run_time(saf, guide,
                                                   params["selection"]["reference_alpha"]),
    }
    # Authored dev, bank path
    yd = np.array([it["score"] for it in dev])
    pd_, bare = np.zeros(len(dev)), np.zeros(len(dev))
    decisions: list = [None] * len(dev)
    caps = []
    for tr, te in fit.group_folds([it["qid"] for it in dev], 5):
        tr_items = [dev[i] for i in tr]
        ten = fit.authored(tr_items)
        tr_q = sorted({it["qid"] for it in ten} & set(data["pairs"]))
        p = _with(params)
        p["points"] = fit.point_model({q: data["pairs"][q] for q in tr_q})
        p["heads"]["bank"] = fit.fit_bank_head(tr_items)
        p["heads"]["story"] = fit.fit_story_head(tr_items, p["points"])
        p["rf_cap_at"] = fit.choose_rf_cap(ten)
        caps.append(p["rf_cap_at"])
        p["criteria"] = fit.fit_criteria(fit.criteria_rows(ten, p))
        # stories graded by the bank head, as before the story head, for the report's comparison
        before = _with(p)
        del before["heads"]["story"]
        for i in te:
            it = dev[i]
            decisions[i] = dc.decide(it["rd"], it["rv"], it["analysis"], p)
            pd_[i] = decisions[i].score
            bare[i] = dc.decide(it["rd"], it["rv"], it["analysis"], before).score
    stories = np.array([fit.candidate_story(it) for it in dev])
    out["key_points_loqo"] = point_model_cv(data["pairs"])
    # the tick floor is a fixed prior (fit.TICK_FLOOR); what its rule gives with this machine's
    # vectors, so a reader sees how far the two are apart here
    out["tick_floor"] = {
        "fixed": params["tick_floor"],
        "rule_on_this_machine": fit.choose_tick_floor(saf, dev, params),
    }
    out["authored_dev_loqo"] = {
        "grader": score_metrics(yd, pd_),
        "stories": score_metrics(yd[stories], pd_[stories]),
        "not_stories": score_metrics(yd[~stories], pd_[~stories]),
        "without_story_head": {
            "grader": score_metrics(yd, bare),
            "stories": score_metrics(yd[stories], bare[stories]),
            "not_stories": score_metrics(yd[~stories], bare[~stories]),
        },
        "rf_cap_at_selected_in_folds": caps,
        "by_style": by_style(dev, pd_),
        "criteria": criteria_agreement(dev, [d.criteria for d in decisions]),
    }
    out["guide_dev_loqo"], guide_ref, guide_fold = guide_cv(saf, guide, params)
    # Verdict cuts for the reference head as a fit would choose them for the general case: on
    # the out-of-fold scores of its whole pool (SAF train and the dev answers graded against
    # their model answers), for each fold's questions on the other folds'.
    yg = np.array([it["score"] for it in guide])
    sfold = fit.fold_ids([it["qid"] for it in saf])
    pooled = cross_fitted_cuts(np.concatenate([y, yg]), np.concatenate([pred, guide_ref]),
                               np.concatenate([sfold, guide_fold + sfold.max() + 1]))  # fmt: skip
    out["saf_train_loqo"]["with_pooled_verdict_cuts"] = score_metrics(y, pooled[: len(saf)])
    out["guide_dev_loqo"]["reference"]["with_pooled_verdict_cuts"] = score_metrics(
        yg, pooled[len(saf) :]
    )
    return out


def guide_cv(
    saf: list[dict], guide: list[dict], params: dict
) -> tuple[dict, np.ndarray, np.ndarray]:
    """The guide path in 5 folds by question over the dev answers against guide rubrics: the
    guide head refitted on the other questions (the key-point model as shipped: it is fitted on
    paraphrases, which guide rubrics do not read). Beside it, the same answers graded by the
    reference head (refitted on SAF train and the other questions' answers, as it is fitted on
    both) with the reference caps (what a guide section had before it had a head of its own)
    and with the guide caps. Also returned: the reference head's scores (reference caps) and
    each answer's fold."""
    y = np.array([it["score"] for it in guide])
    alphas = []
    preds = {name: np.zeros(len(guide)) for name in ("guide", "reference", "reference_capped")}
    fold = fit.fold_ids([it["qid"] for it in guide], 5)
    for tr, te in fit.group_folds([it["qid"] for it in guide], 5):
        head = fit.fit_head([fit._row(guide[i]) for i in tr if not guide[i]["analysis"].floor],
                            dc.FEATURES_GUIDE, fit.ALPHA_BANK)  # fmt: skip
        ours = _with(params, heads={**params["heads"], "guide": head})
        pool = fit.reference_pool(saf, [guide[i] for i in tr])
        alpha, _ = fit.choose_alpha(pool)  # chosen without the held-out questions, as the fit would
        alphas.append(alpha)
        ref = fit.fit_reference_head(pool, alpha)
        theirs, ref_caps = as_before_guide_head(
            _with(params, heads={**params["heads"], "reference": ref}))
        for i in te:
            it = guide[i]
            preds["guide"][i] = dc.decide(it["rd"], it["rv"], it["analysis"], ours).score
            preds["reference_capped"][i] = dc.decide(it["rd"], it["rv"], it["analysis"],
                                                     theirs).score  # fmt: skip
            preds["reference"][i] = dc.decide(it["rd"], it["rv"], it["analysis"], theirs,
                                              caps=ref_caps).score  # fmt: skip
    out = {name: {"grader": score_metrics(y, p), "by_style": by_style(guide, p)}
           for name, p in preds.items()}  # fmt: skip
    out["reference"]["alphas_selected_in_folds"] = alphas
    return out, preds["reference"], fold


# The exemplar head with and without the lexical neighbours (the evidence they were chosen on).
EXEMPLAR_ABLATION = {
    "grader": dc.FEATURES_EXEMPLAR,
    "without_lexical_neighbours": tuple(
        k for k in dc.FEATURES_EXEMPLAR if k not in ("knn_lex", "soft_lex")
    ),
}


def exemplars_as_at_run_time(saf: list[dict], guide: list[dict], alpha: float) -> dict:
    """The exemplar path cross-validated as the app grades an answer to a SAF question: 5 folds
    within each question; the held-out answers are graded with the other folds' answers as
    exemplars, by a reference head fitted on those answers (it has seen the question and the
    exemplars themselves, as the shipped head has seen SAF train; and the authored answers of
    ``fit.reference_pool``), and an exemplar head fitted
    on them as ``eval --calibrate`` fits it. With and without the lexical neighbours."""
    from interviewer.grading import text as tu

    y = np.array([it["score"] for it in saf])
    fold = fit.exemplar_folds(saf)
    pred = {name: np.zeros(len(saf)) for name in EXEMPLAR_ABLATION}
    cut = np.zeros(len(saf))
    every = set(range(fit.EXEMPLAR_FOLDS))
    for f in range(fit.EXEMPLAR_FOLDS):
        pool = [it for it, g in zip(saf, fold, strict=True) if g != f]
        ref_pool = fit.reference_pool(pool, guide)
        loqo = fit.loqo_scores(ref_pool, alpha)[: len(pool)]
        pool_fold = fit.exemplar_folds(pool)
        rows = [r for r in fit.exemplar_rows(pool, loqo, pool_fold, lambda g: every - {g}) if r]
        ref_head = fit.fit_reference_head(ref_pool, alpha)
        ref = [0.0 if it["analysis"].floor else dc.head_score(it["analysis"].features, ref_head)
               for it in saf]  # fmt: skip
        by_q: dict[str, list[int]] = defaultdict(list)
        for j, it in enumerate(saf):
            if fold[j] != f and not it["analysis"].floor:
                by_q[it["qid"]].append(j)
        tfidf = {q: tu.WordTfidf([saf[j]["analysis"].text for j in ex]) for q, ex in by_q.items()}
        vecs = {q: np.stack([saf[j]["analysis"].doc_vec for j in ex]) for q, ex in by_q.items()}
        local = {q: dc.local_models(vecs[q], [saf[j]["analysis"] for j in ex], y[ex])
                 for q, ex in by_q.items()}  # fmt: skip
        pool_y = np.array([it["score"] for it in pool])
        for name, features in EXEMPLAR_ABLATION.items():
            head = fit.fit_head(rows, features, fit.ALPHA_EXEMPLAR)
            if name == "grader":  # verdict cuts as a fit would choose them: on the pool's
                oof = fit.exemplar_oof(pool, loqo, features)  # out-of-fold scores
                has = ~np.isnan(oof)
                cuts = choose_verdict_cuts(pool_y[has], oof[has])
            for i, it in enumerate(saf):
                if fold[i] != f or it["analysis"].floor:
                    continue
                ex = by_q[it["qid"]]
                a, q = it["analysis"], it["qid"]
                feats = dc.exemplar_features(
                    a.doc_vec, vecs[q], y[ex], ref[i], np.array([ref[j] for j in ex]),
                    tfidf[q].similarity(a.text), dc.point_profile(a), local[q])  # fmt: skip
                pred[name][i] = dc.head_score(feats, head)
                if name == "grader":
                    cut[i] = verdict_remap([pred[name][i]], cuts)[0]
    return {**{name: score_metrics(y, p) for name, p in pred.items()},
            "with_verdict_cuts": score_metrics(y, cut)}  # fmt: skip


def point_model_cv(pairs: dict[str, list], folds: int = fit.POINT_FOLDS) -> dict:
    """The key-point model on held-out questions' paraphrase pairs (each paraphrase states its
    own point and no other), with its signals and without the margin: AUC, and precision and
    recall of "covered" at the operating point chosen inside each fold (nested: from the
    training questions only) and at the balanced model's neutral 0.5 (the earlier one)."""
    from sklearn.metrics import roc_auc_score

    out = {}
    for name, signals in (("model", dc.POINT_SIGNALS), ("without_margin", dc.WITHOUT_MARGIN)):
        held = fit.held_out_coverage(pairs, signals, folds, fitter=fit.point_model)
        chosen = [m["covered_p"] for m, _, _ in held]
        p, y = np.concatenate([h[1] for h in held]), np.concatenate([h[2] for h in held])
        said = np.concatenate([pf >= m["covered_p"] for m, pf, _ in held])
        out[name] = {
            "auc": round(float(roc_auc_score(y, p)), 4),
            **_precision_recall(y, said),
            "covered_p_selected_in_folds": chosen,
            "at_neutral": _precision_recall(y, p >= 0.5),
            "pairs": len(y),
            "positives": int(y.sum()),
        }
    return out


def _precision_recall(y: np.ndarray, said: np.ndarray) -> dict:
    return {"precision": round(float(y[said].mean()), 4),
            "recall": round(float(said[y == 1].mean()), 4)}  # fmt: skip


def by_style(items: list[dict], pred) -> dict:
    """Per authored style: mean label and score, the largest score, the share at most 0.20."""
    groups = defaultdict(list)
    for it, v in zip(items, pred, strict=True):
        groups[it["style"]].append((it["score"], float(v)))
    return {
        s: {
            "n": len(v),
            "label_mean": round(float(np.mean([a for a, _ in v])), 3),
            "mean": round(float(np.mean([b for _, b in v])), 3),
            "max": round(float(np.max([b for _, b in v])), 3),
            "share_le_0.20": round(float(np.mean([b <= 0.2 for _, b in v])), 3),
        }
        for s, v in sorted(groups.items())
    }


def criteria_agreement(items: list[dict], predicted: list[dict]) -> dict:
    """Per criterion, against the authored criterion labels (a criterion not labelled on a row
    takes the overall label, LABELLING.md): exact, within one, MAE, Spearman; and the same on
    the rows where the criterion's label differs from the overall one."""
    from scipy.stats import spearmanr

    out = {}
    for c in dc.CRITERIA:
        lab = np.array([fit.criterion_labels(it)[c] for it in items], float)
        pr = np.array([p[c] for p in predicted], float)
        differs = np.array([c in it.get("criteria", {}) for it in items])
        row = {
            "n": len(lab),
            "exact": round(float((lab == pr).mean()), 3),
            "within_1": round(float((np.abs(lab - pr) <= 1).mean()), 3),
            "mae": round(float(np.abs(lab - pr).mean()), 3),
            "spearman": round(float(spearmanr(lab, pr)[0]), 3) if pr.std() > 0 else None,
            "qwk": round(qwk([int(x + 0.5) for x in lab], [int(x) for x in pr]), 3),
            "rows_labelled_apart": int(differs.sum()),
        }
        if differs.any():
            row["mae_where_labelled_apart"] = round(float(np.abs(lab - pr)[differs].mean()), 3)
            row["exact_where_labelled_apart"] = round(float((lab == pr)[differs].mean()), 3)
        out[c] = row
    return out


def cv_markdown(cv: dict) -> str:
    """The cross-validation figures as Markdown (evals/reports/calibration.md)."""

    def row(name, m):
        return (f"| {name} | {m['pearson']} | {m['spearman']} | {m['mae']} | {m['macro_f1']} | "
                f"{m['n']} |")  # fmt: skip

    s, e, d = cv["saf_train_loqo"], cv["saf_train_exemplars"], cv["authored_dev_loqo"]
    alternatives = [
        "Other heads on the same features, bare (no rule but the floor's 0), refitted in the same "
        "SAF train folds (`head_alternatives`):", "",
        "| reference head | Pearson | Spearman | MAE (0-1) | macro-F1 | Pearson, real answers |",
        "|---|---|---|---|---|---|",
        *(f"| {name} | {m['all']['pearson']} | {m['all']['spearman']} | {m['all']['mae']} | "
          f"{m['all']['macro_f1']} | {m['real_answers']['pearson']} |"
          for name, m in s["head_alternatives"].items()), "",
    ]  # fmt: skip
    lines = [
        "# Calibration: leave-question-out cross-validation",
        "",
        "Written by `mock-interview eval --calibrate`. Every fitted part is refitted on the other "
        "questions of each fold, with every selection repeated inside the fold; figures are on "
        "the held-out questions. Only SAF train and the authored dev split are read.",
        "",
        "| | Pearson | Spearman | MAE (0-1) | macro-F1 | n |",
        "|---|---|---|---|---|---|",
        row("SAF train, reference path (6 folds by question)", s["grader"]),
        row(
            "SAF train, reference path with verdict cuts chosen on the whole pool (not shipped)",
            s["with_pooled_verdict_cuts"],
        ),
        row("SAF train, real answers only", s["grader_real_answers"]),
        row("SAF train, graded exemplars (5 folds within each question)", e["grader"]),
        row("the same with verdict cuts (not shipped)", e["with_verdict_cuts"]),
        row("the same without the lexical neighbours", e["without_lexical_neighbours"]),
        row(
            "SAF train, graded exemplars as at run time (see below)", e["as_at_run_time"]["grader"]
        ),
        row("the same with verdict cuts (not shipped)", e["as_at_run_time"]["with_verdict_cuts"]),
        row(
            "the same without the lexical neighbours",
            e["as_at_run_time"]["without_lexical_neighbours"],
        ),
        row("authored dev, bank path (5 folds by question)", d["grader"]),
        row("the same, the candidate stories", d["stories"]),
        row("the same, the other dev answers", d["not_stories"]),
        row("authored dev, bank path without the story head", d["without_story_head"]["grader"]),
        row("the same, the candidate stories", d["without_story_head"]["stories"]),
        row("the same, the other dev answers", d["without_story_head"]["not_stories"]),
        row(
            "authored dev, guide path (5 folds by question)",
            cv["guide_dev_loqo"]["guide"]["grader"],
        ),
        row(
            "the same graded by the reference head, reference caps",
            cv["guide_dev_loqo"]["reference"]["grader"],
        ),
        row(
            "the same, with verdict cuts chosen on the whole pool (not shipped)",
            cv["guide_dev_loqo"]["reference"]["with_pooled_verdict_cuts"],
        ),
        row(
            "the same graded by the reference head, guide caps",
            cv["guide_dev_loqo"]["reference_capped"]["grader"],
        ),
        "",
        "The guide path: each dev answer graded against its question's model answer as an "
        "uploaded guide's section is (key points from its sentences; no paraphrases, no red "
        "flags), as Practice on an uploaded guide grades.",
        "",
        "Graded exemplars as at run time: the held-out answers of each within-question fold "
        "are graded by a reference head fitted on the other folds' answers (it has seen the "
        "question and the exemplars, as the shipped head has seen SAF train), with those "
        "answers as exemplars. Verdict cuts (weighed, not shipped: see `verdict_cuts.py`) are "
        "chosen there on those answers' out-of-fold scores, as a fit would choose them; in the "
        "within-question folds, the cuts for a fold on the other folds' held-out scores.",
        "",
        f"Reference alpha selected inside the SAF folds: {s['alphas_selected_in_folds']}, and "
        "inside the guide path's folds (the dev answers graded by the reference head): "
        f"{cv['guide_dev_loqo']['reference'].get('alphas_selected_in_folds')}; "
        f"red-flag cap selected inside the dev folds: {d['rf_cap_at_selected_in_folds']}.",
        "",
        *alternatives,
        "| authored dev style | n | label mean | score mean | max | share <= 0.20 |",
        "|---|---|---|---|---|---|",
    ]
    for st, v in d["by_style"].items():
        lines.append(f"| {st} | {v['n']} | {v['label_mean']} | {v['mean']} | {v['max']} | "
                     f"{v['share_le_0.20']:.0%} |")  # fmt: skip
    g = cv["guide_dev_loqo"]
    lines += ["", "| guide path, dev style | label mean | score mean (guide head) | share <= 0.20 "
              "| score mean (reference head, reference caps) | share <= 0.20 |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for st, v in g["guide"]["by_style"].items():
        r = g["reference"]["by_style"][st]
        lines.append(f"| {st} | {v['label_mean']} | {v['mean']} | {v['share_le_0.20']:.0%} | "
                     f"{r['mean']} | {r['share_le_0.20']:.0%} |")  # fmt: skip
    k = cv["key_points_loqo"]
    lines += ["", "Key-point model, 5 folds by question over the dev questions' paraphrase pairs "
              f"({k['model']['pairs']} pairs, {k['model']['positives']} stating their point):", "",
              "| key-point model | AUC | precision | recall | threshold chosen in folds "
              "| precision, recall at 0.5 |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name, v in (("sem, tok, lex, margin (used)", k["model"]),
                    ("without the margin", k["without_margin"])):  # fmt: skip
        lines.append(
            f"| {name} | {v['auc']} | {v['precision']} | {v['recall']} | "
            f"{', '.join(map(str, v['covered_p_selected_in_folds']))} | "
            f"{v['at_neutral']['precision']}, {v['at_neutral']['recall']} |"
        )
    lines += ["", "| criterion (dev) | QWK | exact | MAE | labelled apart | exact there |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for c, v in d["criteria"].items():
        lines.append(f"| {c} | {v['qwk']} | {v['exact']} | {v['mae']} | "
                     f"{v['rows_labelled_apart']} | "
                     f"{v.get('exact_where_labelled_apart', '-')} |")  # fmt: skip
    return "\n".join(lines) + "\n"
