"""Write a small, valid PDF with text lines (tests need a real PDF; no PDF writer is installed)."""

from __future__ import annotations

import zlib
from pathlib import Path


def write_pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF whose text layer holds ``lines``."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 11 Tf", "14 TL", "50 780 Td"]
    for line in lines:
        ops += [f"({esc(line)}) Tj", "T*"]
    ops.append("ET")
    return write_page(path, "\n".join(ops).encode("latin-1"))


def write_bomb(path: Path, inflated_mb: int = 80) -> Path:
    """A one-page PDF of about 100 KB whose content stream inflates to ``inflated_mb`` MB."""
    stream = b"BT /F1 11 Tf (x) Tj ET\n" + b" " * (inflated_mb * 1_000_000)
    return write_page(path, zlib.compress(stream, 9), flate=True)


def write_page(path: Path, stream: bytes, *, flate: bool = False) -> Path:
    """A one-page PDF (Helvetica) with this content stream, compressed when ``flate``."""
    filter_ = b" /Filter /FlateDecode" if flate else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), filter_) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def write_locked(path: Path, lines: list[str], password: str = "secret") -> Path:
    """A PDF of ``lines`` that opens only with ``password`` (RC4, which pypdf writes itself)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(write_pdf(path, lines)))
    writer.encrypt(password, algorithm="RC4-128")
    with path.open("wb") as f:
        writer.write(f)
    return path
