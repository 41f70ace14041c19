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
from interviewer.coding.grade import CodeResult
from interviewer.config import Settings
from interviewer.engine import (
    CODE_CRITERIA,
    CodeRunner,
    OfflineEngine,
    QuestionRequest,
    TokenCallback,
    Usage,
    code_criterion_label,
    code_grade,
    commands_line,
    emit,
    feedback_text,
    question_header,
)
from interviewer.errors import LLMBadOutput, LLMError, LLMUnavailable, UnusableQuestion
from interviewer.grading import rubric as rb
from interviewer.grading import text as tu
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import CRITERIA, CriterionScore, Grade
from interviewer.llm import prompts
from interviewer.llm.client import (
    UsageMeter,
    chat_model,
    count_message,
    invoke_structured,
    join_lines,
    stream_text,
    structured_method,
)
from interviewer.llm.schemas import (
    CodeReviewOutput,
    GeneratedQuestion,
    JudgeCriterion,
    JudgeOutput,
)
from interviewer.markup import ProseStream, plain_prose
from interviewer.models import ROUNDS, Turn

log = logging.getLogger(__name__)

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
MAX_REPLY_WORDS = 120

GROUP_QUERIES = {
    "ml-fundamentals": "machine learning fundamentals, evaluation metrics, overfitting, "
    "regularization, gradient boosting, transformers, transfer learning",
    "python-data": "Python, Pandas and NumPy data manipulation, coding, memory, data structures",
    "system-design": "real-time system design, pipeline design, scalability, latency, serving",
    "mlops": "MLOps, model versioning, CI/CD for ML, data drift, monitoring, debugging",
    "behavioural": "explaining to stakeholders, communication, past projects, fairness",
}


# A probe that repeats this share of a key point's content words states the point.
QUOTE_SHARE = 0.4


def quotes_point(probe: str, point: str) -> bool:
    """Whether a probe gives away a key point by repeating most of its content words."""
    want = tu.content_stems(point)
    return bool(want) and len(want & tu.content_stems(probe)) / len(want) > QUOTE_SHARE


# A generated key point must add this many content words to the question's own: a walk-through
# got "What is the most important thing to know before starting a new project?" with the
# question three times over as its key points (a sensible answer scored 0, the question itself
# was the top gap). The schema asks for 4-8 key points; every one must be such a point.
POINT_NEW_WORDS = 3


def rubric_problem(out: GeneratedQuestion) -> str | None:
    """Why a generated question's rubric is unusable (None: usable): a key point that restates
    the question or another key point, a model answer that adds nothing to the question."""
    asked = tu.content_stems(out.text)
    seen: list[set] = []
    for kp in out.key_points:
        stems = tu.content_stems(kp.point)
        if len(stems - asked) < POINT_NEW_WORDS or any(stems <= s or s <= stems for s in seen):
            return "a key point restates the question or another key point"
        seen.append(stems)
    if len(tu.content_stems(out.model_answer) - asked) < POINT_NEW_WORDS:
        return "the model answer restates the question"
    return None


# A phrased question is shown only when it states the question as written (this share of its
# words) after at most one short lead-in (this many more words), and gives away no key point the
# question itself does not state: a small model answered its own question, in wrong bullets, or
# spoke as the candidate ("I remember it like it happened..."), and the question went unasked.
ASK_SHARE = 0.8
LEAD_IN_WORDS = 35
# The question is the reply's last sentences: each sentence from the end counts as part of
# asking it while at least this share of its words are the question's (walk22: "How would you
# deploy and autoscale a model-serving service on Kubernetes? The answer to this question is in
# the format of a short, concise narrative that includes only one sentence. ..." was shown).
PART_SHARE = 0.5
_HEADER = re.compile(r"^\s*Question\b[^:\n]{0,60}:\s*", re.IGNORECASE)  # "Question 2 of 5 (...):"
# Talk no interviewer says to a candidate: about its own asking, or about the reply's format and
# length as a prompt would put it (walk22's opening: "This is the first time I've asked a
# question during the interview, but I'm not sure how to ask it now.").
_META = re.compile(
    r"\b(?:this|that|the above|the following) question\b|\banswer to (?:the|this|that) question"
    r"|\b(?:not sure|unsure|don'?t know) (?:how|what|whether|if)\b|\bhow to ask\b"
    r"|\bI(?:'ve| have)? asked (?:a|the|this|my) question|\bin the format\b|\bextraneous\b"
    r"|\b\d+ words\b|\b(?:only|just|exactly) (?:one|a single|two|three) sentences?\b",
    re.IGNORECASE,
)
# A link is never the interviewer's: walk22's judge gave "You can find more information about it
# here: https://www.techtutorialspiration.com/how-to-fix-this-issue/" as a criterion's reason.
_URL = re.compile(
    r"\bhttps?://|\bwww\.\w|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov)(?:/|\b)",
    re.IGNORECASE,
)


def has_link(text: str) -> bool:
    """Whether ``text`` holds a URL or a web address."""
    return bool(_URL.search(text or ""))


def _part_of(sentence: str, want: set[str]) -> bool:
    said = set(_words(_HEADER.sub("", sentence)))
    return bool(said) and len(said & want) / len(said) >= PART_SHARE


def asks(reply: str, q: Question) -> bool:
    """Whether the model's ``reply`` asks ``q`` as the ask prompt wants it asked: the question
    as written is its last sentences (nothing said after it), after at most a short lead-in that
    does not talk about the question or the answer's form, and no key point given away."""
    asked = _words(q.text)
    want = set(asked)
    parts = [p for p in tu.SENTENCE_BREAK.split(reply.strip()) if p and _words(p)]
    n = len(parts)
    while n and _part_of(parts[n - 1], want):
        n -= 1
    lead, said = parts[:n], {w for p in parts[n:] for w in _words(_HEADER.sub("", p))}
    if not want or len(want & said) / len(want) < ASK_SHARE:
        return False
    if len(_words(reply)) - len(asked) > LEAD_IN_WORDS:
        return False
    if any(_META.search(p) or has_link(p) for p in lead):
        return False
    return not any(quotes_point(reply, kp.point) and not quotes_point(q.text, kp.point)
                   for kp in q.key_points)  # fmt: skip


# A probe is one short question; the model's advice after the feedback bullets is a few
# sentences about this question's points, with no score of its own. A walk-through's small
# model wrote three paragraphs with no question in them as its "follow-up", and advice that ran
# on about other things. Both are checked before they are shown (so they are not streamed);
# one that fails the check is not shown (no probe; the grade's own feedback instead).
PROBE_MAX_WORDS = 40
ADVICE_MAX_WORDS = 80
ADVICE_MAX_SENTENCES = 3
# Not advice to the candidate: markup tags (a small model echoed the answer in the judge's
# <answer> tags) or talk about "the candidate" (it invented a quote of theirs).
_NOT_ADVICE = re.compile(r"</?\w+>|\bthe candidate\b", re.IGNORECASE)
_SCORE = re.compile(r"\b\d+\s*(?:/|out of)\s*(?:100|10|5)\b|\bscore", re.IGNORECASE)


def is_probe(text: str, point: str) -> bool:
    """Whether the model's ``text`` is a probe to show for ``point``: one short paragraph
    that asks a question and does not give the point away."""
    text = text.strip()
    return ("?" in text and "\n\n" not in text and len(_words(text)) <= PROBE_MAX_WORDS
            and not quotes_point(text, point) and not has_link(text))  # fmt: skip


def advises(text: str, about: str) -> bool:
    """Whether the model's ``text`` is advice to show after the feedback bullets: one
    paragraph of at most a few sentences, no score, and about something in ``about`` (the
    question and its points)."""
    text = text.strip()
    return (
        bool(text)
        and "\n\n" not in text
        and len(_words(text)) <= ADVICE_MAX_WORDS
        and len(tu.sentences(text)) <= ADVICE_MAX_SENTENCES
        and not _SCORE.search(text)
        and not _NOT_ADVICE.search(text)
        and not has_link(text)
        and bool(tu.content_stems(text) & tu.content_stems(about))
    )


# An opening is the interviewer's: a walk-through's small model opened as an assistant ("I'm
# ready to assist you. Please go ahead and ask your questions ... You can choose from 3-choice
# options: 1. Ask me about my project"). Such an opening, or a long one, is not shown: the
# offline words are (so the opening is checked before it is shown, not streamed).
OPENING_MAX_WORDS = 120
_NOT_INTERVIEWER = re.compile(
    r"\b(?:assist(?:ing|ance)?|how (?:can|may) i help|ask (?:me )?your questions?|ask me about|"
    r"as an ai|language model|choose from|i'?m (?:ready|here) to help)\b|\boptions?:",
    re.IGNORECASE,
)


def opens(text: str) -> bool:
    """Whether the model's ``text`` is an interviewer's opening to show: not an assistant's
    offer to answer questions, no talk about its own asking or the answers' form (``_META``),
    and short."""
    text = text.strip()
    return (bool(text) and len(_words(text)) <= OPENING_MAX_WORDS
            and not _NOT_INTERVIEWER.search(text) and not _META.search(text))  # fmt: skip


# What the candidate is told when a model's text is not used, in plain words (after "The model
# fell short here, so the offline interviewer stepped in: "); why goes to the log (walk22 read
# "its question was not usable: a key point restates the question or another key point").
OPENING_NOT_USED = "its opening was not usable, so the usual one is shown"
QUESTION_NOT_USED = "its question was not usable, so this one is from the question bank"
PROBE_NOT_USED = "its follow-up question was not usable, so none was asked"
ADVICE_NOT_USED = "its advice on your answer was not usable, so it is not shown"

REASON_MIN_WORDS = 3  # a reason is words: "2.0", "6.8}," or "ok" is none


def is_reason(text: str) -> bool:
    """Whether a judge's rationale is words to show (at least REASON_MIN_WORDS of two letters)."""
    return len(re.findall(r"[^\W\d_]{2,}", text or "")) >= REASON_MIN_WORDS


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


# Words in quotation marks (straight or curly); a quote of fewer than two letters is none.
_QUOTED = re.compile(r"[\"“”]([^\"“”]*[^\W\d_]{2}[^\"“”]*)[\"“”]|‘([^‘’]*[^\W\d_]{2}[^‘’]*)’")


def misquotes(text: str, *sources: str) -> bool:
    """Whether ``text`` puts in quotation marks words found in none of ``sources`` (the answer,
    the question and its rubric), punctuation and case aside."""
    said = [f" {' '.join(_words(s))} " for s in sources]
    for m in _QUOTED.finditer(text or ""):
        quote = " ".join(_words(m.group(1) or m.group(2)))
        if quote and not any(f" {quote} " in s for s in said):
            return True
    return False


def judge_words(text: str, answer: str, q: Question) -> str:
    """A judge's words as they may be shown ("" when they may not): no link (walk22's judge
    gave a made-up web address as a reason) and no quote of words the answer does not hold,
    nor the question or its rubric (a quote that is not the candidate's is not shown as one)."""
    text = (text or "").strip()
    rubric = [q.text, q.model_answer, *(kp.point for kp in q.key_points)]
    if has_link(text) or misquotes(text, answer, *rubric):
        return ""
    return text


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
    ) -> str:
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
    ) -> str:
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
        return self._combine_review(q, tested, review), result, self.take_usage()

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

    def _combine_review(self, q: Question, tested: Grade, review: CodeReviewOutput) -> Grade:
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
        return self._combine(q, answer, out, offline), out

    def _combine(self, q: Question, answer: str, out: JudgeOutput, offline: Grade) -> Grade:
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
