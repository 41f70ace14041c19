"""Text to speech: offline with hibari (an ONNX voice inside its wheel), or through an
OpenAI-compatible ``/audio/speech`` endpoint."""

from __future__ import annotations

import threading

import numpy as np

from interviewer.errors import SpeechError
from interviewer.speech.audio import read_wav, wav_bytes

DEFAULT_VOICE = "heart"  # hibari's bundled American English voice: the only one in the wheel
MAX_CHARS = 5000  # about five minutes of speech; a question is a few hundred characters
MIN_SPEED, MAX_SPEED = 0.5, 2.0  # hibari's supported range

_ENGINES: dict[str, object] = {}
_LOCKS: dict[str, threading.Lock] = {}
_ENGINES_LOCK = threading.Lock()


def available_voices() -> list[str]:
    """hibari voices usable offline: the bundled one and any already in hibari's cache."""
    from hibari.voices import VOICES, voice_path

    out = []
    for name in VOICES:
        try:
            voice_path(name, download_missing=False)
        except (FileNotFoundError, ValueError):
            continue
        out.append(name)
    return out


def _engine(voice: str):
    from hibari import Hibari
    from hibari.voices import VOICES, voice_path

    with _ENGINES_LOCK:
        if voice in _ENGINES:
            return _ENGINES[voice], _LOCKS[voice]
        if voice not in VOICES:
            raise SpeechError(
                f"unknown voice {voice!r}; available: {', '.join(available_voices())}"
            )
        try:
            # download_missing=False: hibari would otherwise fetch other voices from the network.
            path = voice_path(voice, download_missing=False)
        except FileNotFoundError:
            raise SpeechError(
                f"voice {voice!r} is not installed (offline only); available: "
                f"{', '.join(available_voices())}"
            ) from None
        engine = Hibari(voice=voice, model=path, threads=1)
        _ENGINES[voice], _LOCKS[voice] = engine, threading.Lock()
        return engine, _LOCKS[voice]


def synthesize(
    text: str,
    *,
    speed: float = 1.0,
    voice: str | None = None,
    seed: int | None = 0,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` offline: (float32 mono samples in [-1, 1], sample rate)."""
    if not text or not text.strip():
        raise SpeechError("nothing to say: the text is empty")
    if len(text) > MAX_CHARS:
        raise SpeechError(
            f"text too long to speak: {len(text)} characters, the limit is {MAX_CHARS}"
        )
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise SpeechError(f"speed {speed} is out of range ({MIN_SPEED} to {MAX_SPEED})")
    engine, lock = _engine(voice or DEFAULT_VOICE)
    # The seed fixes hibari's noise component: the same question always sounds the same.
    with lock:  # hibari's text front end keeps state between calls
        samples = engine(text, speed=float(speed), seed=seed)
    if samples.size == 0:
        raise SpeechError("nothing to say: the text has no speakable words")
    return samples.astype(np.float32, copy=False), int(engine.sample_rate)


def to_wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """Mono 16-bit PCM WAV bytes of float32 (or int16) samples."""
    return wav_bytes(samples, sample_rate)


def synthesize_wav(text: str, *, speed: float = 1.0, voice: str | None = None) -> bytes:
    """Speak ``text`` offline straight to WAV bytes."""
    return to_wav_bytes(*synthesize(text, speed=speed, voice=voice))


def synthesize_endpoint(
    text: str,
    *,
    base_url: str,
    api_key: str,
    model: str,
    voice: str = "alloy",
    speed: float = 1.0,
    timeout: float = 60.0,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` through an OpenAI-compatible /audio/speech endpoint (WAV requested)."""
    import openai

    if not text or not text.strip():
        raise SpeechError("nothing to say: the text is empty")
    if len(text) > MAX_CHARS:
        raise SpeechError(
            f"text too long to speak: {len(text)} characters, the limit is {MAX_CHARS}"
        )
    client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=1)
    try:
        resp = client.audio.speech.create(
            model=model, voice=voice, input=text, response_format="wav", speed=speed
        )
        data = resp.read()
    except openai.AuthenticationError:
        raise SpeechError("the speech endpoint rejected the API key") from None
    except openai.APIConnectionError as exc:
        raise SpeechError(f"the speech endpoint at {base_url} cannot be reached ({exc})") from None
    except openai.APIStatusError as exc:
        msg = " ".join(str(exc.message).split())[:120]
        raise SpeechError(f"the speech endpoint failed: HTTP {exc.status_code} {msg}") from None
    try:
        audio = read_wav(data, max_seconds=None)
    except SpeechError as exc:
        raise SpeechError(f"the speech endpoint returned unusable audio: {exc}") from None
    return audio.samples, audio.rate
