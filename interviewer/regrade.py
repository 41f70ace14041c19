"""How a follow-up answer changes a question's grade: merged with the grade before, wrong
claims it put right credited less a cost, and a list of terms said in sentences only when asked."""

from __future__ import annotations

import re

from interviewer.bank import Question
from interviewer.coding_answer import with_tested_said
from interviewer.grading import text as tu
from interviewer.grading.decide import CAP
from interviewer.grading.feedback import correction_cost, quoted, without_gap
from interviewer.grading.rubric import (
    CORRECTED,
    CORRECTION_COST,
    FLAG_PROMPTED,
    FLAG_UNTOLD,
    NO_FORM_PROBLEM,
    STAR_MISSING,
    UNTOLD_CAP,
    Grade,
    red_flag_claims,
)
from interviewer.grading.star import Star
from interviewer.markup import shorten

# The communication of an answer given as a list of terms and said in sentences only at the
# probe: at most "adequate", as an interviewer marks a candidate who needed asking.
LISTED_COMMUNICATION_MAX = 3


def listed_first(grade: Grade, listed: str) -> Grade:
    """``grade`` of the sentences said at the probe after a list of terms (``listed``): its
    communication held at ``LISTED_COMMUNICATION_MAX``, and saying why."""
    said = grade.criteria.get("communication")
    if said is None:
        return grade
    held = said.model_copy(update={
        "score": min(said.score, LISTED_COMMUNICATION_MAX),
        "evidence": [shorten(listed, 160)],
        "rationale": "the first answer was a list of terms, said in sentences only when asked; "
                     + said.rationale.removeprefix(f"{NO_FORM_PROBLEM}; "),
    })  # fmt: skip
    return grade.model_copy(update={"criteria": {**grade.criteria, "communication": held}})


# Prior, not fitted (no answers labelled for corrections exist): a follow-up sentence that the
# grader credits with a key point puts a wrong claim right when it shares at least this many
# content words, beyond the question's own, with the claim's authored correction. A walk-through's
# "Actually Polars is written in Rust on top of Apache Arrow, and in lazy mode it builds a query
# plan ..." shares six with "Polars is an independent Rust engine on Apache Arrow memory, ...".
CORRECTION_WORDS = 2


def corrected_claims(question: Question, grade: Grade, answer: str, alone: Grade) -> dict[str, str]:
    """The wrong claims of ``grade`` (the answer and its follow-up answers graded together) that
    ``answer`` (the answer before the follow-ups) stated and the follow-up answers, graded
    ``alone``, put right: claim -> the answer's words that stated it. None when the follow-up
    answers state a wrong claim themselves."""
    if red_flag_claims(alone.flags):
        return {}
    asked = tu.content_stems(question.text)
    fixes = question.rubric().corrections
    stated = [tu.content_stems(kp.evidence) for kp in alone.key_points if kp.covered and kp.evidence]
    before = tu.normalise(answer)
    out = {}
    for claim in red_flag_claims(grade.flags):
        said = grade.wrong_said.get(claim, "")
        why = tu.content_stems(fixes.get(claim, "")) - asked
        if said and _bare(said) in before and any(len(w & why) >= CORRECTION_WORDS for w in stated):
            out[claim] = said
    return out


def described_claims(grade: Grade, described: str, before: Grade | None) -> set[str]:
    """The wrong claims of ``grade`` (a coding turn's words graded together) stated only in
    ``described``, the answers to a probe on a failed hidden test ("What does your code do in
    that case?"), and not already in ``before`` (the grade the turn had).
    They describe what the submitted code does, which the failed test already charges, not what
    the candidate holds true (walk35: group_anagrams code that lower-cased the words failed
    case_sensitive; "so "Ab" and "ba" get the same key and merge", the right diagnosis, read as
    the red flag on a key that merges "aab" and "abb", and its "Diagnosed" bullet was dropped)."""
    text = tu.normalise(described)
    held = set(red_flag_claims(before.flags)) if before is not None else set()
    return {claim for claim in red_flag_claims(grade.flags)
            if claim not in held and (said := grade.wrong_said.get(claim, ""))
            and _bare(said) in text}  # fmt: skip


def _bare(said: str) -> str:
    """A quote of the answer's words without the ellipses that mark where it was cut (a
    run-on's later part opens with one)."""
    return said.strip("…").strip()


def without_red_flags(question: Question, claims: set[str]) -> Question:
    """``question`` as judged without the red flags whose claims are in ``claims`` (itself when
    there are none): a described failure (``described_claims``) is no wrong belief."""
    if not claims:
        return question
    kept = [rf for rf in question.red_flags if rf.claim not in claims]
    return question.model_copy(update={"red_flags": kept})


def without_claims(answer: str, said: dict[str, str]) -> str:
    """The answer with the words that stated the given claims taken out."""
    text = tu.normalise(answer)
    for words in said.values():
        text = text.replace(words, " ")
    # the punctuation that led into the words goes with them: "underfits: ." read as a slip in
    # a walk-through's "Landed" quote of "... underfits: high bias, low variance, ..."
    text = re.sub(r"[ \t]*[,;:][ \t]*(?=[.!?,;:]|$)", "", text, flags=re.M)
    text = re.sub(r"[ \t]+(?=[.,;:!?])", "", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def corrected_score(overall: int, corrected: int) -> int:
    """The overall of an answer whose ``corrected`` wrong claims the follow-up put right:
    ``CORRECTION_COST`` points each, but never below the red-flag cap the claims would have held
    it at (a correction is worth more than the claim left standing)."""
    return _less(overall, CORRECTION_COST * corrected, CAP)


def _less(overall: int, cost: int, held_at: float) -> int:
    """``overall`` less ``cost`` points, but never below the cap ``held_at`` (0-1) that the
    answer would have been held at without the follow-up (nor above ``overall``)."""
    return max(overall - cost, min(overall, round(100 * held_at)))


def with_corrections(grade: Grade, said: dict[str, str]) -> Grade:
    """``grade`` (of the answer without the corrected claims, and its follow-ups) saying which
    wrong claims the follow-up answers put right, in the candidate's words, each costing
    ``CORRECTION_COST`` points."""
    overall = corrected_score(grade.overall, len(said))
    taken = grade.overall - overall
    note = ("Corrected in your follow-up: "
            + "; ".join(f"you said {quoted(w)}, which is wrong" for w in said.values())
            + ", and your follow-up answer put it right; the correction"
            + (" is" if len(said) == 1 else "s are") + f" credited{correction_cost(taken)}.")  # fmt: skip
    return grade.model_copy(update={
        "overall": overall,
        "correction_penalty": taken,
        "flags": [*grade.flags, *(CORRECTED + c for c in said)],
        "wrong_said": {**grade.wrong_said, **said},
        "feedback": f"{grade.feedback.rstrip()} {note}".strip(),
    })  # fmt: skip


def told_when_asked(before: Grade | None, grade: Grade) -> bool:
    """Whether ``grade`` (the answer and its follow-ups together) tells the story that the
    answer alone (``before``, the grade the turn had: held as untold, or already charged for
    it at an earlier follow-up) did not, with no correction credited in it (``FLAG_PROMPTED``)."""
    asked = before is not None and (FLAG_UNTOLD in before.flags or FLAG_PROMPTED in before.flags)
    return (asked and FLAG_UNTOLD not in grade.flags
            and not any(f.startswith(CORRECTED) for f in grade.flags))  # fmt: skip


def with_prompted_story(grade: Grade) -> Grade:
    """``grade`` of a story told only at the follow-up: less ``CORRECTION_COST`` points, never
    below ``UNTOLD_CAP`` (the score it was held at), and saying so."""
    overall = _less(grade.overall, CORRECTION_COST, UNTOLD_CAP)
    taken = grade.overall - overall
    cost = correction_cost(taken) if taken else ""
    note = f"The story came only when asked: it is credited{cost}."
    return grade.model_copy(update={
        "overall": overall,
        "correction_penalty": taken,
        "flags": [*grade.flags, FLAG_PROMPTED],
        "feedback": f"{grade.feedback.rstrip()} {note}".strip(),
    })  # fmt: skip


def with_star_parts_told(before: Grade, after: Grade) -> Grade:
    """``before`` (the answer's grade, which stands) without the STAR parts it lacked that
    ``after`` (the answer and its follow-ups) has: a story's outcome told when asked "how did it
    turn out?" is no longer said to be missing (``probes.RESULT_PROBE``), whatever the score."""
    told = [f for f in before.flags if f.startswith(STAR_MISSING) and f not in after.flags]
    if not told:
        return before
    flags = [f for f in before.flags if f not in told]
    had, now = Star.of_flags(before.flags), Star.of_flags(flags)
    text = before.feedback.replace(had.advice(), now.advice())
    return before.model_copy(update={
        "flags": flags,
        "feedback": re.sub(r" {2,}", " ", text).strip(),
    })  # fmt: skip


def merge_follow_up(before: Grade | None, after: Grade) -> Grade:
    """A question's grade once its follow-up is answered (``after`` grades the answer and the
    follow-up together): it can only rise. The higher of the two grades, and every key point
    either covered stays covered, with its evidence. But a wrong claim first stated in the
    follow-up answer counts as it would have in the answer: ``after``, which has its red flag
    (and its cap), stands (a walk-through's wrong follow-up answer was dropped by the higher
    grade, and the points it named were ticked)."""
    if before is None:
        return after
    if set(red_flag_claims(after.flags)) - set(red_flag_claims(before.flags)):
        return after
    base, other = (after, before) if after.overall >= before.overall else (before, after)
    if base is before:
        base = with_star_parts_told(base, after)
    theirs = {kp.id: kp for kp in other.key_points if kp.covered}
    gained = {kp.id: theirs[kp.id] for kp in base.key_points
              if not kp.covered and kp.id in theirs}  # fmt: skip
    if not gained:
        return base
    text = base.feedback
    for kp in gained.values():
        text = without_gap(text, kp.point)  # no longer the gap to fill
    points = [gained.get(kp.id, kp) for kp in base.key_points]
    merged = base.model_copy(update={"key_points": points, "feedback": text})
    # A coding point the code failed that the follow-up answer diagnosed is no longer "not
    # credited" in the feedback of the grade at submission, when that is the higher
    return with_tested_said(merged) if any(kp.failed_test for kp in points) else merged
