"""How the Progress tab shows a user's scores over time: chart data, captions and tables."""

from __future__ import annotations

from interviewer.bank import TOPICS, topic_label
from interviewer.grading.rubric import CRITERIA_SHORT, PASS_MARK
from interviewer.markup import md_escape, plural, when
from interviewer.models import half_up
from interviewer.report import INCOMPLETE
from interviewer.ui.render import NO_SIGNAL


def progress_frames(progress: dict):
    """(criteria over time, rounds over time) as long-form DataFrames for the progress charts."""
    import pandas as pd

    # Local wall-clock time: the plot shows naive datetimes as they are.
    crit = [
        {"when": pd.Timestamp.fromtimestamp(ts), "score (1-5)": v, "criterion": CRITERIA_SHORT[c]}
        for c, points in progress["criteria_over_time"].items()
        for ts, v in points
        if v is not None
    ]
    rounds = [
        {"when": pd.Timestamp.fromtimestamp(ts), "score (0-100)": v, "round": r}
        for r, points in progress["by_round"].items()
        for ts, v in points
        if v is not None
    ]
    return (
        pd.DataFrame(crit, columns=["when", "score (1-5)", "criterion"]),
        pd.DataFrame(rounds, columns=["when", "score (0-100)", "round"]),
    )


def criteria_rounds(progress: dict) -> list[str]:
    """The rounds with a criterion score from an interview, the one sat most recently last."""
    latest = {r: max((ts for pts in crit.values() for ts, v in pts if v is not None), default=None)
              for r, crit in progress.get("criteria_by_round", {}).items()}  # fmt: skip
    return sorted((r for r, ts in latest.items() if ts is not None), key=lambda r: latest[r])


def criteria_of_round(progress: dict, round_name: str) -> dict:
    """``progress`` with its criteria over time those of one round's answers (an L1 and an L2
    "Engineering" are different measures: one line through both zigzags with the round sat)."""
    by_round = progress.get("criteria_by_round")
    if by_round is None:
        return progress
    return {**progress, "criteria_over_time": by_round.get(round_name, {})}


EMPTY_PROGRESS = (
    "### No graded answers yet\n"
    "Sit an interview in the **Interview** tab (or drill a topic in **Practice**, then sit a "
    "session). Your scores per criterion and per round will be plotted here over time, with "
    "your weakest topics and a one-click drill for each."
)


ROUND_NAMES = {"L1": "L1", "L2": "L2", "full": "Full loop"}


def latest_signals_md(progress: dict) -> str:
    """Each round's latest hire signal: its last interview that gave one, with how many did
    ("" when none finished: practice and open sessions give none). An interview ended early
    gives no signal: it does not hide the last one given (a walk-through's table read
    "incomplete" after an /end, the "hire" before it gone); it is counted under the table, and
    stands in the row only for a round where no interview gave a signal."""
    done: dict[str, list[dict]] = {}
    for s in progress["sessions"]:
        if s.get("signal"):
            done.setdefault(s["round"], []).append(s)
    if not done:
        return ""
    lines = ["### Latest hire signal per round", "",
             "| round | date | score | hire signal | interviews with a signal |",
             "|---|---|---|---|---|"]  # fmt: skip
    early = 0
    for name in sorted(done, key=lambda r: list(ROUND_NAMES).index(r) if r in ROUND_NAMES else 9):
        given = [s for s in done[name] if s["signal"] != INCOMPLETE]
        early += len(done[name]) - len(given)
        last = max(given or done[name], key=lambda s: s["created_at"])
        signal = NO_SIGNAL if last["signal"] == INCOMPLETE else last["signal"]
        score = "-" if last["overall"] is None else f"{round(last['overall'])}/100"
        lines.append(f"| {md_escape(ROUND_NAMES.get(name, name))} | {when(last['created_at'])} "
                     f"| {score} | {md_escape(signal)} | {len(given)} |")  # fmt: skip
    if early:
        its = "its" if early == 1 else "their"
        lines += ["", f"Not counted: {plural(early, 'interview')} ended before {its} planned "
                      "questions (no hire signal)."]  # fmt: skip
    return "\n".join(lines)


def weakest_md(progress: dict) -> str:
    """The weakest topics with their mean score and number of questions (answered or skipped:
    a walk-through read "answers 1" for a topic only ever skipped)."""
    topics = progress["by_topic"]
    lines = [
        "### Weakest topics",
        "",
        "| topic | round | mean | questions |",
        "|---|---|---|---|",
    ]
    if not progress["weakest_topics"]:
        return (f"### Weakest topics\nNone: every topic you answered is at or above the pass "
                f"mark ({PASS_MARK}).")  # fmt: skip
    for t in progress["weakest_topics"]:
        # (a section of an uploaded guide has no round of its own: a walk-through read "?")
        round_name = TOPICS[t][0] if t in TOPICS else "guide"
        lines.append(
            f"| {md_escape(topic_label(t))} | {round_name} | {round(topics[t]['mean'])} "
            f"| {topics[t]['n']} |"
        )
    lines += [
        "",
        "The mean is over every answer (a question graded again in practice counts each "
        "time; a skipped one counts 0); a question counts once per session.",
    ]
    if any(t not in TOPICS for t in progress["weakest_topics"]):
        lines += [
            "",
            "A guide's section is practised in the Practice tab, with *Questions from* "
            "set to its guide.",
        ]
    return "\n".join(lines)


def practice_md(progress: dict) -> str:
    """Each drilled topic's practice sittings, first and latest score ("" with no practice):
    the rounds chart's practice line joins sittings of any topics (walk52 read a metrics drill
    at 40, then a coding one at 90, as progress)."""
    drilled = progress.get("practice_by_topic") or {}
    if not drilled:
        return ""
    lines = ["### Practice by topic", "", "| topic | round | sittings | first | latest |",
             "|---|---|---|---|---|"]  # fmt: skip
    # the topic drilled most recently first
    for t in sorted(drilled, key=lambda t: drilled[t][-1][0], reverse=True):
        points = drilled[t]
        round_name = TOPICS[t][0] if t in TOPICS else "guide"
        first, latest = half_up(points[0][1]), half_up(points[-1][1])
        shown = f"{latest} ({latest - first:+d})" if len(points) > 1 else f"{latest}"
        lines.append(f"| {md_escape(topic_label(t))} | {round_name} | {len(points)} | {first} "
                     f"| {shown} |")  # fmt: skip
    lines += ["", "A sitting's score on a topic is the mean of its answers there (a skipped one "
                  "counts 0); the rounds chart's practice line joins sittings of every topic."]
    return "\n".join(lines)


def progress_caption(progress: dict) -> str:
    """What the round chart, drawn as lines, draws as a short mark: a series with one session
    so far (a line needs two points), said in words with its score ("" when there is none, or
    no line is drawn: a chart of one-session series draws points); and the sessions left out,
    where nothing was answered."""
    n, running = progress.get("left_out", 0), progress.get("still_open", 0)
    idle = " ".join(x for x in (
        f"Not drawn: {plural(n, 'session')} where nothing was answered (only skipped)."
        if n else "",
        f"Not drawn yet: {plural(running, 'interview')} still open (drawn once finished or "
        "ended)." if running else "") if x)  # fmt: skip
    scored = {r: [p for p in pts if p[1] is not None] for r, pts in progress["by_round"].items()}
    if not any(len(pts) >= 2 for pts in scored.values()):
        return idle
    single = [(r, pts[0]) for r, pts in scored.items() if len(pts) == 1]
    said = "; ".join(f"{r} {round(v):g}/100 ({when(ts)})" for r, (ts, v) in single)
    marked = f"One session so far, drawn as a short mark (no line yet): {said}."
    return " ".join(x for x in (marked if single else "", idle) if x)


def criteria_caption(progress: dict) -> str:
    """What the criteria chart does not show: ties between criteria (``_criteria_ties``), the
    practice sittings and the interviews ended early it leaves out ("" when none)."""
    n = progress.get("practice_sessions", 0)
    sittings = f"{plural(n, 'practice sitting')} {'is' if n == 1 else 'are'}"
    split = progress.get("practice_split", 0)
    # (walk49 counted two practice points for the "1 practice sitting" said here)
    where = "on the rounds chart"
    if split:
        where += (", as two points: it drew on the bank and an uploaded guide" if n == 1 else
                  f"; {split} of them drew on the bank and an uploaded guide, a point on each "
                  "line")  # fmt: skip
    if not n:
        practice = ""
    elif any(progress.get("criteria_over_time", {}).values()):
        practice = f"The criteria chart draws interviews only: {sittings} {where}."
    else:
        practice = (f"Scores per criterion are drawn for interviews: sit one to see them "
                    f"({sittings} {where}).")  # fmt: skip
    k = progress.get("ended_early", 0)
    early = (f"{plural(k, 'interview')} ended before {'its' if k == 1 else 'their'} planned "
             f"questions {'is' if k == 1 else 'are'} drawn on the rounds chart only, as "
             "\"(ended early)\": a score over the questions answered is no measure of a whole "
             "interview." if k else "")  # fmt: skip
    return " ".join(x for x in (_criteria_ties(progress), practice, early) if x)


def _criteria_ties(progress: dict) -> str:
    """What the criteria chart cannot draw: criteria with the same score at a session share
    that point, so one line hides another there; criteria equal at every session are named
    ("" when no two are ever equal)."""
    series = {c: {ts: round(v, 2) for ts, v in points if v is not None}
              for c, points in progress.get("criteria_over_time", {}).items()}  # fmt: skip
    series = {c: pts for c, pts in series.items() if pts}
    by_session: dict[float, list[float]] = {}
    for pts in series.values():
        for ts, v in pts.items():
            by_session.setdefault(ts, []).append(v)
    if not any(len(set(vs)) < len(vs) for vs in by_session.values()):
        return ""
    groups: dict[tuple, list[str]] = {}  # criteria with the same score at every session
    for c, pts in series.items():
        groups.setdefault(tuple(sorted(pts.items())), []).append(CRITERIA_SHORT.get(c, c))
    n = plural(len(by_session), "session")
    mark = "line" if len(by_session) > 1 else "point"  # one session: the chart draws points

    def shows(names: list[str]) -> str:
        return f"one {mark} shows {'both' if len(names) == 2 else 'them all'}"

    if len(groups) == 1:
        names = next(iter(groups.values()))
        return f"{_and(names)} had the same score at every session ({n}): {shows(names)}."
    said = [f"{_and(names)} had the same score at every session: {shows(names)}."
            for names in groups.values() if len(names) > 1]  # fmt: skip
    # Ties between series that differ somewhere: at some sessions only.
    apart: dict[float, list[float]] = {}
    for key in groups:
        for ts, v in key:
            apart.setdefault(ts, []).append(v)
    ties = sum(len(set(vs)) < len(vs) for vs in apart.values())
    if ties:
        said.append(f"{'Elsewhere c' if said else 'C'}riteria with the same score share a point, "
                    f"so their lines meet there ({ties} of {n}).")  # fmt: skip
    return " ".join(said)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
