"""Decoding and validating spoken input: every bad input gets a one-line reason, and the input is
never changed or deleted."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from interviewer.errors import SpeechError
from interviewer.speech.audio import load_audio, read_wav, resample, to_pcm16, wav_bytes


def tone(seconds: float, rate: int, hz: float = 440.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def riff(fmt_tag: int, channels: int, rate: int, bits: int, data: bytes, extensible=False) -> bytes:
    """A WAV file written by hand, for encodings the wave module cannot write."""
    block = channels * bits // 8
    if extensible:
        fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * block, block, bits)
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", fmt_tag) + bytes(14)
    else:
        fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def reason(source, **kw) -> str:
    with pytest.raises(SpeechError) as exc:
        load_audio(source, **kw)
    msg = str(exc.value)
    assert msg and "\n" not in msg
    return msg


def test_pcm16_round_trip():
    x = tone(1.0, 16000)
    a = load_audio(wav_bytes(x, 16000))
    assert a.rate == 16000 and a.source_encoding == "pcm16" and a.source_channels == 1
    assert np.max(np.abs(a.samples - x)) < 2e-4


@pytest.mark.parametrize("bits", [32, 64])
def test_float_wav(bits):
    x = tone(0.5, 16000)
    data = x.astype(f"<f{bits // 8}").tobytes()
    a = load_audio(riff(3, 1, 16000, bits, data))
    assert a.source_encoding == f"float{bits}"
    assert np.max(np.abs(a.samples - x)) < 1e-6


def test_extensible_and_24_bit_pcm():
    x = tone(0.5, 16000)
    v = np.round(x * (1 << 23)).astype("<i4")
    data = b"".join(int(s).to_bytes(3, "little", signed=True) for s in v)
    a = load_audio(riff(1, 1, 16000, 24, data, extensible=True))
    assert a.source_encoding == "pcm24"
    assert np.max(np.abs(a.samples - x)) < 1e-5


def test_stereo_becomes_mono():
    left, right = tone(0.5, 16000, 440), tone(0.5, 16000, 440, level=0.1)
    data = to_pcm16(np.stack([left, right], axis=1).reshape(-1))
    a = load_audio(riff(1, 2, 16000, 16, data))
    assert a.source_channels == 2 and len(a.samples) == 8000
    assert np.max(np.abs(a.samples - (left + right) / 2)) < 2e-4


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 24000, 44100, 48000])
def test_resampled_to_16k_keeps_pitch_and_length(rate):
    a = load_audio(wav_bytes(tone(2.0, rate, hz=1000.0), rate))
    assert a.rate == 16000 and a.source_rate == rate
    assert abs(len(a.samples) - 32000) <= 1
    spectrum = np.abs(np.fft.rfft(a.samples))
    assert abs(np.argmax(spectrum) * 16000 / len(a.samples) - 1000.0) < 2.0
    # Level kept: a 0.3 sine has RMS 0.212 (edges of the filter aside).
    mid = a.samples[1000:-1000]
    assert abs(np.sqrt(np.mean(mid * mid)) - 0.3 / np.sqrt(2)) < 0.01


def test_downsampling_removes_what_16k_cannot_hold():
    # 7 kHz survives at 16 kHz (Nyquist 8 kHz); 11 kHz must be filtered out, not folded to 5 kHz.
    y = resample(tone(1.0, 48000, hz=11000.0), 48000, 16000)
    assert np.sqrt(np.mean(y[500:-500] ** 2)) < 0.003


def test_silence_is_rejected():
    assert "silent" in reason(wav_bytes(np.zeros(16000 * 5, dtype=np.float32), 16000))
    hiss = np.random.default_rng(0).normal(0, 10 ** (-70 / 20), 16000 * 5).astype(np.float32)
    assert "silent" in reason(wav_bytes(hiss, 16000))


def test_ten_minutes_is_rejected_from_the_header(tmp_path):
    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(np.zeros(16000 * 600, dtype=np.float32), 16000))
    before = path.read_bytes()
    msg = reason(path)
    assert msg == "recording too long: 10:00, the limit is 5:00"
    assert path.read_bytes() == before  # validation never deletes or changes the input
    assert "the limit is 12:00" not in reason(path, max_seconds=120)
    assert load_audio(path, max_seconds=None, require_speech=False).duration == 600.0


def test_exactly_the_limit_is_accepted():
    x = np.zeros(16000 * 300, dtype=np.float32)
    assert read_wav(wav_bytes(x, 16000)).duration == 300.0


def test_not_audio(tmp_path):
    assert reason(b"hello, this is a text file\n").startswith("not an audio file")
    assert reason(b"%PDF-1.7\n...").startswith("PDF is not supported")
    assert reason(b"ID3\x03\x00\x00\x00" + bytes(100)).startswith("MP3 is not supported")
    assert reason(b"OggS" + bytes(100)).startswith("Ogg is not supported")
    assert "directory" in reason(tmp_path)
    assert "not found" in reason(tmp_path / "missing.wav")


def test_empty():
    assert reason(b"").startswith("empty audio")
    assert reason(riff(1, 1, 16000, 16, b"")).startswith("empty audio")


@pytest.mark.parametrize(
    ("tag", "bits", "name"), [(7, 8, "mu-law"), (6, 8, "A-law"), (2, 4, "ADPCM"), (3, 16, "float")]
)
def test_unsupported_encodings(tag, bits, name):
    msg = reason(riff(tag, 1, 16000, bits, bytes(16000)))
    assert msg.startswith("unsupported WAV encoding") and name in msg


def test_broken_and_odd_headers():
    good = wav_bytes(tone(0.5, 16000), 16000)
    assert "broken WAV" in reason(good[:20])
    assert "sample rate" in reason(riff(1, 1, 4000, 16, bytes(8000)))
    # A streaming recorder's header says 0 bytes of data: the rest of the file is used.
    streamed = good[:40] + struct.pack("<I", 0) + good[44:]
    assert len(load_audio(streamed).samples) == 8000


def test_numpy_pairs_as_gradio_gives_them():
    x = tone(1.0, 48000)
    pcm = np.round(x * 32767).astype(np.int16)
    a = load_audio((48000, np.stack([pcm, pcm], axis=1)))
    assert a.rate == 16000 and a.source_channels == 2 and a.source_encoding == "pcm16"
    assert abs(len(a.samples) - 16000) <= 1
    assert "silent" in reason((16000, np.zeros(16000, dtype=np.int16)))
    assert "too long" in reason((8000, np.zeros(8000 * 400, dtype=np.int16)))
    assert "sample type" in reason((16000, np.zeros(16000, dtype=np.uint8)))
