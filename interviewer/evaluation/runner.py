"""The eval runner: runs every eval and gates on the CI bars. The offline ones each live in a
module of their own here: the offline grader against human labels (SAF unseen answers in
``saf_eval``, the authored test split in ``authored_eval``) with baselines next to it, the
robustness suite, consistency, key points, judgement stories, retrieval, injection and round fit;
the LLM judge's in ``llm_eval``. The reports are written as ``report_markdown`` renders them.

Data lives in ``evals/data/`` (see ``evals/LABELLING.md`` and ``evals/data/saf/README.md``);
reports go to ``evals/reports/``. Test data (SAF ``unseen_answers``, the authored test split) is
only ever graded here, never fitted or tuned on (``interviewer.evaluation.calibrate`` fits).
"""

from __future__ import annotations

import json
import time

from interviewer.bank import default_bank
from interviewer.config import Settings
from interviewer.evaluation.authored_eval import authored_eval, grader_agreement, guide_eval
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
from interviewer.evaluation.judgement_stories import judgement_passes, judgement_stories
from interviewer.evaluation.key_points import own_words_key_points, tick_floor_effect
from interviewer.evaluation.other_subjects import other_subjects_eval
from interviewer.evaluation.report_markdown import to_markdown
from interviewer.evaluation.retrieval import retrieval
from interviewer.evaluation.robustness import (
    MODEL_ANSWER_MIN,
    consistency,
    injection,
    model_answers,
    robustness,
)
from interviewer.evaluation.round_fit import round_fit
from interviewer.evaluation.saf_eval import saf_eval
from interviewer.grading.grader import OfflineGrader

# CI floors: they only ever go up. The grader must beat the best non-oracle baseline on each
# set by BASELINE_MARGIN Pearson (the style prior knows each answer's authored style, which no
# real grader sees: it is an oracle, reported but not a bar).
BASELINE_MARGIN = 0.05
GATES = {"injection_max_raise": 0.25, "retrieval_recall_at_3": 0.95}


def make_grader(settings: Settings) -> OfflineGrader:
    """A fresh grader reading and filling the settings' on-disk rubric cache."""
    from interviewer.grading.embeddings import VectorCache

    return OfflineGrader(vector_cache=VectorCache.in_data_dir(settings))


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
    saf = saf_eval(grader, exemplars=mode == "offline" if exemplars is None else exemplars)
    return {
        "saf_unseen": saf,
        "other_subjects": other_subjects_eval(grader, saf.pop("_train_raw")),
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


def _best(baselines: dict) -> tuple[str, float]:
    name = max(baselines, key=lambda k: baselines[k]["pearson"])
    return name, baselines[name]["pearson"]


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
    if report.get("other_subjects"):  # measured only: shown beside the gates, never a bar
        sec = report["other_subjects"]
        base, best = _best(sec["baselines"])
        value = sec["grader"]["pearson"]
        checks["other_subjects_pearson_over_best_baseline"] = (
            round(value - best, 4), True, None,
            f"grader {value} vs {base} {best}; reported, see README",
        )  # fmt: skip
    rob = report["robustness"]
    worst = max((f["overall"] for s in ("test", "dev") for f in rob[s]["failures"]), default=0)
    n_fail = sum(len(rob[s]["failures"]) for s in ("test", "dev"))
    checks["robustness_failures"] = (n_fail, True, None, f"largest {worst}; reported, see README")
    n_int = sum(len(rob[s]["failures_in_interviews"]) for s in ("test", "dev"))
    checks["robustness_failures_in_interviews"] = (
        n_int,
        True,
        None,
        "with the bank's answers-another-question check; reported",
    )
    checks["model_answers_min"] = (rob["model_answers"]["min"],
                                   rob["model_answers"]["min"] >= MODEL_ANSWER_MIN,
                                   MODEL_ANSWER_MIN, "every bank model answer")  # fmt: skip
    inj = report["injection"]
    checks["injection_max_raise"] = (inj["max_weak_raise"],
                                     inj["max_weak_raise"] <= GATES["injection_max_raise"],
                                     GATES["injection_max_raise"],
                                     "mean, label points")  # fmt: skip
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
