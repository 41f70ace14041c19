"""Structure-aware chunking: sections first, then tokens, with round and topic metadata."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from interviewer.knowledge.clean import LABEL_LINE, Section
from langchain_text_splitters import RecursiveCharacterTextSplitter

from interviewer.tokens import ENCODING_NAME

# What the guide itself says each round covers: the first round is ML fundamentals and
# Python/data coding; the L2 round is real-time scenarios, architecture and MLOps.
ROUND_CUES = {
    "L1": [
        r"fundamental",
        r"theory",
        r"python",
        r"coding",
        r"data manipulation",
        r"data engineering",
        r"pandas",
        r"numpy",
        r"first round",
        r"\bl1\b",
        r"algorithms? and data structures",
    ],
    "L2": [
        r"real[- ]time",
        r"scenario",
        r"architect",
        r"system design",
        r"mlops",
        r"\bl2\b",
        r"deploy",
        r"scalab",
        r"production",
        r"stakeholder",
        r"behaviou?ral",
    ],
}
# In body text only an explicit mention of a round counts: "production" in an intro about the
# company does not make it an L2 section.
EXPLICIT_ROUND = {
    "L1": [r"first (round|phase|stage)", r"\bl1\b", r"round (1|one)"],
    "L2": [r"\bl2\b", r"second (round|phase|stage)", r"round (2|two)"],
}


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a guide."""

    id: str
    guide: str
    section: str
    round: str
    topic: str
    text: str
    position: int

    @property
    def embed_text(self) -> str:
        """What is embedded: the section path, then the text."""
        return f"{self.section}\n{self.text}"

    def metadata(self) -> dict:
        """Chroma metadata (flat, scalar values only)."""
        return {
            "guide": self.guide,
            "section": self.section,
            "round": self.round,
            "topic": self.topic,
            "position": self.position,
        }


def _cue_hits(text: str, round_name: str, cues: dict = ROUND_CUES) -> int:
    return sum(1 for cue in cues[round_name] if re.search(cue, text, re.I))


def round_of(section: Section) -> str:
    """L1, L2 or general, from the section's headings (or, failing those, what its intro says)."""
    for title in reversed(section.path):  # the most specific heading decides
        l1, l2 = _cue_hits(title, "L1"), _cue_hits(title, "L2")
        if l1 != l2:
            return "L1" if l1 > l2 else "L2"
    intro = " ".join(section.lines[:2])
    l1, l2 = _cue_hits(intro, "L1", EXPLICIT_ROUND), _cue_hits(intro, "L2", EXPLICIT_ROUND)
    if (l1 == 0) != (l2 == 0):  # only one round named: the section is about that round
        return "L1" if l1 else "L2"
    return "general"


def topic_of(section: Section) -> str:
    """The section's own title (its most specific heading), or 'introduction'."""
    return section.path[-1] if section.path else "introduction"


def stable_id(guide: str, section: str, text: str) -> str:
    """Hash of guide id, section path and text: unchanged text keeps its id across ingests."""
    digest = hashlib.sha256(f"{guide}\x1f{section}\x1f{text}".encode()).hexdigest()
    return digest[:32]


def _section_text(section: Section) -> str:
    # A blank line before each label keeps "Be ready to go over:" blocks apart for the splitter.
    blocks: list[str] = []
    for line in section.lines:
        if LABEL_LINE.match(line) and blocks:
            blocks.append("")
        blocks.append(line)
    return "\n".join(blocks)


def chunk_sections(
    sections: list[Section],
    guide: str,
    *,
    chunk_tokens: int,
    overlap: int,
    limit: int | None = None,
) -> list[Chunk]:
    """Chunks of every section, split by tokens with a little overlap; ids are stable. With
    ``limit``, chunking stops once there are more than ``limit``: the caller refuses such a
    guide, and chunking all of a 9 MB one took 9 s for nothing."""
    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=ENCODING_NAME,
        chunk_size=chunk_tokens,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", " ", ""],
        # a split at ". " keeps the full stop with the sentence it ends: kept at the start of
        # the next chunk (the default), a walk-through's section read "... in a few
        # milliseconds\n. A materialisation job ..." and its key point had no full stop
        keep_separator="end",
    )
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        if limit is not None and len(chunks) > limit:
            break
        body = _section_text(section)
        if not body.strip():
            continue
        title = section.title or "Introduction"
        for piece in splitter.split_text(body):
            piece = piece.strip()
            cid = stable_id(guide, title, piece)
            if not piece or cid in seen:
                continue
            seen.add(cid)
            chunks.append(
                Chunk(
                    id=cid,
                    guide=guide,
                    section=title,
                    round=round_of(section),
                    topic=topic_of(section),
                    text=piece,
                    position=len(chunks),
                )
            )
    return chunks
