"""The Chroma collection that holds guide chunks: on local disk under the data dir, or on a
Chroma server (``INTERVIEWER_CHROMA_URL``) that several app replicas share."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import chromadb
import httpx
from chromadb.config import DEFAULT_DATABASE
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError, UniqueConstraintError
from langchain_chroma import Chroma

from interviewer.config import Settings
from interviewer.errors import ConfigError
from interviewer.grading.embeddings import get_embeddings

log = logging.getLogger(__name__)


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


# Telemetry off: the app makes no outbound request except to a configured LLM endpoint (and,
# when one is set, the Chroma server).
_CHROMA_SETTINGS = {"anonymized_telemetry": False, "allow_reset": False}
_CLIENT_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _local_client(path: str) -> chromadb.ClientAPI:
    return chromadb.PersistentClient(path=path, settings=ChromaSettings(**_CHROMA_SETTINGS))


def _server_address(url: str) -> tuple[str, int, bool, str]:
    """Host, port, TLS and database of ``http(s)://host:port[/database]``."""
    parts = urlsplit(url)
    ssl = parts.scheme == "https"
    try:
        port = parts.port or (443 if ssl else 8000)
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise ConfigError(f"INTERVIEWER_CHROMA_URL={url!r}: use http://host:port[/database]")
    return parts.hostname, port, ssl, parts.path.strip("/") or DEFAULT_DATABASE


def _ensure_database(host: str, port: int, ssl: bool, database: str) -> None:
    """Create the named database on the server unless it exists (replicas may race here)."""
    admin = chromadb.AdminClient(
        ChromaSettings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host=host,
            chroma_server_http_port=port,
            chroma_server_ssl_enabled=ssl,
            **_CHROMA_SETTINGS,
        )
    )
    try:
        admin.get_database(database)
    except NotFoundError:
        try:
            admin.create_database(database)
        except UniqueConstraintError:
            pass  # another replica created it a moment ago
    finally:
        # closing reaches into chromadb's internals: it must never hide the outcome above
        with contextlib.suppress(Exception):
            _close_http(admin)


def _close_http(chroma_client) -> None:
    """Release a Chroma HTTP client: its System, and the connections of its httpx sessions,
    which chromadb (1.5) leaves open even after ``close()`` (its FastAPI component has no
    ``stop`` that closes them): each one was a ResourceWarning at exit. A Client holds two
    sessions: its own, and its internal admin client's (a System of its own, since every HTTP
    client gets a fresh identifier), which checked the tenant and database at start."""
    sessions = [
        getattr(getattr(owner, "_server", None), "_session", None)
        for owner in (chroma_client, getattr(chroma_client, "_admin_client", None))
    ]
    close = getattr(chroma_client, "close", None)
    if close is not None:
        close()
    else:  # AdminClient has no close(); release its System as Client.close() does
        chroma_client._release_system(chroma_client._identifier)
    for session in sessions:
        if isinstance(session, httpx.Client):
            session.close()


_SERVER_CLIENTS: list[chromadb.ClientAPI] = []  # made by _server_client, closed by close_clients


@lru_cache(maxsize=8)
def _server_client(url: str) -> chromadb.ClientAPI:
    host, port, ssl, database = _server_address(url)
    try:
        if database != DEFAULT_DATABASE:
            _ensure_database(host, port, ssl, database)
        made = chromadb.HttpClient(
            host=host,
            port=port,
            ssl=ssl,
            database=database,
            settings=ChromaSettings(**_CHROMA_SETTINGS),
        )
        _SERVER_CLIENTS.append(made)
        return made
    except (ValueError, ConnectionError, ChromaError, httpx.HTTPError) as exc:
        # (a walk-through's unroutable address said only "ValueError")
        reason = (str(exc).strip().splitlines()[0] if str(exc).strip()
                  else "no answer (nothing listens there, or the address is not reachable)")
        raise ConfigError(
            f"cannot reach the Chroma server at INTERVIEWER_CHROMA_URL={url}: {reason} "
            "(start it with `chroma run --path DIR --port PORT`, or unset the variable to use "
            "the local store)"
        ) from None


def client(settings: Settings) -> chromadb.ClientAPI:
    """The Chroma client of these settings: the server at INTERVIEWER_CHROMA_URL when set
    (shared by every app replica), else a local store in the data dir."""
    # One client per store, built once: Chroma's client is not safe to construct from two
    # threads at once (two app events, or two ingests, on a cold start).
    with _CLIENT_LOCK:
        if settings.chroma_url:
            return _server_client(settings.chroma_url.rstrip("/"))
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return _local_client(str(settings.chroma_dir.resolve()))


def close_clients() -> None:
    """Close the Chroma server clients this process opened (the command line calls it as a
    command ends); the next ``client()`` opens a new one. Local stores stay open: they hold no
    socket, and closing one under a running app would break its open collections."""
    with _CLIENT_LOCK:
        _server_client.cache_clear()
        while _SERVER_CLIENTS:
            try:
                _close_http(_SERVER_CLIENTS.pop())
            except Exception:  # noqa: BLE001 - closing at exit must not hide the real outcome
                log.debug("closing a Chroma client failed", exc_info=True)


def collection_name(settings: Settings) -> str:
    """One collection per embedding space, so vectors of different models never mix."""
    if settings.embeddings == "minilm":
        return "guides_minilm"
    return "guides_" + re.sub(r"[^a-zA-Z0-9]+", "_", settings.embedding_model).strip("_")[:40]


def vectorstore(settings: Settings) -> Chroma:
    """The LangChain Chroma store; embeddings are ours, never Chroma's downloading default."""
    return Chroma(
        collection_name=collection_name(settings),
        embedding_function=get_embeddings(settings),
        client=client(settings),
        collection_metadata={"hnsw:space": "cosine"},
    )


def collection(settings: Settings) -> chromadb.Collection:
    """The raw Chroma collection (same one the LangChain store wraps), for adding our vectors."""
    vectorstore(settings)  # creates it with the right metadata if missing
    return client(settings).get_collection(collection_name(settings), embedding_function=None)


# Rows per Chroma read. A local store binds one SQL variable per row it reads metadata or text
# of, and SQLite takes at most 32,766: reading a 61,029-chunk upload in one get() failed with
# "too many SQL variables", and so did every guide listing after it. 5,000 rows is far below
# that and about Chroma's batch size (5,461 on a local store); a page of chunk metadata reads
# in about a third of a second here (2 cores), so pages cost little over one read.
READ_PAGE = 5_000


def read_all(
    settings: Settings, *, where: dict | None = None, include: Sequence[str] = ()
) -> dict[str, list]:
    """Every chunk that matches ``where`` (None: all), however many: ``ids`` and each field of
    ``include`` (``metadatas``, ``documents``, ``embeddings``) as lists, like Chroma's
    ``get``, read in pages of ``READ_PAGE``. Every read of the store that can return many
    chunks goes through here. A chunk is returned once, should a write meanwhile shift the
    pages."""
    col = collection(settings)
    out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    seen: set[str] = set()
    offset = 0
    while True:
        page = col.get(where=where, include=list(include), limit=READ_PAGE, offset=offset)
        for i, chunk_id in enumerate(page["ids"]):
            if chunk_id not in seen:
                seen.add(chunk_id)
                out["ids"].append(chunk_id)
                for key in include:
                    out[key].append(page[key][i])
        if len(page["ids"]) < READ_PAGE:
            return out
        offset += len(page["ids"])


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
