"""Turn guide files into chunks and load them into Chroma, idempotently and all or nothing."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as replace_fields
from pathlib import Path

from interviewer.knowledge.chunk import Chunk, chunk_sections
from interviewer.knowledge.clean import parse_sections
from interviewer.knowledge.files import (
    BUILTIN_GUIDE,
    BUILTIN_GUIDE_ID,
    guide_id,
    legacy_guide_id,
    name_hash,
    owned_guide_id,
    owner_tag,
    read_guide_text,
)
from interviewer.knowledge.store import READ_PAGE, client, collection, read_all

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
    # An upload whose file-name id another file of the uploader's holds gets an id of its own
    # (``upload_id``): the id its name gave, and the file that guide holds. Not in to_dict:
    # the command line's shared guides are refused instead (``_check_ids``).
    wanted: str | None = None
    taken_by: str | None = None

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
    user's (id ``gid``, by default ``<owner tag>/<slug>``); without, it is shared (id ``gid``,
    by default the file name's slug)."""
    path = Path(path)
    text, encoding = read_guide_text(path, settings)
    markdown = path.suffix.lower() in (".md", ".markdown")
    sections = parse_sections(text, markdown=markdown)
    gid = gid or (owned_guide_id(owner, path) if owner else guide_id(path))
    limit = None if _is_builtin(path) else settings.max_guide_chunks
    chunks = chunk_sections(
        sections,
        gid,
        chunk_tokens=settings.chunk_tokens,
        overlap=settings.chunk_overlap,
        limit=limit,
    )
    if not chunks:
        raise GuideError(path, "empty: nothing left after cleaning")
    _check_chunk_count(path, len(chunks), settings)
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


def _check_chunk_count(path: Path | str, count: int, settings: Settings) -> None:
    """Refuse a guide of more chunks than INTERVIEWER_MAX_GUIDE_CHUNKS (the built-in guide is
    ours, and never is): a 9 MB upload of tiny sections made 61,029 chunks and took ten
    minutes to embed. Called before anything is embedded or written."""
    limit = settings.max_guide_chunks
    if count > limit and not _is_builtin(Path(path)):
        raise GuideError(
            path,
            f"too many pieces: it would make more than {limit:,} chunks, the most one guide "
            "may have (INTERVIEWER_MAX_GUIDE_CHUNKS); split it into smaller guides",
        )


@dataclass
class _Plan:
    guide: Guide
    new: list[Chunk]
    stale: list[str]
    unchanged: int
    # unchanged chunks whose file name or path changed (a replaced file, or chunks stored
    # before these were recorded): their metadata is rewritten, their vectors are kept
    retag: dict[str, dict]  # id -> the metadata it has now


def _held(gid: str, settings: Settings) -> list[dict] | None:
    """The metadata of guide ``gid``'s chunks, or None when no guide has that id."""
    got = read_all(settings, where={"guide": gid}, include=["metadatas"])
    return got["metadatas"] if got["ids"] else None


def _same_name(a: str, b: str) -> bool:
    # a Mac's browser may send a name decomposed (NFD) that another sent composed
    return unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


MAX_SUFFIX = 99  # "-2" to "-99"; past that an upload's id ends in a hash of its file name


def upload_id(
    owner: str, name: str, settings: Settings, claimed: frozenset[str] = frozenset()
) -> tuple[str, str | None]:
    """The id of ``owner``'s upload of a file called ``name``, and the file name that holds the
    id its name gives (None when the upload takes that id). A re-upload of the same file name
    replaces its guide, also one stored under the id ``legacy_guide_id`` gave or under a
    ``-2`` this gave it; a different file whose name gives the same id (``notes.txt`` after
    ``notes.md``, ``Notes.md``) gets the first free ``-2``, ``-3`` ... rather than silently
    replacing it. Ids in ``claimed`` (this ingest's other files) count as taken."""
    tag = owner_tag(owner)
    base = owned_guide_id(owner, name)
    legacy = f"{tag}/{legacy_guide_id(name)}"
    candidates = [base, *(f"{base}-{n}" for n in range(2, MAX_SUFFIX + 1))]
    candidates.append(f"{base}-{name_hash(name)}")
    mine: dict[str, set[str] | None] = {}  # the uploader's guides -> the file names they hold
    for meta in read_all(settings, where={"owner": tag}, include=["metadatas"])["metadatas"]:
        mine.setdefault(meta["guide"], set()).add(meta.get("source") or "")

    def sources(gid: str) -> set[str] | None:
        """The file names guide ``gid`` holds ("" for chunks stored before names were), or
        None when there is no such guide (chunks stored before owners were are asked for)."""
        if gid not in mine:
            held = _held(gid, settings)
            mine[gid] = None if held is None else {m.get("source") or "" for m in held}
        return mine[gid]

    # the guide this file name made before, wherever it is (the two ids it may have without
    # a suffix are asked for; a suffixed one was made with its owner recorded)
    for gid in [legacy, *candidates]:
        held = sources(gid) if gid in (legacy, base) else mine.get(gid)
        if gid not in claimed and any(_same_name(s, name) for s in held or ()):
            return gid, None
    taken_by = None
    for gid in candidates:
        if gid in claimed:
            continue
        held = sources(gid)
        # free, or chunks stored before file names were recorded (replaced, as always)
        if not held or held == {""}:
            return gid, taken_by
        taken_by = taken_by or sorted(held - {""})[0]
    raise GuideError(name, f"{len(candidates)} guides of yours have ids like {base}: delete some")


def _shared_id(path: Path, settings: Settings) -> str:
    """A shared guide's id: the file name's slug, or the id ``legacy_guide_id`` gave when the
    guide stored under it came from this very file (so ingesting it again updates it)."""
    gid, legacy = guide_id(path), legacy_guide_id(path)
    if legacy != gid and not _is_builtin(path):
        held = _held(legacy, settings) or []
        if str(path.resolve()) in {m.get("source_path") or "" for m in held}:
            return legacy
    return gid


def _plan(guide: Guide, settings: Settings) -> _Plan:
    got = read_all(settings, where={"guide": guide.id}, include=["metadatas"])
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
    added is removed and what was dropped is put back, and one GuideError says why. A guide of
    more chunks than INTERVIEWER_MAX_GUIDE_CHUNKS is refused first, however it was made."""
    for guide in guides:
        _check_chunk_count(guide.path, len(guide.chunks), settings)
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
            for ids in _batches(plan.stale, min(limit, READ_PAGE)):  # a read: READ_PAGE's why
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
    ``replace`` (see ``_check_ids``). An upload (``owner``) of a file name another of the user's
    files holds gets an id of its own (``upload_id``). All files are read and checked before
    anything is stored, and storing is all or nothing across the files: any failure leaves the
    store exactly as it was, with one GuideError. ``progress(fraction, message)`` is called as
    files are read and chunks are embedded.
    """
    paths = [Path(p) for p in (paths or [BUILTIN_GUIDE])]
    if as_id is not None and (len(paths) != 1 or owner):
        raise ValueError("as_id names one shared guide: give exactly one path and no owner")

    def report(fraction: float, message: str) -> None:
        if progress:
            progress(min(1.0, fraction), message)

    guides = []
    moved: dict[str, tuple[str, str | None]] = {}  # an upload's id -> (its name's id, taken by)
    for i, path in enumerate(paths):
        report(READ_SHARE * i / len(paths), f"reading {path.name}")
        gid = as_id
        if owner:
            claimed = frozenset(g.id for g in guides)
            gid, taken_by = upload_id(owner, path.name, settings, claimed)
            moved[gid] = (owned_guide_id(owner, path), taken_by)
        elif gid is None:
            gid = _shared_id(path, settings)
        guides.append(load_guide(path, settings, owner=owner, gid=gid))
    _check_ids(guides, settings, replace=replace)
    results = _store(guides, settings, lambda f, m: report(READ_SHARE + (1 - READ_SHARE) * f, m))
    report(1.0, "done")
    return [
        replace_fields(r, wanted=moved[r.guide][0], taken_by=moved[r.guide][1])
        if r.guide in moved and moved[r.guide][1] is not None
        else r
        for r in results
    ]


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
        got = read_all(settings, where={"guide": guide.id}, include=["metadatas"])
        held = sorted({m.get("source_path") or "" for m in got["metadatas"]} - {""})
        if held and guide.source_path not in held:
            raise GuideError(
                guide.path,
                f"guide '{guide.id}' already holds another file, {held[0]}; add --replace to "
                "replace it with this one, or --id NAME to keep both",
            )


def delete_guide(guide: str, *, settings: Settings) -> int:
    """Remove every chunk of one guide and say how many there were (0: no such guide), in
    batches Chroma accepts, however many (a guide stored past today's chunk limit too). The
    built-in guide is refused: every start of the app would build it again."""
    if guide == BUILTIN_GUIDE_ID:
        raise GuideError(
            guide,
            "the built-in guide cannot be deleted: the app and `mock-interview ingest` build it "
            "again at every start, and offline interviews ask from its question bank",
        )
    col = collection(settings)
    ids = read_all(settings, where={"guide": guide})["ids"]
    for part in _batches(ids, max(1, client(settings).get_max_batch_size())):
        col.delete(ids=part)
    return len(ids)


def ensure_builtin(*, settings: Settings) -> IngestResult | None:
    """Bring the built-in guide's chunks up to date (build them if missing, re-chunk if the
    chunking settings or the guide changed); None when nothing had to change. Unchanged
    chunks are never re-embedded, so this is cheap to call at every start."""
    result = ingest([BUILTIN_GUIDE], settings=settings)[0]
    return result if (result.added or result.removed) else None
