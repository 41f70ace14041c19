"""A trigram language model for the interview domain, in pure Python, written as ARPA.

Interpolated Kneser-Ney on the domain texts, then mixed with pocketsphinx's stock US English
model: P(w|h) = weight * P_domain(w|h) + (1 - weight) * P_stock(w|h) on every n-gram the domain
texts contain (the stock side is asked through pocketsphinx), the stock unigrams added so that
words outside the domain stay recognisable, and backoff weights recomputed so that every
history's distribution sums to one.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

BOS, EOS = "<s>", "</s>"
_LOG10_BASE = math.log10(1.0001)  # pocketsphinx's log base for NGramModel.prob
_UNKNOWN = -536870912  # NGramModel.prob's answer for a word it does not have
_FENCED = re.compile(r"```.*?```", re.DOTALL)
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


def prose(text: str) -> str:
    """Text without fenced code blocks: nobody reads code aloud, and its identifiers (init,
    rng, len) would compete with real words such as "in a"."""
    text = _FENCED.sub("\n", text)
    return text.split("```")[0]  # an unclosed fence runs to the end


def sentences(text: str) -> list[str]:
    """Split text at sentence ends and line breaks (a bullet list is one item per line)."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


class KneserNey:
    """Interpolated Kneser-Ney trigram model over word-lists (one discount per order)."""

    def __init__(self, corpus: Iterable[Sequence[str]]):
        self.c3: Counter = Counter()
        self.c2: Counter = Counter()  # raw bigram counts (used for <s> histories)
        for words in corpus:
            s = [BOS, *words, EOS]
            for i in range(1, len(s)):
                self.c2[(s[i - 1], s[i])] += 1
                if i >= 2:
                    self.c3[(s[i - 2], s[i - 1], s[i])] += 1
        self.vocab = sorted({w for bg in self.c2 for w in bg} - {BOS})
        # Continuation counts: in how many distinct contexts each lower-order n-gram appears.
        self.cc2: Counter = Counter((v, w) for (_, v, w) in self.c3)
        for (v, w), c in self.c2.items():  # sentence-initial bigrams have no left context
            if v == BOS:
                self.cc2[(v, w)] = c
        self.cc1: Counter = Counter(w for (_, w) in self.c2)
        self.d3 = self._discount(self.c3.values())
        self.d2 = self._discount(self.cc2.values())
        self.h3: dict[tuple, list] = defaultdict(lambda: [0, 0])  # (count sum, distinct followers)
        for (u, v, _), c in self.c3.items():
            self.h3[(u, v)][0] += c
            self.h3[(u, v)][1] += 1
        self.h2: dict[str, list] = defaultdict(lambda: [0, 0])
        for (v, _), c in self.cc2.items():
            self.h2[v][0] += c
            self.h2[v][1] += 1
        self.total1 = sum(self.cc1.values())
        n = len(self.vocab)
        # A little uniform mass under the continuation unigram: every word stays possible.
        self.d1 = 0.5
        distinct = len(self.cc1)
        self._floor = self.d1 * distinct / self.total1 / n
        self.p1 = {
            w: max(self.cc1.get(w, 0) - self.d1, 0) / self.total1 + self._floor for w in self.vocab
        }

    @staticmethod
    def _discount(counts: Iterable[int]) -> float:
        hist = Counter(c for c in counts if c <= 2)
        n1, n2 = hist.get(1, 0), hist.get(2, 0)
        d = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
        return min(max(d, 0.1), 0.9)

    def gamma2(self, v: str) -> float:
        tot, distinct = self.h2.get(v, (0, 0))
        return self.d2 * distinct / tot if tot else 1.0

    def prob2(self, v: str, w: str) -> float:
        tot, _ = self.h2.get(v, (0, 0))
        low = self.p1.get(w, 0.0)
        if not tot:
            return low
        return max(self.cc2.get((v, w), 0) - self.d2, 0) / tot + self.gamma2(v) * low

    def gamma3(self, u: str, v: str) -> float:
        tot, distinct = self.h3.get((u, v), (0, 0))
        return self.d3 * distinct / tot if tot else 1.0

    def prob3(self, u: str, v: str, w: str) -> float:
        tot, _ = self.h3.get((u, v), (0, 0))
        low = self.prob2(v, w)
        if not tot:
            return low
        return max(self.c3.get((u, v, w), 0) - self.d3, 0) / tot + self.gamma3(u, v) * low


class StockLM:
    """pocketsphinx's bundled US English trigram model, asked one n-gram at a time."""

    def __init__(self, path: str | None = None):
        import pocketsphinx

        self.lm = pocketsphinx.NGramModel.readfile(path or pocketsphinx.Config()["lm"])

    def prob(self, *words: str) -> float:
        """P(last word | the words before it) under the stock model; 0 if it lacks the word."""
        lp = self.lm.prob(list(words))
        if lp <= _UNKNOWN:
            return 0.0
        return 10.0 ** (lp * _LOG10_BASE)


def _fmt(p: float) -> str:
    return f"{math.log10(p):.4f}" if p > 0 else "-99.0000"


def mixed_arpa(
    domain: KneserNey,
    stock: StockLM | None,
    general_words: Sequence[str],
    weight: float,
    out: Path,
    extra_unigrams: dict[str, float] | None = None,
) -> dict:
    """Write the mixed model as ARPA to ``out``; returns its n-gram counts."""
    lam = weight if stock is not None else 1.0
    extra = extra_unigrams or {}
    vocab = sorted(set(domain.vocab) | set(general_words) | set(extra) | {EOS})
    # Unigrams: the mixture over the union, renormalised after the extra words' fixed shares.
    g1 = {w: stock.prob(w) for w in vocab} if stock is not None else {}
    gsum = sum(g1.values()) or 1.0
    p1: dict[str, float] = {}
    for w in vocab:
        p = lam * domain.p1.get(w, 0.0) + (1 - lam) * g1.get(w, 0.0) / gsum
        p1[w] = p
    scale = (1.0 - sum(extra.values())) / sum(p1.values())
    for w in vocab:
        p1[w] = p1[w] * scale + extra.get(w, 0.0)
    p1[BOS] = 0.0

    def mix2(v: str, w: str) -> float:
        p = lam * domain.prob2(v, w)
        if stock is not None:
            p += (1 - lam) * stock.prob(v, w)
        return p

    def mix3(u: str, v: str, w: str) -> float:
        p = lam * domain.prob3(u, v, w)
        if stock is not None:
            p += (1 - lam) * stock.prob(u, v, w)
        return p

    # Bigrams: exact mixed probabilities on the domain's bigrams, then the backoff weight that
    # gives every other word bow(v) * P1(w).
    by_v: dict[str, list[str]] = defaultdict(list)
    for v, w in domain.c2:
        by_v[v].append(w)
    p2: dict[tuple, float] = {}
    bow1: dict[str, float] = {}
    for v, ws in by_v.items():
        s_hi = s_lo = 0.0
        for w in ws:
            p = mix2(v, w)
            p2[(v, w)] = p
            s_hi += p
            s_lo += p1.get(w, 0.0)
        bow1[v] = max(1.0 - s_hi, 1e-6) / max(1.0 - s_lo, 1e-6)

    def back2(v: str, w: str) -> float:
        p = p2.get((v, w))
        return p if p is not None else bow1.get(v, 1.0) * p1.get(w, 0.0)

    by_uv: dict[tuple, list[str]] = defaultdict(list)
    for u, v, w in domain.c3:
        by_uv[(u, v)].append(w)
    p3: dict[tuple, float] = {}
    bow2: dict[tuple, float] = {}
    for (u, v), ws in by_uv.items():
        s_hi = s_lo = 0.0
        for w in ws:
            p = mix3(u, v, w)
            p3[(u, v, w)] = p
            s_hi += p
            s_lo += back2(v, w)
        bow2[(u, v)] = max(1.0 - s_hi, 1e-6) / max(1.0 - s_lo, 1e-6)

    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"\\data\\\nngram 1={len(vocab) + 1}\nngram 2={len(p2)}\nngram 3={len(p3)}\n\n")
        f.write("\\1-grams:\n")
        for w in [BOS, *vocab]:
            b = bow1.get(w)
            tail = f"\t{math.log10(b):.4f}" if b is not None else ""
            f.write(f"{_fmt(p1[w])}\t{w}{tail}\n")
        f.write("\n\\2-grams:\n")
        for (v, w), p in sorted(p2.items()):
            b = bow2.get((v, w))
            tail = f"\t{math.log10(b):.4f}" if b is not None else ""
            f.write(f"{_fmt(p)}\t{v} {w}{tail}\n")
        f.write("\n\\3-grams:\n")
        for (u, v, w), p in sorted(p3.items()):
            f.write(f"{_fmt(p)}\t{u} {v} {w}\n")
        f.write("\n\\end\\\n")
    tmp.replace(out)
    return {"unigrams": len(vocab) + 1, "bigrams": len(p2), "trigrams": len(p3)}
