"""Turn guide files into chunks and load them into Chroma, idempotently and all or nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interviewer.knowledge.chunk import Chunk, chunk_sections
from interviewer.knowledge.clean import parse_sections
from interviewer.knowledge.files import (
    BUILTIN_GUIDE,
    guide_id,
    owned_guide_id,
    owner_tag,
    read_text,
)
from interviewer.knowledge.store import client, collection, vectorstore

from interviewer.config import Settings
from interviewer.errors import GuideError
from interviewer.grading.embeddings import get_embeddings

log = logging.getLogger(__name__)
READ_SHARE = 0.1  # of the progress bar: reading and chunking; the rest is embedding


EMBED_BATCH = 256  # chunks embedded and written per step: progress moves, memory stays flat


@dataclass(frozen=True)
class Guide:
    """A parsed guide ready to store."""

    id: str
    path: str
    chunks: list[Chunk]
    owner: str | None = None  # the uploader's namespace; None for a shared guide


@dataclass(frozen=True)
class IngestResult:
    guide: str
    added: int
    unchanged: int
    removed: int
    total: int

    def to_dict(self) -> dict:
        return {
            "guide": self.guide,
            "added": self.added,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "total": self.total,
        }


def load_guide(path: Path | str, settings: Settings, owner: str | None = None) -> Guide:
    """Parse one guide file into chunks (no store access). With ``owner`` the guide is that
    user's (id ``<owner tag>/<slug>``); without, it is shared (id ``<slug>``)."""
    path = Path(path)
    text = read_text(path, settings)
    markdown = path.suffix.lower() in (".md", ".markdown")
    sections = parse_sections(text, markdown=markdown)
    gid = owned_guide_id(owner, path) if owner else guide_id(path)
    chunks = chunk_sections(
        sections, gid, chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap
    )
    if not chunks:
        raise GuideError(path, "empty: nothing left after cleaning")
    return Guide(id=gid, path=str(path), chunks=chunks, owner=owner and owner_tag(owner))


@dataclass
class _Plan:
    guide: Guide
    new: list[Chunk]
    stale: list[str]
    unchanged: int


def _plan(guide: Guide, settings: Settings) -> _Plan:
    existing = set(vectorstore(settings).get(where={"guide": guide.id}, include=[])["ids"])
    wanted = {c.id for c in guide.chunks}
    new = [c for c in guide.chunks if c.id not in existing]
    return _Plan(guide, new, sorted(existing - wanted), len(wanted & existing))


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _store(
    guides: list[Guide], settings: Settings, report: Callable[[float, str], None]
) -> list[IngestResult]:
    """Write every guide's new chunks, then drop their stale ones, in batches Chroma accepts
    (its max batch size: 5,461 on a local store). All or nothing: on any failure, what was
    added is removed and what was dropped is put back, and one GuideError says why."""
    plans = [_plan(g, settings) for g in guides]
    todo = sum(len(p.new) for p in plans)
    limit = max(1, client(settings).get_max_batch_size())
    col = collection(settings)
    added: list[str] = []
    dropped: list[dict] = []
    current = plans[0].guide if plans else None
    try:
        for plan in plans:
            current = plan.guide
            for part in _batches(plan.new, min(EMBED_BATCH, limit)):
                # Each chunk is embedded with its section path in front (a contextual header),
                # so a question about "ML fundamentals" finds that section where its text is
                # terse. Our own vectors: Chroma's default embedder is never used.
                vectors = get_embeddings(settings).embed_documents([c.embed_text for c in part])
                # upsert, not add: replicas that start together ingest the same chunks (stable
                # ids) at once, and the second write must change nothing rather than fail.
                col.upsert(
                    ids=[c.id for c in part],
                    embeddings=vectors,
                    documents=[c.text for c in part],
                    metadatas=[{**c.metadata(), "owner": plan.guide.owner or ""} for c in part],
                )
                added.extend(c.id for c in part)
                report(len(added) / todo, f"embedded {len(added):,} of {todo:,} chunks")
        for plan in plans:
            current = plan.guide
            for ids in _batches(plan.stale, limit):
                dropped.append(col.get(ids=ids, include=["embeddings", "documents", "metadatas"]))
                col.delete(ids=ids)
    except BaseException as exc:
        _undo(col, added, dropped, limit)
        if isinstance(exc, GuideError) or not isinstance(exc, Exception):
            raise
        raise GuideError(
            current.path if current else "guide",
            f"could not be stored ({exc.__class__.__name__}); the knowledge base is unchanged",
        ) from None
    return [
        IngestResult(
            guide=p.guide.id,
            added=len(p.new),
            unchanged=p.unchanged,
            removed=len(p.stale),
            total=len(p.guide.chunks),
        )
        for p in plans
    ]


def _undo(col, added: list[str], dropped: list[dict], limit: int) -> None:
    """Remove the chunks this ingest added and restore the ones it dropped."""
    try:
        for ids in _batches(added, limit):
            col.delete(ids=ids)
        for got in dropped:
            col.upsert(
                ids=got["ids"],
                embeddings=got["embeddings"],
                documents=got["documents"],
                metadatas=got["metadatas"],
            )
    except Exception:  # noqa: BLE001 - the original error is the one to report
        log.exception("rolling back a failed ingest failed")


def store_guide(
    guide: Guide, settings: Settings, progress: Callable[[float, str], None] | None = None
) -> IngestResult:
    """Add the guide's new chunks and drop its stale ones; unchanged chunks are not re-embedded.
    All or nothing (see ``_store``)."""
    return _store([guide], settings, progress or (lambda f, m: None))[0]


def ingest(
    paths: list[Path | str] | None = None,
    *,
    settings: Settings,
    progress: Callable[[float, str], None] | None = None,
    owner: str | None = None,
) -> list[IngestResult]:
    """Ingest guides (default: the built-in guide), shared or, with ``owner``, that user's.

    All files are read and checked before anything is stored, and storing is all or nothing
    across the files: any failure leaves the store exactly as it was, with one GuideError.
    ``progress(fraction, message)`` is called as files are read and chunks are embedded.
    """
    paths = [Path(p) for p in (paths or [BUILTIN_GUIDE])]

    def report(fraction: float, message: str) -> None:
        if progress:
            progress(min(1.0, fraction), message)

    guides = []
    for i, path in enumerate(paths):
        report(READ_SHARE * i / len(paths), f"reading {path.name}")
        guides.append(load_guide(path, settings, owner=owner))
    results = _store(guides, settings, lambda f, m: report(READ_SHARE + (1 - READ_SHARE) * f, m))
    report(1.0, "done")
    return results


def ensure_builtin(*, settings: Settings) -> IngestResult | None:
    """Bring the built-in guide's chunks up to date (build them if missing, re-chunk if the
    chunking settings or the guide changed); None when nothing had to change. Unchanged
    chunks are never re-embedded, so this is cheap to call at every start."""
    result = ingest([BUILTIN_GUIDE], settings=settings)[0]
    return result if (result.added or result.removed) else None
