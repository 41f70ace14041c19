"""Wiring shared by the CLI and the app: the engine for a mode, the store for the settings."""

from __future__ import annotations

from interviewer.config import Settings
from interviewer.engine import OfflineEngine


def make_engine(settings: Settings):
    """The offline engine, or the LLM engine for ``llm``/``local`` mode."""
    if settings.mode == "offline":
        return OfflineEngine()
    from interviewer.llm_engine import LLMEngine

    return LLMEngine.from_settings(settings)


def open_store(settings: Settings):
    """The transcript store (SQLite in the data dir unless INTERVIEWER_DATABASE_URL is set)."""
    from interviewer.store import Store

    return Store(settings=settings)
