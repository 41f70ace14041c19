"""The interview state machine: intro, asking, awaiting answer, follow-up, feedback, done.

UI-free: the Gradio app, the terminal and the tests drive the same object. Every change to a
turn is written to the store the moment it happens, so a killed process loses nothing.
"""

from __future__ import annotations

import random
import re
import time
from collections import ChainMap
from typing import Literal

from interviewer.bank import Bank, Question
from interviewer.coding.grade import CodeResult, contradicted
from interviewer.coding_answer import code_grade
from interviewer.coding_turns import CodingTurns, split_code
from interviewer.engine import Engine, QuestionRequest, emit, hint_order, question_header
from interviewer.errors import InterviewError
from interviewer.grading.copying import FLAG_SEEN, seen_copy_grade
from interviewer.grading.rubric import FLAG_IDK, FLAG_NOT_ENGLISH, Grade, red_flag_claims
from interviewer.markup import FENCE
from interviewer.models import (
    ANSWERS_APART,
    MAX_ANSWER_CHARS,
    MAX_QUESTIONS,
    FollowUpExchange,
    SessionInfo,
    SessionSettings,
    Turn,
    numbered,
    opens_l2,
    too_long_said,
)
from interviewer.policy import START_DIFFICULTY, group_plan, next_difficulty
from interviewer.probes import (
    CODE_AT_FOLLOW_UP,
    LISTED_ASKED,
    NOT_ENGLISH_ASKED,
    STORY_PROBES,
    asked_again,
    complexity_said,
    explain_probe,
    failed_test_answers,
    failed_test_probe,
    form_probe,
    not_english_code_probe,
)
from interviewer.regrade import (
    corrected_claims,
    described_claims,
    listed_first,
    merge_follow_up,
    told_when_asked,
    with_corrections,
    with_prompted_story,
    without_claims,
    without_red_flags,
)
from interviewer.reply import HINT_PENALTY, Reply, TokenCallback, hint_said
from interviewer.report import (
    Report,
    build_report,
    code_round_said,
    l1_result,
    l2_opening,
)
from interviewer.resume import MOVED_ON, Resuming, stored_print

MAX_HINTS = 2
COMMANDS = ("hint", "repeat", "skip", "end")
Phase = Literal["intro", "awaiting_answer", "follow_up", "done"]

__all__ = ["COMMANDS", "Interview", "InterviewError", "Reply", "split_code"]


# A question whose phrasing took longer than this (a model writing it) is stamped as asked when
# it is shown: a walk-through's timed question read a minute over, the local model's minute.
RESTAMP_AFTER_S = 1.0


# A guess offered with an "I don't know" ("not sure, maybe regularisation")
GUESSED = re.compile(r"\b(maybe|perhaps|probably|possibly|i think|i guess|i'd guess|might)\b", re.I)


class Interview(CodingTurns, Resuming):
    """One mock interview session for round L1, L2 or a full loop (L2 only after passing L1)."""

    def __init__(
        self,
        *,
        round: str = "L1",
        questions: int = 3,
        feedback: str = "each",
        follow_ups: int = 1,
        coding: bool = True,
        real: bool = False,
        engine: Engine,
        bank: Bank,
        store=None,
        user_id: str = "local",
        seed: int | None = None,
        info: SessionInfo | None = None,
    ):
        if round not in ("L1", "L2", "full"):
            raise InterviewError(f"round must be L1, L2 or full, not {round!r}")
        if not 1 <= questions <= MAX_QUESTIONS:
            raise InterviewError(f"questions must be between 1 and {MAX_QUESTIONS}")
        if feedback not in ("each", "end"):
            raise InterviewError("feedback must be 'each' (after every answer) or 'end'")
        if real:  # as in the room: the grades come at the end
            feedback = "end"
        self.engine = engine
        self.store = store
        # The shared bank is read-only; questions this session generates (LLM mode) live in
        # its own map in front of it, so they never leak into other sessions.
        self.generated: dict[str, Question] = {}
        self.bank = ChainMap(self.generated, bank)
        self.rng = random.Random(seed)
        self.info = info or SessionInfo(
            user_id=user_id,
            round=round,
            mode=self.engine.name,
            model=self.engine.model,
            settings=SessionSettings(
                questions=questions,
                feedback=feedback,
                follow_ups=follow_ups,
                seed=seed,
                coding=coding,
                real=real,
            ),
        )
        self.turns: list[Turn] = []
        self.phase: Phase = "intro"
        self.note = ""
        # What the store holds of each turn, as this interview last wrote or read it
        # (``_stored_print``): a step is refused when another tab has moved the session on.
        self._stored: dict[int, tuple] = {}

    # -- settings ----------------------------------------------------------------------------
    @property
    def n_questions(self) -> int:
        """Questions per round."""
        return self.info.settings.questions

    @property
    def feedback_each(self) -> bool:
        """Whether feedback comes after each answer (else only at the end)."""
        return self.info.settings.feedback == "each"

    @property
    def follow_up_budget(self) -> int:
        """Probes per question."""
        return self.info.settings.follow_ups

    @property
    def current(self) -> Turn | None:
        return self.turns[-1] if self.turns and self.turns[-1].status == "pending" else None

    def _open_turn(self) -> Turn:
        """The open question, or a clear refusal when there is none (the step that was to ask
        the next one failed: Skip asks it)."""
        turn = self.current
        if turn is None:
            raise InterviewError("there is no open question: the next one could not be asked. "
                                 "Press Skip to ask it (nothing was recorded)")  # fmt: skip
        return turn

    @property
    def done(self) -> bool:
        return self.phase == "done"

    # -- persistence -------------------------------------------------------------------------
    def _save(self, turn: Turn) -> None:
        self.engine.take_usage().add_to(turn)  # tokens spent phrasing since the last save
        if self.store is not None:
            self._check_not_moved_on()
            self.store.save_turn(self.info.id, turn)
            self._stored[turn.index] = stored_print(turn)

    def _check_not_moved_on(self) -> None:
        """Refuse to write when the stored session is no longer as this interview left it: the
        same session open in two tabs (or browsers, or replicas), one answered, and the other,
        still showing the question, then sent an answer that overwrote it (a walk-through lost
        an answer so, with no word said)."""
        _, stored = self.store.load_session(self.info.id, user_id=self.info.user_id)
        if {t.index: stored_print(t) for t in stored} != self._stored:
            raise InterviewError(MOVED_ON)

    def _save_info(self) -> None:
        self.info.updated_at = time.time()
        if self.store is not None:
            self.store.update_session(self.info)

    # -- flow --------------------------------------------------------------------------------
    def start(self, on_token: TokenCallback | None = None, *, buttons: bool = False) -> Reply:
        """Open the session and ask the first question; ``buttons``: the front end has buttons
        for the commands (the app), which the opening names."""
        if self.phase != "intro":
            raise InterviewError("the interview has already started")
        if self.store is not None:
            self.store.create_session(self.info)
        intro = self.engine.intro(self.info.round, self.n_questions, on_token=on_token,
                                  hints=not self.info.settings.real, buttons=buttons)  # fmt: skip
        reply = self._ask_next(on_token)
        reply.text = f"{intro}\n\n{reply.text}"
        return reply

    def _plan(self) -> list[tuple[str, str]]:
        """(round, group) of every question the session will ask, as far as known now."""
        n, coding = self.n_questions, self.info.settings.coding
        if self.info.round == "full":
            plan = [("L1", g) for g in group_plan("L1", n, coding=coding)]
            return plan + [("L2", g) for g in group_plan("L2", n)]
        return [(self.info.round, g) for g in group_plan(self.info.round, n, coding=coding)]

    def _l1_passed(self) -> bool:
        return l1_result(self.turns)[1]

    def _ask_next(self, on_token: TokenCallback | None = None) -> Reply:
        plan = self._plan()
        index = len(self.turns)
        if index >= len(plan):
            return self._finish(on_token)
        round_name, group = plan[index]
        opening = ""
        if opens_l2(index, round_name, self.per_round):
            if not self._l1_passed():  # (the report says why: its score, or its code)
                self.note = (
                    "L1 was not passed, so the L2 round was not unlocked (as in the real process)."
                )
                return self._finish(on_token)
            opening = emit(l2_opening(self.turns, score=self.feedback_each) + "\n\n", on_token)
        graded = [t for t in self.turns if t.round == round_name]
        difficulty = START_DIFFICULTY
        for t in graded:
            score = 0 if t.status == "skipped" else (t.grade.overall if t.grade else None)
            difficulty = next_difficulty(difficulty, score)
        recent = (self.store.recent_question_ids(user_id=self.info.user_id, besides=self.info.id)
                  if self.store else set())  # fmt: skip
        asked = {t.question_id for t in self.turns}
        question, sources = self.engine.question_for(
            QuestionRequest(
                bank=self.bank,
                round_name=round_name,
                group=group,
                difficulty=difficulty,
                asked=frozenset(asked),
                recent=frozenset(set(recent) - asked),
                topics_used=tuple(t.topic for t in self.turns),
                rng=self.rng,
            )
        )
        if question is None:
            self.note = "The question bank for this round has no more unasked questions."
            return self._finish(on_token)
        if question.id not in self.bank:
            self.generated[question.id] = question
        turn = Turn.of_question(index, question, sources=sources)
        self.turns.append(turn)
        self._save(turn)
        self.phase = "awaiting_answer"
        text = opening + self.engine.ask(
            question, *numbered(index, len(plan), self.per_round), on_token=on_token
        )
        if time.time() - turn.asked_at > RESTAMP_AFTER_S:  # the question's clock starts when
            turn.asked_at = time.time()  # it is shown, not while a model phrased it
            self._save(turn)
        return Reply("question", text, turn=turn)

    def answer(
        self, text: str, on_token: TokenCallback | None = None, delivery: dict | None = None
    ) -> Reply:
        """Take the candidate's answer to the pending question or follow-up.

        On a coding question, a fenced ```python block is the submitted code (the words around
        it are the explanation); words alone are kept as the explanation and the question stays
        open for the code. ``delivery``: how a spoken answer was delivered, kept with the turn.
        """
        if self.phase not in ("awaiting_answer", "follow_up"):
            raise InterviewError("there is no open question to answer")
        text = text if isinstance(text, str) else str(text)
        if any("\ud800" <= ch <= "\udfff" for ch in text):  # bytes that were not UTF-8
            raise InterviewError("the answer holds bytes that are not UTF-8 text (or a lone surrogate); remove them and send it again (nothing was recorded)")  # fmt: skip
        if len(text) > MAX_ANSWER_CHARS:
            raise InterviewError(too_long_said(len(text), "send"))
        stripped = text.strip()
        if stripped.startswith("/") and stripped[1:].lower() in COMMANDS:
            return self.command(stripped[1:].lower(), on_token=on_token)
        if re.fullmatch(r"/[A-Za-z][\w-]*", stripped):  # a mistyped command is no answer
            said = ", ".join(f"/{c}" for c in COMMANDS)
            raise InterviewError(f"{stripped} is not a command (the commands are {said}); "
                                 "nothing was recorded")  # fmt: skip
        turn = self._open_turn()
        if delivery is not None:
            turn.delivery = delivery
        if turn.kind == "coding" and self.phase == "awaiting_answer":
            code, explanation = split_code(text)
            if code is None:
                return self._keep_explanation(turn, text)
            return self.submit_code(code, explanation=explanation, on_token=on_token)
        now = time.time()
        if self.phase == "follow_up":
            turn.follow_ups[-1].answer = text
            turn.answered_at = now
            self._save(turn)  # committed before grading: a crash while grading loses nothing
            turn.grade = merge_follow_up(turn.grade, self._judge(turn, turn.said()))
            # A fix pasted at a coding question's follow-up is kept as typed, not run: a
            # walk-through's terminal fix of the failed test was silently left at 4 of 6.
            code_sent = turn.kind == "coding" and split_code(text)[0] is not None
            return self._close_turn(turn, on_token, note=CODE_AT_FOLLOW_UP if code_sent else "")

        turn.answer = text
        turn.answered_at = now
        self._save(turn)
        turn.grade = self._judge(turn, text)
        self._save(turn)
        return self._probe_or_close(turn, on_token)

    def _probe_or_close(self, turn: Turn, on_token: TokenCallback | None, lead: str = "") -> Reply:
        """A follow-up (said after ``lead``, if any), or the turn closed with its feedback."""
        probe = self._follow_up_for(turn)
        if probe is not None:
            turn.follow_ups.append(probe)
            self._save(turn)
            self.phase = "follow_up"
            if lead:
                emit(lead + "\n\n", on_token)
            said = self.engine.follow_up(probe.question, on_token=on_token)
            if turn.answered_at is not None:  # the clock stops while the interviewer works
                probe.waited = round(max(0.0, time.time() - turn.answered_at), 2)
                self._save(turn)
            return Reply("follow_up", f"{lead}\n\n{said}" if lead else said, turn=turn,
                         grade=turn.grade)  # fmt: skip
        return self._close_turn(turn, on_token)

    def _judge(self, turn: Turn, answer: str) -> Grade:
        question = self.bank[turn.question_id]
        if turn.kind == "coding" and turn.code_result is not None:
            if any(f.question.startswith(NOT_ENGLISH_ASKED) for f in turn.follow_ups):
                answer = turn.said_after()  # asked again in English: what was said before is not
            answer = FENCE.sub(" ", answer).strip()  # code pasted at a follow-up is not words
            spoken, usage = self.engine.judge(question, answer) if answer else (None, None)
            described = described_claims(spoken, failed_test_answers(turn), turn.grade) \
                if spoken is not None else set()  # fmt: skip
            # a diagnosis of the failed test, not a wrong belief: judged without those claims
            # (the words stay: they state the diagnosis)
            asked = without_red_flags(question, described)
            if described:
                spoken, more = self.engine.judge(asked, answer)
                usage = usage + more
            result = CodeResult.model_validate(turn.code_result)
            # A point a failed hidden test checks (claimed of the code or not) is credited as
            # a diagnosis or the fix when the follow-up answers alone state it (with the
            # explanation, the sentence that made a claim can read closer to the point than
            # the diagnosis)
            diagnosis = None
            words = FENCE.sub(" ", turn.said_after()).strip()
            if words and turn.grade and (
                    any(kp.failed_test and not kp.covered for kp in turn.grade.key_points)
                    or contradicted(question.coding, result.failed)):  # fmt: skip
                diagnosis, more = self.engine.judge(asked, words)
                usage = more if usage is None else usage + more
            # (what the code was claimed to do is read from the grade at submission: a fix
            # named in a follow-up answer is no such claim)
            grade = code_grade(question, result, spoken, answer, before=turn.grade,
                               follow_up=diagnosis, after=words)  # fmt: skip
        else:
            before = turn.grade is not None and FLAG_SEEN in turn.grade.flags
            again = asked_again(turn)
            if before or again:  # the answer copied a model answer seen before, or answered
                # another question or none, or listed terms: what follows is graded (a re-walk's
                # second anagram answer to "two sum", at the probe that asked the question
                # again, scored 43 with the first one; a walk-through's off-topic answer on
                # boosting, graded with its follow-up answer, had "GPU kernels are
                # nondeterministic" ticked by it; walk19a's list of terms before its full answer
                # took it from 61 to 50, and its communication read "no list ... found")
                answer = turn.said_after() or answer
            grade, usage = self.engine.judge(question, answer)
            if again == LISTED_ASKED and answer != turn.answer:
                grade = listed_first(grade, turn.answer)
            after = turn.said_after()
            if not before and after and red_flag_claims(grade.flags):
                # A wrong claim the follow-up answers put right is not held against the grade:
                # an interviewer credits a correction made on the probe (a walk-through's
                # "Actually Polars is written in Rust on top of Apache Arrow, ..." scored 6, its
                # point reported missing, as the answer's "Polars is basically a wrapper around
                # pandas" capped both). Graded again without the corrected claims' words.
                alone, more = self.engine.judge(question, after)
                usage = more if usage is None else usage + more
                fixed = corrected_claims(question, grade, turn.answer, alone)
                if fixed:
                    kept = without_claims(turn.answer, fixed)
                    grade, more = self.engine.judge(
                        question, ANSWERS_APART.join(p for p in (kept, after) if p))
                    usage = usage + more
                    grade = with_corrections(grade, fixed)
            if not before and after and told_when_asked(turn.grade, grade):
                grade = with_prompted_story(grade)  # (regrade.told_when_asked)
            grade = seen_copy_grade(grade, answer, question.rubric(), lambda: self._seen(turn),
                                    copied_before=before)  # fmt: skip
        if usage is not None:
            usage.add_to(turn)
        return self._penalise(turn, grade)

    def _seen(self, turn: Turn) -> bool:
        """Whether this candidate has been shown the question's model answer before (a closed
        turn of it in an earlier session or in practice)."""
        return self.store is not None and self.store.question_seen(
            user_id=self.info.user_id, question_id=turn.question_id
        )

    def _penalise(self, turn: Turn, grade: Grade) -> Grade:
        """The grade less the hint penalty of this turn; ``hint_penalty`` records what was
        actually taken off (never more than the score: a 0 stays 0 and claims no "before").
        Idempotent: a grade already penalised is penalised again from its score before."""
        before = grade.overall + grade.hint_penalty
        penalty = min(HINT_PENALTY * len(turn.hints), before)
        if penalty == grade.hint_penalty:
            return grade
        return grade.model_copy(update={"overall": before - penalty, "hint_penalty": penalty})

    def _follow_up_for(self, turn: Turn) -> FollowUpExchange | None:
        """The probe an interviewer would ask now, or None.

        A probe asks about a point the answer missed without stating it: the authored probe
        of the most important missed point that has one (a covered point is never probed), or
        one the LLM writes (never quoting the rubric); none at 85 or more. A coding question's
        probes are, for code that failed hidden tests, the first failed test
        (:func:`failed_test_probe`, at any score), then its
        authored follow-ups (complexity, scale) in order, but for one probing a key point the
        explanation covered.
        """
        if len(turn.follow_ups) >= self.follow_up_budget or turn.grade is None:
            return None
        if not (turn.said().strip() or turn.code):
            return None
        asked = {f.question for f in turn.follow_ups}
        if turn.kind == "coding":
            # A failed hidden test is asked about at any score: a re-walk's K-Means that gave
            # NaN on an empty cluster scored 86 and was never asked about it.
            probe = failed_test_probe(turn.code_result, said=turn.said())
            if probe is not None and probe not in asked:
                return FollowUpExchange(key_point="code", question=probe)
        question = self.bank[turn.question_id]
        if turn.kind == "coding" and question.explain_request and not turn.said().strip():
            # Code sent alone where the question asks for words too: an interviewer asks for
            # them (walk20: precision/recall's "explain the edge cases" was probed on its
            # complexity, and the candidate never heard the words were missing)
            probe = explain_probe(question)
            if probe not in asked:
                return FollowUpExchange(key_point="code", question=probe)
        if turn.kind == "coding" and FLAG_NOT_ENGLISH in turn.grade.flags:
            probe = not_english_code_probe(question)  # (at any score, as the probe above)
            if probe not in asked:
                return FollowUpExchange(key_point="code", question=probe)
        if turn.grade.overall >= 85:
            return None
        if turn.kind != "coding" and FLAG_IDK in turn.grade.flags \
                and not GUESSED.search(turn.said()):  # fmt: skip
            # "I don't know" with no guess is not probed further: an interviewer moves on
            # (walk55's "I haven't worked with Polars or Dask" was asked what Polars is built
            # on next); "not sure, maybe regularisation" is, as a guess to build on
            return None
        covered = {kp.id for kp in turn.grade.key_points if kp.covered}
        if turn.kind == "coding":
            said = turn.said()
            fu = next((f for f in question.coding.follow_ups
                       if f.text not in asked and f.key_point not in covered
                       and not (f.key_point is None and complexity_said(said, f.text))),
                      None)  # fmt: skip
            return None if fu is None else FollowUpExchange(key_point=fu.key_point or "code",
                                                            question=fu.text)  # fmt: skip
        missed = sorted(
            (kp for kp in turn.grade.key_points if kp.id not in covered), key=lambda kp: -kp.weight
        )
        form = form_probe(question, turn.grade.flags)
        if form in STORY_PROBES and form not in asked:
            return FollowUpExchange(key_point=STORY_PROBES[form], question=form)
        if form is not None and form not in asked and missed:
            return FollowUpExchange(key_point=missed[0].id, question=form)
        for kp in missed:
            fu = question.follow_up_for(kp.id)
            if fu is not None and fu.text not in asked:
                return FollowUpExchange(key_point=kp.id, question=fu.text)
        for kp in missed:
            text = self.engine.probe_for(question, kp.point)
            if text:
                return FollowUpExchange(key_point=kp.id, question=text)
        return None

    def _close_turn(self, turn: Turn, on_token: TokenCallback | None, note: str = "") -> Reply:
        """Close ``turn``: its feedback (when given after each answer), after ``note`` (said
        in every feedback mode), then the next question."""
        turn.status = "answered"
        self._save(turn)
        feedback = emit(note, on_token) if note else ""
        if self.feedback_each:
            if feedback:
                emit("\n\n", on_token)
            said = self.engine.feedback(self.bank[turn.question_id], turn.grade, on_token,
                                        code_result=turn.code_result)
            if broke := code_round_said(turn):  # (the report says it too)
                said += emit(f"\n{broke}", on_token)
            feedback = f"{feedback}\n\n{said}" if feedback else said
        if feedback and on_token is not None:
            on_token("\n\n")  # the next question starts a new paragraph
        nxt = self._ask_next(on_token)
        nxt.text = f"{feedback}\n\n{nxt.text}".strip() if feedback else nxt.text
        nxt.feedback = feedback
        nxt.grade = turn.grade if self.feedback_each else None
        nxt.graded_turn = turn
        return nxt

    def command(self, name: str, on_token: TokenCallback | None = None) -> Reply:
        """hint (costs points), repeat, skip or end."""
        name = name.strip().lower().lstrip("/")
        if name not in COMMANDS:
            raise InterviewError(f"unknown command {name!r}; use one of: {', '.join(COMMANDS)}")
        if name == "end":
            if self.done:
                return Reply("report", "", done=True, report=self.report())
            turn = self.current
            if turn is not None:
                turn.commands.append("end")
                # An unanswered pending question stays "pending": listed, never scored. Code
                # submitted from the editor is an answer even with no words beside it.
                if turn.answer is not None or turn.grade is not None:
                    turn.status = "answered"
                self._save(turn)
            return self._finish(on_token)
        turn = self.current
        if turn is None and name == "skip" and self.phase in ("awaiting_answer", "follow_up"):
            return self._ask_next(on_token)  # the step before failed to ask it: ask it now
        turn = self._open_turn()
        turn.commands.append(name)
        if name == "repeat":
            self._save(turn)
            text = self.question_said(turn)
            if self.phase == "follow_up":  # the question the probe is about, then the probe
                # (a walk-through's terminal never showed the question again after a resume)
                text += f"\n\nFollow-up: {turn.follow_ups[-1].question}"
            return Reply("repeat", text, turn=turn)
        if name == "hint":
            if self.info.settings.real:
                turn.commands.pop()  # refused: not part of the transcript
                raise InterviewError("there are no hints in a real interview")
            question = self.bank[turn.question_id]
            hint = None
            if self.phase == "follow_up":  # a hint at the point the follow-up asks about (a
                # walk-through's hint at a complexity probe was about the k-means steps)
                ids = [kp.id for kp in hint_order(question)]
                probed = turn.follow_ups[-1].key_point
                if probed not in ids:
                    turn.commands.pop()  # nothing given, nothing taken
                    about = {"own_part": "what you yourself did",
                             "result": "how your story turned out"}.get(probed, "your own approach")  # fmt: skip
                    return Reply("hint", f"There is no hint for this follow-up: it asks about "
                                 f"{about}. No points were taken.", turn=turn)  # fmt: skip
                hint = self.engine.hint(question, ids.index(probed))
                if hint in turn.hints:
                    turn.commands.pop()
                    return Reply("hint", f"The hint for this follow-up was: {hint} (no more "
                                 "points were taken).", turn=turn)  # fmt: skip
            if len(turn.hints) >= MAX_HINTS:
                self._save(turn)
                return Reply("hint", "No more hints for this question.", turn=turn)
            hint = hint or self.engine.hint(question, len(turn.hints))
            turn.hints.append(hint)
            if turn.grade is not None:  # a hint at a follow-up costs as one before the answer
                turn.grade = self._penalise(turn, turn.grade)
            self._save(turn)
            return Reply("hint", hint_said(hint), turn=turn)
        # skip
        if self.phase == "follow_up":
            return self._close_turn(turn, on_token)
        turn.status = "skipped"
        turn.answered_at = time.time()
        self._save(turn)
        try:
            nxt = self._ask_next(on_token)
        except Exception:
            if self.turns[-1] is turn:  # no next question was asked: not skipped after all,
                # the question stays open and Skip can be pressed again
                turn.status, turn.answered_at = "pending", None
                turn.commands.pop()
                self._save(turn)
            raise
        nxt.text = f"Skipped.\n\n{nxt.text}"
        return nxt

    def _finish(self, on_token: TokenCallback | None = None) -> Reply:
        self.phase = "done"
        report = self.report()
        self.info.status = "finished"
        self.info.summary = report.model_dump()
        self._save_info()
        return Reply("report", "", done=True, report=report)

    def report(self) -> Report:
        """The graded report of the turns so far."""
        return build_report(
            self.turns,
            self.bank,
            note=self.note,
            planned=self.planned,
            timed=self.info.settings.real,
        )

    def header(self, turn: Turn) -> str:
        """``turn``'s place as the chat heads it: "Question N of M (round, topic)"."""
        return question_header(turn.index, self.planned, turn.round, turn.topic, self.per_round)

    def question_said(self, turn: Turn) -> str:
        """``turn``'s question as it was asked: "Question N of M (round, topic): text"."""
        return f"{self.header(turn)}: {turn.question}"

    @property
    def per_round(self) -> int | None:
        """A full loop's questions per round: its questions are numbered within each round."""
        return self.info.per_round

    @property
    def planned(self) -> int:
        """Questions this session means to ask: a full loop whose L1 was not passed ends after
        L1, as the real process does."""
        n = self.n_questions
        if self.info.round != "full":
            return n
        l1 = [t for t in self.turns if t.round == "L1"]
        l1_over = len(l1) >= n and all(t.status != "pending" for t in l1)
        return n if l1_over and not self._l1_passed() else 2 * n
