"""The LLM judge on the labelled eval set: agreement with the labels with and without the offline
cross-check, how often it returns a valid judgement, and how much it moves between runs."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from interviewer.config import Settings
from interviewer.evaluation.metrics import agreement, score_metrics
from interviewer.grading.rubric import NEEDS_REVIEW, Rubric
from interviewer.llm.judge import JUDGE_FLOOR_MARGIN, stated_red_flags


@dataclass(frozen=True)
class _Point:
    id: str
    point: str
    weight: int = 1


@dataclass
class ReferenceQuestion:
    """A question with only a reference answer (SAF), shaped as the judge reads a bank question:
    its key points are the reference's points, it has no red flags."""

    id: str
    text: str
    model_answer: str
    key_points: list = field(default_factory=list)
    red_flags: list = field(default_factory=list)

    @property
    def all_red_flags(self) -> list:
        """As a bank question's: its red flags (none), no story's shared ones."""
        return self.red_flags

    def rubric(self) -> Rubric:
        return Rubric.from_reference(self.text, self.model_answer, self.id)


def saf_questions(rows: list[dict]) -> dict[str, ReferenceQuestion]:
    """One judge-readable question per SAF question id."""
    out: dict[str, ReferenceQuestion] = {}
    for r in rows:
        if r["question_id"] not in out:
            q = ReferenceQuestion(r["question_id"], r["question"], r["reference_answer"])
            q.key_points = [_Point(kp.id, kp.point, kp.weight) for kp in q.rubric().key_points]
            out[q.id] = q
    return out


def _sample(rows: list[dict], limit: int | None, seed: int) -> list[dict]:
    """Up to ``limit`` rows, spread over questions and labels (not the first file's rows)."""
    if limit is None or limit >= len(rows):
        return list(rows)
    picked = random.Random(seed).sample(range(len(rows)), limit)
    return [rows[i] for i in sorted(picked)]


def llm_agreement(
    settings: Settings,
    bank,
    rows: list[dict],
    *,
    limit: int | None = None,
    runs: int = 3,
    spread_answers: int = 5,
    seed: int = 0,
    details: bool = False,
    engine=None,
    progress: Callable[[int, int], None] | None = None,
    label: Callable[[dict], float] | None = None,
) -> dict:
    """Agreement of the LLM judge with the labels, with and without the offline cross-check.
    ``bank`` maps question ids to questions (bank questions, or ``saf_questions``); ``label``
    gives a row's 0-1 label (default: (label - 1) / 4 of a 1-5 label)."""
    label = label or (lambda r: (r["label"] - 1) / 4)
    # ``limit`` caps the answers graded (a CPU-bound local model is slow); the first
    # ``spread_answers`` of them are judged ``runs`` times to measure the spread. ``details``
    # adds every answer's scores (kept out of the eval report by default: it is long).
    from interviewer.llm.factory import make_engine

    engine = engine or make_engine(settings)
    rows = [r for r in _sample(rows, limit, seed) if r["question_id"] in bank]
    labels, offline, crossed, judged, items = [], [], [], [], []
    capped = fallbacks = backed = lifted = 0
    start = time.monotonic()
    first_runs: list[tuple[int | None, int]] = []
    for i, r in enumerate(rows):
        q = bank[r["question_id"]]
        off, _ = engine.offline.judge(q, r["answer"])
        grade, out = engine.judge_detail(q, r["answer"])
        labels.append(label(r))
        offline.append(off.score)
        crossed.append(grade.score)
        judged.append(None if out is None else out.overall / 100)
        capped += any(f.startswith(NEEDS_REVIEW) for f in grade.flags)
        fallbacks += grade.source == "offline-fallback"
        shown = stated_red_flags(q, r["answer"], out) if out is not None else {}
        backed += bool(shown)
        # a score that stands below the coverage floor because of a red flag the judge showed
        lifted += bool(shown) and grade.overall == out.overall < off.overall - JUDGE_FLOOR_MARGIN
        items.append(
            {
                "id": r.get("id"),
                "question_id": r["question_id"],
                "label": r.get("label"),
                "label_0_1": labels[-1],
                "offline": off.overall,
                "judge": None if out is None else out.overall,
                "cross_checked": grade.overall,
                "source": grade.source,
                "red_flags_shown": list(shown),
            }
        )
        if i < spread_answers:
            first_runs.append((out.overall if out else None, grade.overall))
        if progress is not None:
            progress(i + 1, len(rows))
    seconds = time.monotonic() - start
    valid = [i for i, j in enumerate(judged) if j is not None]
    usage = engine.take_usage()

    spread = _spread(engine, bank, rows[:spread_answers], runs, first_runs)

    def pick(xs: list) -> list:
        return [xs[i] for i in valid]

    report = {
        "judge_model": engine.judge_model_name,
        "endpoint": settings.openai_base_url if settings.mode != "local" else "local",
        "structured_method": engine.method,
        "answers": len(rows),
        "valid_judgements": len(valid),
        "fell_back_to_offline": fallbacks,
        # the cross-check overruled the judge (flagged "needs review"): the offline grade stood
        "capped_by_cross_check": capped,
        # answers where the judge named a listed red flag and quoted the answer's words for it,
        # and those whose score stood below the coverage floor because of it
        "red_flags_shown": backed,
        "below_floor_by_red_flag": lifted,
        "offline": agreement(labels, offline),
        "llm_cross_checked": agreement(labels, crossed),
        "llm_judge_only": agreement(pick(labels), pick(judged)) if valid else None,
        "offline_on_valid": agreement(pick(labels), pick(offline)) if valid else None,
        "scores": {
            "offline": score_metrics(labels, offline),
            "llm_cross_checked": score_metrics(labels, crossed),
            "llm_judge_only": score_metrics(pick(labels), pick(judged)) if valid else None,
        },
        "spread": spread,
        "seconds_per_answer": round(seconds / max(1, len(rows)), 2),
        "tokens": {"in": usage.tokens_in, "out": usage.tokens_out},
    }
    if details:
        report["items"] = items
    return report


def _spread(engine, bank, rows, runs: int, first: list[tuple[int | None, int]]) -> dict:
    """Max minus min overall (0-100) over ``runs`` judgements of the same answers."""
    judge_only, crossed = [], []
    for r, (raw0, grade0) in zip(rows, first, strict=True):
        raws, grades = [raw0], [grade0]
        for _ in range(runs - 1):
            grade, out = engine.judge_detail(bank[r["question_id"]], r["answer"])
            raws.append(out.overall if out else None)
            grades.append(grade.overall)
        crossed.append(max(grades) - min(grades))
        if all(x is not None for x in raws):
            judge_only.append(max(raws) - min(raws))
    engine.take_usage()
    return {
        "answers": len(rows),
        "runs": runs,
        "judge_only_points": _stats(judge_only),
        "cross_checked_points": _stats(crossed),
    }


def _stats(xs: list[int]) -> dict | None:
    return {"mean": round(float(np.mean(xs)), 2), "max": int(max(xs))} if xs else None
