"""Guide files: which ones are accepted, how their text is read, and their ids."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
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
    """ASCII letters and digits, hyphens between: owners' namespaces (and, before guide ids
    kept the letters of every script, guide ids)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _word_char(ch: str) -> bool:
    # a letter or digit of any script, or a mark that is part of one (a Devanagari vowel sign,
    # a Japanese voicing mark): str.isalnum, like re's \w, says no to marks; '_' is a hyphen,
    # as it always was in ids
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def _without_latin_accents(text: str) -> str:
    """``text`` with the accents of Latin letters dropped ("fëature" -> "feature"); the marks
    of other scripts stay (Greek tonos, Hangul and Japanese kana recomposed as they were)."""
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            if base.isascii() and base.isalpha():
                continue
        else:
            base = ch
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def id_slug(text: str) -> str:
    """``text`` as a guide id (part): NFKC-normalised, lower case, Latin accents dropped,
    letters and digits of any script kept, a hyphen for every run of anything else (so never a
    '/', a space, a control or a Markdown character); "" when nothing is left. ASCII text gives
    what it always gave ("Feature_Store notes" -> "feature-store-notes")."""
    # One NFKC pass, before lower(), so a letter NFKC makes a capital (a mathematical bold
    # "𝐀") is lowered too. None after: _without_latin_accents goes through NFKD, which leaves
    # no compatibility character, so its NFC result is NFKC-normal already.
    text = _without_latin_accents(unicodedata.normalize("NFKC", text).lower())
    out: list[str] = []
    for ch in text:
        if _word_char(ch):
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def name_hash(name: str) -> str:
    """A short hash of a file name (composed: a Mac may send it decomposed)."""
    composed = unicodedata.normalize("NFC", name)
    return hashlib.sha256(composed.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def guide_id(path: Path | str) -> str:
    """A shared guide's id: its file name without extension, as a slug that keeps the letters
    of every script (``id_slug``; never holds a '/'); a name with no letter or digit at all
    gets ``guide-`` and a short hash of the file name, so two such files never share an id."""
    path = Path(path)
    return id_slug(path.stem) or f"guide-{name_hash(path.name)}"


def legacy_guide_id(path: Path | str) -> str:
    """The id ``guide_id`` gave before ids kept non-ASCII letters (``日本語.md`` -> "guide",
    ``Fëature.md`` -> "f-ature"): a guide stored under it is found again when its file comes
    back. The same as ``guide_id`` for ASCII names with a letter or digit."""
    return _slug(Path(path).stem) or "guide"


def owner_tag(user: str) -> str:
    """The namespace of a user's guides: the user name when it is already a slug, else its slug
    and a short hash (so 'Ana' and 'ana' never share a namespace)."""
    slug = _slug(user) or "user"
    if slug == user:
        return slug
    return f"{slug}-{hashlib.sha256(user.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def owned_guide_id(owner: str, path: Path | str) -> str:
    """The id of a guide ``owner`` uploaded: ``<owner tag>/<file-name slug>``, so two users'
    guides of the same file name never collide, and nobody else's upload can replace it. (The
    upload takes another id when a different file of the user's already holds this one: see
    ``ingestion.upload_id``.)"""
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


NOT_UTF8 = (
    "not UTF-8 text (nor Western European Windows-1252 text); save it as UTF-8 (in most "
    "editors: Save As, then Encoding: UTF-8) and ingest it again"
)

# What a Western European text saved as Windows-1252 ("ANSI" in Windows editors; Latin-1 is its
# subset) holds beyond ASCII: accented Latin letters and the typographic marks Word puts in.
# Left out on purpose: bytes that are common letters in the Central European code page (¥ ¹ ³
# ¼ ¾ are Ą ą ł Ľ ľ there), so a Polish or Slovak file is refused rather than misread.
_CP1252_TEXT = set(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿŒœŠšŸŽžƒ"
    "\u00a0‘’‚“”„–—…•€™«»‹›°§£¢©®¡¿·¶†‡‰¨´¸¯ªº²½×÷±µ¤¦¬\u00ad"
)
CP1252_MAX_SHARE = 0.2  # of the letters: far above any Western language, far below Cyrillic


def _as_cp1252(data: bytes) -> str | None:
    """``data`` as Windows-1252 text, or None when it is not plausibly that: a byte that code
    page leaves undefined, a control character, a character no Western text uses, or so many
    accented letters that it is text of another alphabet (Cyrillic in Windows-1251 decodes to
    accented Latin letters only)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    letters = beyond = 0
    for ch in text:
        if ch.isascii():
            if ch.isalpha():
                letters += 1
            elif ch < " " and ch not in "\t\n\r\f\v":
                return None
        elif ch not in _CP1252_TEXT:
            return None
        elif ch.isalpha():
            letters += 1
            beyond += 1
    return text if beyond <= CP1252_MAX_SHARE * letters else None


# A well-formed UTF-8 sequence of two or three bytes (an accented letter, a typographic mark).
# Windows-1252 text holds such pairs almost never ("Ã©" is how UTF-8's "é" reads in it), so a
# file with them that is not all UTF-8 is UTF-8 with a stray byte, not Windows-1252.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """The text of a .txt or .md file and its encoding: UTF-8 (with or without a BOM), UTF-16
    with its BOM (Windows' "Unicode"), or else Windows-1252 when it plausibly is that (a file
    that an editor saved as "ANSI"); anything else is refused with how to fix it."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise GuideError(path, NOT_UTF8) from None
        if "\x00" in text:
            raise GuideError(path, "binary file, not text")
        return text, "utf-16"
    if b"\x00" in data[:65536]:
        raise GuideError(path, "binary file, not text")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data):  # UTF-8 with a stray byte: Windows-1252 would garble it
        raise GuideError(path, "mostly UTF-8 text with some bytes that are not; " + NOT_UTF8)
    text = _as_cp1252(data)
    if text is None:
        raise GuideError(path, NOT_UTF8)
    return text, "windows-1252"


def read_guide_text(path: Path, settings: Settings) -> tuple[str, str | None]:
    """The text of a guide file and the encoding it was read in (``utf-8``, ``utf-16`` or
    ``windows-1252``; None for a PDF), or GuideError for empty, binary, unsupported or oversized
    files."""
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
        text, encoding = _read_pdf(path, PDF_TEXT_FACTOR * settings.max_guide_bytes), None
    else:
        text, encoding = _decode(path, path.read_bytes())
    if not text.strip():
        raise GuideError(path, "empty: no text in it")
    return text, encoding


def read_text(path: Path, settings: Settings) -> str:
    """The text of a guide file, or GuideError for empty, binary, unsupported or oversized files."""
    return read_guide_text(path, settings)[0]


BUILTIN_GUIDE_ID = guide_id(BUILTIN_GUIDE)
