"""Helpers of the browser tests: start the app on a free port, drive Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests import ROOT as PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 180  # seconds: torch, MiniLM and gradio load on a cold 2-core machine
STEP_TIMEOUT = 60_000  # ms for one interviewer reply, grading included


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pids_serving(port: int) -> list[int]:
    """Processes whose command line runs llama_cpp.server on this port."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"llama_cpp.server" in args and str(port).encode() in args:
            pids.append(int(proc.name))
    return pids


@contextmanager
def running_app(root: Path, kb: Path, **env):
    """``app.py`` in a subprocess with its own data dir (a copy of the built knowledge base)."""
    data = root / "data"
    shutil.copytree(kb, data)
    port = free_port()
    child_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "INTERVIEWER_"))
    }
    child_env.update(
        INTERVIEWER_DATA_DIR=str(data),
        INTERVIEWER_HOST="127.0.0.1",
        INTERVIEWER_PORT=str(port),
        INTERVIEWER_MODE="offline",
        GRADIO_TEMP_DIR=str(root / "gradio"),
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
        **env,
    )
    log_path = root / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=PROJECT_ROOT,
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"app exited ({proc.returncode}):\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"app did not start in time:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield url, data, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def chromium(playwright, user_data: Path):
    """A fresh Chromium profile; every request that leaves 127.0.0.1 is recorded."""
    outbound: list[str] = []
    context = playwright.chromium.launch_persistent_context(
        str(user_data),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        accept_downloads=True,
        viewport={"width": 1400, "height": 1000},
    )
    context.set_default_timeout(STEP_TIMEOUT)

    def record(request) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            outbound.append(request.url)

    context.on("request", record)
    try:
        yield context, outbound
    finally:
        context.close()


def bot_texts(page) -> list[str]:
    """The interviewer's messages in the interview chat, oldest first."""
    return page.locator('#interview-chat [data-testid="bot"]').all_inner_texts()


def wait_for_bot(page, count: int, contains: str | None = None) -> str:
    """Wait until the chat holds ``count`` settled interviewer messages; return the last."""
    page.wait_for_function(
        """([count, needle]) => {
            const msgs = [...document.querySelectorAll('#interview-chat [data-testid="bot"]')];
            if (msgs.length < count) return false;
            const last = msgs[msgs.length - 1].innerText;
            return last.trim() !== "…" && (!needle || last.includes(needle));
        }""",
        arg=[count, contains],
    )
    wait_idle(page)
    return bot_texts(page)[-1]


def wait_idle(page) -> None:
    """Wait until no event is running (Gradio shows a progress tracker on busy outputs)."""
    page.wait_for_function(
        """() => ![...document.querySelectorAll('[data-testid="status-tracker"]')]
            .some(e => e.classList.contains('generating') || e.classList.contains('pending')
                       || e.querySelector('.progress-text, .eta-bar'))"""
    )
    page.wait_for_timeout(150)


def open_tab(page, name: str) -> None:
    """Click a top-level tab and let its refresh finish."""
    page.get_by_role("tab", name=name, exact=True).click()
    wait_idle(page)


def download(page, button_name: str) -> str:
    """Click a download button and return the downloaded file's text."""
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    return Path(info.value.path()).read_text(encoding="utf-8")
