"""Guides on a shared server: past Chroma's batch limit, all or nothing, owned by the uploader,
and a PDF decompression bomb refused in one line (real Chroma store in the test's data dir)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from interviewer.knowledge import ingestion
from interviewer.knowledge.files import (
    guide_id,
    guide_visible,
    legacy_guide_id,
    owned_guide_id,
    owner_tag,
)
from interviewer.knowledge.store import client, collection

from interviewer import knowledge
from interviewer.cli import main
from interviewer.config import Settings
from tests.security.support import CHROMA_MAX_BATCH, HashEmbeddings, big_guide, pdf_bomb


@pytest.fixture
def small_chunks(monkeypatch) -> Settings:
    """Settings that make one chunk of each list item, and a fast stand-in embedder."""
    monkeypatch.setattr(ingestion, "get_embeddings", lambda settings: HashEmbeddings())
    # (a guide past Chroma's batch makes ~11,700 chunks of 20 tokens: over the default limit)
    return Settings.from_env(chunk_tokens=20, chunk_overlap=2, max_guide_chunks=20_000)


def _snapshot(settings: Settings) -> dict:
    got = collection(settings).get(include=["documents", "metadatas"])
    metas = [tuple(sorted(m.items())) for m in got["metadatas"]]
    return dict(zip(got["ids"], zip(got["documents"], metas, strict=True), strict=True))


def test_a_guide_past_chromas_batch_limit_ingests_with_progress(tmp_path, small_chunks):
    assert client(small_chunks).get_max_batch_size() == CHROMA_MAX_BATCH
    guide = big_guide(tmp_path / "huge-notes.txt", lines=CHROMA_MAX_BATCH + 400)
    seen = []
    result = knowledge.ingest(
        [guide], settings=small_chunks, progress=lambda f, m: seen.append((f, m))
    )[0]
    assert result.total > CHROMA_MAX_BATCH and result.added == result.total
    assert collection(small_chunks).count() == result.total
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum("embedded" in m for _, m in seen) >= result.total // ingestion.EMBED_BATCH
    # re-ingesting the unchanged guide writes nothing
    again = knowledge.ingest([guide], settings=small_chunks)[0]
    assert (again.added, again.removed, again.unchanged) == (0, 0, result.total)


class _FailingCollection:
    """The real collection, failing on the n-th call of one method."""

    def __init__(self, real, method: str, fail_at: int):
        self.real, self.method, self.fail_at, self.calls = real, method, fail_at, 0

    def __getattr__(self, name):
        attr = getattr(self.real, name)
        if name != self.method:
            return attr

        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.fail_at:
                raise RuntimeError("disk full")
            return attr(*args, **kwargs)

        return call


@pytest.mark.parametrize("method, fail_at", [("upsert", 3), ("delete", 2)])
def test_a_failed_ingest_leaves_the_store_exactly_as_it_was(
    tmp_path, small_chunks, monkeypatch, method, fail_at
):
    monkeypatch.setattr(ingestion, "EMBED_BATCH", 40)
    path = tmp_path / "notes.txt"
    big_guide(path, lines=200, tag="a")
    knowledge.ingest([path], settings=small_chunks)
    knowledge.ingest([big_guide(tmp_path / "other.txt", 30, "o")], settings=small_chunks)
    before = _snapshot(small_chunks)
    big_guide(path, lines=200, tag="b")  # every chunk changes: 200 new, 200 stale
    real = ingestion.collection
    monkeypatch.setattr(
        ingestion, "collection", lambda s: _FailingCollection(real(s), method, fail_at)
    )
    # a 1-chunk delete batch makes the stale ones go in several steps, the 2nd one failing
    monkeypatch.setattr(ingestion, "client", lambda s: _Limit(client(s), 5))
    with pytest.raises(knowledge.GuideError) as err:
        knowledge.ingest([path], settings=small_chunks)
    assert "could not be stored (RuntimeError); the knowledge base is unchanged" in str(err.value)
    assert "\n" not in str(err.value)
    monkeypatch.setattr(ingestion, "collection", real)
    assert _snapshot(small_chunks) == before


class _Limit:
    def __init__(self, real, limit):
        self.real, self.limit = real, limit

    def get_max_batch_size(self):
        return self.limit


def test_guides_are_namespaced_by_their_owner(tmp_path, small_chunks):
    path = big_guide(tmp_path / "My Notes.txt", lines=20)
    ana = knowledge.ingest([path], settings=small_chunks, owner="ana")[0]
    ben = knowledge.ingest([path], settings=small_chunks, owner="ben")[0]
    assert (ana.guide, ben.guide) == ("ana/my-notes", "ben/my-notes")
    assert ana.added == ben.added == ana.total  # ben's upload replaced nothing of ana's
    ids = {g["guide"] for g in knowledge.list_guides(settings=small_chunks)}
    assert {"ana/my-notes", "ben/my-notes"} <= ids
    assert guide_visible("ana/my-notes", "ana") and not guide_visible("ana/my-notes", "ben")
    assert guide_visible(knowledge.BUILTIN_GUIDE_ID, "ben")
    # user names that slug alike never share a namespace
    assert owner_tag("Ana") != owner_tag("ana") and "/" not in owner_tag("a/b")
    assert not guide_visible(owned_guide_id("ana", path), "Ana")
    assert not guide_visible("ana-x/notes", "ana")


@pytest.mark.parametrize(
    ("name", "gid"),
    [
        ("feature-store-notes.md", "feature-store-notes"),  # ASCII names: ids as they were
        ("Feature_Store notes (v2).txt", "feature-store-notes-v2"),
        ("notes <img src=x onerror=alert(1)> *v2*.md", "notes-img-src-x-onerror-alert-1-v2"),
        ("日本語.md", "日本語"),
        ("Fëature—stórés 日本語 ✓.md", "feature-stores-日本語"),  # Latin accents dropped
        ("Ελληνικά άρθρα.md", "ελληνικά-άρθρα"),  # other scripts' marks kept
        ("हिन्दी नोट्स.md", "हिन्दी-नोट्स"),
        ("ガイド.md", "ガイド"),  # (a voicing mark, recomposed)
        ("한국어 노트.md", "한국어-노트"),
        ("Ｆｕｌｌｗｉｄｔｈ ½.md", "fullwidth-1-2"),  # NFKC
        ("a\u0301b.md", "ab"),  # a decomposed accent
        ("a\\b:c\u202e\x00\n.md", "a-b-c"),  # a Windows separator, controls, bidi
    ],
)
def test_guide_ids_keep_letters_of_every_script_and_nothing_unsafe(name, gid):
    assert guide_id(name) == gid
    assert owned_guide_id("ana", name) == f"ana/{gid}"
    if name.isascii():
        assert legacy_guide_id(name) == gid


def test_a_file_name_with_no_letter_gets_an_id_of_its_own():
    ids = {guide_id(n) for n in ("!!!.md", "???.md", "!!!.txt", "___.md", "✓.md")}
    assert len(ids) == 5 and all(i.startswith("guide-") and len(i) == 14 for i in ids)
    assert guide_id("!!!.md") == guide_id("!!!.md")  # stable: the same file, the same id
    for gid in ids | {guide_id("Fëature—stórés 日本語 ✓.md")}:
        assert all(c.isalnum() or c == "-" for c in gid)


def test_a_pdf_bomb_is_refused_in_one_line(tmp_path, capsys):
    bomb = pdf_bomb(tmp_path / "bomb.pdf")
    assert bomb.stat().st_size < 200_000
    started = time.monotonic()
    settings = Settings.from_env()
    with pytest.raises(knowledge.GuideError, match="decompression bomb"):
        knowledge.ingest([bomb], settings=settings)
    assert main(["ingest", str(bomb)]) == 2
    err = capsys.readouterr().err
    assert "bomb.pdf: PDF inflates past" in err and len(err.strip().splitlines()) == 1
    assert time.monotonic() - started < 60
    assert not knowledge.list_guides(settings=replace(settings))
