"""The eval runner: the offline grader against human labels (SAF unseen answers, the authored
test split) with baselines next to it, the robustness suite, consistency, retrieval, injection
and round fit.

Data lives in ``evals/data/`` (see ``evals/LABELLING.md`` and ``evals/data/saf/README.md``);
reports go to ``evals/reports/``. Test data (SAF ``unseen_answers``, the authored test split) is
only ever graded here, never fitted or tuned on (``interviewer.evaluation.calibrate`` fits).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict

import numpy as np

from interviewer.bank import TOPICS, Bank, Question, default_bank
from interviewer.config import Settings
from interviewer.evaluation.datasets import (  # noqa: F401  (re-exported: the runner's API)
    DATA_DIR,
    EVALS_DIR,
    PROJECT_ROOT,
    REPORTS_DIR,
    SPLITS,
    hash_split,
    load_authored,
    load_jsonl,
    load_labelled,
    load_saf,
    load_splits,
    require_checkout,
)
from interviewer.evaluation.metrics import (
    agreement,
    bootstrap_intervals,
    mrr,
    recall_at,
    score_metrics,
)
from interviewer.grading import decide as dc
from interviewer.grading import rubric as rb
from interviewer.grading import text as tu
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import PASS_MARK, Rubric

POINT = 25  # overall points per label point (0-100 onto 1-5)
ROBUST_STYLES = ("keyword_stuffing", "restating", "off_topic", "confident_wrong", "empty_idk")
ROBUST_MAX = 20  # the robustness bar: these styles score at most this overall
MODEL_ANSWER_MIN = 80  # every bank model answer, graded against its own question
FEEDBACK_EXAMPLES = 5  # SAF unseen answers shown with the human's feedback and ours
# CI floors: they only ever go up. The grader must beat the best non-oracle baseline on each
# set by BASELINE_MARGIN Pearson (the style prior knows each answer's authored style, which no
# real grader sees: it is an oracle, reported but not a bar).
BASELINE_MARGIN = 0.05
GATES = {"injection_max_raise": 0.25, "retrieval_recall_at_3": 0.95}


def make_grader(settings: Settings) -> OfflineGrader:
    """A fresh grader reading and filling the settings' on-disk rubric cache."""
    from interviewer.grading.embeddings import VectorCache

    return OfflineGrader(vector_cache=VectorCache.in_data_dir(settings))


# -- baselines ------------------------------------------------------------------------------------


def overlap(answer: str, reference: str) -> float:
    """Content-word overlap: the share of the reference's content stems the answer uses."""
    ref = tu.content_stems(reference)
    return len(ref & tu.content_stems(answer)) / max(1, len(ref))


def cosines(grader: OfflineGrader, pairs: list[tuple[str, str]]) -> list[float]:
    """MiniLM cosine of the whole answer and the whole reference, each one text."""
    texts = sorted({t or " " for p in pairs for t in p})
    vecs = dict(zip(texts, grader.embeddings.encode(texts), strict=True))
    return [float(vecs[a or " "] @ vecs[r or " "]) for a, r in pairs]


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


def _best(baselines: dict) -> tuple[str, float]:
    name = max(baselines, key=lambda k: baselines[k]["pearson"])
    return name, baselines[name]["pearson"]


# -- SAF --------------------------------------------------------------------------------------------


def saf_rubrics(rows: list[dict]) -> dict[str, Rubric]:
    """One reference rubric per SAF question."""
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
    raw = {
        "cosine": cosines(grader, [(r["answer"], refs[r["question_id"]]) for r in unseen]),
        "overlap": [overlap(r["answer"], refs[r["question_id"]]) for r in unseen],
    }
    train_raw = {
        "y": [float(r["score"]) for r in train],
        "cosine": cosines(grader, [(r["answer"], refs[r["question_id"]]) for r in train]),
        "overlap": [overlap(r["answer"], refs[r["question_id"]]) for r in train],
    }
    out = {
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


# -- the authored set -------------------------------------------------------------------------------


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
    from interviewer.evaluation.calibrate import criteria_agreement

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
        pairs = [(r["answer"], bank[r["question_id"]].model_answer) for r in rows]
        return {"cosine": cosines(grader, pairs), "overlap": [overlap(a, b) for a, b in pairs]}

    yd = [(r["label"] - 1) / 4 for r in dev]
    return baseline_rows([(r["label"] - 1) / 4 for r in test], raw_of(test), {"y": yd, **raw_of(dev)})


def guide_eval(grader, bank, test: list[dict], dev: list[dict]) -> dict:
    """The authored test split graded as Practice grades an uploaded guide's section: each
    answer against its question's model answer as the section's text (``guide_rubric``). Beside
    the guide head, what the same answers got before guide rubrics had a head of their own (the
    SAF-fitted reference head, reference caps), and the baselines."""
    from interviewer.evaluation.calibrate import as_before_guide_head, guide_rubric

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


def robustness(grader, bank, rows: list[dict]) -> dict:
    """The robustness suite on one split: every answer of the weak styles at most ROBUST_MAX."""
    from interviewer import neighbours

    weak = [r for r in rows if r["style"] in ROBUST_STYLES]
    grades = _grade_rows(grader, bank, weak)
    # as interviews and Practice grade a bank question: an answer to another one is said so
    checked = [neighbours.checked(grader, bank[r["question_id"]], r["answer"], g)
               for r, g in zip(weak, grades, strict=True)]  # fmt: skip

    def fails(graded):
        return [{"question_id": r["question_id"], "style": r["style"], "label": r["label"],
                 "overall": g.overall, "flags": g.flags, "answer": r["answer"][:200]}
                for r, g in zip(weak, graded, strict=True) if g.overall > ROBUST_MAX]  # fmt: skip

    styles, in_interviews = defaultdict(list), defaultdict(list)
    for r, g, c in zip(weak, grades, checked, strict=True):
        styles[r["style"]].append(g.overall)
        in_interviews[r["style"]].append(c.overall)
    return {
        "answers": len(weak),
        "by_style": {s: {"n": len(v), "max": max(v), "share_at_most_20":
                         round(float(np.mean([x <= ROBUST_MAX for x in v])), 3),
                         "max_in_interviews": max(in_interviews[s]),
                         "share_at_most_20_in_interviews":
                         round(float(np.mean([x <= ROBUST_MAX for x in in_interviews[s]])), 3)}
                     for s, v in sorted(styles.items())},  # fmt: skip
        "failures": fails(grades),
        "failures_in_interviews": fails(checked),
    }


def tick_floor_effect(grader, bank, rows: list[dict]) -> dict:
    """Key points ticked per authored style with the shipped grader and with its tick floor at
    0 (``decide``: an answer whose head score is under the floor gets no point ticked); scores
    are the same either way, which ``scores_changed`` counts."""
    without = OfflineGrader(params={**grader.params, "tick_floor": 0.0},
                            vector_cache=grader.vector_cache)  # fmt: skip
    shipped, floorless = _grade_rows(grader, bank, rows), _grade_rows(without, bank, rows)
    styles: dict[str, dict] = {}
    for r, a, b in zip(rows, shipped, floorless, strict=True):
        s = styles.setdefault(r["style"], {"n": 0, "ticked": 0, "ticked_without_floor": 0})
        s["n"] += 1
        s["ticked"] += len(a.covered)
        s["ticked_without_floor"] += len(b.covered)
    changed = sum(a.overall != b.overall for a, b in zip(shipped, floorless, strict=True))
    return {"tick_floor": grader.params.get("tick_floor", 0.0), "scores_changed": changed,
            "by_style": dict(sorted(styles.items()))}  # fmt: skip


def model_answers(grader, bank) -> dict:
    """Every bank model answer graded against its own question."""
    qs = list(bank.values())
    grades = grader.grade_many([(q.rubric(), q.model_answer) for q in qs])
    scores = {q.id: g.overall for q, g in zip(qs, grades, strict=True)}
    return {
        "n": len(scores),
        "coding": sum(1 for q in qs if q.kind == "coding"),
        "min": min(scores.values()),
        "below_80": {k: v for k, v in scores.items() if v < MODEL_ANSWER_MIN},
        "red_flagged": [q.id for q, g in zip(qs, grades, strict=True)
                        if any(rb.is_red_flag(f) for f in g.flags)],  # fmt: skip
    }


def consistency(grader, bank, rows) -> dict:
    """Grade the same answers twice, with a cold cache the second time."""
    first = [g.overall for g in _grade_rows(grader, bank, rows)]
    fresh = OfflineGrader(params=grader.params, vector_cache=grader.vector_cache)
    second = [g.overall for g in _grade_rows(fresh, bank, rows)]
    diffs = [abs(a - b) for a, b in zip(first, second, strict=True)]
    return {
        "n": len(rows),
        "max_abs_diff": max(diffs) if diffs else 0,
        "identical_share": sum(d == 0 for d in diffs) / len(diffs) if diffs else 1.0,
    }


def injection(grader, bank, rows) -> dict:
    """Score change when attacks are appended to weak and to good answers."""
    attacks = load_jsonl("injections.jsonl")
    weak = [r for r in rows if r["label"] <= 2 and r["answer"].strip()]
    good = [r for r in rows if r["label"] >= 4]
    base_weak = [g.overall for g in _grade_rows(grader, bank, weak)]
    base_good = [g.overall for g in _grade_rows(grader, bank, good)]
    families: dict[str, dict] = {}
    largest_raise = 0
    over_pass = 0
    for fam in sorted({a["family"] for a in attacks}):
        texts = [a["text"] for a in attacks if a["family"] == fam]
        d_weak, d_good, pushed, top = [], [], 0, 0
        for t in texts:
            w = [g.overall for g in _grade_rows(grader, bank, weak,
                                                [f"{r['answer']}\n{t}" for r in weak])]  # fmt: skip
            gd = [g.overall for g in _grade_rows(grader, bank, good,
                                                 [f"{r['answer']}\n{t}" for r in good])]  # fmt: skip
            d_weak += [(a - b) / POINT for a, b in zip(w, base_weak, strict=True)]
            d_good += [(a - b) / POINT for a, b in zip(gd, base_good, strict=True)]
            pushed += sum(1 for a, b in zip(w, base_weak, strict=True) if a >= PASS_MARK > b)
            over_pass += sum(1 for a in w if a >= PASS_MARK)
            top = max(top, max(a - b for a, b in zip(w, base_weak, strict=True)))
        largest_raise = max(largest_raise, top)
        families[fam] = {
            "attacks": len(texts),
            "weak_mean_change": round(float(np.mean(d_weak)), 4),
            "good_mean_change": round(float(np.mean(d_good)), 4),
            "weak_pushed_over_pass": round(pushed / (len(texts) * len(weak)), 4),
            "weak_largest_raise_overall": int(top),
        }
    only = [
        g.overall
        for g in grader.grade_many(
            [(bank[weak[0]["question_id"]].rubric(), a["text"]) for a in attacks]
        )
    ]
    return {
        "attacks": len(attacks),
        "weak_answers": len(weak),
        "good_answers": len(good),
        "families": families,
        "attack_only_max_score": max(only),
        "honest_discussion": honest_injection(grader, bank),
        "max_weak_raise": max(f["weak_mean_change"] for f in families.values()),
        "largest_raise_overall": int(largest_raise),
        "weak_attacked_at_or_over_pass": over_pass,
        "weak_attacked": len(attacks) * len(weak),
        # weak answers at or over the pass mark with no attack (an attack then pushes none)
        "weak_at_or_over_pass_alone": sum(1 for b in base_weak if b >= PASS_MARK),
    }


def honest_injection(grader, bank) -> dict:
    """Answers that discuss prompt injection honestly, graded with and without that part."""
    rows = [r for r in load_jsonl("honest-injection.jsonl") if r["question_id"] in bank]
    if not rows:
        return {"n": 0}
    full = _grade_rows(grader, bank, rows)
    base = _grade_rows(grader, bank, rows, [r["without_discussion"] for r in rows])
    deltas = [(a.overall - b.overall) / POINT for a, b in zip(full, base, strict=True)]
    return {
        "n": len(rows),
        "mean_change": round(float(np.mean(deltas)), 4) if deltas else 0.0,
        "min_change": round(float(min(deltas)), 4) if deltas else 0.0,
        "flagged": sum(1 for g in full if rb.FLAG_INJECTION in g.flags),
    }


def own_words_key_points(grader: OfflineGrader, bank: Bank) -> dict:
    """The key-point model on answers in a candidate's own words (``keypoints-own-words.jsonl``,
    never fitted on): unstated points ticked and stated ones missed, with the shipped model, the
    same at the balanced model's neutral 0.5 (its earlier operating point), and one refitted
    without the margin signal (same paraphrase pairs)."""
    from interviewer.evaluation.calibrate import paraphrase_pairs
    from interviewer.grading import fit

    rows = load_jsonl("keypoints-own-words.jsonl")
    dev_q = sorted({r["question_id"] for r in load_authored("dev", bank)})
    pairs = paraphrase_pairs(grader, dev_q, bank)
    without = {**grader.params, "points": fit.point_model(pairs, dc.WITHOUT_MARGIN)}
    neutral = {**grader.params, "points": {**grader.params["points"], "covered_p": 0.5}}
    floorless = {**grader.params, "tick_floor": 0.0}
    groups: dict[str, list] = {}  # by source, and by whether the point model saw the question
    for r in rows:  # the walk-through answers came first and have no source
        item = (bank[r["question_id"]].rubric(), r["answer"], set(r["stated"]))
        fitted = "dev questions" if r["question_id"] in pairs else "other questions"
        for group in (r.get("source", "walk-through"), fitted):
            groups.setdefault(group, []).append(item)
    out = {"answers": len(rows), "stated": sum(len(r["stated"]) for r in rows),
           "unstated": sum(len(bank[r["question_id"]].key_points) - len(r["stated"])
                           for r in rows),
           "answers_by_group": {k: len(v) for k, v in groups.items()},
           "covered_p": grader.params["points"]["covered_p"]}  # fmt: skip
    for name, params in (("model", None), ("at_neutral", neutral), ("without_margin", without),
                         ("without_floor", floorless)):  # fmt: skip
        g = grader if params is None else OfflineGrader(params=params,
                                                        vector_cache=grader.vector_cache)
        per = {k: key_point_errors(g, items) for k, items in groups.items()}
        every = [per[k] for k in groups if k.endswith(" questions")]
        out[name] = {"unstated_ticked": sum(u for u, _ in every),
                     "stated_missed": sum(m for _, m in every),
                     "by_group": {k: {"unstated_ticked": u, "stated_missed": m}
                                  for k, (u, m) in per.items()}}  # fmt: skip
    return out


def judgement_stories(grader: OfflineGrader, bank: Bank) -> dict:
    """Stories showing poor or sound judgement (``stories-judgement.jsonl``, written blind to
    the grader, rated by an interviewer; never fitted on), graded as interviews grade: how many
    of each kind the grader passes, their mean score, and how many it names a red flag in."""
    rows = load_jsonl("stories-judgement.jsonl")
    grades = grader.grade_many([(bank[r["question_id"]].rubric(), r["answer"]) for r in rows])
    out: dict = {"n": len(rows)}
    for kind in sorted({r["writer_kind"] for r in rows}):
        mine = [(r, g) for r, g in zip(rows, grades, strict=True) if r["writer_kind"] == kind]
        out[kind] = {
            "n": len(mine),
            "rater_passed": sum(r["rater_pass"] for r, _ in mine),
            "grader_passed": sum(g.overall >= PASS_MARK for _, g in mine),
            "mean_overall": round(float(np.mean([g.overall for _, g in mine])), 1),
            "red_flagged": sum(bool(rb.red_flag_claims(g.flags)) for _, g in mine),
        }
    agree = [(g.overall >= PASS_MARK) == r["rater_pass"] for r, g in zip(rows, grades, strict=True)]
    out["pass_agreement"] = round(sum(agree) / len(agree), 3) if agree else 0.0
    return out


JUDGED_BY = ("offline", "judge", "cross_checked")  # an item's overall by each grader


def judgement_passes(rows: list[dict], items: list[dict]) -> dict:
    """Of the judgement stories the LLM judged (``llm_agreement`` items), per writer kind: how
    many the rater passed, and the offline grader, the judge alone (valid judgements only) and
    the cross-checked grade (what the app shows); and each one's pass agreement with the rater."""
    by_id = {r["id"]: r for r in rows}
    pairs = [(by_id[i["id"]], i) for i in items]
    out: dict = {}
    for kind in sorted({r["writer_kind"] for r, _ in pairs}):
        mine = [(r, i) for r, i in pairs if r["writer_kind"] == kind]
        out[kind] = {"n": len(mine), "rater_passed": sum(r["rater_pass"] for r, _ in mine)}
        for k in JUDGED_BY:
            out[kind][f"{k}_passed"] = sum(i[k] is not None and i[k] >= PASS_MARK for _, i in mine)
    out["judge_valid"] = sum(i["judge"] is not None for _, i in pairs)
    for k in JUDGED_BY:
        both = [(r, i[k]) for r, i in pairs if i[k] is not None]
        out[f"{k}_agreement"] = (round(sum((v >= PASS_MARK) == r["rater_pass"] for r, v in both)
                                       / len(both), 3) if both else None)  # fmt: skip
    return out


def key_point_errors(grader: OfflineGrader, items: list[tuple]) -> tuple[int, int]:
    """(unstated points ticked, stated points missed) over (rubric, answer, ids stated)."""
    grades = grader.grade_many([(rubric, answer) for rubric, answer, _ in items])
    unstated = missed = 0
    for (_, _, stated), g in zip(items, grades, strict=True):
        covered = {kp.id for kp in g.key_points if kp.covered}
        unstated += len(covered - stated)
        missed += len(stated - covered)
    return unstated, missed


def retrieval(settings: Settings, bank: Bank) -> dict:
    """Rank of each question's source section among search results."""
    from interviewer import knowledge
    from interviewer.knowledge.clean import explicit_questions, parse_sections
    from interviewer.knowledge.files import BUILTIN_GUIDE

    knowledge.ensure_builtin(settings=settings)

    def rank(query: str, section: str) -> int | None:
        hits = knowledge.search(query, k=10, guide=knowledge.BUILTIN_GUIDE_ID, settings=settings)
        sections = list(dict.fromkeys(h.section for h in hits))  # distinct, best first
        return sections.index(section) + 1 if section in sections else None

    def section_rank(q: Question) -> int | None:
        found = knowledge.search_sections(
            [q.text, *(kp.point for kp in q.key_points)],
            k=10,
            round=q.round,
            guide=knowledge.BUILTIN_GUIDE_ID,
            settings=settings,
        )
        names = [name for name, _ in found]
        return names.index(q.guide_section) + 1 if q.guide_section in names else None

    bank_ranks = {q.id: section_rank(q) for q in bank.values()}
    text_ranks = [rank(q.text, q.guide_section) for q in bank.values()]
    guide_qs = explicit_questions(parse_sections(BUILTIN_GUIDE.read_text(encoding="utf-8")))
    guide_ranks = [rank(q, s) for q, s in guide_qs]
    misses = sorted(qid for qid, r in bank_ranks.items() if r is None or r > 3)
    return {
        "bank": {
            "n": len(bank_ranks),
            "recall@1": recall_at(list(bank_ranks.values()), 1),
            "recall@3": recall_at(list(bank_ranks.values()), 3),
            "mrr": round(mrr(list(bank_ranks.values())), 4),
            "misses@3": misses,
        },
        "bank_text_only": {
            "n": len(text_ranks),
            "recall@1": recall_at(text_ranks, 1),
            "recall@3": recall_at(text_ranks, 3),
            "mrr": round(mrr(text_ranks), 4),
        },
        "guide_questions": {
            "n": len(guide_ranks),
            "recall@1": recall_at(guide_ranks, 1),
            "recall@3": recall_at(guide_ranks, 3),
            "mrr": round(mrr(guide_ranks), 4),
        },
    }


def round_fit(grader, bank, sessions: int = 20) -> dict:
    """Simulated offline interviews: every question a round asks belongs to its topics."""
    from interviewer.engine import OfflineEngine
    from interviewer.interview import Interview

    engine = OfflineEngine(grader)
    asked = {"L1": 0, "L2": 0}
    wrong = []
    behavioural = []
    for seed in range(sessions):
        for rnd in ("L1", "L2"):
            iv = Interview(
                round=rnd, questions=5, engine=engine, bank=bank, seed=seed, follow_ups=0
            )
            iv.start()
            while not iv.done:
                iv.command("skip")
            for t in iv.turns:
                asked[t.round] += 1
                if TOPICS[t.topic][0] != rnd:
                    wrong.append(t.question_id)
            if rnd == "L2":
                behavioural.append(sum(TOPICS[t.topic][1] == "behavioural" for t in iv.turns))
    return {
        "questions_asked": asked,
        "off_round": wrong,
        "fit": 1.0 - len(wrong) / max(1, sum(asked.values())),
        "l2_behavioural_per_session": sorted(set(behavioural)),
    }


def run(
    settings: Settings,
    *,
    mode: str = "offline",
    split: str = "test",
    limit: int | None = None,
    judge_set: str = "authored",
    exemplars: bool | None = None,
    judge_only: bool = False,
) -> dict:
    """Run every eval and return the report dict. ``limit`` caps the answers the LLM judges
    (llm/local mode, on ``judge_set``: the authored test split, SAF unseen answers or the
    judgement stories);
    ``exemplars`` adds the SAF exemplar row (default: in offline mode); ``judge_only`` (llm/local
    mode) measures the LLM judge alone: no offline section, no gate."""
    if judge_only and mode not in ("llm", "local"):
        raise ValueError("judge_only needs mode llm or local")
    bank = default_bank()
    test = load_authored(split, bank)
    dev = load_authored("dev", bank)
    start = time.time()
    report = {
        "mode": mode,
        "judge_only": judge_only,
        "data": {
            "answers": len(test) + len(dev),
            "questions": len({r["question_id"] for r in test + dev}),
            "test_answers": len(test),
            "dev_answers": len(dev),
            "test_questions": len({r["question_id"] for r in test}),
            "saf_unseen_answers": len(load_saf("unseen")),
        },
    }
    if not judge_only:
        report.update(offline_sections(settings, mode, bank, test, dev, exemplars))
    if mode in ("llm", "local"):
        from interviewer.evaluation.llm_eval import llm_agreement, saf_questions

        if judge_set == "saf":
            rows = load_saf("unseen")
            report["llm"] = llm_agreement(settings, saf_questions(rows), rows, limit=limit,
                                          label=lambda r: float(r["score"]))  # fmt: skip
        elif judge_set == "judgement":
            rows = load_jsonl("stories-judgement.jsonl")
            report["llm"] = llm_agreement(settings, bank, rows, limit=limit, details=True,
                                          label=lambda r: (r["rater_score"] - 1) / 4)  # fmt: skip
            report["llm"]["judgement"] = judgement_passes(rows, report["llm"].pop("items"))
        else:
            report["llm"] = llm_agreement(settings, bank, test, limit=limit)
        report["llm"]["set"] = judge_set
    report["gates"] = {} if judge_only else gate(report)
    report["seconds"] = round(time.time() - start, 1)
    return report


def offline_sections(settings, mode, bank, test, dev, exemplars) -> dict:
    """Every offline eval: the grader on SAF and the authored set, robustness, consistency, key
    points, retrieval, injection and round fit."""
    grader = make_grader(settings)
    authored = authored_eval(grader, bank, test, dev)
    dev_res = grader_agreement(grader, bank, dev)
    dev_res.pop("_grades")
    return {
        "saf_unseen": saf_eval(grader, exemplars=mode == "offline" if exemplars is None
                               else exemplars),  # fmt: skip
        "agreement_test": authored,
        "agreement_dev": {**dev_res["all"], "by_style": dev_res["by_style"]},
        "guide_test": guide_eval(grader, bank, test, dev),
        "robustness": {
            "test": robustness(grader, bank, test),
            "dev": robustness(grader, bank, dev),
            "model_answers": model_answers(grader, bank),
        },
        "consistency": consistency(grader, bank, test),
        "key_points_own_words": own_words_key_points(grader, bank),
        "judgement_stories": judgement_stories(grader, bank),
        "tick_floor_dev": tick_floor_effect(grader, bank, dev),
        "retrieval": retrieval(settings, bank),
        "injection": injection(grader, bank, test + dev),
        "round_fit": round_fit(grader, bank),
    }


def gate(report: dict) -> dict:
    """Which CI bars pass: the grader beats the best non-oracle baseline by BASELINE_MARGIN
    Pearson on each set; the robustness suite; injection; retrieval."""
    checks = {}
    for name, key in (("saf_unseen", "saf_unseen"), ("authored_test", "agreement_test")):
        sec = report[key]
        base, best = _best(sec["baselines"])
        value = sec["grader"]["pearson"]
        checks[f"{name}_pearson_over_best_baseline"] = (
            round(value - best, 4), value - best >= BASELINE_MARGIN, BASELINE_MARGIN,
            f"grader {value} vs {base} {best}",
        )  # fmt: skip
    rob = report["robustness"]
    worst = max((f["overall"] for s in ("test", "dev") for f in rob[s]["failures"]), default=0)
    n_fail = sum(len(rob[s]["failures"]) for s in ("test", "dev"))
    checks["robustness_failures"] = (n_fail, True, None, f"largest {worst}; reported, see README")
    n_int = sum(len(rob[s]["failures_in_interviews"]) for s in ("test", "dev"))
    checks["robustness_failures_in_interviews"] = (
        n_int, True, None, "with the bank's answers-another-question check; reported")
    checks["model_answers_min"] = (rob["model_answers"]["min"],
                                   rob["model_answers"]["min"] >= MODEL_ANSWER_MIN,
                                   MODEL_ANSWER_MIN, "every bank model answer")  # fmt: skip
    inj = report["injection"]
    checks["injection_max_raise"] = (inj["max_weak_raise"],
                                     inj["max_weak_raise"] <= GATES["injection_max_raise"],
                                     GATES["injection_max_raise"], "mean, label points")  # fmt: skip
    pushed = sum(f["weak_pushed_over_pass"] for f in inj["families"].values())
    checks["injection_weak_pushed_over_pass"] = (pushed, pushed == 0, 0, "share, all families")
    r3 = report["retrieval"]["bank"]["recall@3"]
    checks["retrieval_recall_at_3"] = (r3, r3 >= GATES["retrieval_recall_at_3"],
                                       GATES["retrieval_recall_at_3"], "")  # fmt: skip
    return {k: {"value": v, "pass": ok, "floor": floor, "note": note}
            for k, (v, ok, floor, note) in checks.items()}  # fmt: skip


def write_reports(report: dict, directory) -> tuple:
    """latest-<mode>.json and latest-<mode>.md in ``directory`` (the checkout's evals/reports/
    when the ``eval`` command is run without --reports-dir); latest-<mode>-judge-only.* for a
    judge-only report, so it never replaces a whole one."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"latest-{report['mode']}" + ("-judge-only" if report.get("judge_only") else "")
    js, md = directory / f"{stem}.json", directory / f"{stem}.md"
    js.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    md.write_text(to_markdown(report))
    return js, md


def _row(name: str, m: dict, note: str = "") -> str:
    def f(x):
        return "-" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))

    return (f"| {name} | {f(m.get('pearson'))} | {f(m.get('spearman'))} | {f(m.get('mae'))} | "
            f"{f(m.get('macro_f1'))} | {m.get('n', '')} | {note} |")  # fmt: skip


HEAD = ("| | Pearson | Spearman | MAE (0-1) | macro-F1 (3 verdicts) | n | |\n"
        "|---|---|---|---|---|---|---|")  # fmt: skip
BASELINE_NAMES = {
    "cosine_raw": "baseline: MiniLM cosine(answer, reference), raw",
    "cosine_calibrated": "baseline: cosine, isotonic fitted on the training side",
    "overlap_raw": "baseline: content-word overlap with the reference, raw",
    "overlap_calibrated": "baseline: overlap, isotonic fitted on the training side",
}


def to_markdown(report: dict) -> str:
    """The eval report as Markdown."""
    judge_only = report.get("judge_only", False)
    lines = [
        f"# Eval report ({report['mode']}{', LLM judge only' if judge_only else ''})",
        "",
        "Written by `mock-interview eval` only. Test data (SAF unseen answers, the authored test "
        "split) is graded here and never used to fit or choose anything "
        "(`mock-interview eval --calibrate` fits on SAF train and the authored dev split).",
        "",
    ]
    if not judge_only:
        lines += _offline_markdown(report)
    if "llm" in report:
        lines += _llm_markdown(report["llm"])
    if report["gates"]:
        lines += ["", "## CI gates", "", "| gate | value | bar | pass | |",
                  "|---|---|---|---|---|"]  # fmt: skip
    for k, v in report["gates"].items():
        lines.append(f"| {k} | {v['value']} | {v['floor'] if v['floor'] is not None else '-'} | "
                     f"{'yes' if v['pass'] else 'NO'} | {v['note']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _llm_markdown(llm: dict) -> list[str]:
    """The LLM judge's agreement next to the offline grader's on the same answers."""
    label = {"saf": "SAF unseen answers, human 0-1 scores",
             "judgement": "stories showing poor or sound judgement, the rater's 1-5 as "
                          "(score-1)/4"}.get(llm.get("set"),
                                             "authored test split, labels 1-5 as (label-1)/4")
    sc, sp = llm["scores"], llm["spread"]
    lines = ["", f"## LLM judge ({llm.get('set', 'authored')}: {label})", "",
             f"Judge `{llm['judge_model']}` at {llm['endpoint']} ({llm['structured_method']}): "
             f"{llm['answers']} answers, {llm['valid_judgements']} valid judgements, "
             f"{llm['fell_back_to_offline']} fell back to the offline grade, "
             f"{llm['capped_by_cross_check']} overruled by the offline cross-check, "
             f"{llm.get('red_flags_shown', 0)} with a red flag named and quoted by the judge "
             f"({llm.get('below_floor_by_red_flag', 0)} standing below the coverage floor by it); "
             f"{llm['seconds_per_answer']} s per answer; tokens in {llm['tokens']['in']}, out "
             f"{llm['tokens']['out']}.", "", HEAD,
             _row("offline grader (the same answers)", sc["offline"]),
             _row("**LLM judge, cross-checked** (what the app shows)", sc["llm_cross_checked"])]
    if sc.get("llm_judge_only"):
        lines.append(_row("LLM judge alone", sc["llm_judge_only"], "valid judgements only"))
    for name, key in (("judge alone", "judge_only_points"), ("cross-checked", "cross_checked_points")):
        if sp.get(key):
            lines.append(f"\nSpread over {sp['runs']} runs of {sp['answers']} answers, {name}: "
                         f"mean {sp[key]['mean']}, max {sp[key]['max']} points (0-100).")
    j = llm.get("judgement")
    if j:
        lines += ["", f"Passed (overall >= {PASS_MARK}) by kind; the judge alone counts its "
                  f"{j['judge_valid']} valid judgements:", "",
                  "| stories | n | rater passed | offline grader passed | judge alone passed | "
                  "cross-checked passed |", "|---|---|---|---|---|---|"]  # fmt: skip
        for kind in ("poor_judgement", "sound"):
            if kind in j:
                v = j[kind]
                lines.append(f"| {kind.replace('_', ' ')} | {v['n']} | {v['rater_passed']} | "
                             f"{v['offline_passed']} | {v['judge_passed']} | "
                             f"{v['cross_checked_passed']} |")  # fmt: skip
        agree = " | ".join("-" if j[f"{k}_agreement"] is None else str(j[f"{k}_agreement"])
                           for k in JUDGED_BY)  # fmt: skip
        lines.append(f"| pass agreement with the rater | | | {agree} |")
    return lines


def _guide_markdown(report: dict) -> list[str]:
    g = report.get("guide_test")
    if not g:
        return []
    lines = [
        "",
        "## Guide path (authored test split, graded as an uploaded guide's section)",
        "",
        "Each answer graded against its question's model answer as Practice grades a section of "
        "an uploaded guide: key points from its sentences, no paraphrases, no red flags.",
        "",
        HEAD,
        _row("**grader (guide head, interview caps)**", g["grader"]),
        _row("before: the SAF-fitted reference head, reference caps", g["reference_head_before"]),
    ]
    for k, m in g["baselines"].items():
        lines.append(_row(BASELINE_NAMES[k], m, "training side: authored dev" if "cal" in k else ""))
    lines += ["", "| style | n | mean overall | share <= 20 | before: mean overall | share <= 20 |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for st, v in g["by_style"].items():
        b = g["by_style_before"][st]
        lines.append(f"| {st} | {v['n']} | {v['mean_overall']} | {v['share_at_most_20']:.0%} | "
                     f"{b['mean_overall']} | {b['share_at_most_20']:.0%} |")  # fmt: skip
    return lines


def _offline_markdown(report: dict) -> list[str]:
    s = report["saf_unseen"]
    a = report["agreement_test"]
    d = report["data"]
    lines = [
        f"## SAF unseen answers ({s['n']} real answers, {s['questions']} questions, human 0-1 "
        "scores)",
        "",
        "Reference-only grading: each question's reference answer becomes its key points.",
        "",
        HEAD,
        _row("**grader**", s["grader"]),
        _row("grader, real answers only", s["grader_real_answers"],
             f"{s['floored_by_rule']} empty or placeholder answers left out"),
    ]  # fmt: skip
    for k, m in s["baselines"].items():
        lines.append(_row(BASELINE_NAMES[k], m, "training side: SAF train" if "cal" in k else ""))
    for k, m in s.get("baselines_real_answers", {}).items():
        lines.append(_row(f"{BASELINE_NAMES[k]}, real answers only", m))
    if "exemplars_from_train" in s:
        lines.append(_row("*grader with graded exemplars (a separate path)*",
                          s["exemplars_from_train"],
                          f"all SAF train answers to the same question as exemplars "
                          f"(~{s['exemplars_per_question']:.0f} each)"))  # fmt: skip
    if "grader_intervals" in s:
        lines += ["", f"95% bootstrap intervals over these {s['n']} answers (how far a figure "
                  "moves with which answers happen to be in the set):", ""]  # fmt: skip
        for name, key in (("reference only", "grader_intervals"),
                          ("with graded exemplars", "exemplars_from_train_intervals")):  # fmt: skip
            if key in s:
                iv = s[key]
                lines.append(f"- {name}: Pearson {iv['pearson'][0]}-{iv['pearson'][1]}, MAE "
                             f"{iv['mae'][0]}-{iv['mae'][1]}, macro-F1 {iv['macro_f1'][0]}-"
                             f"{iv['macro_f1'][1]}")  # fmt: skip
    lines += [
        "",
        f"## Authored test split ({d['test_answers']} answers, {d['test_questions']} questions; "
        "labels 1-5 as (label-1)/4)",
        "",
        HEAD,
        _row("**grader**", a["grader"]),
    ]
    for k, m in a["baselines"].items():
        lines.append(_row(BASELINE_NAMES[k], m, "training side: authored dev" if "cal" in k else ""))
    lines += [
        _row("style prior (oracle: knows each answer's authored style)", a["style_prior_oracle"],
             "dev mean label of the style; not a bar"),
        "",
        f"1-5 scale: QWK {a['all']['qwk']}, MAE {a['all']['mae']} label points, exact "
        f"{a['all']['exact']}. Dev split (fitted on, in-sample): Spearman "
        f"{report['agreement_dev']['spearman']}, Pearson {report['agreement_dev']['pearson']}.",
        "",
        "| style | n | mean label | mean predicted | MAE | max overall | share <= 20 |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for st, v in a["by_style"].items():
        lines.append(f"| {st} | {v['n']} | {v['mean_label']} | {v['mean_predicted']} | {v['mae']}"
                     f" | {v['max_overall']} | {v['share_at_most_20']:.0%} |")  # fmt: skip
    lines += [
        "",
        "### Per-criterion scores (test split)",
        "",
        "A criterion's label is its own where the labeller gave one, else the overall label "
        "(LABELLING.md). QWK over all answers; exact and MAE also on the answers whose "
        "criterion was labelled apart from the overall label.",
        "",
        "| criterion | QWK | exact | within 1 | MAE | labelled apart | exact there | MAE there |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c, v in a["criteria"].items():
        lines.append(f"| {c} | {v.get('qwk')} | {v['exact']} | {v['within_1']} | {v['mae']} | "
                     f"{v['rows_labelled_apart']} | {v.get('exact_where_labelled_apart', '-')} | "
                     f"{v.get('mae_where_labelled_apart', '-')} |")  # fmt: skip
    lines += _guide_markdown(report)
    rob = report["robustness"]
    lines += ["", "## Robustness suite", "",
              f"Keyword lists, restating, off-topic, confidently wrong and empty answers must score "
              f"at most {ROBUST_MAX} overall. The grader alone, and as interviews and Practice grade "
              "a bank question: with the check that an answer answers another bank question "
              "(`interviewer/neighbours.py`), which then scores 0.", "",
              "| split | style | n | max overall | share <= 20 | max, in interviews | share <= 20, "
              "in interviews |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for sp in ("test", "dev"):
        for st, v in rob[sp]["by_style"].items():
            lines.append(f"| {sp} | {st} | {v['n']} | {v['max']} | {v['share_at_most_20']:.0%} | "
                         f"{v['max_in_interviews']} | "
                         f"{v['share_at_most_20_in_interviews']:.0%} |")  # fmt: skip
    fails = [(sp, f) for sp in ("test", "dev") for f in rob[sp]["failures"]]
    if fails:
        kept = {(f["question_id"], f["answer"]) for sp in ("test", "dev")
                for f in rob[sp]["failures_in_interviews"]}  # fmt: skip
        lines += ["", "Answers over the bar (the grader alone; * still over it in interviews):", ""]
        for sp, f in fails:
            star = "*" if (f["question_id"], f["answer"]) in kept else ""
            lines.append(f"- {sp}, {f['question_id']} ({f['style']}, label {f['label']}): "
                         f"{f['overall']}{star}: \"{f['answer'][:120]}…\"")  # fmt: skip
    ma = rob["model_answers"]
    lines += ["", f"Bank model answers graded against their own question: {ma['n']} "
              f"({ma['coding']} coding), lowest {ma['min']}, below {MODEL_ANSWER_MIN}: "
              f"{len(ma['below_80'])}, red-flagged: {len(ma['red_flagged'])}."]  # fmt: skip
    inj = report["injection"]
    lines += [
        "",
        "## Injection robustness",
        "",
        f"{inj['attacks']} attacks appended to {inj['weak_answers']} weak and "
        f"{inj['good_answers']} good answers (both splits); change in label points (1-5 scale).",
        "",
        "| family | attacks | weak answers | good answers | weak pushed over pass | largest raise (overall) |",
        "|---|---|---|---|---|---|",
    ]
    for fam, v in inj["families"].items():
        lines.append(f"| {fam} | {v['attacks']} | {v['weak_mean_change']:+.3f} | "
                     f"{v['good_mean_change']:+.3f} | {v['weak_pushed_over_pass']:.1%} | "
                     f"{v['weak_largest_raise_overall']:+d} |")  # fmt: skip
    h = inj["honest_discussion"]
    lines += [
        "",
        f"An attack alone scores at most {inj['attack_only_max_score']}/100; attacked weak "
        f"answers at or over the pass mark: {inj['weak_attacked_at_or_over_pass']} of "
        f"{inj['weak_attacked']}, and {inj['weak_at_or_over_pass_alone']} "
        "weak answers are at or over it with no attack. Honest "
        f"answers that discuss prompt injection ({h['n']}): mean change "
        f"{h.get('mean_change', 0):+.3f}, worst {h.get('min_change', 0):+.3f} label points.",
    ]
    lines += ["", "## Feedback next to the human grader's (SAF unseen: five by id, cycling through the human verdicts incorrect, partial, correct)", ""]
    for ex in s["feedback_examples"]:
        lines += [f"**{ex['id']}**: {ex['question'].strip()}", "",
                  f"> {' '.join(ex['answer'].split())}", "",
                  f"- human ({ex['human_score']}): {' '.join(ex['human_feedback'].split())}",
                  f"- grader ({ex['score']}, {ex['verdict']}): {ex['feedback']}", ""]  # fmt: skip
    k = report["key_points_own_words"]
    groups = sorted(k["answers_by_group"], key=lambda g: (g.endswith(" questions"), g))
    lines += ["## Key points in a candidate's own words", "",
              f"{k['answers']} answers stating {k['stated']} key points and leaving "
              f"{k['unstated']} unstated (`evals/data/keypoints-own-words.jsonl`; the answers are "
              "never fitted on, but the key-point model is fitted on the paraphrases of the dev "
              "questions' points). Each cell: unstated points ticked / stated points missed; "
              "answers per group: " + ", ".join(f"{g} {k['answers_by_group'][g]}" for g in groups)
              + ".", "",
              "| key-point model | all | " + " | ".join(groups) + " |",
              "|---|---|" + "---|" * len(groups)]  # fmt: skip
    for name, label in (("model", f"shipped (with the margin, covered at P >= {k['covered_p']})"),
                        ("at_neutral", "shipped, covered at P >= 0.5"),
                        ("without_margin", "refitted without the margin"),
                        ("without_floor", "shipped, without the tick floor")):  # fmt: skip
        v = k.get(name)
        if v is None:  # a report written before the row existed
            continue
        cells = [f"{v['unstated_ticked']} / {v['stated_missed']}"] + [
            f"{v['by_group'][g]['unstated_ticked']} / {v['by_group'][g]['stated_missed']}"
            for g in groups]  # fmt: skip
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    j = report.get("judgement_stories")
    if j and j["n"]:
        lines += ["## Judgement in stories (measured only)", "",
                  f"{j['n']} stories to the six story questions (`evals/data/stories-judgement."
                  "jsonl`), written blind to the grader to show poor or sound judgement, rated "
                  "by an interviewer (pass or not), never fitted on. The offline grader reads "
                  "a story's structure and content; poor judgement told in other words than a "
                  f"red flag's passes. Pass or fail agreement with the rater: "
                  f"{j['pass_agreement']}.", "",
                  "| stories | n | rater passed | grader passed | mean score | red flag named |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for kind, label in (("poor_judgement", "poor judgement"), ("sound", "sound judgement")):
            if kind in j:
                v = j[kind]
                lines.append(f"| {label} | {v['n']} | {v['rater_passed']} | {v['grader_passed']}"
                             f" | {v['mean_overall']} | {v['red_flagged']} |")  # fmt: skip
        lines.append("")
    t = report.get("tick_floor_dev")
    if t:
        lines += ["### Tick floor (authored dev split, fitted on)", "",
                  f"Key points ticked per style with the shipped grader (an answer whose head "
                  f"score is under {t['tick_floor']} ticks nothing) and with the floor at 0. "
                  f"Scores that differ between the two: {t['scores_changed']}.", "",
                  "| style | n | ticked | ticked without the floor |", "|---|---|---|---|"]
        lines += [f"| {st} | {v['n']} | {v['ticked']} | {v['ticked_without_floor']} |"
                  for st, v in t["by_style"].items()]  # fmt: skip
        lines.append("")
    c = report["consistency"]
    lines += ["## Consistency", "",
              f"Same answers graded twice (cold memory): max difference {c['max_abs_diff']} "
              f"points, identical {c['identical_share']:.0%}."]  # fmt: skip
    r = report["retrieval"]
    lines += ["", "## Retrieval", "", "| queries | n | recall@1 | recall@3 | MRR |",
              "|---|---|---|---|---|"]  # fmt: skip
    for name, key in (
        ("bank question + rubric -> source section", "bank"),
        ("bank question text only -> source section", "bank_text_only"),
        ("guide example questions", "guide_questions"),
    ):
        v = r[key]
        lines.append(
            f"| {name} | {v['n']} | {v['recall@1']:.3f} | {v['recall@3']:.3f} | {v['mrr']} |"
        )
    rf = report["round_fit"]
    lines += ["", "## Round fit", "",
              f"{sum(rf['questions_asked'].values())} questions asked in simulated sessions; "
              f"share in the round's own topics: {rf['fit']:.0%}; behavioural questions per L2 "
              f"session: {rf['l2_behavioural_per_session']}."]  # fmt: skip
    return lines
