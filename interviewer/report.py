"""The graded report at the end of a session."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, Field

from interviewer import models
from interviewer.bank import Bank, judgement_unread, topic_label
from interviewer.coding.grade import cap_read, quotable, ruled_out
from interviewer.coding_answer import failed_why, names_with_why
from interviewer.grading.rubric import (
    CRITERIA,
    JUDGEMENT_UNREAD,
    LABEL_CUTS,
    PASS_MARK,
    VERDICT_CUTS,
    at_most,
    hire_signal,
    is_red_flag,
    red_flag_claims,
)
from interviewer.knowledge.clean import guide_line
from interviewer.markup import (
    failed_tests,
    lower_first,
    mean_of_five,
    plural,
    tests_passed,
)
from interviewer.models import Turn
from interviewer.policy import time_budget

TOP_GAPS = 3
PARTIAL_FROM = round(100 * dict(VERDICT_CUTS)["partially_correct"])  # the lowest partial score
MAX_STRENGTHS = 5
STRONG = 3.75  # a criterion's mean (1-5) named under Strengths


class Gap(BaseModel):
    """A key point the candidate missed, and where the guide covers it."""

    point: str
    topic: str
    question: str
    guide_section: str
    weight: int
    # The section's item to re-read (the built-in guide's line sharing the rarest words with
    # the point and its question: a walk-through's every re-read was one of two headings)
    guide_line: str = ""


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
    kind: str = "spoken"
    seconds: float | None = None  # time from the question to the (last) answer
    budget: int | None = None  # a real interview's time budget for the question, in seconds
    tests: str = ""  # a coding question's hidden-test result, e.g. "7 of 9 passed"
    # {name, error, code, kind, why} per failed test; why: what it catches (``CodeTest.why``),
    # to continue a sentence, or ""
    failed_tests: list[dict] = Field(default_factory=list)
    wrong_said: dict[str, str] = Field(default_factory=dict)  # a red flag's claim -> the words
    # what came off the score: "83 for what you said, less 10 for the hint penalty"
    # (``Grade.penalties_said``; walk43: a hint's cost was in the chat, not under the question)
    made_of: str = ""


INCOMPLETE = "incomplete"  # the signal of an interview ended before its planned questions


class Report(BaseModel):
    """What went well, what was missed, what to re-read, and the hire signal."""

    overall: int
    signal: str
    passed: bool
    planned: int | None = None  # questions the session planned (None: a practice sitting)
    answered: int = 0  # questions answered (graded); skipped ones count 0 in ``overall``
    complete: bool = True  # False when it ended before the planned questions: no hire signal
    rounds: dict[str, dict] = Field(default_factory=dict)
    criteria: dict[str, float] = Field(default_factory=dict)
    strengths: list[str] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    reread: list[str] = Field(default_factory=list)
    questions: list[QuestionSummary] = Field(default_factory=list)
    delivery: dict = Field(default_factory=dict)  # spoken answers: pace, fillers, long pauses
    note: str = ""

    @property
    def score_said(self) -> str:
        """``72/100``; "no score" when nothing was answered or skipped (ended at the first
        question: "0/100" read as a graded zero, where the sessions list shows none)."""
        counted = any(q.status in ("answered", "skipped") for q in self.questions)
        return f"{self.overall}/100" if counted else "no score"


def turn_score(turn: Turn) -> int | None:
    """The score a turn counts for: its grade, 0 when skipped, None when never answered."""
    return models.turn_score(turn.status, turn.grade.overall if turn.grade else None)


def build_report(
    turns: list[Turn],
    bank: Bank | None = None,
    note: str = "",
    planned: int | None = None,
    timed: bool = False,
    points_from: list[Turn] | None = None,
) -> Report:
    """Aggregate the session's turns into a Report.

    ``planned``: the questions the session meant to ask; when fewer were answered or skipped,
    the report is incomplete and gives no hire signal. ``timed``: a real interview, whose
    report shows the time each question took against its budget. ``points_from``: a practice
    sitting's latest attempt of each question, which the strengths' and gaps' key points read
    (an earlier miss since made is no gap); its scores and criterion means, the Strengths'
    "on average over N attempts" included, count every attempt in ``turns``.
    """
    counted = [(t, s) for t in turns if (s := turn_score(t)) is not None]
    scores = [s for _, s in counted]
    overall, answered = models.session_score(
        [(t.status, t.grade.overall if t.grade else None) for t in turns]
    )
    overall = overall or 0
    graded = [t for t, _ in counted if t.grade is not None]
    criteria = _criterion_means(counted)
    pointed = graded if points_from is None else [
        t for t in points_from if t.grade is not None and turn_score(t) is not None]  # fmt: skip
    top_gaps = _top_gaps(pointed, turns if points_from is None else points_from, bank or {})
    over = "" if points_from is None else f" over {plural(len(counted), 'attempt')}"
    complete = planned is None or len(counted) >= planned
    if not complete:
        ended = (
            f"Ended early: {answered} of {planned} planned questions answered"
            f"{f' ({len(counted) - answered} skipped)' if len(counted) > answered else ''}. "
            "An incomplete interview gets no hire signal."
        )
        note = f"{ended} {note}".strip()
    # Code that breaks a round is read from each question's latest attempt in practice: an
    # attempt since fixed is no reason (walk25's practice summary read "Not passed: ... its
    # code alone scored 0, 0 of 8" beside its last attempt's 8 of 8)
    broke = [t for t in (turns if points_from is None else points_from) if code_broke(t)]
    rounds = _round_results(counted, {t.round for t in broke})
    # A loop passes only when every round does (a failed L2 is no offer, whatever L1 scored);
    # the signal reads the same rounded score the pass mark is checked on.
    passed = complete and bool(scores) and overall >= PASS_MARK
    passed = passed and all(r["passed"] for r in rounds.values())
    signal = hire_signal(overall, _red_flag_share(graded)) if complete else INCOMPLETE
    if complete and signal != hire_signal(overall):  # say why the score's signal was lowered
        note = (f"{note} At most lean no hire: a wrong claim (a red flag) in "
                f"{_red_flagged(graded)} of {plural(len(graded), 'answer')}, more than a "
                "third.").strip()  # fmt: skip
    if complete and passed:
        by_score = signal
        signal, note = _failed_tests_cap(signal, note, [t for t, _ in counted])
        if points_from is None:  # (a practice sitting counts attempts, and gives no signal)
            signal, note = _blank_cap(by_score, signal, note, counted)
    if complete and not passed:
        signal = at_most(signal, "lean no hire")
        failed = [f"{r} scored {v['overall']}" for r, v in sorted(rounds.items())
                  if v["overall"] < PASS_MARK]  # fmt: skip
        if broke:  # the round's score may pass: the code decides
            note = f"{note} {code_broke_said(broke)}".strip()
        elif overall >= PASS_MARK and failed:  # the score alone would pass: say why it does not
            why = (f"Not passed: {' and '.join(failed)}, below the pass mark ({PASS_MARK}); a loop "
                   "passes only when every round does.")  # fmt: skip
            note = f"{note} {why}".strip()
    if any(judgement_unread((bank or {}).get(t.question_id), t.grade) for t in graded):
        # (a walk-through's report quoted a concealment from a story as a strength, uncaveated)
        note = f"{note} {JUDGEMENT_UNREAD}".strip()
    return Report(
        overall=overall,
        signal=signal,
        passed=passed,
        planned=planned,
        answered=answered,
        complete=complete,
        rounds=rounds,
        criteria=criteria,
        strengths=_strengths(_strong_criteria(criteria, counted), pointed, over)[:MAX_STRENGTHS],
        gaps=top_gaps,
        reread=list(dict.fromkeys(g.guide_section for g in top_gaps if g.guide_section)),
        questions=[_summary(t, bank or {}, timed) for t in turns],
        delivery=_delivery(turns),
        note=note,
    )


def code_broke(t: Turn) -> bool:
    """L1's coding decides its round (the guide's Python section asks for coding challenges and
    production-quality code; its "make or break" is said of the L2 scenarios round, so the note
    does not quote it: walk47 read the guide misquoted). A counted coding question whose code
    alone (its hidden tests and review, without the explanation) scored under the pass mark, or
    that was skipped, fails its round, whatever the explanation and the other answers scored (a
    re-walk's unchanged starter code, 0 of 9 tests, read "L1 passed (71/100)")."""
    if t.kind != "coding" or turn_score(t) is None:
        return False
    return t.status == "skipped" or int((t.code_result or {}).get("overall", 0)) < PASS_MARK


def _tests_said(r: dict) -> str:
    """A graded run's tests in words ("5 of 7 hidden tests passed"), with the cap that held it."""
    return tests_passed(r.get("passed", 0), r.get("total", 0), but=cap_read(r))


def code_round_said(t: Turn) -> str:
    """What the chat says as soon as an answered coding question's code breaks its round
    (``code_broke``), or "": walk55's chat showed the question at 68 and L1 at 75, and only the
    report said the code alone, at 58, had failed the round."""
    if t.status == "skipped" or not code_broke(t) or not t.code_result:
        return ""
    r = t.code_result
    return (f"• Round: your code alone scored {int(r.get('overall', 0))} ({_tests_said(r)}), "
            f"under the pass mark ({PASS_MARK}); in {t.round} the code decides the round, so this "
            f"{t.round} will not pass, whatever the other answers score.")


def code_broke_said(broke: list[Turn]) -> str:
    """Why rounds with such coding questions are not passed."""

    def why(t: Turn) -> str:
        r = t.code_result
        if t.status == "skipped":
            return "skipped"
        if not r:
            return "no code was graded"
        code = int(r.get("overall", 0))
        # (in brackets: walk48 read "scored 0, 0 of 6 hidden tests passed" as clumsy)
        said = f"its code alone scored {code} ({_tests_said(r)})"
        whole = turn_score(t)
        # the question's own score blends in the explanation: said, so the two numbers agree (a
        # re-walk read "its code scored 16" beside the question's "[24/100]")
        return (
            said
            if whole is None or int(whole) == code
            else f"{said}; {int(whole)} with your explanation"
        )

    said = "; ".join(f"{t.round}, {_topic(t)}: {why(t)}" for t in broke)
    return (f"Not passed: the coding question's code must pass on its own ({PASS_MARK}); in "
            f"L1 the code decides the round ({said}).")  # fmt: skip


def _failed_tests_cap(signal: str, note: str, turns: list[Turn]) -> tuple[str, str]:
    """Code that passed but failed a hidden test holds the signal at "hire", however well the
    explanation and the other answers went (a walk-through's K-Means that timed out and gave NaN
    on an empty cluster was in an 86 "strong hire" round). The report says which question."""
    failed = [t for t in turns if t.kind == "coding" and (t.code_result or {}).get("failed")]
    capped = at_most(signal, "hire")
    if not failed or capped == signal:
        return signal, note
    said = "; ".join(f"{_topic(t)}, {t.code_result['total'] - t.code_result['passed']} of "
                     f"{t.code_result['total']}" for t in failed)  # fmt: skip
    return capped, f"{note} At most hire: your code failed hidden tests ({said}).".strip()


def _blank_cap(by_score: str, signal: str, note: str, counted: list[tuple[Turn, int]]
               ) -> tuple[str, str]:  # fmt: skip
    """A question with no answer worth credit (skipped, or under the first label cut: an "I
    don't know") holds the signal at "hire": strong hire is for a round with no blank (walk55's
    loop read "strong hire" at 83 after two "I don't know" answers). The report says which,
    also when another rule has held the signal there already (``by_score``: the signal before
    any rule)."""
    blank = [(t, s) for t, s in counted if t.status == "skipped" or s < LABEL_CUTS[0]]
    if not blank or at_most(by_score, "hire") == by_score:
        return signal, note
    said = "; ".join(f"{_topic(t)}, {'skipped' if t.status == 'skipped' else s}"
                     for t, s in blank)  # fmt: skip
    return at_most(signal, "hire"), (
        f"{note} At most hire: {len(blank)} of {plural(len(counted), 'question')} got no answer "
        f"worth credit ({said}).").strip()  # fmt: skip


def l1_result(turns: list[Turn]) -> tuple[int, bool]:
    """(overall score, passed) of a session's L1 turns: passing reads the score and its coding
    question's code (``code_broke``)."""
    report = build_report([t for t in turns if t.round == "L1"])
    return report.overall, bool(report.rounds.get("L1", {}).get("passed"))


def l2_opening(turns: list[Turn], *, score: bool = True) -> str:
    """The line that opens a full loop's L2 round, live and in a resumed chat: L1's score, and
    its strongest and weakest question's topics when they differ (walk40: the hand-over was one
    line, nothing of L1 said until the loop's report); with feedback at the end only (``score``
    False: a real interview) none of them, which come with the report (a walk-through's real
    interview said "L1 passed (100/100)" midway)."""
    if not score:
        return "L1 passed: the L2 round starts now."
    report = build_report([t for t in turns if t.round == "L1"])
    said = f"L1 passed ({report.overall}/100"
    graded = [q for q in report.questions if q.status == "answered" and q.overall is not None]
    best = max(graded, key=lambda q: q.overall, default=None)
    worst = min(graded, key=lambda q: q.overall, default=None)
    if best is not None and worst is not None and best.overall > worst.overall:
        said += (f"; strongest: {topic_label(best.topic)} {best.overall}, to work on: "
                 f"{topic_label(worst.topic)} {worst.overall}")  # fmt: skip
    return f"{said}): the L2 round starts now."


def _delivery(turns: list[Turn]) -> dict:
    """How the spoken answers were delivered, over the session."""
    spoken = [t.delivery for t in turns if t.delivery and t.delivery.get("words")]
    if not spoken:
        return {}
    fillers: dict[str, int] = {}
    for d in spoken:
        for word, n in (d.get("fillers") or {}).items():
            fillers[word] = fillers.get(word, 0) + n
    words = sum(d["words"] for d in spoken)
    # each answer's time from the pace shown with it (its seconds are kept to a tenth): one
    # answer said "155 wpm" in the chat and "156 words a minute" in the report (walk40)
    seconds = sum(d["words"] * 60 / d["wpm"] if d.get("wpm") else d["seconds"] for d in spoken)
    return {
        "answers": len(spoken),
        "wpm": round(words / (seconds / 60)) if seconds else 0,
        "fillers": sum(fillers.values()),
        "top_fillers": sorted(fillers, key=lambda w: -fillers[w])[:3],
        "long_pauses": sum(len(d.get("pauses") or []) for d in spoken),
        "over_budget": sum(1 for d in spoken if d.get("budget") and d["seconds"] > d["budget"]),
    }


def _criterion_means(counted: list[tuple[Turn, int]]) -> dict[str, float]:
    """Mean 1-5 per criterion; a skipped question is the lowest mark on every criterion."""
    if not counted:
        return {}

    def mark(t: Turn, c: str) -> int:
        return 1 if t.grade is None else t.grade.criteria[c].score

    return {c: round(sum(mark(t, c) for t, _ in counted) / len(counted), 2) for c in CRITERIA}


def _strong_criteria(criteria: dict[str, float], counted: list[tuple[Turn, int]]
                     ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:  # fmt: skip
    """The criteria averaging at least STRONG and, in a loop, at least that in every round; and
    by round, those strong in that round alone. A criterion strong in L1 but weak in L2 is no
    strength of the loop (a walk-through's loop with a failed L2 read "Depth: 4/5 on average"
    under Strengths), but it is L1's (a later one read no strength at all for an L1 averaging
    4/5 on every criterion)."""
    rounds = sorted({t.round for t, _ in counted})
    each = {r: _criterion_means([(t, s) for t, s in counted if t.round == r]) for r in rounds}
    everywhere = {c: v for c, v in criteria.items()
                  if v >= STRONG and all(m[c] >= STRONG for m in each.values())}  # fmt: skip
    if len(rounds) < 2:
        return everywhere, {}
    by_round = {r: {c: v for c, v in m.items() if v >= STRONG and c not in everywhere}
                for r, m in each.items()}  # fmt: skip
    return everywhere, {r: m for r, m in by_round.items() if m}


def _red_flag_share(graded: list[Turn]) -> float:
    """Share of graded answers that state a wrong central claim."""
    if not graded:
        return 0.0
    return _red_flagged(graded) / len(graded)


def _red_flagged(graded: list[Turn]) -> int:
    """How many graded answers state a wrong central claim."""
    return sum(1 for t in graded if any(is_red_flag(f) for f in t.grade.flags))


def _round_results(counted: list[tuple[Turn, int]], broke: set[str]) -> dict[str, dict]:
    """Each round's mean score, questions and whether it passed (not a round in ``broke``,
    whose coding question's code did not pass)."""
    by_round: dict[str, list[int]] = defaultdict(list)
    for t, s in counted:
        by_round[t.round].append(s)
    rounds = {}
    for r, rs in by_round.items():
        mean = models.half_up(sum(rs) / len(rs))
        rounds[r] = {"overall": mean, "questions": len(rs),
                     "passed": mean >= PASS_MARK and r not in broke}  # fmt: skip
    return rounds


def _strengths(strong: tuple[dict[str, float], dict[str, dict[str, float]]], graded: list[Turn],
               over: str = "") -> list[str]:  # fmt: skip
    """What was strong: the strong criteria (:func:`_strong_criteria`: those of one round of a
    loop on one line, "In L1, on average: ..."), and what the strong answers got right (their
    most important covered point, in the candidate's own words when there is evidence)."""
    criteria, by_round = strong
    # One line, not one per criterion: four such lines read as a list of every criterion and
    # left one place for what an answer got right (a walk-through).
    strengths = [f"On average{over}: " + _criteria_said(criteria)] if criteria else []
    strengths += [f"In {r}, on average: " + _criteria_said(m) for r, m in by_round.items()]
    strong = [t for t in graded if t.grade.overall >= 75] or [
        max(graded, key=lambda t: t.grade.overall, default=None)
    ]
    for t in _by_turns_of_rounds(strong):
        if t is not None and _ruled_out(t):
            continue  # code that solved another task than the one set has no strength to quote
        # An answer graded incorrect has no strength to quote: its ticks are the least sure (a
        # re-walk's 17/100 answer stating a red flag was quoted as a strength, beside
        # "Incorrect." in its own feedback).
        if t is None or t.grade.overall < PARTIAL_FROM:
            continue
        # A sentence stating what the code does not do (a failed hidden test checks it: that
        # point is not covered) is quoted under no other point either (``quotable``).
        covered = sorted((kp for kp in quotable(t.grade.key_points) if kp.covered),
                         key=lambda kp: -kp.weight)  # fmt: skip
        if covered:
            kp = covered[0]
            said = f' ("{kp.evidence}")' if kp.evidence else ""
            strengths.append(f"{_topic(t)}: {lower_first(kp.point)}{said}")
        elif t.kind == "coding" and t.code_result and t.grade.overall >= 75:
            passed, total = t.code_result.get("passed", 0), t.code_result.get("total", 0)
            which = f"all {total}" if passed == total else f"{passed} of {total}"
            strengths.append(f"{_topic(t)}: your code passed {which} hidden tests")
    return list(dict.fromkeys(strengths))  # a question answered alike twice is said once


def _by_turns_of_rounds(turns: list) -> list:
    """``turns`` taken round by round in turn (L1's first, L2's first, L1's second, ...), each
    round's in their order: the report keeps the first MAX_STRENGTHS, and a loop's strong L1
    answers left none of L2's (walk47: L2 at 91/100, every strength from L1)."""
    rounds: dict[str, list] = {}
    for t in turns:
        rounds.setdefault(getattr(t, "round", ""), []).append(t)
    queues = list(rounds.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


def _criteria_said(means: dict[str, float]) -> str:
    """ "Technical depth and correctness 4.0/5, Communication ... 4.5/5"."""
    return ", ".join(f"{CRITERIA[c]} {mean_of_five(v)}/5" for c, v in means.items())


def _ruled_out(t: Turn) -> str | None:
    """What a coding answer's code uses that its question rules out, or None."""
    correctness = ((t.code_result or {}).get("criteria") or {}).get("correctness") or {}
    return ruled_out(correctness.get("evidence") or "") if t.kind == "coding" else None


def _topic(t: Turn) -> str:
    return topic_named(t.topic)


def topic_named(topic: str) -> str:
    """A topic as a line of the report starts with it: its label, capitalised."""
    label = topic_label(topic)
    return label[:1].upper() + label[1:]  # "ML from scratch" keeps its capitals


DO_WHAT_YOU_SAID = "Make the code do what you said: "  # a gap: a point stated, its test failed


def _top_gaps(graded: list[Turn], turns: list[Turn], bank: Bank) -> list[Gap]:
    """The most important missed points, one per question, so the top 3 span 3 questions."""
    gaps = [
        Gap(
            # (a point stated but failed by the code's test of it was not missed in words)
            point=(
                f"{DO_WHAT_YOU_SAID}{lower_first(kp.point.rstrip('.'))} (it "
                f"failed the hidden test {kp.failed_test})."
                if kp.failed_test
                else kp.point
            ),
            topic=t.topic,
            question=t.question,
            guide_section=t.guide_section,
            weight=kp.weight,
        )
        for t in graded
        for kp in t.grade.key_points
        # (none from an answer at full marks: a walk-through's 100/100 answer gave a top gap
        # of a point it had made in other words)
        if not kp.covered and not t.grade.full_marks
    ]
    for t in graded:
        # (where the code's failed tests go: before the question's points missed in words)
        plain = next((i for i, g in enumerate(gaps) if g.question == t.question
                      and not g.point.startswith(DO_WHAT_YOU_SAID)), len(gaps))  # fmt: skip
        # A wrong claim outranks the question's missed points: a walk-through's worst L1 answer
        # ("there is no linear-time solution") was in no gap, its one unticked point an edge case.
        if claims := red_flag_claims(t.grade.flags):
            q = bank.get(t.question_id)
            flag = q.red_flag(claims[0]) if q is not None else None
            point = (
                f"{flag.why.rstrip('.')} (your answer stated otherwise)."
                if flag is not None and flag.why
                else f"“{claims[0].rstrip('.')}” is a known mistake, which your answer stated."
            )
            gaps.insert(0, Gap(point=point,
                               topic=t.topic, question=t.question,
                               guide_section=t.guide_section, weight=3))  # fmt: skip
        if ruled := _ruled_out(t):  # before the question's missed points, which it outranks
            gaps.insert(0, Gap(point=f"Solve it as the question sets it: the code uses {ruled}, "
                            "which the question rules out.", topic=t.topic, question=t.question,
                            guide_section=t.guide_section, weight=3))  # fmt: skip
        failed = (t.code_result or {}).get("failed") or []
        if t.kind == "coding" and failed:
            # (with what the first that has a ``why`` catches beside its name)
            q = bank.get(t.question_id)
            names = names_with_why(q, [(f["name"], f["error"]) for f in failed[:3]])
            # after a wrong claim, a ruled-out approach and what the code failed to do as said,
            # before the points missed in words: code that fails is the gap (a question that asks
            # for an explanation lists its points as missed when only code was sent)
            gaps.insert(
                plain + bool(claims) + bool(ruled),
                Gap(
                    point=f"Make the code pass the hidden tests it failed: {names}.",
                    topic=t.topic,
                    question=t.question,
                    guide_section=t.guide_section,
                    weight=3,
                )
            )  # fmt: skip
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
    # The most important points first, and among equals the weaker answer's; an answer graded
    # correct comes after every other (a re-walk's top gap was from a question scored 100, above
    # ones scored 42 and 50).
    scored = {t.question: s for t in turns if (s := turn_score(t)) is not None}
    correct = 100 * VERDICT_CUTS[0][1]
    gaps.sort(key=lambda g: (scored.get(g.question, 0) >= correct, -g.weight,
                             scored.get(g.question, 0)))  # fmt: skip
    top_gaps: list[Gap] = []
    seen: set[str] = set()
    for g in gaps:
        if g.question not in seen:
            top_gaps.append(g)
            seen.add(g.question)
        if len(top_gaps) == TOP_GAPS:
            break
    for g in top_gaps:
        if g.guide_section:
            g.guide_line = guide_line(g.guide_section, g.point,
                                      asked=f"{g.question} {topic_label(g.topic)}")
    return top_gaps


def _summary(t: Turn, bank: Bank, timed: bool) -> QuestionSummary:
    result = t.code_result or {}
    q = bank.get(t.question_id)
    budget = time_budget(q.group) if timed and q is not None else None
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
        wrong_said=t.grade.wrong_said if t.grade else {},
        made_of=t.grade.penalties_said() if t.grade else "",
        guide_section=t.guide_section,
        kind=t.kind,
        seconds=t.seconds,
        budget=budget,
        tests=(tests_passed(result["passed"], result["total"], error=result.get("error"),
                            but=cap_read(result)) if result else ""),
        failed_tests=[
            {"name": name, "error": error, "code": code, "kind": f.get("kind", ""),
             "why": failed_why(q, name, f["error"])}
            for (name, error, code), f in zip(failed_tests(result), result.get("failed", []),
                                              strict=True)  # fmt: skip
        ],
    )  # fmt: skip
