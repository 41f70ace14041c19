"""`mock-interview ingest` and `search` on good and bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from interviewer.knowledge.files import read_text

from interviewer import knowledge
from interviewer.cli import main
from interviewer.config import Settings
from tests.minipdf import write_locked, write_pdf


def _store_snapshot(settings: Settings) -> list[str]:
    from interviewer.knowledge.store import vectorstore

    return sorted(vectorstore(settings).get(include=[])["ids"])


def test_ingest_json_reports_counts_per_guide(tmp_path, capsys):
    md = tmp_path / "My Guide.md"
    md.write_text("# Prep\n\n## Metrics\n\nF1 is the harmonic mean of precision and recall.\n")
    assert main(["ingest", "--json", str(md)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["guide"] == "my-guide" and first["added"] == first["total"] >= 1
    assert first["unchanged"] == 0
    assert main(["ingest", "--json", str(md)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again == {**first, "added": 0, "unchanged": first["total"]}


def test_pdf_guides_are_ingested_and_searchable(tmp_path, capsys):
    pdf = write_pdf(
        tmp_path / "notes.pdf",
        [
            "Feature Stores",
            "A feature store serves the same features online and offline,",
            "which prevents training-serving skew.",
        ],
    )
    assert main(["ingest", "--json", str(pdf)]) == 0
    assert json.loads(capsys.readouterr().out)["guide"] == "notes"
    assert main(["search", "training serving skew", "--guide", "notes", "--json", "-k", "1"]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert set(hit) == {"id", "score", "guide", "section", "round", "topic", "text"}
    assert "training-serving skew" in hit["text"]


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    blank = tmp_path / "blank.md"
    blank.write_text("   \n\n  \n")
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    unsupported = tmp_path / "guide.docx"
    unsupported.write_text("hello")
    big = tmp_path / "huge.txt"
    with big.open("wb") as f:
        f.truncate(10 * 1024 * 1024 + 1)
    broken_pdf = tmp_path / "broken.pdf"
    broken_pdf.write_bytes(b"%PDF-1.4 this is not really a pdf")
    return {
        "empty": (empty, "empty"),
        "blank": (blank, "empty"),
        "binary": (binary, "binary"),
        "unsupported": (unsupported, "unsupported file type .docx"),
        "oversized": (big, "too large"),
        "missing": (tmp_path / "nope.txt", "no such file"),
        "broken-pdf": (broken_pdf, "the file is damaged or not really a PDF"),
        "locked-pdf": (write_locked(tmp_path / "locked.pdf", ["Caching"]), "password-protected"),
    }


@pytest.mark.parametrize(
    "case",
    ["empty", "blank", "binary", "unsupported", "oversized", "missing", "broken-pdf", "locked-pdf"],
)
def test_bad_file_gets_one_line_error_and_leaves_store_untouched(case, tmp_path, capsys):
    settings = Settings.from_env()
    good = tmp_path / "good.txt"
    good.write_text("Model Serving\nServe models behind a REST API with autoscaling.\n")
    assert main(["ingest", str(good)]) == 0
    capsys.readouterr()
    before = _store_snapshot(settings)

    bad, reason = _bad_files(tmp_path)[case]
    other = tmp_path / "other.txt"
    other.write_text("Caching\nCache features close to the model.\n")
    # the good file listed first must not be stored either: validation comes before any write
    assert main(["ingest", str(other), str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(bad) in err and reason in err
    assert _store_snapshot(settings) == before


def test_an_unreadable_pdf_is_refused_in_plain_words_and_pypdfs_own_goes_to_the_log(
    tmp_path, caplog
):
    # Seen in a walk-through: "⚠ fake_guide.pdf: not a readable PDF (PdfStreamError)".
    settings = Settings.from_env()
    fake = tmp_path / "fake_guide.pdf"
    fake.write_bytes(b"%PDF-1.4 this is not really a pdf")
    truncated = write_pdf(tmp_path / "cut.pdf", ["Caching", "Cache features."])
    truncated.write_bytes(truncated.read_bytes()[:200])
    locked = write_locked(tmp_path / "locked.pdf", ["Caching"])
    cases = [
        (fake, "the file is damaged or not really a PDF; export it as PDF again"),
        (truncated, "the file is damaged or not really a PDF"),
        (locked, "the PDF is password-protected; save a copy without the password"),
    ]
    for path, reason in cases:
        caplog.clear()
        with pytest.raises(knowledge.GuideError) as err:
            read_text(path, settings)
        assert err.value.reason.startswith(reason) and "Error" not in err.value.reason
        assert re.search(r"pypdf cannot read it: \w+Error", caplog.text), caplog.text


def test_an_aes_encrypted_pdf_with_no_password_to_open_it_is_read(tmp_path):
    # It opens in any viewer (only its permissions are locked), as many exported PDFs do; pypdf
    # decrypts AES with the 'cryptography' package (pypdf[crypto]), without which it was refused.
    from pypdf import PdfReader, PdfWriter

    plain = write_pdf(tmp_path / "plain.pdf", ["Caching", "Cache features at the edge."])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    aes = tmp_path / "aes.pdf"
    with aes.open("wb") as f:
        writer.write(f)
    assert PdfReader(aes).is_encrypted
    assert "Cache features at the edge." in read_text(aes, Settings.from_env())


def test_console_script_runs_in_a_subprocess(tmp_path):
    env = {**os.environ, "INTERVIEWER_DATA_DIR": str(tmp_path / "d")}
    exe = Path(sys.executable).with_name("mock-interview")
    out = subprocess.run(
        [
            str(exe),
            "search",
            "How do you handle latency in recommendations?",
            "--round",
            "L2",
            "-k",
            "2",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 2 and all(h["round"] == "L2" for h in hits)
    # search built the missing knowledge base first
    assert knowledge.list_guides(settings=Settings.from_env(dict(env)))[0]["guide"] == (
        knowledge.BUILTIN_GUIDE_ID
    )
    bad = subprocess.run(
        [str(exe), "search", "x", "-k", "0"], env=env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert "argument -k: must be a whole number (at least 1), not '0'" in bad.stderr


@pytest.mark.parametrize("module", ["interviewer", "interviewer.cli"])
def test_python_dash_m_runs_commands(module, tmp_path):
    env = {**os.environ, "INTERVIEWER_DATA_DIR": str(tmp_path / "d")}
    out = subprocess.run(
        [sys.executable, "-m", module, "transcripts", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
