"""Speech to text: offline with pocketsphinx (stock or domain language model), or through an
OpenAI-compatible ``/audio/transcriptions`` endpoint. Both return a timed ``Transcript``."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.errors import SpeechError
from interviewer.speech import lexicon
from interviewer.speech.audio import (
    DEFAULT_MAX_SECONDS,
    TARGET_RATE,
    load_audio,
    to_pcm16,
    wav_bytes,
)
from interviewer.speech.lm import KneserNey, StockLM, mixed_arpa, prose, sentences
from interviewer.speech.text import spoken_tokens

MODEL_VERSION = 1  # bump when the files build_domain_model writes change meaning
LM_FILE, DICT_FILE, META_FILE = "domain.lm", "domain.dict", "model.json"
DEFAULT_WEIGHT = 0.9  # domain share of the mixture, chosen on held-out dev passages (README-notes)
DEFAULT_GENERAL_WORDS = 20000  # most frequent stock words kept beside the domain vocabulary
# "um" and "uh" stay possible words in every model (the texts never hold them); in practice
# most hesitations come out as the acoustic model's +SPN+ sound (Transcript.sounds).
FILLER_UNIGRAMS = {"um": 0.004, "uh": 0.004}
FRAME_RATE = 100  # pocketsphinx frames per second (10 ms shift)
HESITATION = "[hesitation]"
_NON_WORDS = re.compile(r"^(<s>|</s>|<sil>|\[[A-Z]+\]|\+\+.*\+\+)$")
_ALT = re.compile(r"\(\d+\)$")
_WORD_RE = re.compile(r"^[a-z]+(?:'[a-z]+)*$")


@dataclass(frozen=True)
class Word:
    """One recognised word with its start and end in seconds from the start of the audio."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """What was said: the text, timed words, the audio's duration and the engine used."""

    text: str
    words: tuple[Word, ...]
    duration: float
    engine: str
    # Speech-like sounds that are no word (the acoustic model's +SPN+ filler): mostly "uh"
    # hesitations, sometimes a breath or a cough. Offline only; endpoints drop them.
    sounds: tuple[Word, ...] = ()
    timings: dict = field(default_factory=dict, compare=False)

    @property
    def empty(self) -> bool:
        """True when nothing was recognised."""
        return not self.words and not self.text.strip()


# ------------------------------------------------------------------------- domain model


def build_domain_model(
    texts: list[str],
    out_dir: Path,
    *,
    weight: float = DEFAULT_WEIGHT,
    general_words: int = DEFAULT_GENERAL_WORDS,
) -> Path:
    """Build the domain language model and dictionary from ``texts`` into ``out_dir``."""
    if not 0.0 < weight <= 1.0:
        raise SpeechError(f"domain model weight must be in (0, 1], got {weight}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tokenised: list[list[str]] = []
    surfaces: dict[str, Counter] = {}
    for text in texts:
        for sent in sentences(prose(text)):
            toks = spoken_tokens(sent)
            if toks:
                tokenised.append(toks)
                for t in toks:
                    surfaces.setdefault(t.lower(), Counter())[t] += 1
    if not tokenised:
        raise SpeechError("cannot build a domain model: the texts hold no words")
    stock = StockLM() if weight < 1.0 else None
    cmu = lexicon.cmudict()
    general: list[str] = []
    if stock is not None and general_words > 0:
        # The stock model's own vocabulary is not listable; its frequent words are found by
        # asking it about every CMUdict word.
        scored = [(stock.prob(w), w) for w in cmu if _WORD_RE.match(w)]
        scored = [sw for sw in scored if sw[0] > 0]
        scored.sort(reverse=True)
        general = [w for _, w in scored[:general_words]]
    g2p = lexicon.G2P()
    prons: dict[str, list[str]] = {}
    added: dict[str, list[str]] = {}
    for w in sorted(set(surfaces) | set(general) | set(FILLER_UNIGRAMS)):
        forms = [s for s, _ in surfaces[w].most_common()] if w in surfaces else [w]
        ps = lexicon.pronunciations(w, forms, g2p)
        if ps:
            prons[w] = ps
            if w not in cmu or len(ps) > len(cmu[w]):
                added[w] = ps
    # pocketsphinx cannot use a word it cannot pronounce: a sentence is cut at such a word
    # rather than joined across it, so no n-gram spans the gap.
    corpus: list[list[str]] = []
    for toks in tokenised:
        run: list[str] = []
        for t in toks:
            if t.lower() in prons:
                run.append(t.lower())
            elif run:
                corpus.append(run)
                run = []
        if run:
            corpus.append(run)
    if not corpus:
        raise SpeechError("cannot build a domain model: no word in the texts can be pronounced")
    domain = KneserNey(corpus)
    keep_general = [w for w in general if w in prons]
    # The dictionary is replaced before the model, so a decoder that loads in between finds a
    # pronunciation for every word of whichever model it reads.
    tmp = out_dir / (DICT_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for w in sorted(prons):
            for i, p in enumerate(prons[w]):
                f.write(f"{w if i == 0 else f'{w}({i + 1})'} {p}\n")
    tmp.replace(out_dir / DICT_FILE)
    counts = mixed_arpa(
        domain,
        stock,
        keep_general,
        weight,
        out_dir / LM_FILE,
        extra_unigrams={w: p for w, p in FILLER_UNIGRAMS.items() if w in prons},
    )
    meta = {
        "version": MODEL_VERSION,
        "weight": weight,
        "general_words": len(keep_general),
        "sentences": len(corpus),
        "domain_words": len(domain.vocab),
        "added_pronunciations": len(added),
        "ngrams": counts,
        "seconds": round(time.perf_counter() - t0, 2),
        "added": {w: added[w] for w in sorted(added)[:2000]},
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return out_dir


# ------------------------------------------------------------------------- decoding


class _Recogniser:
    """One pocketsphinx decoder (not thread-safe, so used under its lock)."""

    def __init__(self, model_dir: Path | None, options: dict):
        import pocketsphinx

        kwargs = {"loglevel": "FATAL", **options}
        if model_dir is not None:
            kwargs["lm"] = str(model_dir / LM_FILE)
            kwargs["dict"] = str(model_dir / DICT_FILE)
        self.decoder = pocketsphinx.Decoder(**kwargs)
        self.lock = threading.Lock()


_CACHE: dict[tuple, _Recogniser] = {}
_CACHE_LOCK = threading.Lock()


def _recogniser(model_dir: Path | None, options: dict) -> _Recogniser:
    key: tuple = (None, tuple(sorted(options.items())))
    if model_dir is not None:
        model_dir = Path(model_dir)
        missing = [f for f in (LM_FILE, DICT_FILE) if not (model_dir / f).is_file()]
        if missing:
            raise SpeechError(f"no domain speech model in {model_dir}: build it at ingest time")
        meta = model_dir / META_FILE
        if meta.is_file():
            try:
                built = json.loads(meta.read_text(encoding="utf-8")).get("version")
            except (OSError, ValueError):
                built = None
            if built != MODEL_VERSION:
                raise SpeechError(
                    f"the domain speech model in {model_dir} is from another version: rebuild it"
                )
        stamp = tuple((model_dir / f).stat().st_mtime_ns for f in (LM_FILE, DICT_FILE))
        key = (str(model_dir.resolve()), stamp, key[1])
    with _CACHE_LOCK:
        rec = _CACHE.get(key)
        if rec is None:
            # A rebuilt model (new mtime) replaces the old decoder rather than piling up.
            for k in [k for k in _CACHE if k[0] == key[0]]:
                del _CACHE[k]
            rec = _Recogniser(model_dir, options)
            _CACHE[key] = rec
    return rec


def transcribe(
    source,
    *,
    model_dir: Path | None = None,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
    options: dict | None = None,
) -> Transcript:
    """Transcribe WAV bytes or a WAV path offline; model_dir=None uses the stock model."""
    t0 = time.perf_counter()
    audio = load_audio(source, rate=TARGET_RATE, max_seconds=max_seconds)
    t1 = time.perf_counter()
    rec = _recogniser(model_dir, dict(options or {}))
    pcm = to_pcm16(audio.samples)
    words: list[Word] = []
    sounds: list[Word] = []
    with rec.lock:
        dec = rec.decoder
        # One utterance for the whole answer: cutting at the VAD's pauses tripled the WER on
        # long answers (words clipped at the cuts), and decoding stays well under real time.
        dec.start_utt()
        dec.process_raw(pcm, full_utt=True)
        dec.end_utt()
        for seg in dec.seg():
            w = _ALT.sub("", seg.word)
            start, end = seg.start_frame / FRAME_RATE, (seg.end_frame + 1) / FRAME_RATE
            if w == "[SPEECH]":
                sounds.append(Word(HESITATION, start, end))
            elif not _NON_WORDS.match(w):
                words.append(Word(w, start, end))
    t2 = time.perf_counter()
    return Transcript(
        text=" ".join(w.text for w in words),
        words=tuple(words),
        duration=audio.duration,
        engine="pocketsphinx-domain" if model_dir is not None else "pocketsphinx-stock",
        sounds=tuple(sounds),
        timings={"decode_audio": t1 - t0, "recognise": t2 - t1},
    )


# ------------------------------------------------------------------------- endpoint


def transcribe_endpoint(
    source,
    *,
    base_url: str,
    api_key: str,
    model: str,
    timeout: float = 60.0,
    language: str | None = "en",
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
) -> Transcript:
    """Transcribe through an OpenAI-compatible /audio/transcriptions endpoint (word timings)."""
    import openai

    # Validated and normalised here too: the same one-line reasons, and 16 kHz mono PCM keeps the
    # upload small whatever the recorder produced.
    audio = load_audio(source, rate=TARGET_RATE, max_seconds=max_seconds)
    client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=1)
    upload = ("answer.wav", io.BytesIO(wav_bytes(audio.samples, audio.rate)), "audio/wav")
    kwargs: dict = {
        "model": model,
        "file": upload,
        "response_format": "verbose_json",
        "timestamp_granularities": ["word"],
    }
    if language:
        kwargs["language"] = language
    try:
        resp = client.audio.transcriptions.create(**kwargs)
    except openai.AuthenticationError:
        raise SpeechError("the speech endpoint rejected the API key") from None
    except openai.APIConnectionError as exc:
        raise SpeechError(f"the speech endpoint at {base_url} cannot be reached ({exc})") from None
    except openai.APIStatusError as exc:
        raise SpeechError(
            f"the speech endpoint failed: HTTP {exc.status_code} {_short(exc.message)}"
        ) from None
    text = (getattr(resp, "text", None) or "").strip()
    words = []
    for w in getattr(resp, "words", None) or []:
        get = w.get if isinstance(w, dict) else lambda k, _w=w: getattr(_w, k, None)
        if get("word") is None or get("start") is None:
            continue
        words.append(Word(str(get("word")).strip(), float(get("start")), float(get("end"))))
    duration = float(getattr(resp, "duration", None) or audio.duration)
    return Transcript(text=text, words=tuple(words), duration=duration, engine=f"endpoint:{model}")


def _short(message: str, limit: int = 120) -> str:
    line = " ".join(str(message).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
