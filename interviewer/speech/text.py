"""Written text to the words a speaker says ("p99 at 400 ms" -> p ninety nine at four hundred
milliseconds), shared by the language-model builder and the word-error-rate scorer so that both
sides of a comparison are normalised alike."""

from __future__ import annotations

import re

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
# Written forms that people read out as other words. Units only after a number (below).
_ABBREV = [
    (re.compile(r"\be\.\s?g\.?(?=\W|$)", re.I), " for example "),
    (re.compile(r"\bi\.\s?e\.?(?=\W|$)", re.I), " that is "),
    (re.compile(r"\betc\.?(?=\W|$)", re.I), " et cetera "),
    (re.compile(r"\bvs\.?(?=\W|$)", re.I), " versus "),
    (re.compile(r"\bC\+\+"), " C plus plus "),
    (re.compile(r"%"), " percent "),
    (re.compile(r"&"), " and "),
    (re.compile(r"(?<=\s)\+(?=\s)|(?<=\d)\+|\+(?=\d)"), " plus "),
    (re.compile(r"(?<=\s)=(?=\s)"), " equals "),
    (re.compile(r"(?<=\s)@(?=\s)"), " at "),
    (re.compile(r"~(?=\s?\d)"), " about "),
    (re.compile(r"×"), " times "),
    (re.compile(r"±"), " plus or minus "),
]
_UNITS = {
    "ms": "milliseconds",
    "µs": "microseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    "sec": "seconds",
    "secs": "seconds",
    "min": "minutes",
    "mins": "minutes",
    "hr": "hours",
    "hrs": "hours",
    "kb": "kilobytes",
    "mb": "megabytes",
    "gb": "gigabytes",
    "tb": "terabytes",
    "pb": "petabytes",
    "qps": "q p s",
    "rps": "requests per second",
}
_UNIT_RE = re.compile(
    r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s?(" + "|".join(_UNITS) + r")(?![\w])", re.IGNORECASE
)
_ORD_RE = re.compile(r"(?<![\w.])(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_DECADE_RE = re.compile(r"(?<![\w.])(1[1-9]|20)(\d)0s\b")
_NUM_RE = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|(?<![\w\d])\.\d+")
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_TOKEN_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def int_words(n: int) -> str:
    """Cardinal in words: 1250 -> one thousand two hundred fifty."""
    if n < 0:
        return "minus " + int_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + (" " + _ONES[o] if o else "")
    if n < 1000:
        h, r = divmod(n, 100)
        return _ONES[h] + " hundred" + (" " + int_words(r) if r else "")
    for size, name in _SCALES:
        if n >= size:
            q, r = divmod(n, size)
            return int_words(q) + " " + name + (" " + int_words(r) if r else "")
    raise AssertionError(n)  # pragma: no cover - the scales cover every size


def ordinal_words(n: int) -> str:
    """Ordinal in words: 95 -> ninety fifth."""
    words = int_words(n).split()
    last = words[-1]
    if last in _ORDINAL:
        words[-1] = _ORDINAL[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _year_words(n: int) -> str:
    hi, lo = divmod(n, 100)
    if lo == 0:
        return int_words(hi) + " hundred"
    return int_words(hi) + " " + ("oh " + _ONES[lo] if lo < 10 else int_words(lo))


def number_words(token: str) -> str:
    """A written number (1,000 / 0.05 / 2024 / -3) as spoken words."""
    neg = token.startswith("-")
    token = token.lstrip("-")
    whole, _, frac = token.partition(".")
    digits = whole.replace(",", "")
    if not frac and "," not in whole and len(digits) == 4 and digits[0] != "0":
        n = int(digits)
        # Four-digit numbers read as years ("twenty twenty four"), except the round thousands.
        if 1100 <= n <= 1999 or 2010 <= n <= 2099:
            return ("minus " if neg else "") + _year_words(n)
    out = int_words(int(digits)) if digits else "zero"
    if frac:
        out += " point " + " ".join(_ONES[int(d)] for d in frac)
    return ("minus " if neg else "") + out


def spoken_tokens(text: str) -> list[str]:
    """The words a speaker says for ``text``, case kept (XGBoost, AUC): input to pronunciations."""
    t = text.replace("’", "'").replace("‘", "'")
    for rx, rep in _ABBREV:
        t = rx.sub(rep, t)
    t = _UNIT_RE.sub(lambda m: f" {m.group(1)} {_UNITS[m.group(2).lower()]} ", t)
    t = _DECADE_RE.sub(lambda m: " " + _year_words(int(m.group(1) + m.group(2) + "0")) + "s ", t)
    t = _ORD_RE.sub(lambda m: " " + ordinal_words(int(m.group(1))) + " ", t)
    t = _LETTER_DIGIT.sub(" ", t)
    t = _NUM_RE.sub(lambda m: " " + number_words(m.group(0)) + " ", t)
    t = t.replace("tys ", "ties ")  # "nineteen ninetys" -> "nineteen nineties"
    return _TOKEN_RE.findall(t)


def spoken_words(text: str) -> list[str]:
    """Lower-case spoken words of ``text``: the unit of the language model and of WER."""
    return [w.lower() for w in spoken_tokens(text)]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference word count) after spoken-form normalisation."""
    ref, hyp = spoken_words(reference), spoken_words(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1], len(ref)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one hypothesis against one reference (spoken-form words)."""
    errors, n = word_errors(reference, hypothesis)
    return errors / n if n else float(bool(spoken_words(hypothesis)))
