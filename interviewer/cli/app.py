"""`mock-interview app`: the web app."""

from __future__ import annotations

from interviewer.config import Settings


def register(sub) -> None:
    """Add the app sub-command."""
    p = sub.add_parser("app", help="start the web app")
    p.set_defaults(handler=cmd_app)


def cmd_app(args, settings: Settings) -> int:
    """Serve the app until interrupted."""
    from interviewer.ui import launch

    launch(settings)
    return 0
