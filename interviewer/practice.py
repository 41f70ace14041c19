"""Practice answers are kept like interview turns: one practice session per sitting and round,
every graded answer committed when it is graded, so the Transcripts and Progress tabs (and the
weakest-topic drill) see them. UI-free: the Practice tab and the tests drive it."""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from interviewer.bank import TOPICS, Bank, Question
from interviewer.code_checks import code_problem, ungradable
from interviewer.config import Settings
from interviewer.engine import Engine, Usage
from interviewer.errors import SessionNotFound
from interviewer.grading.analysis import prepare_answer
from interviewer.grading.copying import seen_copy_grade
from interviewer.grading.rubric import Grade, Rubric
from interviewer.models import (
    GUIDE_QUESTION_PREFIX,
    MAX_ANSWER_CHARS,
    SessionInfo,
    SessionSettings,
    Turn,
    too_long_said,
)
from interviewer.report import build_report
from interviewer.store import Store

PRACTICE_NOTE = ("Practice: questions drilled one at a time, graded at once; the score and the "
                 "criterion averages count every graded attempt, while the points under strengths "
                 "and gaps read each question's latest attempt.")
WEAKEST = "weakest"  # the topic that drills the user's weakest topics of the round
GUIDE_GROUP = "guide"  # the topic group of questions made from an uploaded guide's sections
MIN_SECTION_WORDS = 15  # a section with fewer words gives no practice question
log = logging.getLogger(__name__)
_rng = random.SystemRandom()


@dataclass(frozen=True)
class SectionQuestion:
    """A practice question made from one section of an uploaded guide, graded against the
    section's own text (the reference-only path: no authored rubric needed)."""

    id: str
    round: str
    topic: str
    difficulty: int
    text: str
    guide_section: str
    model_answer: str  # the section's text: what the answer is graded against
    kind: str = "spoken"
    group: str = GUIDE_GROUP
    guide: str = ""  # the guide's id: its other sections are what an answer may answer instead

    def rubric(self) -> Rubric:
        """Key points derived from the section's text, graded as an interview answer."""
        return Rubric.from_reference(self.text, self.model_answer, question_id=self.id,
                                     interview=True)  # fmt: skip


def section_questions(guide: str, round_name: str, *, settings: Settings) -> list[SectionQuestion]:
    """One practice question per section of a guide that belongs to this round (or to no
    round): the section's own question when it asks one, else a request to explain the section
    as one would to an interviewer."""
    from interviewer import knowledge

    sections: dict[str, list] = {}
    for hit in knowledge.guide_chunks(guide, settings=settings):
        sections.setdefault(hit.section, []).append(hit)
    out = []
    for section, hits in sections.items():
        text = "\n".join(h.text for h in hits).strip()
        if len(text.split()) < MIN_SECTION_WORDS:  # a heading with no body: nothing to grade
            continue
        title = section.split(" > ")[-1]
        asked = [x.strip() for x in re.findall(r"[^.!?\n]*\?", text) if len(x.split()) >= 4]
        question = (
            asked[0]
            if asked
            else f"What does the guide say about “{title}”? Explain it as "
            "you would to an interviewer, with the reasons behind it."
        )
        rounds = Counter(h.round for h in hits)
        if rounds.most_common(1)[0][0] not in (round_name, "general"):
            continue
        digest = hashlib.sha1(f"{guide}\0{round_name}\0{section}".encode()).hexdigest()[:10]
        out.append(
            SectionQuestion(
                id=f"{GUIDE_QUESTION_PREFIX}{digest}",
                round=round_name,
                topic=title[:60],
                difficulty=2,
                text=question,
                guide_section=section,
                model_answer=text,
                guide=guide,
            )
        )
    return out


def judged_section(grader, q: SectionQuestion, answer: str, grade, *, settings: Settings):
    """``grade`` of an answer to a guide section's question, or, when the answer is about
    another section of the guide (``neighbours``), graded as such: a re-walk's early-stopping
    answer to the cross-validation section scored 25, two k-fold points ticked."""
    from interviewer import neighbours

    others = section_questions(q.guide, q.round, settings=settings) if q.guide else []
    return neighbours.checked(grader, q, answer, grade, among=others)


def pick_question(
    bank: Bank,
    round_name: str,
    topic: str,
    weakest: list[str],
    exclude: str | None,
    recent: Collection[str] = frozenset(),
    rng: random.Random | None = None,
) -> tuple[Question | None, str]:
    """A bank question of the round and topic (or of a weak topic), not the one just shown and,
    while the topic has others, none of the ``recent`` ones (asked in the user's last sessions:
    its model answer has been shown); with a note when there was no weak topic to drill yet."""
    pool, note = topic_pool(bank, round_name, topic, weakest)
    fresh = ([q for q in pool if q.id != exclude and q.id not in recent]
             or [q for q in pool if q.id != exclude] or pool)  # fmt: skip
    return ((rng or _rng).choice(fresh) if fresh else None), note


WEAKEST_DRILLED = 5  # the weak topics of a round a "weakest topics" drill draws on


def round_weakest(weak: list[str], round_name: str) -> list[str]:
    """The round's weakest topics (at most ``WEAKEST_DRILLED``) of ``weak``, the user's topics
    below the pass mark, weakest first (the store's ``progress()["weak_topics"]``)."""
    return [t for t in weak if TOPICS.get(t, ("",))[0] == round_name][:WEAKEST_DRILLED]


def topic_pool(bank: Bank, round_name: str, topic: str, weakest: list[str]) -> tuple[list, str]:
    """The bank questions of the round and topic (of the weak topics for ``WEAKEST``, or of any
    topic with a note when there is none yet)."""
    note = ""
    if TOPICS.get(topic, (round_name,))[0] != round_name:
        # a built-in topic of the other round: the round was just changed and the browser sent
        # the topic before its list was reset to this round's (CI: "L2", then at once "New
        # question", asked with an L1 topic, found no question); the round decides
        topic = WEAKEST
    topics = [topic]
    if topic == WEAKEST:
        topics = round_weakest(weakest, round_name)
        if not topics:
            note = f"No weak {round_name} topic yet, so this is a question on any topic."
            topics = [t for t, (rn, _) in TOPICS.items() if rn == round_name]
    return [q for q in bank.values() if q.round == round_name and q.topic in topics], note


@dataclass(frozen=True)
class Graded:
    """A practice answer's grade, its code's graded run (a coding question), and the usage."""

    grade: Grade
    code_result: dict | None
    usage: Usage


ONLY_INSTRUCTIONS = ("your answer reads only as instructions to the grader ({said}), which are "
                     "never followed: answer the question in your own words")


def only_instructions(answer: str) -> str | None:
    """What ``answer`` says to the grader, quoted, when that is all it says (every sentence
    addressed to the grader: ``prepare_answer``); None otherwise."""
    content, injected = prepare_answer(answer)
    if not injected or content:
        return None
    first = injected[0]
    return f'"{first[:80]}…"' if len(first) > 80 else f'"{first}"'


def not_gradable(q: Question | SectionQuestion, answer: str, code: str) -> str | None:
    """Why a practice answer is not graded (nothing is recorded): no words to a spoken question,
    code that cannot run or be graded, an answer of only instructions to the grader, or one over
    MAX_ANSWER_CHARS; None to grade it."""
    if q.kind != "coding" and not (answer or "").strip():
        return "type an answer first"
    if len(answer or "") > MAX_ANSWER_CHARS:
        return too_long_said(len(answer), "grade")
    if q.kind != "coding" and (said := only_instructions(answer)):
        # not an attempt at the question: recorded at 0, walk59's drill read 82 -> 41; the
        # words taken as instructions are quoted, so a real answer misread can be put otherwise
        return ONLY_INSTRUCTIONS.format(said=said)
    if q.kind == "coding" and (problem := code_problem(code)
                               or ungradable(code, q.coding.starter, q.coding.entry_point)):  # fmt: skip
        return problem
    return None


def grade_answer(
    engine: Engine,
    q: Question | SectionQuestion,
    answer: str,
    code: str = "",
    *,
    settings: Settings,
    seen: Callable[[], bool] = lambda: False,
) -> Graded:
    """Grade one practice answer: code on its hidden tests, with the words sent beside it as its
    explanation; words by ``engine``. An uploaded guide's section is graded against its text
    and read for an answer to another of its sections; a paste of the model answer (or guide
    text) the candidate was shown before (``seen``) scores only its own words."""
    if q.kind == "coding":
        grade, ran, usage = engine.judge_code(q, code, answer or None)
        return Graded(grade, ran.model_dump(mode="json"), usage)
    grade, usage = engine.judge(q, answer)
    guide = q.group == GUIDE_GROUP
    if guide:  # about another of the guide's sections?
        grade = judged_section(engine.grader, q, answer, grade, settings=settings)
    # Its model answer, once graded, is on screen: a paste of it shows nothing.
    grade = seen_copy_grade(grade, answer, q.rubric(), seen,
                            source="guide text" if guide else "model answer")  # fmt: skip
    return Graded(grade, None, usage)


def question_guide(question: Question | SectionQuestion) -> str:
    """The guide a practice question comes from: an uploaded guide's id for a section's
    question, the built-in guide's for the bank's."""
    from interviewer.knowledge import BUILTIN_GUIDE_ID

    return getattr(question, "guide", "") or BUILTIN_GUIDE_ID


GUIDES_APART = " + "


def with_guide(guides: str, guide: str) -> str:
    """A practice sitting's guides with ``guide`` too ("a + b" for a sitting drawing on two;
    walk33's sitting on an uploaded guide was headed with the built-in guide's id)."""
    named = guides.split(GUIDES_APART) if guides else []
    if guide in named:
        return guides
    joined = GUIDES_APART.join([*named, guide])
    return joined if len(joined) <= GUIDE_FIELD_MAX else guides


GUIDE_FIELD_MAX = 255  # the sessions table's guide column


def record_answer(
    store: Store,
    *,
    user_id: str,
    question: Question | SectionQuestion,
    answer: str,
    grade: Grade,
    engine: Engine,
    usage: Usage | None = None,
    session_id: str | None = None,
    code: str | None = None,
    code_result: dict | None = None,
    bank: Bank | None = None,
) -> str:
    """Commit one graded practice answer and return the id of its practice session.

    The answer joins ``session_id`` when that is this user's practice session of the same round
    and grader; otherwise a new practice session starts. The answer is committed first; the
    session's summary (a report of its answers so far, without a hire signal: a drill is not an
    interview) is rewritten after it, and a failure there only leaves the summary one answer
    behind. Raises what the store raises when the answer itself cannot be committed.
    ``bank``: the questions' bank, for the summary's gaps (a wrong claim's correction).
    """
    info, turns = None, []
    if session_id:
        try:
            info, turns = store.load_session(session_id, user_id=user_id)
        except SessionNotFound:  # deleted meanwhile: start afresh
            info = None
        if info is not None and not (
            info.settings.practice and info.round == question.round and info.mode == engine.name
        ):
            info, turns = None, []
    guide = question_guide(question)
    if info is None:
        info = store.create_session(
            SessionInfo(
                user_id=user_id,
                round=question.round,
                mode=engine.name,
                model=engine.model,
                guide=guide,
                settings=SessionSettings(practice=True),
                status="finished",
            )
        )
    else:  # (saved with the summary below)
        info.guide = with_guide(info.guide, guide)
    usage = usage or Usage()
    now = time.time()
    turn = Turn.of_question(
        len(turns),
        question,
        answer=answer,
        code=code,
        code_at=None if code is None else now,
        code_result=code_result,
        status="answered",
        grade=grade,
        asked_at=now,
        answered_at=now,
        tokens_in=usage.tokens_in,
        tokens_out=usage.tokens_out,
        cost_usd=usage.cost_usd,
    )
    store.save_turn(info.id, turn)
    # Scores count every attempt, as the sessions list and Progress do. What was strong and
    # what to work on read each question's latest attempt: an earlier miss the candidate has
    # since made is no gap (a walk-through's summary listed a point as strength and gap).
    # The criterion means, in the table and under Strengths alike, count every attempt (a
    # walk-through's table read 4.5 beside "4.0/5 on average" from the latest attempt alone).
    every = [*turns, turn]
    latest = list({t.question_id: t for t in every}.values())
    # (the bank gives a wrong claim's correction to the gaps: a re-walk's read the claim alone)
    summary = build_report(every, bank=bank, note=PRACTICE_NOTE, points_from=latest).model_dump()
    info.summary = {k: v for k, v in summary.items() if k not in ("signal", "passed")}
    try:
        store.update_session(info)
    except (SQLAlchemyError, SessionNotFound) as exc:  # derived data: rebuilt by the next answer
        log.warning("practice session %s: summary not updated (%s)", info.id, exc)
    return info.id
