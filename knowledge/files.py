"""Guide files: which ones are accepted, how their text is read, and their ids."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from interviewer.config import Settings
from interviewer.errors import GuideError

BUILTIN_GUIDE = Path(
    str(resources.files("interviewer.knowledge") / "guides" / "persistent-systems-ml-engineer.txt")
)
SUPPORTED = {".txt", ".md", ".markdown", ".pdf"}


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


BUILTIN_GUIDE_ID = guide_id(BUILTIN_GUIDE)
