"""The engine for a mode: offline, or the LLM engine after a short check of its endpoint."""

from __future__ import annotations

from interviewer.config import Settings
from interviewer.engine import CodeRunner, Engine, OfflineEngine
from interviewer.errors import EndpointError
from interviewer.grading.grader import default_grader

CHECK_TIMEOUT = 5.0  # the start-up check never waits longer than this


def make_engine(settings: Settings, *, guide: str | None = None) -> Engine:
    """The offline engine, or the LLM engine for ``llm``/``local`` (EndpointError if unusable).

    In ``local`` mode the local model server is started unless one already listens; it is
    stopped when the process exits.
    """
    grader = default_grader(settings)
    runner = CodeRunner.from_settings(settings)
    if settings.mode == "offline":
        return OfflineEngine(grader, runner)
    from interviewer.llm.client import check_endpoint
    from interviewer.llm.engine import LLMEngine

    if settings.mode == "local":
        from interviewer.llm.local import ensure_server

        settings, _ = ensure_server(settings)
    # A short, bounded check before the interview: a dead endpoint or a rejected key is said in
    # one line now, not discovered as a fallback on every turn.
    problem = check_endpoint(settings, timeout=min(CHECK_TIMEOUT, settings.llm_timeout))
    if problem is not None:
        raise EndpointError(f"{problem}; run with --mode offline to practise without it")
    return LLMEngine(settings, grader=grader, code_runner=runner, guide=guide)
