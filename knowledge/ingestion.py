"""Turn guide files into chunks and load them into Chroma, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interviewer.knowledge.chunk import Chunk, chunk_sections
from interviewer.knowledge.clean import parse_sections
from interviewer.knowledge.files import BUILTIN_GUIDE, guide_id, read_text
from interviewer.knowledge.store import collection, vectorstore

from interviewer.config import Settings
from interviewer.errors import GuideError
from interviewer.grading.embeddings import get_embeddings


@dataclass(frozen=True)
class Guide:
    """A parsed guide ready to store."""

    id: str
    path: str
    chunks: list[Chunk]


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


def load_guide(path: Path | str, settings: Settings) -> Guide:
    """Parse one guide file into chunks (no store access)."""
    path = Path(path)
    text = read_text(path, settings)
    markdown = path.suffix.lower() in (".md", ".markdown")
    sections = parse_sections(text, markdown=markdown)
    gid = guide_id(path)
    chunks = chunk_sections(
        sections, gid, chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap
    )
    if not chunks:
        raise GuideError(path, "empty: nothing left after cleaning")
    return Guide(id=gid, path=str(path), chunks=chunks)


def store_guide(guide: Guide, settings: Settings) -> IngestResult:
    """Add the guide's new chunks and drop its stale ones; unchanged chunks are not re-embedded."""
    store = vectorstore(settings)
    existing = set(store.get(where={"guide": guide.id}, include=[])["ids"])
    wanted = {c.id for c in guide.chunks}
    new = [c for c in guide.chunks if c.id not in existing]
    stale = sorted(existing - wanted)
    if new:
        # Each chunk is embedded with its section path in front (a contextual header), so a
        # question about "ML fundamentals" finds that section even where its text is terse.
        vectors = get_embeddings(settings).embed_documents([c.embed_text for c in new])
        collection(settings).add(  # our own vectors: Chroma's downloading default is never used
            ids=[c.id for c in new],
            embeddings=vectors,
            documents=[c.text for c in new],
            metadatas=[c.metadata() for c in new],
        )
    if stale:
        store.delete(ids=stale)
    return IngestResult(
        guide=guide.id,
        added=len(new),
        unchanged=len(wanted & existing),
        removed=len(stale),
        total=len(wanted),
    )


def ingest(
    paths: list[Path | str] | None = None,
    *,
    settings: Settings,
    progress: Callable[[float, str], None] | None = None,
) -> list[IngestResult]:
    """Ingest guides (default: the built-in guide). All files are validated before any is stored,
    so one bad file leaves the store exactly as it was."""
    paths = [Path(p) for p in (paths or [BUILTIN_GUIDE])]
    guides = []
    for i, path in enumerate(paths):
        if progress:
            progress(i / (2 * len(paths)), f"reading {path.name}")
        guides.append(load_guide(path, settings))
    results = []
    for i, guide in enumerate(guides):
        if progress:
            progress(0.5 + i / (2 * len(guides)), f"embedding {guide.id}")
        results.append(store_guide(guide, settings))
    if progress:
        progress(1.0, "done")
    return results


def ensure_builtin(*, settings: Settings) -> IngestResult | None:
    """Bring the built-in guide's chunks up to date (build them if missing, re-chunk if the
    chunking settings or the guide changed); None when nothing had to change. Unchanged
    chunks are never re-embedded, so this is cheap to call at every start."""
    result = ingest([BUILTIN_GUIDE], settings=settings)[0]
    return result if (result.added or result.removed) else None
