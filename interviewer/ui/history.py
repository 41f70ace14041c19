"""The Transcripts tab (past sessions: open, export, delete) and the Progress tab (plots, weakest
topics with a way into practice)."""

from __future__ import annotations

import html
import itertools
from types import SimpleNamespace

import gradio as gr

from interviewer.bank import TOPICS, topic_label
from interviewer.errors import SessionNotFound
from interviewer.export import to_markdown
from interviewer.grading.rubric import CRITERIA_SHORT
from interviewer.markup import md_escape
from interviewer.store import ENDED_EARLY, GUIDE_PRACTICE
from interviewer.ui import SERIES_COLOURS
from interviewer.ui import render as r
from interviewer.ui.auth import user_of
from interviewer.ui.context import AppContext
from interviewer.ui.progress import (
    EMPTY_PROGRESS,
    criteria_caption,
    criteria_of_round,
    criteria_rounds,
    latest_signals_md,
    practice_md,
    progress_caption,
    progress_frames,
    weakest_md,
)

# Asks in the browser before a delete (naming the session: walk40's confirmation did not say
# which one), and sends the answer beside the pick: CANCELLED deletes nothing.
CANCELLED = "cancelled"
CONFIRM_DELETE_JS = ("(id, _) => [id, !id ? '' : confirm('Delete session ' + id + ' and its "
                     f"grades? This cannot be undone.') ? 'yes' : '{CANCELLED}']")


def build_transcripts(ctx: AppContext) -> SimpleNamespace:
    """Lay out the Transcripts tab and wire it to the store."""
    ui = SimpleNamespace()
    ui.table = gr.Dataframe(
        headers=r.SESSION_HEADERS,
        datatype="str",
        interactive=False,
        label="Your sessions (newest first); click a row to pick it",
        elem_id="sessions-table",
        max_height=320,
    )
    with gr.Row():
        ui.pick = gr.Dropdown(label="Session", choices=[], scale=4, elem_id="session-pick")
        ui.open = gr.Button("Open", variant="primary", scale=1)
        ui.delete = gr.Button("Delete", variant="stop", scale=1)
    with gr.Row():
        ui.dl_md = gr.DownloadButton("Export .md", visible=False, size="sm")
        ui.dl_json = gr.DownloadButton("Export .json", visible=False, size="sm")
        ui.dl_html = gr.DownloadButton("Export .html", visible=False, size="sm")
    ui.status = gr.Markdown("")
    ui.confirmed = gr.Textbox("", visible=False)  # CONFIRM_DELETE_JS's answer
    # Shown once a session is opened (empty, its container was a bordered box under the buttons).
    ui.transcript = gr.Markdown("", elem_id="transcript-view", container=True, visible=False)
    downloads = [ui.dl_md, ui.dl_json, ui.dl_html]

    def hidden_downloads() -> dict:
        return {b: gr.DownloadButton(value=None, visible=False) for b in downloads}

    NO_TRANSCRIPT = gr.Markdown("", visible=False)

    def refresh(request: gr.Request, current: str | None = None):
        """The list again; ``current``, the session picked (and perhaps open), stays picked
        while it exists (walk43: back on the tab, the pick was empty beside the open transcript,
        Export exported it and Delete said "no session picked"). Otherwise the view and its
        exports go, and a ``current`` deleted since this tab listed it (in another tab, or from
        the CLI) is said to be gone (walk44: it vanished without a word)."""
        sessions = ctx.store.list_sessions(user_id=user_of(request))
        choices = r.session_choices(sessions)
        kept = current if current in {s["id"] for s in sessions} else None
        empty = "No sessions yet: sit one in the **Interview** tab." if not sessions else ""
        out = {
            ui.table: r.session_rows(sessions),
            ui.pick: gr.Dropdown(choices=choices, value=kept),
            ui.status: empty,
        }
        if kept:
            return out
        if current:
            out[ui.status] = (f"⚠ Session {md_escape(current)} no longer exists (deleted, "
                              "perhaps in another tab): the list is up to date again.")  # fmt: skip
        return out | {ui.transcript: NO_TRANSCRIPT} | hidden_downloads()

    def shown_again(current, request: gr.Request):
        return refresh(request, current)

    def open_session(session_id, request: gr.Request):
        if not session_id:
            return {ui.status: "Pick a session first."}
        user = user_of(request)
        try:
            info, turns = ctx.store.load_session(session_id, user_id=user)
        except SessionNotFound:
            return refresh(request, session_id)  # gone: said so
        files = ctx.write_exports(session_id, user)
        out = {ui.transcript: gr.Markdown(to_markdown(info, turns), visible=True), ui.status: ""}
        for button, path in zip(downloads, files, strict=True):
            out[button] = gr.DownloadButton(value=path, visible=True)
        return out

    def still_there(session_id, request: gr.Request):
        """An Export pressed: a session deleted meanwhile has no file left to download (the
        browser's download just fails), so the page says why."""
        if session_id and not ctx.store.session_exists(session_id, user_id=user_of(request)):
            return refresh(request, session_id)  # gone: said so
        return {ui.status: gr.skip()}

    def delete_session(session_id, confirmed, request: gr.Request):
        if not session_id:
            return {ui.status: "Nothing deleted: pick a session first."}
        if confirmed != "yes":  # (walk40 read "pick a session" after a cancel)
            return {ui.status: "Nothing deleted: the deletion was cancelled."}
        try:
            ctx.delete_session(session_id, user_of(request))
        except SessionNotFound as exc:
            return {ui.status: f"⚠ {md_escape(str(exc))}"}
        return refresh(request) | {ui.status: f"Deleted session {md_escape(session_id)}."}

    def row_picked(evt: gr.SelectData):
        row = evt.row_value or []
        return row[-1] if row else None

    outputs = [ui.table, ui.pick, ui.status, ui.transcript, *downloads]
    ui.table.select(row_picked, None, ui.pick).then(open_session, ui.pick, outputs)
    ui.open.click(open_session, ui.pick, outputs)
    ui.delete.click(delete_session, [ui.pick, ui.confirmed], outputs, js=CONFIRM_DELETE_JS)
    for button in downloads:
        button.click(still_there, ui.pick, outputs)
    ui.refresh = refresh
    ui.delete_session = delete_session
    ui.shown_again = shown_again
    ui.outputs = outputs
    return ui


# The criteria are drawn for one round at a time (``progress.criteria_of_round``), picked above
# the charts: a chart per round, the other hidden (a chart whose data was swapped in place drew
# nothing: Gradio's plot kept filtering by the old time range).
CRITERIA_TITLE = "Scores per criterion over time ({round} interviews)"
CRITERIA_ROUNDS = ("L1", "L2")
# The progress charts: (elem id, title, y column, colour column, y range, series). Each is drawn
# twice, as lines and as points: a line needs two sessions, so a chart none of whose series has
# two yet (after the first interview) shows points. The range has a margin: a point at 5 or 100
# is drawn whole.
PROGRESS_CHARTS = (
    *((f"plot-criteria{'' if r == 'L1' else '-' + r.lower()}", CRITERIA_TITLE.format(round=r),
       "score (1-5)", "criterion", [0.8, 5.2], tuple(CRITERIA_SHORT.values()))
      for r in CRITERIA_ROUNDS),
    ("plot-rounds", "Scores per round over time", "score (0-100)", "round", [-4, 104],
     ("L1", "L2", "L1 practice", "L2 practice", GUIDE_PRACTICE, "L1" + ENDED_EARLY,
      "L2" + ENDED_EARLY)),
)  # fmt: skip


# The time axis spans at least X_WINDOW_S (seconds; one session, or a few on one afternoon, is
# centred in it) and leaves X_MARGIN of its span before the first session and after the last,
# so a point at either end is drawn whole. A margin of at least 10 minutes made a morning's
# sessions fill only the middle half of the chart.
X_WINDOW_S = 20 * 60
X_MARGIN = 0.04


def _charts(elem_id: str, title: str, y: str, color: str, y_lim: list, series: tuple) -> tuple:
    colours = dict(zip(series, SERIES_COLOURS[: len(series)], strict=True))
    common = dict(x="when", y=y, color=color, title=title, y_lim=y_lim, color_map=colours,
                  colors_in_legend=[], x_axis_format="%b %d %H:%M", visible=False)  # fmt: skip
    # The column is hidden with its chart: a hidden chart's column kept its half of the row
    # (a practice-only Progress tab was half blank beside the rounds chart).
    with gr.Column(visible=False, elem_id=f"{elem_id}-column") as column:
        return (gr.LinePlot(elem_id=elem_id, **common),
                gr.ScatterPlot(elem_id=f"{elem_id}-points", **common),
                gr.HTML("", visible=False, elem_id=f"{elem_id}-legend"), column)  # fmt: skip


def legend_html(present, series: tuple) -> str:
    """The series a chart shows, each by its colour (``SERIES_COLOURS``), as one wrapping row."""
    present = set(present)
    items = [
        f'<span><i class="c{i}"></i>{html.escape(name)}</span>'
        for i, name in enumerate(series)
        if name in present
    ]
    return f'<div class="series-legend">{"".join(items)}</div>'


REDRAW_NUDGE_S = 0.001  # at most this many seconds added to a time range's end (``limits``)


# A series with one session, in a chart drawn as lines, is drawn as a short flat mark at its
# score (a line of one point draws nothing: Gradio's LinePlot has no point markers), centred on
# its session and MARK_WIDTH of the time axis wide.
MARK_WIDTH = 0.03


def time_span(frames) -> tuple[float, float] | None:
    """The first and the last session of ``frames``, in seconds on the time axis the charts
    read (naive times as UTC: Gradio sends them so); None when they hold none."""
    times = [f["when"].astype("datetime64[ms]").astype("int64") / 1000 for f in frames if len(f)]
    return (float(min(s.min() for s in times)), float(max(s.max() for s in times))) if times \
        else None  # fmt: skip


def _lines_or_points(frame, color: str, series: tuple, shown: bool,
                     span: tuple | None = None) -> tuple:
    """(the line chart's update, the point chart's, the legend's, the column's): lines once a
    series has two sessions, a series with one then drawn as a short mark at its score
    (``MARK_WIDTH``, said in words too: ``progress.progress_caption``); points while no series
    has two; none of them when there is nothing to draw (the criteria chart while every session
    is a practice sitting). ``span``: the first and last session's seconds over every chart
    shown (``time_span``; the frame's own by default), so the charts side by side share one
    time axis (walk40: the rounds chart ran 22:28-22:36, the criteria chart beside it
    22:23-22:41)."""
    import pandas as pd

    shown = shown and bool(len(frame))
    sessions = frame.groupby(color).size()
    lines = bool(len(frame)) and bool(sessions.max() >= 2)
    x_lim = None
    line_frame = frame
    if len(frame):  # a margin on both sides: the first and latest session drawn whole
        first, last = span or time_span([frame])
        pad = max((last - first) * X_MARGIN, (X_WINDOW_S - (last - first)) / 2)
        x_lim = [float(first - pad), float(last + pad)]
        single = frame[frame[color].isin(sessions[sessions == 1].index)]
        if lines and len(single):
            half = pd.Timedelta(seconds=(x_lim[1] - x_lim[0]) * MARK_WIDTH / 2)
            ends = [single.assign(when=single["when"] + d) for d in (-half, half)]
            line_frame = pd.concat([frame, *ends], ignore_index=True).sort_values(
                [color, "when"], kind="stable", ignore_index=True)  # fmt: skip
    return (gr.update(value=line_frame, visible=shown and lines, x_lim=x_lim),
            gr.update(value=frame, visible=shown and not lines, x_lim=x_lim),
            gr.update(value=legend_html(sessions.index, series), visible=shown),
            gr.Column(visible=shown))  # fmt: skip


def build_progress(ctx: AppContext) -> SimpleNamespace:
    """Lay out the Progress tab and wire it to the store's progress summary."""
    ui = SimpleNamespace()
    ui.empty = gr.Markdown(EMPTY_PROGRESS, elem_id="progress-empty")
    # Where the candidate stands first: each round's latest hire signal, then the charts.
    ui.signals = gr.Markdown("", visible=False, elem_id="latest-signals")
    ui.round = gr.Radio(["L1", "L2"], value="L1", label="Criteria chart: round", visible=False,
                        elem_id="criteria-round")  # fmt: skip
    with gr.Row():
        charts = [_charts(*spec) for spec in PROGRESS_CHARTS]
    ui.caption = gr.Markdown("", visible=False, elem_id="progress-caption")
    ui.weakest = gr.Markdown("", visible=False, elem_id="weakest-topics")
    with gr.Row():
        ui.topic = gr.Radio([], label="Drill a weak topic", visible=False, scale=3)
        ui.drill = gr.Button("Practice this topic", visible=False, scale=1)
    ui.practice = gr.Markdown("", visible=False, elem_id="practice-by-topic")

    def refresh(request: gr.Request, round_name: str | None = None):
        progress = ctx.store.progress(user_id=user_of(request))
        has_data = bool(progress["sessions"])
        rounds = criteria_rounds(progress)
        round_name = round_name if round_name in rounds else (rounds[-1] if rounds else "L1")
        frames = [progress_frames(criteria_of_round(progress, c))[0] for c in CRITERIA_ROUNDS]
        frames.append(progress_frames(progress)[1])
        progress = criteria_of_round(progress, round_name)
        # the bank's topics: "Practice this topic" drills one; a guide's section is practised
        # from that guide (walk20's button did nothing for one; weakest_md says how)
        topics = [(topic_label(t), t) for t in progress["weakest_topics"] if t in TOPICS]
        out = {
            ui.empty: gr.Markdown(visible=not has_data),
            ui.caption: gr.Markdown(
                caption := " ".join(
                    c for c in (criteria_caption(progress), progress_caption(progress)) if c
                ),
                visible=has_data and bool(caption),
            ),
            ui.signals: gr.Markdown(
                signals := latest_signals_md(progress) if has_data else "",
                visible=bool(signals),
            ),
            ui.weakest: gr.Markdown(weakest_md(progress) if has_data else "", visible=has_data),
            ui.practice: gr.Markdown(drilled := practice_md(progress) if has_data else "",
                                     visible=bool(drilled)),
            ui.topic: gr.Radio(
                choices=topics, value=topics[0][1] if topics else None, visible=bool(topics)
            ),
            ui.drill: gr.Button(visible=bool(topics)),
            ui.round: gr.Radio(value=round_name, visible=has_data and len(rounds) > 1),
        }
        shown = [c == round_name for c in CRITERIA_ROUNDS] + [True]
        span = time_span([f for f, drawn in zip(frames, shown, strict=True) if drawn])
        for pair, frame, spec, drawn in zip(charts, frames, PROGRESS_CHARTS, shown, strict=True):
            out |= dict(zip(pair, _lines_or_points(frame, spec[3], spec[5], has_data and drawn,
                                                   span), strict=True))  # fmt: skip
        return out

    # Gradio's page applies an update's properties one at a time, the value last: a plot
    # re-drawn for its new x_lim drew the data it had, and the new data then went to the drawing
    # it had just replaced (walk33: a new sitting was in the legend, not in the chart, until a
    # reload). So the plots get their data first (``data``), their time range after it
    # (``limits``): a new range re-draws a plot from the data it holds.
    ui.plots = [plot for chart in charts for plot in chart[:2]]

    # the plots' time ranges, in ``ui.plots``' order, from ``data`` to ``limits`` (one read of
    # the store each time the tab opens)
    ui.ranges = gr.State([])

    def data(request: gr.Request, round_name: str | None = None):
        out = refresh(request, round_name)
        return out | {p: {k: v for k, v in out[p].items() if k != "x_lim"} for p in ui.plots} | {
            ui.ranges: [out[p]["x_lim"] for p in ui.plots]}  # fmt: skip

    calls = itertools.count()

    def limits(ranges: list):
        # The range's end moves by at most a millisecond each time (REDRAW_NUDGE_S), so the plot
        # re-draws when the range is the same too: walk35's answer in the same sitting to an
        # uploaded guide (a new series, the same sessions' times) was in the legend, not drawn.
        nudge = (next(calls) % 1000 + 1) / 1000 * REDRAW_NUDGE_S
        return [gr.update(x_lim=None if x is None else [x[0], x[1] + nudge]) for x in ranges]

    ui.refresh, ui.limits = data, limits
    ui.outputs = [ui.empty, ui.signals, *(c for pair in charts for c in pair), ui.caption,
                  ui.weakest, ui.topic, ui.drill, ui.practice, ui.round, ui.ranges]  # fmt: skip

    def pick_round(round_name: str, request: gr.Request):
        return data(request, round_name)

    ui.round.input(pick_round, ui.round, ui.outputs).then(limits, ui.ranges, ui.plots)
    return ui
