"""The bundled MiniLM on ONNX Runtime: the float export gives the same tokens and vectors as
sentence-transformers on torch, the integer model (the default) the same tokens and vectors at
cosine 0.998 and above, whatever they are batched with; both are made once and reused, made again
when damaged, and each failure falls back to the next runtime (integer, float, torch)."""

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


def test_float_onnx_gives_torch_tokens_and_vectors():
    minilm.runtime()  # made by now, if this machine had not yet
    model = minilm.OnnxMiniLM(minilm.onnx_path())
    ours, theirs = model.forward(texts()), minilm.TorchMiniLM().forward(texts(), 32)
    assert len(ours) == len(theirs) == len(texts())
    for a, b, t in zip(ours, theirs, texts(), strict=True):
        assert a.tokens == b.tokens, t
        assert len(a.tokens) <= minilm.MAX_TOKENS
        assert np.abs(a.token_embeddings - b.token_embeddings).max() < 1e-4, t
        assert float(a.sentence @ b.sentence) > 0.99999, t
        assert abs(float(np.linalg.norm(a.sentence)) - 1) < 1e-5


def test_integer_model_stays_close_to_the_float_one():
    model = minilm.runtime()
    assert model.name == "int8", "the default runtime is the integer model"
    ours = model.forward(texts())
    theirs = minilm.OnnxMiniLM(minilm.onnx_path()).forward(texts())
    cos = []
    for a, b, t in zip(ours, theirs, texts(), strict=True):
        assert a.tokens == b.tokens, t
        cos.append(float(a.sentence @ b.sentence))
        assert cos[-1] > 0.995, t
        assert abs(float(np.linalg.norm(a.sentence)) - 1) < 1e-5
    assert np.mean(cos) > 0.999


def test_integer_products_are_exact_on_every_cpu():
    """The largest activations against the largest weights, signs aligned. ONNX Runtime's uint8 x
    int8 products saturate on x86 CPUs without VNNI (the same answer then got other vectors, and
    another grade, there); the integer model then stores uint8 weights, exact everywhere."""
    from interviewer.grading import quantize

    assert quantize.products_exact(unsigned=True)  # the fallback is exact on every CPU (96)
    chosen = minilm.unsigned_weights()
    assert chosen is not quantize.products_exact()  # signed only where exact (faster with VNNI)
    assert minilm.runtime().path == minilm.int8_path()
    assert minilm.int8_path().stem.endswith("u" if chosen else "s")


def test_the_integer_graph_computes_the_per_token_products():
    """``quantize``'s graph against the same arithmetic in numpy, bit for bit: each token scaled
    by its own largest magnitude (its outlier channel left out and multiplied in float), rounded
    half to even, multiplied in integers, scaled back per column and per token. Two products of
    one activation (as Q, K and V) share one quantization of it."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from interviewer.grading import quantize

    f32 = np.float32
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 16)).astype(f32)
    x[0, 1] = 0.0  # a token of zeros: its scale is the floor, its products 0
    x[..., 3] *= 40  # an outlier channel, as a transformer has
    ws = [rng.normal(size=(16, 8)).astype(f32) for _ in range(2)]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", f"w{i}"], [f"y{i}"]) for i in range(2)], "two",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, None, 16])],
        [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None) for i in range(2)],
        [numpy_helper.from_array(w, f"w{i}") for i, w in enumerate(ws)],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    maxima = np.abs(x).max(axis=(0, 1))
    q = quantize.quantize(model, {"x": maxima}, unsigned=minilm.unsigned_weights())
    assert [n.op_type for n in q.graph.node].count("QuantizeLinear") == 1
    got = ort.InferenceSession(q.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"x": x}
    )
    keep = np.ones(16, f32)
    keep[3] = 0
    xr = x * keep
    s = np.maximum(np.abs(xr).max(axis=-1, keepdims=True), f32(1e-8)) / f32(127)
    xq = np.round(xr / s)  # half to even, as ONNX rounds
    for w, y in zip(ws, got, strict=True):
        w_scale = (np.maximum(np.abs(w * keep[:, None]).max(axis=0), 1e-12) / 127).astype(f32)
        wq = np.clip(np.round(w * keep[:, None] / w_scale), -127, 127)
        want = ((xq.astype(np.float64) @ wq).astype(f32) * w_scale) * s + x[..., 3:4] * w[3]
        assert np.array_equal(y, want)
        assert np.abs(y - x @ w).max() < 0.05 * np.abs(x @ w).max()  # and close to the float


def test_both_weight_formats_give_the_same_vectors(tmp_path):
    """Where both are exact, uint8 and int8 weights give the very same integers: a machine that
    needs the uint8 weights grades like one that does not (up to the float steps' last bits)."""
    import onnx

    from interviewer.grading import quantize

    if not quantize.products_exact():
        pytest.skip("uint8 x int8 saturates on this CPU: only the uint8 weights are exact here")
    minilm.runtime()  # the float model is made by now
    flt = minilm.OnnxMiniLM(minilm.onnx_path())
    out = []
    for unsigned in (False, True):
        path = tmp_path / f"{'u' if unsigned else 's'}.onnx"
        onnx.save(minilm.quantized(flt, unsigned), str(path))
        out.append(minilm.OnnxMiniLM(path, "int8").forward(texts()[:20]))
    for a, b in zip(*out, strict=True):
        assert a.tokens == b.tokens and np.array_equal(a.token_embeddings, b.token_embeddings)


def test_batching_does_not_change_vectors():
    """Sorted by length and cut into batches of any size, each text gets its own vectors: on the
    integer model exactly (each token has its own scale), so an answer's grade never depends on
    the answers it is graded with."""
    for model in (minilm.runtime(), minilm.OnnxMiniLM(minilm.onnx_path())):
        one = [model.forward([t])[0] for t in texts()[:12]]
        for size in (1, 3, 8, 32):
            for a, b in zip(one, model.forward(texts()[:12], size), strict=True):
                assert a.tokens == b.tokens
                gap = np.abs(a.token_embeddings - b.token_embeddings).max()
                assert gap == 0.0 if model.name == "int8" else gap < 1e-4


def test_encoder_keeps_content_tokens_only():
    (e,) = minilm_encode(["The model overfits because the tree is too deep."])
    assert e.tok.shape[1] == minilm.DIM and len(e.tok) == len(e.tok_w)
    # content words only: model, overfits (2 pieces at most), tree, deep; no "the", no "."
    assert 4 <= len(e.tok) <= 6


def test_exported_model_is_reused(monkeypatch, fresh_runtime):
    minilm.runtime()  # made by now, if this machine had not yet
    assert minilm.onnx_path().exists() and minilm.int8_path().exists()

    def no_export(*args):
        raise AssertionError("made again")

    monkeypatch.setattr(minilm, "export_onnx", no_export)
    monkeypatch.setattr(minilm, "make_int8", no_export)
    minilm.runtime.cache_clear()
    assert minilm.runtime().name == "int8"


def test_damaged_models_are_made_again(tmp_path, monkeypatch, fresh_runtime, caplog):
    monkeypatch.setenv("INTERVIEWER_MODEL_CACHE", str(tmp_path))
    minilm.onnx_path().write_bytes(b"not a model")
    minilm.int8_path().write_bytes(b"not a model either")
    stem = minilm.onnx_path().stem
    earlier = [tmp_path / f"{stem}-int8-q1.onnx", tmp_path / f"{stem}-int8-q2s.onnx"]
    other = tmp_path / "another-model-int8-q2s.onnx"
    for f in [*earlier, other]:
        f.write_bytes(b"an integer model of an earlier format")
    with caplog.at_level(logging.WARNING, logger=minilm.__name__):
        model = minilm.runtime()
    assert model.name == "int8"
    assert "integer MiniLM" in caplog.text and "unreadable" in caplog.text
    assert minilm.onnx_path().stat().st_size > 10_000_000
    assert minilm.int8_path().stat().st_size > 10_000_000
    assert not list(tmp_path.glob(".export-*")) and not list(tmp_path.glob(".quantize-*")), (
        "no temporary file is left behind"
    )
    assert not any(f.exists() for f in earlier), "earlier integer models are removed"
    assert other.exists(), "another model's files are not touched"


def test_float_model_when_asked_or_when_the_integer_one_fails(monkeypatch, fresh_runtime, caplog):
    monkeypatch.setenv("INTERVIEWER_ENCODER", "onnx")
    assert minilm.runtime().name == "onnx"
    assert minilm.vector_space() == "float"

    minilm.runtime.cache_clear()
    monkeypatch.delenv("INTERVIEWER_ENCODER")
    monkeypatch.setattr(minilm, "int8_path", lambda: minilm.onnx_path().with_name("missing.onnx"))

    def drifts(*args):
        raise RuntimeError("the integer model's vectors drift (cosine 0.9)")

    monkeypatch.setattr(minilm, "make_int8", drifts)
    with caplog.at_level(logging.WARNING, logger=minilm.__name__):
        model = minilm.runtime()
    assert model.name == "onnx"
    assert "using the float model" in caplog.text
    (e,) = minilm_encode(["Still graded."])
    assert abs(float(np.linalg.norm(e.vec)) - 1) < 1e-5


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


def _encode_in_child(queue) -> None:
    out = minilm.forward([f"sentence number {i} of a forked child" for i in range(20)])
    queue.put(len(out))


def test_a_forked_child_still_encodes():
    """A child forked after the model ran has none of its worker threads: it makes its own
    instead of waiting on the parent's forever."""
    import multiprocessing

    minilm.forward([f"parent sentence {i}" for i in range(20)])  # the workers exist now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_encode_in_child, args=(queue,))
    child.start()
    child.join(120)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail("the forked child hung on the parent's worker threads")
    assert child.exitcode == 0 and queue.get(timeout=10) == 20


def test_the_integer_graph_spells_gelu_once_and_drops_the_nan_guard():
    """``quantize.simplify``: GELU written out as six element-wise steps after its bias becomes
    one FastGelu (its tanh form, within 1e-3), and the NaN guard after an attention Softmax goes
    (no row is all padding); a look-alike that is not GELU is left as it is."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from interviewer.grading import quantize

    f32 = np.float32
    rng = np.random.default_rng(2)
    w, b = rng.normal(size=(8, 8)).astype(f32), rng.normal(size=8).astype(f32)
    consts = {"w": w, "b": b, "r2": f32(2**0.5), "one": f32(1), "half": f32(0.5), "zero": f32(0),
              "three": f32(3)}  # fmt: skip
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["h"]),
        helper.make_node("Div", ["h", "r2"], ["h2"]),
        helper.make_node("Erf", ["h2"], ["e"]),
        helper.make_node("Add", ["e", "one"], ["e1"]),
        helper.make_node("Mul", ["half", "e1"], ["e2"]),
        helper.make_node("Mul", ["h", "e2"], ["gelu"]),
        # the same steps dividing by 3, not sqrt 2: not GELU
        helper.make_node("Add", ["xw", "b"], ["k"]),
        helper.make_node("Div", ["k", "three"], ["k2"]),
        helper.make_node("Erf", ["k2"], ["f"]),
        helper.make_node("Add", ["f", "one"], ["f1"]),
        helper.make_node("Mul", ["half", "f1"], ["f2"]),
        helper.make_node("Mul", ["k", "f2"], ["other"]),
        helper.make_node("Softmax", ["gelu"], ["p"], axis=-1),
        helper.make_node("IsNaN", ["p"], ["nan"]),
        helper.make_node("Where", ["nan", "zero", "p"], ["guarded"]),
        helper.make_node("Mul", ["guarded", "one"], ["probs"]),
    ]
    graph = helper.make_graph(
        nodes, "gelu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, None, 8])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("probs", "other")],
        [numpy_helper.from_array(np.asarray(v, f32), k) for k, v in consts.items()],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                    helper.make_opsetid("com.microsoft", 1)],
                              ir_version=10)  # fmt: skip
    before = model.SerializeToString()
    simple = helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=10)
    simple.graph.ClearField("node")
    simple.graph.node.extend(quantize.simplify(list(model.graph.node),
                                               {i.name: i for i in graph.initializer},
                                               frozenset({"probs", "other"})))  # fmt: skip
    assert model.SerializeToString() == before  # the caller's nodes are left as they are
    ops = [n.op_type for n in simple.graph.node]
    assert ops.count("FastGelu") == 1 and ops.count("Erf") == 1  # the look-alike stays
    assert "IsNaN" not in ops and "Where" not in ops
    x = rng.normal(size=(2, 3, 8)).astype(f32) * 3
    run = [ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
           .run(None, {"x": x}) for m in (model, simple)]  # fmt: skip
    assert np.abs(run[0][0] - run[1][0]).max() < 1e-3  # probabilities after the tanh GELU
    assert np.array_equal(run[0][1], run[1][1])

    # A graph output among what a match would drop keeps the match as it is.
    kept = quantize.simplify(list(model.graph.node), {i.name: i for i in graph.initializer},
                             frozenset({"guarded", "h2"}))  # fmt: skip
    assert [n.op_type for n in kept] == [n.op_type for n in model.graph.node]


def test_the_shipped_integer_model_has_the_rewrites_and_its_sessions_skip_the_slow_fusion(tmp_path):
    """On the real export: six FastGelu, no Erf, no NaN guard; and ONNX Runtime, told
    ``UNFUSED`` (a name it does not know would be ignored silently), keeps Add and
    LayerNormalization instead of its slower SkipLayerNormalization."""
    import onnx
    import onnxruntime as ort

    path = minilm.runtime().path
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert ops.count("FastGelu") == 6 and "Erf" not in ops and "IsNaN" not in ops
    seen = {}
    for name, disabled in (("fused", []), ("unfused", minilm.UNFUSED)):
        opts = ort.SessionOptions()
        opts.optimized_model_filepath = str(tmp_path / f"{name}.onnx")
        ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"],
                             disabled_optimizers=disabled)  # fmt: skip
        seen[name] = [n.op_type for n in onnx.load(opts.optimized_model_filepath).graph.node]
    assert seen["fused"].count("SkipLayerNormalization") == 12  # what the option turns off
    assert "SkipLayerNormalization" not in seen["unfused"]
    assert seen["unfused"].count("LayerNormalization") == 13
