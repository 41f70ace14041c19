"""The guide as a knowledge base: cleaning, chunking, metadata, idempotent ingest, retrieval.

Everything that touches the store runs twice: on the local Chroma store in the data dir, and on
a real Chroma server (``tests.services``; INTERVIEWER_CHROMA_URL, a fresh database per test).
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from interviewer.knowledge.chunk import chunk_sections
from interviewer.knowledge.clean import (
    Section,
    clean_lines,
    explicit_questions,
    is_heading,
    parse_sections,
    unglue,
)
from interviewer.knowledge.files import BUILTIN_GUIDE
from interviewer.knowledge.ingestion import load_guide
from interviewer.knowledge.store import client, collection

from interviewer import knowledge
from interviewer.config import ConfigError, Settings
from tests.services import chroma, free_port  # noqa: F401 - a fixture

STORES = ["local", "server"]


@pytest.fixture(params=STORES)
def store_settings(request, monkeypatch) -> Settings:
    """Settings of an empty knowledge base: local in the data dir, or a fresh database on the
    module's Chroma server."""
    if request.param == "server":
        monkeypatch.setenv(
            "INTERVIEWER_CHROMA_URL", request.getfixturevalue("chroma").new_database()
        )
    return Settings.from_env()


@pytest.fixture
def kb(store_settings, kb_settings) -> Settings:
    """The built-in guide ingested: the conftest's copy locally; on the server, the same
    vectors copied in (ids, documents, metadata and embeddings as ingest wrote them)."""
    if not store_settings.chroma_url:
        return kb_settings
    local = replace(kb_settings, chroma_url=None)
    built = collection(local).get(include=["embeddings", "documents", "metadatas"])
    collection(store_settings).upsert(
        ids=built["ids"],
        embeddings=built["embeddings"],
        documents=built["documents"],
        metadatas=built["metadatas"],
    )
    return store_settings


GUIDE_TEXT = BUILTIN_GUIDE.read_text(encoding="utf-8")


def test_glued_list_item_is_repaired():
    lines = clean_lines(
        "Coding\n- Explain the difference between\nmap,apply, andapplymapin Pandas. - "
        "Implement a simple version of the K-Means clustering algorithm from scratch.\n"
    )
    assert lines == [
        "Coding",
        "- Explain the difference between map, apply, and applymap in Pandas.",
        "- Implement a simple version of the K-Means clustering algorithm from scratch.",
    ]


def test_real_words_and_jargon_are_not_split():
    assert unglue("hyperparameters") == "hyperparameters"
    assert unglue("underfitting") == "underfitting"
    assert unglue("containerization") == "containerization"
    assert unglue("andapplymapin") == "and applymap in"
    assert unglue("Dataford") == "Dataford"  # proper nouns are left alone
    # a known word with a suffix or a prefix (an uploaded guide's chunks read "token is a
    # tion", "grounded ness" and "auto scaler")
    for word in ("tokenisation", "groundedness", "autoscaler", "retrainable", "misclassified"):
        assert unglue(word) == word
    assert unglue("featurestore") == "feature store"  # still glue


def test_junk_lines_are_dropped():
    lines = clean_lines(GUIDE_TEXT)
    assert not any("Unknown module" in line for line in lines)
    assert not any("experience_stats" in line for line in lines)


def test_headings_are_recognised_without_markup():
    assert is_heading("Key Responsibilities")
    assert is_heading("Real-Time Scenarios and Architecture")
    assert not is_heading("Be ready to go over:")
    assert not is_heading("- Explain the difference between bagging and boosting.")
    assert not is_heading("This category tests your academic and conceptual understanding.")
    titles = [s.title for s in parse_sections(GUIDE_TEXT)]
    assert "Deep Dive into Evaluation Areas > Real-Time Scenarios and Architecture" in titles
    assert "Deep Dive into Evaluation Areas > Machine Learning Fundamentals" in titles
    assert "Common Interview Questions > Coding and Data Manipulation" in titles
    assert "Key Responsibilities" in titles
    assert "Frequently Asked Questions" in titles


def _chunks():
    return load_guide(BUILTIN_GUIDE, Settings.from_env()).chunks


def test_no_chunk_contains_a_glued_word():
    text = " ".join(c.text for c in _chunks())
    assert "andapplymapin" not in text
    assert "map, apply, and applymap in Pandas" in text
    # no run of letters longer than any real word in the guide
    assert max(len(w) for w in re.findall(r"[A-Za-z]+", text)) <= 18


def test_every_chunk_has_section_round_topic_and_stable_id():
    chunks = _chunks()
    assert len(chunks) >= 10
    for c in chunks:
        assert c.section and c.topic and c.round in ("L1", "L2", "general")
        assert c.guide == "persistent-systems-ml-engineer"
    assert [c.id for c in chunks] == [c.id for c in _chunks()]  # stable across parses
    by_section = {}
    for c in chunks:
        by_section.setdefault(c.section, set()).add(c.round)
    assert by_section["Deep Dive into Evaluation Areas > Real-Time Scenarios and Architecture"] == {
        "L2"
    }
    assert by_section["Deep Dive into Evaluation Areas > Machine Learning Fundamentals"] == {"L1"}
    assert by_section["Deep Dive into Evaluation Areas > Python and Data Engineering"] == {"L1"}
    assert by_section["Common Interview Questions > Scenario-Based and Architectural"] == {"L2"}
    assert by_section["Interview Process Overview"] == {"general"}
    assert by_section["Key Responsibilities"] == {"general"}


def test_a_chunk_split_between_sentences_keeps_each_full_stop_with_its_sentence():
    # a walk-through's uploaded section read "... in a few milliseconds\n. A materialisation
    # job ..." in Practice's "What the guide says", its key point without a full stop
    text = " ".join(f"Sentence number {i} says one thing about feature stores and serving."
                    for i in range(40))  # fmt: skip
    chunks = chunk_sections([Section(["Notes"], [text])], "g", chunk_tokens=60, overlap=0)
    assert len(chunks) > 3
    for c in chunks:
        assert not c.text.startswith((".", ",")) and c.text.endswith(".")


def test_chunks_respect_the_token_limit():
    from interviewer.tokens import count

    for c in chunk_sections(parse_sections(GUIDE_TEXT), "g", chunk_tokens=60, overlap=10):
        assert count(c.text) <= 60


def test_reingest_is_idempotent_and_embeds_nothing(kb):
    from interviewer.grading.embeddings import get_embeddings

    emb = get_embeddings(kb)
    before = emb.calls
    [result] = knowledge.ingest(settings=kb)
    assert result.added == 0 and result.removed == 0
    assert result.unchanged == result.total > 0
    assert emb.calls == before
    assert len(knowledge.guide_chunks(result.guide, settings=kb)) == result.total


def test_replicas_ingesting_the_guide_at_once_store_each_chunk_once(store_settings):
    """Two app replicas start together on an empty store: both find nothing, both embed and
    write the same chunks; neither fails and nothing is stored twice."""
    barrier, results, errors = threading.Barrier(2), [], []

    def replica() -> None:
        try:
            barrier.wait(timeout=60)
            results.append(knowledge.ensure_builtin(settings=store_settings))
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == [] and len(results) == 2
    total = load_guide(BUILTIN_GUIDE, store_settings).chunks
    stored = collection(store_settings).get(include=[])["ids"]
    assert sorted(stored) == sorted({c.id for c in total})
    assert knowledge.ensure_builtin(settings=store_settings) is None  # nothing left to do


def test_changed_guide_adds_new_and_drops_stale_chunks(tmp_path, store_settings):
    settings = store_settings
    guide = tmp_path / "team-notes.md"
    guide.write_text("# Team Notes\n\n## Metrics\n\nPrecision and recall trade off.\n")
    [first] = knowledge.ingest([guide], settings=settings)
    assert first.added == first.total >= 1
    guide.write_text("# Team Notes\n\n## Metrics\n\nROC-AUC is threshold independent.\n")
    [second] = knowledge.ingest([guide], settings=settings)
    assert second.added >= 1 and second.removed >= 1
    texts = [h.text for h in knowledge.guide_chunks("team-notes", settings=settings)]
    assert any("ROC-AUC" in t for t in texts) and not any("Precision" in t for t in texts)


def test_every_example_question_retrieves_its_own_chunk(kb):
    questions = explicit_questions(parse_sections(GUIDE_TEXT))
    assert len(questions) == 22  # 13 common interview questions + 9 deep-dive examples
    for question, section in questions:
        hits = knowledge.search(question, k=3, settings=kb)
        assert any(h.section == section and question[:40] in h.text for h in hits), question


def test_search_filters_by_round_and_guide(kb):
    hits = knowledge.search("model versioning and data drift", k=4, round="L2", settings=kb)
    assert hits and all(h.round == "L2" for h in hits)
    assert hits[0].section.endswith("Real-Time Scenarios and Architecture")
    assert knowledge.search("drift", guide="no-such-guide", settings=kb) == []
    with pytest.raises(ValueError):
        knowledge.search("x", round="L3", settings=kb)


def test_sections_and_guide_listing_read_the_same_on_both_stores(kb):
    [guide] = knowledge.list_guides(settings=kb)
    assert guide["guide"] == knowledge.BUILTIN_GUIDE_ID and guide["chunks"] > 10
    sections = knowledge.search_sections("data drift in production", k=2, round="L2", settings=kb)
    assert sections[0][0].endswith("Real-Time Scenarios and Architecture")


def test_the_chroma_client_sends_no_telemetry(store_settings):
    assert client(store_settings).get_settings().anonymized_telemetry is False


def test_a_bad_or_unreachable_chroma_url_names_the_setting():
    with pytest.raises(ConfigError, match="INTERVIEWER_CHROMA_URL"):
        Settings.from_env({"INTERVIEWER_CHROMA_URL": "127.0.0.1:8000"})
    nobody = Settings.from_env({"INTERVIEWER_CHROMA_URL": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(ConfigError, match="INTERVIEWER_CHROMA_URL=http://127.0.0.1:") as err:
        knowledge.search("drift", settings=nobody)
    assert "chroma run" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("name", "gid"),
    [
        ("Feature_Store notes (v2).md", "feature-store-notes-v2"),  # ASCII
        ("日本語 ノート.md", "日本語-ノート"),  # CJK (and kana)
        ("中文笔记.txt", "中文笔记"),
        ("Café Déjà-vu.md", "cafe-deja-vu"),  # accented Latin: accents dropped
        ("Ca\u0301fe\u0301.md", "cafe"),  # the same, sent decomposed (a Mac)
        ("Ελληνικά.md", "ελληνικά"),  # Greek keeps its tonos
        ("Ｎｏｔｅｓ　２０２４.md", "notes-2024"),  # full-width letters, digits and space
        ("ﾉｰﾄ.md", "ノート"),  # half-width kana
        ("𝐁𝐨𝐥𝐝 ﬁle.md", "bold-file"),  # mathematical bold capitals, a ligature
        ("Ⅻ ½.md", "xii-1-2"),
    ],
)
def test_guide_ids_pinned_with_one_nfkc_pass(name, gid, monkeypatch):
    """The ids guide files get, pinned: ``id_slug`` normalised them with NFKC twice, the second
    pass a no-op (NFKD inside leaves no compatibility character); it now does so once, and no id
    changed."""
    import unicodedata

    from interviewer.knowledge.files import guide_id, id_slug

    assert guide_id(name) == gid
    calls: list[str] = []
    normalize = unicodedata.normalize

    def counted(form, text):
        calls.append(form)
        return normalize(form, text)

    monkeypatch.setattr(unicodedata, "normalize", counted)
    assert id_slug(name.rsplit(".", 1)[0]) == gid
    assert calls.count("NFKC") == 1, calls


def topics_guide(path, n: int, say: str = "cache features near the model") -> Path:
    """A Markdown guide of ``n`` one-chunk sections ("Topic 1" ... "Topic n")."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Serving Notes\n\n" + "".join(
        f"## Topic {i}\n\nServing note {i}: {say} for low latency.\n\n" for i in range(1, n + 1)
    ), encoding="utf-8")  # fmt: skip
    return path


@pytest.fixture
def reads(monkeypatch) -> list[dict]:
    """Every Chroma ``get`` made (local store and server alike): its ids, limit and rows."""
    from chromadb.api.models.Collection import Collection

    made: list[dict] = []
    real = Collection.get

    def get(self, *args, **kwargs):
        got = real(self, *args, **kwargs)
        made.append({"ids": kwargs.get("ids"), "limit": kwargs.get("limit"),
                     "rows": len(got["ids"])})  # fmt: skip
        return got

    monkeypatch.setattr(Collection, "get", get)
    return made


@pytest.mark.parametrize("page", [1, 3, 7])  # 7: the guide's size exactly, then an empty page
def test_every_read_of_a_guide_goes_in_pages_and_misses_nothing(
    page, tmp_path, store_settings, monkeypatch, reads
):
    """A 61,029-chunk upload broke every guide listing ("too many SQL variables": one read of
    all its rows). Every read that can return many chunks now goes in pages of READ_PAGE:
    with pages smaller than a real guide, each read still returns every chunk."""
    from interviewer.knowledge import store

    monkeypatch.setattr(store, "READ_PAGE", page)
    settings, path = store_settings, topics_guide(tmp_path / "serving-notes.md", 7)
    wanted = load_guide(path, settings).chunks
    assert len(wanted) == 7
    [shared] = knowledge.ingest([path], settings=settings)
    [upload] = knowledge.ingest([path], settings=settings, owner="ana")
    assert (shared.guide, upload.guide, shared.added, upload.added) == (
        "serving-notes", "ana/serving-notes", 7, 7)  # fmt: skip

    listed = {g["guide"]: g for g in knowledge.list_guides(settings=settings)}
    assert {g: (x["chunks"], len(x["sections"])) for g, x in listed.items()} == {
        "serving-notes": (7, 7), "ana/serving-notes": (7, 7)}  # fmt: skip
    assert listed["serving-notes"]["sections"] == [c.section for c in wanted]  # document order
    chunks = knowledge.guide_chunks("serving-notes", settings=settings)
    assert [h.text for h in chunks] == [c.text for c in wanted]
    found = knowledge.search_sections("caching", k=50, guide="serving-notes", settings=settings)
    assert sorted(s for s, _ in found) == sorted(c.section for c in wanted)

    # Re-ingesting reads what the guide holds: unchanged chunks are all found, stale ones all
    # dropped; the upload's id is found again from the uploader's chunks.
    assert knowledge.ingest([path], settings=settings)[0].unchanged == 7
    topics_guide(path, 5, say="shard the feature store by entity")
    [changed] = knowledge.ingest([path], settings=settings)
    assert (changed.added, changed.unchanged, changed.removed, changed.total) == (5, 0, 7, 5)
    again = knowledge.ingest([path], settings=settings, owner="ana")[0]
    assert (again.guide, again.removed, again.taken_by) == ("ana/serving-notes", 7, None)

    assert knowledge.delete_guide("serving-notes", settings=settings) == 5
    assert knowledge.delete_guide("ana/serving-notes", settings=settings) == 5
    assert knowledge.list_guides(settings=settings) == [] and collection(settings).count() == 0

    # No read asked for more than a page, and guides past a page took several.
    assert reads and all(r["ids"] is not None or (r["limit"] or page + 1) <= page for r in reads)
    assert max(r["rows"] for r in reads if r["ids"] is None) == page


def test_a_guide_past_the_chunk_limit_is_refused_before_anything_is_embedded(
    tmp_path, store_settings
):
    """A 9 MB upload of tiny sections made 61,029 chunks and took ten minutes to embed:
    INTERVIEWER_MAX_GUIDE_CHUNKS refuses such a guide, with one line, before any embedding;
    the store keeps what it had."""
    from interviewer.knowledge.ingestion import store_guide

    from interviewer.errors import GuideError
    from interviewer.grading.embeddings import get_embeddings

    settings = replace(store_settings, max_guide_chunks=4)
    assert Settings.from_env({"INTERVIEWER_MAX_GUIDE_CHUNKS": "4"}).max_guide_chunks == 4
    with pytest.raises(ConfigError, match="INTERVIEWER_MAX_GUIDE_CHUNKS"):
        Settings.from_env({"INTERVIEWER_MAX_GUIDE_CHUNKS": "0"})
    ok = knowledge.ingest([topics_guide(tmp_path / "four.md", 4)], settings=settings)[0]
    assert ok.total == 4  # at the limit: taken
    before = knowledge.list_guides(settings=settings)
    big = topics_guide(tmp_path / "big.md", 9)
    emb = get_embeddings(settings)
    embedded = emb.calls
    said = ("too many pieces: it would make more than 4 chunks, the most one guide may have "
            "(INTERVIEWER_MAX_GUIDE_CHUNKS); split it into smaller guides")  # fmt: skip
    for run in (
        lambda: knowledge.ingest([big], settings=settings),
        lambda: knowledge.ingest([big], settings=settings, owner="ana"),  # an app upload
        lambda: knowledge.ingest([tmp_path / "four.md", big], settings=settings),
        # a Guide made another way (a higher limit) is refused when stored
        lambda: store_guide(load_guide(big, replace(settings, max_guide_chunks=9)), settings),
    ):
        with pytest.raises(GuideError) as err:
            run()
        assert err.value.reason == said and str(err.value) == f"{big}: {said}"
    assert emb.calls == embedded
    assert knowledge.list_guides(settings=settings) == before

    # Chunking stops past the limit (all of a 9 MB guide took 9 s for nothing).
    sections = parse_sections(big.read_text(encoding="utf-8"), markdown=True)
    assert len(chunk_sections(sections, "g", chunk_tokens=60, overlap=10)) == 9
    assert len(chunk_sections(sections, "g", chunk_tokens=60, overlap=10, limit=4)) == 5


def test_the_builtin_guide_is_never_held_to_the_chunk_limit(kb_settings):
    small = replace(kb_settings, max_guide_chunks=3)
    assert knowledge.ensure_builtin(settings=small) is None  # read, checked, unchanged
    assert len(load_guide(BUILTIN_GUIDE, small).chunks) > 3


def test_a_guide_stored_past_the_chunk_limit_is_still_listed_read_and_deleted(
    tmp_path, store_settings, monkeypatch
):
    """A guide an older version stored past today's limit (the 61,029-chunk upload) is listed,
    read and deleted whole; ingesting it again is refused and leaves it as it was."""
    from interviewer.knowledge import store

    from interviewer.errors import GuideError

    path = topics_guide(tmp_path / "old.md", 6)
    [old] = knowledge.ingest([path], settings=store_settings)
    monkeypatch.setattr(store, "READ_PAGE", 4)
    settings = replace(store_settings, max_guide_chunks=2)
    [listed] = knowledge.list_guides(settings=settings)
    assert (listed["guide"], listed["chunks"], len(listed["sections"])) == ("old", 6, 6)
    assert len(knowledge.guide_chunks("old", settings=settings)) == 6
    with pytest.raises(GuideError, match="more than 2 chunks"):
        knowledge.ingest([path], settings=settings)
    assert knowledge.list_guides(settings=settings) == [listed]
    assert knowledge.delete_guide(old.guide, settings=settings) == 6
    assert knowledge.list_guides(settings=settings) == []
