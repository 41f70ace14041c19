"""Issue 12's reproducibility and reporting promises: `eval --calibrate` rebuilds the shipped
parameters byte for byte from SAF train and the authored dev split (never reading test data),
the verdict cuts, and `grade`'s agreement printout on 1-5 labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interviewer.bank import default_bank
from interviewer.cli import main
from interviewer.evaluation import calibrate, head_alternatives, verdict_cuts
from interviewer.evaluation import datasets as ds
from interviewer.evaluation.metrics import agreement
from interviewer.grading.grader import params_path
from interviewer.grading.rubric import verdict_of

ROOT = Path(__file__).resolve().parents[1]


def test_calibration_reproduces_the_shipped_params_without_reading_test_data(monkeypatch):
    load_saf, load_authored = ds.load_saf, ds.load_authored

    def saf_train_only(split="train", *a, **k):
        assert split == "train", f"calibration read SAF {split}"
        return load_saf(split, *a, **k)

    def dev_only(split, *a, **k):
        assert split == "dev", f"calibration read the authored {split} split"
        return load_authored(split, *a, **k)

    load_jsonl = ds.load_jsonl

    def no_measured_set(name, *a, **k):
        assert name != "other-subjects.jsonl", "calibration read the other-subjects set"
        return load_jsonl(name, *a, **k)

    monkeypatch.setattr(ds, "load_saf", saf_train_only)
    monkeypatch.setattr(ds, "load_authored", dev_only)
    monkeypatch.setattr(ds, "load_jsonl", no_measured_set)
    text, data = calibrate.calibrate()
    shipped = params_path().read_text()
    params, ours = json.loads(text), json.loads(shipped)
    if params["meta"]["encoder"] == ours["meta"]["encoder"]:
        # this machine's MiniLM gives the very vectors the shipped fit saw: the same file
        assert text == shipped, "interviewer/grading/grader_params.json is not what `eval --calibrate` fits"
    else:
        # another CPU's float kernels: the vectors differ in the last bits, the grader must not
        assert calibrate.refit_differences(params, ours, data) == []
    # and the comparison sees a real change: a coefficient moved, a head's scores shifted
    moved = json.loads(shipped)
    moved["criteria"]["depth"]["coef"][0] += 0.05
    was, now = ours["criteria"]["depth"]["coef"][0], moved["criteria"]["depth"]["coef"][0]
    assert calibrate.refit_differences(moved, ours, data) == [
        f"/criteria/depth/coef[0]: {now} against {was}"
    ]
    shifted = json.loads(shipped)
    shifted["heads"]["reference"]["intercept"] += 0.5
    found = calibrate.refit_differences(shifted, ours, data)
    assert any(d.startswith("reference head scores") for d in found)
    assert params["meta"]["rows"] == {"saf_train": len(data["saf"]), "authored_dev": len(data["dev"])}
    assert len(data["saf"]) > 1000 and data["dev"]
    # the reference head is fitted for the general case: SAF train's real answers and the dev
    # answers graded against their model answers as references (fit.reference_pool)
    from interviewer.grading import fit

    real = len(fit.real(data["saf"])) + len(fit.real(data["guide"]))
    assert params["heads"]["reference"]["n"] == real > len(fit.real(data["saf"]))
    # the heads weighed against the shipped one (calibration.md): the report's figures come back
    alternatives = head_alternatives.head_alternatives(data["saf"], data["guide"])
    shipped_row = alternatives["ridge, squared-error isotonic map (shipped)"]["all"]
    report = json.loads((ROOT / "evals/reports/calibration.json").read_text())
    reported = report["saf_train_loqo"]["head_alternatives"]
    assert reported.keys() == alternatives.keys()
    for name, m in alternatives.items():
        for k in ("pearson", "mae", "macro_f1"):
            assert m["all"][k] == pytest.approx(reported[name]["all"][k], abs=0.01), (name, k)
    # the bare shipped head is the reference path's cross-validated figure (SAF has no caps)
    assert shipped_row["pearson"] == pytest.approx(report["saf_train_loqo"]["grader"]["pearson"],
                                                   abs=0.005)  # fmt: skip


def test_median_map_is_the_best_monotone_fit_in_absolute_error():
    """The absolute-error map of the head comparison against brute force: every non-decreasing
    sequence over the data's values (an L1 isotonic optimum takes values among them)."""
    import itertools

    import numpy as np

    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(2, 7))
        raw = rng.permutation(n).astype(float)
        y = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], n)
        knots, vals = head_alternatives._median_map(raw, y)
        assert (np.diff(knots) > 0).all() and (np.diff(vals) >= 0).all()
        ys = y[np.argsort(raw)]
        best = min(np.abs(ys - np.array(f)).sum()
                   for f in itertools.combinations_with_replacement(sorted(set(y)), n))
        assert np.abs(ys - vals).sum() == pytest.approx(best)


@pytest.mark.parametrize(
    ("score", "verdict"),
    [(1.0, "correct"), (0.84, "correct"), (0.8399, "partially_correct"), (0.34, "partially_correct"),
     (0.3399, "incorrect"), (0.0, "incorrect")],
)  # fmt: skip
def test_verdict_cuts(score, verdict):
    assert verdict_of(score) == verdict


def test_grade_printout_maps_1_to_5_labels_onto_0_1_for_qwk_and_mae(tmp_path, capsys):
    bank = default_bank()
    q = bank["l1-bagging-vs-boosting"]
    half = " ".join(q.model_answer.split(". ")[:2])
    answers = [(q.model_answer, 5), (half, 3), ("I don't know", 1), ("Boosting is bagging.", 2)]
    rows = [{"id": i, "question_id": q.id, "answer": a, "score": s}
            for i, (a, s) in enumerate(answers)]  # fmt: skip
    inp = tmp_path / "labelled.jsonl"
    inp.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "graded.jsonl"
    assert main(["grade", "--input", str(inp), "--output", str(out)]) == 0
    graded = [json.loads(x) for x in out.read_text().splitlines()]
    printed = json.loads(capsys.readouterr().err.strip().splitlines()[-1])["agreement"]
    expected = agreement([(s - 1) / 4 for _, s in answers], [g["score"] for g in graded])
    assert printed["qwk"] == pytest.approx(expected["qwk"])
    assert printed["mae"] == pytest.approx(expected["mae"])
    # The model answer (label 5) and "I don't know" (label 1) land on their labels: an MAE in
    # label points, not on a scale where a 5 is read as five times the top score.
    assert printed["mae"] <= 1.5 and printed["qwk"] > 0.5


def test_verdict_cuts_fitted_on_human_scores_call_a_mostly_correct_step_correct():
    """The verdict cuts weighed in calibration.md: a head's isotonic step holding 7 answers a
    human scored 1.0 and 3 scored 0.375 has the mean 0.81, every one of them read as partially
    correct. The cuts chosen on those scores call the step correct (7 of 10 right instead of 3)
    and leave the clear steps as they were."""
    import numpy as np
    from sklearn.metrics import f1_score

    y = np.array([1.0] * 7 + [0.375] * 3 + [1.0] * 10 + [0.5] * 10 + [0.0] * 10)
    pred = np.array([0.8125] * 10 + [0.97] * 10 + [0.55] * 10 + [0.05] * 10)

    def f1(p):
        return f1_score([verdict_of(v) for v in y], [verdict_of(v) for v in p], average="macro")

    cuts = verdict_cuts.choose_verdict_cuts(y, pred)
    moved = verdict_cuts.verdict_remap(pred, cuts)
    assert [verdict_of(v) for v in moved[:10]] == ["correct"] * 10
    assert [verdict_of(v) for v in moved[10:]] == [verdict_of(v) for v in pred[10:]]
    assert f1(moved) > f1(pred)
    # the remap is monotone, keeps 0 and 1, and is the identity at the thresholds themselves
    grid = np.linspace(0, 1, 101)
    assert (np.diff(verdict_cuts.verdict_remap(grid, cuts)) >= 0).all()
    assert verdict_cuts.verdict_remap([0.0, 1.0], cuts).tolist() == [0.0, 1.0]
    assert verdict_cuts.verdict_remap(grid, (0.34, 0.84)) == pytest.approx(grid)
    # verdicts already right: the cuts stay at the thresholds (ties go to them)
    assert verdict_cuts.choose_verdict_cuts(y[10:], pred[10:]) == (0.34, 0.84)
    # cross-fitted: each group's cuts come from the other groups only
    groups = np.array([0] * 10 + [1] * 30)
    alone = verdict_cuts.cross_fitted_cuts(y, pred, groups)
    assert alone[:10] == pytest.approx(verdict_cuts.verdict_remap(pred[:10], (0.34, 0.84)))
