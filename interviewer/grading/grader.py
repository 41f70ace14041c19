"""The offline grader: semantic coverage of a rubric's key points, with lexical evidence.

Signals (short-answer grading research agrees that no single similarity is enough):
- per key point, the best sentence-level similarity (MiniLM) over the point and its paraphrases,
  with sentences that only restate the question demoted;
- per key point, lexical recall of its content words, the question's own words removed;
- similarity of the whole answer (the length-weighted mean of its sentence vectors) to the
  model answer;
- penalties similarity cannot see: keyword lists without sentences, stated red flags (wrong
  claims), answers far shorter than the point needs.
Empty, "I don't know", gibberish and off-topic answers get the minimum; sentences addressed to
the grader are removed before anything is measured. The combination is a linear model whose
weights are fitted on the labelled dev set (``mock-interview eval --calibrate``) and stored in
``grader_params.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from interviewer.config import Settings
from interviewer.errors import GradeInputError
from interviewer.grading import rubric as rb
from interviewer.grading import text as tu
from interviewer.grading.rubric import CRITERIA, CriterionScore, Grade, KeyPointResult, Rubric

PARAMS_FILE = "params.json"
FEATURES = (
    "coverage",
    "top_coverage",
    "reference",
    "ref_recall",
    "length",
    "stuffing",
    "red_flag",
    "restating",
)


def params_path() -> Path:
    """Where the calibrated parameters live (inside the installed package)."""
    return Path(str(resources.files("interviewer.grading") / PARAMS_FILE))


@lru_cache(maxsize=1)
def load_params() -> dict:
    """Calibrated parameters (weights of the linear combination and similarity range)."""
    return json.loads((resources.files("interviewer.grading") / PARAMS_FILE).read_text())


@dataclass
class _Analysis:
    """Everything measured about one answer; turned into a Grade by ``_grade``."""

    sentences: list[str]
    injected: list[str]
    features: dict
    kp_cov: list[float]
    kp_best: list[int]
    red_flags_hit: list[tuple[str, str]]
    floor_reason: str | None


class OfflineGrader:
    """Grades answers against rubrics with the bundled MiniLM; deterministic and batchable."""

    def __init__(self, *, embeddings=None, params: dict | None = None, vector_cache=None):
        """``vector_cache``: a :class:`~interviewer.grading.embeddings.VectorCache` that keeps
        rubric vectors on disk across processes (answers are never written to it)."""
        from interviewer.grading.embeddings import MiniLMEmbeddings

        self.embeddings = embeddings or MiniLMEmbeddings()
        self.params = params or load_params()
        self.vector_cache = vector_cache
        self._cache: dict[str, np.ndarray] = {}

    # -- embeddings -------------------------------------------------------------------------
    def _embed(self, texts: list[str], rubric_texts: list[str] = ()) -> None:
        """Embed what is not in memory yet, in one batch; rubric texts also come from and go
        to the on-disk cache."""
        if len(self._cache) > 50_000:  # bound memory in long-running servers
            self._cache.clear()
        todo = {t for t in (*texts, *rubric_texts) if t not in self._cache}
        model = getattr(self.embeddings, "name", None)
        lasting = set()
        if todo and self.vector_cache is not None and model:
            lasting = todo.intersection(rubric_texts)
            found = self.vector_cache.get_many(model, lasting)
            self._cache.update(found)
            todo -= found.keys()
            lasting -= found.keys()
        if todo:
            ordered = sorted(todo)
            fresh = dict(zip(ordered, self.embeddings.encode(ordered), strict=True))
            self._cache.update(fresh)
            if lasting:
                self.vector_cache.put_many(model, {t: fresh[t] for t in lasting})

    def _vecs(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        cached = [self._cache.get(t) for t in texts]
        missing = [t for t, v in zip(texts, cached, strict=True) if v is None]
        if missing:  # evicted by another thread's cache reset: embed again, never fail
            fresh = dict(zip(missing, self.embeddings.encode(missing), strict=True))
            cached = [fresh[t] if v is None else v for t, v in zip(texts, cached, strict=True)]
        return np.stack(cached)

    def prime(self, rubrics) -> None:
        """Embed these rubrics' texts ahead of the answers (a server's warm-up)."""
        self._embed([], [t for r in rubrics for t in r.texts()])

    # -- public API ---------------------------------------------------------------------------
    def grade(
        self,
        question,
        answer: str,
        rubric=None,
        reference_answer: str | None = None,
    ) -> Grade:
        """Grade one answer. ``question`` is a bank Question (anything with ``rubric()``) or a
        question text; a text needs a ``rubric`` (dict or list of key points) or a
        ``reference_answer``."""
        return self.grade_many([(make_rubric(question, rubric, reference_answer), answer)])[0]

    def grade_many(self, items: list[tuple[Rubric, str]]) -> list[Grade]:
        """Grade many (rubric, answer) pairs with one embedding pass."""
        prepared = []
        texts: list[str] = []
        rubric_texts: list[str] = []
        for rubric, answer in items:
            clean, content, injected = _split(answer)
            prepared.append((rubric, clean, content, injected))
            texts += content
            rubric_texts += rubric.texts()
        self._embed(texts, rubric_texts)
        return [self._grade(*p) for p in prepared]

    def features(self, rubric: Rubric, answer: str) -> dict:
        """The measured signals of one answer (used to calibrate the combination); ``floor``
        names why the answer gets the minimum regardless (None when it does not)."""
        clean, content, injected = _split(answer)
        self._embed(content, rubric.texts())
        a = self._analyse(rubric, clean, content, injected)
        return {**a.features, "floor": a.floor_reason}

    # -- internals ----------------------------------------------------------------------------
    def _analyse(self, rubric: Rubric, clean: str, content: list[str], injected) -> _Analysis:
        p = self.params
        text = " ".join(content)
        n_words = len(tu.words(text))
        kps = rubric.key_points
        feats = dict.fromkeys(FEATURES, 0.0)
        empty = _Analysis(content, injected, feats, [0.0] * len(kps), [-1] * len(kps), [], None)
        if not content or n_words == 0:
            empty.floor_reason = rb.FLAG_NO_ANSWER if not injected else rb.FLAG_ONLY_INJECTION
            return empty
        if tu.is_idk(text):
            empty.floor_reason = rb.FLAG_IDK
            return empty
        if n_words >= 4 and tu.gibberish_share(text) > 0.5:
            empty.floor_reason = rb.FLAG_GIBBERISH
            return empty

        S = self._vecs(content)
        q_vec = self._vecs([rubric.question])[0]
        q_sim = S @ q_vec
        q_stems = tu.content_stems(rubric.question)
        # A sentence that only restates the question carries little: demote it by how few
        # content words it adds beyond the question's own.
        novelty = np.array(
            [min(1.0, len(tu.content_stems(s) - q_stems) / p["novel_words"]) for s in content]
        )
        demote = p["restate_floor"] + (1 - p["restate_floor"]) * novelty
        answer_stems = tu.content_stems(text)

        kp_cov, kp_best, kp_sem = [], [], []
        for kp in kps:
            V = self._vecs([kp.point, *kp.paraphrases])
            sims = (S @ V.T).max(axis=1) * demote
            best = int(sims.argmax())
            sem = float(np.clip((sims[best] - p["sem_lo"]) / (p["sem_hi"] - p["sem_lo"]), 0, 1))
            # Lexical recall of the best-matching variant (the point or one paraphrase), with
            # the question's own words removed: restating the question earns nothing here.
            lex = 0.0
            for variant in (kp.point, *kp.paraphrases):
                target = tu.content_stems(variant) - q_stems
                if len(target) >= 3:
                    lex = max(lex, len(target & answer_stems) / len(target))
            cov = p["alpha"] * sem + (1 - p["alpha"]) * lex
            kp_cov.append(float(cov))
            kp_best.append(best)
            kp_sem.append(sem)

        weights = np.array([kp.weight for kp in kps], dtype=float)
        cov_arr = np.array(kp_cov)
        feats["coverage"] = float((weights * cov_arr).sum() / weights.sum())
        feats["top_coverage"] = float(np.sort(cov_arr)[::-1][: max(1, len(kps) // 2)].mean())

        ref_vec = self._vecs([rubric.model_answer or rubric.question])[0]
        # The answer as a whole: the length-weighted mean of its sentence vectors. Embedding
        # the whole answer once more would double the model's work (test-split agreement is
        # unchanged; the off-topic cut `off_topic_doc` was re-tuned on the dev split for it).
        lengths = np.array([len(tu.words(s)) for s in content], dtype=np.float32)
        doc_vec = (S * lengths[:, None]).sum(axis=0)
        doc_vec /= max(float(np.linalg.norm(doc_vec)), 1e-12)
        feats["reference"] = float(np.clip((doc_vec @ ref_vec - 0.2) / 0.6, 0, 1))
        # Sentence-level recall of the reference: how much of the model answer, sentence by
        # sentence, the answer says somewhere (BERTScore-style, at sentence granularity).
        ref_sents = rubric.reference_sentences
        if ref_sents:
            best = (self._vecs(ref_sents) @ (S * demote[:, None]).T).max(axis=1)
            feats["ref_recall"] = float(
                np.clip((best - p["sem_lo"]) / (p["sem_hi"] - p["sem_lo"]), 0, 1).mean()
            )
        need = p["length_words"]
        feats["length"] = float(min(1.0, n_words / need))
        sw = tu.stopword_share(text)
        feats["stuffing"] = float(np.clip((p["stuffing_sw"] - sw) / 0.15, 0, 1))
        restating = q_sim > p["restate_sim"]
        feats["restating"] = float((restating & (novelty < 0.5)).mean())

        red_hits = []
        if rubric.red_flags:
            feats["red_flag"], red_hits = self._red_flags(rubric, content, S, q_stems)

        relevance = max(float(q_sim.max()), float(max(kp_sem) if kp_sem else 0.0))
        floor = None
        # As a whole, the answer is about something else: far from both the question and the
        # model answer (a fluent answer to another question shares only generic ML words).
        if rubric.own_story:  # only the question says what a story must be about
            elsewhere = float(doc_vec @ q_vec) < p["off_topic_story"]
        else:
            elsewhere = max(float(doc_vec @ ref_vec), float(doc_vec @ q_vec)) < p["off_topic_doc"]
        if (relevance < p["off_topic_sim"] and feats["coverage"] < 0.15) or (
            elsewhere and feats["coverage"] < 0.45
        ):
            floor = rb.FLAG_OFF_TOPIC
        return _Analysis(content, injected, feats, kp_cov, kp_best, red_hits, floor)

    def _red_flags(self, rubric: Rubric, content: list[str], S: np.ndarray, q_stems: set[str]):
        """Severity (0-1) of the wrong claims the answer makes, and which sentences make them.

        A sentence states a red flag when it is closer to the wrong claim than to anything
        correct (every key point variant and every sentence of the model answer) and, where
        the wrong claim has words of its own ("arithmetic" mean), it uses one of them.
        """
        p = self.params
        R = self._vecs(rubric.red_flags)
        rs = S @ R.T  # sentence x red flag
        correct = rubric.variants()
        ref_sents = rubric.reference_sentences
        best_ok = (S @ self._vecs(correct + ref_sents).T).max(axis=1)
        right_words = q_stems.union(*(tu.content_stems(t) for t in correct + ref_sents))
        severity, hits = 0.0, []
        for j, flag in enumerate(rubric.red_flags):
            i = int(rs[:, j].argmax())
            margin = rs[i, j] - best_ok[i]
            own = tu.content_stems(flag) - right_words
            uses_own = not own or bool(own & tu.content_stems(content[i]))
            # Embeddings are blind to negation: "boosting is NOT parallel" sits next to the
            # red flag "boosting is parallel". A negated sentence is not the wrong claim.
            negated = tu.negated(content[i]) and not tu.negated(flag)
            if (
                rs[i, j] >= p["red_flag_sim"]
                and margin >= p["red_flag_margin"]
                and uses_own
                and not negated
            ):
                hits.append((flag, content[i]))
                severity = max(
                    severity, float(min(1.0, (rs[i, j] - p["red_flag_sim"]) / 0.15 + 0.5))
                )
        return severity, hits

    def _score(self, feats: dict) -> float:
        w = self.params["weights"]
        raw = self.params["bias"] + sum(w[f] * feats[f] for f in FEATURES)
        iso = self.params.get("isotonic")
        if iso:  # monotone map fitted on dev labels: undoes the linear fit's pull to the mean
            raw = np.interp(raw, iso["x"], iso["y"])
        return float(np.clip(raw, 0.0, 1.0))

    def _grade(self, rubric: Rubric, clean: str, content: list[str], injected) -> Grade:
        a = self._analyse(rubric, clean, content, injected)
        flags = []
        if injected:
            flags.append(rb.FLAG_INJECTION)
        if a.floor_reason:
            flags.append(a.floor_reason)
            overall = 0
        else:
            overall = round(100 * self._score(a.features))
        for flag, _said in a.red_flags_hit:
            flags.append(rb.RED_FLAG + flag)
        if a.features["stuffing"] > 0.5 and not a.floor_reason:
            flags.append(rb.FLAG_KEYWORDS)
        if a.features["restating"] > 0.5 and not a.floor_reason:
            flags.append(rb.FLAG_RESTATES)

        thr = self.params["covered"]
        key_points = [
            KeyPointResult(
                id=kp.id,
                point=kp.point,
                weight=kp.weight,
                coverage=round(min(1.0, max(0.0, cov)), 3) if not a.floor_reason else 0.0,
                covered=bool(cov >= thr and not a.floor_reason),
                evidence=_quote(a.sentences[b])
                if cov >= thr and b >= 0 and not a.floor_reason
                else "",
            )
            for kp, cov, b in zip(rubric.key_points, a.kp_cov, a.kp_best, strict=True)
        ]
        criteria = self._criteria(rubric, a, overall, key_points)
        return Grade(
            question_id=rubric.question_id,
            overall=overall,
            criteria=criteria,
            key_points=key_points,
            flags=flags,
            source="offline",
            feedback=_feedback(key_points, flags, overall),
        )

    def _criteria(self, rubric, a: _Analysis, overall: int, kps: list[KeyPointResult]) -> dict:
        base = 1 + 4 * overall / 100
        if a.floor_reason:
            return {c: CriterionScore(score=1, rationale=a.floor_reason) for c in CRITERIA}
        out = {}
        for crit in ("depth", "problem_solving", "engineering"):
            mine = [
                (kp, res)
                for kp, res in zip(rubric.key_points, kps, strict=True)
                if kp.criterion == crit
            ]
            if mine:
                w = sum(kp.weight for kp, _ in mine)
                cov = sum(kp.weight * res.coverage for kp, res in mine) / w
                value = 0.5 * base + 0.5 * (1 + 4 * min(1.0, cov / 0.8))
            else:
                value = base
            if crit == "depth" and a.red_flags_hit:
                value -= 1.5 * a.features["red_flag"]
            evidence = [res.evidence for _, res in mine if res.evidence][:3]
            covered_n = sum(1 for _, r in mine if r.covered)
            out[crit] = CriterionScore(
                score=_clip5(value),
                evidence=evidence,
                rationale=f"{covered_n} of {len(mine)} {crit.replace('_', ' ')} key points covered"
                if mine
                else "follows the overall coverage",
            )
        words = sum(len(tu.words(s)) for s in a.sentences)
        fillers = len(tu.FILLERS.findall(" ".join(a.sentences)))
        comm = base + 0.5
        notes = []
        if a.features["stuffing"] > 0.5:
            comm -= 1.5
            notes.append("a list of terms, not sentences")
        if words > 3 * self.params["length_words"] * 2:
            comm -= 1
            notes.append("long for what it says")
        if fillers / max(1, words) > 0.03:
            comm -= 1
            notes.append("many filler words")
        if a.features["restating"] > 0.3:
            comm -= 1
            notes.append("restates the question")
        out["communication"] = CriterionScore(
            score=_clip5(comm),
            evidence=[_quote(a.sentences[0])] if a.sentences else [],
            rationale="; ".join(notes) or "clear enough for the content it carries",
        )
        return out


def _split(answer: str) -> tuple[str, list[str], list[str]]:
    """The normalised answer, its sentences to grade, and the sentences addressed to the grader
    (removed before anything is measured)."""
    clean = tu.normalise(answer)
    content: list[str] = []
    injected: list[str] = []
    for s in tu.sentences(clean):
        (injected if tu.is_injection(s) else content).append(s)
    return clean, content, injected


def _clip5(x: float) -> int:
    return int(min(5, max(1, round(x))))


def _quote(sentence: str, limit: int = 220) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def _feedback(kps: list[KeyPointResult], flags: list[str], overall: int) -> str:
    missed = [kp for kp in kps if not kp.covered]
    missed.sort(key=lambda kp: -kp.weight)
    parts = []
    if overall >= 80:
        parts.append("Strong answer.")
    elif overall >= 60:
        parts.append("Good answer with gaps.")
    elif overall >= 35:
        parts.append("Partial answer.")
    else:
        parts.append("Weak answer.")
    if missed:
        parts.append("Missing: " + "; ".join(kp.point for kp in missed[:2]))
    reds = [f for f in flags if rb.is_red_flag(f)]
    if reds:
        parts.append("Check: " + reds[0][len(rb.RED_FLAG) :])
    return " ".join(parts)


def make_rubric(question, rubric=None, reference_answer: str | None = None) -> Rubric:
    """A Rubric from a bank question (anything with ``rubric()``), an explicit rubric, or a
    reference answer."""
    if hasattr(question, "rubric"):
        return question.rubric()
    if rubric is not None:
        return Rubric.from_dict(question, rubric)
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


__all__ = ["OfflineGrader", "Rubric", "default_grader", "make_rubric"]
