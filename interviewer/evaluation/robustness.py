"""The robustness suite: weak answer styles, injection attacks, bank model answers, a re-grade."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from interviewer.evaluation.authored_eval import ROBUST_MAX, _grade_rows
from interviewer.evaluation.datasets import load_jsonl
from interviewer.grading import rubric as rb
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import PASS_MARK

POINT = 25  # overall points per label point (0-100 onto 1-5)
ROBUST_STYLES = ("keyword_stuffing", "restating", "off_topic", "confident_wrong", "empty_idk")
MODEL_ANSWER_MIN = 80  # every bank model answer, graded against its own question


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
        "by_style": {
            s: {
                "n": len(v),
                "max": max(v),
                "share_at_most_20": round(float(np.mean([x <= ROBUST_MAX for x in v])), 3),
                "max_in_interviews": max(in_interviews[s]),
                "share_at_most_20_in_interviews": round(
                    float(np.mean([x <= ROBUST_MAX for x in in_interviews[s]])), 3
                ),
            }
            for s, v in sorted(styles.items())
        },  # fmt: skip
        "failures": fails(grades),
        "failures_in_interviews": fails(checked),
    }


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
        "red_flagged": [
            q.id for q, g in zip(qs, grades, strict=True) if any(rb.is_red_flag(f) for f in g.flags)
        ],  # fmt: skip
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
            gd = [g.overall
                  for g in _grade_rows(grader, bank, good,
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
