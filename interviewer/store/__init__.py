"""The transcript store: sessions, turns and grades of every user, committed per turn."""

from interviewer.config import Settings
from interviewer.errors import SessionNotFound
from interviewer.store.progress import ENDED_EARLY, GUIDE_PRACTICE, progress_line
from interviewer.store.store import Store

__all__ = ["ENDED_EARLY", "GUIDE_PRACTICE", "SessionNotFound", "Store", "open_store", "progress_line"]


def open_store(settings: Settings) -> Store:
    """The transcript store (SQLite in the data dir unless INTERVIEWER_DATABASE_URL is set)."""
    return Store(settings=settings)
