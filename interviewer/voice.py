"""Speech for the interview: the interviewer's words read aloud, a candidate's spoken answer
turned into text with delivery feedback, offline by default (see ``interviewer.speech``) or
through the configured OpenAI-compatible endpoint.

The offline recogniser gets a domain language model built from the guide and the question bank,
so ML words ("bagging", "variance", "drift", "Docker") come out right; it lives in the data dir
and is built by ``mock-interview ingest`` and at the app's start when missing or out of date.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interviewer.bank import Bank
from interviewer.config import Settings
from interviewer.errors import SpeechError
from interviewer.policy import time_budget

log = logging.getLogger(__name__)
MODEL_DIR = "speech"  # under the data dir
STAMP = "sources.sha256"  # what the domain model was built from


@dataclass(frozen=True)
class SpokenAnswer:
    """A transcribed answer and how it was delivered."""

    text: str
    duration: float
    engine: str
    delivery: dict  # wpm, pace, fillers, pauses, summary (see ``delivery_dict``)


def model_dir(settings: Settings) -> Path:
    """Where the offline domain model lives."""
    return Path(settings.data_dir) / MODEL_DIR


def domain_texts(
    bank: Bank, guide_text: str, exclude_answers: frozenset[str] = frozenset()
) -> list[str]:
    """What the domain model learns its words from: the guide, and every question's text, key
    points and model answer (``exclude_answers``: question ids whose model answer is left out,
    to measure the model on answers it has not seen)."""
    texts = [guide_text]
    for q in bank.values():
        texts += [q.text, *(kp.point for kp in q.key_points)]
        if q.id not in exclude_answers:
            texts.append(q.model_answer)
    return texts


def ensure_domain_model(settings: Settings, bank: Bank, guide_text: str) -> Path | None:
    """Build the domain model unless one built from these same texts is there; None when speech
    is not offline (nothing to build)."""
    if settings.speech != "offline":
        return None
    from interviewer.speech.stt import build_domain_model

    texts = domain_texts(bank, guide_text)
    digest = hashlib.sha256(json.dumps(texts).encode()).hexdigest()
    folder = model_dir(settings)
    stamp = folder / STAMP
    if stamp.exists() and stamp.read_text().strip() == digest:
        return folder
    build_domain_model(texts, folder)
    stamp.write_text(digest + "\n")
    return folder


def ensure_builtin_domain_model(settings: Settings) -> Path | None:
    """The domain model of the built-in guide and this deployment's bank (``ingest``, the app
    and ``transcribe`` call this: about 5 s the first time, nothing after)."""
    from interviewer import knowledge
    from interviewer.bank import bank_for

    guide = knowledge.BUILTIN_GUIDE.read_text(encoding="utf-8")
    return ensure_domain_model(settings, bank_for(settings), guide)


class Voice:
    """Speech to text and text to speech for these settings."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def enabled(self) -> bool:
        """Whether speech is on at all."""
        return self.settings.speech != "off"

    def _endpoint(self) -> dict:
        s = self.settings
        return {"base_url": s.openai_base_url, "api_key": s.openai_api_key or "not-needed"}

    def say(self, text: str) -> tuple[np.ndarray, int]:
        """``text`` spoken: (samples, sample rate)."""
        if not self.enabled:
            raise SpeechError("speech is off (INTERVIEWER_SPEECH=off)")
        from interviewer.speech import tts

        if self.settings.speech == "endpoint":
            return tts.synthesize_endpoint(
                text, model=self.settings.tts_model, voice=self.settings.tts_voice,
                **self._endpoint(),
            )  # fmt: skip
        return tts.synthesize(text)

    def say_wav(self, text: str) -> bytes:
        """``text`` spoken, as WAV bytes."""
        from interviewer.speech.tts import to_wav_bytes

        return to_wav_bytes(*self.say(text))

    def transcribe(self, audio, *, budget_seconds: float | None = None) -> SpokenAnswer:
        """A spoken answer (WAV bytes, a path, or a ``(rate, samples)`` pair) as text with its
        delivery; SpeechError with a one-line reason for audio that cannot be used."""
        if not self.enabled:
            raise SpeechError("speech is off (INTERVIEWER_SPEECH=off)")
        from interviewer.speech import stt
        from interviewer.speech.delivery import analyse

        limit = self.settings.speech_max_seconds
        if self.settings.speech == "endpoint":
            got = stt.transcribe_endpoint(
                audio, model=self.settings.stt_model, max_seconds=limit, **self._endpoint()
            )
        else:
            folder = model_dir(self.settings)
            got = stt.transcribe(audio, model_dir=folder if folder.exists() else None,
                                 max_seconds=limit)  # fmt: skip
        return SpokenAnswer(
            text=got.text,
            duration=got.duration,
            engine=got.engine,
            delivery=delivery_dict(analyse(got, budget_seconds=budget_seconds)),
        )


def recording(path: str | Path) -> bytes:
    """The file a browser recorded or uploaded (Gradio passes its path), read at once: the
    decoding is ours, so a file that is not WAV audio gets its one-line reason (Gradio's own
    decoding answered it with a bare "Error": it wants ffprobe, which is not installed)."""
    try:
        return Path(path).read_bytes()
    except OSError:
        raise SpeechError("the recording could not be read: record or upload it again") from None


def into_box(box: str | None, said: str, last: str | None = None) -> str:
    """The answer box once ``said`` (a transcript) lands in it: what was typed there kept, the
    transcript after it as a paragraph of its own (walk42: a recording replaced the typed half
    of an answer, with no undo). The last transcript (``last``), still at the box's end as it
    landed, is replaced: the answer recorded again."""
    typed = (box or "").rstrip()
    if last and last.strip() and typed.endswith(last.strip()):
        typed = typed[: -len(last.strip())].rstrip()
    return f"{typed}\n\n{said}" if typed.strip() else said


def delivery_dict(d) -> dict:
    """A Delivery as the JSON kept with the turn."""
    return {
        "words": d.words,
        "seconds": round(d.speaking_seconds, 1),
        "wpm": round(d.wpm),
        "pace": d.pace,
        "fillers": dict(d.fillers),
        "pauses": [round(p.seconds, 1) for p in d.pauses],
        "budget": d.budget_seconds,
        "summary": d.summary,
    }


def budget_for(question) -> int:
    """The answer-length budget of a question (its real-interview time budget)."""
    return time_budget(getattr(question, "group", ""))
