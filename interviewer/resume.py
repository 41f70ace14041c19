"""Picking a stored interview up where it stopped, and telling when another tab or window has
moved it on since this one last saw it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from interviewer.models import Turn, opens_l2
from interviewer.policy import time_budget
from interviewer.probes import code_ran_said
from interviewer.regrade import merge_follow_up
from interviewer.reply import Reply, hint_said
from interviewer.report import l2_opening

if TYPE_CHECKING:
    from interviewer.bank import Bank
    from interviewer.engine import Engine
    from interviewer.interview import Interview

MOVED_ON = ("this interview has moved on in another tab or window, so this was not recorded: "
            "press Resume (or reload the page) to continue it from where it is now")


def stored_print(turn: Turn) -> tuple:
    """What a step of the interview changes in a stored turn: its question and status, whether
    it was answered, its follow-ups asked and answered, its hints, whether code was sent."""
    return (turn.question_id, turn.status, bool(turn.answer), len(turn.follow_ups),
            sum(bool(f.answer) for f in turn.follow_ups), len(turn.hints), turn.code is not None)


class Resuming:
    """How an ``Interview`` resumes from the store (a mixin: it uses the interview's flow)."""

    @classmethod
    def resume(
        cls,
        store,
        session_id: str,
        *,
        user_id: str = "local",
        engine: Engine,
        bank: Bank,
    ) -> tuple[Interview, Reply]:
        """Pick a stored session up where it stopped, as if it had never stopped.

        What the candidate sent before a crash is never asked for again: an answer committed
        but not graded is graded now, and a follow-up answer not yet merged is merged; then the
        flow goes on (a probe, feedback, the next question). Only a question (or probe) that
        was never answered is asked again.
        """
        info, turns = store.load_session(session_id, user_id=user_id)
        s = info.settings
        self = cls(
            round=info.round,
            questions=s.questions,
            feedback=s.feedback,
            follow_ups=s.follow_ups,
            coding=s.coding,
            real=s.real,
            engine=engine,
            store=store,
            user_id=info.user_id,
            seed=s.seed,
            bank=bank,
            info=info,
        )
        self.turns = turns
        self._stored = {t.index: stored_print(t) for t in turns}
        for t in turns:  # generated questions are not in the bank: rebuild them from the turn
            if t.question_id not in self.bank:
                q = self.engine.restore_question(t)
                if q is not None:
                    self.generated[q.id] = q
        if info.status == "finished":
            self.phase = "done"
            return self, Reply("report", "", done=True, report=self.report())
        turn = self.current
        if turn is None:
            self.phase = "awaiting_answer"
            reply = self._ask_next()
            reply.text = "Welcome back. " + reply.text
            return self, reply
        settled = self._settle_pending(turn)
        if settled is not None:
            settled.text = "Welcome back. " + settled.text
            return self, settled
        self._count_a_long_absence_as_the_budget(turn)
        if turn.follow_ups and turn.follow_ups[-1].answer is None and turn.grade is not None:
            self.phase = "follow_up"  # (its hints are in the chat, with the answer before it)
            # The first follow-up on submitted code begins with how it ran, as it did live (the
            # rebuilt chat leaves the open follow-up out: a re-walk's resumed chat lost the line)
            ran = turn.code is not None and turn.code_result is not None
            lead = f"{code_ran_said(turn.code_result)}\n\n" if ran and len(turn.follow_ups) == 1 else ""
            return self, Reply(
                "follow_up", f"Welcome back. {lead}Follow-up: {turn.follow_ups[-1].question}",
                turn=turn,
            )
        # The hints already taken on the open question are said again with it (the chat leaves
        # the open question out): they were paid for (a re-walk saw none after a Resume, took
        # another, and paid twice).
        hints = "".join(f"\n\n{hint_said(h)}" for h in turn.hints)
        self.phase = "awaiting_answer"
        opening = (l2_opening(self.turns, score=self.feedback_each) + "\n\n"
                   if opens_l2(turn.index, turn.round, self.per_round) else "")  # fmt: skip
        return self, Reply(
            "question",
            f"Welcome back. {opening}{self.question_said(turn)}{hints}",
            turn=turn,
        )

    def _count_a_long_absence_as_the_budget(self, turn: Turn) -> None:
        """Leaving does not stop the open question's clock (a reload gives no time back), but a
        long absence counts only as the question's whole budget: it is over time either way,
        and its time should not read as hours."""
        q = self.bank.get(turn.question_id)
        budget = time_budget(q.group if q is not None else "")
        away = time.time() - self.info.updated_at
        if away > budget:
            turn.asked_at += away - budget
            self._save(turn)

    def _settle_pending(self, turn: Turn) -> Reply | None:
        """Finish what a crash interrupted on the open turn (see ``resume``); None when the
        turn waits for the candidate."""
        if turn.follow_ups and turn.follow_ups[-1].answer is not None:
            # The follow-up answer was committed; the merged grade and the close never were.
            self.phase = "follow_up"
            turn.grade = merge_follow_up(turn.grade, self._judge(turn, turn.said()))
            return self._close_turn(turn, None)
        if turn.grade is not None:
            if turn.follow_ups:  # a probe is open: the candidate answers it
                return None
            # Graded; the crash came before the probe or the close was committed.
            self.phase = "awaiting_answer"
            return self._probe_or_close(turn, None)
        if turn.kind == "coding":
            if turn.code and turn.answered_at is not None:  # submitted, never graded
                self.phase = "awaiting_answer"
                return self.submit_code(turn.code)
            return None
        if turn.answer is not None:  # committed, never graded
            self.phase = "awaiting_answer"
            turn.grade = self._judge(turn, turn.answer)
            self._save(turn)
            return self._probe_or_close(turn, None)
        return None
