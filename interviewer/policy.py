"""Round policy: which group, topic and difficulty the next question comes from."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from interviewer.bank import Question

if TYPE_CHECKING:
    from interviewer.engine import QuestionRequest

# L1 mixes ML fundamentals with Python/data work and a question answered in code (which decides
# the round: report.code_broke); L2 takes scenario/architecture/MLOps plus exactly one
# behavioural question (asked second to last, as real loops close on it).
ROUND_GROUPS = {
    "L1": ["ml-fundamentals", "coding", "python-data"],
    "L2": ["system-design", "mlops"],
}
START_DIFFICULTY = 2
# Seconds a real interview gives one question, by topic group: about 3-4 minutes for an L1
# concept question, 8-10 for an L2 design question, longer for code that must run.
TIME_BUDGETS = {
    "ml-fundamentals": 210,
    "python-data": 210,
    "coding": 900,
    "system-design": 540,
    "mlops": 360,
    "behavioural": 300,
}


def time_budget(group: str) -> int:
    """Seconds a real interview gives a question of this topic group."""
    return TIME_BUDGETS.get(group, 300)


def group_plan(round_name: str, n: int, *, coding: bool = True) -> list[str]:
    """The topic group of each of the ``n`` questions of a round: the groups in turn, with one
    coding question in L1, second, as the setup promises (``coding=False`` leaves it out);
    more questions add concept questions, not a second coding exercise."""
    groups = [g for g in ROUND_GROUPS[round_name] if g != "coding"]
    plan = [groups[i % len(groups)] for i in range(n)]
    if coding and "coding" in ROUND_GROUPS[round_name] and n >= 2:
        plan = [plan[0], "coding", *plan[1 : n - 1]]
    if round_name == "L2" and n >= 2:
        plan[max(0, n - 2)] = "behavioural"
    return plan


def next_difficulty(current: int, last_overall: int | None) -> int:
    """Adapt to performance: up after a strong answer, down after a weak one."""
    if last_overall is None:
        return current
    if last_overall >= 75:
        return min(3, current + 1)
    if last_overall < 45:
        return max(1, current - 1)
    return current


# A question's subject terms: the acronyms and other words written with two capitals or more
# ("ROC-AUC", "SMOTE", "LSTMs") that at most SUBJECT_DF question texts of the round name (a
# tool such as NumPy, in seven, names no subject). A question sharing one with a question already
# asked comes after the others: a walk-through's L1 asked what ROC-AUC measures, then how to
# compute it from scratch. A prior, read off the bank's texts, not fitted.
SUBJECT_TERM = re.compile(r"\b[A-Za-z]*[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)*\b")
SUBJECT_DF = 3


def _subject(term: str) -> str:
    """A subject term as one subject: lower case, without "-based"/"-like" or a plural "s"
    ("RAG-based" is RAG, "LSTMs" is LSTM)."""
    term = re.sub(r"-(?:based|like)$", "", term)
    if term.endswith("s") and term[-2:-1].isupper():
        term = term[:-1]
    return term.lower()


def subject_terms(questions: Iterable[Question]) -> Mapping[str, frozenset[str]]:
    """Each question's subject terms (lower case), among ``questions`` (one round's)."""
    return _subject_terms(tuple((q.id, q.text) for q in questions))


# Keyed by the questions' ids and texts, not by the bank object: an interview's bank is a
# ChainMap its generated questions join, so the same object can hold other questions later.
@lru_cache(maxsize=16)
def _subject_terms(texts: tuple[tuple[str, str], ...]) -> Mapping[str, frozenset[str]]:
    """``subject_terms`` of (id, text) pairs, read once per set of questions (every question
    choice asks for its round's; the result is read-only, as it is shared)."""
    terms = {qid: frozenset(_subject(t) for t in SUBJECT_TERM.findall(text)) for qid, text in texts}
    df = Counter(t for ts in terms.values() for t in ts)
    return MappingProxyType(
        {qid: frozenset(t for t in ts if df[t] <= SUBJECT_DF) for qid, ts in terms.items()}
    )


def pick_question(request: QuestionRequest) -> Question | None:
    """The best unasked question of the group: not seen recently, a fresh topic and a fresh
    subject first, then the difficulty closest to the target. None when the round's bank is
    exhausted."""
    r = request
    pool = [q for q in r.bank.values() if q.round == r.round_name and q.id not in r.asked]
    if r.group != "coding":  # a coding question is only asked in a coding slot
        pool = [q for q in pool if q.kind != "coding"]
    if not pool:
        return None
    in_group = [q for q in pool if q.group == r.group] or pool
    subjects = subject_terms([q for q in r.bank.values() if q.round == r.round_name])
    asked_subjects = frozenset().union(*(subjects.get(qid, frozenset()) for qid in r.asked))

    def rank(q: Question):
        return (
            q.id in r.recent,  # not asked in the user's recent sessions, where the bank allows
            # the behavioural slot asks for the candidate's own story first ("Tell me about a
            # time ..."): two walk-through sessions both got a fairness scenario there, and a
            # candidate never told a story in an interview
            r.group == "behavioural" and not q.asks_for_story,
            q.topic in r.topics_used,  # a topic not yet covered in this session
            bool(subjects[q.id] & asked_subjects),  # nor a subject (SUBJECT_TERM)
            abs(q.difficulty - r.difficulty),
            r.rng.random(),
        )

    return min(in_group, key=rank)
