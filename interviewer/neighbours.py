"""An answer to another question of the bank.

The grader reads one question's rubric, so a strong answer to a neighbouring question of the
same topic shares its vocabulary and gets its points ticked from sentences that say something
else: the model answer of "group anagrams" scored 60 on "two sum" with all six points ticked
(the anagram answer's "The key must be hashable" as "Make a single pass with a dictionary ..."),
and 32 of the 230 same-topic pairs of the bank's spoken model answers scored 60 or more on the
other question (6 with this check: questions that overlap, and stories). An interviewer hears which question was answered: an answer that a few other bank
questions' rubrics (the nearest by the answer's similarity to their text) grade as answering, far
above this one, answers that question instead. It scores 0 and ticks no point, as an off-topic
answer does, and the feedback names the question it answers.

Measured on the authored dev split (``tests/test_neighbours.py`` checks the first two):
none of its 231 answers fires (the ten styles and the candidate stories), nor any bank model
answer on its own question; of its answers graded against another question of the same topic,
57 of the 64 expert ones fire (59 before the story head; the rest are questions that overlap,
such as RAG design and RAG debugging, or a strong story graded on another story question), and
none of the 64 partial ones (they score at most 50 there).

Practice on an uploaded guide checks the guide's other sections the same way
(``practice.judged_section``): a re-walk's early-stopping answer to the cross-validation section
scored 25 with two k-fold points ticked. Measured as such a guide is graded (each dev question's
model answer as a section, the other questions of its topic as the other sections): none of the
189 dev answers to their own question fires, and all 64 expert answers graded on another
question's section do.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from interviewer.bank import Question, default_bank
from interviewer.grading import rubric as rb
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import CRITERIA, CriterionScore, Grade
from interviewer.markup import shorten

# Priors, not fitted (the dev figures above read them, no test figure): the other question's
# grade passes (it answers that question), and beats this one's by as much as a hint-free
# "partially correct" is from a pass (30 points); the nearest 3 other questions are graded.
OTHER_FIT = rb.PASS_MARK
OTHER_GAP = 30
CANDIDATES = 3
# Grades that say there is no answer to compare (empty, "I don't know", gibberish, only
# instructions to the grader): nothing was said that answers anything.
NON_ANSWERS = (rb.FLAG_NO_ANSWER, rb.FLAG_IDK, rb.FLAG_GIBBERISH, rb.FLAG_ONLY_INJECTION,
               rb.FLAG_NOT_ENGLISH)


def _spoken(q: Question) -> bool:
    return q.coding is None


@lru_cache(maxsize=4)
def question_vectors(grader: OfflineGrader) -> tuple[tuple[str, ...], np.ndarray]:
    """(ids, unit vectors of their texts) of the built-in bank's spoken questions."""
    qs = [q for q in default_bank().values() if _spoken(q)]
    E = grader.encodings([q.text for q in qs])
    return tuple(q.id for q in qs), np.stack([E[q.text].vec for q in qs])


def candidates(grader: OfflineGrader, q, doc: np.ndarray, among=None) -> list:
    """The ``CANDIDATES`` questions nearest to an answer (``doc``: its unit vector) by
    similarity to their text, other than ``q``: of ``among``, or of the built-in bank's spoken
    questions, and for a story question every other story question."""
    extra = []
    if among is None:
        ids, V = question_vectors(grader)
        bank = default_bank()
        pool = [bank[i] for i in ids]
        if q.asks_for_story:  # another story is told in other words than its question's
            # (a re-walk's push-back story to "explain a model's failure": 46 there, 83 on its own)
            extra = [o for o in pool if o.asks_for_story and o.id != q.id]
    else:
        pool = [o for o in among if o.id != q.id]
        if not pool:
            return []
        E = grader.encodings([o.text for o in pool])
        V = np.stack([E[o.text].vec for o in pool])
    order = np.argsort(-(V @ doc), kind="stable")
    near = [pool[i] for i in order if pool[i].id != q.id][:CANDIDATES]
    return near + [o for o in extra if o not in near]


def other_question(grader: OfflineGrader, q, answer: str, grade: Grade,
                   among=None) -> tuple[object, Grade] | None:  # fmt: skip
    """The question ``answer`` answers instead of ``q`` (graded ``grade``), with its grade
    there, or None: another of ``among`` (an uploaded guide's section questions), or without it
    another spoken question of the built-in bank (``q`` must be one). Only a grade the other
    could beat by ``OTHER_GAP`` is checked."""
    if among is None:
        bank = default_bank()
        if bank.get(q.id) is not q or not _spoken(q):
            return None
    if grade.overall > 100 - OTHER_GAP:
        return None
    if getattr(q, "asks_for_story", False) and grade.overall >= rb.PASS_MARK:
        # a story that passes the question asked answers it: story rubrics share half their
        # points (numbers, what changed), and the story head grades a good story well on most
        # of them (an authored project story labelled 4, at 62 on "walk me through a project",
        # was read as one to "justify a complex model", at 96)
        return None
    if any(f in NON_ANSWERS for f in grade.flags):
        return None
    if any(rb.is_red_flag(f) for f in grade.flags):
        # its grade is held down by the wrong claim it states, which another question's rubric
        # may not list: four candidate stories labelled 1 for their poor judgement were each
        # taken for another story question, where nothing named the claim wrong
        return None
    [(_, _, a)] = grader.analyse_many([(q.rubric(), answer)], with_clauses=False)
    if a.floor:
        return None
    others = candidates(grader, q, a.doc_vec, among)
    graded = grader.grade_many([(o.rubric(), answer) for o in others])
    best = max(range(len(others)), key=lambda i: graded[i].overall, default=None)
    if best is None:
        return None
    there = graded[best]
    if there.overall >= OTHER_FIT and there.overall - grade.overall >= OTHER_GAP:
        return others[best], there
    return None


def named(q) -> str:
    """A question as the feedback names it: a guide section's title, a bank question's text."""
    section = getattr(q, "guide_section", "") if getattr(q, "guide", "") else ""
    return section.split(" > ")[-1] if section else shorten(q.text, 140)


def as_other_question(q, grade: Grade, other) -> Grade:
    """``grade`` of an answer to ``other`` given to ``q``: 0 as an off-topic answer is, no point
    ticked, the criteria at 1, and feedback naming the question (or guide section) it answers."""
    said = named(other)
    why = f"{rb.FLAG_OTHER_QUESTION}{said}"
    points = [kp.model_copy(update={"covered": False, "evidence": ""}) for kp in grade.key_points]
    section = bool(getattr(other, "guide", ""))
    reason = f"about another section of the guide: {said}" if section else why
    return grade.model_copy(update={
        "overall": 0,
        "key_points": points,
        "criteria": {c: CriterionScore(score=1, rationale=reason) for c in CRITERIA},
        "flags": [*grade.flags, why],
        "wrong_said": {},
        "feedback": (f"Incorrect. This is about another section of the guide, \u201c{said}\u201d, "
                     f"not the one asked, \u201c{named(q)}\u201d." if section
                     else f"Incorrect. This answers another question, \u201c{said}\u201d, not the "
                     f"one asked; address what was asked: {named(q)}"),
    })  # fmt: skip


def checked(grader: OfflineGrader, q, answer: str, grade: Grade, among=None) -> Grade:
    """``grade``, or :func:`as_other_question` when the answer answers another question (of
    ``among``, or of the built-in bank)."""
    found = other_question(grader, q, answer, grade, among)
    return grade if found is None else as_other_question(q, grade, found[0])
