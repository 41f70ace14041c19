"""`mock-interview app`: the web app."""

from __future__ import annotations

from interviewer.config import Settings


def register(sub) -> None:
    """Add the app sub-command."""
    p = sub.add_parser(
        "app", help="start the web app",
        description="Start the web app (Interview, Practice, Transcripts, Progress, Guides) and "
                    "serve it until interrupted. It is set by environment variables, not flags: "
                    "INTERVIEWER_HOST and INTERVIEWER_PORT (default 127.0.0.1:7860), "
                    "INTERVIEWER_DATA_DIR, and OPENAI_BASE_URL / OPENAI_API_KEY for an LLM "
                    "(README, Settings).",
    )  # fmt: skip
    p.set_defaults(handler=cmd_app, config_status=EXIT_CONFIG)


# The exit status of an app its own settings refuse (a placeholder password, a malformed
# database URL, a port another program holds): sysexits' EX_CONFIG, which the replica unit
# does not restart (deploy/mock-interview@.service, RestartPreventExitStatus). A database that
# does not answer is 2, restarted until it does.
EXIT_CONFIG = 78


def cmd_app(args, settings: Settings) -> int:
    """Serve the app until interrupted."""
    from interviewer.ui import launch

    launch(settings)
    return 0
