"""Helpers of the browser tests: start the app on a free port, drive Debian's Chromium."""

from __future__ import annotations

import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from interviewer.processes import spawn, stop
from tests import ROOT as PROJECT_ROOT
from tests.services import app_env, free_port, http_ok, wait_until

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


@contextmanager
def running_app(root: Path, kb: Path, port: int | None = None, **env):
    """``app.py`` in a subprocess with its own data dir (a copy of the built knowledge base,
    kept when ``root`` already has one: the same app started again), on ``port`` or a free one."""
    data = root / "data"
    if not data.exists():
        shutil.copytree(kb, data)
    port = port or free_port()
    log_path = root / "server.log"
    with open(log_path, "wb") as log:
        proc = spawn(
            [sys.executable, "app.py"],
            cwd=PROJECT_ROOT,
            env=app_env(data, port, GRADIO_TEMP_DIR=str(root / "gradio"), **env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: http_ok(url), "the app", timeout=START_TIMEOUT, proc=proc, log=log_path)
        yield url, data, log_path
    finally:
        stop(proc, timeout=15)


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


def wait_for_bot(page, count: int, contains: str | None = None, timeout: float = 60_000) -> str:
    """Wait until the chat holds ``count`` settled interviewer messages; return the last
    (``timeout`` in ms: a grade of code that runs every hidden test to its limit takes longer)."""
    page.wait_for_function(
        """([count, needle]) => {
            const msgs = [...document.querySelectorAll('#interview-chat [data-testid="bot"]')];
            if (msgs.length < count) return false;
            const last = msgs[msgs.length - 1].innerText;
            return last.trim() !== "…" && (!needle || last.includes(needle));
        }""",
        arg=[count, contains],
        timeout=timeout,
    )
    wait_idle(page)
    return bot_texts(page)[-1]


# The progress trackers Gradio shows on busy outputs, each named by its nearest element id.
BUSY_TRACKERS = """() => [...document.querySelectorAll('[data-testid="status-tracker"]')]
    .filter(e => e.classList.contains('generating') || e.classList.contains('pending')
                 || e.querySelector('.progress-text, .eta-bar'))
    .map(e => (e.closest('[id]') || {}).id + ' ' + e.className)"""


def wait_idle(page) -> None:
    """Wait until no event is running (Gradio shows a progress tracker on busy outputs).

    On a timeout the error names the trackers still busy, and what the server logged is in
    the test's ``server.log``: a fresh page's load once never went idle on a loaded CI host."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"() => !({BUSY_TRACKERS})().length")
    except PlaywrightTimeout as exc:
        busy = page.evaluate(BUSY_TRACKERS)
        raise AssertionError(f"still busy after {STEP_TIMEOUT / 1000:.0f} s: {busy}") from exc
    page.wait_for_timeout(150)


def open_tab(page, name: str) -> None:
    """Click a top-level tab and let its refresh finish."""
    page.get_by_role("tab", name=name, exact=True).click()
    wait_idle(page)


def practice_grade(page, answer: str, shown: str = "Model answer"):
    """Type ``answer`` in Practice, press Grade my answer and wait for the result to show
    ``shown``; the result panel."""
    page.locator("#practice-answer textarea").fill(answer)
    page.get_by_role("button", name="Grade my answer").click()
    result = page.locator("#practice-result")
    result.get_by_text(shown).wait_for()
    return result


def download(page, button_name: str) -> str:
    """Click a download button and return the downloaded file's text."""
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    return Path(info.value.path()).read_text(encoding="utf-8")


def duplicate_ids(page) -> list[str]:
    """Element ids used more than once in the page (an id must be unique)."""
    return page.evaluate(
        """() => {
            const seen = {};
            document.querySelectorAll("[id]").forEach((e) => {
                if (e.id) seen[e.id] = (seen[e.id] || 0) + 1;
            });
            return Object.keys(seen).filter((id) => seen[id] > 1);
        }"""
    )


def words_broken_across_lines(page, selector: str) -> list[str]:
    """Words inside ``selector`` that the layout split over two lines ("sc/or/e"); a line may
    still break at a space, a hyphen or a slash."""
    return page.evaluate(
        """(selector) => {
            const broken = [];
            for (const el of document.querySelectorAll(selector)) {
                const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                for (let node = walk.nextNode(); node; node = walk.nextNode()) {
                    for (const m of node.textContent.matchAll(/[^\\s\\-\\/]+/g)) {
                        const range = document.createRange();
                        range.setStart(node, m.index);
                        range.setEnd(node, m.index + m[0].length);
                        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                        if (tops.size > 1) broken.push(m[0]);
                    }
                }
            }
            return broken;
        }""",
        selector,
    )


def bank_question_in(shown: str, kind: str | None = None):
    """The bank question (of ``kind``, if given) whose text ``shown`` holds, as the page renders
    it: compared word by word (markdown drops backticks and escapes; a 60-character prefix
    missed some)."""
    import re

    from interviewer.bank import default_bank

    def words(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", text.lower()))

    page_words = words(shown)
    return next(q for q in default_bank().values()
                if (kind is None or q.kind == kind) and words(q.text).split()[:12]
                and " ".join(words(q.text).split()[:12]) in page_words)  # fmt: skip
