"""The Gradio app: Interview, Practice, Transcripts, Progress and Guides tabs.

The tabs live in ``interview``, ``practice``, ``history`` and ``guides``; this module
puts them together, wires what crosses tabs, and launches with the deployment defaults (local
address, optional login, no share link, no analytics, bounded uploads and queue), behind
``guard.Guard``: no URL fetching, login backoff, upload quotas, sessions bound to their user.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

# Before gradio is imported: no analytics, no version check, no Hugging Face telemetry.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# onnxruntime (the speech models) sends usage events to mobile.events.data.microsoft.com from
# its first session on, whatever disable_telemetry_events() says; only this variable stops it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
# Gradio summarises its event history with pandas after every event (for a monitoring page this
# app does not use): a cost per turn that grows with the number of events served, up to 10,000.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000000")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")

import gradio as gr  # noqa: E402

from interviewer.config import Settings  # noqa: E402
from interviewer.errors import ConfigError  # noqa: E402
from interviewer.markup import md_escape  # noqa: E402
from interviewer.paths import gradio_dir  # noqa: E402
from interviewer.ui.auth import Authenticator, parse_auth, user_of  # noqa: E402
from interviewer.ui.cache import CACHE_AGE, CACHE_SWEEP, private_dir, sweep  # noqa: E402
from interviewer.ui.context import AppContext  # noqa: E402
from interviewer.ui.guard import Guard, fetches_url  # noqa: E402

__all__ = ["blocked_paths", "build_app", "fetches_url", "launch", "launch_kwargs"]

CONCURRENCY_LIMIT = 2  # grading and embedding are CPU-bound; more at once only queues in torch
QUEUE_MAX_SIZE = 64
CACHE_CLEANUP = (CACHE_SWEEP, CACHE_AGE)  # uploads and exports leave the cache after an hour
log = logging.getLogger(__name__)

_CSS = """
#question-timer, #answer-timer { font-size: 1.1rem; min-height: 1.5rem; }
/* The page's server is gone (ui/scripts.py, CONNECTION_JS): a bar over the page's top, laid
   over the title rather than pushing the answer box down (walk39: the Send row went below the
   fold). */
#server-lost { position: fixed; top: 0; left: 0; right: 0; z-index: 1000; display: flex; gap: 1rem;
  align-items: center; padding: 0.6rem 1rem; background: #fff4e5; color: #5f3b00;
  border-bottom: 2px solid #f0a030; font-size: 1rem; }
#server-lost button { flex: none; padding: 0.3rem 0.9rem; border: 1px solid #5f3b00;
  border-radius: 4px; background: #fff; color: #5f3b00; cursor: pointer; }
#app-header h1 { font-size: 1.4rem; margin: 0; }
#score-line, #answer-timer { display: none; }
#report-panel { padding: 0.5rem 1rem; }
/* Every table (scorecard, report, transcript, practice result, progress) breaks between words
   only ("score", never "sc/or/e"): Gradio's Markdown gives tables word-break: break-word, which
   also splits a word to narrow its column. Now a column is at least its longest word wide. */
.prose table { word-break: normal; overflow-wrap: break-word; }
/* The Practice result's table, its last column ("why"), may break a word too long for the
   width anywhere: break-word alone does not narrow a column, so at 375 px a coding grade's "why"
   ("failed: interleaved_is_not_nested, ...") ran 30 px past the box. Not every table: on the
   interview's scorecard it let the column narrow until "engineering" broke. */
#practice-result .prose table td:last-child { overflow-wrap: anywhere; }
/* The model answer, folded under "Show model answer", reads at the chat's size: Gradio sets a
   folded message in its small type (a walk-through found it much smaller than the chat). */
#interview-chat .thought-group, #interview-chat .thought-group :not(pre, pre *, code) {
  font-size: var(--chatbot-text-size); }
#interview-chat .thought-group .message-content { opacity: 1; }
/* No clear (trash) button on the interview chat: the conversation is the interview's record. */
#interview-chat .icon-button-wrapper.top-panel { display: none; }
/* The chat's scroll-down arrow: a round button with an edge and a shadow, at the right, where
   the candidate's own bubbles end; Gradio draws it edgeless in the middle, where on a phone it
   read as a letter of the question under it ("(L1 ↓ ython coding)", walk55). */
#interview-chat .scroll-down-button-container { left: auto; right: 0.75rem; transform: none; }
#interview-chat .scroll-down-button-container button {
  border: 1px solid var(--border-color-primary); box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); }
/* A long choice (an unfinished session's label) ends in "…" before the arrow, not under it. */
input[role="combobox"] { padding-right: 1.75rem; text-overflow: ellipsis; }
/* Tabs wrap (on a phone, or a narrow window) instead of hiding behind a menu, and the tab row
   grows to hold every row of them; one row sits as before (32 px). Gradio prefixes custom CSS
   inside a media query with its container's classes, so no selector here starts with
   .gradio-container. */
.tab-wrapper.wrap { height: auto; min-height: var(--size-8); padding-bottom: 0; }
/* A locked tick box (the coding box while L2 is picked, the setup while an interview runs)
   looks locked: Gradio only fades the box itself, so it read as a free, unticked choice. */
label:has(input[type="checkbox"]:disabled) { opacity: 0.45; cursor: not-allowed; }
/* An answer box's over-the-limit note (ui/scripts.py), under the text it counts. */
.miq-over-limit { color: #b45309; font-size: 0.9rem; margin-top: 0.25rem; }
/* The examples under the code editor: their first line clear of the block's copy button (it
   covered the end of a long assert on a phone). */
#code-results pre { padding-top: 1.6rem; }
/* The progress charts' legends (ui/history.py): a row that wraps, under each chart. */
.series-legend { display: flex; flex-wrap: wrap; justify-content: center; gap: 0.2rem 0.9rem;
  font-size: 0.8rem; margin-top: -0.5rem; }
.series-legend i { display: inline-block; width: 0.65rem; height: 0.65rem; border-radius: 50%;
  margin-right: 0.3rem; vertical-align: -0.05rem; }
@media (max-width: 700px) {
  /* The title takes the whole row (the sign-in line goes under it) and wraps, never cut. */
  #app-header { flex: 1 1 100%; }
  #app-header h1 { font-size: 1.05rem; line-height: 1.3; }
  #app-header p { display: none; }
  /* Every tab on show (they wrap to a second row rather than hide behind a menu). */
  .tab-container button[role="tab"] { padding: 0 0.4rem; }
  /* Table cells padded less, so a table of long words still fits the width. */
  .prose table :is(th, td) { padding: 6px 8px; }
  /* The weakest topics' four columns, with long topic names, were 6 px wider than the column. */
  #weakest-topics table :is(th, td) { padding: 6px 5px; }
  /* The Guides tab's chunks and search results scroll sideways rather than squeeze: at a
     phone's width their headers stood a letter a line ("s c o r e") and section names broke
     mid-word ("Responsibiliti/es"). Gradio sizes a table's columns as shares of its viewport's
     width (ui/guides.py: HIT_WIDTHS, CHUNK_WIDTHS), so the viewport gets a minimum width, wide
     enough for a section word of 20 letters, and the box around it scrolls. A cell breaks
     between words; only a word wider than its whole column is broken (overflow-wrap), never
     drawn over the next column. */
  :is(#guide-hits, #guide-chunks) .upload-container { overflow-x: auto; }
  :is(#guide-hits, #guide-chunks) .virtual-table-viewport { min-width: 720px; }
  :is(#guide-hits, #guide-chunks) .body-cell .text { word-break: normal; overflow-wrap: anywhere; }
  /* Buttons keep their labels on one line ("Run the examples" wrapped beside a one-line
     "Submit code", and rows of buttons had uneven heights). */
  button.lg { font-size: 0.95rem; padding-left: 0.35rem; padding-right: 0.35rem; }
  #run-code, #submit-code { font-size: 0.9rem; white-space: nowrap; }
  /* A coding question's examples wrap as the editor does: on a phone a long assert ran off the
     box's right edge, which scrolled sideways inside the page (walk55). */
  :is(#code-results, #practice-code-results, #practice-question) :is(pre, pre code) {
    white-space: pre-wrap; overflow-wrap: anywhere; }
  /* The timer sits above the answer box, where the candidate types. */
  #score-line, #answer-timer { display: block; }
  #question-timer { display: none; }
}
"""
# Each progress series' colour (Vega's default palette), fixed so that the legend under a
# chart (ui/history.py), which wraps, names them: the chart's own legend is one row, and a phone
# cut it ("Communicat").
SERIES_COLOURS = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#b279a2", "#9d755d")
CSS = _CSS + "".join(
    f".series-legend .c{i} {{ background: {c}; }}\n" for i, c in enumerate(SERIES_COLOURS)
)


def build_app(settings: Settings, ctx: AppContext | None = None) -> gr.Blocks:
    """The whole app as a Blocks object (not launched)."""
    from interviewer.knowledge import BUILTIN_GUIDE_ID
    from interviewer.ui import draft
    from interviewer.ui import guides as ui_guides
    from interviewer.ui import history as ui_history
    from interviewer.ui import interview as ui_interview
    from interviewer.ui import practice as ui_practice
    from interviewer.ui.scripts import CONFIRM_NEXT_PRACTICE_JS, CONNECTION_JS

    ctx = ctx or AppContext.create(settings)
    with gr.Blocks(
        title="mock-interview",
        analytics_enabled=False,
        delete_cache=CACHE_CLEANUP,
    ) as demo:
        with gr.Row():
            gr.Markdown(
                "# mock-interview · ML Engineer interviews at Persistent Systems\n"
                "Sit a mock L1 or L2 round; every answer is graded against a rubric.",
                elem_id="app-header",
            )
            who = gr.Markdown("", elem_id="signed-in")
            if settings.auth:
                # Log out also forgets the unsent drafts this browser keeps (ui/draft.py).
                logout = gr.Button("Log out", size="sm", scale=0, elem_id="log-out")
                logout.click(None, js=draft.LOGOUT_JS)
        guide_state = gr.State(BUILTIN_GUIDE_ID)
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # a phone shows every tab
            with gr.Tab("Interview", id="interview") as interview_tab:
                interview = ui_interview.build(ctx, guide_state)
            with gr.Tab("Practice", id="practice") as practice_tab:
                practice = ui_practice.build(ctx)
            with gr.Tab("Transcripts", id="transcripts") as transcripts_tab:
                transcripts = ui_history.build_transcripts(ctx)
            with gr.Tab("Progress", id="progress") as progress_tab:
                progress = ui_history.build_progress(ctx)
            with gr.Tab("Guides", id="guides") as guides_tab:
                guides = ui_guides.build(ctx, guide_state)

        def signed_in(request: gr.Request):
            return f"Signed in as **{md_escape(user_of(request))}**" if settings.auth else ""

        # Each tab reads the store again when opened, so it shows what other tabs just did
        # (other browser tabs too: a guide deleted there leaves every guide list here).
        transcripts_tab.select(transcripts.shown_again, transcripts.pick, transcripts.outputs)
        progress_tab.select(progress.refresh, None, progress.outputs).then(
            progress.limits, progress.ranges, progress.plots)  # fmt: skip
        guides_tab.select(guides.load, guides.load_inputs, guides.load_outputs)
        practice_tab.select(practice.guides_changed, practice.guides_inputs,
                            practice.guides_outputs).then(practice.picks, practice.listing,
                                                          practice.pick)  # fmt: skip
        interview_tab.select(interview.guide_checked, guide_state, guide_state)
        # A guide deleted in the Guides tab can no longer be picked in Practice either.
        guides.deleted.then(practice.guides_changed, practice.guides_inputs,
                            practice.guides_outputs)  # fmt: skip

        def drill(topic, current, drills, code, held, request: gr.Request):
            """Progress's "Practice this topic": the Practice tab on a question of the topic,
            in one step (CONFIRM_NEXT_PRACTICE_JS asks first about a practice answer not
            graded)."""
            from interviewer.bank import TOPICS

            if topic not in TOPICS or held == "cancel":  # nothing picked, or an answer kept
                return {practice.qid: current}
            round_name = TOPICS[topic][0]
            return {
                tabs: gr.Tabs(selected="practice"),
                practice.round: round_name,
                practice.topic: gr.Dropdown(choices=ui_practice.topic_options(round_name),
                                            value=topic),  # fmt: skip
                practice.guide: BUILTIN_GUIDE_ID,  # weak topics are the bank's
            } | practice.new_question(round_name, topic, current, BUILTIN_GUIDE_ID, drills, code,
                                      held, request)  # fmt: skip

        progress.drill.click(
            drill,
            [progress.topic, practice.qid, practice.drills, practice.code, practice.held],
            [tabs, practice.round, practice.topic, practice.guide, *practice.outputs],
            js=CONFIRM_NEXT_PRACTICE_JS,  # its last two inputs: code, then what was graded
        )

        demo.load(signed_in, None, who)
        demo.load(interview.load, None, interview.load_outputs).then(
            interview.offer_draft,
            interview.offer_draft_inputs,
            interview.offer_draft_outputs,
            api_visibility="private",
        )
        demo.load(None, None, None, js=interview.keys_js)
        demo.load(None, None, None, js=guides.upload_js)
        demo.load(None, None, None, js=CONNECTION_JS)
    return demo


# What the data dir holds besides the cache: never served, whatever a callback returns.
DATA_FILES = (
    "chroma",
    "interviewer.db",
    "interviewer.db-wal",
    "interviewer.db-shm",
    "interviewer.db-journal",
    "vector_cache.sqlite",
    "vector_cache.sqlite-wal",
    "vector_cache.sqlite-shm",
    "mock-interview.log",
    "local-model.log",
)


def blocked_paths(settings: Settings) -> list[str]:
    """The data dir (database, Chroma, logs) except the app's private cache inside it."""
    data = Path(settings.data_dir).resolve()
    cache = settings.app_cache_dir.resolve()
    if not cache.is_relative_to(data):
        return [str(data)]
    names = set(DATA_FILES)
    if data.is_dir():
        names |= {p.name for p in data.iterdir()}
    keep = cache.relative_to(data).parts[0]
    return sorted(str(data / n) for n in names if n != keep)


# Gradio's theme with the weights its bundled fonts hold whole: its SemiBold files (600, the
# default's second weight) miss most glyphs, so bold text and headings mixed in the fallback
# font's letters (a walk-through's "Evaluation Areas" had a stray "A", a table header's
# "signal" a stray "a"). With 400 and 700, a 600 weight is drawn from the Bold file.
THEME = gr.themes.Default(
    font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)),
          "ui-sans-serif", "system-ui", "sans-serif"),
    font_mono=(gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)),
               "ui-monospace", "Consolas", "monospace"),
)  # fmt: skip


def launch_kwargs(settings: Settings) -> dict:
    """The deployment defaults of ``launch``."""
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "share": False,
        "auth": parse_auth(settings.auth),
        "auth_message": (
            "mock-interview: sign in to see your own sessions. After "
            f"{settings.login_attempts} failed attempts, logins for that name or from that "
            "address pause for a while."
        ),
        "max_file_size": settings.max_guide_bytes,
        "blocked_paths": blocked_paths(settings),
        "num_workers": 0,  # static-file worker processes would bypass ``Guard``
        "show_error": False,
        # Gradio's own start lines end with "To create a public link, set `share=True`": this
        # app never makes one (a walk-through read it as an offer), so it prints its own line
        "quiet": True,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "run_history": False,
        # No footer links: Gradio's settings panel offers developers' tools ("launch(pwa=True)",
        # a screen recorder), nothing for a candidate.
        "footer_links": [],
        "theme": THEME,
        "css": CSS,
        # Gradio 6's status region announces this key untranslated ("common.complete") to a
        # screen reader after every event: its English strings lack it.
        "i18n": gr.I18n(en={"common.complete": "Done"}),
    }


def private_cache(settings: Settings) -> Path:
    """Make the app's private cache (0700) and point Gradio's own cache into it; clear what an
    earlier run left; sweep it every ``CACHE_SWEEP`` seconds from then on."""
    cache = private_dir(settings.app_cache_dir)
    # Gradio reads GRADIO_TEMP_DIR when components are created: before ``build_app``. Its
    # default is the shared system temp folder, where other users of the machine can look.
    os.environ["GRADIO_TEMP_DIR"] = str(private_dir(gradio_dir(cache)))
    sweep(cache)

    def sweeper() -> None:
        while True:
            threading.Event().wait(CACHE_SWEEP)
            try:
                sweep(cache)
            except OSError:
                log.exception("sweeping the cache failed")

    threading.Thread(target=sweeper, name="cache-sweeper", daemon=True).start()
    return cache


def check_port(host: str, port: int | None) -> None:
    """Fail in one line when the app cannot listen on ``host:port`` (a walk-through started a
    second app on a port in use: Gradio's "Cannot find empty port" traceback, then one from the
    grader's warm-up, after all the start-up work). SO_REUSEADDR, as the server sets it: a port
    left in TIME_WAIT by an app just stopped is free."""
    import errno
    import socket

    if not port:
        return
    family = socket.AF_INET6 if ":" in (host or "") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host or "127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                why = ("another program, or the app already running, holds it; stop that or set "
                       "INTERVIEWER_PORT to a free port")  # fmt: skip
            else:  # a host name that does not resolve, a port under 1024 without the right
                why = "check INTERVIEWER_HOST and INTERVIEWER_PORT"
            raise ConfigError(
                f"cannot serve on {host}:{port}: {exc.strerror or exc} ({why})"
            ) from None


def launch(settings: Settings, **overrides) -> None:
    """Build the knowledge base if missing, then serve the app on the configured host and port."""
    from starlette.middleware import Middleware

    from interviewer import knowledge

    kwargs = launch_kwargs(settings) | overrides  # fail on a bad INTERVIEWER_AUTH before work
    if kwargs.get("auth") and not callable(kwargs["auth"]):
        kwargs["auth"] = Authenticator(kwargs["auth"], settings.login_attempts).login
    check_port(kwargs.get("server_name"), kwargs.get("server_port"))
    private_cache(settings)
    knowledge.ensure_builtin(settings=settings)
    from interviewer.voice import ensure_builtin_domain_model

    # The speech recogniser's domain model (seconds to build; only when missing or changed).
    ensure_builtin_domain_model(settings)
    ctx = AppContext.create(settings)
    from interviewer.engine import warm_up
    from interviewer.grading.grader import default_grader

    warm_up(default_grader(settings), ctx.bank)  # rubric vectors, while the first page loads
    app = build_app(settings, ctx)
    app.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_MAX_SIZE)
    kwargs["app_kwargs"] = {
        **kwargs.get("app_kwargs", {}),
        "middleware": [Middleware(Guard, ctx=ctx)],
    }
    host, port = kwargs.get("server_name") or "127.0.0.1", kwargs.get("server_port") or 7860
    print(f"mock-interview is running on http://{host}:{port} (Ctrl+C stops it)", flush=True)
    app.launch(**kwargs)
