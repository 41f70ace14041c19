"""What every tab of the app shares: settings, the store, the mode, exports and streaming."""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from interviewer.bank import Bank, bank_for
from interviewer.config import Settings
from interviewer.engine import Engine
from interviewer.errors import ConfigError
from interviewer.export import EXPORTERS, export_name
from interviewer.llm.factory import make_engine
from interviewer.paths import (
    export_dir,
    folder_bytes,
    forget_exports,
    gradio_dir,
    private_dir,
    safe_name,
)
from interviewer.store import Store, open_store
from interviewer.ui.auth import RateLimiter, client_of, user_of
from interviewer.voice import Voice

STREAM_EVERY = 0.05  # seconds between chat refreshes while a reply streams in
log = logging.getLogger(__name__)


def text_problem(text: str | None, what: str = "answer") -> str | None:
    """Why ``text`` cannot be taken (a lone surrogate: not a character, cannot be stored or
    sent back to the browser), or None."""
    if text and any("\ud800" <= ch <= "\udfff" for ch in text):
        return (
            f"Your {what} holds a character that is not valid Unicode (a lone surrogate); "
            "remove it and send it again. Nothing was recorded."
        )
    return None


def safe_text(text: str | None) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, safe to send to the browser."""
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text or "")


EXPORT_TOKEN_BYTES = 16  # a download folder's random name: 128 bits, 32 hex digits


@dataclass
class AppContext:
    """Process-wide state of the app; per-browser state lives in ``gr.State``."""

    settings: Settings
    store: Store
    bank: Bank
    llm_problem: str | None  # why LLM mode is unavailable; None when it can be used
    llm_settings: Settings | None = None  # as the LLM engine resolved them (local server URL)
    # Default: ``gradio/exports`` in the private cache dir. Inside Gradio's own folder (the
    # GRADIO_TEMP_DIR ``private_cache`` sets), since Gradio serves a returned file only from
    # there, the working directory or the system temp folder: a data dir elsewhere
    # (/var/lib/...) broke every download and the page at the end of an interview.
    export_dir: Path | None = None
    answer_limiter: RateLimiter | None = None
    upload_limiter: RateLimiter | None = None
    _cache_bytes: tuple[float, int] = field(default=(0.0, 0), repr=False)
    _restarting: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        s = self.settings
        if self.export_dir is None:
            private_dir(gradio_dir(private_dir(s.app_cache_dir)))
            self.export_dir = export_dir(s.app_cache_dir)
        self.answer_limiter = self.answer_limiter or RateLimiter(s.answers_per_minute, 60)
        self.upload_limiter = self.upload_limiter or RateLimiter(s.uploads_per_hour, 3600)

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
    def voice(self) -> Voice:
        """Speech to text and text to speech for these settings."""
        return Voice(self.settings)

    def keep_recording(self, user: str, session_id: str, audio) -> str:
        """Save a candidate's recording (they opted in) under the data dir; its path."""
        from interviewer.speech.audio import load_audio
        from interviewer.speech.tts import to_wav_bytes

        clip = load_audio(audio, require_speech=False)
        folder = Path(self.settings.data_dir) / "recordings" / safe_name(user)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{safe_name(session_id)}-{int(time.time() * 1000)}.wav"
        path.write_bytes(to_wav_bytes(clip.samples, clip.rate))
        return str(path)

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

    def local_model_check(self) -> tuple[str, str | None]:
        """In local mode, before a session starts or resumes: whether the model server still
        answers. One that stopped is started again (a walk-through killed it: nothing said so,
        and the next interview was recorded as local while every turn ran offline). Returns the
        note to show ("" when the server answers) and why the session may not use the model
        (None: it may); when it cannot be started, this session runs offline and the next one
        tries again."""
        s = self.llm_settings
        if s is None or self.settings.mode != "local":
            return "", None
        from interviewer.llm.local import BUSY_NOW, LocalModelBusy, ensure_server, served_models

        with self._restarting:
            if served_models(s.local_port) is not None:
                return "", None
            log.warning("the local model server on port %s is not answering; starting it",
                        s.local_port)  # fmt: skip
            try:
                self.llm_settings, _ = ensure_server(self.settings)
            except LocalModelBusy as exc:  # our own server, writing an earlier reply (walk22
                # was told to stop "another program" or change INTERVIEWER_LOCAL_PORT)
                log.warning("the local model server on port %s is busy", s.local_port)
                problem = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
                return (f"⚠ {BUSY_NOW[:1].upper()}{BUSY_NOW[1:]}, so this interview runs "
                        "offline; start another in a minute to use the model.", problem)  # fmt: skip
            except ConfigError as exc:
                problem = f"The local model server stopped and could not be started again: {exc}."
                return f"⚠ {problem} This interview runs offline.", problem
        return "ℹ The local model server had stopped; it was started again for this interview.", None

    def engine(self, mode: str, guide: str | None = None) -> Engine:
        """A fresh engine for one session (LLM usage counters are per session); the endpoint
        was checked at start-up, and the LLM engine falls back to offline if it fails later."""
        if mode != "offline" and self.llm_settings is not None:
            from interviewer.grading.grader import default_grader
            from interviewer.llm.engine import LLMEngine

            return LLMEngine(self.llm_settings, grader=default_grader(self.settings), guide=guide)
        return make_engine(replace(self.settings, mode="offline"))

    def refusal(self, request, live=None, text: str | None = None, what: str = "answer"):
        """Why this event must not run, or None: a session that is not the logged-in user's
        (a session hash from another browser), too many answers this minute, or text that is
        not valid Unicode. Every handler that answers, commands or grades calls it first."""
        user = user_of(request)
        owner = getattr(live, "user", None)
        if live is not None and owner != user:
            log.warning("user %r sent an event into a session of %r: refused", user, owner)
            return "This interview belongs to another session: reload the page."
        if problem := text_problem(text, what):
            return problem
        who = user if getattr(request, "username", None) else f"addr:{client_of(request)}"
        wait = self.answer_limiter.hit(who)
        if wait > 0:
            return (
                f"Too many answers in a minute ({self.settings.answers_per_minute} at most): "
                f"wait {int(wait) + 1} s and send it again. Nothing was lost."
            )
        return None

    def guide_allowed(self, guide: str | None, user: str) -> bool:
        """Whether ``user`` may see, search, drill or interview on ``guide`` (shared guides and
        their own uploads; see ``knowledge.files.guide_visible``)."""
        from interviewer.knowledge.files import guide_visible

        return bool(guide) and guide_visible(guide, user)

    def visible_guides(self, user: str) -> list[str]:
        """Ids of the guides ``user`` may see: shared ones first, then their own."""
        from interviewer import knowledge

        ids = [g["guide"] for g in knowledge.list_guides(settings=self.settings)]
        return [g for g in ids if self.guide_allowed(g, user)]

    def cache_bytes(self, fresh_for: float = 5.0) -> int:
        """Bytes the private cache takes now (measured at most every ``fresh_for`` seconds;
        uploads let in since are added as they come, see ``note_upload``)."""
        at, size = self._cache_bytes
        now = time.monotonic()
        if now - at > fresh_for:
            size = folder_bytes(self.settings.app_cache_dir)
            self._cache_bytes = (now, size)
        return size

    def note_upload(self, size: int) -> None:
        """Count an upload just let in before the next measurement sees it."""
        at, total = self._cache_bytes
        self._cache_bytes = (at, total + max(0, size))

    def delete_session(self, session_id: str, user: str) -> None:
        """Delete ``user``'s session and its download files (a link left in another tab stops
        working); SessionNotFound when it is not theirs or not there."""
        self.store.delete_session(session_id, user_id=user)
        forget_exports(self.export_dir, session_id)

    def write_exports(self, session_id: str, user: str) -> list[Path]:
        """The stored session as Markdown, JSON and HTML files (in that order) for download, in
        a folder of their own under the session's, named by a random token: a download link is
        a capability no other signed-in user can derive from the session id (walk37: ben
        fetched ana's transcript through ``/gradio_api/file=.../exports/<session id>/...``, as
        Gradio serves its cache's files to any signed-in user)."""
        info, turns = self.store.load_session(session_id, user_id=user)
        folder = self.export_dir / info.id / secrets.token_hex(EXPORT_TOKEN_BYTES)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for ext, render in EXPORTERS.items():
            path = folder / export_name(info, ext)
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
