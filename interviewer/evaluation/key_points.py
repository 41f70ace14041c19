"""Key points ticked and missed: answers in a candidate's own words, the tick floor's effect."""

from __future__ import annotations

from interviewer.bank import Bank
from interviewer.evaluation.authored_eval import _grade_rows
from interviewer.evaluation.datasets import load_authored, load_jsonl
from interviewer.grading import decide as dc
from interviewer.grading.grader import OfflineGrader


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
        g = (
            grader
            if params is None
            else OfflineGrader(params=params, vector_cache=grader.vector_cache)
        )
        per = {k: key_point_errors(g, items) for k, items in groups.items()}
        every = [per[k] for k in groups if k.endswith(" questions")]
        out[name] = {"unstated_ticked": sum(u for u, _ in every),
                     "stated_missed": sum(m for _, m in every),
                     "by_group": {k: {"unstated_ticked": u, "stated_missed": m}
                                  for k, (u, m) in per.items()}}  # fmt: skip
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
