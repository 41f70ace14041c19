"""Retrieval from the guides in Chroma: chunks, sections, and what each guide holds."""

from __future__ import annotations

import numpy as np
from interviewer.knowledge.files import BUILTIN_GUIDE_ID
from interviewer.knowledge.store import Hit, hit_from, read_all, vectorstore, where_filter

from interviewer.config import Settings
from interviewer.grading.embeddings import get_embeddings

ROUNDS = ("L1", "L2")


def search(
    query: str,
    k: int = 4,
    round: str | None = None,
    guide: str | None = None,
    *,
    settings: Settings,
) -> list[Hit]:
    """The ``k`` chunks closest to ``query``, optionally only of one round and/or guide."""
    if round is not None and round not in ROUNDS and round != "general":
        raise ValueError(f"round must be L1, L2 or general, not {round!r}")
    if k < 1:
        raise ValueError("k must be at least 1")
    if not query.strip():
        return []
    pairs = vectorstore(settings).similarity_search_with_score(
        query, k=k, filter=where_filter(round=round, guide=guide)
    )
    # Chroma's cosine space returns a distance; 1 - distance is the cosine similarity.
    return [hit_from(doc.id, doc.page_content, doc.metadata, 1.0 - dist) for doc, dist in pairs]


def search_sections(
    query: str | list[str],
    k: int = 3,
    round: str | None = None,
    guide: str | None = None,
    *,
    settings: Settings,
) -> list[tuple[str, float]]:
    """The ``k`` guide sections that best match ``query``, best first, as (section, score).

    A section scores by its best chunk plus half its similarity to the section as a whole (the
    mean of its chunk vectors), so one stray chunk does not outrank a section about the topic.
    With ``round``, sections of the other round are left out (general ones stay). ``query`` may
    be several texts (a question and its key points): they are embedded together.
    """
    texts = [query] if isinstance(query, str) else list(query)
    text = " ".join(t for t in texts if t and t.strip())
    if not text:
        return []
    rounds = [round, "general"] if round else None
    clauses = [
        c
        for c in (
            {"round": {"$in": rounds}} if rounds else None,
            {"guide": guide} if guide else None,
        )
        if c
    ]
    where = None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
    got = read_all(settings, where=where, include=["embeddings", "metadatas"])
    if not got["ids"]:
        return []
    vectors = np.asarray(got["embeddings"], dtype=np.float32)
    q = np.asarray(get_embeddings(settings).embed_query(text), dtype=np.float32)
    sims = vectors @ q
    by_section: dict[str, list[int]] = {}
    for i, meta in enumerate(got["metadatas"]):
        by_section.setdefault(meta["section"], []).append(i)
    scored = []
    for section, rows in by_section.items():
        centre = vectors[rows].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        scored.append((section, float(sims[rows].max() + 0.5 * centre @ q)))
    scored.sort(key=lambda x: -x[1])
    return scored[:k]


def guide_chunks(guide: str, *, settings: Settings) -> list[Hit]:
    """Every chunk of one guide, in document order."""
    got = read_all(settings, where={"guide": guide}, include=["documents", "metadatas"])
    hits = [
        hit_from(i, doc, meta, 1.0)
        for i, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    ]
    order = {
        i: meta.get("position", 0) for i, meta in zip(got["ids"], got["metadatas"], strict=True)
    }
    return sorted(hits, key=lambda h: order[h.id])


def list_guides(*, settings: Settings) -> list[dict]:
    """Ingested guides, the built-in one first: id, the file it came from (``source``, its
    name; ``source_path``, for a shared guide the operator ingested), the uploader's namespace
    (``owner``, "" for a shared guide), chunk count and sections. Chunks stored before file
    names were recorded have "" for both."""
    guides: dict[str, dict] = {}
    # each guide's sections in the order first seen, in a dict: testing a list for each chunk
    # is quadratic in a guide of one-chunk sections (a 61,029-chunk upload had that many)
    sections: dict[str, dict[str, None]] = {}
    for meta in read_all(settings, include=["metadatas"])["metadatas"]:
        g = guides.setdefault(
            meta["guide"],
            {
                "guide": meta["guide"],
                "source": meta.get("source") or "",
                "source_path": meta.get("source_path") or "",
                "owner": meta.get("owner") or "",
                "chunks": 0,
                "sections": [],
            },
        )
        g["chunks"] += 1
        sections.setdefault(meta["guide"], {})[meta["section"]] = None
    for gid, g in guides.items():
        g["sections"] = list(sections[gid])
    return sorted(guides.values(), key=lambda g: (g["guide"] != BUILTIN_GUIDE_ID, g["guide"]))
