"""`mock-interview eval`: measure the grader, retrieval, injection robustness and round fit."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from interviewer.cli.common import print_json, whole_number
from interviewer.config import Settings
from interviewer.errors import UsageError


def register(sub) -> None:
    """Add the eval sub-command."""
    p = sub.add_parser("eval", help="run the evals and write reports under evals/reports/")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--mode", choices=["offline", "llm", "local"], default="offline")
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="refit the offline grader on SAF train and the authored dev split, write its "
        "parameters (interviewer/grading/grader_params.json) and the cross-validation report, then "
        "run the evals",
    )
    p.add_argument("--gate", action="store_true", help="exit 1 when a CI bar is not met")
    p.add_argument(
        "--set",
        dest="judge_set",
        choices=["authored", "saf", "judgement"],
        default="authored",
        help="with --mode llm/local: judge the authored test split, the SAF unseen answers or "
        "the stories showing poor or sound judgement (evals/data/stories-judgement.jsonl)",
    )
    p.add_argument(
        "--limit",
        type=whole_number(1),
        default=None,
        metavar="N",
        help="with --mode llm/local: judge a random N answers of --set (a local model is slow)",
    )
    p.add_argument(
        "--judge-only",
        action="store_true",
        help="with --mode llm/local: measure the LLM judge alone, skipping the offline evals "
        "(several minutes); writes latest-<mode>-judge-only.md/.json and gates nothing",
    )
    p.add_argument(
        "--reports-dir",
        type=Path,
        help="write latest-<mode>.md/.json here (default: evals/reports/ of the checkout)",
    )
    p.set_defaults(handler=cmd_eval)


def cmd_eval(args, settings: Settings) -> int:
    """Run the evals, write the reports, and gate on the CI bars with --gate."""
    from interviewer.evaluation import runner

    if args.limit is not None and args.mode == "offline":  # (at least 1: its argparse type)
        raise UsageError("--limit only applies with --mode llm or local")
    if args.judge_set != "authored" and args.mode == "offline":
        raise UsageError("--set only applies with --mode llm or local (offline grades both sets)")
    if args.judge_only and args.mode == "offline":
        raise UsageError("--judge-only only applies with --mode llm or local")
    if args.judge_only and (args.calibrate or args.gate):
        raise UsageError("--judge-only measures the LLM judge alone: it cannot --calibrate or "
                         "--gate (both need the offline evals)")
    runner.require_checkout()
    reports = args.reports_dir or runner.REPORTS_DIR
    if args.calibrate:
        _calibrate(reports)
    if args.mode != "offline":
        settings = replace(settings, mode=args.mode)
    report = runner.run(settings, mode=args.mode, limit=args.limit, judge_set=args.judge_set,
                        judge_only=args.judge_only)  # fmt: skip
    js, md = runner.write_reports(report, reports)
    if args.json:
        print_json(report)
    else:
        _summary(report)
        print(f"reports: {md}, {js}")
    if args.gate and not all(g["pass"] for g in report["gates"].values()):
        return 1
    return 0


def _calibrate(reports: Path) -> None:
    from interviewer.evaluation import calibrate
    from interviewer.evaluation.cross_validation import cross_validate, cv_markdown
    from interviewer.grading.grader import load_params, params_path

    text, data = calibrate.calibrate()
    params_path().write_text(text)
    load_params.cache_clear()
    cv = cross_validate(data, json.loads(text))
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "calibration.json").write_text(json.dumps(cv, indent=2) + "\n")
    (reports / "calibration.md").write_text(cv_markdown(cv))
    print(f"fitted on SAF train and the authored dev split; parameters written to {params_path()}")
    s, d = cv["saf_train_loqo"]["grader"], cv["authored_dev_loqo"]["grader"]
    print(
        f"leave-question-out CV: SAF train Pearson {s['pearson']}, MAE {s['mae']}, macro-F1 "
        f"{s['macro_f1']}; authored dev Spearman {d['spearman']}, Pearson {d['pearson']}"
    )
    t = cv["tick_floor"]
    print(f"tick floor: {t['fixed']} (fixed prior); its rule gives {t['rule_on_this_machine']} "
          "with this machine's vectors")


def _summary(report: dict) -> None:
    if not report.get("judge_only"):
        _offline_summary(report)
    if "llm" in report:
        llm = report["llm"]
        sc = llm["scores"]
        judged = sc["llm_cross_checked"]
        print(
            f"LLM judge ({llm['set']}, n={llm['answers']}): cross-checked Pearson "
            f"{judged['pearson']}, MAE {judged['mae']}, macro-F1 {judged['macro_f1']} (offline "
            f"grader on the same answers: Pearson {sc['offline']['pearson']}); valid judgements "
            f"{llm['valid_judgements']}, overruled by the cross-check "
            f"{llm['capped_by_cross_check']}"
        )
        if j := llm.get("judgement"):
            poor, sound = j.get("poor_judgement", {}), j.get("sound", {})
            print(
                f"judgement stories passed, cross-checked: poor judgement "
                f"{poor.get('cross_checked_passed', 0)} of {poor.get('n', 0)}, sound "
                f"{sound.get('cross_checked_passed', 0)} of {sound.get('n', 0)} (offline grader: "
                f"{poor.get('offline_passed', 0)} and {sound.get('offline_passed', 0)}); pass "
                f"agreement with the rater {j['cross_checked_agreement']}"
            )
    for name, g in report["gates"].items():
        if g["floor"] is None:  # no bar: reported only (a "pass" beside a negative margin misled)
            print(f"gate {name}: {g['value']} reported ({g['note']})")
            continue
        print(f"gate {name}: {g['value']} (bar {g['floor']}) {'pass' if g['pass'] else 'FAIL'}")


def _offline_summary(report: dict) -> None:
    s, a = report["saf_unseen"], report["agreement_test"]
    for name, sec in (("SAF unseen", s), ("authored test", a)):
        g = sec["grader"]
        best = max(sec["baselines"].items(), key=lambda kv: kv[1]["pearson"])
        print(
            f"{name} (n={g['n']}): Pearson {g['pearson']}, Spearman {g['spearman']}, MAE "
            f"{g['mae']}, macro-F1 {g['macro_f1']}; best baseline {best[0]} Pearson "
            f"{best[1]['pearson']}"
        )
    if "exemplars_from_train" in s:
        e = s["exemplars_from_train"]
        print(
            f"SAF unseen with graded exemplars from SAF train: Pearson {e['pearson']}, MAE "
            f"{e['mae']}, macro-F1 {e['macro_f1']}"
        )
    r = report["retrieval"]["bank"]
    print(f"retrieval: recall@1 {r['recall@1']:.3f}, recall@3 {r['recall@3']:.3f}, MRR {r['mrr']}")
    print(
        f"injection: largest mean raise of weak answers "
        f"{report['injection']['max_weak_raise']:+.3f} points"
    )
