"""Every test runs in its own data dir; the built-in knowledge base is built once per session."""

from __future__ import annotations

import shutil

import pytest

from interviewer.config import Settings


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Isolate each test: its own INTERVIEWER_DATA_DIR under the pytest temp dir."""
    d = tmp_path / "data"
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(d))
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "INTERVIEWER_MODE", "INTERVIEWER_EMBEDDINGS"):
        monkeypatch.delenv(var, raising=False)
    return d


@pytest.fixture
def store(data_dir):
    """The transcript store of the test's data dir (SQLite unless INTERVIEWER_DATABASE_URL)."""
    from interviewer.store import open_store

    s = open_store(Settings.from_env())
    yield s
    s.close()


@pytest.fixture(scope="session")
def built_kb(tmp_path_factory):
    """A data dir holding the ingested built-in guide (ingested once, copied per test)."""
    from interviewer import knowledge
    from interviewer.bank import default_bank
    from interviewer.engine import warm_up
    from interviewer.grading.embeddings import VectorCache
    from interviewer.grading.grader import OfflineGrader

    d = tmp_path_factory.mktemp("kb") / "data"
    settings = Settings.from_env({"INTERVIEWER_DATA_DIR": str(d)})
    knowledge.ingest(settings=settings)
    # The bank's rubric vectors on disk too, as `mock-interview ingest` leaves them: every app a
    # test starts from a copy grades its first answers at full speed.
    warm_up(OfflineGrader(vector_cache=VectorCache.in_data_dir(settings)), default_bank(),
            background=False)  # fmt: skip
    return d


@pytest.fixture
def kb_settings(built_kb, data_dir):
    """Settings whose data dir holds a private copy of the built knowledge base."""
    shutil.copytree(built_kb, data_dir)
    return Settings.from_env()
