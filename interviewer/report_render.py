"""The report as it is read: Markdown in the app, plain text in a terminal."""

from __future__ import annotations

import re

from interviewer.grading.decide import CAP
from interviewer.grading.rubric import (
    CORRECTED,
    CRITERIA,
    CRITERIA_SHORT,
    FLAG_INJECTION,
    FLAG_KEYWORDS,
    FLAG_ONLY_INJECTION,
    FLAG_OTHER_QUESTION,
    FLAG_OWN_PART,
    FLAG_RESTATES,
    FLAG_UNTOLD,
    FLOOR_FLAGS,
    OWN_PART_CAP,
    UNTOLD_CAP,
    flagged,
    red_flag_claims,
)
from interviewer.grading.text import words
from interviewer.markup import (
    TEST_KINDS,
    clock,
    lower_first,
    md_code,
    md_escape,
    mean_of_five,
    plain,
    plural,
    quotes_code,
    round_lines,
    wrap_words,
)
from interviewer.report import Gap, QuestionSummary, Report, topic_named


def question_tags(questions: list[QuestionSummary]) -> list[str]:
    """How the report numbers its questions: "1", "2", ...; in a full loop "L1 Q1" ... "L2 Q1",
    as the chat and the scorecard number them (a walk-through's report listed 1-8 beside a
    scorecard of L1 Q1-L2 Q4)."""
    if len({q.round for q in questions}) < 2:
        return [str(q.index + 1) for q in questions]
    seen: dict[str, int] = {}
    out = []
    for q in questions:
        seen[q.round] = seen.get(q.round, 0) + 1
        out.append(f"{q.round} Q{seen[q.round]}")
    return out


def _listed_score(q: QuestionSummary) -> str:
    """A question's score as the report's "Per question" lists it."""
    if q.status == "skipped":
        return "skipped"
    if q.overall is None:  # never reached, or an answer whose grading never finished
        return "not answered" if q.status == "pending" else "not graded"
    return f"{q.overall}/100"


def delivery_line(d: dict) -> str:
    """The session's delivery in one sentence."""
    tops = ", ".join(f'"{w}"' for w in d["top_fillers"])
    return (
        f"{plural(d['answers'], 'spoken answer')} at {d['wpm']} words a minute, "
        f"{plural(d['fillers'], 'filler')}{f' (mostly {tops})' if tops else ''}, "
        f"{plural(d['long_pauses'], 'long pause')}"
        + (f", {d['over_budget']} over the time budget" if d["over_budget"] else "")
        + "."
    )


def gap_said(g: Gap) -> str:
    """A gap as the report lists it: its topic, then the point ("Pipeline design: prevent it by
    ..."; a walk-through's first gap began "Prevent it by ..." with no word of what "it" was)."""
    topic = topic_named(g.topic) if g.topic else ""
    if not topic or g.point.lower().startswith(topic.lower()):  # "Data drift: data drift, ..."
        return g.point
    return f"{topic}: {lower_first(g.point)}"


def reread_said(g: Gap) -> str:
    """Where a gap's point is in the guide: its section, and the item there to re-read."""
    where = g.guide_section or "the guide"
    return f'{where}: "{g.guide_line}"' if g.guide_line else where


def _time(q: QuestionSummary) -> str:
    """`` · 3:40 of 4:00`` for a timed question (`` (over time)`` when it ran over)."""
    if q.budget is None or q.seconds is None:
        return ""
    over = " (over time)" if q.seconds > q.budget else ""
    return f" · {clock(q.seconds)} of {clock(q.budget)}{over}"


def rule_notes(q: QuestionSummary) -> list[str]:
    """Why a rule decided a question's score, as the report lists it under the question: 0 for
    no answer, gibberish or an answer to another question; a cap for a keyword list, restating
    or a story of only what the team did; a correction, and what corrections and a hint cost (a
    walk-through with feedback at the end read "0/100" and no word of why)."""
    if q.kind == "coding" or q.overall is None:  # the tests decide a coding question's score
        return []
    out = [f"scored 0: {f}" for f in q.flags if f in FLOOR_FLAGS and q.overall == 0]
    out += [f"at most {round(100 * CAP)}: {f}" for f in q.flags
            if f in (FLAG_KEYWORDS, FLAG_RESTATES) and q.overall <= round(100 * CAP)]  # fmt: skip
    # (a re-walk's report showed a "we" story's 55 and a corrected answer's 90 with no reason)
    out += [f"scored 0: {f}" for f in q.flags if f.startswith(FLAG_OTHER_QUESTION)]
    if FLAG_INJECTION in q.flags and FLAG_ONLY_INJECTION not in q.flags:  # (walk59: said on
        # the scorecard alone)
        out.append("instructions to the grader in the answer were ignored; the rest was graded")
    if FLAG_OWN_PART in q.flags:
        out.append(f"at most {round(100 * OWN_PART_CAP)}: the story tells only what the team "
                   "did, not what you yourself did")  # fmt: skip
    if FLAG_UNTOLD in q.flags:
        out.append(f"at most {round(100 * UNTOLD_CAP)}: the question asks for a story from your "
                   "own work, and the answer tells none")  # fmt: skip
    out += [f'a wrong claim put right only at the follow-up ("{q.wrong_said.get(c, c).rstrip(".")}")'
            for c in flagged(q.flags, CORRECTED)]  # fmt: skip
    if q.made_of:  # what they and a hint cost (walk43: "less 10 points" where nothing came off)
        out.append(f"score made of: {q.made_of}")
    return out


def wrong_claims(q: QuestionSummary) -> list[str]:
    """The wrong claims (red flags) a question's answer stated, as the report lists them under
    it (a walk-through: the report never named the red flag that lowered its signal)."""
    # The candidate's own words first, read as the claim: a walk-through's "accuracy averaged
    # over thresholds" was reported as "stated a wrong claim: AUC is the accuracy at 0.5".
    # (once, when those are the claim's own words: "you said X, read as X" read as a slip)
    out = []
    for claim in red_flag_claims(q.flags):
        said = q.wrong_said.get(claim, "")
        if said and words(said) != words(claim):
            out.append(f"stated a wrong claim: you said “{said.rstrip('.')}”, read as "
                       f"“{claim.rstrip('.')}”")  # fmt: skip
        else:
            out.append(f"stated a wrong claim: “{claim.rstrip('.')}”")
    return out


def report_markdown(report: Report) -> str:
    """The report as Markdown; everything a candidate or a model wrote is escaped."""
    lines = [f"## Report: {report.score_said} · {report.signal}", ""]
    lines += [f"- {line}" for line in round_lines(report.rounds, report.complete)]
    if report.note:
        lines += ["", md_escape(report.note)]
    if report.criteria:
        lines += ["", "| criterion | average (1-5) |", "|---|---|"]
        lines += [f"| {CRITERIA[c]} | {mean_of_five(v)} |" for c, v in report.criteria.items()]
    lines += ["", "### Per question"]
    for q, tag in zip(report.questions, question_tags(report.questions), strict=True):
        score = _listed_score(q)
        # "1." is an ordered list's item; "L1 Q1." is not, so a full loop's are bullets (a
        # walk-through read its "Per question" as one paragraph)
        item = f"{tag}." if tag.isdigit() else f"- {tag}."
        lines.append(f"{item} {md_escape(q.question)} · **{score}**{_time(q)}")
        lines += [f"    - {md_escape(w)}" for w in rule_notes(q) + wrong_claims(q)]
        if q.tests:
            lines.append(f"    - {md_escape(q.tests)}")
        for f in q.failed_tests:
            # (what the test catches beside its name: its ``why``, when it has one)
            named = f"{f['name']} ({f['why']})" if f.get("why") else f["name"]
            lines.append(f"    - failed {md_escape(named)}: {md_escape(f['error'])}")
            if not quotes_code(f["error"], f["code"]):
                lines += ["", *("      " + line for line in md_code(f["code"]).splitlines()), ""]
    if report.delivery:
        lines += ["", "### Delivery", "", md_escape(delivery_line(report.delivery))]
    if report.strengths:
        lines += ["", "### Strengths"] + [f"- {md_escape(s)}" for s in report.strengths]
    if report.gaps:
        lines += ["", "### Top gaps"]
        lines += [
            f"- {md_escape(gap_said(g))} (re-read: *{md_escape(g.guide_section) or 'the guide'}*"
            + (f": “{md_escape(g.guide_line)}”)" if g.guide_line else ")")
            for g in report.gaps
        ]
    return "\n".join(lines)


# A failed test's code in the terminal report is printed as lines of Python, indented under its
# error (a walk-through's report ran "for y in ...: try: roc_auc(...) except ValueError: continue
# raise AssertionError(...)" onto one line, which is not Python); a longer test shows its first
# assertion alone, as a terminal's screen is no place for a 17-line test.
TEST_LINES_SHOWN = 10


def code_lines_shown(code: str) -> list[str]:
    """A failed hidden test's code as the terminal report prints it: its lines as they are, or,
    past TEST_LINES_SHOWN lines, its first assertion with a comment saying so."""
    import textwrap

    lines = textwrap.dedent(code).strip("\n").splitlines()
    if len(lines) <= TEST_LINES_SHOWN:
        return lines
    first = next((ln.strip() for ln in lines if re.match(r"\s*(assert|raise)\b", ln)),
                 lines[-1].strip())  # fmt: skip
    return [f"{first}  # the first assertion of a test of {len(lines)} lines"]


def report_text(report: Report, width: int = 100) -> str:
    """The report as plain text for a terminal: aligned columns, no Markdown, no escapes."""

    def wrap(text: str, indent: str) -> list[str]:
        return wrap_words(plain(text), width, indent, " " * len(indent)) or [indent]

    result = "passed" if report.passed else ("incomplete" if not report.complete else "not passed")
    said = dict.fromkeys([report.signal, result])  # "incomplete" once, not twice
    lines = [f"REPORT  {report.score_said} · {' · '.join(said)}", ""]
    lines += round_lines(report.rounds, report.complete)
    if report.note:
        lines += ["", *wrap(report.note, "")]
    if report.criteria:
        # the short names when the long ones would wrap (a 70-column terminal broke the header
        # as "Average (1-5" / ")")
        names = CRITERIA
        if max(len(CRITERIA[c]) for c in report.criteria) + len("  Average (1-5)") > width:
            names = CRITERIA_SHORT
        name_w = max(len(names[c]) for c in report.criteria)
        lines += ["", f"{'Criterion':<{name_w}}  Average (1-5)"]
        lines += [f"{names[c]:<{name_w}}  {mean_of_five(v)}" for c, v in report.criteria.items()]
    lines += ["", "Per question"]
    tags = question_tags(report.questions)
    wide = max([2] + [len(t) for t in tags])
    for q, tag in zip(report.questions, tags, strict=True):
        score = _listed_score(q)
        lines += wrap(f"{q.question}", f"{tag:>{wide}}. [{score}{_time(q)}] ")
        for w in rule_notes(q) + wrong_claims(q):
            lines += wrap(w, "      ")
        if q.tests:
            lines.append(f"      {q.tests}")
        for f in q.failed_tests:
            said = "; ".join(w for w in (TEST_KINDS.get(f.get("kind", "")), f.get("why")) if w)
            named = f"{f['name']} ({said})" if said else f["name"]
            lines += wrap(f"{named}: {f['error']}", "      failed ")
            if not quotes_code(f["error"], f["code"]):
                # under "failed", left of its error's wrapped lines
                lines += [f"        {line}".rstrip() for line in code_lines_shown(f["code"])]
    if report.delivery:
        lines += ["", "Delivery", *wrap(delivery_line(report.delivery), "  ")]
    if report.strengths:
        lines += ["", "Strengths"]
        for s in report.strengths:
            lines += wrap(s, "  - ")
    if report.gaps:
        lines += ["", "Top gaps"]
        for g in report.gaps:
            lines += wrap(f"{gap_said(g)} (re-read: {reread_said(g)})", "  - ")
    return "\n".join(lines)
