"""The Chroma collection that holds guide chunks, on local disk under the data dir."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from interviewer.config import Settings
from interviewer.grading.embeddings import get_embeddings


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its similarity score (cosine, higher is closer)."""

    id: str
    score: float
    guide: str
    section: str
    round: str
    topic: str
    text: str

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "guide": self.guide,
            "section": self.section,
            "round": self.round,
            "topic": self.topic,
            "text": self.text,
        }


@lru_cache(maxsize=8)
def _client(path: str) -> chromadb.ClientAPI:
    # Telemetry off: the app makes no outbound request except to a configured LLM endpoint.
    return chromadb.PersistentClient(
        path=path, settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


def collection_name(settings: Settings) -> str:
    """One collection per embedding space, so vectors of different models never mix."""
    if settings.embeddings == "minilm":
        return "guides_minilm"
    return "guides_" + re.sub(r"[^a-zA-Z0-9]+", "_", settings.embedding_model).strip("_")[:40]


def vectorstore(settings: Settings) -> Chroma:
    """The LangChain Chroma store; embeddings are ours, never Chroma's downloading default."""
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return Chroma(
        collection_name=collection_name(settings),
        embedding_function=get_embeddings(settings),
        client=_client(str(settings.chroma_dir.resolve())),
        collection_metadata={"hnsw:space": "cosine"},
    )


def collection(settings: Settings) -> chromadb.Collection:
    """The raw Chroma collection (same one the LangChain store wraps), for adding our vectors."""
    vectorstore(settings)  # creates it with the right metadata if missing
    return _client(str(settings.chroma_dir.resolve())).get_collection(
        collection_name(settings), embedding_function=None
    )


def hit_from(doc_id: str, text: str, meta: dict, score: float) -> Hit:
    """A Hit from Chroma's id, document and metadata."""
    return Hit(
        id=doc_id,
        score=float(score),
        guide=meta.get("guide", ""),
        section=meta.get("section", ""),
        round=meta.get("round", "general"),
        topic=meta.get("topic", ""),
        text=text,
    )


def where_filter(*, round: str | None = None, guide: str | None = None) -> dict | None:
    """Chroma ``where`` clause for optional round and guide filters."""
    clauses = [{key: value} for key, value in (("round", round), ("guide", guide)) if value]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
