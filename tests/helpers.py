"""Building blocks the tests share: an offline interview with the built-in bank."""

from __future__ import annotations

from interviewer.bank import default_bank
from interviewer.config import Settings
from interviewer.engine import OfflineEngine
from interviewer.grading.grader import default_grader
from interviewer.interview import Interview


def offline_engine(settings: Settings | None = None) -> OfflineEngine:
    """The offline engine of these settings (default: the test's environment)."""
    return OfflineEngine(default_grader(settings or Settings.from_env()))


def new_interview(**kw) -> Interview:
    """An Interview with the offline engine and the built-in bank unless given (and, unless
    asked for, no coding question: those tests live in tests/coding/)."""
    kw.setdefault("coding", False)
    kw.setdefault("engine", offline_engine())
    kw.setdefault("bank", default_bank())
    return Interview(**kw)


def resume(store, session_id: str, **kw):
    """Interview.resume with the offline engine and the built-in bank unless given."""
    kw.setdefault("engine", offline_engine())
    kw.setdefault("bank", default_bank())
    return Interview.resume(store, session_id, **kw)


def llm_engine(settings: Settings, **kw):
    """The LLM engine for these settings, cross-checked by their offline grader."""
    from interviewer.llm.engine import LLMEngine

    return LLMEngine(settings, grader=default_grader(settings), **kw)


# A moving average that passes every hidden test with a running-sum loop over the data (line 14),
# where the question asks for no Python loops (a walk-through's, scored 100 before the loop check).
LOOPED_MOVING_AVERAGE = (
    "import numpy as np\n\n\ndef moving_average(x, window):\n"
    "    if window < 1:\n        raise ValueError('window must be >= 1')\n"
    "    x = np.asarray(x, dtype=float)\n    n = len(x)\n"
    "    if window > n:\n        return np.array([], dtype=float)\n"
    "    out = np.empty(n - window + 1)\n    s = x[:window].sum()\n"
    "    out[0] = s / window\n    for i in range(window, n):\n"
    "        s += x[i] - x[i - window]\n        out[i - window + 1] = s / window\n"
    "    return out\n"
)


# Counter.most_common: ties come out in first-seen order, not alphabetically (fails the hidden
# test ties_alphabetical, passes the others).
TIES_FIRST_SEEN = '''from collections import Counter


def top_k_words(words, k):
    """The k most frequent words by Counter.most_common."""
    if k < 0:
        raise ValueError("k must be non-negative")
    return [word for word, _ in Counter(words).most_common(k)]
'''
# An explanation that states the question's tie-breaking key point (ordering-key).
SAYS_TIES = (
    "Ties must come out alphabetically, so I sort the words by negative count and then "
    "by the word itself: the key is (-count, word)."
)
# A walk-through's explanation of Counter.most_common code (TIES_FIRST_SEEN): its first sentence
# claims the ordering the code fails (ties_alphabetical), and the grader reads the counting and
# k-bounds points in that same sentence too.
SAYS_ALL = (
    "I count the words with collections.Counter in one pass, then sort by count descending, then "
    "alphabetically by word, and take the first k. A negative k raises ValueError."
)
# The right diagnosis and fix, as answered at the follow-up on the failed test.
FIX_NAMED = (
    "most_common keeps ties in first-seen order, so pear comes before apple; I would sort with "
    "the key (-count, word) instead."
)


# A story labelled Situation, Task and Action that gives no result (walk51)
LABELLED_NO_RESULT = (
    "Situation: at a retail bank client, the product owner on our credit-risk project wanted "
    "me to add applicants' social media activity, scraped by a vendor, to lift approval "
    "accuracy before a steering committee meeting a month away.\n\n"
    "Task: I needed to improve the model enough for the committee without using data that "
    "applicants had never consented to for credit decisions.\n\n"
    "Action: I asked what the committee actually needed, which was fewer good applicants "
    "wrongly rejected, not social data as such. I read the vendor's terms and the bank's "
    "consent policy, found the data had no lawful basis for credit scoring, and raised it "
    "with my delivery lead and the bank's compliance officer instead of deciding on my own. "
    "To make the case concrete, I ran a quick experiment showing that the scraped features "
    "added almost nothing, while repayment-history features we already held with consent "
    "added far more. I proposed those instead, and wrote the agreed features, the consent "
    "basis and the open risks into a short note that the product owner and compliance signed."
)
