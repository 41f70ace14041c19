"""The graded report at the end of a session."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field

from interviewer.bank import Bank
from interviewer.grading.rubric import CRITERIA, PASS_MARK, hire_signal, is_red_flag
from interviewer.markup import md_escape
from interviewer.models import Turn

TOP_GAPS = 3
MAX_STRENGTHS = 5


class Gap(BaseModel):
    """A key point the candidate missed, and where the guide covers it."""

    point: str
    topic: str
    question: str
    guide_section: str
    weight: int


class QuestionSummary(BaseModel):
    """One question of the session as the report lists it."""

    index: int
    round: str
    topic: str
    question: str
    status: str
    overall: int | None
    criteria: dict[str, int] = Field(default_factory=dict)
    missed: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    guide_section: str = ""


class Report(BaseModel):
    """What went well, what was missed, what to re-read, and the hire signal."""

    overall: int
    signal: str
    passed: bool
    rounds: dict[str, dict] = Field(default_factory=dict)
    criteria: dict[str, float] = Field(default_factory=dict)
    strengths: list[str] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    reread: list[str] = Field(default_factory=list)
    questions: list[QuestionSummary] = Field(default_factory=list)
    note: str = ""


def turn_score(turn: Turn) -> int | None:
    """The score a turn counts for: its grade, 0 when skipped, None when never answered."""
    if turn.status == "skipped":
        return 0
    if turn.grade is None:
        return None
    return turn.grade.overall


def build_report(turns: list[Turn], bank: Bank | None = None, note: str = "") -> Report:
    """Aggregate the session's turns into a Report."""
    counted = [(t, s) for t in turns if (s := turn_score(t)) is not None]
    scores = [s for _, s in counted]
    overall = round(sum(scores) / len(scores)) if scores else 0
    graded = [t for t, _ in counted if t.grade is not None]
    criteria = _criterion_means(graded)
    top_gaps = _top_gaps(graded, turns, bank or {})
    return Report(
        overall=overall,
        signal=hire_signal(scores, _red_flag_share(graded)),
        passed=bool(scores) and overall >= PASS_MARK,
        rounds=_round_results(counted),
        criteria=criteria,
        strengths=_strengths(criteria, graded)[:MAX_STRENGTHS],
        gaps=top_gaps,
        reread=list(dict.fromkeys(g.guide_section for g in top_gaps if g.guide_section)),
        questions=[_summary(t) for t in turns],
        note=note,
    )


def _criterion_means(graded: list[Turn]) -> dict[str, float]:
    if not graded:
        return {}
    return {
        c: round(sum(t.grade.criteria[c].score for t in graded) / len(graded), 2) for c in CRITERIA
    }


def _red_flag_share(graded: list[Turn]) -> float:
    """Share of graded answers that state a wrong central claim."""
    if not graded:
        return 0.0
    return sum(1 for t in graded if any(is_red_flag(f) for f in t.grade.flags)) / len(graded)


def _round_results(counted: list[tuple[Turn, int]]) -> dict[str, dict]:
    by_round: dict[str, list[int]] = defaultdict(list)
    for t, s in counted:
        by_round[t.round].append(s)
    rounds = {}
    for r, rs in by_round.items():
        mean = round(sum(rs) / len(rs))
        rounds[r] = {"overall": mean, "questions": len(rs), "passed": mean >= PASS_MARK}
    return rounds


def _strengths(criteria: dict[str, float], graded: list[Turn]) -> list[str]:
    strengths = [f"{CRITERIA[c]}: {v:.1f}/5 on average" for c, v in criteria.items() if v >= 3.75]
    for t in graded:
        if t.grade.overall >= 75:
            strengths.append(f'Strong answer on {t.topic.replace("-", " ")}: "{t.question}"')
    if not strengths and graded:
        best = max(graded, key=lambda t: t.grade.overall)
        if best.grade.covered:
            strengths.append(f"You covered: {best.grade.covered[0]}")
    return strengths


def _top_gaps(graded: list[Turn], turns: list[Turn], bank: Bank) -> list[Gap]:
    """The most important missed points, one per question, so the top 3 span 3 questions."""
    gaps = [
        Gap(
            point=kp.point,
            topic=t.topic,
            question=t.question,
            guide_section=t.guide_section,
            weight=kp.weight,
        )
        for t in graded
        for kp in t.grade.key_points
        if not kp.covered
    ]
    for t in turns:
        if t.status == "skipped":
            q = bank.get(t.question_id)
            top = max(q.key_points, key=lambda kp: kp.weight).point if q else t.question
            gaps.append(
                Gap(
                    point=top,
                    topic=t.topic,
                    question=t.question,
                    guide_section=t.guide_section,
                    weight=3,
                )
            )
    gaps.sort(key=lambda g: -g.weight)
    top_gaps: list[Gap] = []
    seen: set[str] = set()
    for g in gaps:
        if g.question not in seen:
            top_gaps.append(g)
            seen.add(g.question)
        if len(top_gaps) == TOP_GAPS:
            break
    return top_gaps


def _summary(t: Turn) -> QuestionSummary:
    return QuestionSummary(
        index=t.index,
        round=t.round,
        topic=t.topic,
        question=t.question,
        status=t.status,
        overall=turn_score(t),
        criteria={c: s.score for c, s in t.grade.criteria.items()} if t.grade else {},
        missed=t.grade.missed if t.grade else [],
        flags=t.grade.flags if t.grade else [],
        guide_section=t.guide_section,
    )


def report_markdown(report: Report) -> str:
    """The report as Markdown; everything a candidate or a model wrote is escaped."""
    lines = [f"## Report: {report.overall}/100 · {report.signal}", ""]
    for r, info in report.rounds.items():
        verdict = "passed" if info["passed"] else "not passed"
        lines.append(
            f"- Round {r}: {info['overall']}/100 over {info['questions']} questions ({verdict})"
        )
    if report.note:
        lines += ["", md_escape(report.note)]
    if report.criteria:
        lines += ["", "| criterion | average (1-5) |", "|---|---|"]
        lines += [f"| {CRITERIA[c]} | {v:.1f} |" for c, v in report.criteria.items()]
    lines += ["", "### Per question"]
    for q in report.questions:
        score = {"skipped": "skipped", "pending": "not answered"}.get(q.status, f"{q.overall}/100")
        lines.append(f"{q.index + 1}. {md_escape(q.question)} · **{score}**")
    if report.strengths:
        lines += ["", "### Strengths"] + [f"- {md_escape(s)}" for s in report.strengths]
    if report.gaps:
        lines += ["", "### Top gaps"]
        lines += [
            f"- {md_escape(g.point)} (re-read: *{md_escape(g.guide_section) or 'the guide'}*)"
            for g in report.gaps
        ]
    return "\n".join(lines)
