"""Wiring shared by the CLI and the app: the engine for a mode, the store for the settings."""

from __future__ import annotations

from interviewer.config import ConfigError, Settings
from interviewer.engine import OfflineEngine

CHECK_TIMEOUT = 5.0  # the start-up check never waits longer than this


class EndpointError(ConfigError):
    """LLM mode was asked for but its endpoint cannot be used; one line, offering offline mode."""


def make_engine(settings: Settings):
    """The offline engine, or the LLM engine for ``llm``/``local`` (EndpointError if unusable)."""
    if settings.mode == "offline":
        return OfflineEngine()
    from interviewer.llm import check_endpoint
    from interviewer.llm_engine import LLMEngine

    if settings.mode == "local":  # start the local model server unless one already listens
        from interviewer.local_model import ensure_server

        settings, _ = ensure_server(settings)
    # A short, bounded check before the interview: a dead endpoint or a rejected key is said in
    # one line now, not discovered as a fallback on every turn.
    problem = check_endpoint(settings, timeout=min(CHECK_TIMEOUT, settings.llm_timeout))
    if problem is not None:
        raise EndpointError(f"{problem}; run with --mode offline to practise without it")
    return LLMEngine.from_settings(settings)


def open_store(settings: Settings):
    """The transcript store (SQLite in the data dir unless INTERVIEWER_DATABASE_URL is set)."""
    from interviewer.store import Store

    return Store(settings=settings)
