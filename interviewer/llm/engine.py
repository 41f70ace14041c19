"""The LLM engine: grounded question generation, streamed phrasing, and a judge cross-checked
by the offline grader. Every LLM failure falls back to the offline engine; the interview never
stops because of the model."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from pathlib import Path

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import ValidationError

from interviewer import tokens
from interviewer.bank import TOPICS, FollowUp, KeyPoint, Question, topic_label
from interviewer.chat_feedback import feedback_text
from interviewer.coding.grade import CodeResult
from interviewer.coding_answer import code_grade
from interviewer.config import Settings
from interviewer.engine import (
    CodeRunner,
    OfflineEngine,
    QuestionRequest,
    TokenCallback,
    Usage,
    commands_line,
    emit,
    question_header,
)
from interviewer.errors import LLMBadOutput, LLMError, LLMUnavailable, UnusableQuestion
from interviewer.grading import rubric as rb
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import Grade
from interviewer.llm import prompts
from interviewer.llm.checks import advises, asks, is_probe, opens, rubric_problem
from interviewer.llm.client import (
    UsageMeter,
    chat_model,
    count_message,
    invoke_structured,
    join_lines,
    stream_text,
    structured_method,
)
from interviewer.llm.judge import combine_judgement, combine_review
from interviewer.llm.schemas import CodeReviewOutput, GeneratedQuestion, JudgeOutput
from interviewer.markup import ProseStream, plain_prose
from interviewer.models import ROUNDS, Turn

log = logging.getLogger(__name__)

MAX_REPLY_WORDS = 120

GROUP_QUERIES = {
    "ml-fundamentals": "machine learning fundamentals, evaluation metrics, overfitting, "
    "regularization, gradient boosting, transformers, transfer learning",
    "python-data": "Python, Pandas and NumPy data manipulation, coding, memory, data structures",
    "system-design": "real-time system design, pipeline design, scalability, latency, serving",
    "mlops": "MLOps, model versioning, CI/CD for ML, data drift, monitoring, debugging",
    "behavioural": "explaining to stakeholders, communication, past projects, fairness",
}


# What the candidate is told when a model's text is not used, in plain words (after "The model
# fell short here, so the offline interviewer stepped in: "); why goes to the log (walk22 read
# "its question was not usable: a key point restates the question or another key point").
OPENING_NOT_USED = "its opening was not usable, so the usual one is shown"
QUESTION_NOT_USED = "its question was not usable, so this one is from the question bank"
PROBE_NOT_USED = "its follow-up question was not usable, so none was asked"
ADVICE_NOT_USED = "its advice on your answer was not usable, so it is not shown"


class LLMEngine:
    """Same interface as OfflineEngine; the chat model and the judge may be different models."""

    name = "llm"

    def __init__(
        self,
        settings: Settings,
        *,
        grader: OfflineGrader,
        code_runner: CodeRunner | None = None,
        chat=None,
        judge=None,
        guide: str | None = None,
    ):
        self.settings = settings
        self.name = "local" if settings.mode == "local" else "llm"
        self.model = settings.chat_model
        self.judge_model_name = settings.judge_model or settings.chat_model
        self.chat = chat or chat_model(settings)
        self.judge_llm = judge or chat_model(settings, model=self.judge_model_name, temperature=0.0)
        self.offline = OfflineEngine(grader, code_runner or CodeRunner.from_settings(settings))
        # The sandbox runs code as offline (a Run the examples in LLM mode failed without it)
        self.code_runner = self.offline.code_runner
        self.method = structured_method(settings)
        self.guide = guide
        self.usage = UsageMeter(self.model)
        self.judge_usage = UsageMeter(self.judge_model_name)
        self._notes: list[str] = []  # see ``last_error``
        self._cache_path = Path(settings.data_dir) / "question_cache.json"
        self._lock = threading.Lock()
        self.prompt_tokens: list[int] = []  # size of every prompt sent (checked against budget)

    @property
    def last_error(self) -> str | None:
        """What the model fell short at since the notes were last taken, each once ("; "
        between them), or None. Setting it adds a note (None clears them): one step can meet
        several (rejected advice, then an unusable next question), and a walk-through saw the
        second replace the first."""
        return "; ".join(self._notes) or None

    @last_error.setter
    def last_error(self, note: str | None) -> None:
        if note is None:
            self._notes.clear()
        elif note not in self._notes:
            self._notes.append(note)

    # -- helpers -----------------------------------------------------------------------------
    def _persona(self, round_name: str) -> str:
        name = "interviewer_L2" if round_name == "L2" else "interviewer_L1"
        return prompts.render(name, max_words=MAX_REPLY_WORDS)

    def _messages(self, system: str, user: str) -> list:
        """System + user messages cut to the token budget (the user part gives way first)."""
        budget = self.settings.token_budget
        system = tokens.truncate(system, max(200, budget * 2 // 3))
        room = budget - tokens.count(system) - 16
        msgs = [SystemMessage(system), HumanMessage(tokens.truncate(user, max(50, room)))]
        self.prompt_tokens.append(sum(count_message(m) for m in msgs))
        return msgs

    def _say(self, round_name: str, user: str, fallback: str, on_token: TokenCallback) -> str:
        """What the model says, as plain text (``plain_prose``: its Markdown is shown escaped,
        so ``**Question 2**`` would read with its stars), streamed as it arrives."""
        msgs = self._messages(self._persona(round_name), user)
        prose = ProseStream()

        def relay(piece: str) -> None:
            if on_token is not None and (shown := prose.feed(piece)):
                on_token(shown)

        text, final, err = stream_text(self.chat, msgs, relay)
        self.usage.add(msgs, final if final is not None else text)
        if err is not None:
            self.last_error = self._failed(err)
        said = plain_prose(text).strip()
        if said:  # a cut stream keeps what arrived
            if on_token is not None and (rest := prose.rest(said)):
                on_token(rest)
            return said
        return emit(fallback, on_token)

    def _failed(self, err: Exception) -> str:
        """An LLM failure as the status line says it: a local server that does not answer is
        named (a walk-through killed it and was told only that "the endpoint" could not be
        reached)."""
        if isinstance(err, LLMUnavailable) and self.name == "local":
            from interviewer.llm import local

            port = self.settings.local_port
            if local.own_server(port) is not None or not local.port_free(port):
                # still there, working on an earlier request: not stopped (walk22's step came
                # back after 326 s asking whether the server that was busy had stopped)
                return f"{local.BUSY_NOW}, so it did not answer in time"
            log_path = Path(self.settings.data_dir) / "local-model.log"
            return (f"the local model server is not answering (has it stopped? its log: "
                    f"{log_path}); a new interview starts it again")  # fmt: skip
        return str(err)

    def take_usage(self) -> Usage:
        """Tokens both models spent since the last take."""
        return self.usage.take() + self.judge_usage.take()

    # -- engine interface --------------------------------------------------------------------
    def intro(
        self, round_name: str, n: int, on_token: TokenCallback = None, *, hints: bool = True,
        buttons: bool = False,
    ) -> str:  # fmt: skip
        """The interviewer's opening, phrased by the model (the offline words if it fails or
        writes no interviewer's opening: ``opens``), checked before it is shown; the commands
        are added when the model left any out (a walk-through's small
        model named none of them, so the candidate never learnt /hint or /skip)."""
        fallback = self.offline.intro(round_name, n, hints=hints, buttons=buttons)
        commands = commands_line(hints, buttons)
        user = prompts.render("intro", round_description=ROUNDS[round_name].description, count=n,
                              commands=commands)  # fmt: skip
        before = self.last_error
        said = self._say("L1" if round_name == "full" else round_name, user, "", None)
        if not opens(said):
            if said and self.last_error == before:  # a cut stream's cause is said, not this
                log.info("the model's opening was not an interviewer's: %r", said)
                self.last_error = OPENING_NOT_USED
            said = fallback
        emit(said, on_token)
        if any(c not in said for c in re.findall(r"/\w+", commands)):
            said += emit(f"\n\nCommands: {commands}.", on_token)
        return said

    def question_for(self, request: QuestionRequest) -> tuple[Question | None, list[str]]:
        """A question generated from guide passages; a bank question when generation fails,
        and always for a coding slot (a coding question's hidden tests are authored)."""
        if request.group not in GROUP_QUERIES:
            return self.offline.question_for(request)
        try:
            return self._generate(request)
        except (LLMError, ValidationError, ValueError) as exc:
            # a pydantic ValidationError is a ValueError too, but its text is a page long
            why = "its fields did not validate" if isinstance(exc, ValidationError) else str(exc)
            log.info("the model's question was not usable: %s", why)
            self.last_error = QUESTION_NOT_USED
        return self.offline.question_for(request)

    def _retrieve(self, round_name: str, group: str, rng):
        from interviewer import knowledge

        query = GROUP_QUERIES[group]
        hits = knowledge.search(
            query, k=6, round=round_name, guide=self.guide, settings=self.settings
        )
        if not hits:  # a user guide may have no round-tagged sections
            hits = knowledge.search(query, k=6, guide=self.guide, settings=self.settings)
        if not hits:
            raise ValueError("no guide passages to ground a question in")
        rng.shuffle(hits)
        return hits[:3]

    def _generate(self, request: QuestionRequest) -> tuple[Question, list[str]]:
        round_name, group, difficulty = request.round_name, request.group, request.difficulty
        asked, bank = request.asked, request.bank
        hits = self._retrieve(round_name, group, request.rng)
        key = hashlib.sha256(
            json.dumps(
                [
                    self.guide,
                    round_name,
                    group,
                    difficulty,
                    sorted(h.id for h in hits),
                    prompts.load("generate_question").version,
                    self.model,
                ]
            ).encode()
        ).hexdigest()[:16]
        cached = self._cache_get(key)
        if cached is not None and cached.id not in asked:
            return cached, [h.id for h in hits]
        topics = [t for t, (r, g) in TOPICS.items() if r == round_name and g == group]
        asked_texts = [bank[a].text for a in asked if a in bank][-5:]
        budget_passages = tokens.fit(
            [f"[{h.section}]\n{h.text}" for h in hits],
            self.settings.token_budget // 2,
            keep_last=False,
        )
        system = prompts.render(
            "generate_question",
            round=round_name,
            round_description=ROUNDS[round_name].description,
            group=group,
            difficulty=difficulty,
            topics=", ".join(topics),
            asked=join_lines(asked_texts),
            passages="\n\n".join(budget_passages),
        )
        msgs = self._messages(system, "Write the question now.")
        out, _ = invoke_structured(
            self.chat, GeneratedQuestion, msgs, method=self.method, usage=self.usage
        )
        if problem := rubric_problem(out):
            raise UnusableQuestion(problem)
        topic = out.topic if out.topic in topics else topics[0]
        kps = [
            KeyPoint(
                id=f"kp{i + 1}",
                point=k.point,
                weight=k.weight,
                criterion=k.criterion,
                paraphrases=k.paraphrases,
            )
            for i, k in enumerate(out.key_points)
        ]
        follow = [
            FollowUp(key_point=kps[min(f.key_point_index, len(kps) - 1)].id, text=f.text)
            for f in out.follow_ups
        ]
        q = Question(
            id=f"gen-{key}",
            round=round_name,
            topic=topic,
            difficulty=out.difficulty,
            text=out.text,
            guide_section=hits[0].section,
            key_points=kps,
            red_flags=out.red_flags,
            model_answer=out.model_answer,
            follow_ups=follow,
        )
        self._cache_put(key, q)
        return q, [h.id for h in hits]

    def _cache_load(self) -> dict:
        try:
            return json.loads(self._cache_path.read_text())
        except (OSError, ValueError):
            return {}

    def _cache_get(self, key: str) -> Question | None:
        data = self._cache_load().get(key)
        return Question.model_validate(data) if data else None

    def _cache_put(self, key: str, q: Question) -> None:
        with self._lock:
            data = self._cache_load()
            data[key] = q.model_dump()
            self._cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(self._cache_path)

    def restore_question(self, turn: Turn) -> Question | None:
        """A generated question back from the question cache, for a resumed session."""
        for data in self._cache_load().values():
            if data.get("id") == turn.question_id:
                return Question.model_validate(data)
        return None

    def ask(self, q: Question, index: int, total: int, on_token: TokenCallback = None) -> str:
        """The question phrased by the model when it asks it (``asks``), else as the offline
        interviewer says it. Checked before anything is shown, so it is not streamed: a
        streamed reply that gave the answer away could not be taken back."""
        fallback = self.offline.ask(q, index, total)
        user = prompts.render(
            "ask", number=index + 1, total=total, topic=topic_label(q.topic), question=q.text
        )
        text = self._say(q.round, user, fallback, None)
        if not asks(text, q):
            return emit(fallback, on_token)
        if not text.startswith(f"Question {index + 1} of {total}"):  # numbered as offline (a
            # walk-through's first question was headed just "Question:")
            said = re.sub(r"^\s*Question\s*:\s*", "", text)
            text = f"{question_header(index, total, q.round, q.topic)}\n{said}"
        return emit(text, on_token)

    def probe_for(self, q: Question, point: str) -> str | None:
        """A probe for a missed point, written by the model; None when it failed, gave the
        point away (most of the point's own words in the probe) or is no short question."""
        user = prompts.render("follow_up", missed_point=point, question=q.text)
        text = self._say(q.round, user, "", None).strip()
        if not text:
            return None
        if not is_probe(text, point):
            log.info("the model's follow-up was not one short question: %r", text)
            self.last_error = PROBE_NOT_USED
            return None
        return text

    def follow_up(self, text: str, on_token: TokenCallback = None) -> str:
        """A probe as the interviewer says it."""
        return emit(f"Follow-up: {text}", on_token)

    def hint(self, q: Question, n: int) -> str:
        """Hints are authored: the offline engine's."""
        return self.offline.hint(q, n)

    def feedback(
        self, q: Question, grade: Grade, on_token: TokenCallback = None,
        code_result: dict | None = None,
    ) -> str:  # fmt: skip
        """The score and the bullets (as offline), then the model's advice in a few sentences
        when it ``advises`` (the grade's own feedback otherwise). The advice is checked before
        it is shown, so it is not streamed."""
        head = emit(feedback_text(q, grade, code_result) + "\n", on_token)
        # (not a point the explanation stated but the code failed the test of: the bullets say
        # so, and it was not missed in words)
        missed = [kp.point for kp in grade.key_points if not kp.covered and not kp.failed_test]
        covered, missed = join_lines(grade.covered), join_lines(missed)
        user = prompts.render("feedback", question=q.text, covered=covered, missed=missed)
        text = self._say(q.round, user, grade.feedback, None)
        if text != grade.feedback and not advises(text, f"{q.text}\n{covered}\n{missed}"):
            log.info("the model's advice was not a few sentences on this question: %r", text)
            self.last_error = ADVICE_NOT_USED
            text = grade.feedback
        return head + emit(text, on_token)

    # -- judging -----------------------------------------------------------------------------
    def judge(self, q: Question, answer: str) -> tuple[Grade, Usage]:
        """The cross-checked grade and the tokens spent on it."""
        grade, _ = self.judge_detail(q, answer)
        return grade, self.take_usage()

    def judge_code(
        self, q: Question, code: str, explanation: str | None
    ) -> tuple[Grade, CodeResult, Usage]:
        """The sandboxed tests grade the code; the model reviews it against the rubric, kept
        near the test-based grade (as the coverage grade keeps the judge near it)."""
        result = self.code_runner.grade(q, code)
        spoken = None
        if explanation and explanation.strip():
            spoken, _ = self.judge_detail(q, explanation)
        tested = code_grade(q, result, spoken, explanation or "")
        if result.error is not None or result.total == 0:
            return tested, result, self.take_usage()  # nothing ran: nothing to review
        try:
            review = self._review_code(q, code, result)
        except LLMError as exc:
            self.last_error = why = self._failed(exc)
            flags = [*tested.flags, rb.OFFLINE_USED + why]
            fallback = tested.model_copy(update={"source": "offline-fallback", "flags": flags})
            return fallback, result, self.take_usage()
        return combine_review(q, tested, review), result, self.take_usage()

    def _review_code(self, q: Question, code: str, result: CodeResult) -> CodeReviewOutput:
        spec = q.coding
        quality = "\n".join(f"- {name}: {text}" for name, text in spec.quality.model_dump().items())
        failed = ", ".join(f.name for f in result.failed) or "none"
        static = "; ".join([*result.lint[:3], *result.loops[:3], result.growth or ""]).strip("; ")
        system = prompts.render(
            "code_review",
            question=q.text,
            entry_point=spec.entry_point,
            quality=quality,
            passed=result.passed,
            total=result.total,
            failed=failed,
            static=static or "none",
        )
        safe = code.replace("</code>", "</ code>").replace("<code>", "< code>")
        msgs = self._messages(system, prompts.render("code_review_user", code=safe))
        out, _ = invoke_structured(
            self.judge_llm, CodeReviewOutput, msgs, method=self.method, usage=self.judge_usage
        )
        return out

    def judge_detail(self, q: Question, answer: str) -> tuple[Grade, JudgeOutput | None]:
        """The cross-checked grade and the judge's own output (None when the offline one stands)."""
        offline, _ = self.offline.judge(q, answer)
        if any(f in offline.flags for f in rb.UNJUDGEABLE):
            return offline, None
        system = prompts.render(
            "judge",
            question=q.text,
            key_points="\n".join(f"{kp.id} | {kp.weight} | {kp.point}" for kp in q.key_points),
            red_flags=join_lines(f"rf{i} | {rf.claim}" for i, rf in enumerate(q.all_red_flags, 1)),
            model_answer=tokens.truncate(q.model_answer, 400),
        )
        # The answer is data inside delimiters; a delimiter typed by the candidate is defused.
        safe = answer.replace("</answer>", "</ answer>").replace("<answer>", "< answer>")
        msgs = self._messages(system, prompts.render("judge_user", answer=safe))
        try:
            out, _ = invoke_structured(
                self.judge_llm, JudgeOutput, msgs, method=self.method, usage=self.judge_usage
            )
        except LLMError as exc:
            self.last_error = why = self._failed(exc)
            reason = "malformed judgement" if isinstance(exc, LLMBadOutput) else why
            fallback = offline.model_copy(
                update={
                    "source": "offline-fallback",
                    "flags": [*offline.flags, rb.OFFLINE_USED + reason],
                }
            )
            return fallback, None
        return combine_judgement(q, answer, out, offline), out
