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
    BUILTIN_GUIDE_ID,
    guide_id,
    owned_guide_id,
    owner_tag,
    read_guide_text,
)
from interviewer.knowledge.store import client, collection, vectorstore

from interviewer.config import Settings
from interviewer.errors import GuideError
from interviewer.grading.embeddings import get_embeddings
from interviewer.markup import plural

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
    source: str = ""  # the file's name, as `mock-interview guides list` shows it
    # The file's absolute path, for a shared guide the operator ingested (so ingesting another
    # file of the same name is caught); "" for the built-in guide (package data, whose path
    # changes with the install) and for uploads (a temp copy).
    source_path: str = ""
    encoding: str | None = None  # what the text was read as; None for a PDF

    def chunk_metadata(self, chunk: Chunk) -> dict:
        """What Chroma stores beside the chunk's text and vector."""
        return {
            **chunk.metadata(),
            "owner": self.owner or "",
            "source": self.source,
            "source_path": self.source_path,
        }


@dataclass(frozen=True)
class IngestResult:
    guide: str
    added: int
    unchanged: int
    removed: int
    total: int
    encoding: str | None = "utf-8"  # the file was read as; "windows-1252" deserves a word

    def to_dict(self) -> dict:
        return {
            "guide": self.guide,
            "added": self.added,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "total": self.total,
            "encoding": self.encoding,
        }


def load_guide(
    path: Path | str, settings: Settings, owner: str | None = None, gid: str | None = None
) -> Guide:
    """Parse one guide file into chunks (no store access). With ``owner`` the guide is that
    user's (id ``<owner tag>/<slug>``); without, it is shared (id ``gid``, by default the file
    name's slug)."""
    path = Path(path)
    text, encoding = read_guide_text(path, settings)
    markdown = path.suffix.lower() in (".md", ".markdown")
    sections = parse_sections(text, markdown=markdown)
    if owner:
        gid = owned_guide_id(owner, path)
    gid = gid or guide_id(path)
    chunks = chunk_sections(
        sections, gid, chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap
    )
    if not chunks:
        raise GuideError(path, "empty: nothing left after cleaning")
    shared_file = not owner and not _is_builtin(path)
    return Guide(
        id=gid,
        path=str(path),
        chunks=chunks,
        owner=owner and owner_tag(owner),
        source=path.name,
        source_path=str(path.resolve()) if shared_file else "",
        encoding=encoding,
    )


def _is_builtin(path: Path) -> bool:
    return path.resolve() == BUILTIN_GUIDE.resolve()


@dataclass
class _Plan:
    guide: Guide
    new: list[Chunk]
    stale: list[str]
    unchanged: int
    # unchanged chunks whose file name or path changed (a replaced file, or chunks stored
    # before these were recorded): their metadata is rewritten, their vectors are kept
    retag: dict[str, dict]  # id -> the metadata it has now


def _plan(guide: Guide, settings: Settings) -> _Plan:
    got = vectorstore(settings).get(where={"guide": guide.id}, include=["metadatas"])
    existing = dict(zip(got["ids"], got["metadatas"], strict=True))
    wanted = {c.id for c in guide.chunks}
    new = [c for c in guide.chunks if c.id not in existing]
    retag = {
        c.id: existing[c.id]
        for c in guide.chunks
        if c.id in existing
        and any(existing[c.id].get(k) != v for k, v in guide.chunk_metadata(c).items())
    }
    return _Plan(guide, new, sorted(set(existing) - wanted), len(wanted & set(existing)), retag)


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
    retagged: list[dict[str, dict]] = []
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
                    metadatas=[plan.guide.chunk_metadata(c) for c in part],
                )
                added.extend(c.id for c in part)
                report(len(added) / todo, f"embedded {len(added):,} of {plural(todo, 'chunk')}")
        for plan in plans:
            current = plan.guide
            chunks = [c for c in plan.guide.chunks if c.id in plan.retag]
            for part in _batches(chunks, limit):
                retagged.append({c.id: plan.retag[c.id] for c in part})
                col.update(
                    ids=[c.id for c in part],
                    metadatas=[plan.guide.chunk_metadata(c) for c in part],
                )
            for ids in _batches(plan.stale, limit):
                dropped.append(col.get(ids=ids, include=["embeddings", "documents", "metadatas"]))
                col.delete(ids=ids)
    except BaseException as exc:
        _undo(col, added, dropped, retagged, limit)
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
            encoding=p.guide.encoding,
        )
        for p in plans
    ]


def _undo(
    col, added: list[str], dropped: list[dict], retagged: list[dict[str, dict]], limit: int
) -> None:
    """Remove the chunks this ingest added, restore the ones it dropped and the metadata of
    the ones it retagged."""
    try:
        for ids in _batches(added, limit):
            col.delete(ids=ids)
        for old in retagged:
            # Chroma merges an update into the metadata; a key set to None is removed.
            keys = ("owner", "source", "source_path")
            col.update(
                ids=list(old),
                metadatas=[{**dict.fromkeys(keys), **meta} for meta in old.values()],
            )
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
    as_id: str | None = None,
    replace: bool = False,
) -> list[IngestResult]:
    """Ingest guides (default: the built-in guide), shared or, with ``owner``, that user's.

    A shared guide's id is its file name's slug, or ``as_id`` (one file only). Re-ingesting the
    same file updates its guide in place; a different file whose id is taken is refused unless
    ``replace`` (see ``_check_ids``). All files are read and checked before anything is stored,
    and storing is all or nothing across the files: any failure leaves the store exactly as it
    was, with one GuideError. ``progress(fraction, message)`` is called as files are read and
    chunks are embedded.
    """
    paths = [Path(p) for p in (paths or [BUILTIN_GUIDE])]
    if as_id is not None and (len(paths) != 1 or owner):
        raise ValueError("as_id names one shared guide: give exactly one path and no owner")

    def report(fraction: float, message: str) -> None:
        if progress:
            progress(min(1.0, fraction), message)

    guides = []
    for i, path in enumerate(paths):
        report(READ_SHARE * i / len(paths), f"reading {path.name}")
        guides.append(load_guide(path, settings, owner=owner, gid=as_id))
    _check_ids(guides, settings, replace=replace)
    results = _store(guides, settings, lambda f, m: report(READ_SHARE + (1 - READ_SHARE) * f, m))
    report(1.0, "done")
    return results


def _check_ids(guides: list[Guide], settings: Settings, *, replace: bool) -> None:
    """Refuse, before anything is written, a guide that would silently take another's place:
    two files of this ingest with one id; a file other than the built-in guide under its id;
    and (unless ``replace``) a file whose id a different file's guide already has. Re-ingesting
    the same file, or chunks stored before file paths were recorded, go ahead."""
    seen: dict[str, Guide] = {}
    for guide in guides:
        if guide.id in seen:
            raise GuideError(
                guide.path,
                f"{seen[guide.id].path} is guide '{guide.id}' too; ingest them one at a time, "
                "one with --id NAME",
            )
        seen[guide.id] = guide
        if guide.owner:
            continue  # a user's own namespace: their re-upload replaces their guide
        if guide.id == BUILTIN_GUIDE_ID and guide.source_path:
            raise GuideError(
                guide.path,
                f"'{guide.id}' is the built-in guide's id; ingest this file under another id "
                "with --id NAME",
            )
        if replace or not guide.source_path:
            continue
        got = vectorstore(settings).get(where={"guide": guide.id}, include=["metadatas"])
        held = sorted({m.get("source_path") or "" for m in got["metadatas"]} - {""})
        if held and guide.source_path not in held:
            raise GuideError(
                guide.path,
                f"guide '{guide.id}' already holds another file, {held[0]}; add --replace to "
                "replace it with this one, or --id NAME to keep both",
            )


def delete_guide(guide: str, *, settings: Settings) -> int:
    """Remove every chunk of one guide and say how many there were (0: no such guide). The
    built-in guide is refused: every start of the app would build it again."""
    if guide == BUILTIN_GUIDE_ID:
        raise GuideError(
            guide,
            "the built-in guide cannot be deleted: the app and `mock-interview ingest` build it "
            "again at every start, and offline interviews ask from its question bank",
        )
    col = collection(settings)
    ids = col.get(where={"guide": guide}, include=[])["ids"]
    for part in _batches(ids, max(1, client(settings).get_max_batch_size())):
        col.delete(ids=part)
    return len(ids)


def ensure_builtin(*, settings: Settings) -> IngestResult | None:
    """Bring the built-in guide's chunks up to date (build them if missing, re-chunk if the
    chunking settings or the guide changed); None when nothing had to change. Unchanged
    chunks are never re-embedded, so this is cheap to call at every start."""
    result = ingest([BUILTIN_GUIDE], settings=settings)[0]
    return result if (result.added or result.removed) else None
