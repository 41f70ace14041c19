"""Checks on what the model wrote, made before any of it is shown to the candidate."""

from __future__ import annotations

import re

from interviewer.bank import Question
from interviewer.grading import text as tu
from interviewer.llm.schemas import GeneratedQuestion

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
