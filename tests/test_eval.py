"""Eval metrics, and the CI gate: the offline eval on the test split must meet its floors."""

from __future__ import annotations

import json

import pytest

from interviewer import cli
from interviewer.errors import PromptError
from interviewer.evaluation import metrics, runner
from interviewer.evaluation.datasets import load_jsonl
from interviewer.grading.fit import STORY_STYLE
from interviewer.llm.prompts import load, render


def test_agreement_metrics_on_known_values():
    perfect = metrics.agreement([0, 0.25, 0.5, 0.75, 1], [0, 0.25, 0.5, 0.75, 1])
    assert perfect["spearman"] == 1 and perfect["qwk"] == 1 and perfect["mae"] == 0
    reversed_ = metrics.agreement([0, 0.25, 0.5, 0.75, 1], [1, 0.75, 0.5, 0.25, 0])
    assert reversed_["spearman"] == -1 and reversed_["qwk"] < 0
    assert metrics.recall_at([1, 2, None, 4], 3) == 0.5
    assert metrics.mrr([1, 2, None, 4]) == pytest.approx((1 + 0.5 + 0.25) / 4)


def test_labelled_data_is_big_enough_and_split_by_question():
    rows = runner.load_labelled()
    by_q = {}
    for r in rows:
        by_q.setdefault(r["question_id"], []).append(r)
        assert 1 <= r["label"] <= 5 and r["style"]
    assert len(by_q) >= 40 and all(len(v) >= 5 for v in by_q.values())
    for answers in by_q.values():
        assert len({a["split"] for a in answers}) == 1  # a question never spans splits
    styles = {r["style"] for r in rows}
    stories = {s for s in styles if s.startswith(STORY_STYLE)}
    assert len(styles - stories) == 10 and len(stories) == 7
    assert {r["split"] for r in rows} == {"dev", "test"}
    # the candidate stories: dev only, each the mean of its two raters' labels
    told = [r for r in rows if r["style"] in stories]
    assert len(told) == 42 and {r["split"] for r in told} == {"dev"}
    for r in told:
        assert len(r["raters"]) == 2 and r["label"] == sum(r["raters"]) / 2


def test_offline_eval_meets_the_ci_floors(kb_settings, tmp_path, capsys):
    # As CI's gate is run: `mock-interview eval --gate`, the reports written where asked.
    code = cli.main(["eval", "--gate", "--reports-dir", str(tmp_path)])
    report = json.loads((tmp_path / "latest-offline.json").read_text())
    failing = {k: v for k, v in report["gates"].items() if not v["pass"]}
    assert code == 0 and not failing, json.dumps(failing)
    out = capsys.readouterr().out
    saf = report["saf_unseen"]["grader"]
    assert f"SAF unseen (n=252): Pearson {saf['pearson']}" in out
    assert "gate retrieval_recall_at_3:" in out and "FAIL" not in out
    # a gate with no bar is printed as reported, never "pass" beside a negative margin
    said = [line for line in out.splitlines()
            if line.startswith("gate other_subjects_pearson_over_best_baseline: ")]
    assert len(said) == 1 and " reported (" in said[0] and not said[0].endswith("pass"), said
    assert not report["judge_only"] and "llm" not in report
    assert report["consistency"]["max_abs_diff"] == 0
    assert report["round_fit"]["fit"] == 1.0
    assert report["injection"]["attacks"] >= 40
    assert report["injection"]["honest_discussion"]["min_change"] >= -0.25
    k = report["key_points_own_words"]  # measured, not gated: a few dozen answers are cases
    rows = load_jsonl("keypoints-own-words.jsonl")
    assert (k["answers"], k["stated"]) == (len(rows), sum(len(r["stated"]) for r in rows))
    assert k["answers_by_group"]["walk-through"] == 8
    assert k["answers_by_group"]["dev questions"] + k["answers_by_group"]["other questions"] == len(rows)
    for model in ("model", "at_neutral", "without_margin", "without_floor"):
        v = k[model]
        assert 0 <= v["stated_missed"] <= k["stated"] and 0 <= v["unstated_ticked"] <= k["unstated"]
    # The tick floor's effect (reproduces the closing note's dev figures): no score moves, weak
    # styles lose ticks, the good ones keep every tick.
    t = report["tick_floor_dev"]
    assert t["scores_changed"] == 0 and t["tick_floor"] > 0
    by = t["by_style"]
    # one off-topic tick is left (a strict xfail in test_grader.py names it)
    assert by["off_topic"]["ticked"] <= 1 < by["off_topic"]["ticked_without_floor"]
    assert by["keyword_stuffing"]["ticked"] < by["keyword_stuffing"]["ticked_without_floor"]
    for style in ("expert", "good_missing_one"):
        assert by[style]["ticked"] == by[style]["ticked_without_floor"] > 0
    # Judgement in stories: measured only. The rater's passes are the data's; the sound
    # stories name no wrong claim (the shared story flags must not read sound judgement as poor)
    j = report["judgement_stories"]
    rows = load_jsonl("stories-judgement.jsonl")
    assert j["n"] == len(rows) == 28
    assert (j["sound"]["rater_passed"], j["poor_judgement"]["rater_passed"]) == (14, 0)
    assert j["sound"]["red_flagged"] == 0
    assert 0 <= j["poor_judgement"]["grader_passed"] <= 14 and 0 < j["pass_agreement"] <= 1
    # reference-only grading on subjects never fitted on, with its baselines beside it
    o = report["other_subjects"]
    assert (o["n"], o["questions"]) == (len(load_jsonl("other-subjects.jsonl")), 16) == (112, 16)
    assert set(o["baselines"]) == set(report["saf_unseen"]["baselines"])
    lo, hi = o["grader_intervals"]["pearson"]
    assert lo <= o["grader"]["pearson"] <= hi
    gate = report["gates"]["other_subjects_pearson_over_best_baseline"]  # reported, not a bar
    assert gate["floor"] is None and "reported" in gate["note"]
    md = (tmp_path / "latest-offline.md").read_text()
    assert "## Other subjects (112 answers, 16 questions" in md
    # the 1-5 MAE in label points, not the 0-1 one printed under that name (an audit)
    a = report["agreement_test"]
    assert f"MAE {a['mae_points']} label points" in md and a["mae_points"] != a["all"]["mae"]
    gate_row = next(x for x in md.splitlines() if x.startswith("| other_subjects_pearson_over"))
    assert gate_row.endswith("reported, see README |") and "| - | reported |" in gate_row
    assert "## Judgement in stories (measured only)" in md
    assert "## SAF unseen answers" in md and "## CI gates" in md and "## LLM judge" not in md
    assert "## Key points in a candidate's own words" in md
    assert "### Tick floor (authored dev split" in md


def test_prompts_are_versioned_and_fail_loudly_on_missing_variables(tmp_path):
    judge = load("judge")
    assert judge.version >= 1 and {"question", "key_points"} <= judge.variables
    with pytest.raises(PromptError, match="needs"):
        render("judge", question="q")
    (tmp_path / "broken.md").write_text("no header here")
    with pytest.raises(PromptError, match="version"):
        load("broken", tmp_path)
    with pytest.raises(PromptError, match="no prompt file"):
        load("missing", tmp_path)


def test_every_labelled_question_has_a_fixed_split():
    # Running the evals never writes splits.json: a new question must be added to it by hand.
    fixed = json.loads(runner.SPLITS.read_text())
    questions = {r["question_id"] for r in runner.load_labelled()}
    assert questions <= set(fixed)


def test_bootstrap_intervals_hold_the_figure_and_narrow_with_more_answers():
    import numpy as np

    rng = np.random.default_rng(3)

    def noisy(n):
        y = rng.choice([0.0, 0.5, 1.0], n)
        return y, np.clip(y + rng.normal(0, 0.25, n), 0, 1)

    y, p = noisy(250)
    iv, m = metrics.bootstrap_intervals(y, p), metrics.score_metrics(y, p)
    for k in ("pearson", "mae", "macro_f1"):
        assert iv[k][0] <= m[k] <= iv[k][1], (k, iv[k], m[k])
    wide = metrics.bootstrap_intervals(*noisy(60))
    assert np.diff(wide["pearson"])[0] > np.diff(iv["pearson"])[0]
    assert metrics.bootstrap_intervals(y, y)["pearson"] == [1.0, 1.0]
    assert metrics.bootstrap_intervals(y, p) == iv  # seeded: the report is stable
