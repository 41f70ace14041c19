"""The eval runner: grader agreement, consistency, retrieval, injection robustness, round fit.

Data lives in ``evals/data/`` (see ``evals/LABELLING.md``); reports go to ``evals/reports/``.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from interviewer.bank import TOPICS, Bank, Question, default_bank
from interviewer.config import Settings
from interviewer.errors import UsageError
from interviewer.evaluation.metrics import agreement, mrr, recall_at
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import PASS_MARK

# The labelled data and the reports belong to the repository, not to the installed package.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
EVALS_DIR = PROJECT_ROOT / "evals"
DATA_DIR = EVALS_DIR / "data"
REPORTS_DIR = EVALS_DIR / "reports"
SPLITS = DATA_DIR / "splits.json"
POINT = 25  # overall points per label point (0-100 onto 1-5)

# CI floors: they only ever go up.
GATES = {"spearman": 0.75, "qwk": 0.65, "injection_max_raise": 0.25, "retrieval_recall_at_3": 0.95}


def load_labelled(data_dir: Path = DATA_DIR) -> list[dict]:
    """Every labelled answer, with its split."""
    rows = []
    for path in sorted(data_dir.glob("answers-*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                row = json.loads(line)
                row["_where"] = f"{path.name}:{n}"
                rows.append(row)
    splits = load_splits(sorted({r["question_id"] for r in rows}))
    for r in rows:
        r["split"] = splits[r["question_id"]]
    return rows


def require_checkout() -> None:
    """UsageError unless the labelled data of a checkout is there (a wheel does not ship it)."""
    if not DATA_DIR.is_dir():
        raise UsageError(
            f"the evals need the labelled data in {DATA_DIR}: run them from a clone of the "
            "repository (an installed wheel does not ship it)"
        )


def hash_split(question_id: str) -> str:
    """The split a new question would get: fixed by a hash of its id."""
    return "dev" if int(hashlib.sha1(question_id.encode()).hexdigest(), 16) % 2 else "test"


def load_splits(question_ids: list[str]) -> dict[str, str]:
    """dev/test by question, fixed in ``splits.json`` (a question never moves between splits).
    A question missing from the file gets its hash split here; ``splits.json`` is only ever
    written by hand, so running the evals never changes the checkout."""
    splits = json.loads(SPLITS.read_text()) if SPLITS.exists() else {}
    return {qid: splits.get(qid) or hash_split(qid) for qid in question_ids}


def _grade_rows(grader, bank, rows, answers=None):
    items = [
        (bank[r["question_id"]].rubric(), a if answers is None else answers[i])
        for i, (r, a) in enumerate((r, r["answer"]) for r in rows)
    ]
    return grader.grade_many(items)


def grader_agreement(grader, bank, rows) -> dict:
    """Agreement with the labels overall and per answer style."""
    grades = _grade_rows(grader, bank, rows)
    labels = [(r["label"] - 1) / 4 for r in rows]
    preds = [g.score for g in grades]
    out = {"all": agreement(labels, preds), "by_style": {}}
    by_style = defaultdict(list)
    for r, g in zip(rows, grades, strict=True):
        by_style[r["style"]].append((r["label"], g.label, g.overall))
    for style, vals in sorted(by_style.items()):
        out["by_style"][style] = {
            "n": len(vals),
            "mean_label": round(float(np.mean([v[0] for v in vals])), 2),
            "mean_predicted": round(float(np.mean([v[1] for v in vals])), 2),
            "mae": round(float(np.mean([abs(v[0] - v[1]) for v in vals])), 2),
        }
    return out


def consistency(grader, bank, rows) -> dict:
    """Grade the same answers twice, with a cold cache the second time."""
    first = [g.overall for g in _grade_rows(grader, bank, rows)]
    fresh = OfflineGrader(params=grader.params)
    second = [g.overall for g in _grade_rows(fresh, bank, rows)]
    diffs = [abs(a - b) for a, b in zip(first, second, strict=True)]
    return {
        "n": len(rows),
        "max_abs_diff": max(diffs) if diffs else 0,
        "identical_share": sum(d == 0 for d in diffs) / len(diffs) if diffs else 1.0,
    }


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


def injection(grader, bank, rows) -> dict:
    """Score change when attacks are appended to weak and to good answers."""
    attacks = [
        json.loads(x) for x in (DATA_DIR / "injections.jsonl").read_text().splitlines() if x.strip()
    ]
    weak = [r for r in rows if r["label"] <= 2 and r["answer"].strip()]
    good = [r for r in rows if r["label"] >= 4]
    base_weak = [g.overall for g in _grade_rows(grader, bank, weak)]
    base_good = [g.overall for g in _grade_rows(grader, bank, good)]
    families: dict[str, dict] = {}
    for fam in sorted({a["family"] for a in attacks}):
        texts = [a["text"] for a in attacks if a["family"] == fam]
        d_weak, d_good, pushed = [], [], 0
        for t in texts:
            w = [
                g.overall
                for g in _grade_rows(grader, bank, weak, [f"{r['answer']}\n{t}" for r in weak])
            ]
            gd = [
                g.overall
                for g in _grade_rows(grader, bank, good, [f"{r['answer']}\n{t}" for r in good])
            ]
            d_weak += [(a - b) / POINT for a, b in zip(w, base_weak, strict=True)]
            d_good += [(a - b) / POINT for a, b in zip(gd, base_good, strict=True)]
            pushed += sum(1 for a, b in zip(w, base_weak, strict=True) if a >= PASS_MARK > b)
        families[fam] = {
            "attacks": len(texts),
            "weak_mean_change": round(float(np.mean(d_weak)), 4),
            "good_mean_change": round(float(np.mean(d_good)), 4),
            "weak_pushed_over_pass": round(pushed / (len(texts) * len(weak)), 4),
        }
    only = [
        g.overall
        for g in grader.grade_many(
            [(bank[weak[0]["question_id"]].rubric(), a["text"]) for a in attacks]
        )
    ]
    honest = honest_injection(grader, bank)
    return {
        "attacks": len(attacks),
        "weak_answers": len(weak),
        "good_answers": len(good),
        "families": families,
        "attack_only_max_score": max(only),
        "honest_discussion": honest,
        "max_weak_raise": max(f["weak_mean_change"] for f in families.values()),
    }


def honest_injection(grader, bank) -> dict:
    """Answers that discuss prompt injection honestly, graded with and without that part."""
    path = DATA_DIR / "honest-injection.jsonl"
    if not path.exists():
        return {"n": 0}
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    rows = [r for r in rows if r["question_id"] in bank]
    full = _grade_rows(grader, bank, rows)
    base = _grade_rows(grader, bank, rows, [r["without_discussion"] for r in rows])
    deltas = [(a.overall - b.overall) / POINT for a, b in zip(full, base, strict=True)]
    return {
        "n": len(rows),
        "mean_change": round(float(np.mean(deltas)), 4) if deltas else 0.0,
        "min_change": round(float(min(deltas)), 4) if deltas else 0.0,
        "flagged": sum(1 for g in full if "instructions to the grader ignored" in g.flags),
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
) -> dict:
    """Run every eval and return the report dict; ``limit`` caps the answers the LLM judges."""
    bank = default_bank()
    grader = OfflineGrader()
    rows = [r for r in load_labelled() if r["question_id"] in bank]
    test = [r for r in rows if r["split"] == split]
    dev = [r for r in rows if r["split"] == "dev"]
    start = time.time()
    report = {
        "mode": mode,
        "data": {
            "answers": len(rows),
            "questions": len({r["question_id"] for r in rows}),
            "test_answers": len(test),
            "dev_answers": len(dev),
            "test_questions": len({r["question_id"] for r in test}),
        },
        "agreement_test": grader_agreement(grader, bank, test),
        "agreement_dev": grader_agreement(grader, bank, dev)["all"],
        "consistency": consistency(grader, bank, test),
        "retrieval": retrieval(settings, bank),
        "injection": injection(grader, bank, rows),
        "round_fit": round_fit(grader, bank),
    }
    if mode in ("llm", "local"):
        from interviewer.evaluation.llm_eval import llm_agreement

        report["llm"] = llm_agreement(settings, bank, test, limit=limit)
    report["gates"] = gate(report)
    report["seconds"] = round(time.time() - start, 1)
    return report


def gate(report: dict) -> dict:
    """Which CI floors pass."""
    a = report["agreement_test"]["all"]
    checks = {
        "spearman": (a["spearman"], a["spearman"] >= GATES["spearman"]),
        "qwk": (a["qwk"], a["qwk"] >= GATES["qwk"]),
        "injection_max_raise": (
            report["injection"]["max_weak_raise"],
            report["injection"]["max_weak_raise"] <= GATES["injection_max_raise"],
        ),
        "retrieval_recall_at_3": (
            report["retrieval"]["bank"]["recall@3"],
            report["retrieval"]["bank"]["recall@3"] >= GATES["retrieval_recall_at_3"],
        ),
    }
    return {k: {"value": v, "floor": GATES[k], "pass": ok} for k, (v, ok) in checks.items()}


def write_reports(report: dict, directory: Path) -> tuple[Path, Path]:
    """latest-<mode>.json and latest-<mode>.md in ``directory`` (the checkout's evals/reports/
    when the ``eval`` command is run without --reports-dir)."""
    directory.mkdir(parents=True, exist_ok=True)
    js = directory / f"latest-{report['mode']}.json"
    md = directory / f"latest-{report['mode']}.md"
    js.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    md.write_text(to_markdown(report))
    return js, md


def to_markdown(report: dict) -> str:
    """The eval report as Markdown."""
    a = report["agreement_test"]["all"]
    d = report["data"]
    lines = [
        f"# Eval report ({report['mode']})",
        "",
        f"{d['answers']} labelled answers on {d['questions']} questions; reported on the test "
        f"split ({d['test_answers']} answers, {d['test_questions']} questions never used for "
        "calibration).",
        "",
        "## Grader agreement (test)",
        "",
        "| Spearman | Pearson | QWK (1-5) | MAE (points) | exact |",
        "|---|---|---|---|---|",
        f"| {a['spearman']} | {a['pearson']} | {a['qwk']} | {a['mae']} | {a['exact']} |",
        "",
        f"Dev split (calibration): Spearman {report['agreement_dev']['spearman']}, "
        f"QWK {report['agreement_dev']['qwk']}.",
        "",
        "| style | n | mean label | mean predicted | MAE |",
        "|---|---|---|---|---|",
    ]
    for s, v in report["agreement_test"]["by_style"].items():
        lines.append(f"| {s} | {v['n']} | {v['mean_label']} | {v['mean_predicted']} | {v['mae']} |")
    c = report["consistency"]
    lines += [
        "",
        "## Consistency",
        "",
        f"Same answers graded twice (cold cache): max difference {c['max_abs_diff']} "
        f"points, identical {c['identical_share']:.0%}.",
    ]
    r = report["retrieval"]
    lines += [
        "",
        "## Retrieval",
        "",
        "| queries | n | recall@1 | recall@3 | MRR |",
        "|---|---|---|---|---|",
    ]
    for name, key in (
        ("bank question + rubric -> source section", "bank"),
        ("bank question text only -> source section", "bank_text_only"),
        ("guide example questions", "guide_questions"),
    ):
        v = r[key]
        lines.append(
            f"| {name} | {v['n']} | {v['recall@1']:.3f} | {v['recall@3']:.3f} | {v['mrr']} |"
        )
    inj = report["injection"]
    lines += [
        "",
        "## Injection robustness",
        "",
        f"{inj['attacks']} attacks appended to {inj['weak_answers']} weak and "
        f"{inj['good_answers']} good answers; change in label points (1-5 scale).",
        "",
        "| family | attacks | weak answers | good answers | weak pushed over pass |",
        "|---|---|---|---|---|",
    ]
    for fam, v in inj["families"].items():
        lines.append(
            f"| {fam} | {v['attacks']} | {v['weak_mean_change']:+.3f} | "
            f"{v['good_mean_change']:+.3f} | {v['weak_pushed_over_pass']:.1%} |"
        )
    h = inj["honest_discussion"]
    lines += [
        "",
        f"An attack alone scores at most {inj['attack_only_max_score']}/100. "
        f"Honest answers that discuss prompt injection ({h['n']}): mean change "
        f"{h.get('mean_change', 0):+.3f}, worst {h.get('min_change', 0):+.3f} label points "
        "versus the same answer without that discussion.",
    ]
    rf = report["round_fit"]
    lines += [
        "",
        "## Round fit",
        "",
        f"{sum(rf['questions_asked'].values())} questions asked in simulated sessions; "
        f"share in the round's own topics: {rf['fit']:.0%}; behavioural questions per L2 "
        f"session: {rf['l2_behavioural_per_session']}.",
    ]
    if "llm" in report:
        lines += ["", "## LLM judge", "", "```", json.dumps(report["llm"], indent=1), "```"]
    lines += ["", "## CI gates", "", "| gate | value | floor | pass |", "|---|---|---|---|"]
    for k, v in report["gates"].items():
        lines.append(f"| {k} | {v['value']} | {v['floor']} | {'yes' if v['pass'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def calibrate(settings: Settings, seed: int = 0) -> dict:
    """Fit the grader's combination on the dev split only; returns the new parameters."""
    from interviewer.grading.grader import FEATURES, load_params

    bank = default_bank()
    dev = [r for r in load_labelled() if r["split"] == "dev" and r["question_id"] in bank]
    base = dict(load_params())
    best = None
    rng = random.Random(seed)
    grid = [
        (lo, hi, al)
        for lo in (0.25, 0.3, 0.35, 0.4)
        for hi in (0.65, 0.7, 0.75, 0.8)
        for al in (0.5, 0.6, 0.7, 0.8)
    ]
    rng.shuffle(grid)
    y = np.array([(r["label"] - 1) / 4 for r in dev])
    g = OfflineGrader(params=base)  # one grader: its embedding cache serves every setting
    for lo, hi, al in grid:
        params = {**base, "sem_lo": lo, "sem_hi": hi, "alpha": al}
        g.params = params
        feats, floored = [], []
        for r in dev:
            f = g.features(bank[r["question_id"]].rubric(), r["answer"])
            floored.append(f["floor"] is not None)
            feats.append([f[name] for name in FEATURES])
        X = np.array(feats)
        keep = ~np.array(floored)
        Xk = np.hstack([X[keep], np.ones((keep.sum(), 1))])
        lam = 0.05
        w = np.linalg.solve(Xk.T @ Xk + lam * np.eye(Xk.shape[1]), Xk.T @ y[keep])
        pred = np.where(keep, np.clip(np.hstack([X, np.ones((len(X), 1))]) @ w, 0, 1), 0)
        from scipy.stats import spearmanr

        score = spearmanr(y, pred)[0] + agreement(list(y), list(pred))["qwk"]
        if best is None or score > best[0]:
            best = (score, params, w)
    _, params, w = best
    params["weights"] = {f: round(float(v), 4) for f, v in zip(FEATURES, w[:-1], strict=True)}
    params["bias"] = round(float(w[-1]), 4)
    params.pop("isotonic", None)
    # A monotone map from the linear score onto the labels (ranks unchanged), so expert answers
    # reach the top of the scale and weak ones the bottom instead of both drifting to the mean.
    from sklearn.isotonic import IsotonicRegression

    g.params = params
    raw = np.array(
        [
            g._score(f) if f["floor"] is None else 0.0
            for f in (g.features(bank[r["question_id"]].rubric(), r["answer"]) for r in dev)
        ]
    )
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
    xs = np.linspace(0, 1, 21)
    params["isotonic"] = {
        "x": [round(float(x), 3) for x in xs],
        "y": [round(float(v), 4) for v in iso.predict(xs)],
    }
    return params
