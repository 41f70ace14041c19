"""Decode and validate spoken input: WAV in, 16 kHz mono float32 out, or a one-line SpeechError.

Validation only reads: the caller's bytes or file are never changed or deleted, so a rejected
recording can still be kept, replayed or sent elsewhere.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interviewer.errors import SpeechError

TARGET_RATE = 16000  # pocketsphinx's en-us acoustic model is trained on 16 kHz audio
DEFAULT_MAX_SECONDS = 300.0
MIN_RATE, MAX_RATE = 8000, 192000
# Speech needs this much time above the energy floor; 0.25 s is shorter than any real answer
# yet longer than a click or a cough of line noise.
MIN_SPEECH_SECONDS = 0.25
SPEECH_FLOOR_DBFS = -45.0  # a quiet voice on a laptop microphone sits near -30 dBFS

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_BLOCK = 1 << 15  # output samples per resampling block
_HEAD_BYTES = 1 << 16  # enough for any real WAV header (fmt, LIST/INFO metadata, data start)
_CODECS = {2: "ADPCM", 6: "A-law", 7: "mu-law", 0x11: "IMA ADPCM", 0x55: "MP3", 0x50: "MPEG"}
_MAGIC = [  # (offset, bytes, name): what a non-WAV upload most often is, to name it in the error
    (0, b"ID3", "MP3"),
    (0, b"\xff\xfb", "MP3"),
    (0, b"\xff\xf3", "MP3"),
    (0, b"OggS", "Ogg"),
    (0, b"fLaC", "FLAC"),
    (0, b"\x1aE\xdf\xa3", "WebM/Matroska"),
    (4, b"ftyp", "MP4/M4A"),
    (0, b"FORM", "AIFF"),
    (0, b"%PDF", "PDF"),
    (0, b"PK\x03\x04", "ZIP"),
]


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``rate`` Hz, and what the input was."""

    samples: np.ndarray
    rate: int
    source_rate: int
    source_channels: int
    source_encoding: str  # "pcm16", "pcm24", "pcm32", "pcm8", "float32", "float64"

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate if self.rate else 0.0


def fmt_duration(seconds: float) -> str:
    """Seconds as m:ss (e.g. 100.4 -> "1:40")."""
    s = int(seconds + 0.5)  # half up: round() would give 2 for 2.5 s
    return f"{s // 60}:{s % 60:02d}"


def _open(source) -> tuple[bytes, int, Callable[[int, int], bytes]]:
    """(the first bytes, the total size, a reader of any range) of bytes or a file.

    A file is read in two steps, so that a recording over the length limit is refused from its
    header without reading the whole upload into memory.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return data[:_HEAD_BYTES], len(data), lambda off, n: data[off : off + n]
    path = Path(source)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise SpeechError(f"not an audio file: {path} is a directory")
        with open(path, "rb") as f:
            head = f.read(_HEAD_BYTES)
    except FileNotFoundError:
        raise SpeechError(f"audio file not found: {path}") from None
    except OSError as exc:
        raise SpeechError(f"cannot read audio file {path}: {exc.strerror or exc}") from None

    def read(off: int, n: int) -> bytes:
        try:
            with open(path, "rb") as f:
                f.seek(off)
                return f.read(n)
        except OSError as exc:
            raise SpeechError(f"cannot read audio file {path}: {exc.strerror or exc}") from None

    return head, size, read


def _not_wav(data: bytes) -> SpeechError:
    for offset, magic, name in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return SpeechError(f"{name} is not supported: send WAV audio (PCM 16-bit or float)")
    return SpeechError("not an audio file: expected WAV audio (PCM 16-bit or float)")


def _chunks(data: bytes, total: int) -> tuple[bytes, int, int]:
    """The fmt chunk, and the data chunk's offset and length (RIFF walk over the file's head)."""
    fmt, pos = None, 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt = data[body : body + size]
        elif cid == b"data":
            if fmt is None:
                raise SpeechError("broken WAV file: the data chunk comes before the format chunk")
            # Recorders that stream write 0 or 0xFFFFFFFF before they know the length.
            avail = total - body
            length = avail if size in (0, 0xFFFFFFFF) or size > avail else size
            return fmt, body, length
        pos = body + size + (size & 1)  # chunks are padded to even sizes
    if fmt is None:
        raise SpeechError("broken WAV file: no format chunk")
    raise SpeechError("broken WAV file: no audio data chunk")


def _parse_fmt(fmt: bytes) -> tuple[int, int, int, int]:
    """(format tag, channels, rate, bits per sample), the extensible sub-format resolved."""
    if len(fmt) < 16:
        raise SpeechError("broken WAV file: format chunk too short")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _EXTENSIBLE:
        if len(fmt) < 26:
            raise SpeechError("broken WAV file: extensible format chunk too short")
        tag = struct.unpack("<H", fmt[24:26])[0]  # first two bytes of the sub-format GUID
    return tag, channels, rate, bits


def _decode(raw: bytes, tag: int, bits: int, channels: int) -> tuple[np.ndarray, str]:
    width = bits // 8
    n = len(raw) // (width * channels) * width * channels  # drop a trailing partial frame
    raw = raw[:n]
    if tag == _FLOAT and bits in (32, 64):
        x = np.frombuffer(raw, dtype=f"<f{width}").astype(np.float32)
        if not np.all(np.isfinite(x)):
            raise SpeechError("broken WAV file: float samples are not finite numbers")
        enc = f"float{bits}"
    elif tag == _PCM and bits == 16:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        enc = "pcm16"
    elif tag == _PCM and bits == 8:  # 8-bit WAV is unsigned
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
        enc = "pcm8"
    elif tag == _PCM and bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float32) / float(1 << 23)
        enc = "pcm24"
    elif tag == _PCM and bits == 32:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
        enc = "pcm32"
    else:
        kind = f"{bits}-bit {'float' if tag == _FLOAT else 'PCM'}"
        raise SpeechError(f"unsupported WAV encoding: {kind} (use PCM 16-bit or float)")
    x = x.reshape(-1, channels)
    # Stereo -> mono by averaging: a phone held to one side still keeps half its level.
    mono = x[:, 0] if channels == 1 else x.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32), enc


def from_array(rate: int, data, *, max_seconds: float | None = DEFAULT_MAX_SECONDS) -> Audio:
    """A (sample rate, samples) pair, as Gradio's numpy audio gives it, checked like a WAV."""
    a = np.asarray(data)
    if not MIN_RATE <= int(rate) <= MAX_RATE:
        raise SpeechError(f"unsupported sample rate {rate} Hz (use 8000 to 192000 Hz)")
    if a.ndim not in (1, 2) or a.size == 0:
        raise SpeechError("empty audio: the recording holds no samples")
    frames = a.shape[0]
    if max_seconds is not None and frames / rate > max_seconds:
        raise SpeechError(
            f"recording too long: {fmt_duration(frames / rate)}, the limit is "
            f"{fmt_duration(max_seconds)}"
        )
    if a.dtype == np.int16:
        x, enc = a.astype(np.float32) / 32768.0, "pcm16"
    elif a.dtype == np.int32:
        x, enc = a.astype(np.float32) / float(1 << 31), "pcm32"
    elif a.dtype.kind == "f":
        x, enc = a.astype(np.float32), f"float{a.dtype.itemsize * 8}"
        if not np.all(np.isfinite(x)):
            raise SpeechError("broken audio: samples are not finite numbers")
    else:
        raise SpeechError(f"unsupported sample type {a.dtype} (use int16, int32 or float)")
    channels = 1 if x.ndim == 1 else x.shape[1]
    mono = x if x.ndim == 1 else x.mean(axis=1, dtype=np.float32)
    return Audio(np.ascontiguousarray(mono), int(rate), int(rate), channels, enc)


def read_wav(
    source: bytes | bytearray | memoryview | str | Path | tuple,
    *,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
) -> Audio:
    """Decode WAV bytes or a WAV file to mono float32 at its own rate; SpeechError if unusable."""
    if isinstance(source, tuple):
        return from_array(*source, max_seconds=max_seconds)
    head, total, read = _open(source)
    if not total:
        raise SpeechError("empty audio: the recording has no bytes")
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX", b"RF64") or head[8:12] != b"WAVE":
        raise _not_wav(head)
    if head[:4] != b"RIFF":
        raise SpeechError(f"unsupported WAV container {head[:4].decode()}: use little-endian RIFF")
    fmt, body, length = _chunks(head, total)
    tag, channels, rate, bits = _parse_fmt(fmt)
    if channels < 1 or channels > 8:
        raise SpeechError(f"unsupported WAV: {channels} channels (use mono or stereo)")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise SpeechError(f"unsupported sample rate {rate} Hz (use 8000 to 192000 Hz)")
    if tag not in (_PCM, _FLOAT):
        name = _CODECS.get(tag, f"format {tag:#x}")
        raise SpeechError(f"unsupported WAV encoding: {name} (use PCM 16-bit or float)")
    if bits == 0 or bits % 8:
        raise SpeechError(f"unsupported WAV encoding: {bits}-bit samples (use PCM 16-bit or float)")
    frames = length // (bits // 8 * channels)
    if frames == 0:
        raise SpeechError("empty audio: the WAV file holds no samples")
    seconds = frames / rate
    # Checked from the header before decoding, so a very long upload costs no memory.
    if max_seconds is not None and seconds > max_seconds:
        raise SpeechError(
            f"recording too long: {fmt_duration(seconds)}, the limit is {fmt_duration(max_seconds)}"
        )
    samples, enc = _decode(read(body, length), tag, bits, channels)
    return Audio(samples, rate, rate, channels, enc)


def _kaiser_lowpass(cutoff: float, half: int, beta: float = 8.0) -> np.ndarray:
    """Windowed-sinc low-pass taps; cutoff is a fraction of Nyquist of the (upsampled) rate."""
    n = np.arange(-half, half + 1, dtype=np.float64)
    h = cutoff * np.sinc(cutoff * n) * np.kaiser(2 * half + 1, beta)
    return h


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited rational resampling (polyphase windowed sinc) in numpy."""
    x = np.asarray(samples, dtype=np.float64)
    if src_rate == dst_rate or len(x) == 0:
        return x.astype(np.float32)
    g = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    # 16 zero crossings of the narrower band: flat to about 0.9 of the new Nyquist frequency.
    zeros = 16
    step = max(up, down)
    half = zeros * step
    h = _kaiser_lowpass(1.0 / step, half) * up  # gain `up` restores the level lost to zero-stuffing
    n_out = int(math.ceil(len(x) * up / down))
    # Output m sits at upsampled position m*down; tap k of h (centre `half`) meets input i when
    # i*up = m*down + half - k. Grouping outputs by phase (m*down) % up gives, per phase, a plain
    # strided dot product with that phase's sub-filter.
    pad = half // up + 2
    xp = np.concatenate([np.zeros(pad), x, np.zeros(pad + 1)])
    out = np.empty(n_out, dtype=np.float64)
    for m0 in range(min(up, n_out)):
        c = m0 * down + half  # upsampled index of tap 0 relative to input 0
        # inputs i with 0 <= c - i*up <= 2*half, i.e. taps k = c - i*up
        i_hi = c // up
        i_lo = -((2 * half - c) // up)  # ceil((c - 2*half) / up)
        taps = h[c - np.arange(i_lo, i_hi + 1) * up]  # taps for i_lo..i_hi
        ms = np.arange(m0, n_out, up)
        # for output m0 + j*up the input window shifts by j*down
        start = i_lo + pad
        count = len(ms)
        need = start + (count - 1) * down + len(taps)
        if need > len(xp):
            xp = np.concatenate([xp, np.zeros(need - len(xp))])
        win = np.lib.stride_tricks.sliding_window_view(xp, len(taps))
        rows = win[start : start + (count - 1) * down + 1 : down]
        # In blocks: the matrix product copies its strided rows, which would be gigabytes at once.
        for b in range(0, count, _BLOCK):
            out[ms[b : b + _BLOCK]] = rows[b : b + _BLOCK] @ taps
    return out.astype(np.float32)


def frame_dbfs(samples: np.ndarray, rate: int, frame_seconds: float = 0.03) -> np.ndarray:
    """RMS level of consecutive frames, in dB relative to full scale."""
    n = max(1, int(rate * frame_seconds))
    usable = len(samples) // n * n
    if usable == 0:
        return np.full(1, -120.0)
    frames = samples[:usable].reshape(-1, n).astype(np.float64)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def speech_seconds(samples: np.ndarray, rate: int) -> float:
    """Seconds of frames loud enough to hold speech (an energy gate, not a recogniser)."""
    db = frame_dbfs(samples, rate)
    return float(np.count_nonzero(db > SPEECH_FLOOR_DBFS)) * 0.03


def load_audio(
    source: bytes | bytearray | memoryview | str | Path | tuple,
    *,
    rate: int = TARGET_RATE,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
    require_speech: bool = True,
) -> Audio:
    """Decode (WAV bytes, path or (rate, array)), check, resample to ``rate`` mono float32."""
    audio = read_wav(source, max_seconds=max_seconds)
    x = audio.samples
    if require_speech and speech_seconds(x, audio.rate) < MIN_SPEECH_SECONDS:
        raise SpeechError("no speech found: the recording is silent (check the microphone)")
    if audio.rate != rate:
        x = resample(x, audio.rate, rate)
    # A DC offset from cheap microphones skews the recogniser's energy features.
    x = x - np.float32(x.mean())
    return Audio(x, rate, audio.source_rate, audio.source_channels, audio.source_encoding)


def to_pcm16(samples: np.ndarray) -> bytes:
    """float samples in [-1, 1] (or int16) -> little-endian 16-bit PCM bytes."""
    a = np.asarray(samples)
    if a.dtype == np.int16:
        return a.astype("<i2").tobytes()
    return (np.clip(a, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Mono 16-bit PCM WAV file contents."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(to_pcm16(samples))
    return buf.getvalue()
