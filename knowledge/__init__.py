"""The interview guide as a knowledge base: ingest guides into Chroma and search them.

Importing the package is cheap (the question bank and the built-in guide are read from it as
package data); Chroma and the embeddings load on first use of a function below.
"""

from __future__ import annotations

import importlib

from interviewer.knowledge.files import BUILTIN_GUIDE, BUILTIN_GUIDE_ID, SUPPORTED, guide_id

from interviewer.errors import GuideError

_LAZY = {
    "Hit": "store",
    "IngestResult": "ingestion",
    "delete_guide": "ingestion",
    "ensure_builtin": "ingestion",
    "ingest": "ingestion",
    "guide_chunks": "retrieval",
    "list_guides": "retrieval",
    "search": "retrieval",
    "search_sections": "retrieval",
}

__all__ = [
    "BUILTIN_GUIDE",
    "BUILTIN_GUIDE_ID",
    "SUPPORTED",
    "GuideError",
    "guide_id",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
