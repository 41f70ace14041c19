"""`mock-interview serve-model`: the local model behind an OpenAI-compatible port."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from interviewer.cli.common import whole_number
from interviewer.config import Settings
from interviewer.errors import UsageError


def register(sub) -> None:
    """Add the serve-model sub-command."""
    p = sub.add_parser(
        "serve-model",
        help="serve the local GGUF model (llama.cpp) on an OpenAI-compatible local port",
    )
    p.add_argument("--port", type=whole_number(1, 65535),
                   help="default: INTERVIEWER_LOCAL_PORT (8765)")  # fmt: skip
    p.add_argument(
        "--model",
        type=Path,
        help="GGUF file (default: INTERVIEWER_LOCAL_MODEL or the bundled SmolLM2-135M-Instruct)",
    )
    p.add_argument("--threads", type=whole_number(1),
                   help="CPU threads (default: INTERVIEWER_LOCAL_THREADS)")  # fmt: skip
    p.set_defaults(handler=cmd_serve_model)


def cmd_serve_model(args, settings: Settings) -> int:
    """Serve the local model in the foreground until a signal stops it (and the child)."""
    from interviewer.llm import local as local_model

    overrides = {}
    if args.port is not None:
        overrides["local_port"] = args.port
    if args.model is not None:
        overrides["local_model"] = str(args.model)
    if args.threads is not None:
        overrides["local_threads"] = args.threads
    settings = replace(settings, **overrides) if overrides else settings
    if local_model.served_models(settings.local_port) is not None:
        raise UsageError(
            f"a model server already answers on port {settings.local_port} "
            "(--mode local uses it); pick another with --port"
        )
    # The server's own log goes to this terminal: it is the foreground process here.
    server = local_model.LocalServer.from_settings(settings, log_path=None)
    try:
        server.start()
        print(
            f"serving {server.alias} at {server.base_url} (Ctrl-C to stop); use it with "
            f"--mode local, or OPENAI_BASE_URL={server.base_url} "
            f"INTERVIEWER_CHAT_MODEL={server.alias} --mode llm",
            flush=True,
        )
        return server.wait()
    finally:
        server.stop()
