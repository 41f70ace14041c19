"""`mock-interview eval`: measure the grader, retrieval, injection robustness and round fit."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from interviewer.cli.common import print_json
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
        help="refit the offline grader on the dev split and save its parameters",
    )
    p.add_argument("--gate", action="store_true", help="exit 1 when a CI floor is not met")
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="with --mode llm/local: judge a random N test answers (a local model is slow)",
    )
    p.add_argument(
        "--reports-dir",
        type=Path,
        help="write latest-<mode>.md/.json here (default: evals/reports/ of the checkout)",
    )
    p.set_defaults(handler=cmd_eval)


def cmd_eval(args, settings: Settings) -> int:
    """Run the evals, write the reports, and gate on the CI floors with --gate."""
    from interviewer.evaluation import runner
    from interviewer.grading.grader import load_params, params_path

    if args.limit is not None and (args.limit < 1 or args.mode == "offline"):
        raise UsageError("--limit must be at least 1, and only applies with --mode llm or local")
    runner.require_checkout()
    if args.calibrate:
        params = runner.calibrate(settings)
        params_path().write_text(json.dumps(params, indent=2) + "\n")
        load_params.cache_clear()
        print(f"calibrated on the dev split; parameters written to {params_path().name}")
    if args.mode != "offline":
        settings = replace(settings, mode=args.mode)
    report = runner.run(settings, mode=args.mode, limit=args.limit)
    js, md = runner.write_reports(report, args.reports_dir or runner.REPORTS_DIR)
    if args.json:
        print_json(report)
    else:
        a = report["agreement_test"]["all"]
        r = report["retrieval"]["bank"]
        print(
            f"grader (test, n={a['n']}): Spearman {a['spearman']}, Pearson {a['pearson']}, "
            f"QWK {a['qwk']}, MAE {a['mae']}"
        )
        print(
            f"retrieval: recall@1 {r['recall@1']:.3f}, recall@3 {r['recall@3']:.3f}, MRR {r['mrr']}"
        )
        print(
            f"injection: largest mean raise of weak answers "
            f"{report['injection']['max_weak_raise']:+.3f} points"
        )
        for name, g in report["gates"].items():
            print(
                f"gate {name}: {g['value']} (floor {g['floor']}) {'pass' if g['pass'] else 'FAIL'}"
            )
        print(f"reports: {md}, {js}")
    if args.gate and not all(g["pass"] for g in report["gates"].values()):
        return 1
    return 0
