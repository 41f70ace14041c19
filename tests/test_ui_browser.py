"""The app in a real browser: Debian's Chromium driven by Playwright against app.py started on a
free local port with the offline engine and its own data dir."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from interviewer.config import ConfigError, Settings
from interviewer.ui import launch_kwargs
from interviewer.ui.auth import parse_auth
from tests.ui_support import (
    CHROMIUM,
    STEP_TIMEOUT,
    bank_question_in,
    bot_texts,
    chromium,
    download,
    open_tab,
    practice_grade,
    running_app,
    wait_for_bot,
    wait_idle,
    words_broken_across_lines,
)

XSS = "<img src=x onerror=alert(1)>"
LINK = "see http://evil.example/x, www.evil.example or me@evil.example"  # shown as text, no link
GOOD_ANSWER = (
    "L1 regularisation adds the sum of absolute weights to the loss, which drives some weights "
    "to exactly zero and so does feature selection. L2 adds the sum of squared weights, shrinking "
    "all weights smoothly without zeroing them, which helps with correlated features. I would "
    "pick L1 for sparse, interpretable models and L2 as the default against overfitting."
)
GUIDE = f"""# Feature Stores

A feature store keeps offline features for training and online features for low-latency
serving, so that training and serving compute features the same way (no training-serving skew).

## Point-in-time joins

Point-in-time correct joins stop label leakage when building training sets from event logs.
Note {XSS} stays text.
"""

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"{CHROMIUM} missing: `make test` installs it (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def app(tmp_path_factory, built_kb):
    """The app served from a subprocess for the whole module."""
    root = tmp_path_factory.mktemp("app")
    with running_app(root, built_kb) as (url, data, log):
        yield url, root


@pytest.fixture(scope="module")
def playwright():
    """Playwright's driver (one per module: the sync API cannot nest)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright, tmp_path_factory):
    """One Chromium with a fresh profile for the module; the list of off-host requests."""
    with chromium(playwright, tmp_path_factory.mktemp("chromium-profile")) as (context, outbound):
        yield context, outbound


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where the screenshots of each tab go."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(app, browser):
    """A new tab on the app; fails the test on any JavaScript dialog (an injected alert)."""
    url, _ = app
    context, outbound = browser
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    page.wait_for_selector("#interview-chat")
    wait_idle(page)
    page.dialogs = dialogs
    yield page
    page.close()
    assert outbound == [], f"requests left the machine: {outbound}"


def say(page, button: str, text: str | None = None, contains: str | None = None) -> str:
    """Type ``text`` (if any), press ``button`` and return the interviewer's settled reply."""
    before = len(bot_texts(page))  # counted first: the reply's placeholder appears at once
    if text is not None:
        page.locator("#answer-box textarea").fill(text)
    page.get_by_role("button", name=button, exact=True).click()
    return wait_for_bot(page, before + 1, contains)


def answer(page, text: str) -> str:
    """Send an answer; the reply."""
    return say(page, "Send answer", text)


def assert_no_injected_image(page) -> None:
    """The XSS payload must never become an element."""
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => document.querySelectorAll('img[onerror]').length") == 0


@needs_chromium
def test_interview_report_transcripts_progress_practice(page, shots):
    # -- Interview: 3-question L1 with feedback after each answer ------------------------------
    page.get_by_role("button", name="Start interview").click()
    first = wait_for_bot(page, 1, "Question 1 of 3")
    assert "Welcome to your mock interview" in first
    # The app's opening names its buttons, then the typed forms (a walk-through read only the
    # typed commands beside the buttons); the CLI's names the typed ones alone.
    assert "the Hint (costs points), Repeat, Skip and End buttons under your answer" in first
    page.locator("#question-timer").get_by_text("Time on this question").wait_for()

    assert "Hint (costs 10 points)" in say(page, "Hint", contains="Hint")

    # The asked question's own model answer (the first question is any L1 one: an answer to
    # another question scores 0, and a 0 has no hint penalty to show).
    reply = answer(page, f"{bank_question_in(first).model_answer}\n{XSS} {LINK}")
    while "Question 2 of 3" not in reply:  # an offline follow-up probe: answer it too
        assert "Follow-up" in reply, reply
        reply = answer(page, "It also interacts with the learning rate and feature scaling.")
    feedback = next(t for t in reversed(bot_texts(page)) if t.startswith("Score:"))
    assert page.locator("a[href*='evil.example']").count() == 0  # a typed URL is no link
    assert LINK in page.locator("#interview-chat").inner_text()
    assert "less 10 for the hint penalty" in feedback and "•" in feedback
    # the model answer waits behind a toggle
    toggle = page.locator("#interview-chat").get_by_text("Show model answer").last
    toggle.wait_for()
    toggle.click()  # open, it reads at the chat's type size (Gradio's folded type was smaller)
    size = "e => parseFloat(getComputedStyle(e).fontSize)"
    folded = page.locator("#interview-chat .thought-group .message-content p").first
    assert folded.evaluate(size) == page.locator(
        '#interview-chat [data-testid="bot"] p').first.evaluate(size)  # fmt: skip

    # The answer with an <img> tag shows as text; no element was created, no script ran.
    users = page.locator('#interview-chat [data-testid="user"]').all_inner_texts()
    assert any(XSS in u for u in users)
    assert_no_injected_image(page)
    card = page.locator("#scorecard").inner_text()
    assert "Q1" in card and "/100" in card and "Technical depth" in card
    assert "Covered:" in card or "Missed:" in card
    page.screenshot(path=str(shots / "interview.png"), full_page=True)
    # Scrolled up, the chat's arrow down is a round button at its right edge, with a shadow:
    # Gradio's, edgeless in the middle, read as a letter of the text under it (walk55).
    page.locator("#interview-chat .bubble-wrap").evaluate("c => { c.scrollTop = 0; }")
    arrow = page.locator('#interview-chat button[aria-label="Scroll down"]')
    arrow.wait_for()
    box, chat = arrow.bounding_box(), page.locator("#interview-chat").bounding_box()
    assert chat["x"] + chat["width"] - (box["x"] + box["width"]) < 40, (box, chat)
    assert arrow.evaluate("b => getComputedStyle(b).boxShadow") != "none"
    arrow.click()

    # Question 2 is L1's coding question: the editor shows with the starter and the examples.
    page.locator("#code-editor").wait_for()
    expect(page.locator("#code-editor")).to_contain_text("def ", timeout=STEP_TIMEOUT)
    expect(page.locator("#code-results")).to_contain_text("Examples", timeout=STEP_TIMEOUT)
    assert "Skipped." in say(page, "Skip", contains="Question 3 of 3")
    assert not page.locator("#code-editor").is_visible()

    code_line = "df['m'] = df.groupby('g')['x'].transform('mean')  # <b>not bold</b>"
    reply = answer(page, "I would use pandas groupby with transform to add per-group means.\n"
                         f"```python\n{code_line}\n```")  # fmt: skip
    # A fenced block in an answer shows as code, not as its backticks (a walk-through), and
    # what is inside stays text.
    block = page.locator('#interview-chat [data-testid="user"] pre code').last
    expect(block).to_contain_text(code_line, timeout=STEP_TIMEOUT)
    assert page.locator('#interview-chat [data-testid="user"] b').count() == 0
    assert "```" not in page.locator('#interview-chat [data-testid="user"]').last.inner_text()
    while "Interview finished" not in reply:
        assert "Follow-up" in reply, reply
        reply = answer(page, "Vectorised operations avoid Python loops and keep memory use low.")
    report = page.locator("#report-panel")
    report.get_by_text("Top gaps").wait_for()
    assert "Round L1" in report.inner_text() and "skipped" in report.inner_text()
    for name in ("Hint", "Repeat", "Skip", "End"):  # it is over: no command is offered
        assert not page.get_by_role("button", name=name, exact=True).is_visible(), name
    line = page.locator("#score-line").inner_text().strip()
    assert line.startswith("Interview over · overall ") and "Question" not in line
    page.wait_for_function("() => !document.querySelector('#question-timer').innerText.trim()")
    page.screenshot(path=str(shots / "report.png"), full_page=True)

    # The downloads sit over the scorecard, which now holds every graded answer in full.
    button = page.get_by_role("button", name="Transcript (.md)").bounding_box()
    assert button["y"] < page.locator("#scorecard").bounding_box()["y"]
    md = download(page, "Transcript (.md)")
    assert "# Mock interview" in md and "**Hints used**" in md and "skipped" in md
    assert "&lt;img src=x onerror=alert(1)>" in md and XSS not in md
    data = json.loads(download(page, "Transcript (.json)"))
    turns = data["turns"]
    assert data["session"]["status"] == "finished" and len(turns) == 3
    assert turns[0]["hints"] and XSS in turns[0]["answer"] and turns[1]["status"] == "skipped"
    html = download(page, "Transcript (.html)")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and XSS not in html
    session_id = data["session"]["id"]

    # -- Transcripts: the session is listed; open it as the graded transcript ----------------
    open_tab(page, "Transcripts")
    table = page.locator("#sessions-table")
    expect(table).to_contain_text(session_id, timeout=STEP_TIMEOUT)
    assert "L1" in table.inner_text()
    table.get_by_test_id("cell-0-0").click()
    view = page.locator("#transcript-view")
    view.get_by_text("Mock interview").wait_for()
    assert "Score:" in view.inner_text() and XSS in view.inner_text()
    assert_no_injected_image(page)
    assert LINK in view.inner_text() and view.locator("a[href*='evil.example']").count() == 0
    assert session_id in download(page, "Export .json")
    page.screenshot(path=str(shots / "transcripts.png"), full_page=True)

    # -- Progress: plots and weakest topics, with a way into practice -----------------------
    open_tab(page, "Progress")
    assert not page.locator("#progress-empty").is_visible()
    # One session: each criterion has one score, drawn as a point (a line needs two).
    plot = page.locator("#plot-criteria-points")
    plot.locator("canvas, svg").first.wait_for()
    # (the plot is drawn in two steps, its data then its time range: its label can be read a
    # moment after its first drawing, so wait for it rather than read it once)
    expect(plot).to_contain_text("Scores per criterion")
    assert not page.locator("#plot-criteria").is_visible()
    assert "Weakest topics" in page.locator("body").inner_text()
    # Where the candidate stands: the round's latest hire signal, as the report gave it.
    signals = page.locator("#latest-signals")
    expect(signals).to_contain_text("Latest hire signal per round")
    row = signals.locator("tbody tr").first.inner_text().split("\t")
    assert [c.strip() for c in row][0] == "L1" and row[3].strip() == line.split(" · ")[-1], row
    page.screenshot(path=str(shots / "progress.png"), full_page=True)
    page.get_by_role("button", name="Practice this topic").click()
    wait_idle(page)

    # -- Practice: the weak topic's question, graded at once with model answer and passage ---
    question = page.locator("#practice-question")
    question.get_by_text("difficulty").wait_for()
    if page.locator("#practice-code").is_visible():
        # A coding question (the skipped one's topic is the weakest): the untouched starter is
        # refused, so write the solution, and the answer box is its explanation.
        from interviewer.bank import default_bank

        shown = question.inner_text()
        q = next(q for q in default_bank().values()
                 if q.kind == "coding" and q.text[:60] in shown)  # fmt: skip
        page.get_by_role("button", name="Grade my answer").click()
        result = page.locator("#practice-result")
        result.get_by_text("starter code, unchanged").wait_for()
        editor = page.locator("#practice-code .cm-content")
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        editor.fill(q.coding.reference)
    page.locator("#practice-answer textarea").fill(f"{GOOD_ANSWER} {XSS}")
    page.get_by_role("button", name="Grade my answer").click()
    result = page.locator("#practice-result")
    result.get_by_role("heading", name="Model answer").wait_for()  # (a story's note names it too)
    text = result.inner_text()
    assert "Your grade" in text and "/100" in text and "From the guide" in text
    assert_no_injected_image(page)
    page.screenshot(path=str(shots / "practice.png"), full_page=True)
    page.get_by_role("button", name="Next question").click()
    wait_idle(page)
    assert result.inner_text().strip() == ""
    assert "difficulty" in question.inner_text()

    # -- The practice answer was stored: listed next to the interview, opened as a transcript --
    open_tab(page, "Transcripts")
    page.wait_for_function(
        "() => document.querySelector('#sessions-table').innerText.includes('practice')"
    )
    assert session_id in table.inner_text()
    newest = table.get_by_test_id("cell-0-5")  # newest first: the status of the practice
    assert newest.inner_text().strip() == "practice"
    newest.click()
    view.get_by_role("heading", name="Practice:").wait_for()  # (its note says "Practice:" too)
    assert XSS in view.inner_text()
    assert_no_injected_image(page)
    assert page.dialogs == []


@needs_chromium
def test_guides_upload_search_and_choice(page, app, shots):
    _, root = app
    guide = root / "feature-store-notes.md"
    guide.write_text(GUIDE, encoding="utf-8")
    empty = root / "empty.txt"
    empty.write_text("", encoding="utf-8")

    open_tab(page, "Guides")
    sections = page.locator("#guide-sections")
    sections.get_by_text("(built-in)").wait_for()

    upload = page.locator("#guide-upload input[type=file]")
    upload.set_input_files(str(empty))
    page.locator("#guide-status").get_by_text("empty").wait_for()
    assert "empty.txt" in page.locator("#guide-status").inner_text()
    # the rejected file has left the uploader: the next one is dropped straight in
    page.wait_for_function(
        "() => !document.querySelector('#guide-upload').innerText.includes('empty.txt')"
    )
    upload = page.locator("#guide-upload input[type=file]")
    upload.set_input_files(str(guide))
    page.locator("#guide-status").get_by_text("Ingested").wait_for()
    assert "feature-store-notes" in page.locator("#guide-status").inner_text()
    sections.get_by_text("Point-in-time joins").wait_for()
    assert "feature-store-notes" in sections.inner_text()
    # the ingested file has left the uploader too (a walk-through had to press Clear first)
    expect(page.locator("#guide-upload")).not_to_contain_text("feature-store-notes.md")

    # Files the browser refuses (over the size limit, another type) never reach the server:
    # their reason replaces the last upload's "Ingested ..." (a walk-through read it as this
    # file's result once Gradio's toast had faded).
    status, check = page.locator("#guide-status"), page.locator("#guide-check")
    expect(page.locator("#guide-upload")).to_contain_text("up to 10 MB")
    big = root / "big-guide.txt"
    big.write_text("Feature stores serve features online. " * 300_000, encoding="utf-8")  # 11 MB
    docx = root / "notes.docx"
    docx.write_bytes(b"PK\x03\x04 not a guide")
    for path, reason in ((big, "over the 10 MB limit for a guide"), (docx, "not a guide file; upload a .txt, .md or .pdf file.")):
        page.locator("#guide-upload input[type=file]").set_input_files(str(path))
        expect(check).to_contain_text(f"{path.name}: ")
        expect(check).to_contain_text(reason)
        expect(status).to_be_hidden()
    page.screenshot(path=str(shots / "guide-refused.png"), full_page=True)
    page.locator("#guide-upload input[type=file]").set_input_files(str(guide))
    expect(status).to_contain_text("Ingested")
    expect(status).to_be_visible()
    expect(check).to_have_count(0)

    page.locator("#guide-query textarea, #guide-query input").first.fill(
        "avoid label leakage when building training sets"
    )
    page.get_by_role("button", name="Search").click()
    page.wait_for_function(
        "() => document.querySelector('#guide-hits').innerText.includes('Point-in-time')"
    )
    assert_no_injected_image(page)
    page.screenshot(path=str(shots / "guides.png"), full_page=True)

    page.locator("#guide-pick input").click()
    page.get_by_role("option", name="feature-store-notes").click()
    wait_idle(page)
    open_tab(page, "Interview")
    page.get_by_text("Help: modes, guides and settings").click()
    notes = page.locator("#interview-notes").inner_text()
    assert "feature-store-notes" in notes and "built-in guide" in notes
    assert page.dialogs == []


@needs_chromium
def test_an_uploaded_guide_is_deleted_after_a_confirmation_and_leaves_every_picker(
    page, app, shots
):
    from interviewer.knowledge import BUILTIN_GUIDE_ID as BUILTIN

    _, root = app
    notes = root / "old-notes.md"
    notes.write_text(GUIDE, encoding="utf-8")
    gone = "local/old-notes"

    def offered(picker: str) -> list[str]:
        """The choices a dropdown offers, as its opened list shows them."""
        box = page.locator(f"{picker} input")
        box.click()
        wait_idle(page)  # (Practice's list is refreshed as it opens)
        listed = page.get_by_role("option").all_inner_texts()
        box.blur()  # closes it (it opens on focus: Escape kept it focused)
        wait_idle(page)
        return [t.split("\n")[-1].strip() for t in listed]  # the chosen one has a ✓ line

    def choose(picker: str, name: str) -> None:
        page.locator(f"{picker} input").click()
        page.get_by_role("option", name=name, exact=True).click()
        wait_idle(page)

    # Uploaded, chosen for interviews and picked in Practice: every picker holds it.
    open_tab(page, "Guides")
    page.locator("#guide-upload input[type=file]").set_input_files(str(notes))
    expect(page.locator("#guide-status")).to_contain_text(f"Ingested {gone}")
    wait_idle(page)
    choose("#guide-pick", gone)
    open_tab(page, "Practice")
    choose("#practice-guide", gone)
    open_tab(page, "Guides")
    delete, confirm = page.locator("#guide-delete"), page.locator("#guide-delete-confirm")
    expect(delete).to_be_disabled()  # nothing picked to delete yet
    listed = offered("#guide-delete-pick")
    assert gone in listed and BUILTIN not in listed  # the built-in guide is never offered

    # Delete asks first; Cancel keeps it.
    choose("#guide-delete-pick", gone)
    delete.click()
    expect(confirm).to_contain_text(f"Delete {gone} (from old-notes.md; 2 chunks in 2 sections)?")
    page.screenshot(path=str(shots / "guide-delete-confirm.png"), full_page=True)
    confirm.get_by_role("button", name="Cancel").click()
    expect(page.locator("#guide-delete-status")).to_have_text("Nothing was deleted.")
    expect(confirm).to_be_hidden()
    assert gone in offered("#guide-view")

    delete.click()
    confirm.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator("#guide-delete-status")).to_have_text(f"Deleted guide {gone} (2 chunks).")
    wait_idle(page)
    page.screenshot(path=str(shots / "guide-deleted.png"), full_page=True)
    expect(confirm).to_be_hidden()
    expect(delete).to_be_disabled()
    # No picker offers it any more; the ones that had it chosen are back on the built-in guide.
    expect(page.locator("#guide-pick input")).to_have_value(BUILTIN)
    for picker in ("#guide-pick", "#guide-view"):
        listed = offered(picker)
        assert BUILTIN in listed and gone not in listed, (picker, listed)
    assert gone not in offered("#guide-delete-pick")
    open_tab(page, "Practice")  # (set by the delete, not by its list's refresh as it opens)
    expect(page.locator("#practice-guide input")).to_have_value(BUILTIN)
    listed = offered("#practice-guide")
    assert BUILTIN in listed and gone not in listed, listed
    open_tab(page, "Interview")
    page.get_by_text("Help: modes, guides and settings").click()
    notes_text = page.locator("#interview-notes").inner_text()
    assert "old-notes" not in notes_text and f"{BUILTIN} (built-in)" in notes_text
    assert page.dialogs == []


@needs_chromium
def test_guides_of_any_script_keep_apart_and_search_results_fit_a_phone(page, shots):
    """Walk-through: `中文笔记.md` replaced `日本語.md` (both were `local/guide`), and at 375 px
    the search results' headers stood a letter a line ("s c o r e")."""
    page.set_viewport_size({"width": 375, "height": 800})
    open_tab(page, "Guides")
    status = page.locator("#guide-status")

    def upload(name: str, guide: str) -> str:
        """Upload a file called ``name``; the status line once it says ``guide`` was ingested."""
        page.locator("#guide-upload input[type=file]").set_input_files(
            files=[{"name": name, "mimeType": "text/markdown", "buffer": GUIDE.encode()}]
        )
        expect(status).to_contain_text(f"Ingested {guide}: ")
        wait_idle(page)
        return status.inner_text().strip()

    assert "(2 new, 0 unchanged, 0 removed)" in upload("日本語.md", "local/日本語")
    assert "(2 new, 0 unchanged, 0 removed)" in upload("中文笔记.md", "local/中文笔记")
    upload("phone.md", "local/phone")
    said = upload("phone.txt", "local/phone-2")  # another file whose name gives the same id
    assert said.startswith("Ingested local/phone-2: 2 chunks (2 new, 0 unchanged, 0 removed). "
                           "Your guide local/phone holds another file, phone.md, so this one is "
                           "a guide of its own and phone.md was not replaced.")  # fmt: skip
    page.locator("#guide-delete-pick input").click()
    listed = page.get_by_role("option").all_inner_texts()
    page.locator("#guide-delete-pick input").blur()
    wait_idle(page)
    assert {"local/日本語", "local/中文笔记", "local/phone", "local/phone-2"} <= set(listed)

    page.locator("#guide-query textarea, #guide-query input").first.fill("point-in-time joins")
    page.get_by_role("button", name="Search").click()
    page.wait_for_function(
        "() => document.querySelector('#guide-hits').innerText.includes('Point-in-time')"
    )
    # Each header on one line (its words are as wide as their column at most); the table
    # scrolls sideways in its box, and the page itself does not.
    lines = page.evaluate("""() => [...document.querySelectorAll('#guide-hits .header-cell')]
        .map(cell => { const tops = new Set(), walk = document.createTreeWalker(cell, 4);
                       while (walk.nextNode()) { if (!walk.currentNode.data.trim()) continue;
                         const range = document.createRange();
                         range.selectNodeContents(walk.currentNode);
                         for (const r of range.getClientRects()) tops.add(Math.round(r.top)); }
                       return [cell.innerText.trim(), tops.size]; })""")
    assert [name for name, _ in lines] == ["score", "section", "round", "text"]
    assert all(n == 1 for _, n in lines), lines
    # Every cell's words whole, a negative score too (a re-walk's "-0.06/3" at 10% of 640 px).
    assert words_broken_across_lines(page, "#guide-hits .body-cell") == []
    box = page.locator("#guide-hits .upload-container")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("#guide-hits").screenshot(path=str(shots / "guide-hits-375.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert page.dialogs == []


@needs_chromium
def test_a_guide_deleted_in_another_tab_leaves_its_pickers_without_a_reload(
    page, app, browser, shots
):
    """Walk-through: another open tab kept a deleted guide chosen in its guide pickers until
    reloaded (its LLM interviews then asked from the question bank), and the Guides tab's
    delete choice started over whenever the tab was opened again or the page reloaded."""
    from interviewer.knowledge import BUILTIN_GUIDE_ID as BUILTIN

    url, _ = app
    context, _ = browser
    first, second, kept = "local/focus-gone", "local/tab-gone", "local/kept-choice"
    open_tab(page, "Guides")
    for guide in (first, second, kept):
        page.locator("#guide-upload input[type=file]").set_input_files(
            files=[{"name": f"{guide[6:]}.md", "mimeType": "text/markdown",
                    "buffer": GUIDE.encode()}]  # fmt: skip
        )
        expect(page.locator("#guide-status")).to_contain_text(f"Ingested {guide}: ")
        wait_idle(page)

    other = context.new_page()  # the other tab, open all along
    other.goto(url)
    other.wait_for_selector("#interview-chat")
    wait_idle(other)

    def choose(tab, picker: str, name: str) -> None:
        tab.locator(f"{picker} input").click()
        # the option of this picker's list (CI: the list of the picker chosen just before was
        # still open, and an unscoped option matched in both)
        tab.locator(picker).get_by_role("option", name=name, exact=True).click()
        wait_idle(tab)

    def delete(guide: str) -> None:
        """Delete ``guide`` in the first tab (its Guides tab is open)."""
        choose(page, "#guide-delete-pick", guide)
        page.locator("#guide-delete").click()
        page.locator("#guide-delete-confirm").get_by_role("button", name="Yes, delete it").click()
        expect(page.locator("#guide-delete-status")).to_contain_text(f"Deleted guide {guide}")
        wait_idle(page)

    def notes(tab) -> str:
        help_box = tab.locator("#interview-notes")
        if not help_box.is_visible():
            tab.get_by_text("Help: modes, guides and settings").click()
        return help_box.inner_text()

    # A picker gaining focus lists the guides there are: every picker drops the deleted one.
    open_tab(other, "Guides")
    choose(other, "#guide-pick", first)
    choose(other, "#guide-view", first)
    delete(first)
    expect(other.locator("#guide-pick input")).to_have_value(first)  # nothing told it yet
    other.locator("#guide-pick input").click()
    expect(other.get_by_role("option", name=first, exact=True)).to_have_count(0)
    expect(other.get_by_role("option", name=BUILTIN, exact=True)).to_have_count(1)
    other.locator("#guide-pick input").blur()
    expect(other.locator("#guide-pick input")).to_have_value(BUILTIN)
    expect(other.locator("#guide-view input")).to_have_value(BUILTIN)
    expect(other.locator("#guide-sections")).to_contain_text("(built-in)")
    other.screenshot(path=str(shots / "guide-gone-other-tab.png"), full_page=True)
    # A choice made right as the list opens is not put back by that refresh.
    choose(other, "#guide-pick", second)
    other.wait_for_timeout(500)
    expect(other.locator("#guide-pick input")).to_have_value(second)

    # Opening a tab does the same: Practice's Questions from, and the guide interviews draw
    # on (the Interview tab's help names it), deleted while this tab showed the Interview tab.
    open_tab(other, "Practice")
    choose(other, "#practice-guide", second)
    open_tab(other, "Interview")
    assert second in notes(other)
    delete(second)
    open_tab(other, "Practice")
    expect(other.locator("#practice-guide input")).to_have_value(BUILTIN)
    open_tab(other, "Interview")
    expect(other.locator("#interview-notes")).not_to_contain_text(second)
    expect(other.locator("#interview-notes")).to_contain_text(f"{BUILTIN} (built-in)")

    # The delete choice stays picked when the tab is opened again, and after a reload.
    open_tab(other, "Guides")
    choose(other, "#guide-delete-pick", kept)
    open_tab(other, "Progress")
    open_tab(other, "Guides")
    expect(other.locator("#guide-delete-pick input")).to_have_value(kept)
    expect(other.locator("#guide-delete")).to_be_enabled()
    other.reload()
    other.wait_for_selector("#interview-chat")
    wait_idle(other)
    open_tab(other, "Guides")
    expect(other.locator("#guide-delete-pick input")).to_have_value(kept)
    expect(other.locator("#guide-delete")).to_be_enabled()
    # Deleted elsewhere, it is no longer kept: nothing picked, Delete off.
    delete(kept)
    other.reload()
    other.wait_for_selector("#interview-chat")
    wait_idle(other)
    open_tab(other, "Guides")
    expect(other.locator("#guide-delete-pick input")).to_have_value("")
    expect(other.locator("#guide-delete")).to_be_disabled()
    other.close()
    assert page.dialogs == []


LONG_SECTIONS = """# Hyperparameter Optimisation

Hyperparameter optimisation searches learning rates with Bayesian methods and early stopping.

## Internationalization Considerations

Internationalization of recommendation systems needs per-market evaluation of latency.

## Retrieval-Augmented Generation Observability

Observability logs retrieved passages and latency per stage in production.
"""


@needs_chromium
def test_section_names_wrap_between_their_words_on_a_phone(page, shots):
    """Walk-through: at 375 px the search results and chunks broke section names mid-word
    ("Key Responsibiliti/es" in the built-in guide)."""
    from interviewer.knowledge import BUILTIN_GUIDE_ID as BUILTIN

    page.set_viewport_size({"width": 375, "height": 800})
    open_tab(page, "Guides")
    page.locator("#guide-upload input[type=file]").set_input_files(
        files=[{"name": "long-words.md", "mimeType": "text/markdown",
                "buffer": LONG_SECTIONS.encode()}]  # fmt: skip
    )
    expect(page.locator("#guide-status")).to_contain_text("Ingested local/long-words: ")
    wait_idle(page)
    cells = "#guide-hits .body-cell, #guide-chunks .body-cell"
    page.get_by_text("Chunks", exact=True).click()
    for guide, query, section in (
        (BUILTIN, "key responsibilities of the role", "Key Responsibilities"),
        ("local/long-words", "latency in production", "Internationalization Considerations"),
    ):
        page.locator("#guide-view input").click()
        page.get_by_role("option", name=guide, exact=True).click()
        wait_idle(page)
        page.locator("#guide-query textarea, #guide-query input").first.fill(query)
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#guide-hits")).to_contain_text(section)
        if guide != BUILTIN:  # (the built-in guide's 64 chunks: that row is scrolled away)
            expect(page.locator("#guide-chunks")).to_contain_text(section)
        wait_idle(page)
        assert words_broken_across_lines(page, cells) == [], guide
        # Nothing drawn past its cell either (a word kept whole must not run into the next).
        over = page.evaluate("""(cells) => [...document.querySelectorAll(cells)]
            .filter(c => c.querySelector('.text').scrollWidth > c.clientWidth + 1).length""",
                             cells)  # fmt: skip
        assert over == 0, guide
        name = guide.split("/")[-1]
        page.locator("#guide-hits").screenshot(path=str(shots / f"guide-hits-375-{name}.png"))
        page.locator("#guide-chunks").screenshot(path=str(shots / f"guide-chunks-375-{name}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert page.dialogs == []


@needs_chromium
def test_the_criteria_chart_draws_one_round_picked_beside_it(page, app, monkeypatch):
    # Seen in a walk-through: one line per criterion ran through L1 and L2 sessions alike, though
    # an L1 "Engineering" (vectorised code) and an L2 one (system design) are different measures.
    import time

    from interviewer.models import SessionInfo
    from interviewer.store import Store
    from tests.test_store import make_turn

    _, root = app
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(root / "data"))
    store = Store(settings=Settings.from_env())
    now = time.time()
    for days, round_name, scores in ((2, "L1", (2, 2, 2, 2)), (1, "L2", (5, 5, 4, 4))):
        info = store.create_session(SessionInfo(round=round_name, created_at=now - days * 86400))
        turn = make_turn(0, round=round_name, topic="mlops", overall=80, scores=scores)
        store.save_turn(info.id, turn)
        info.status = "finished"  # (Progress draws an interview once it is over)
        store.update_session(info)
    store.close()

    open_tab(page, "Progress")
    pick = page.locator("#criteria-round")
    expect(pick).to_be_visible()  # two rounds: one is drawn, the other a click away
    chart = {"L1": page.locator("#plot-criteria-column"),  # lines or points, whichever shows
             "L2": page.locator("#plot-criteria-l2-column")}  # fmt: skip
    # the round sat last is drawn first (the L1 interview of the walk-through above, when it ran)
    shown = "L1" if pick.get_by_role("radio", name="L1").is_checked() else "L2"
    other = {"L1": "L2", "L2": "L1"}[shown]
    expect(chart[shown]).to_contain_text(f"({shown} interviews)", use_inner_text=True)
    expect(chart[other]).to_be_hidden()
    pick.get_by_role("radio", name=other).check()
    wait_idle(page)
    expect(chart[other]).to_contain_text(f"({other} interviews)", use_inner_text=True)
    expect(chart[shown]).to_be_hidden()


def open_practice_picker(page, topic: str):
    """The Practice tab on ``topic``, its Question picker opened; the picker."""
    open_tab(page, "Practice")
    page.get_by_label("Topic", exact=True).click()
    page.get_by_role("option", name=topic).click()
    wait_idle(page)
    picker = page.locator("#practice-pick")
    picker.locator("input").click()
    return picker


@needs_chromium
def test_practice_goes_back_to_a_question_picked_by_name_with_its_last_score(
    page, app, shots, monkeypatch
):
    # Seen in a walk-through: a question once graded could not be drilled again (New question
    # skips those of the last sessions, and there was no way to pick one).
    from interviewer.bank import default_bank
    from interviewer.models import SessionInfo
    from interviewer.store import Store
    from tests.test_store import make_turn

    _, root = app
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(root / "data"))
    q = default_bank()["l1-diagnose-overfitting"]
    store = Store(settings=Settings.from_env())
    info = store.create_session(SessionInfo(round="L1"))
    store.save_turn(info.id, make_turn(0, topic=q.topic, question_id=q.id, overall=35))
    store.close()

    picker = open_practice_picker(page, "overfitting and regularisation")
    options = picker.get_by_role("option")
    expect(options).to_have_count(4)  # every question of the topic, the one graded included
    label = next(t for t in options.all_inner_texts() if t.startswith("Your model gets 99%"))
    assert label.endswith("(last 35/100)"), label
    page.screenshot(path=str(shots / "practice-pick.png"), full_page=True)
    page.get_by_role("option", name=label).click()
    wait_idle(page)
    question = page.locator("#practice-question")
    expect(question).to_contain_text("99% accuracy on the training data")
    last = page.locator("#practice-last")  # under the question, apart from its text
    expect(last).to_contain_text("You scored 35/100 on this one last time.")
    assert picker.locator("input").input_value() == label  # it shows the question served

    result = practice_grade(
        page,
        "The model is overfitting: it memorises the training set. I would add regularisation, "
        "get more data, simplify the model and use early stopping, and check for leakage.",
    )
    wait_idle(page)
    score = re.search(r"Your grade: (\d+)/100", result.inner_text())[1]
    expect(picker.locator("input")).to_have_value(label.replace("35/100", f"{score}/100"))
    # the old score went with the new grade (a walk-through read it under its fresher grade)
    expect(last).not_to_contain_text("last time")
    page.screenshot(path=str(shots / "practice-picked.png"), full_page=True)
    graded = picker.locator("input").input_value()

    # The list opened and closed with nothing picked does nothing: no question to confirm
    # leaving a draft for, no error (a re-walk: "Error" over the page, a confirm for nothing).
    box = page.locator("#practice-answer textarea")
    box.fill("a draft not graded")
    for close in ("Escape", "click elsewhere"):
        page.locator("#practice-question").click()  # (a click on the focused input toggles)
        picker.locator("input").click()
        expect(picker.locator("input")).to_have_attribute("aria-expanded", "true")
        if close == "Escape":
            page.keyboard.press("Escape")
        else:
            question.click()
        wait_idle(page)
    assert page.dialogs == [] and box.input_value() == "a draft not graded"
    expect(picker.locator("input")).to_have_value(graded)
    assert page.get_by_text("Error", exact=True).count() == 0
    box.fill("")

    # Another topic: the question on screen stays, and the picker still shows it, first
    page.get_by_label("Topic", exact=True).click()
    page.get_by_role("option", name="evaluation metrics").click()
    wait_idle(page)
    expect(question).to_contain_text("99% accuracy on the training data")
    shown = picker.locator("input").input_value()
    assert shown.startswith("On screen, overfitting and regularisation: Your model gets 99%")

    # Next question serves another one (of the new topic), shown in the picker too
    page.get_by_role("button", name="Next question").click()
    wait_idle(page)
    expect(question).not_to_contain_text("99% accuracy on the training data")
    expect(question).to_contain_text("evaluation metrics")
    assert "Your model gets 99%" not in picker.locator("input").input_value()
    assert page.dialogs == []


@needs_chromium
def test_a_coding_grade_in_practice_fits_a_phone(page, shots):
    # A walk-through at 375 px: the criteria table of a bracket counter's grade ran 30 px past
    # its box, its "why" column cut ("failed: interleaved_is_not_nested, ..." is one long word
    # per test name).
    from interviewer.bank import default_bank, topic_label

    q = default_bank()["l1-code-balanced-brackets"]
    page.set_viewport_size({"width": 375, "height": 800})
    picker = open_practice_picker(page, "Python coding")
    option = picker.get_by_role("option").filter(has_text=q.text[:40])
    option.first.click()
    wait_idle(page)
    expect(page.locator("#practice-question")).to_contain_text(q.text[:40])
    editor = page.locator("#practice-code .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    editor.fill(
        "def is_balanced(s):\n"
        "    return all(s.count(o) == s.count(c) for o, c in ('()', '[]', '{}'))\n"
    )
    result = practice_grade(page, "I count each kind of bracket: equal counts mean balanced.",
                            shown="Your grade")  # fmt: skip
    wait_idle(page)
    expect(result).to_contain_text("interleaved_is_not_nested")
    table = result.locator("table").first
    assert table.evaluate("t => t.getBoundingClientRect().right") <= result.evaluate(
        "r => r.getBoundingClientRect().right"
    ) + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # the criterion names still break between words only
    assert "Depth:" in table.locator("td").first.inner_text()
    result.screenshot(path=str(shots / "practice-coding-375.png"))
    # A question whose examples have long lines: they wrap as the editor does, never scrolling
    # sideways in their box (walk55: a long assert ran off a phone's width).
    long = default_bank()["l1-code-precision-recall-f1"]
    picker = open_practice_picker(page, topic_label(long.topic))
    picker.get_by_role("option").filter(has_text=long.text[:40]).first.click()
    wait_idle(page)
    blocks = page.locator(":is(#practice-question, #practice-code-results) pre")
    expect(blocks.first).to_contain_text("precision_recall_f1(")
    widths = blocks.evaluate_all("ps => ps.map(p => [p.scrollWidth, p.clientWidth])")
    assert widths and all(w <= c for w, c in widths), widths


FONT_WIDTHS_JS = """async () => {
  const text = "Evaluation Areas AaBb signal 0123";
  const out = {};
  for (const fam of ["Source Sans Pro", "IBM Plex Mono"]) {
    for (const w of [400, 600, 700]) {
      await document.fonts.load(`${w} 20px "${fam}"`, text);
      const c = document.createElement("canvas").getContext("2d");
      const width = (fallback) => { c.font = `${w} 20px "${fam}", ${fallback}`; return c.measureText(text).width; };
      out[`${fam} ${w}`] = [width("monospace"), width("serif")];
    }
  }
  return out;
}"""


@needs_chromium
def test_an_answer_over_the_limit_is_said_while_it_is_typed_and_kept_whole(page):
    # A walk-through learnt of the 8,000-character limit only from the refusal after sending.
    from interviewer.models import MAX_ANSWER_CHARS
    from interviewer.ui.scripts import OVER_LIMIT_CLASS

    for tab, box in ((None, "#answer-box"), ("Practice", "#practice-answer")):
        if tab:
            page.get_by_role("tab", name=tab).click()
        area, note = page.locator(f"{box} textarea"), page.locator(f"{box} .{OVER_LIMIT_CLASS}")
        long = "é" * (MAX_ANSWER_CHARS - 1) + "🙂🙂"  # characters, not UTF-16 units
        area.fill(long)
        expect(note).to_have_text(
            f"⚠ {MAX_ANSWER_CHARS + 1:,} characters: an answer is at most {MAX_ANSWER_CHARS:,}. "
            "Shorten it to send (nothing is lost until then)."
        )
        assert area.input_value() == long  # nothing cut
        if tab:  # sent anyway: refused in the words and numbers the Interview tab uses
            area.fill("")  # (New question asks before leaving unsent text)
            page.get_by_label("Topic", exact=True).click()
            page.get_by_role("option", name="overfitting and regularisation").click()
            page.get_by_role("button", name="New question").click()
            page.locator("#practice-question").get_by_text("difficulty").wait_for()
            area.fill(long)
            page.get_by_role("button", name="Grade my answer").click()
            expect(page.locator("#practice-result")).to_contain_text(
                f"Answer is {MAX_ANSWER_CHARS + 1:,} characters; the maximum is "
                f"{MAX_ANSWER_CHARS:,}. Shorten it and grade it again (nothing was recorded).")
            assert area.input_value() == long
        area.fill(long[:-1])  # at the limit: no note
        expect(note).to_have_count(0)


@needs_chromium
def test_bold_text_is_drawn_in_the_page_font_alone(page):
    # Seen in a walk-through: a heading's "Evaluation Areas" had a stray "A", a table header's
    # "signal" a stray "a": Gradio's bundled SemiBold files miss most glyphs, and the browser
    # drew those from the fallback font. A text drawn wholly in the page font is as wide
    # whatever the fallback; with the SemiBold files it was 363 px against 290 px.
    widths = page.evaluate(FONT_WIDTHS_JS)
    assert len(widths) == 6
    for face, (with_mono, with_serif) in widths.items():
        assert abs(with_mono - with_serif) < 0.5, (face, with_mono, with_serif)


@needs_chromium
def test_login_resume_and_delete(playwright, tmp_path_factory, built_kb):
    root = tmp_path_factory.mktemp("auth-app")
    with running_app(root, built_kb, INTERVIEWER_AUTH="ana:pw-ana,ben:pw-ben") as (url, _, _):
        with chromium(playwright, root / "profile") as (context, outbound):
            page = context.new_page()
            confirms: list[str] = []
            answers = [False, True]  # the first delete is cancelled, the second confirmed

            def on_dialog(dialog):  # only the delete confirmation may ask anything
                confirms.append(dialog.message)
                dialog.accept() if answers.pop(0) else dialog.dismiss()

            page.on("dialog", on_dialog)

            def login(user: str, password: str) -> None:
                context.clear_cookies()
                page.goto(url)
                page.get_by_label("username").fill(user)
                page.get_by_label("password").fill(password)
                page.get_by_role("button", name="Login").click()
                page.wait_for_selector("#interview-chat")
                wait_idle(page)

            # ana starts a real interview, leaves (a reload is a new browser session, its setup
            # back to the defaults), and resumes in one click: the setup shows it is real again.
            login("ana", "pw-ana")
            expect(page.locator("#signed-in")).to_contain_text("ana", timeout=STEP_TIMEOUT)
            real = page.locator("#real-interview input")
            at_the_end = page.get_by_role("radio", name="At the end")
            real.check()
            page.get_by_role("button", name="Start interview").click()
            question = wait_for_bot(page, 1, "Question 1 of 3").split("Question 1 of 3")[1]
            page.reload()
            page.wait_for_selector("#interview-chat")
            wait_idle(page)
            assert not real.is_checked() and not at_the_end.is_checked()
            page.get_by_role("button", name="Resume", exact=True).click()
            resumed = wait_for_bot(page, 1, "Welcome back")
            assert question.split(":", 1)[1].strip()[:40] in resumed
            wait_idle(page)
            # Folded to one line that says it is real; opened, the locked fields say so too.
            setup = page.locator("#setup")
            page.wait_for_function(
                "() => document.querySelector('#setup').innerText.includes('real interview')"
            )
            assert "L1 · 3 questions · real interview" in setup.inner_text()
            setup.get_by_text("Setup:").first.click()
            at_the_end.wait_for()
            assert real.is_checked() and at_the_end.is_checked() and at_the_end.is_disabled()
            say(page, "End", contains="Interview finished")
            assert not page.get_by_role("button", name="Resume", exact=True).is_visible()
            open_tab(page, "Transcripts")
            assert "L1" in page.locator("#sessions-table").inner_text()

            # Log out forgets the unsent drafts kept in this browser, and the guide picked to
            # delete in the Guides tab (what the app keeps under a "mock-interview-" key).
            page.evaluate("() => localStorage.setItem('mock-interview-guide-delete', 'x')")
            open_tab(page, "Interview")
            page.get_by_role("button", name="Start interview").click()
            wait_for_bot(page, 1, "Question 1")
            kept = "() => localStorage.getItem('mock-interview-draft')"
            before = page.evaluate(kept)
            page.locator("#answer-box textarea").fill("an answer ana never sent")
            page.wait_for_function(f"(before) => ({kept})() !== before", arg=before)
            page.get_by_role("button", name="Log out").click()
            page.get_by_label("username").wait_for()
            assert page.evaluate(kept) is None
            assert page.evaluate("() => Object.keys(localStorage)"
                                 ".filter(k => k.startsWith('mock-interview-'))") == []  # fmt: skip

            # ben sees none of ana's sessions; he deletes his own after a confirmation.
            login("ben", "pw-ben")
            assert not page.get_by_role("button", name="Resume", exact=True).is_visible()
            open_tab(page, "Transcripts")
            assert "No sessions yet" in page.locator("body").inner_text()
            open_tab(page, "Progress")
            assert page.locator("#progress-empty").get_by_text("No graded answers yet").is_visible()
            assert not page.locator("#plot-criteria, #plot-criteria-points").first.is_visible()
            # Practice only: the rounds chart has the row to itself (the criteria chart, which
            # draws interviews, was hidden but kept its half of the row blank).
            def practise(pick, round_name: str, answer: str) -> None:  # a new question, graded
                open_tab(page, "Practice")
                pick()
                page.get_by_role("button", name="New question").click()
                # The round's question, not the last one still on screen: an answer typed and
                # graded before it came graded the last question again (CI, twice).
                page.locator("#practice-question").get_by_text(
                    re.compile(rf"^{round_name} · .* · difficulty")).wait_for()  # fmt: skip
                page.locator("#practice-answer textarea").fill(answer)
                page.get_by_role("button", name="Grade my answer").click()
                page.locator("#practice-result table").first.wait_for()
                open_tab(page, "Progress")

            def topic() -> None:  # picked, and the list closed and idle, before New question
                # (CI, once: no question came within 60 s of a click sent as the list closed)
                page.get_by_label("Topic", exact=True).click()
                page.get_by_role("option", name="overfitting and regularisation").click()
                expect(page.locator("#practice-topic input")).to_have_value(
                    "overfitting and regularisation")  # fmt: skip
                wait_idle(page)

            practise(topic, "L1", "A penalty on the weights cuts variance.")
            rounds = page.locator("#plot-rounds-points")
            rounds.locator("canvas, svg").first.wait_for()
            assert not page.locator("#plot-criteria-column").is_visible()
            row = page.locator("#plot-rounds-column").locator("xpath=..").bounding_box()
            assert rounds.bounding_box()["width"] > 0.9 * row["width"], (rounds.bounding_box(), row)
            assert "Scores per criterion are drawn for interviews" in page.locator(
                "#progress-caption").inner_text()  # fmt: skip
            # each drilled topic apart, under the charts (walk52: the practice line joins topics)
            expect(page.locator("#practice-by-topic")).to_contain_text(
                "overfitting and regularisation")  # fmt: skip
            # Progress draws in two steps (the ranges, then the points): wait for the point.
            expect(rounds.locator("g.mark-symbol path")).to_have_count(1, timeout=STEP_TIMEOUT)
            # A new sitting is drawn as soon as Progress opens again (walk33: it was in the
            # legend, not in the chart, until a reload: the plot drew its new time range from
            # the data it had, and the new data went to the drawing it had just replaced).
            def round_two() -> None:  # L2 picked, and its topic list in place, as a person sees
                # it before pressing New question (CI, once: no L2 question came within 60 s of
                # a click sent in the same instant as the round's)
                page.locator("#practice-round").get_by_text("L2", exact=True).click()
                expect(page.locator("#practice-round input[value='L2']")).to_be_checked()
                expect(page.locator("#practice-topic input")).to_have_value("Weakest topics")

            practise(round_two, "L2", "I would cache features and monitor drift.")
            page.locator("#plot-rounds-legend").get_by_text("L2 practice").wait_for()
            page.wait_for_function("() => document.querySelectorAll("
                                   "'#plot-rounds-points g.mark-symbol path').length === 2")
            open_tab(page, "Interview")
            page.get_by_role("button", name="Start interview").click()
            wait_for_bot(page, 1, "Question 1")
            say(page, "End", contains="Interview finished")
            open_tab(page, "Transcripts")
            page.locator("#sessions-table").get_by_test_id("cell-0-0").click()
            page.locator("#transcript-view").get_by_text("Mock interview").wait_for()
            with page.expect_download() as got:
                page.get_by_role("button", name="Export .md").click()
            link = got.value.url  # what another tab still showing it would fetch
            assert page.request.get(link).status == 200
            # Seen in a walk-through: Cancel put three "Error" badges on the tab.
            page.get_by_role("button", name="Delete", exact=True).click()
            page.get_by_text("Nothing deleted: the deletion was cancelled.").wait_for()
            assert page.locator("#sessions-table").get_by_test_id("cell-0-0").is_visible()
            assert not page.get_by_text("Error", exact=True).count()
            gone = page.locator("#sessions-table").get_by_test_id("cell-0-7").inner_text()  # the id, last
            others = []  # two more tabs showing the same transcript
            for _ in range(2):
                other = context.new_page()
                other.goto(url)
                other.wait_for_selector("#interview-chat")
                wait_idle(other)
                open_tab(other, "Transcripts")
                other.locator("#sessions-table").get_by_test_id("cell-0-0").click()
                other.locator("#transcript-view").get_by_text("Mock interview").wait_for()
                others.append(other)
            page.get_by_role("button", name="Delete", exact=True).click()
            page.get_by_text("Deleted session").wait_for()
            # the confirmation names the session (walk40: it did not say which)
            assert len(confirms) == 2 and f"Delete session {gone} and its grades" in confirms[1]
            # the practice sitting stays listed; the interview is gone
            assert gone not in page.locator("#sessions-table").inner_text()
            assert "practice" in page.locator("#sessions-table").inner_text().lower()
            assert page.request.get(link).status in (403, 404)  # its download went with it
            # The other tabs, opening it again or pressing an Export (whose download fails:
            # the file went), are told it is gone, and their views catch up.
            for other, button in zip(others, ("Open", "Export .md"), strict=True):
                other.get_by_role("button", name=button, exact=True).click()
                other.get_by_text("no longer exists").wait_for()
                wait_idle(other)
                view = other.locator("#transcript-view")  # hidden, or gone from the page
                assert view.count() == 0 or not view.is_visible() or (
                    "Mock interview" not in view.inner_text())
                assert gone not in other.locator("#sessions-table").inner_text()
                assert not other.get_by_role("button", name="Export .md").is_visible()
                other.close()
            assert outbound == []


def test_deployment_defaults():
    s = Settings.from_env({"INTERVIEWER_DATA_DIR": "/tmp/x"})
    kw = launch_kwargs(s)
    assert kw["server_name"] == "127.0.0.1" and kw["share"] is False and kw["auth"] is None
    assert kw["max_file_size"] == s.max_guide_bytes and not kw.get("allowed_paths")
    assert kw["enable_monitoring"] is False and kw["mcp_server"] is False
    shared = Settings.from_env({"INTERVIEWER_AUTH": "ana:pw:1, ben:pw2"})
    assert launch_kwargs(shared)["auth"] == [("ana", "pw:1"), ("ben", "pw2")]
    for bad in ("ana", "ana:", ":pw", "ana:pw,,ben:pw", "ana:s3cret-pw,ben:CHANGE-ME"):
        with pytest.raises(ConfigError, match="INTERVIEWER_AUTH"):
            parse_auth(bad)


def test_llm_mode_offered_only_when_the_endpoint_answers(data_dir):
    from interviewer.engine import OfflineEngine
    from interviewer.llm.engine import LLMEngine
    from interviewer.ui.context import AppContext
    from tests.fake_openai import FakeOpenAI

    down = Settings.from_env(mode="llm", openai_base_url="http://127.0.0.1:9/v1")
    ctx = AppContext.create(down)
    assert not ctx.llm_available and ctx.llm_problem
    assert isinstance(ctx.engine("llm"), OfflineEngine)  # falls back, never hangs

    with FakeOpenAI() as srv:
        up = Settings.from_env(mode="llm", openai_base_url=srv.base_url, openai_api_key="k")
        ctx = AppContext.create(up)
        assert ctx.llm_available and ctx.llm_label == f"LLM: {up.chat_model}"
        engine = ctx.engine("llm", guide="my-notes")
        assert isinstance(engine, LLMEngine) and engine.guide == "my-notes"
        assert isinstance(ctx.engine("offline"), OfflineEngine)


@needs_chromium
def test_practice_on_a_guide_with_no_question_says_why_and_the_notice_goes_with_the_guide(
    page, app
):
    # A walk-through: a one-line upload was promised practice questions and Practice said "no
    # section for this round yet"; a re-walk then read the notice under another guide.
    _, root = app
    short = root / "one-liner.md"
    short.write_text("# Notes\n\nBatch norm helps training.\n", encoding="utf-8")
    open_tab(page, "Guides")
    page.locator("#guide-upload input[type=file]").set_input_files(str(short))
    status = page.locator("#guide-status")
    expect(status).to_contain_text("None of its sections has enough text to practise on offline")
    open_tab(page, "Practice")
    page.locator("#practice-guide input").click()
    page.get_by_role("option", name="local/one-liner", exact=True).click()
    wait_idle(page)
    question = page.locator("#practice-question")
    # said as the guide is picked (walk49 read it only after New question), and again then
    expect(question).to_contain_text("None of this guide's sections has enough text")
    page.get_by_role("button", name="New question").click()
    expect(question).to_contain_text("None of this guide's sections has enough text")
    page.locator("#practice-guide input").click()
    page.get_by_role("option", name="persistent-systems-ml-engineer", exact=True).click()
    expect(question).to_contain_text("Pick a round and a topic, then press New question.")


@needs_chromium
def test_a_practice_grade_or_refusal_below_the_window_is_brought_into_view(page):
    # walk59: on a 900 px window Practice's grade, and "Type an answer first", landed at the
    # window's bottom edge or under it, and the page did not move: as if nothing had happened.
    page.set_viewport_size({"width": 1366, "height": 640})
    try:
        picker = open_practice_picker(page, "overfitting and regularisation")
        picker.get_by_role("option").first.click()
        wait_idle(page)
        in_view = "e => { const b = e.getBoundingClientRect(); return [b.top, window.innerHeight]; }"
        result = page.locator("#practice-result")
        page.evaluate("window.scrollTo(0, 0)")
        top, height = result.evaluate(in_view)
        assert top > height, (top, height)  # under the window before it is pressed
        page.get_by_role("button", name="Grade my answer").click()  # with no answer
        expect(result).to_contain_text("Type an answer first")
        page.wait_for_function("() => { const b = document.querySelector('#practice-result')"
                               ".getBoundingClientRect(); return b.bottom <= window.innerHeight; }")
        page.evaluate("window.scrollTo(0, 0)")
        result = practice_grade(page, "Regularisation adds a penalty on the weights, so the model "
                                "fits the noise less; I would also use early stopping.",
                                shown="Your grade")  # fmt: skip
        page.wait_for_function("() => { const b = document.querySelector('#practice-result')"
                               ".getBoundingClientRect(); return b.top >= 0 && "
                               "b.top < window.innerHeight - 40; }")  # fmt: skip
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})
