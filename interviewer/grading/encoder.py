"""One MiniLM forward pass per text gives both vectors the grader reads: the sentence vector and
the vectors of the text's content tokens (for BERTScore-style token recall).

Texts are encoded in one batch per call. Rubric texts are kept in memory and, with a
:class:`~interviewer.grading.embeddings.VectorCache`, on disk (answers never are).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from interviewer.grading import minilm
from interviewer.grading import text as tu

DIM = minilm.DIM
# The on-disk cache keeps a text with its token vectors under its own model name: the sentence
# vector (float32), the content-token vectors (float16: they are rounded to it as soon as they
# are computed, so a vector read from disk equals a fresh one) and their weights, in one blob.
# A text that needs only its sentence vector is cached under the plain model name.
CACHE_SUFFIX = "+tokens/v1"
VEC_SUFFIX = "+vec/v1"
_NO_TOKENS = np.zeros((0, DIM), np.float32)


@dataclass(frozen=True)
class Encoded:
    """One text's encoding."""

    vec: np.ndarray  # (384,) unit sentence vector
    tok: np.ndarray = field(default_factory=lambda: _NO_TOKENS)  # (m, 384) content tokens
    tok_w: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # (m,) rarity
    has_tokens: bool = True  # False: only the sentence vector was kept

    def sentence_only(self) -> Encoded:
        return Encoded(self.vec, has_tokens=False)

    def pack(self) -> np.ndarray:
        """The cache blob: vector, float16 token vectors, weights (viewed as float32)."""
        raw = (
            self.vec.astype(np.float32).tobytes()
            + self.tok.astype(np.float16).tobytes()
            + self.tok_w.astype(np.float32).tobytes()
        )
        return np.frombuffer(raw, np.float32)

    @classmethod
    def unpack(cls, flat: np.ndarray) -> Encoded:
        raw = np.asarray(flat, np.float32).tobytes()
        m = (len(raw) - 4 * DIM) // (2 * DIM + 4)
        vec = np.frombuffer(raw[: 4 * DIM], np.float32).copy()
        end = 4 * DIM + 2 * DIM * m
        tok = np.frombuffer(raw[4 * DIM : end], np.float16).astype(np.float32).reshape(m, DIM)
        return cls(vec, tok, np.frombuffer(raw[end:], np.float32).copy())


_SPECIAL = {"[CLS]", "[SEP]", "[PAD]"}


def _content_tokens(tokens: list[str]) -> tuple[np.ndarray, list[str]]:
    """Which wordpieces belong to content words (not stop words, not punctuation), and the whole
    word of each wordpiece."""
    words: list[str] = []
    owner: list[int] = []
    cur = -1
    for t in tokens:
        if t in _SPECIAL:
            owner.append(-1)
            continue
        if t.startswith("##") and cur >= 0:
            words[cur] += t[2:]
        else:
            words.append(t)
            cur = len(words) - 1
        owner.append(cur)
    word_of = [words[o] if o >= 0 else "" for o in owner]
    keep = np.fromiter((o >= 0 and _is_content(w) for o, w in zip(owner, word_of, strict=True)),
                       bool, len(tokens))  # fmt: skip
    return keep, word_of


_ALNUM = re.compile(r"[a-z0-9]")


@lru_cache(maxsize=65536)
def _is_content(word: str) -> bool:
    """Not a stop word, not punctuation."""
    return bool(_ALNUM.search(word)) and word not in tu.STOPWORDS


def minilm_encode(texts: list[str], batch_size: int = minilm.BATCH) -> list[Encoded]:
    """The bundled MiniLM on these texts (thread-safe)."""
    result = []
    for f in minilm.forward(texts, batch_size):
        keep, word_of = _content_tokens(f.tokens)
        T = f.token_embeddings[keep]
        T = T / np.maximum(np.linalg.norm(T, axis=1, keepdims=True), 1e-12)
        T = T.astype(np.float16)  # the precision they are cached in (see CACHE_SUFFIX)
        w = np.array([tu.rarity(word_of[i]) for i in np.flatnonzero(keep)], np.float32)
        v = f.sentence / max(float(np.linalg.norm(f.sentence)), 1e-12)
        result.append(Encoded(v.astype(np.float32), T.astype(np.float32).reshape(-1, DIM), w))
    return result


def encode_texts(embeddings, texts: list[str]) -> list[Encoded]:
    """Encode with ``embeddings`` (an object with ``encode_tokens``, or the bundled MiniLM's
    LangChain wrapper, whose ``calls`` counter is kept); the grader's features are fitted on
    MiniLM's token vectors, so other embedding models cannot stand in for it."""
    own = getattr(embeddings, "encode_tokens", None)
    if own is not None:
        return own(texts)
    from interviewer.grading.embeddings import MiniLMEmbeddings

    if not isinstance(embeddings, MiniLMEmbeddings):
        raise TypeError("the offline grader needs the bundled MiniLM (token vectors)")
    embeddings.calls += len(texts)
    return minilm_encode(texts, embeddings.batch_size)
