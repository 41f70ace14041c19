"""The eval report (``latest-<mode>.md``) as Markdown."""

from __future__ import annotations

from interviewer.evaluation.authored_eval import ROBUST_MAX
from interviewer.evaluation.judgement_stories import JUDGED_BY
from interviewer.evaluation.robustness import MODEL_ANSWER_MIN
from interviewer.grading.rubric import PASS_MARK


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
        said = "reported" if v["floor"] is None else ("yes" if v["pass"] else "NO")
        lines.append(f"| {k} | {v['value']} | {v['floor'] if v['floor'] is not None else '-'} | "
                     f"{said} | {v['note']} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _llm_markdown(llm: dict) -> list[str]:
    """The LLM judge's agreement next to the offline grader's on the same answers."""
    label = {
        "saf": "SAF unseen answers, human 0-1 scores",
        "judgement": "stories showing poor or sound judgement, the rater's 1-5 as (score-1)/4",
    }.get(llm.get("set"), "authored test split, labels 1-5 as (label-1)/4")
    sc, sp = llm["scores"], llm["spread"]
    lines = [
        "",
        f"## LLM judge ({llm.get('set', 'authored')}: {label})",
        "",
        f"Judge `{llm['judge_model']}` at {llm['endpoint']} ({llm['structured_method']}): "
        f"{llm['answers']} answers, {llm['valid_judgements']} valid judgements, "
        f"{llm['fell_back_to_offline']} fell back to the offline grade, "
        f"{llm['capped_by_cross_check']} overruled by the offline cross-check, "
        f"{llm.get('red_flags_shown', 0)} with a red flag named and quoted by the judge "
        f"({llm.get('below_floor_by_red_flag', 0)} standing below the coverage floor by it); "
        f"{llm['seconds_per_answer']} s per answer; tokens in {llm['tokens']['in']}, out "
        f"{llm['tokens']['out']}.",
        "",
        HEAD,
        _row("offline grader (the same answers)", sc["offline"]),
        _row("**LLM judge, cross-checked** (what the app shows)", sc["llm_cross_checked"]),
    ]
    if sc.get("llm_judge_only"):
        lines.append(_row("LLM judge alone", sc["llm_judge_only"], "valid judgements only"))
    for name, key in (
        ("judge alone", "judge_only_points"),
        ("cross-checked", "cross_checked_points"),
    ):
        if sp.get(key):
            lines.append(
                f"\nSpread over {sp['runs']} runs of {sp['answers']} answers, {name}: "
                f"mean {sp[key]['mean']}, max {sp[key]['max']} points (0-100)."
            )
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


def _baseline_lines(baselines: dict, side: str) -> list[str]:
    """A set's baseline rows; the calibrated ones name the side their map was fitted on."""
    return [_row(BASELINE_NAMES[k], m, f"training side: {side}" if "cal" in k else "")
            for k, m in baselines.items()]  # fmt: skip


def _intervals(iv: dict) -> str:
    """Bootstrap intervals of Pearson, MAE and macro-F1, as the reports say them."""
    return (f"Pearson {iv['pearson'][0]}-{iv['pearson'][1]}, MAE {iv['mae'][0]}-{iv['mae'][1]}, "
            f"macro-F1 {iv['macro_f1'][0]}-{iv['macro_f1'][1]}")


def _other_subjects_markdown(o: dict | None) -> list[str]:
    """Reference-only grading on subjects the grader was never fitted on."""
    if not o:
        return []
    lines = [
        "",
        f"## Other subjects ({o['n']} answers, {o['questions']} questions from as many subjects, "
        "none networks or ML; scored 0-1 by their author before any grader saw them)",
        "",
        "Reference-only, as `grade` with a `reference_answer`; measured only.",
        "",
        HEAD,
        _row("**grader**", o["grader"]),
    ]
    lines += _baseline_lines(o["baselines"], "SAF train")
    lines += ["", f"95% bootstrap intervals: {_intervals(o['grader_intervals'])}."]
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
        _row("the reference head, reference caps (as `grade` with the model answer as "
             "`reference_answer`; guide sections before the guide head)",
             g["reference_head_before"]),
    ]
    lines += _baseline_lines(g["baselines"], "authored dev")
    lines += ["", "| style | n | mean overall | share <= 20 | reference head: mean overall | "
              "share <= 20 |", "|---|---|---|---|---|---|"]  # fmt: skip
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
    lines += _baseline_lines(s["baselines"], "SAF train")
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
                lines.append(f"- {name}: {_intervals(s[key])}")
    lines += _other_subjects_markdown(report.get("other_subjects"))
    lines += [
        "",
        f"## Authored test split ({d['test_answers']} answers, {d['test_questions']} questions; "
        "labels 1-5 as (label-1)/4)",
        "",
        HEAD,
        _row("**grader**", a["grader"]),
    ]
    lines += _baseline_lines(a["baselines"], "authored dev")
    lines += [
        _row("style prior (oracle: knows each answer's authored style)", a["style_prior_oracle"],
             "dev mean label of the style; not a bar"),
        "",
        f"1-5 scale: QWK {a['all']['qwk']}, MAE {a['mae_points']} label points, exact "
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
              "Keyword lists, restating, off-topic, confidently wrong and empty answers must "
              f"score at most {ROBUST_MAX} overall. The grader alone, and as interviews and "
              "Practice grade a bank question: with the check that an answer answers another "
              "bank question (`interviewer/neighbours.py`), which then scores 0.", "",
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
    lines += [
        "",
        "## Feedback next to the human grader's (SAF unseen: five by id, cycling through the human verdicts incorrect, partial, correct)",
        "",
    ]
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
        lines += [
            "### Tick floor (authored dev split, fitted on)",
            "",
            f"Key points ticked per style with the shipped grader (an answer whose head "
            f"score is under {t['tick_floor']} ticks nothing) and with the floor at 0. "
            f"Scores that differ between the two: {t['scores_changed']}.",
            "",
            "| style | n | ticked | ticked without the floor |",
            "|---|---|---|---|",
        ]
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
