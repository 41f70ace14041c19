"""A session as a readable graded transcript: Markdown, JSON or a standalone HTML page.

Everything the candidate or a model wrote is untrusted: Markdown output escapes it so it cannot
open structure (headings, links, raw HTML), HTML output passes it through ``html.escape``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from interviewer.bank import default_bank, judgement_unread, topic_label
from interviewer.coding.grade import cap_read, quotable
from interviewer.coding_answer import failed_why
from interviewer.grading.rubric import (
    CRITERIA,
    JUDGEMENT_UNREAD,
    OFFLINE_USED,
    Grade,
    basis_note,
    criterion_rows,
)
from interviewer.markup import (
    failed_tests,
    html_escape,
    html_rich,
    md_code,
    md_escape,
    md_quote,
    md_rich,
    mean_of_five,
    num,
    quotes_code,
    round_lines,
    tests_passed,
    when,
)
from interviewer.markup import html_text as _e
from interviewer.models import (
    GUIDE_QUESTION_PREFIX,
    ROUNDS,
    SessionInfo,
    Turn,
    asked_again,
    model_answer_flows,
    question_tag,
)

MISSED = "Missed key points"
# An answer at full marks lists its unticked points under this instead (walk17 read "100/100"
# above "✗ Find the root cause ...", a point its story had made in other words).
NOT_FOUND = "Key points not found in your words (full marks without them)"


def missed_heading(grade: Grade) -> str:
    """The heading of a grade's unticked key points."""
    return NOT_FOUND if grade.full_marks else MISSED


# What a practice sitting's title calls the questions it drew from uploaded guides.
GUIDE_SECTIONS = "uploaded guide sections"


def _title(info: SessionInfo, turns: list[Turn]) -> str:
    """"Mock interview: L1 (...)"; a practice sitting is titled by what it drew on, as the
    sessions lists name it: "Practice: L1 (...) + uploaded guide sections" for one that drew on
    the bank and an uploaded guide (walk35's read "Practice: L1 (...)", listed "L1 + guide
    practice"), "Practice: uploaded guide sections" for one on guides alone."""
    said = ROUNDS[info.round].title if info.round in ROUNDS else info.round
    if not info.settings.practice:
        return f"Mock interview: {said}"
    drew = {t.question_id.startswith(GUIDE_QUESTION_PREFIX) for t in turns} or {False}
    parts = [said] * (False in drew) + [GUIDE_SECTIONS] * (True in drew)
    return f"Practice: {' + '.join(parts)}"


def _flags(grade: Grade) -> list[str]:
    flags = grade.flags_said()
    # said in words: a walk-through read the raw token "offline-fallback" in its transcript
    if grade.source == "offline-fallback" and not any(f.startswith(OFFLINE_USED) for f in flags):
        flags.append(OFFLINE_USED + "the LLM was unavailable")
    return flags


def _gap_parts(gap) -> tuple[str, str, str]:
    """(point, topic, where to re-read: the guide section and its item, if any)."""
    if isinstance(gap, dict):
        section = str(gap.get("guide_section", "") or "")
        line = str(gap.get("guide_line", "") or "")
        topic = str(gap.get("topic", "") or "")
        where = f"{section}: “{line}”" if section and line else section
        return (  # worded as the report words it (a re-walk read the topic's raw slug)
            str(gap.get("point", "")),
            topic_label(topic) if topic else "",
            f"re-read: {where}" if where else "",
        )
    return str(gap), "", ""


def _criterion_name(key: str) -> str:
    return CRITERIA.get(key, key)


def _summary_lines(summary: dict) -> list[tuple[str, str]]:
    """(label, plain value) pairs of the summary's scalar fields, in reading order (the label
    is "" for the report's note, which names itself)."""
    out = []
    if "overall" in summary:
        out.append(("Overall", f"{num(summary['overall'])}/100"))
    if summary.get("signal"):
        out.append(("Hire signal", str(summary["signal"])))
    if "passed" in summary:
        # as the report says it: an interview ended early is incomplete, not failed
        ended_early = summary.get("complete") is False
        result = "passed" if summary["passed"] else "incomplete" if ended_early else "not passed"
        out.append(("Result", result))
    # A loop's rounds and why it did not pass, as the report said them (a walk-through's
    # transcript read "Overall: 60/100 · Result: not passed" with neither round's score)
    rounds = summary.get("rounds")
    if isinstance(rounds, dict) and len(rounds) > 1:
        for line in round_lines(rounds, summary.get("complete") is not False):
            label, _, value = line.partition(": ")
            out.append((label, value))
    if summary.get("note"):  # it names itself ("Not passed: ...", "Practice: ...")
        out.append(("", str(summary["note"])))
    return out


def listed_score(session: dict):
    """A listed session's score (the app's list and the terminal's), or None while it is open
    with nothing answered (its skips count 0 in the report, but "0/100" beside "0 of 2
    answered" reads as a graded zero)."""
    if session.get("status") == "active" and not session.get("questions"):
        return None
    return session["score"]


def status_of(info: SessionInfo) -> str:
    """The session's status as the sessions list shows it: a practice sitting is "practice"."""
    return "practice" if info.settings.practice else info.status


def export_name(info: SessionInfo, ext: str) -> str:
    """The file name of an export: ``interview-<id>.md``, or ``practice-<id>.md``."""
    return f"{'practice' if info.settings.practice else 'interview'}-{info.id}.{ext}"


NOT_ANSWERED = "not answered: the interview ended"


def _answer_meta(turn: Turn, ended: bool) -> str:
    # A question still pending when the session ended was asked (a turn is stored when it is
    # asked) and left open when the candidate pressed End: a walk-through read "not reached".
    parts = [NOT_ANSWERED if ended and turn.status == "pending" else turn.status]
    if turn.seconds:  # a practice answer is graded as it is asked: no time to show
        parts.append(f"{num(turn.seconds)} s")
    if turn.grade is not None and asked_again(turn) and turn.said_after():
        # walk32: a Spanish answer, asked again in English, stood above the English reply's
        # "Score: 100/100" as if it had earned it
        parts.append(GRADED_AFTER)
    return ", ".join(parts)


# An answer asked again (another language, another question, off-topic, a list of terms): the
# grade below is of what the candidate said at the follow-up.
GRADED_AFTER = "asked again: the grade is of the answer under Follow-ups"


CODE_ONLY = "(answered in code, below)"


# -- Markdown ---------------------------------------------------------------------------------


def _md_list(items: Iterable[str]) -> list[str]:
    return [f"- {item}" for item in items]


def _md_summary(info: SessionInfo) -> list[str]:
    summary = info.summary or {}
    out = ["## Summary", ""]
    scalars = _summary_lines(summary)
    if scalars:
        out += [f"- **{label}:** {md_escape(value)}" if label else f"- {md_escape(value)}"
                for label, value in scalars]  # fmt: skip
        out.append("")
    criteria = summary.get("criteria") or {}
    if isinstance(criteria, dict) and criteria:
        out += ["| Criterion | Mean (1-5) |", "|---|---|"]
        out += [f"| {md_escape(_criterion_name(k))} | {mean_of_five(v)} |"
                for k, v in criteria.items()]
        out.append("")
    if summary.get("strengths"):
        out += ["**Strengths**", ""]
        out += _md_list(md_escape(s) for s in summary["strengths"])
        out.append("")
    if summary.get("gaps"):
        out += ["**Top gaps**", ""]
        for gap in summary["gaps"]:
            point, topic, section = _gap_parts(gap)
            where = "; ".join(md_escape(x) for x in (topic, section) if x)
            out.append(f"- {md_escape(point)}" + (f" ({where})" if where else ""))
        out.append("")
    if len(out) == 2:
        out += ["*No summary yet (the session is not finished).*", ""]
    return out


# Who graded, in words ("graded by offline" read oddly; from the walk-through).
GRADED_BY = {
    "offline": "the offline grader",
    "llm": "the LLM judge",
    "llm-overruled": "the offline grader, overruling the LLM judge's score: see the flags",
    "offline-fallback": "the offline grader, the LLM being unavailable",
}


def graded_by(source: str) -> str:
    return GRADED_BY.get(source, source)


def grader_of(info: SessionInfo) -> str:
    """The session's grader for the transcript header: the offline grader, or the LLM's mode
    and model."""
    if info.mode == "offline":
        return "offline grader (no LLM)"
    return f"{info.mode} / {info.model}"


# A missed point the candidate stated but the code was shown not to do (a hidden test that
# checks it ran and failed) says which test, as the chat's "Not shown by your code: you said
# ..., but it failed <test>, the hidden test that checks that." does: a walk-through's
# transcript listed it as plainly missed, the test named only in the Feedback under it.
NOT_SHOWN = (
    " — not shown by your code: it failed {test}, the hidden test that checks it"
)


# A covered point the code failed was credited for a follow-up answer's diagnosis (its quote).
DIAGNOSED = (
    " (diagnosed in a follow-up answer: your code failed {test}, the hidden test that checks it)"
)


def md_failed(test: str, covered: bool = False) -> str:
    """What a point's line adds when the code failed its test (Markdown), or ""."""
    said = DIAGNOSED if covered else NOT_SHOWN
    return said.format(test=f"`{test.replace('`', '')}`") if test else ""


def _h_failed(test: str, covered: bool = False) -> str:
    """What a point's line adds when the code failed its test (HTML), or ""."""
    said = DIAGNOSED if covered else NOT_SHOWN
    return said.format(test=f"<code>{_e(test)}</code>") if test else ""


def _whys(question_id: str, result: dict | None) -> list[str]:
    """Each failed test's ``failed_why`` in a stored run, in the run's order."""
    q = default_bank().get(question_id)
    return [failed_why(q, f["name"], f["error"]) for f in (result or {}).get("failed", [])]


def grade_notes(grade: Grade) -> list[str]:
    """The lines under a scorecard's criterion rows: what the criteria are scored on
    (``basis_note``) and, for a story graded offline, what the grade does not read."""
    out = [note] if (note := basis_note(grade)) else []
    if judgement_unread(default_bank().get(grade.question_id), grade):
        out.append(JUDGEMENT_UNREAD)
    return out


def _md_grade(grade: Grade) -> list[str]:
    out = [f"**Score:** {grade.overall}/100 (graded by {md_escape(graded_by(grade.source))})", ""]
    if costs := grade.penalties_said():
        out += [f"Score made of: {md_escape(costs)}", ""]
    flags = _flags(grade)
    if flags:
        out += ["**Flags:** " + "; ".join(md_escape(f.rstrip(".")) for f in flags), ""]
    out += ["| Criterion | Score | Evidence |", "|---|---|---|"]
    rows = criterion_rows(grade)
    for key, c in grade.criteria.items():
        name, why = rows[key]
        evidence = "; ".join(f"“{md_escape(e)}”" for e in c.evidence)
        if why:
            evidence = (evidence + " — " if evidence else "") + md_escape(why)
        out.append(f"| {md_escape(name)} | {c.score}/5 | {evidence} |")
    out.append("")
    for note in grade_notes(grade):
        out += [f"*{note}*", ""]
    covered = [kp for kp in quotable(grade.key_points) if kp.covered]
    missed = [kp for kp in grade.key_points if not kp.covered]
    if covered:
        out += ["**Covered key points**", ""]
        for kp in covered:
            ev = f" — “{md_escape(kp.evidence)}”" if kp.evidence else ""
            out.append(f"- {md_escape(kp.point)}{ev}{md_failed(kp.failed_test, covered=True)}")
        out.append("")
    if missed:
        out += [f"**{missed_heading(grade)}**", ""]
        out += _md_list(md_escape(kp.point) + md_failed(kp.failed_test) for kp in missed)
        out.append("")
    if grade.feedback:
        out += ["**Feedback**", "", md_quote(grade.feedback), ""]
    return out


def _test_lines(result: dict | None) -> tuple[str, list[tuple[str, str, str]]]:
    """A graded run as (summary line, [(failed test, its error, its code)])."""
    if not result:
        return "Not submitted: the code was run, not graded.", []
    head = tests_passed(result["passed"], result["total"], result["verdict"], result.get("error"),
                        but=cap_read(result))
    return head, failed_tests(result)


def _md_code_result(result: dict | None, question_id: str = "") -> list[str]:
    head, failed = _test_lines(result)
    out = [f"**Tests:** {md_escape(head)}", ""]
    for (name, error, code), why in zip(failed, _whys(question_id, result), strict=True):
        # In a code span nothing is escaped (a backslash would show): only backticks go. What
        # the test catches follows its name, as in the report.
        said = f" ({md_escape(why)})" if why else ""
        out += [f"- failed `{name.replace('`', '')}`{said}: {md_escape(error)}", ""]
        out += [] if quotes_code(error, code) else [md_code(code), ""]
    return out


def _h_code_result(result: dict | None, question_id: str = "") -> list[str]:
    head, failed = _test_lines(result)
    out = [f"<p><strong>Tests:</strong> {_e(head)}</p>"]
    for (name, error, code), why in zip(failed, _whys(question_id, result), strict=True):
        shown = "" if quotes_code(error, code) else f"<pre><code>{_e(code)}</code></pre>"
        said = f" ({_e(why)})" if why else ""
        out.append(f"<p class='missed'>failed <code>{_e(name)}</code>{said}: {_e(error)}</p>"
                   f"{shown}")  # fmt: skip
    return out


def _md_turn(turn: Turn, ended: bool, per_round: int | None) -> list[str]:
    head = f"## {question_tag(turn, per_round)}. {md_escape(topic_label(turn.topic))}"
    out = [head, "", f"*{turn.round} · difficulty {turn.difficulty}*", ""]
    out += ["**Question**", "", md_quote(turn.question), ""]
    said = f"*{CODE_ONLY}*" if not turn.answer and turn.code else md_rich(turn.answer)
    out += [f"**Answer** ({_answer_meta(turn, ended)})", "", said, ""]
    if turn.delivery and turn.delivery.get("summary"):
        out += ["**Delivery** (spoken)", "", md_quote(turn.delivery["summary"]), ""]
    if turn.code is not None:
        out += ["**Code**", "", md_code(turn.code), ""]
        out += _md_code_result(turn.code_result, turn.question_id)
    if turn.grade is not None:
        out += _md_grade(turn.grade)
    if turn.follow_ups:
        out += ["**Follow-ups**", ""]
        for f in turn.follow_ups:
            # an answer's code stays code (a walk-through's follow-up code read "\\`\\`\\`python")
            out += [md_quote(f"Q: {f.question}"), ">", md_rich(f"A: {f.answer or '(no answer)'}")]
            out.append("")
    if turn.hints:
        out += ["**Hints used**", ""]
        out += _md_list(md_escape(h) for h in turn.hints)
        out.append("")
    if turn.model_answer:
        flow = model_answer_flows(turn.question_id)
        out += ["**Model answer**", "", md_rich(turn.model_answer, flow=flow), ""]
    if turn.guide_section:
        out += [f"**Guide section:** {md_escape(turn.guide_section)}", ""]
    return out


def as_shown(info: SessionInfo, turns: list[Turn]) -> list[Turn]:
    """The turns as a transcript may show them: in a session that can still go on, the open
    question (or its open follow-up) keeps its grade, model answer and guide section hidden,
    which would otherwise be its answer, one tab away."""
    if info.status == "finished":
        return turns
    return [t.model_copy(update={"grade": None, "model_answer": "", "guide_section": ""})
            if t.status == "pending" else t for t in turns]  # fmt: skip


def to_markdown(info: SessionInfo, turns: list[Turn]) -> str:
    """The graded transcript as Markdown."""
    turns = as_shown(info, turns)
    out = [
        f"# {md_escape(_title(info, turns))}",
        "",
        f"- **Session:** {md_escape(info.id)}",
        f"- **Started:** {when(info.created_at)}",
        f"- **Status:** {md_escape(status_of(info))}",
        f"- **Grader:** {md_escape(grader_of(info))}",
        f"- **Guide:** {md_escape(info.guide)}",
        "",
    ]
    out += _md_summary(info)
    for turn in turns:
        out += _md_turn(turn, info.status == "finished", info.per_round)
    return "\n".join(out).rstrip() + "\n"


# -- JSON -------------------------------------------------------------------------------------


def to_json(info: SessionInfo, turns: list[Turn]) -> str:
    """The session and its turns as JSON (the models' own field names)."""
    turns = as_shown(info, turns)
    data = {
        "session": info.model_dump(mode="json"),
        "turns": [t.model_dump(mode="json") for t in turns],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- HTML -------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta,.note{color:#555}.note{font-style:italic}.text{white-space:pre-wrap;background:#f6f6f6;border-left:3px solid #bbb;
padding:.5rem .75rem;margin:.25rem 0 .75rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top;overflow-wrap:anywhere}th,.ww{overflow-wrap:normal}.flag{background:#fde7c8;padding:0 .3rem;border-radius:3px}
.missed{color:#a33}.covered{color:#275}.nw{white-space:nowrap}
pre{background:#f6f6f6;border:1px solid #ddd;border-radius:3px;padding:.5rem .75rem;overflow-x:auto}
"""


def _h_text(text: str | None) -> str:
    body = "<em>(none)</em>" if not text else _e(text)
    return f'<div class="text">{body}</div>'


def _h_list(items: Iterable[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<ul{attr}>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _h_summary(info: SessionInfo) -> list[str]:
    summary = info.summary or {}
    out = ["<h2>Summary</h2>"]
    scalars = _summary_lines(summary)
    if scalars:
        out.append(_h_list(f"<strong>{_e(k)}:</strong> {_e(v)}" if k else _e(v)
                           for k, v in scalars))  # fmt: skip
    criteria = summary.get("criteria") or {}
    if isinstance(criteria, dict) and criteria:
        rows = "".join(
            f"<tr><td>{_e(_criterion_name(k))}</td><td>{_e(mean_of_five(v))}</td></tr>"
            for k, v in criteria.items()
        )
        out.append(f"<table><tr><th>Criterion</th><th>Mean (1-5)</th></tr>{rows}</table>")
    if summary.get("strengths"):
        out += ["<h3>Strengths</h3>", _h_list(_e(s) for s in summary["strengths"])]
    if summary.get("gaps"):
        items = []
        for gap in summary["gaps"]:
            point, topic, section = _gap_parts(gap)
            where = "; ".join(_e(x) for x in (topic, section) if x)
            items.append(_e(point) + (f" <span class='meta'>({where})</span>" if where else ""))
        out += ["<h3>Top gaps</h3>", _h_list(items, "missed")]
    if len(out) == 1:
        out.append("<p><em>No summary yet (the session is not finished).</em></p>")
    return out


def _h_grade(grade: Grade) -> list[str]:
    out = [f"<p><strong>Score:</strong> {grade.overall}/100 (graded by {_e(graded_by(grade.source))})"]
    if costs := grade.penalties_said():
        out[0] += f"; {_e(costs)}"
    out[0] += "</p>"
    flags = _flags(grade)
    if flags:
        spans = " ".join(f'<span class="flag">{_e(f)}</span>' for f in flags)
        out.append(f"<p><strong>Flags:</strong> {spans}</p>")
    rows = []
    named = criterion_rows(grade)
    for key, c in grade.criteria.items():
        name, why = named[key]
        evidence = "; ".join(f"“{_e(e)}”" for e in c.evidence)
        if why:
            evidence = (evidence + " — " if evidence else "") + _e(why)
        # (names, scores and headers broken at spaces only: walk40's header read "Sco/re"
        # beside long evidence)
        rows.append(f'<tr><td class="ww">{_e(name)}</td><td class="nw">{c.score}/5</td>'
                    f"<td>{evidence}</td></tr>")
    out.append(
        "<table><tr><th>Criterion</th><th>Score</th><th>Evidence</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    for note in grade_notes(grade):
        out.append(f'<p class="note">{_e(note)}</p>')
    covered = [kp for kp in quotable(grade.key_points) if kp.covered]
    missed = [kp for kp in grade.key_points if not kp.covered]
    if covered:
        items = [
            _e(kp.point)
            + (f" — “{_e(kp.evidence)}”" if kp.evidence else "")
            + _h_failed(kp.failed_test, covered=True)
            for kp in covered
        ]
        out += ["<h3>Covered key points</h3>", _h_list(items, "covered")]
    if missed:
        items = (_e(kp.point) + _h_failed(kp.failed_test) for kp in missed)
        # (not in the missed points' red at full marks: walk18 read them as failures)
        out += [f"<h3>{missed_heading(grade)}</h3>",
                _h_list(items, "" if grade.full_marks else "missed")]
    if grade.feedback:
        out += ["<h3>Feedback</h3>", _h_text(grade.feedback)]
    return out


def _h_turn(turn: Turn, ended: bool, per_round: int | None) -> list[str]:
    out = [
        "<section>",
        f"<h2>{question_tag(turn, per_round)}. {_e(topic_label(turn.topic))}</h2>",
        f'<p class="meta">{_e(turn.round)} · difficulty {turn.difficulty}</p>',
        "<h3>Question</h3>",
        _h_text(turn.question),
        f"<h3>Answer <span class='meta'>({_e(_answer_meta(turn, ended))})</span></h3>",
        f"<div class=\"text\"><em>{_e(CODE_ONLY)}</em></div>"
        if not turn.answer and turn.code
        else html_rich(turn.answer),
    ]
    if turn.delivery and turn.delivery.get("summary"):
        out += ["<h3>Delivery (spoken)</h3>", _h_text(turn.delivery["summary"])]
    if turn.code is not None:
        out += ["<h3>Code</h3>", f"<pre><code>{_e(turn.code)}</code></pre>"]
        out += _h_code_result(turn.code_result, turn.question_id)
    if turn.grade is not None:
        out += _h_grade(turn.grade)
    if turn.follow_ups:
        out.append("<h3>Follow-ups</h3>")
        for f in turn.follow_ups:
            out += [_h_text(f"Q: {f.question}"), html_rich(f"A: {f.answer or '(no answer)'}")]
    if turn.hints:
        out += ["<h3>Hints used</h3>", _h_list(_e(h) for h in turn.hints)]
    if turn.model_answer:
        flow = model_answer_flows(turn.question_id)
        out += ["<h3>Model answer</h3>", html_rich(turn.model_answer, flow=flow)]
    if turn.guide_section:
        out.append(f"<p><strong>Guide section:</strong> {_e(turn.guide_section)}</p>")
    out.append("</section>")
    return out


def to_html(info: SessionInfo, turns: list[Turn]) -> str:
    """The graded transcript as a standalone HTML page (inline CSS, no scripts)."""
    turns = as_shown(info, turns)
    title = _title(info, turns)
    meta = [
        ("Session", info.id),
        ("Started", when(info.created_at)),
        ("Status", status_of(info)),
        ("Grader", grader_of(info)),
        ("Guide", info.guide),
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Defence in depth: even a missed escape could not run a script or load anything.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html_escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{_e(title)}</h1>",
        _h_list(f"<strong>{_e(k)}:</strong> {_e(v)}" for k, v in meta),
    ]
    out += _h_summary(info)
    for turn in turns:
        out += _h_turn(turn, info.status == "finished", info.per_round)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


EXPORTERS = {"md": to_markdown, "json": to_json, "html": to_html}
EXTENSIONS = tuple(EXPORTERS)
