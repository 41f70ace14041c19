"""The chat's feedback after one answer: the score line and two or three bullets, from any
finished Grade (offline or an LLM judge's)."""

from __future__ import annotations

from interviewer.bank import Question, judgement_unread
from interviewer.coding.grade import LOOPED_MAX, quotable, ruled_out
from interviewer.coding_answer import (
    CODE_FLAG,
    EXPLAINED,
    LOOPS_FOUND,
    NOT_EXPLAINED,
    NOT_EXPLAINED_RATIONALE,
    alone_said,
    failed_named,
    why_failed,
)
from interviewer.grading import rubric as rb
from interviewer.grading.copying import FLAG_SEEN
from interviewer.grading.feedback import (
    REPEATS_COST,
    addressed_by,
    brief_said,
    correction_cost,
    gap_rank,
    repeats_counts,
)
from interviewer.grading.rubric import Grade
from interviewer.grading.star import NO_STORY, STAR_UNTOLD
from interviewer.grading.text import denies_point
from interviewer.markup import failed_tests, lower_first, plural, telling

MAX_BULLETS = 3
# A covered point read as stated from this P(stated) on is not named as made "least directly".
# A prior, halfway from the key-point model's operating point (0.70, grader_params.json) to 1.
STATED_OUTRIGHT = 0.85


# Two feedback builders on purpose: this one writes the chat's score and bullets after an
# answer from any finished Grade (offline or an LLM judge's); ``grading.feedback.feedback`` writes
# the offline grade's own paragraph from the grader's Decision. They share gap_rank, addressed_by.
def judgement_note(q: Question, grade: Grade) -> str:
    """What follows a story's chat feedback when the offline grader graded it
    (``rubric.JUDGEMENT_UNREAD``, the scorecard's note too), or ""."""
    if judgement_unread(q, grade):
        return f"\n\n{rb.JUDGEMENT_UNREAD}"
    return ""


def failed_told(code_result: dict) -> int:
    """Which of a graded run's failed tests the feedback's "Failed test" bullet names (its index
    in ``code_result["failed"]``): the one whose error tells the case (``markup.telling``)."""
    return telling([(e, c) for _, e, c in failed_tests(code_result)])


def _cut(quote: str) -> bool:
    """Whether a quote is a part of a longer sentence (it opens or ends with "…")."""
    return quote.startswith("\u2026") or quote.endswith("\u2026")


def tests_bullet(grade: Grade) -> str:
    """A coding answer's "Tests" bullet: its feedback's first sentence ("7 of 8 hidden tests
    passed ..."), under "Your code was stopped" when a run was stopped, else first."""
    return f"• Tests: {grade.feedback.split('.')[0]}."


def feedback_text(
    q: Question, grade: Grade, code_result: dict | None = None, *, others_below: bool = False
) -> str:
    """Feedback after one answer: the score (before any hint penalty too), then two or three
    bullets: what landed, quoting the candidate's own sentence; what was wrong and why; what was
    missing; the missing STAR part of a story; a coding question's test results, and with its
    graded run (``code_result``) the first failed test and why it failed, with what the test
    catches (its ``why``) beside its name, and how many more failed: "in the report", or, with
    ``others_below`` (terminal practice has no report, and lists each of the others under the
    feedback with its why: ``cli.coding.failed_lines``), "listed below"."""
    score = f"Score: {grade.overall}/100"
    if costs := grade.penalties_said():
        score += f" ({costs})"
    bullets = []
    if FLAG_SEEN in grade.flags:  # a copy of a model answer seen before: said first
        # (where it was shown: a re-walk's interview said "shown before" of one seen in Practice)
        bullets.append("• Copied: this answer repeats the model answer you were shown before "
                       "(with an earlier grade of this question: Practice, a report or "
                       "Transcripts), word for word; only what is in your own words is scored.")
    if rb.FLAG_NOT_ENGLISH in grade.flags:  # (walk24's 0 said only "Missing: all 6 ...")
        bullets.append("• Not in English: the interview is held in English, so these words "
                       "were not graded; say them in English.")  # fmt: skip
    # Instructions to the grader, never followed, said as such (walk59's "... give me 100/100
    # for this answer" read "Score: 20/100" and "Missing: ...", the flag on the scorecard only)
    if rb.FLAG_ONLY_INJECTION in grade.flags:
        bullets.append("• Instructions only: your answer speaks to the grader, and such instructions "
                       "are never followed; nothing in it answers the question.")
    elif rb.FLAG_INJECTION in grade.flags:
        bullets.append("• Ignored: part of your answer speaks to the grader; such instructions are "
                       "never followed, and only the rest of it was graded.")
    for other in rb.flagged(grade.flags, rb.FLAG_OTHER_QUESTION)[:1]:
        # (a strong answer to a neighbouring question had every point here ticked)
        bullets.append(f"• Another question: your answer is about “{other}”, not the question "
                       "asked; none of this question's points is credited.")  # fmt: skip
    if rb.FLAG_OFF_TOPIC in grade.flags and not bullets:
        # (walk41: Practice said only "Missing: all 7 key points" where the transcript's flags
        # read "off-topic")
        bullets.append("• Off the topic: your answer is not about the question asked, so none "
                       "of its points is credited; answer the question above.")  # fmt: skip
    if not bullets:  # (walk50: a list of terms heard only "Missing: all 6 key points", where
        # the transcript's flags read "keyword list without explanation")
        if rb.FLAG_KEYWORDS in grade.flags:
            bullets.append("• A list of terms: it names things without explaining them, so none "
                           "is credited; say in full sentences what each means here and how "
                           "they fit together.")  # fmt: skip
        elif rb.FLAG_RESTATES in grade.flags:
            bullets.append("• Restated: the answer mostly repeats the question; say what you "
                           "would actually do, and why.")  # fmt: skip
    result = next(iter(rb.flagged(grade.flags, CODE_FLAG)), None)
    if result:
        bullets.append(f"• Your code was stopped: {result}")
        if q.kind == "coding" and (code_result or {}).get("passed"):  # and what the others did
            # (walk50: a quadratic answer stopped on its large input read only this, not "7 of
            # 8 hidden tests passed", nor that the test checks the speed the question asks for)
            bullets.append(tests_bullet(grade))
    reds = rb.red_flag_claims(grade.flags)
    fix = ""  # what the "Wrong" bullet says is right instead, when authored
    for claim in reds[:1]:
        rf = q.red_flag(claim)
        fix = rf.why if rf is not None else ""
        why = fix or f'"{claim.rstrip(".")}" is a known mistake'
        # the words read as the mistake (a walk-through's strong answer was capped by its opening
        # clause, "CI/CD for ML follows the same ideas as software, but ...", and not told which)
        said = grade.wrong_said.get(claim)
        said = f'you said "{said.rstrip(".")}": ' if said else ""
        # the others, named (walk43: three wrong claims, one explained, two only among the
        # flags in the rubric's wording)
        also = "; ".join(f'"{grade.wrong_said.get(c, c).rstrip(".")}"' for c in reds[1:])
        also = f" Also wrong: {also}." if also else ""
        bullets.append(f"• Wrong: {said}{why.rstrip('.')}.{also}")
    corrected = rb.flagged(grade.flags, rb.CORRECTED)
    for claim in corrected[:1]:
        said = grade.wrong_said.get(claim, claim)
        more = f" (and {plural(len(corrected) - 1, 'more wrong claim')})" if corrected[1:] else ""
        cost = correction_cost(grade.correction_penalty, in_all=bool(corrected[1:]))
        # what was wrong with it, when authored (walk52 read only that it "is wrong")
        rf = q.red_flag(claim)
        then = (f": {rf.why.rstrip('.')}. Your" if rf is not None and rf.why else ", and your")
        bullets.append(f'• Corrected: you said "{said.rstrip(".")}"{more}{then} follow-up '
                       f"answer put it right: each correction is credited{cost}.")  # fmt: skip
    if rb.FLAG_PROMPTED in grade.flags:  # (regrade.with_prompted_story)
        cost = correction_cost(grade.correction_penalty) if grade.correction_penalty else ""
        bullets.append(f"• Story: you told it only when asked; it is credited{cost}.")
    # A story's missing STAR parts come before what landed: a walk-through's vague story got
    # two "Landed" bullets and no word of the four parts it lacked (MAX_BULLETS cut it).
    star_parts = rb.flagged(grade.flags, rb.STAR_MISSING)
    # A story of only what "we" did is held at OWN_PART_CAP: said as such, not as a missing
    # STAR part nor as "every key point is there" (a re-walk read that beside a 55)
    held = rb.FLAG_OWN_PART in grade.flags
    if held:
        bullets.append("• Your part: you told what the team did, not what you yourself did; "
                       f"the answer is held at {round(100 * rb.OWN_PART_CAP)} until you say it.")
    if parts := [p for p in star_parts if not (held and p == "action")]:
        held_untold = (f" The answer is held at {round(100 * rb.UNTOLD_CAP)} until you do."
                       if rb.FLAG_UNTOLD in grade.flags else "")  # fmt: skip
        bullets.append(f"• STAR: you told no story; {NO_STORY}.{held_untold}"
                       if len(parts) >= STAR_UNTOLD
                       else f"• STAR: your story lacks the {', '.join(parts)}.")  # fmt: skip
    repeats = next((f for f in grade.flags if f.startswith(rb.FLAG_REPEATS)), None)
    if repeats:  # (a walk-through's paste of three sentences 18 times was never told)
        n = repeats_counts(repeats)
        said = f"{n[0]} of your {n[1]} sentences repeat earlier ones" if n else "you repeat yourself"
        bullets.append(f"• Repeated: {said}; {REPEATS_COST}.")
    # (walk52: a 53-word answer making 4 of 6 points read 49 and no word why)
    if brief := next((f for f in grade.flags if f.startswith(f"{rb.FLAG_BRIEF} (")), None):
        made = sum(kp.covered for kp in grade.key_points)
        bullets.append(f"• Brief: {brief_said(brief, made, len(grade.key_points), you=True)}.")
    # A sentence that denies what its point asserts is no "Landed" quote, whatever MiniLM read
    # (a walk-through: 'Landed: "A sliding window doesn't actually work here, ..."' for the
    # point "Use a sliding window ..."); the point stays ticked: a rule unticking such points
    # cost correct answers as many ticks as it saved, and one unticking them only in answers
    # graded incorrect took the credit of a follow-up's right diagnosis of failed code ("ties
    # by insertion order, not alphabetically").
    # What the explanation said that the code does not do (a failed hidden test checks it) is
    # said so, and no sentence of it is quoted as landed, for another point either (a
    # walk-through's "sort by count, then by word" was "Landed" beside code failing the ties).
    landed = sorted(
        (kp for kp in quotable(grade.key_points) if kp.covered and kp.evidence
         and not kp.failed_test and not denies_point(kp.evidence, kp.point)),
        key=lambda kp: -kp.weight,
    )  # fmt: skip
    undone = [kp for kp in grade.key_points if kp.failed_test and not kp.covered]
    quotes = list(dict.fromkeys(kp.evidence for kp in landed))  # one sentence quoted once
    if grade.overall < 100 * rb.VERDICT_CUTS[1][1]:
        # An answer graded incorrect: its ticks are the least sure (MiniLM reading topic), and a
        # "Landed" quote would praise another wrong sentence (a walk-through's "Sorting isn't
        # needed, so it's O(n) per threshold" landed beside the ROC-AUC red flag; a later one's
        # "Memory is O(1) because the alphabet is fixed" beside "no linear-time solution"),
        # as the report quotes no strength from it.
        quotes = []
    # A point the code failed that a follow-up answer then stated: the diagnosis, credited (a
    # walk-through's right diagnosis after the failed test was shown earned no word), said
    # before a point the code does not do, as the news of the answer just given (walk36: the
    # three bullets were full with it last)
    diagnosed = [kp for kp in grade.key_points if kp.failed_test and kp.covered]
    if diagnosed:
        kp = diagnosed[0]
        said = f': "{kp.evidence.rstrip(".")}"' if kp.evidence else ""
        more = (f" (and {plural(len(diagnosed) - 1, 'more point')})"
                if len(diagnosed) > 1 else "")  # fmt: skip
        bullets.append(f"• Diagnosed: your code failed {kp.failed_test}, and your follow-up "
                       f"answer states what that hidden test checks{said}. The point is credited"
                       f"{more}; the failed test still costs the code you submitted.")  # fmt: skip
    if undone:
        kp = undone[0]
        said = (f'you said "{kp.evidence.rstrip(".")}"' if kp.evidence
                else f"you stated that {lower_first(kp.point.rstrip('.'))}")  # fmt: skip
        more = (f" (the same for {plural(len(undone) - 1, 'more point')})"
                if len(undone) > 1 else "")  # fmt: skip
        bullets.append(f"• Not shown by your code: {said}, but it failed {kp.failed_test}, the "
                       f"hidden test that checks that{more}.")  # fmt: skip
    # one quote beside any other news, so the Missing bullet is not cut (walk53's corrected
    # answer read Corrected, Landed, Landed, and no word of its most important gap)
    others = reds or star_parts or undone or diagnosed or corrected or brief
    shown = quotes[: 1 if others else 2]
    if len(shown) == 2 and all(map(_cut, shown)):  # two parts of a long sentence, the later
        # maybe first (walk52's K-Means read both): the next whole sentence instead, or none
        shown = [shown[0], *[q for q in quotes[2:] if not _cut(q)][:1]]
    for quote in shown:
        bullets.append(f'• Landed: "{quote}"')
    # (a point stated but not done is said above, not "Missing")
    missed = sorted(
        (kp for kp in grade.key_points if not kp.covered and not kp.failed_test),
        key=lambda kp: gap_rank(kp.point, kp.weight, kp.coverage),
        reverse=True,
    )
    # (not the point the "Wrong" bullet's correction has just said, as the grader's feedback)
    gaps = [kp for kp in missed if not (fix and addressed_by(kp.point, fix))]
    if gaps and grade.overall < 85:
        # The most important point, and how many more (the scorecard lists them all: one point
        # named alone read as the only one missed).
        first = gaps[0].point.rstrip(".")
        if len(missed) > 1 and len(missed) == len(grade.key_points):
            bullets.append(f"• Missing: all {len(missed)} key points; the first to make: {first}.")
        elif len(missed) > 1:
            bullets.append(f"• Missing: {first} (and {plural(len(missed) - 1, 'more point')}).")
        else:
            bullets.append(f"• Missing: {first}.")
    elif (not missed and grade.key_points and grade.overall < 85 and not reds and not held
          and q.kind != "coding"):  # fmt: skip
        # Every point made, and still under 85: say what a higher score takes (a walk-through
        # got 81 with every point ticked and no word on the difference).
        # The point made least directly is named (a walk-through's answer with several
        # examples was told to add "a concrete example"): its weak match is what holds the
        # score down, as the head reads how closely each point is stated.
        # Not a point whose sentence was just quoted as "Landed" (a walk-through was told to
        # state outright the point of the sentence quoted above it).
        # Only a point read as stated with some doubt (P(stated) under STATED_OUTRIGHT) is
        # named: walk32's two-sum answer was told to state outright "... two nested loops,
        # which takes O(n squared)" beside its "against O(n^2) for the brute-force double
        # loop" (P 0.90).
        unquoted = [kp for kp in grade.key_points if kp.evidence not in shown]
        weakest = min(unquoted, key=lambda kp: kp.coverage, default=None)  # all covered here
        if weakest is not None and weakest.coverage < STATED_OUTRIGHT:
            bullets.append(f"• To score higher: every key point is there; the one you made "
                           f'least directly is "{weakest.point.rstrip(".")}": state it outright '
                           "and say why it holds.")  # fmt: skip
        else:
            bullets.append("• To score higher: every key point is there; go deeper on them: "
                           "say why each holds and what it trades off.")
    if q.kind == "coding" and not result:
        bullets.insert(0, tests_bullet(grade))
        failed = failed_tests(code_result) if code_result else []
        if failed:  # why the code lost points comes before the review (a walk-through found
            # the chat said "3 of 6 passed" and nothing of which or why, until the report)
            # the one whose error tells the case, as the follow-up asks about (a walk-through's
            # chat named a test built on lines it never saw when "all scores tied" had failed)
            name, error, _ = failed[failed_told(code_result)]
            # (terminal practice has no report: a walk-through read "1 more in the report"
            # there, and never saw it)
            where = "listed below" if others_below else "in the report, with inputs"
            rest = f" ({len(failed) - 1} more {where})" if len(failed) > 1 else ""
            # what the test catches beside its name (``CodeTest.why``): a walk-through's bracket
            # counter read "failed interleaved_is_not_nested" and no word of why counting is
            # wrong; when the test named has none, the first failed test that has one (not with
            # the others listed below: each says its own there)
            ran = [(f["name"], f["error"]) for f in code_result["failed"]]
            told = why_failed(q, [r for r in ran if r[0] == name]) or (
                None if others_below else why_failed(q, ran))  # fmt: skip
            also = f" Also failed: {failed_named(q, told)}." if told and told != name else ""
            named = failed_named(q, name) if told == name else name
            bullets.insert(1, f"• Failed test: {named}: {error.rstrip('.')}{rest}.{also}")
        # What the question rules out comes next: the tests alone read "6 of 6 passed" for
        # division in a task set "without division" (a walk-through's scored 76).
        ruled = ruled_out(grade.criteria["depth"].rationale) if "depth" in grade.criteria else None
        if ruled:  # and an explanation of that approach has not "landed" (a sentence on
            # dividing the total shares the words of the point on why not to)
            bullets = [b for b in bullets if not b.startswith("• Landed:")]
            bullets.insert(1 + bool(failed), f"• Ruled out: the code uses {ruled}, which the "
                           "question rules out: passing the tests another way does not solve "
                           "the task set.")  # fmt: skip
        # Loops where the question asks for none: why all passed is not "correct" (a
        # walk-through's practice feedback named the loop, not that it caps the score)
        loops = ((code_result or {}).get("criteria") or {}).get("vectorisation") or {}
        loops = loops.get("evidence") or ""
        looped = (not ruled and loops.startswith(LOOPS_FOUND) and code_result["verdict"] != "correct"
                  and code_result["passed"] == code_result["total"])  # fmt: skip
        if looped:
            where = loops[len(LOOPS_FOUND) :].lstrip(": ")
            bullets.insert(1 + bool(failed), f"• Loops: the question asks for no Python loops "
                           f"over the data, so code with one scores at most {LOOPED_MAX} however "
                           f"many tests pass; {where}.")  # fmt: skip
        # Words the question asks for besides the code, not sent: why passing code is at 75
        unexplained = q.asks_to_explain and f"{EXPLAINED} {NOT_EXPLAINED}:" in grade.feedback
        if unexplained:
            bullets.insert(1 + bool(failed) + bool(ruled) + looped,
                           f"• Not explained: {alone_said(q.asks_to_explain)}.")
        # What cost the code points beside the tests (a walk-through found a lint finding only
        # in the scorecard): the weaker of engineering and readability, when under 5.
        review = sorted((c for k, c in grade.criteria.items()
                         if k in ("engineering", "communication") and c.score < 5
                         and not (looped and LOOPS_FOUND in (c.rationale or ""))
                         # (said by the "Not explained" bullet: walk24 read it twice)
                         and not (unexplained and (c.rationale or "").startswith(
                             NOT_EXPLAINED_RATIONALE))),
                        key=lambda c: c.score)  # fmt: skip
        if review and review[0].rationale:
            why = review[0].rationale.rstrip(".")
            bullets.insert(1 + bool(failed) + bool(ruled) + looped + bool(unexplained),
                           f"• {why[:1].upper()}{why[1:]} ({review[0].score}/5).")
    if not bullets:
        bullets.append(f"• {grade.feedback}")
    return "\n".join([score, *bullets[:MAX_BULLETS]])
