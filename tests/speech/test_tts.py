"""Offline text to speech with hibari's bundled voice."""

from __future__ import annotations

import numpy as np
import pytest

from interviewer.errors import SpeechError
from interviewer.speech.audio import read_wav
from interviewer.speech.tts import available_voices, synthesize, synthesize_wav, to_wav_bytes

QUESTION = "Explain the difference between bagging and boosting."


def test_synthesize_speaks_a_question():
    samples, rate = synthesize(QUESTION)
    assert rate == 24000 and samples.dtype == np.float32
    assert 2.0 < len(samples) / rate < 6.0
    assert np.max(np.abs(samples)) <= 1.0
    assert np.sqrt(np.mean(samples**2)) > 0.01  # audible, not silence


def test_same_text_same_audio_and_speed_changes_length():
    a, _ = synthesize(QUESTION)
    b, _ = synthesize(QUESTION)
    fast, _ = synthesize(QUESTION, speed=1.3)
    assert np.array_equal(a, b)
    assert len(fast) < 0.9 * len(a)


def test_wav_bytes_round_trip():
    samples, rate = synthesize("Hello.")
    data = to_wav_bytes(samples, rate)
    assert data[:4] == b"RIFF"
    back = read_wav(data)
    assert back.rate == rate and len(back.samples) == len(samples)
    assert synthesize_wav("Hello.") == data


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"text": ""}, "empty"),
        ({"text": "   "}, "empty"),
        ({"text": "x " * 3000}, "too long"),
        ({"text": "Hi.", "speed": 3.0}, "out of range"),
        ({"text": "Hi.", "voice": "nobody"}, "unknown voice"),
    ],
)
def test_bad_requests_are_one_line_errors(kwargs, match):
    with pytest.raises(SpeechError, match=match) as exc:
        synthesize(**kwargs)
    assert "\n" not in str(exc.value)


def test_other_voices_are_never_downloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))  # an empty voice cache

    def no_network(*a, **k):
        raise AssertionError("tried to download a voice")

    monkeypatch.setattr("hibari.voices.download", no_network)
    assert available_voices() == ["heart"]
    with pytest.raises(SpeechError, match="not installed"):
        synthesize("Hi.", voice="emma")
