"""Shared speech fixtures: the domain models (built once per session from the real guide and bank)
and hibari audio of bank sentences (synthesised once)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from interviewer.speech.audio import wav_bytes
from interviewer.speech.stt import build_domain_model
from interviewer.speech.tts import synthesize

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "knowledge" / "guides" / "persistent-systems-ml-engineer.txt"
BANK = sorted((ROOT / "knowledge" / "bank").glob("*.yaml"))
# Questions whose model answers the held-out model never sees (their text and key points stay:
# at run time a question's key points are in the bank, the candidate's answer is new).
HELD_OUT = ("l1-l1-vs-l2-regularization", "l2-detect-data-drift", "l2-docker-model-serving")


def questions() -> list[dict]:
    out = []
    for f in BANK:
        out += yaml.safe_load(f.read_text(encoding="utf-8"))["questions"]
    return out


def domain_texts(exclude_answers: set[str] = frozenset()) -> list[str]:
    """The texts the app builds its domain model from (``interviewer.voice.domain_texts``)."""
    from interviewer.bank import default_bank
    from interviewer.voice import domain_texts as app_texts

    return app_texts(default_bank(), GUIDE.read_text(encoding="utf-8"), frozenset(exclude_answers))


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.split("```")[0].strip())[0]


@pytest.fixture(scope="session")
def domain_model(tmp_path_factory) -> Path:
    return build_domain_model(domain_texts(), tmp_path_factory.mktemp("speech-domain"))


@pytest.fixture(scope="session")
def heldout_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("speech-heldout")
    return build_domain_model(domain_texts(set(HELD_OUT)), out)


@pytest.fixture(scope="session")
def spoken():
    """text -> 24 kHz WAV bytes by hibari, cached for the session."""
    cache: dict[tuple, bytes] = {}

    def say(text: str, speed: float = 1.0) -> bytes:
        if (text, speed) not in cache:
            cache[(text, speed)] = wav_bytes(*synthesize(text, speed=speed))
        return cache[(text, speed)]

    return say
