"""The LLM judge's grade, cross-checked by the offline grader's: kept within its margins."""

from __future__ import annotations

import logging

from interviewer.bank import Question
from interviewer.grading import rubric as rb
from interviewer.grading.rubric import (
    CODE_CRITERIA,
    CRITERIA,
    CriterionScore,
    Grade,
    code_criterion_label,
)
from interviewer.llm.checks import has_link, is_reason, judge_words
from interviewer.llm.schemas import CodeReviewOutput, JudgeCriterion, JudgeOutput

# The LLM engine's log: the README names it as where the whys of the model's text not shown go.
log = logging.getLogger("interviewer.llm.engine")

# The judge may score below the offline coverage grade (it catches errors similarity misses) but
# not more than this many points above it; when it tries, the lower score stands, flagged.
JUDGE_MARGIN = 20
# Nor more than this many points below it: a small model's judge scores even model answers near
# 0 (SmolLM2-135M: QWK 0.11 against the labels with no floor, 0.72 with it, offline alone 0.83),
# so beyond this the coverage grade stands, flagged. A wrong central claim still costs up to 30.
JUDGE_FLOOR_MARGIN = 30
# A quote the judge gives for a red flag counts from this many words copied from the answer (a
# fixed prior: "I did." alone shows nothing).
QUOTE_MIN_WORDS = 3
# Each criterion the judge scores is kept within this many points (1-5) of the coverage
# grader's for it (a fixed prior, never fitted: the criteria follow the overall score).
CRITERION_MARGIN = 1


def combine_review(q: Question, tested: Grade, review: CodeReviewOutput) -> Grade:
    """The review's scores, never above what the tests support (correctness) and within the
    judge's margins of the test-based overall."""
    criteria = {}
    for c in CRITERIA:
        name = CODE_CRITERIA[c]
        mine = getattr(review, name)
        score = mine.score
        if name == "correctness":
            score = min(score, tested.criteria[c].score)
        why = mine.rationale if not has_link(mine.rationale) else ""  # (walk22: a link)
        criteria[c] = CriterionScore(
            score=score,
            rationale=(f"{code_criterion_label(name, q.coding.vectorise)}: {why}" if why
                       else tested.criteria[c].rationale),
        )  # fmt: skip
    lo, hi = tested.overall - JUDGE_FLOOR_MARGIN, tested.overall + JUDGE_MARGIN
    overall = min(max(review.overall, lo), hi)
    flags = list(tested.flags)
    if overall != review.overall:
        flags.append(
            f"{rb.NEEDS_REVIEW}the code review gave {review.overall}, outside the range the "
            f"tests support ({max(lo, 0)}-{min(hi, 100)}); {overall} stands"
        )
    said = "" if has_link(review.feedback) else review.feedback
    feedback = f"{tested.feedback.split('.')[0]}. {said}".strip()
    return tested.model_copy(
        update={
            "overall": max(0, min(100, overall)),
            "criteria": criteria,
            "flags": flags,
            "source": "llm",
            "feedback": feedback,
        }
    )


def combine_judgement(q: Question, answer: str, out: JudgeOutput, offline: Grade) -> Grade:
    """The judge's grade kept near the offline one, its red flags only with the answer's words."""
    flat = " ".join(answer.split())
    criteria = {}
    for c in CRITERIA:
        jc: JudgeCriterion = getattr(out, c)
        # Only spans really in the answer count as evidence.
        evidence = [e for e in jc.evidence if e.strip() and " ".join(e.split()) in flat]
        # a small model often gives no reason, or no words (a walk-through's local model
        # gave "6.8}," and "2.0"): the row's "why" then says whose score it is
        why = jc.rationale.strip() if is_reason(jc.rationale) else ""
        coverage = offline.criteria[c].rationale
        if why and not judge_words(why, answer, q):  # (walk22: a link, a made-up quote)
            log.info("judge's reason for %s not shown: %r", c, why)
            why = f"the LLM judge's reason could not be shown; coverage: {coverage}"
        why = why or f"the LLM judge gave no reason; coverage: {coverage}"
        # Within a point of the coverage grader's, as the overall is kept near its grade: a
        # walk-through saw an answer flagged off-topic, 5/100, with "Communication 4/5".
        near = offline.criteria[c].score
        score = min(max(jc.score, near - CRITERION_MARGIN), near + CRITERION_MARGIN)
        criteria[c] = CriterionScore(score=score, evidence=evidence, rationale=why)
    flags = [f for f in offline.flags if f != rb.FLAG_KEYWORDS]
    overall = out.overall
    ceiling = offline.overall + JUDGE_MARGIN
    # A listed red flag the judge shows in the answer's own words lifts the floor: the
    # coverage grader reads topic, and misses a wrong claim or poor judgement told in other
    # words (it passed 6 of 14 poor-judgement stories); the floor is for a judge that scores
    # a sound answer near 0 with nothing in the answer to show for it.
    wrong = stated_red_flags(q, answer, out)
    floor = 0 if wrong else offline.overall - JUDGE_FLOOR_MARGIN
    stands = floor <= overall <= ceiling
    said = dict(offline.wrong_said)  # the offline reading's words, for a claim it shares
    if stands:
        for claim, quote in wrong.items():
            if rb.RED_FLAG + claim not in flags:
                flags.append(rb.RED_FLAG + claim)
            said.setdefault(claim, quote)
    # The points ticked: the coverage grader's (each with the sentence that states it), and
    # the judge's besides when its score stands. The judge's alone showed "Score: 84,
    # Missing: all 6 key points" when a small model ticked none, and its probes then asked
    # for points the answer had made.
    covered_ids = set(out.covered_key_points) if stands else set()
    kps = [r.model_copy(update={"covered": r.covered or r.id in covered_ids})
           for r in offline.key_points]  # fmt: skip
    if overall > ceiling:
        flags.append(
            f"{rb.NEEDS_REVIEW}the LLM judge gave {overall}, more than {JUDGE_MARGIN} "
            f"above the coverage grade {offline.overall}; the lower score stands"
        )
        overall = offline.overall
    elif overall < floor:
        flags.append(
            f"{rb.NEEDS_REVIEW}the LLM judge gave {overall}, more than {JUDGE_FLOOR_MARGIN} "
            f"below the coverage grade {offline.overall}; the coverage grade stands"
        )
        overall = offline.overall
    if not stands:  # the coverage grade stands, and its criteria with it: walk22 showed an
        # overruled judge's "The answer is not a lie..." as the grade's reasons
        criteria = dict(offline.criteria)
    return Grade(
        question_id=q.id,
        overall=overall,
        criteria=criteria,
        key_points=kps,
        flags=flags,
        source="llm" if stands else "llm-overruled",  # "graded by the LLM judge" beside
        # "the coverage grade stands" read as a contradiction in a walk-through
        # an overruled judge's words argue for the score that was not kept
        feedback=(judge_words(out.feedback, answer, q) if stands else "") or offline.feedback,
        wrong_said=said,
    )


def _flat(text: str) -> str:
    return " ".join(text.lower().split())


def stated_red_flags(q: Question, answer: str, out: JudgeOutput) -> dict[str, str]:
    """The question's red flags (its own and, for a story, the shared ones) that the judge reads
    in the answer and backs with the answer's words: claim -> quote. A flag is named by its id
    in the prompt (rf1, rf2, ...) or by its claim (case and spacing aside); its quote counts when
    at least QUOTE_MIN_WORDS words of it are copied from the answer exactly (an invented or
    reworded quote shows nothing, and the flag is dropped)."""
    claims = [rf.claim for rf in q.all_red_flags]
    named = {f"rf{i}": c for i, c in enumerate(claims, 1)} | {_flat(c): c for c in claims}
    flat = _flat(answer)
    found: dict[str, str] = {}
    for r in out.red_flags_stated:
        claim = named.get(_flat(r.flag))
        quote = " ".join(r.quote.split()).strip(" \"'“”‘’")
        if claim and len(quote.split()) >= QUOTE_MIN_WORDS and _flat(quote) in flat:
            found.setdefault(claim, quote)
    return found
