"""The endpoint variants against the fake OpenAI-compatible server, over real HTTP."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from interviewer.errors import SpeechError
from interviewer.speech.audio import read_wav, resample, wav_bytes
from interviewer.speech.stt import transcribe, transcribe_endpoint
from interviewer.speech.text import wer
from interviewer.speech.tts import synthesize, synthesize_endpoint
from tests.fake_openai import FakeOpenAI

TEXT = "Bagging mainly reduces the variance of deep trees."


@pytest.fixture
def srv():
    with FakeOpenAI() as s:
        s.api_key = "test-key"
        yield s


def test_speech_endpoint_returns_audio(srv):
    srv.speech_audio = lambda text, voice, speed: wav_bytes(*synthesize(text, speed=speed))
    samples, rate = synthesize_endpoint(
        TEXT, base_url=srv.base_url, api_key="test-key", model="tts-1", voice="nova", speed=1.1
    )
    assert rate == 24000 and samples.dtype == np.float32
    assert np.array_equal(samples, read_wav(wav_bytes(*synthesize(TEXT, speed=1.1))).samples)
    (req,) = srv.audio_requests
    assert req["path"] == "/v1/audio/speech"
    assert req["fields"] == {
        "model": "tts-1",
        "input": TEXT,
        "voice": "nova",
        "response_format": "wav",
        "speed": 1.1,
    }


def test_transcription_endpoint_with_word_times(srv, domain_model):
    # The fake endpoint hears with the offline recogniser: real audio crosses real HTTP.
    def hear(audio: bytes):
        tr = transcribe(audio, model_dir=domain_model)
        return tr.text, [(w.text, w.start, w.end) for w in tr.words], tr.duration

    srv.transcriber = hear
    samples, rate = synthesize(TEXT)
    wav48 = wav_bytes(resample(samples, rate, 48000), 48000)
    tr = transcribe_endpoint(wav48, base_url=srv.base_url, api_key="test-key", model="whisper-1")
    assert tr.engine == "endpoint:whisper-1"
    # the same words and times as offline: nothing lost on the way through the endpoint
    offline = transcribe(wav48, model_dir=domain_model)
    # (the upload is already 16 kHz 16-bit, so its samples differ from the 48 kHz file's by a
    # rounding step: times may move by a frame or so)
    # Most words heard (the recogniser's accuracy is measured in test_stt): the bundled voice is
    # an 8-bit ONNX model whose products ONNX Runtime rounds differently on AVX2 and AVX-512
    # CPUs, so its audio, and a word or so of what is heard, differ between machines.
    assert tr.text == offline.text and wer(TEXT, tr.text) < 0.5
    for a, b in zip(tr.words, offline.words, strict=True):
        assert a.text == b.text and abs(a.start - b.start) <= 0.05 and abs(a.end - b.end) <= 0.05
    assert [w.text for w in tr.words] == tr.text.split()
    assert all(a.end <= b.start + 1e-9 for a, b in zip(tr.words, tr.words[1:], strict=False))
    (req,) = srv.audio_requests
    assert req["path"] == "/v1/audio/transcriptions"
    assert req["fields"]["response_format"] == "verbose_json"
    assert req["fields"]["timestamp_granularities[]"] == "word"
    assert req["fields"]["model"] == "whisper-1"
    # uploaded as 16 kHz mono 16-bit: 32000 bytes a second plus the 44-byte header
    assert abs(req["file_bytes"]["file"] - 44 - 32000 * len(samples) / rate) < 64


def test_bad_audio_is_refused_before_upload(srv):
    with pytest.raises(SpeechError, match="silent"):
        transcribe_endpoint(
            wav_bytes(np.zeros(16000), 16000),
            base_url=srv.base_url,
            api_key="test-key",
            model="whisper-1",
        )
    assert srv.audio_requests == []


@pytest.mark.parametrize(
    ("fault", "key", "match"),
    [(None, "wrong-key", "rejected the API key"), ("500", "test-key", "HTTP 500")],
)
def test_endpoint_failures_are_one_line(srv, fault, key, match):
    if fault:
        srv.faults = [fault, fault]
    audio = wav_bytes(*synthesize("Hello there."))
    for call in (
        lambda: transcribe_endpoint(audio, base_url=srv.base_url, api_key=key, model="w"),
        lambda: synthesize_endpoint("Hi.", base_url=srv.base_url, api_key=key, model="t"),
    ):
        if fault:
            srv.faults = [fault, fault]
        with pytest.raises(SpeechError, match=match) as exc:
            call()
        assert "\n" not in str(exc.value)


def test_unreachable_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(SpeechError, match="cannot be reached"):
        synthesize_endpoint("Hi.", base_url=url, api_key="k", model="t", timeout=2)
