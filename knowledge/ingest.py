"""Read guide files (.txt, .md, .pdf), validate them, and load their chunks into Chroma."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interviewer.config import Settings
from interviewer.embeddings import get_embeddings
from knowledge.chunk import Chunk, chunk_sections
from knowledge.clean import parse_sections
from knowledge.store import collection, vectorstore

GUIDES_DIR = Path(__file__).resolve().parent / "guides"
BUILTIN_GUIDE = GUIDES_DIR / "persistent-systems-ml-engineer.txt"
SUPPORTED = {".txt", ".md", ".markdown", ".pdf"}


class GuideError(ValueError):
    """A guide file that cannot be ingested; the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


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


def guide_id(path: Path) -> str:
    """A guide's id: its file name without extension, as a slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    return slug or "guide"


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise GuideError(path, f"not a readable PDF ({exc.__class__.__name__})") from None


def read_text(path: Path, settings: Settings) -> str:
    """The text of a guide file, or GuideError for empty, binary, unsupported or oversized files."""
    if not path.exists():
        raise GuideError(path, "no such file")
    if not path.is_file():
        raise GuideError(path, "not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise GuideError(path, f"unsupported file type {suffix or '(none)'}; use .txt, .md or .pdf")
    size = path.stat().st_size
    if size > settings.max_guide_bytes:
        raise GuideError(
            path, f"too large ({size / 1048576:.1f} MB; the limit is {settings.max_guide_mb:g} MB)"
        )
    if size == 0:
        raise GuideError(path, "empty file")
    if suffix == ".pdf":
        text = _read_pdf(path)
    else:
        data = path.read_bytes()
        if b"\x00" in data[:65536]:
            raise GuideError(path, "binary file, not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise GuideError(path, "binary file or not UTF-8 text") from None
    if not text.strip():
        raise GuideError(path, "empty: no text in it")
    return text


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
    settings: Settings | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> list[IngestResult]:
    """Ingest guides (default: the built-in guide). All files are validated before any is stored,
    so one bad file leaves the store exactly as it was."""
    settings = settings or Settings.from_env()
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
