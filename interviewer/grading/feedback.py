"""8. Feedback like a grader's: the verdict, what is wrong and why, then the most important
missed point, each one sentence a candidate can act on."""

from __future__ import annotations

import re
from dataclasses import replace

from interviewer.grading import rubric as rb
from interviewer.grading import text as tu
from interviewer.grading.analysis import RubricData
from interviewer.grading.decide import CAP, Decision
from interviewer.markup import plural, shorten

LEADS = {"correct": "Correct.", "partially_correct": "Partially correct.", "incorrect": "Incorrect."}
# A guide rubric (an uploaded guide's section) has no wrong claims to catch: a top grade says
# the answer covers the section, not that it is right (walk32: an answer denying what the
# section says read "Correct." at 100, as it covered every point's words).
GUIDE_CORRECT = "Covers the section's points (whether each claim is true is not checked)."


def quoted(s: str, n: int = 150) -> str:
    """A sentence quoted as the candidate said it (curly quotes, cut past ``n``)."""
    return "\u201c" + shorten(s.strip().rstrip("."), n) + "\u201d"


GAP_LEADS = ("To be complete, also say", "Most important gap:")


def without_gap(text: str, point: str) -> str:
    """``text`` without the sentence that names ``point`` as the gap to fill (a point found
    covered after all, as a follow-up answer can show)."""
    for lead in GAP_LEADS:
        text = text.replace(f" {lead} {quoted(point)}.", "")
    return text


# A point whose opening clause shares this share of its content words with a wrong claim's
# correction is what the correction already says (a prior, not fitted).
ADDRESSED_SHARE = 0.75


def addressed_by(point: str, correction: str) -> bool:
    """``point`` is what ``correction`` (a wrong claim's "why", or the point nearest to it)
    already says: its opening clause's content words are mostly in it. A walk-through read
    "Wrong: ... F1 is the harmonic mean, 2PR/(P+R) ..." and then "Most important gap: F1 is the
    harmonic mean of precision and recall ..."."""
    opening = tu.content_stems(re.split(r"[,;:]", point, maxsplit=1)[0])
    shared = opening & tu.content_stems(correction)
    return bool(opening) and len(shared) >= ADDRESSED_SHARE * len(opening)


def most_important_missed(rd: RubricData, d: Decision, said: str = "") -> int | None:
    """The uncovered key point with the largest weight; ties go to a statement that is not a
    note to graders ("may be rounded"), with more content words (up to 6: a reference fragment
    such as "until a packet is lost" makes a poor comment), then to the one the answer came
    least close to. A point the feedback has ``said`` already (a wrong claim's correction) is
    not named again."""
    missed = [i for i, c in enumerate(d.covered) if not c
              and not (said and addressed_by(rd.points[i].texts[0], said))]  # fmt: skip
    if not missed:
        return None
    return max(missed, key=lambda i: gap_rank(rd.points[i].texts[0], rd.points[i].weight,
                                              d.coverage[i]))  # fmt: skip


def gap_rank(text: str, weight: int, coverage: float) -> tuple:
    """How important a missed point is to name (larger first; see ``most_important_missed``):
    the chat's "Missing:" bullet ranks by it too, so both name the same point (a re-walk's chat
    and transcript named two different points of equal weight)."""
    shown = round(min(1.0, max(0.0, float(coverage))), 3)  # as a grade stores it: both see it
    return (weight, not rb._META.search(text), min(6, len(tu.content_stems(text))), -shown)


def wrong_because(claim: str, corrections: dict[str, str], correct: str = "") -> str:
    """What is wrong with a stated claim, and why (the authored correction when there is one;
    otherwise the key point nearest to the claim)."""
    why = corrections.get(claim)
    if why:
        return why.rstrip(".") + "."
    out = f'"{claim.rstrip(".")}" is a known mistake'
    if correct:
        out += f"; the point to make is {quoted(correct)}"
    return out + "."


def every_point_touched(rd: RubricData, score: float) -> str:
    """What to do when every key point is matched but the answer is not graded correct. Graded
    incorrect, the matches are its words, not its claims (walk28: "Incorrect. It touches every
    key point; make each one concrete ..." for a swapped definition, graded low by its graded
    examples); an exam-style reference (``grade``'s) has no trade-off to weigh (walk28 read
    "the trade-off" of a history and a biology answer)."""
    if score < rb.VERDICT_CUTS[1][1]:
        return ("Its words match every key point, but it does not read as a correct answer: "
                "check that each statement says the right thing about the right term.")
    if rd.kind == "reference":
        return "It touches every key point; make each one precise and say why it holds."
    return ("It touches every key point; make each one concrete: say why it holds, the "
            "trade-off, and give an example.")


# Two feedback builders on purpose: this one writes an offline grade's own paragraph (its
# ``feedback``: a practice result's, report's and transcript's "Feedback") from the grader's
# Decision, which an LLM judge's grade lacks; ``engine.feedback_text`` writes the chat's bullets.
def feedback(rd: RubricData, d: Decision, corrections: dict[str, str], story=None,
             typed=str) -> str:  # fmt: skip
    """One verdict, then what is wrong (and why) and the most important missed point, and the
    missing STAR part of a story; ``typed`` gives an answer's sentence as the candidate typed
    it."""
    if d.floor and d.floor != "off-topic":
        if d.floor == rb.FLAG_ONLY_INJECTION:
            return "Incorrect. The response holds only instructions to the grader, no answer."
        # the point the chat's "Missing" bullet names first too (walk23's chat said "the first
        # to make: Use a multi-stage funnel ...", its transcript the rubric's first point)
        i = most_important_missed(rd, d)
        start = quoted(rd.points[i].texts[0]) if i is not None else "the question"
        if d.floor == rb.FLAG_NOT_ENGLISH:
            return ("Incorrect. The answer is not in English: the interview is held in English, "
                    f"so answer in English, starting with {start}.")
        if d.floor == rb.FLAG_GIBBERISH:
            return f"Incorrect. The response is not readable text; answer in sentences, starting with {start}."
        return f"Incorrect. There is no answer to grade; start from the core point: {start}."
    verdict = rb.verdict_of(round(d.score, 2))
    parts = [GUIDE_CORRECT if verdict == "correct" and rd.kind == "guide" else LEADS[verdict]]
    if d.off_topic and d.floor:
        parts.append(f"The response answers a different question; address what was asked: {shorten(rd.question, 140)}")
        return " ".join(parts)
    if d.off_topic and not d.red_flags and round(d.score, 2) < rb.VERDICT_CUTS[1][1]:
        # a reference rubric, whose off-topic check names but does not floor (its caps): walk29's
        # answers about another topic were pointed to a side remark of the reference ("Onshore
        # winds carry this moderating effect inland") as their gap; its first statement leads
        start = next((quoted(rd.points[i].texts[0]) for i, c in enumerate(d.covered) if not c),
                     "what was asked")  # fmt: skip
        parts.append(f"It seems to be about something other than what was asked; start from "
                     f"{start}.")
        return " ".join(parts)
    said = ""
    if d.red_flags:
        top = d.red_flags[0]
        said = wrong_because(top["claim"], corrections, top["correct"])
        # the others named too, as the chat's bullet names them (walk45: Practice's Feedback
        # named one of the two wrong claims its flags listed)
        also = "; ".join(quoted(typed(r["said"])) for r in d.red_flags[1:])
        parts.append(f"Wrong: you said {quoted(typed(top['said']))}: {said}"
                     + (f" Also wrong: {also}." if also else ""))  # fmt: skip
    if story is not None and len(story.missing) > 1 and "own_part" not in d.capped_by:
        # a story lacking two or more parts: that comes first (walk43: a behavioural answer of
        # general advice led with a key point it had made in other words, "tells no story" last)
        parts.append(story.advice())
        if "untold" in d.capped_by:
            parts.append(f"It is held at {round(100 * rb.UNTOLD_CAP)} until it tells one.")
        story = None
    i = most_important_missed(rd, d, said)
    target = quoted(rd.points[i].texts[0]) if i is not None else ""
    if "keyword_list" in d.capped_by:
        parts.append("It lists terms without explaining them; explain in full sentences"
                     + (f", starting with {target}." if target else "."))
    elif "restates" in d.capped_by:
        parts.append("It mostly restates the question; add the substance"
                     + (f", starting with {target}." if target else "."))
    elif i is not None and round(100 * d.score) < 100:
        # (not at full marks: a walk-through's 100/100 answer read "Correct. To be complete, also
        # say ..." of a point it had made in other words)
        lead = GAP_LEADS[0] if d.score >= rb.VERDICT_CUTS[0][1] else GAP_LEADS[1]
        parts.append(f"{lead} {target}.")
    elif d.score < rb.VERDICT_CUTS[0][1] and not d.red_flags and "own_part" not in d.capped_by:
        # (not "from your own work": a walk-through's definition question was told that)
        parts.append(every_point_touched(rd, round(d.score, 2)))  # as the verdict reads it
    if "own_part" in d.capped_by:  # said whatever else is (a re-walk's was lost beside a gap)
        parts.append(f"It tells what the team did; it is held at {round(100 * rb.OWN_PART_CAP)} "
                     "until you say what you yourself did.")
    if story is not None and "own_part" in d.capped_by:  # (said just above)
        story = replace(story, action=True)
    if story is not None and story.missing:
        parts.append(story.advice())
    return " ".join(parts)


def correction_cost(taken: int, in_all: bool = False) -> str:
    """What corrections took, to end "... credited": ", less 10 points, as a hint would cost",
    or at no cost when the score was already at the cap (walk43 read "less 10 points" beside a
    12 nothing came off)."""
    if taken:
        # ("less 1 points" read walk53's transcript)
        return f", less {plural(taken, 'point')}{' in all' if in_all else ''}, as a hint would cost"
    return (f" at no cost (the score is already no higher than {round(100 * CAP)}, the cap of a "
            "wrong claim left standing)")


# What an answer that says the same sentences again is told (the chat's bullet, the feedback).
REPEATS_COST = "a point counts once however often it is said, and an interviewer hears the repetition"


def repeats_counts(flag: str) -> tuple[str, str] | None:
    """(repeated, sentences) of a "repeats the same sentences (N of M said before)" flag."""
    m = re.search(r"\((\d+) of (\d+)", flag)
    return (m[1], m[2]) if m else None


def brief_counts(flag: str) -> tuple[str, str] | None:
    """(words, the model answer's words) of a ``brief_flag``."""
    m = re.fullmatch(rf"{rb.FLAG_BRIEF} \((\d+) words; the model answer has (\d+)\)", flag)
    return (m[1], m[2]) if m else None


def brief_said(flag: str, made: int, points: int, you: bool = False) -> str:
    """What a ``brief_flag`` says: the points made, in how many words, and what a higher score
    takes ("It makes ..." in a grade's feedback; "you made ..." in the chat)."""
    n = brief_counts(flag)
    if n is None:
        return ""
    who = "you made" if you else "It makes"
    return (f"{who} {made} of the {points} key points in {n[0]} words, where the model answer "
            f"takes {n[1]}; an interviewer scores how well each point is explained, so say why "
            "each holds and what it trades off")
