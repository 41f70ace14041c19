"""Delivery feedback from a timed transcript: pace, filler words, long pauses, length against a
time budget. Works on any words with ``text``, ``start`` and ``end`` (seconds)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.speech.audio import fmt_duration

PAUSE_SECONDS = 2.0  # a silence this long mid-answer reads as being stuck, not as emphasis
MIN_SOUND_SECONDS = 0.3  # shorter "speech-like sounds" were mostly breaths at commas (README-notes)
MIN_PACE_SECONDS = 5.0  # below this much speech a words-per-minute figure means little
# Pace bands for interview answers: conversational English runs about 120-160 wpm.
PACE_BANDS = ((100, "slow"), (120, "a little slow"), (160, "a good pace"), (180, "a little fast"))
HESITATIONS = frozenset({"um", "uh", "er", "erm", "uhm", "umm", "uhh", "ah", "hmm", "mm"})
PHRASES = {  # two-word fillers -> words before them that make them ordinary speech
    ("you", "know"): {"do", "did", "if", "would", "don't", "didn't", "you'd", "will", "to"},
    ("i", "mean"): {"what"},
    ("sort", "of"): {"what", "which", "this", "that", "the", "a", "some", "any", "same", "one"},
    ("kind", "of"): {"what", "which", "this", "that", "the", "a", "some", "any", "same", "one"},
}
SINGLE = frozenset({"basically", "literally"})
# "like" is a verb or a comparison after these; elsewhere it is judged by its neighbours.
LIKE_NOT_FILLER_AFTER = frozenset(
    "would i'd you'd we'd they'd i you we they don't didn't doesn't look looks looked feel feels "
    "felt seem seems sound sounds something anything things much more less exactly just "
    "would've".split()
)
LIKE_FILLER_AFTER = frozenset("so and but yeah well was it's is".split()) | HESITATIONS
_CLEAN = re.compile(r"[^a-z']+")


@dataclass(frozen=True)
class Pause:
    """A silence between two words: where it starts and how long it lasts (seconds)."""

    start: float
    seconds: float


@dataclass(frozen=True)
class Delivery:
    """Delivery metrics of one spoken answer and a short human summary."""

    words: int
    speaking_seconds: float
    wpm: float
    pace: str
    fillers: dict[str, int]
    pauses: tuple[Pause, ...]
    budget_seconds: float | None
    summary: str

    @property
    def filler_count(self) -> int:
        """All fillers counted together."""
        return sum(self.fillers.values())

    @property
    def over_budget(self) -> bool:
        """True when the answer ran past its time budget."""
        return self.budget_seconds is not None and self.speaking_seconds > self.budget_seconds


def _norm(text: str) -> str:
    return _CLEAN.sub("", text.lower().replace("’", "'"))


def _pace(wpm: float, seconds: float) -> str:
    if seconds < MIN_PACE_SECONDS:
        return "too short to judge the pace"
    for limit, label in PACE_BANDS:
        if wpm < limit:
            return label
    return "fast"


def find_fillers(words: Sequence, pause_seconds: float = 0.5) -> Counter:
    """Count filler words and phrases; "like" only where it is not a verb or a comparison."""
    toks = [_norm(w.text) for w in words]
    out: Counter = Counter()
    i = 0
    while i < len(toks):
        t, prev = toks[i], toks[i - 1] if i else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if t in HESITATIONS:
            out[t] += 1
        elif (t, nxt) in PHRASES and prev not in PHRASES[(t, nxt)]:
            out[f"{t} {nxt}"] += 1
            i += 2
            continue
        elif t in SINGLE:
            out[t] += 1
        elif t == "like" and prev not in LIKE_NOT_FILLER_AFTER:
            gap_before = words[i].start - words[i - 1].end if i else float("inf")
            gap_after = words[i + 1].start - words[i].end if nxt else float("inf")
            if (
                not prev
                or prev in LIKE_FILLER_AFTER
                or prev == "like"
                or nxt in HESITATIONS
                or nxt == "like"
                or gap_before >= pause_seconds
                or gap_after >= pause_seconds
            ):
                out["like"] += 1
        i += 1
    return out


def find_pauses(words: Sequence, min_seconds: float = PAUSE_SECONDS) -> tuple[Pause, ...]:
    """Silences longer than ``min_seconds`` between consecutive words."""
    out = []
    for a, b in zip(words, words[1:], strict=False):
        gap = b.start - a.end
        if gap > min_seconds:
            out.append(Pause(start=a.end, seconds=gap))
    return tuple(out)


def _quote_fillers(fillers: Counter) -> str:
    def name(w: str) -> str:
        return w if w == "hesitation sound" else f'"{w}"'

    parts = [f"{name(w)} x{n}" if n > 1 else name(w) for w, n in fillers.most_common()]
    return ", ".join(parts)


def _number(n: int, one: str, many: str) -> str:
    return f"one {one}" if n == 1 else f"{n} {many}"


def analyse(
    transcript,
    *,
    budget_seconds: float | None = None,
    pause_seconds: float = PAUSE_SECONDS,
) -> Delivery:
    """Delivery metrics and a 2-4 line summary for a Transcript (or a list of timed words)."""
    words = list(getattr(transcript, "words", transcript))
    words = [w for w in words if _norm(w.text)]
    if not words:
        lines = ["No words were recognised, so there is no delivery feedback."]
        if budget_seconds is not None:
            lines.append(f"0:00 of a {fmt_duration(budget_seconds)} budget.")
        return Delivery(0, 0.0, 0.0, "no speech", {}, (), budget_seconds, "\n".join(lines))
    span = max(words[-1].end - words[0].start, 0.0)
    wpm = len(words) / (span / 60.0) if span > 0 else 0.0
    pace = _pace(wpm, span)
    fillers = find_fillers(words)
    # Hesitation sounds the recogniser heard between words (not before the first or after the
    # last, where a breath is more likely than an "uh").
    first, last = words[0].start, words[-1].end
    n_sounds = sum(
        1
        for s in getattr(transcript, "sounds", ())
        if first < s.start < last and s.end - s.start >= MIN_SOUND_SECONDS
    )
    if n_sounds:
        fillers["hesitation sound"] += n_sounds
    pauses = find_pauses(words, pause_seconds)

    lines = [f"{wpm:.0f} wpm ({pace}) over {fmt_duration(span)} of speech."]
    n_fill = sum(fillers.values())
    if n_fill:
        count = _number(n_fill, "filler", "fillers")
        lines.append(f"{count[0].upper()}{count[1:]} ({_quote_fillers(fillers)}).")
    else:
        lines.append("No filler words.")
    if not pauses:
        lines.append(f"No pauses over {pause_seconds:g} s.")
    elif len(pauses) == 1:
        p = pauses[0]
        lines.append(f"One pause of {p.seconds:.1f} s (at {fmt_duration(p.start)}).")
    else:
        longest = max(p.seconds for p in pauses)
        lines.append(f"{len(pauses)} pauses over {pause_seconds:g} s (longest {longest:.1f} s).")
    if budget_seconds is not None:
        budget = fmt_duration(budget_seconds)
        if span > budget_seconds:
            over = fmt_duration(span - budget_seconds)
            lines.append(f"{fmt_duration(span)}: over the {budget} budget by {over}.")
        else:
            lines.append(f"{fmt_duration(span)} of a {budget} budget.")
    return Delivery(
        words=len(words),
        speaking_seconds=span,
        wpm=wpm,
        pace=pace,
        fillers=dict(fillers.most_common()),
        pauses=pauses,
        budget_seconds=budget_seconds,
        summary="\n".join(lines),
    )
