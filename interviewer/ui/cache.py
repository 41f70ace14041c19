"""The app's private cache (uploads and exports): a 0700 folder swept of old files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from interviewer.paths import folder_bytes, private_dir, safe_name

__all__ = ["CACHE_AGE", "CACHE_SWEEP", "folder_bytes", "private_dir", "safe_name", "sweep"]

# -- the private cache ----------------------------------------------------------------------------
CACHE_AGE = 3600  # seconds an upload or export stays
CACHE_SWEEP = 600  # seconds between sweeps


def sweep(path: Path, age: float = CACHE_AGE, now: float | None = None) -> int:
    """Delete the files under ``path`` older than ``age`` seconds, then the empty folders below
    its own subfolders (``gradio`` stays; ``gradio/exports`` goes when empty and comes back with
    the next export); returns how many files went. Gradio's own clean-up only knows this run's
    files; this also clears what an earlier run (or a crash) left."""
    now = time.time() if now is None else now
    gone = 0
    top = os.path.normpath(path)
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            file = os.path.join(root, name)
            try:
                if now - os.lstat(file).st_mtime > age:
                    os.remove(file)
                    gone += 1
            except OSError:
                continue
        if os.path.normpath(root) == top:
            continue
        for name in dirs:
            try:
                os.rmdir(os.path.join(root, name))  # only succeeds when empty
            except OSError:
                continue
    return gone


