"""The bundled MiniLM on ONNX Runtime: same tokens and vectors as sentence-transformers on torch,
exported once and reused, re-exported when damaged, and torch whenever ONNX is not possible."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from interviewer.evaluation.datasets import SAF_DIR
from interviewer.grading import minilm
from interviewer.grading.encoder import minilm_encode


@pytest.fixture
def fresh_runtime():
    """runtime() chosen afresh in the test, and the process's own choice restored after."""
    minilm.runtime.cache_clear()
    yield
    minilm.runtime.cache_clear()


def texts() -> list[str]:
    """Real answers and the awkward cases: empty, blank, over 256 tokens, accents and CJK."""
    with open(SAF_DIR / "train.jsonl", encoding="utf-8") as f:
        answers = [json.loads(line)["answer"] for line in f][:60]
    return answers + ["", "   padded  ", "word " * 400, "Ünïcode café, naïve 東京 — ok", "x"]


def test_onnx_gives_torch_tokens_and_vectors():
    model = minilm.runtime()
    assert model.name == "onnx", "the default runtime is ONNX Runtime"
    ours, theirs = model.forward(texts()), minilm.TorchMiniLM().forward(texts(), 32)
    assert len(ours) == len(theirs) == len(texts())
    for a, b, t in zip(ours, theirs, texts(), strict=True):
        assert a.tokens == b.tokens, t
        assert len(a.tokens) <= minilm.MAX_TOKENS
        assert np.abs(a.token_embeddings - b.token_embeddings).max() < 1e-4, t
        assert float(a.sentence @ b.sentence) > 0.99999, t
        assert abs(float(np.linalg.norm(a.sentence)) - 1) < 1e-5


def test_batching_does_not_change_vectors():
    """Sorted by length and cut into batches of any size, each text gets its own vectors."""
    model = minilm.runtime()
    one = [model.forward([t])[0] for t in texts()[:12]]
    for size in (1, 3, 8, 32):
        for a, b in zip(one, model.forward(texts()[:12], size), strict=True):
            assert a.tokens == b.tokens
            assert np.abs(a.token_embeddings - b.token_embeddings).max() < 1e-4


def test_encoder_keeps_content_tokens_only():
    (e,) = minilm_encode(["The model overfits because the tree is too deep."])
    assert e.tok.shape[1] == minilm.DIM and len(e.tok) == len(e.tok_w)
    # content words only: model, overfits (2 pieces at most), tree, deep; no "the", no "."
    assert 4 <= len(e.tok) <= 6


def test_exported_model_is_reused(monkeypatch, fresh_runtime):
    minilm.runtime()  # exported by now, if this machine had not yet
    assert minilm.onnx_path().exists()

    def no_export(path):
        raise AssertionError("exported again")

    monkeypatch.setattr(minilm, "export_onnx", no_export)
    minilm.runtime.cache_clear()
    assert minilm.runtime().name == "onnx"


def test_damaged_export_is_made_again(tmp_path, monkeypatch, fresh_runtime, caplog):
    monkeypatch.setenv("INTERVIEWER_MODEL_CACHE", str(tmp_path))
    minilm.onnx_path().write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING, logger=minilm.__name__):
        model = minilm.runtime()
    assert model.name == "onnx"
    assert "unreadable" in caplog.text
    assert minilm.onnx_path().stat().st_size > 10_000_000
    assert not list(tmp_path.glob(".export-*")), "no temporary file is left behind"


def test_torch_when_asked_or_when_onnx_fails(tmp_path, monkeypatch, fresh_runtime, caplog):
    monkeypatch.setenv("INTERVIEWER_ENCODER", "torch")
    assert minilm.runtime().name == "torch"

    minilm.runtime.cache_clear()
    monkeypatch.delenv("INTERVIEWER_ENCODER")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("INTERVIEWER_MODEL_CACHE", str(blocker / "cache"))  # cannot be created
    with caplog.at_level(logging.WARNING, logger=minilm.__name__):
        model = minilm.runtime()
    assert model.name == "torch"
    assert "using torch" in caplog.text
    (e,) = minilm_encode(["Still graded."])  # and it still encodes
    assert abs(float(np.linalg.norm(e.vec)) - 1) < 1e-5


def test_threads_follow_omp_num_threads(monkeypatch):
    """Replicas sharing the cores set OMP_NUM_THREADS=1: ONNX Runtime honours it as torch does."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert minilm.threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "lots")
    assert minilm.threads() >= 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert 1 <= minilm.threads() <= 4


def test_a_warm_up_gives_way_to_an_answer(monkeypatch):
    """A background call (the server's warm-up) lets a waiting call go first after the chunk it
    is on, instead of holding the model for all its texts."""
    import threading

    real = minilm.runtime()
    calls: list[str] = []
    first_chunk = threading.Event()
    release = threading.Event()

    class Watched:
        name = real.name

        def forward(self, texts, batch_size=minilm.BATCH):
            who = "answer" if texts == ["my answer"] else "warm-up"
            if who == "warm-up" and not first_chunk.is_set():
                first_chunk.set()
                assert release.wait(60)
            calls.append(who)
            return real.forward(texts, batch_size)

    monkeypatch.setattr(minilm, "runtime", lambda: Watched())
    monkeypatch.setattr(minilm, "BACKGROUND_CHUNK", 4)

    def warm_up():
        with minilm.in_background():
            minilm.forward([f"rubric text number {i}" for i in range(20)])

    background = threading.Thread(target=warm_up)
    background.start()
    assert first_chunk.wait(60)  # the warm-up holds the model
    answer = threading.Thread(target=minilm.forward, args=(["my answer"],))
    answer.start()
    for _ in range(60_000):  # the answer waits for the model (a minute at most)
        if minilm._waiting:
            break
        threading.Event().wait(0.001)
    assert minilm._waiting == 1
    release.set()
    answer.join(60)
    background.join(60)
    assert calls == ["warm-up", "answer"] + ["warm-up"] * 4


def test_a_stopping_process_ends_its_warm_up(monkeypatch):
    """At exit the warm-up stops after its current chunk instead of running on."""
    monkeypatch.setattr(minilm, "_stopping", __import__("threading").Event())
    monkeypatch.setattr(minilm, "BACKGROUND_CHUNK", 2)
    minilm.stop_background()
    with pytest.raises(minilm.Stopped), minilm.in_background():
        minilm.forward(["a", "b", "c"])
    assert minilm.forward(["an answer"])  # calls outside the warm-up are not affected
