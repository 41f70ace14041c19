"""Stories showing poor or sound judgement: the grader's passes next to an interviewer's."""

from __future__ import annotations

import numpy as np

from interviewer.bank import Bank
from interviewer.evaluation.datasets import load_jsonl
from interviewer.grading import rubric as rb
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import PASS_MARK


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
