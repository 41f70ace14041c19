"""Folders the app writes: private ones, their size, and safe file names."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path


def private_dir(path: Path) -> Path:
    """``path`` created if missing and made private to this user (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def folder_bytes(path) -> int:
    """Bytes the regular files under ``path`` take (0 when it does not exist)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def safe_name(text: str) -> str:
    """A string as a file name (no separators, no dots at the start)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:80] or "x"


def gradio_dir(app_cache_dir: Path) -> Path:
    """Gradio's own temp folder (GRADIO_TEMP_DIR) inside the app's cache."""
    return Path(app_cache_dir) / "gradio"


def export_dir(app_cache_dir: Path) -> Path:
    """Where the app writes the transcript downloads: one folder per session, inside Gradio's
    own temp folder, which it serves without copying."""
    return gradio_dir(app_cache_dir) / "exports"


def forget_exports(exports: Path, session_id: str) -> bool:
    """Delete the download files written for ``session_id`` (its folder under ``exports``), so
    a deleted session's download links stop working in every tab that still shows them; True
    when a folder went. Anything that is not one folder right under ``exports`` is left."""
    folder = Path(exports) / session_id
    try:
        if folder.resolve().parent != Path(exports).resolve() or not folder.is_dir():
            return False
    except OSError:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()
