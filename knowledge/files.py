"""Guide files: which ones are accepted, how their text is read, and their ids."""

from __future__ import annotations

import hashlib
import logging
import re
from importlib import resources
from pathlib import Path

from interviewer.config import Settings
from interviewer.errors import GuideError

BUILTIN_GUIDE = Path(
    str(resources.files("interviewer.knowledge") / "guides" / "persistent-systems-ml-engineer.txt")
)
SUPPORTED = {".txt", ".md", ".markdown", ".pdf"}


# A PDF's text may be at most this many times the file size cap: a small PDF that inflates to
# far more text than any real guide is a decompression bomb, not a guide.
PDF_TEXT_FACTOR = 4

# Why a PDF could not be read, in the uploader's words: a walk-through read "not a readable PDF
# (PdfStreamError)", pypdf's class name. The class and pypdf's message go to the log instead.
PDF_DAMAGED = (
    "the file is damaged or not really a PDF; export it as PDF again, or save its text as .txt"
)
PDF_LOCKED = "the PDF is password-protected; save a copy without the password, or its text as .txt"

log = logging.getLogger(__name__)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def guide_id(path: Path) -> str:
    """A shared guide's id: its file name without extension, as a slug (never holds a '/')."""
    return _slug(path.stem) or "guide"


def owner_tag(user: str) -> str:
    """The namespace of a user's guides: the user name when it is already a slug, else its slug
    and a short hash (so 'Ana' and 'ana' never share a namespace)."""
    slug = _slug(user) or "user"
    if slug == user:
        return slug
    return f"{slug}-{hashlib.sha256(user.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def owned_guide_id(owner: str, path: Path) -> str:
    """The id of a guide ``owner`` uploaded: ``<owner tag>/<file-name slug>``, so two users'
    guides of the same file name never collide, and nobody else's upload can replace it."""
    return f"{owner_tag(owner)}/{guide_id(path)}"


def guide_visible(guide: str, user: str) -> bool:
    """Whether ``user`` may see, search and interview on ``guide``: shared guides (the built-in
    one and those the operator ingests with the CLI, ids without '/') and the user's own."""
    return "/" not in guide or guide.startswith(owner_tag(user) + "/")


def _read_pdf(path: Path, max_chars: int) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, WrongPasswordError

    pages: list[str] = []
    size = 0
    try:
        reader = PdfReader(str(path))
        for page in reader.pages:
            text = page.extract_text() or ""
            size += len(text)
            if size > max_chars:
                raise GuideError(
                    path, "PDF holds far more text than its size suggests (a decompression bomb?)"
                )
            pages.append(text)
    except LimitReachedError:
        raise GuideError(
            path, "PDF inflates past pypdf's safety limit (a decompression bomb?)"
        ) from None
    except GuideError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure on an untrusted file is one line
        log.warning("%s: pypdf cannot read it: %s: %s", path, exc.__class__.__name__, exc)
        # (AES-encrypted files are read: pypdf[crypto] brings the 'cryptography' package)
        if isinstance(exc, FileNotDecryptedError | WrongPasswordError):
            reason = PDF_LOCKED
        else:  # a stream or structure pypdf cannot parse, whatever it raised for it
            reason = PDF_DAMAGED
        raise GuideError(path, reason) from None
    return "\n".join(pages)


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
        raise GuideError(path, "empty file: nothing to ingest; save the guide's text in it first")
    if suffix == ".pdf":
        text = _read_pdf(path, PDF_TEXT_FACTOR * settings.max_guide_bytes)
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
