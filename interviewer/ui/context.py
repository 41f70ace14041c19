"""What every tab of the app shares: settings, the store, the mode, exports and streaming."""

from __future__ import annotations

import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from interviewer.bank import Bank, bank_for
from interviewer.config import Settings
from interviewer.engine import Engine
from interviewer.errors import ConfigError
from interviewer.export import EXPORTERS
from interviewer.llm.factory import make_engine
from interviewer.store import Store, open_store

STREAM_EVERY = 0.05  # seconds between chat refreshes while a reply streams in


def parse_auth(text: str | None) -> list[tuple[str, str]] | None:
    """``user1:pass1,user2:pass2`` as (user, password) pairs; None when login is off."""
    if text is None or not text.strip():
        return None
    pairs = []
    for item in text.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user.strip() or not password:
            raise ConfigError(
                "INTERVIEWER_AUTH must be user:password pairs separated by commas, "
                "e.g. 'ana:s3cret,ben:pa55'"
            )
        pairs.append((user.strip(), password))
    return pairs


def user_of(request) -> str:
    """The logged-in user when login is on, else ``local``."""
    return getattr(request, "username", None) or "local"


@dataclass
class AppContext:
    """Process-wide state of the app; per-browser state lives in ``gr.State``."""

    settings: Settings
    store: Store
    bank: Bank
    llm_problem: str | None  # why LLM mode is unavailable; None when it can be used
    llm_settings: Settings | None = None  # as the LLM engine resolved them (local server URL)
    export_dir: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="mock-interview-exports-"))
    )

    @classmethod
    def create(cls, settings: Settings) -> AppContext:
        """Open the store; in LLM mode check the endpoint once (a bad one falls back to offline)."""
        problem, llm_settings = None, None
        if settings.mode == "offline":
            problem = (
                "LLM mode is off: set INTERVIEWER_MODE=llm and OPENAI_BASE_URL / OPENAI_API_KEY"
            )
        else:
            try:  # make_engine checks the endpoint with a short timeout (and starts `local`)
                llm_settings = make_engine(settings).settings
            except ConfigError as exc:
                problem = str(exc)
        return cls(
            settings=settings,
            store=open_store(settings),
            bank=bank_for(settings),
            llm_problem=problem,
            llm_settings=llm_settings,
        )

    @property
    def llm_available(self) -> bool:
        """Whether the interview and practice tabs may offer LLM mode."""
        return self.llm_settings is not None

    @property
    def llm_label(self) -> str:
        """LLM mode as the mode selector names it, with the models it uses."""
        s = self.llm_settings or self.settings
        judge = s.judge_model or s.chat_model
        kind = "Local model" if s.mode == "local" else "LLM"
        return f"{kind}: {s.chat_model}" + ("" if judge == s.chat_model else f" (judge {judge})")

    def engine(self, mode: str, guide: str | None = None) -> Engine:
        """A fresh engine for one session (LLM usage counters are per session); the endpoint
        was checked at start-up, and the LLM engine falls back to offline if it fails later."""
        if mode != "offline" and self.llm_settings is not None:
            from interviewer.grading.grader import default_grader
            from interviewer.llm.engine import LLMEngine

            return LLMEngine(self.llm_settings, grader=default_grader(self.settings), guide=guide)
        return make_engine(replace(self.settings, mode="offline"))

    def write_exports(self, session_id: str, user: str) -> list[Path]:
        """The stored session as Markdown, JSON and HTML files (in that order) for download."""
        info, turns = self.store.load_session(session_id, user_id=user)
        folder = self.export_dir / info.id
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for ext, render in EXPORTERS.items():
            path = folder / f"interview-{info.id}.{ext}"
            path.write_text(render(info, turns), encoding="utf-8")
            paths.append(path)
        return paths


class _Done:
    pass


def streamed(call: Callable[[Callable[[str], None]], object]) -> Iterator[tuple[str, object]]:
    """Run ``call(on_token)`` in a thread; yield ("partial", text so far) while tokens arrive,
    then ("done", result). The engine's own exception is raised here, in the caller's thread."""
    pieces: queue.Queue = queue.Queue()
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call(pieces.put)
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the callback's thread
            outcome["error"] = exc
        finally:
            pieces.put(_Done)

    threading.Thread(target=run, daemon=True).start()
    text, last = "", 0.0
    while True:
        piece = pieces.get()
        if piece is _Done:
            break
        text += piece
        now = time.monotonic()
        if now - last >= STREAM_EVERY:
            last = now
            yield "partial", text
    if "error" in outcome:
        raise outcome["error"]
    yield "done", outcome["value"]
