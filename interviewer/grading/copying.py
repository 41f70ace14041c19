"""Copy detection: how much of an answer is a verbatim copy of its own rubric.

A candidate who pastes the rubric's key points (or their paraphrases) or the model answer covers
every point and scores 100, yet has shown nothing. Similarity cannot tell a paste from a good
answer; verbatim overlap can: an answer in the candidate's own words shares few runs of four
content-bearing words with the rubric, a paste shares nearly all of them.

The measure is shingled n-gram containment (Broder): the share of the answer's words that sit
inside a run of ``n`` consecutive words (``n`` = 5 by default) also found in a source text.
Sources shorter than ``n`` words (a terse key point) count as one shingle of their own length
when they have at least ``MIN_SHINGLE`` words. Runs made only of stop words ("it is in the")
never count. Case, accents of width, punctuation and zero-width characters are ignored, so a
paste cannot hide behind them.

Pure and cheap (no model): ``copy_share(answer, rubric)`` is about 0.1 ms for a typical answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from interviewer.grading import text as tu
from interviewer.grading.rubric import Grade, score_to_label

# Words per shingle. Five, not four: a walk-through's short answer in its own words to the
# ROC-AUC question ("The ROC curve plots true positive rate against false positive rate ...;
# 0.5 is random and 1.0 is perfect. I'd use the precision-recall curve instead when the
# positive class is rare") was 70% "verbatim" in 4-word runs, all of them the field's own
# phrases, and was scored as a copy of the model answer it had been shown (15/100); in 5-word
# runs it is 36%. The authored dev split's answers share at most 0.42 in 4-word runs and 0.38 in
# 5-word runs. The cost: a paste escapes with every fifth word changed, where every fourth had to
# be (the median bank model answer so edited: 0.08, against 0.74 in 4-word runs). Every figure
# here: ``bench/copying.py``.
SHINGLE = 5
MIN_SHINGLE = 3  # a source shorter than this is too generic to count as copied
# Suggested use in the grader (see ``penalise``): from FLAG_AT on, the answer is flagged and
# its overall score keeps only the share that is not copied. On the 315 labelled answers, the
# most any genuine answer shares verbatim is 0.54 (a terse correct one; experts at most 0.38,
# 0.14 on average); a paste of the key points or of the model answer shares 1.0 and 0.99 (the
# median over the bank; at least 0.80 and 0.76, where code in a model answer is no evidence).
FLAG_AT = 0.6
# An answer shorter than this is never called a copy: a few words can only be said a few ways
# (walk28: "The tilt of Earth's axis." to "What causes the seasons?" was flagged "copies the
# rubric or model answer (100% verbatim)"). Two shingles' worth; a short answer scores low on
# its own when it leaves points out.
MIN_COPY_WORDS = 2 * SHINGLE
FLAG_COPIED = "copies the rubric or model answer"  # + " (NN% verbatim)"
# On a question whose model answer the candidate has been shown (``seen_copy_grade``):
FLAG_SEEN = "scored on your own words only: this question's model answer was shown to you before"

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class CopyShare:
    """How much of an answer is copied, from what (each a share of the answer's words, 0-1)."""

    key_points: float  # from the key points and their paraphrases
    model_answer: float  # from the model answer
    share: float  # from either (the words covered by one or the other, counted once)
    words: int  # words in the answer

    @property
    def source(self) -> str:
        """What most of the copy came from."""
        return "key points" if self.key_points >= self.model_answer else "model answer"

    @property
    def copied(self) -> bool:
        """Whether the answer is mostly a copy (``share >= FLAG_AT``, in at least
        ``MIN_COPY_WORDS`` words)."""
        return self.share >= FLAG_AT and self.words >= MIN_COPY_WORDS


def words(text: str) -> list[str]:
    """The text's words, case-folded, width-normalised, with invisible characters removed."""
    text = unicodedata.normalize("NFKC", tu.INVISIBLE.sub("", text or "")).casefold()
    return _WORD.findall(text)


# A whitespace token holding code or a formula ("max(left,", "last[c]", "+", "O(n)"): written the
# same way by anyone who writes it correctly, so it is no evidence of a copy. A walk-through's
# terse answer in its own words, "... move left to max(left, last[c] + 1). It runs in O(n) time.",
# was flagged as 62% verbatim from the key points, most of it that formula and "O(n) time".
_CODE_TOKEN = re.compile(r"[()\[\]{}=+*/<>%^|&`]")
_GAP = "\0"  # stands where a code token was: matches no source word, and no shingle spans it


def answer_words(text: str) -> list[str]:
    """The answer's words as ``words`` gives them, with each code token's words replaced by one
    ``_GAP``: copied runs are looked for in the prose around the code."""
    out: list[str] = []
    for token in (text or "").split():
        if _CODE_TOKEN.search(token):
            if not out or out[-1] != _GAP:
                out.append(_GAP)
        else:
            out += words(token)
    return out


def _share(covered: list[bool], toks: list[str]) -> float:
    total = sum(t != _GAP for t in toks)
    return sum(c for c, t in zip(covered, toks, strict=True) if t != _GAP) / total if total else 0.0


@lru_cache(maxsize=512)
def _shingles(sources: tuple[str, ...], n: int) -> dict[int, set[tuple[str, ...]]]:
    """Shingles of the sources by length: ``n``-word runs, and whole short sources (cached: a
    rubric's are read for every answer to it; callers never change them)."""
    out: dict[int, set[tuple[str, ...]]] = {}
    for source in sources:
        toks = words(source)
        if len(toks) < MIN_SHINGLE:
            continue
        k = min(n, len(toks))
        bucket = out.setdefault(k, set())
        for i in range(len(toks) - k + 1):
            gram = tuple(toks[i : i + k])
            if not all(t in tu.STOPWORDS for t in gram):
                bucket.add(gram)
    return out


def _covered(answer: list[str], shingles: dict[int, set[tuple[str, ...]]]) -> list[bool]:
    covered = [False] * len(answer)
    for k, grams in shingles.items():
        for i in range(len(answer) - k + 1):
            if tuple(answer[i : i + k]) in grams:
                for j in range(i, i + k):
                    covered[j] = True
    return covered


def containment(answer: str, sources: Iterable[str], n: int = SHINGLE) -> float:
    """Share of the answer's words inside an ``n``-word run found verbatim in ``sources``."""
    toks = answer_words(answer)
    return _share(_covered(toks, _shingles(tuple(sources), n)), toks)


def copy_share(answer: str, rubric, n: int = SHINGLE) -> CopyShare:
    """How much of ``answer`` is copied from ``rubric`` (an ``interviewer.grading.rubric.Rubric``
    or anything with ``variants()`` and ``model_answer``): its key points and paraphrases, its
    model answer, and both together."""
    toks = answer_words(answer)
    total = sum(t != _GAP for t in toks)
    if not total:
        return CopyShare(0.0, 0.0, 0.0, 0)
    by_points = _covered(toks, _shingles(tuple(rubric.variants()), n))
    by_model = _covered(toks, _shingles((rubric.model_answer or "",), n))
    either = [a or b for a, b in zip(by_points, by_model, strict=True)]
    return CopyShare(
        key_points=round(_share(by_points, toks), 4),
        model_answer=round(_share(by_model, toks), 4),
        share=round(_share(either, toks), 4),
        words=total,
    )


def penalise(overall: int, copy: CopyShare) -> tuple[int, str | None]:
    """The suggested penalty: from ``FLAG_AT`` on, the overall score keeps only the share of the
    answer that is not copied (a 95% paste of a 100 answer gets 5) and a flag says so; below it,
    the score stands."""
    if not copy.copied:
        return overall, None
    return _own_share(overall, copy), _copied_flag(copy)


def _own_share(overall: int, copy: CopyShare) -> int:
    """The share of ``overall`` that is not copied."""
    return max(0, round(overall * (1 - copy.share)))


def _copied_flag(copy: CopyShare) -> str:
    return f"{FLAG_COPIED} ({round(copy.share * 100)}% verbatim, mostly the {copy.source})"


def seen_copy_grade(
    grade: Grade,
    answer: str,
    rubric,
    seen: Callable[[], bool],
    *,
    copied_before: bool = False,
    source: str = "model answer",
) -> Grade:
    """The grade of an answer to a question whose model answer (``source``) and key points the
    candidate has been shown before (``seen()``, asked only for a copy: a practice result, a
    transcript, a report). From ``FLAG_AT`` on, repeating them word for word shows nothing, so
    the score keeps only the share that is not copied (``penalise``), no criterion scores above
    what that score means on the 1-5 scale, no point is covered by a copied sentence, and a flag
    and the feedback say so. Below ``FLAG_AT`` the grade stands: an answer in the candidate's
    own words is graded as any other (the grader itself never penalises a copy: a question's
    model answer must grade as the best answer there is). ``copied_before``: an earlier answer
    to this turn was such a copy (the text now graded is a follow-up answer to it), so any
    copied share counts, and the grade keeps ``FLAG_SEEN`` even with none: the turn's answer is
    still a copy."""
    copy = copy_share(answer, rubric)
    if copied_before and copy.share <= 0:
        return grade if FLAG_SEEN in grade.flags else grade.model_copy(
            update={"flags": [*grade.flags, FLAG_SEEN]})  # fmt: skip
    if not (copied_before or (copy.copied and seen())):
        return grade
    overall, flag = _own_share(grade.overall, copy), _copied_flag(copy)
    cap = score_to_label(overall)
    why = f"repeats the {source} shown before"
    criteria = {c: s.model_copy(update={"score": min(s.score, cap), "rationale": why})
                if s.score > cap else s for c, s in grade.criteria.items()}  # fmt: skip
    # A point whose evidence is a copied sentence was not shown to be known: not covered.
    sources = (*rubric.variants(), rubric.model_answer or "")
    key_points = [kp.model_copy(update={"covered": False, "evidence": ""})
                  if kp.covered and containment(kp.evidence, sources) >= FLAG_AT else kp
                  for kp in grade.key_points]  # fmt: skip
    said = (
        f"You were shown this question's {source} before (with an earlier grade of it: "
        f"Practice, a report or Transcripts), and {round(copy.share * 100)}% of "
        f"this answer repeats it (or its key points) word for word: only the rest is scored. "
        f"Say it in your own words to show you know it."
    )
    flags = [f for f in grade.flags if not f.startswith(FLAG_COPIED)] + [flag, FLAG_SEEN]
    return grade.model_copy(  # the grader's feedback was on the copy: it no longer applies
        update={"overall": overall, "criteria": criteria, "key_points": key_points,
                "flags": flags, "feedback": said}  # fmt: skip
    )


__all__ = [
    "FLAG_AT",
    "FLAG_COPIED",
    "FLAG_SEEN",
    "CopyShare",
    "containment",
    "copy_share",
    "penalise",
    "seen_copy_grade",
]
