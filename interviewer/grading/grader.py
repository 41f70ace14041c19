"""The offline grader: rubric coverage measured with the bundled MiniLM, scored by small models
fitted on human scores.

The steps (each a module of pure functions over numpy arrays, apart from the one embedding call):

1. ``analysis.prepare_answer``: sentences, with those addressed to the grader dropped;
   ``analysis.floor_reason``: empty, "I don't know", placeholder or gibberish answers get 0.
2. ONE embedding call per batch of answers (``encoder``): every answer's sentences and the
   clauses of its compound sentences; each text gives a sentence vector and its content-token
   vectors from the same forward pass. Rubric texts are embedded once (memory and, with a
   ``VectorCache``, disk).
3. ``analysis.analyse``: per key point, sentence similarity, token recall and lexical recall;
   whole-answer similarity, BERTScore recall and precision, reference-vocabulary recall, each
   lifted by what the question itself earns as an answer; the detectors' inputs.
4. ``decide.decide``: a fitted head (ridge, then isotonic onto the human 0-1 scale) gives the
   score, a key-point model fitted on the bank's paraphrases says which points are covered,
   detectors cap (red flags, keyword lists, restating, off-topic), with graded exemplars a kNN
   head; ``decide.criteria`` gives the four 1-5 criteria.
5. ``feedback.feedback``: the verdict, what is wrong and why, the most important missed point.

``grader_params.json`` holds everything fitted; ``mock-interview eval --calibrate`` refits it from SAF
train and the authored dev split (``interviewer.evaluation.calibrate``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from interviewer.config import Settings
from interviewer.errors import GradeInputError
from interviewer.grading import analysis as an
from interviewer.grading import copying
from interviewer.grading import rubric as rb
from interviewer.grading import text as tu
from interviewer.grading.decide import (
    CRITERIA,
    MIN_EXAMPLES,
    Decision,
    decide,
    head_features,
    head_score,
    local_models,
)
from interviewer.grading.encoder import CACHE_SUFFIX, VEC_SUFFIX, Encoded, encode_texts
from interviewer.grading.feedback import (
    REPEATS_COST,
    brief_said,
    feedback,
    repeats_counts,
    wrong_because,
)
from interviewer.grading.rubric import CriterionScore, Grade, KeyPointResult, Rubric
from interviewer.grading.star import asks_for_result, names_star

PARAMS_FILE = "grader_params.json"
ANSWER_CACHE = 4096  # answer texts kept in memory (repeats within a batch or a session)


def params_path() -> Path:
    """Where the fitted parameters live (inside the installed package)."""
    return Path(str(resources.files("interviewer.grading") / PARAMS_FILE))


@lru_cache(maxsize=1)
def load_params() -> dict:
    """The fitted parameters (heads, key-point model, red-flag cap, criterion maps)."""
    return json.loads((resources.files("interviewer.grading") / PARAMS_FILE).read_text())


def _rubric_key(r: Rubric) -> tuple:
    points = tuple((kp.id, kp.point, kp.weight, kp.criterion, tuple(kp.paraphrases))
                   for kp in r.key_points)  # fmt: skip
    return (r.question, r.model_answer, points, tuple(r.red_flags), r.own_story, r.story,
            r.interview, r.exam)  # fmt: skip


def _examples(examples) -> list[tuple[str, float]]:
    """Graded exemplars as (answer, score in [0, 1]); GradeInputError when malformed."""
    out = []
    for i, e in enumerate(examples or []):
        try:
            answer, score = str(e["answer"]), float(e["score"])
        except (KeyError, TypeError, ValueError):
            raise GradeInputError(f"example {i + 1} needs an 'answer' and a 'score'") from None
        if not 0.0 <= score <= 1.0:
            raise GradeInputError(f"example {i + 1}: 'score' must be in [0, 1]")
        out.append((answer, score))
    return out


class OfflineGrader:
    """Grades answers against rubrics with the bundled MiniLM; deterministic, batchable and
    safe to share between threads (caches only ever gain complete entries)."""

    def __init__(self, *, embeddings=None, params: dict | None = None, vector_cache=None):
        """``vector_cache``: a :class:`~interviewer.grading.embeddings.VectorCache` that keeps
        rubric encodings on disk across processes (answers are never written to it)."""
        from interviewer.grading.embeddings import MiniLMEmbeddings

        self.embeddings = embeddings or MiniLMEmbeddings()
        self.params = params or load_params()
        self.vector_cache = vector_cache
        self._lasting: dict[str, Encoded] = {}  # rubric texts
        self._answers: dict[str, Encoded] = {}  # answer texts (bounded)
        self._rubrics: dict[tuple, tuple[an.RubricData, an.RubricVectors | None]] = {}

    # -- embeddings ---------------------------------------------------------------------------
    def _encode(self, want: dict[str, bool], lasting: Iterable[str] = ()) -> dict[str, Encoded]:
        """The encodings of ``want`` (text -> whether its token vectors are needed), embedding
        what is not cached in one batch; ``lasting`` (rubric) texts also come from and go to
        the on-disk cache."""
        lasting = set(lasting)
        got: dict[str, Encoded] = {}
        for t, tok in want.items():
            e = self._lasting.get(t) or self._answers.get(t)
            if e is not None and (e.has_tokens or not tok):
                got[t] = e
        todo = {t: tok for t, tok in want.items() if t not in got}
        model = getattr(self.embeddings, "name", None)
        disk = self.vector_cache is not None and bool(model)
        if todo and disk:
            for suffix, tok in ((CACHE_SUFFIX, True), (VEC_SUFFIX, False)):
                keys = {t for t, need in todo.items() if need == tok and t in lasting}
                for t, v in self.vector_cache.get_many(model + suffix, keys).items():
                    got[t] = Encoded.unpack(v) if tok else Encoded(v.copy(), has_tokens=False)
                    del todo[t]
        if todo:
            ordered = sorted(todo)
            for t, e in zip(ordered, encode_texts(self.embeddings, ordered), strict=True):
                got[t] = e if todo[t] else e.sentence_only()
            if disk:
                for suffix, tok in ((CACHE_SUFFIX, True), (VEC_SUFFIX, False)):
                    keep = {t: (got[t].pack() if tok else got[t].vec) for t in ordered
                            if t in lasting and todo[t] == tok}  # fmt: skip
                    self.vector_cache.put_many(model + suffix, keep)
        if len(self._answers) > ANSWER_CACHE:
            self._answers = {}
        for t, e in got.items():
            (self._lasting if t in lasting else self._answers)[t] = e
        return got

    def encodings(self, texts: Iterable[str]) -> dict[str, Encoded]:
        """Sentence encodings of lasting texts (a bank's question texts), cached as rubric
        texts are."""
        texts = list(dict.fromkeys(texts))
        return self._encode(dict.fromkeys(texts, False), texts)

    def rubric_encodings(self, rd: an.RubricData) -> dict[str, Encoded]:
        """The encodings of one prepared rubric's texts (calibration reads them)."""
        want: dict[str, bool] = {}
        _want_rubric(want, rd)
        return self._encode(want, want)

    def _rubric(self, rubric: Rubric) -> an.RubricData:
        key = _rubric_key(rubric)
        if key not in self._rubrics:
            self._rubrics[key] = (an.prepare_rubric(rubric), None)
        return self._rubrics[key][0]

    def _vectors(self, rubric: Rubric, E: dict[str, Encoded]) -> an.RubricVectors:
        key = _rubric_key(rubric)
        rd, rv = self._rubrics[key]
        if rv is None:
            rv = an.rubric_vectors(rd, E)
            self._rubrics[key] = (rd, rv)
        return rv

    def prime(self, rubrics: Iterable[Rubric]) -> None:
        """Embed these rubrics' texts ahead of the answers (a server's warm-up)."""
        rubrics = list(rubrics)
        want: dict[str, bool] = {}
        for r in rubrics:
            _want_rubric(want, self._rubric(r))
        E = self._encode(want, want)
        with small_blas():
            for r in rubrics:
                self._vectors(r, E)

    # -- public API ---------------------------------------------------------------------------
    def grade(
        self,
        question,
        answer: str,
        rubric=None,
        reference_answer: str | list[str] | None = None,
        examples: list[dict] | None = None,
    ) -> Grade:
        """Grade one answer. ``question`` is a bank Question (anything with ``rubric()``) or a
        question text; a text needs a ``rubric`` (dict or list of key points) or a
        ``reference_answer`` (text, or a list of points). ``examples``: graded answers to the
        same question, ``[{"answer", "score" in [0, 1]}]``, used from MIN_EXAMPLES on."""
        r = make_rubric(question, rubric, reference_answer)
        return self.grade_many([(r, answer, examples)] if examples else [(r, answer)])[0]

    def grade_many(self, items: Sequence[tuple]) -> list[Grade]:
        """Grade (rubric, answer) or (rubric, answer, examples) items with one embedding pass."""
        analysed = self._analyse_many(items)
        with small_blas():
            return [self._grade(*x, answer=item[1]) for x, item in zip(analysed, items, strict=True)]

    def analyse_many(self, items: Sequence[tuple], *, with_clauses: bool = True) -> list[tuple]:
        """(RubricData, RubricVectors, Analysis) of (rubric, answer) items, one embedding pass:
        what calibration fits on. Without clauses only the sentences are embedded (enough for
        every feature of a rubric without red flags)."""
        return [x[1:4] for x in self._analyse_many(items, with_clauses=with_clauses)]

    # -- internals ----------------------------------------------------------------------------
    def _analyse_many(self, items: Sequence[tuple], *, with_clauses: bool = True) -> list[tuple]:
        prepared = []
        want: dict[str, bool] = {}
        lasting: dict[str, bool] = {}
        exemplars_of: dict = {}
        for item in items:
            rubric, answer = item[0], item[1]
            ex = _examples(item[2] if len(item) > 2 else None)
            rd = self._rubric(rubric)
            if self._rubrics[_rubric_key(rubric)][1] is None:
                _want_rubric(lasting, rd)
            content, injected = an.prepare_answer(answer)
            if not an.floor_reason(content, injected):
                for t, tok in an.answer_texts(content, with_clauses or bool(rd.red_flags)).items():
                    want[t] = want.get(t, False) or tok
            ex_answers = []
            key = (_rubric_key(rubric), tuple(ex)) if len(ex) >= MIN_EXAMPLES else None
            if key in exemplars_of:  # prepared for an earlier item
                ex_answers = exemplars_of[key]
            elif key is not None:
                # Exemplars are analysed like answers: their reference-path scores place the
                # question's own line (decide.local_line). Once per question and exemplar set:
                # a batch's answers to one question share theirs (prepared for each answer,
                # they took two thirds of a batch's time).
                ex_answers = exemplars_of[key] = [an.prepare_answer(a) for a, _ in ex]
                for c, inj in ex_answers:
                    if an.floor_reason(c, inj):  # its vector only
                        texts = dict.fromkeys(c, False)
                    else:
                        texts = an.answer_texts(c, with_clauses or bool(rd.red_flags))
                    for t, tok in texts.items():
                        want[t] = want.get(t, False) or tok
            prepared.append((rubric, rd, content, injected, ex, ex_answers))
        for t, tok in lasting.items():
            want[t] = want.get(t, False) or tok
        E = self._encode(want, lasting)
        out = []
        examples_of: dict = {}  # one analysis of a question's exemplars per call
        with small_blas():
            for item in prepared:
                out.append(self._analyse_one(item, E, with_clauses, examples_of))
        return out

    def _analyse_one(self, item: tuple, E: dict, with_clauses: bool, examples_of: dict) -> tuple:
        rubric, rd, content, injected, ex, ex_answers = item
        rv = self._vectors(rubric, E)
        clauses = with_clauses or bool(rd.red_flags)
        a = an.analyse(rd, rv, content, injected, E, clauses)
        examples = None
        if ex_answers:
            key = (_rubric_key(rubric), tuple(ex))
            if key not in examples_of:
                analysed = [an.analyse(rd, rv, c, inj, E, clauses) for c, inj in ex_answers]
                head, points = self.params["heads"][rd.kind], self.params["points"]
                vecs = np.stack([an.answer_vector(c, E, rd) for c, _ in ex_answers])
                scores = np.array([s for _, s in ex], float)
                examples_of[key] = {
                    "vecs": vecs,
                    "scores": scores,
                    "local": local_models(vecs, analysed, scores),
                    # their reference-path scores, once per question, not once per answer
                    "refs": np.array(
                        [np.nan if x.floor else head_score(head_features(rd, x, points), head)
                         for x in analysed]
                    ),
                    "tfidf": tu.WordTfidf([x.text for x in analysed]),
                }
            shared = examples_of[key]
            examples = {**shared, "lex": shared["tfidf"].similarity(a.text)}
        return rubric, rd, rv, a, examples

    def _grade(self, rubric: Rubric, rd, rv, a: an.Analysis, examples, *, answer: str) -> Grade:
        d = decide(rd, rv, a, self.params, examples)

        def quote(sentence: str) -> str:  # as the candidate typed it, not as normalised
            return _quote(tu.as_typed(sentence, answer))

        def said(sentence: str) -> str:  # a quote, marked where it starts inside a sentence
            return _opened(quote(sentence), answer)

        story = d.story
        overall = round(100 * d.score)
        if story is not None and len(story.missing) == 1 and d.score >= rb.VERDICT_CUTS[0][1]:
            # a story graded correct is not told it lacks one part: the part is there in other
            # words than the STAR reader's cues (re-walks: "STAR: your story lacks the task"
            # beside 100/100, for a story whose product manager "wanted us to block ...")
            story = replace(story, **{story.missing[0]: True})
        flags = [rb.FLAG_INJECTION] if a.injected else []
        if d.floor:
            flags.append(rb.FLAG_OFF_TOPIC if d.floor == "off-topic" else d.floor)
        flags += [rb.RED_FLAG + r["claim"] for r in d.red_flags]
        covered = list(d.covered)
        if story is not None:
            flags += [rb.STAR_MISSING + part for part in story.missing]
            if len(story.missing) > 1:  # a point asking for the STAR structure is not met by a
                covered = [c and not names_star(kp.point)  # story lacking two of its parts
                           for kp, c in zip(rubric.key_points, covered, strict=True)]  # fmt: skip
            elif not story.missing and not d.floor and d.head >= self.params["tick_floor"]:
                _star_told(rubric, d, a, covered)
            if "no_result" in d.capped_by:  # nor is the outcome in numbers stated (walk54 read
                # "✓ State the outcome with numbers" beside "STAR: no result")
                covered = [c and not asks_for_result(kp.point)
                           for kp, c in zip(rubric.key_points, covered, strict=True)]  # fmt: skip
        if "own_part" in d.capped_by:
            flags.append(rb.FLAG_OWN_PART)
        if "untold" in d.capped_by:
            flags.append(rb.FLAG_UNTOLD)
        if "keyword_list" in d.capped_by:
            flags.append(rb.FLAG_KEYWORDS)
        if "restates" in d.capped_by:
            flags.append(rb.FLAG_RESTATES)
        repeats = repeats_flag(a.content) if not d.floor else ""
        if repeats:
            flags.append(repeats)
        brief = "" if rubric.code else brief_flag(rd, d, a, covered)
        if brief:
            flags.append(brief)
        if not d.floor:
            _, copy_flag = copying.penalise(overall, copying.copy_share(a.text, rubric))
            if copy_flag:  # reported, not penalised: a paste is shown for what it is
                flags.append(copy_flag)
        key_points = [
            KeyPointResult(
                id=kp.id,
                point=kp.point,
                weight=kp.weight,
                coverage=round(min(1.0, max(0.0, cov)), 3),
                covered=c,
                evidence=said(ev) if c and not tu.is_code(ev) else "",
            )
            for kp, cov, c, ev in zip(rubric.key_points, d.coverage, covered, d.evidence,
                                      strict=True)
        ]  # fmt: skip
        return Grade(
            question_id=rubric.question_id,
            overall=overall,
            criteria=_criteria(rd, a, d, key_points, repeats, quote),
            key_points=key_points,
            flags=flags,
            source="offline",
            feedback=feedback(rd, d, rubric.corrections, story, typed=said)
            + _repeats_said(repeats) + _brief_said(brief, rubric.key_points, covered),
            wrong_said={r["claim"]: said(r["said"]) for r in d.red_flags},
        )


def _star_told(rubric: Rubric, d: Decision, a: an.Analysis, covered: list[bool]) -> None:
    """A story with all four STAR parts meets the point asking for that structure, whatever
    its words: that point reads the story's shape, which no sentence of it states (a re-walk's
    story labelled "Situation: ... Task: ... Result: ..." had it missed, and was asked "Set the
    scene for me"). Its evidence is the story's opening sentence, where the scene is set."""
    for i, kp in enumerate(rubric.key_points):
        if names_star(kp.point) and not covered[i] and a.content:
            covered[i] = d.covered[i] = True
            d.evidence[i] = a.content[0]


def _want_rubric(want: dict[str, bool], rd: an.RubricData) -> None:
    """Add a rubric's texts to ``want`` (text -> whether its token vectors are needed)."""
    tok = set(rd.token_texts())
    for t in rd.texts():
        want[t] = want.get(t, False) or t in tok


def small_blas():
    """numpy's BLAS on one thread: the grader's matrices are small (tens to hundreds of rows),
    and on a loaded 2-core machine a second BLAS thread made each product ~20x slower. The
    embedding model (torch) is not affected."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def _criteria(rd: an.RubricData, a: an.Analysis, d: Decision, kps: list[KeyPointResult],
              repeats: str, quote):  # fmt: skip
    """The four criteria with their evidence (the answer's own sentences, quoted by ``quote``)
    and a rationale; ``repeats``: the answer's :func:`repeats_flag`, which holds communication
    down."""
    if d.floor:
        why = rb.FLAG_OFF_TOPIC if d.floor == "off-topic" else d.floor
        return {c: CriterionScore(score=1, rationale=why) for c in CRITERIA}
    out = {}
    # The fitted maps lean mostly on the whole answer's score, so the rationale says so first:
    # "1 of 1 engineering key points covered" next to a 1/5 read as a contradiction, and so did
    # "3/5 · 0 of 4 ... covered" with the basis after it. (No number: a hint penalty comes off
    # the overall after this.)
    whole = rb.WHOLE_BASIS
    for crit in ("depth", "problem_solving", "engineering"):
        mine = [r for p, r in zip(rd.points, kps, strict=True) if p.criterion == crit]
        covered_n = sum(1 for r in mine if r.covered)
        out[crit] = CriterionScore(
            score=d.criteria[crit],
            # one sentence covering two points is quoted once (a walk-through saw it twice)
            evidence=list(dict.fromkeys(r.evidence for r in mine if r.evidence))[:3],
            # (none: walk52 read "1/5 - the question has no problem solving key point" as a
            # verdict on that)
            rationale=f"{whole}; " + (
                points_stated(covered_n, len(mine), crit) if mine
                else f"the question has no {crit.replace('_', ' ')} key point: this is the whole "
                "answer's score"),
        )
    notes = [repeats] if repeats else []  # a walk-through's 14 pastes read "5/5, clear enough"
    if d.keyword_list:
        notes.append("a list of terms, not sentences")
    if d.restates:
        notes.append("restates the question")
    fillers = len(tu.FILLERS.findall(a.text))
    # "many": two or more, over 3% of the words (walk40: one "whatever" in a 12-word answer,
    # "whatever data we have", read "many filler words")
    if fillers >= 2 and fillers / max(1, len(tu.words(a.text))) > 0.03:
        notes.append("many filler words")
    talk = min(d.criteria["communication"], REPEATS_COMMUNICATION) if repeats \
        else d.criteria["communication"]  # fmt: skip
    out["communication"] = CriterionScore(
        score=talk,
        # (its first sentence, not a heading: walk33's read "## Sizing first"; nor code, when
        # there is prose: walk45's read "```python import pandas as pd df = ...")
        evidence=[quote(next((c for c in a.content if not tu.is_heading(c) and not tu.is_code(c)),
                             a.content[0]))]  # fmt: skip
        if a.content else [],
        # (no form problem is no praise: a 1/5 read "clear enough" beside a wrong answer)
        rationale="; ".join(notes)
        or f"{rb.NO_FORM_PROBLEM if talk > LOW_COMMUNICATION else rb.LOW_ON_CONTENT}; {whole}",
    )
    return out


def points_stated(n: int, total: int, criterion: str) -> str:
    """How many of a criterion's key points the answer stated clearly (the ones marked covered),
    after the score's basis: "2 of 4 depth key points clearly stated", "none of the 4 ...",
    "its engineering key point not clearly stated"."""
    kind = f"{criterion.replace('_', ' ')} key point{'s' if total != 1 else ''}"
    if n == 0:
        return f"none of the {total} {kind} clearly stated" if total > 1 else (
            f"its {kind} not clearly stated")
    return f"{'its' if total == 1 else f'{n} of {total}'} {kind} clearly stated"


def _repeats_said(repeats: str) -> str:
    """The feedback's sentence on a repeating answer, as the chat's bullet says it (walk43: a
    strong answer pasted four times read "Correct." alone in Practice)."""
    n = repeats_counts(repeats)
    return f" {n[0]} of its {n[1]} sentences repeat earlier ones: {REPEATS_COST}." if n else ""


# Prior (not fitted; no answer of the authored sets or SAF train repeats most of its sentences):
# an answer more than half of whose sentences say again what it said is at most 2/5 on
# communication, however good what it repeats.
REPEATS_COMMUNICATION = 2
# A communication score at or under this with no form problem read is said to be the content's
# (``rubric.LOW_ON_CONTENT``): a wording threshold, not fitted.
LOW_COMMUNICATION = 2


# When an answer under the pass mark is said to be brief (``rubric.FLAG_BRIEF``): wording
# thresholds, not fitted (the score is the heads', which read the length already): under a third
# of the model answer's words, with at least half the key points' weight ticked.
BRIEF_SHARE = 1 / 3
BRIEF_COVERED = 0.5


def brief_flag(rd, d, a: an.Analysis, covered: list[bool]) -> str:
    """The "brief (N words; the model answer has M)" flag of a spoken bank answer (no story, no
    code) that makes most of its key points in few words and is graded partially correct, under
    the pass mark, with no other fault read, or "" (graded incorrect, its ticks are the least
    sure: a restatement at 20 had three)."""
    if rd.kind != "bank" or rd.story or rd.reference_has_code or d.floor or d.red_flags \
            or d.capped_by or not rd.points or 100 * d.score >= rb.PASS_MARK \
            or rb.verdict_of(round(d.score, 2)) == "incorrect":  # fmt: skip
        return ""
    n, m = len(tu.words(a.prose_text)), len(tu.words(rd.reference))
    share = sum(p.weight for p, c in zip(rd.points, covered, strict=True) if c) / rd.weights.sum()
    if n >= BRIEF_SHARE * m or share < BRIEF_COVERED:
        return ""
    return f"{rb.FLAG_BRIEF} ({n} words; the model answer has {m})"


def _brief_said(flag: str, key_points, covered: list[bool]) -> str:
    said = brief_said(flag, sum(covered), len(key_points))
    return f" {said}." if said else ""


def repeats_flag(content: list[str]) -> str:
    """The "repeats the same sentences (N of M said before)" flag when more than half of the
    answer's sentences repeat an earlier one word for word (case and punctuation aside), or ""."""
    seen, again = set(), 0
    for s in content:
        key = " ".join(tu.words(s))
        again += key in seen
        seen.add(key)
    if 2 * again <= len(content):
        return ""
    return f"{rb.FLAG_REPEATS} ({again} of {len(content)} said before)"


# Where text.sentences cut a long run-on: after a comma (or a semicolon or colon), or after one
# of its RUN_ON_BREAKS (a quote ending there read as a slip: 'Landed: "... of the features,"').
_CUT_END = re.compile(rf"(?:\s*[,;:]|\s+(?:{'|'.join(tu.RUN_ON_BREAKS)}))+\s*$", re.I)


# the word a run-on was cut at, opening its later part (lower case: inside a sentence)
_CUT_START = re.compile(rf"^(?:{'|'.join(tu.RUN_ON_BREAKS)})\s+(?=\S)")


def _quote(sentence: str, limit: int = 220) -> str:
    """The sentence as quoted evidence: an ellipsis where it runs on, and past ``limit``; the
    later part of a run-on is quoted without the "and" it was cut at (walk43's 'you said "and
    accuracy is all you need"'), and _opened marks where it starts."""
    sentence = _CUT_START.sub("", sentence)
    cut = _CUT_END.sub("", sentence)
    if cut != sentence:
        sentence = cut + "…"
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if not sentence[limit - 1].isspace() and " " in cut:  # at a word's end: "... statist…" read
        cut = cut.rsplit(" ", 1)[0]  # as a typo
    return cut.rstrip(" ,;:") + "…"


def _opened(quote: str, answer: str) -> str:
    """A quote that starts inside a sentence of the answer (the later part of a long run-on,
    cut at a comma or "and") opens with an ellipsis, as one cut at its end closes with one
    (walk32: 'Landed: "that keeps activations in a stable range ..."')."""
    words = quote.split()[:4]
    if not words or quote.startswith("…"):
        return quote
    start = tu.find_spaced(words, answer)
    if start <= 0:
        return quote
    before = answer[:start].rstrip(" \t")
    # (after a semicolon too: walk44's 'Landed: "often the feature fetch is slower than the
    # model."' was the later half of a sentence)
    if not before or before[-1] in "\n.!?:\"'“”)]*-•" or before[-1].isdigit():
        return quote
    return "…" + quote


def make_rubric(question, rubric=None, reference_answer: str | list[str] | None = None) -> Rubric:
    """A Rubric from a bank question (anything with ``rubric()``), an explicit rubric, or a
    reference answer (a text, or a list of points that become the key points)."""
    if hasattr(question, "rubric"):
        return question.rubric()
    if rubric is not None:
        return Rubric.from_dict(question, rubric)
    if isinstance(reference_answer, list | tuple):
        return Rubric.from_reference(question, list(reference_answer))
    if reference_answer and reference_answer.strip():
        return Rubric.from_reference(question, reference_answer)
    raise GradeInputError("a question text needs a rubric or a reference_answer to grade against")


_DEFAULT: dict[Path, OfflineGrader] = {}


def default_grader(settings: Settings) -> OfflineGrader:
    """The process-wide grader of these settings' data dir (shares its embedding cache)."""
    from interviewer.grading.embeddings import VectorCache

    cache = VectorCache.in_data_dir(settings)
    if cache.path not in _DEFAULT:
        _DEFAULT[cache.path] = OfflineGrader(vector_cache=cache)
    return _DEFAULT[cache.path]


__all__ = [
    "OfflineGrader",
    "Rubric",
    "default_grader",
    "load_params",
    "make_rubric",
    "params_path",
    "wrong_because",
]
