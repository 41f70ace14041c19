"""How the app shows engine results: Markdown and table rows, with untrusted text escaped.

Everything a candidate or a model wrote goes through ``text_md``: Markdown control characters
and HTML are escaped, so an answer such as ``<img src=x onerror=...>`` is shown as those
characters and never becomes an element in the page.
"""

from __future__ import annotations

import re
import time
from collections import Counter

from interviewer.bank import TOPICS, topic_label
from interviewer.chat_feedback import feedback_text, judgement_note
from interviewer.coding.grade import CORE_MISSED_MAX, cap_read
from interviewer.coding_answer import (
    HELPERS_SAID,
    TEST_FLAGS,
    also_asked,
    failed_why,
    libraries_said,
)
from interviewer.engine import question_header
from interviewer.export import NOT_FOUND, grade_notes, listed_score, md_failed
from interviewer.grading.copying import FLAG_COPIED, FLAG_SEEN
from interviewer.grading.rubric import (
    Grade,
    criterion_rows,
)
from interviewer.markup import (
    answer_md,
    answered_said,
    failed_tests,
    md_code,
    md_escape,
    passage_md,
    plural,
    quotes_code,
    text_md,
    verdict_words,
    when,
)
from interviewer.models import Turn, model_answer_flows, numbered, opens_l2, question_tag
from interviewer.policy import time_budget
from interviewer.probes import code_ran_said
from interviewer.reply import hint_said
from interviewer.report import code_round_said, l2_opening

OUTPUT_SHOWN = 2000  # characters of a run's stdout/stderr shown under the editor


def refusal_md(text: str) -> str:
    """A refusal (an engine's, a check's) as a line of the page: a sentence, escaped."""
    return f"⚠ {md_escape(text[:1].upper() + text[1:])}"


__all__ = ["md_escape", "text_md", "when"]


def reply_md(reply) -> str:
    """An interviewer reply as Markdown: the engine's (or model's) words escaped; a final
    reply adds a one-line summary (the report itself has its own panel)."""
    parts = [text_md(reply.text)] if reply.text.strip() else []
    if reply.report is not None:
        parts.append(report_headline(reply.report))
    return "\n\n".join(parts)


def reply_messages(reply, bank, feedback_each: bool) -> list[dict]:
    """A reply as chat messages: the feedback on the answer just graded, the model answer
    behind a "Show model answer" toggle, then what the interviewer says next."""
    # (the feedback may come after words of its own: a resumed reply's "Welcome back. ", where
    # cutting the text at the feedback's length left walk38 a scrap of its last line)
    lead, found, rest = reply.text.partition(reply.feedback) if reply.feedback else ("", "", "")
    if not found or reply.graded_turn is None:
        return [bot_msg(reply_md(reply))]
    out = [bot_msg(text_md(lead + reply.feedback))]
    q = bank.get(reply.graded_turn.question_id)
    if feedback_each and q is not None and q.model_answer:
        out.append(model_answer_msg(q.model_answer))
    rest = rest.strip()
    if rest or reply.report is not None:
        out.append(bot_msg(reply_md(_with_text(reply, rest))))
    return out


def _with_text(reply, text: str):
    from dataclasses import replace

    return replace(reply, text=text)


def model_answer_md(text: str, *, flow: bool = True) -> str:
    """A model answer as Markdown: its code as code blocks, its prose escaped and (``flow``)
    flowing as paragraphs (the bank's hard wraps made a ragged column where line breaks show;
    a guide's own text is passed with ``flow=False``, as it is)."""
    return answer_md(text, flow=flow)


def model_answer_msg(model_answer: str) -> dict:
    """The model answer as a collapsed message the candidate opens when they want it."""
    return {
        "role": "assistant",
        "content": model_answer_md(model_answer),
        "metadata": {"title": "Show model answer", "status": "done"},
    }


def report_headline(report) -> str:
    """The chat's last line: the result, and where the full report is."""
    return (
        f"**Interview finished: {report.score_said} · {md_escape(report.signal)}.** "
        "The full report is in the panel below the chat."
    )


def topic_choices(round_name: str) -> list[tuple[str, str]]:
    """(label, topic) of every topic of a round."""
    return [(topic_label(t), t) for t, (r, _) in TOPICS.items() if r == round_name]


def user_msg(text: str) -> dict:
    """A candidate message for the Chatbot."""
    return {"role": "user", "content": answer_md(text)}


def bot_msg(markdown: str) -> dict:
    """An interviewer message for the Chatbot (already rendered Markdown)."""
    return {"role": "assistant", "content": markdown}


# What the chat shows for a command the candidate gave (a button, or the word typed in the box):
# what they did, in words, as a submitted code reads SUBMITTED_SAID (live and replayed).
SUBMITTED_SAID = "(submitted the code in the editor)"


def submitted_msg(code: str | None, explanation: str | None) -> dict:
    """The chat's candidate message for submitted code, live and replayed: the code itself (the
    editor is hidden while its follow-ups run, and a walk-through was asked about code it could
    no longer see), then the explanation sent with it."""
    parts = [text_md(SUBMITTED_SAID), md_code(code or "")] + ([answer_md(explanation)]
                                                              if explanation else [])  # fmt: skip
    return {"role": "user", "content": "\n\n".join(parts)}


COMMAND_SAID = {
    "hint": "(asked for a hint)",
    "repeat": "(asked for the question again)",
    "skip": "(skipped the question)",
    "end": "(ended the interview)",
}
# Skip at a follow-up skips the follow-up only: the question keeps its grade (walk20 read
# "(skipped the question)" beside its 75).
SKIPPED_FOLLOW_UP = "(skipped the follow-up)"


def history_from_turns(turns: list[Turn], feedback_each: bool, done: bool, bank=None,
                       planned: int | None = None,
                       per_round: int | None = None) -> list[dict]:  # fmt: skip
    """The chat of a stored session, rebuilt for a resumed interview, each question introduced
    as it was live. The open question (or follow-up) is left out: the resume reply asks it
    again."""
    out: list[dict] = []
    total = planned or len(turns)
    skipped = False  # live, the interviewer says "Skipped." before the next question
    for t in turns:
        if not done and t.status == "pending" and t.answer is None:
            continue
        header = question_header(t.index, total, t.round, t.topic, per_round)
        if opens_l2(t.index, t.round, per_round):
            header = f"{l2_opening(turns, score=feedback_each)}\n\n{header}"
        said = "Skipped.\n\n" if skipped else ""
        out.append(bot_msg(text_md(f"{said}{header}: {t.question}")))
        for hint in t.hints:
            out += [user_msg(COMMAND_SAID["hint"]), bot_msg(text_md(hint_said(hint)))]
        skipped = t.status == "skipped"
        if skipped:
            out.append(user_msg(COMMAND_SAID["skip"]))
        ran = t.code is not None and t.code_result is not None
        if ran:  # submitted before its follow-ups, which begin with how the code ran; the
            # explanation sent with it follows it in the same message, as it did live
            out.append(submitted_msg(t.code, t.answer))
        elif t.answer is not None:
            out.append(user_msg(t.answer))
        for n, f in enumerate(t.follow_ups):
            if f.answer is None and not done:
                continue
            lead = f"{code_ran_said(t.code_result)}\n\n" if ran and n == 0 else ""
            out.append(bot_msg(text_md(f"{lead}Follow-up: {f.question}")))
            if f.answer is not None:
                out.append(user_msg(f.answer))
        if feedback_each and t.grade is not None and t.status == "answered":
            q = (bank or {}).get(t.question_id)
            text = (feedback_text(q, t.grade, t.code_result) + judgement_note(q, t.grade)
                    if q is not None else f"Score: {t.grade.overall}/100")  # fmt: skip
            if broke := code_round_said(t):  # as the live chat said it
                text += f"\n{broke}"
            out.append(bot_msg(text_md(text)))
            if q is not None and q.model_answer:
                out.append(model_answer_msg(q.model_answer))
    if skipped:  # the question after it is the open one, which the resume reply asks again
        out.append(bot_msg(text_md("Skipped.")))
    return out


def grade_md(grade: Grade, *, heading: str = "", tests_shown: bool = False) -> str:
    """One grade: overall, per-criterion scores, covered and missed key points, flags (without
    those about the code's run when ``tests_shown``: the run's results follow it)."""
    lines = [
        # (the sum, as the chat's score line says it: walk24's read "(hint penalty)" only,
        # beside a correction's cost too)
        f"{heading}**{grade.overall}/100**"
        + (f" ({md_escape(c)})" if (c := grade.penalties_said()) else "")
    ]
    flags = [f for f in grade.flags_said() if not (tests_shown and f.startswith(TEST_FLAGS))]
    if FLAG_SEEN in flags:  # why the score is what it is, before the table that shows it
        lines += ["", f"⚠ {md_escape(grade.feedback)}"]
        flags = [f for f in flags if f != FLAG_SEEN and not f.startswith(FLAG_COPIED)]
    lines += ["", "| criterion | score | why |", "|---|---|---|"]
    rows = criterion_rows(grade)
    lines += [
        f"| {rows[c][0]} | {s.score}/5 | {md_escape(rows[c][1])} |"
        for c, s in grade.criteria.items()
    ]
    for note in grade_notes(grade):
        lines += ["", f"*{note}*"]
    # (a point whose hidden test the code failed says so, as the transcripts do: a re-walk's
    # scorecard ticked a point its code had failed, with nothing beside it)
    covered = [kp for kp in grade.key_points if kp.covered]
    missed = [kp for kp in grade.key_points if not kp.covered]
    if covered:
        lines += ["", "Covered:"] + [f"- ✓ {md_escape(kp.point)}{md_failed(kp.failed_test, True)}"
                                     for kp in covered]  # fmt: skip
    if missed:
        mark, head = ("", NOT_FOUND) if grade.full_marks else ("✗ ", "Missed")
        lines += ["", f"{head}:"] + [f"- {mark}{md_escape(kp.point)}{md_failed(kp.failed_test)}"
                                     for kp in missed]  # fmt: skip
    if flags:
        # (a flag's own full stop before the separator read "high enough.; red flag: ...")
        lines += ["", "Flags: " + "; ".join(md_escape(f.rstrip(".")) for f in flags)]
    return "\n".join(lines)


def scorecard_md(
    turns: list[Turn], feedback_each: bool, done: bool, per_round: int | None = None
) -> str:
    """The side scorecard: a line per question, then the latest graded answer in full; once
    the interview is over, every graded answer in full (nothing graded is shown before the end
    when feedback is at the end)."""
    if not turns:
        return "### Scorecard\nStart an interview: grades appear here as you answer."
    if not feedback_each and not done:
        return "### Scorecard\nFeedback at the end: your grades appear here when you finish."
    lines = ["### Scorecard", "", "| Q | topic | score |", "|---|---|---|"]

    # A question is shown graded once it is closed: while its follow-up is open, its missed
    # points would be the follow-up's answer, one copy away.
    def closed(t: Turn) -> bool:
        return t.status != "pending" or done

    for t in turns:
        if t.status == "skipped":
            score = "skipped"
        elif t.grade is not None and closed(t):
            score = f"{t.grade.overall}/100"
        elif done:
            score = "not answered"
        else:  # "…" while its follow-up is open; a question not answered yet is said so
            # (walk42: a resumed interview's open first question read "…")
            score = "…" if t.grade is not None else "to answer"
        tag = question_tag(t, per_round).removeprefix("Q")  # under the "Q" heading
        lines.append(f"| {tag} | {md_escape(topic_label(t.topic))} | {score} |")
    graded = [t for t in turns if closed(t) and t.grade is not None and t.status != "skipped"]
    for t in graded if done else graded[-1:]:
        lines += ["", grade_md(t.grade, heading=f"**{question_tag(t, per_round)}**: ")]
    return "\n".join(lines)


def timer_key(turn: Turn | None, session_id: str, bank=None, real: bool = False) -> str:
    """``key|seconds already spent|budget`` for the client-side question timer (the budget
    only in a real interview, where it counts down); empty stops it."""
    if turn is None:
        return ""
    budget = ""
    q = (bank or {}).get(turn.question_id)
    if real and q is not None:
        budget = str(time_budget(q.group))
    # A probe restarts the count from the candidate's time so far (the wait for it left out).
    spent = max(0.0, time.time() - turn.asked_at - turn.waited)
    return f"{session_id}-{turn.index}-{len(turn.follow_ups)}|{spent:.1f}|{budget}"


NO_SIGNAL = "incomplete: no hire signal"  # an interview ended before its planned questions


def score_line(turns: list[Turn], feedback_each: bool, done: bool, planned: int,
               report=None, per_round: int | None = None) -> str:  # fmt: skip
    """One line above the answer box (shown on narrow screens): where you are, numbered as the
    chat numbers questions (a full loop's ``per_round``: within each round), and the last
    score; once the interview is over (``report``), its result."""
    if report is not None:
        result = report.signal if report.complete else NO_SIGNAL
        return f"Interview over · overall **{report.score_said}** · {result}"
    if not turns:
        return ""
    index, total = numbered(min(len(turns), planned) - 1, planned, per_round)
    line = f"{turns[-1].round} · " if per_round else ""
    line += f"Question {index + 1} of {total}"
    graded = [t for t in turns if t.grade is not None and t.status == "answered"]
    if graded and (feedback_each or done):
        line += f" · last score **{graded[-1].grade.overall}/100**"
    return line


# Said while a step works, where its result will show (a result left in view read as current).
RUNNING_TESTS = (
    "Running the hidden tests… (a slow or stuck submission is stopped at its time limit)"
)
GRADING = "Grading your answer…"


def tests_md(result: dict, q=None) -> str:
    """A graded run: hidden tests passed, and each failed one with its inputs (its code) and,
    for question ``q``'s tests, what it catches (``CodeTest.why``) beside its name, as the
    report says it (the panel left out the chat's "Failed test" bullet that says it)."""
    lines = [
        f"**Hidden tests:** {result['passed']} of {result['total']} passed "
        f"({verdict_words(result['verdict'])})"
        + (f", but {md_escape(central)}" if (central := cap_read(result)) else "")
    ]
    if result.get("error"):
        lines.append(f"⚠ {md_escape(result['error'])}")
    for (name, error, code), f in zip(failed_tests(result), result.get("failed", []),
                                      strict=True):  # fmt: skip
        why = failed_why(q, name, f["error"])
        lines.append(f"- ✗ {md_escape(f'{name} ({why})' if why else name)}: {md_escape(error)}")
        # (a one-line test its error already quotes is said once, as in the report and the
        # exports: a walk-through's Practice read each failed assertion twice)
        lines += [] if quotes_code(error, code) else ["", md_code(code)]
    return "\n".join(lines)


def tests_import() -> str:
    """What the tests run with, as the examples' heading says it."""
    return (f"the tests run with `math`, `numpy as np` and `pandas as pd` imported "
            f"({libraries_said()})")


def code_examples_md(q, send: str = "**Submit code**") -> str:
    """A coding question's visible examples, shown under the editor; ``send``: the button that
    sends the code (Practice's is "Grade my answer")."""
    tests = q.coding.visible_tests
    count = plural(len(tests), "test")
    checks = sum(len(re.findall(r"^\s*assert\b", t.code, re.M)) for t in tests)
    if checks > len(tests):  # "1 test" over two asserts read as a miscount
        count = f"{plural(checks, 'check')} in {count}"
    # (walk23 ran an example's math.isclose against the starter alone: the tests' imports)
    lines = [f"**Examples** ({count}; the hidden tests also check edge cases and a large "
             f"input; {tests_import()}):"]  # fmt: skip
    if asked := also_asked(q, f"write it in the answer box, and {send} sends it with the "
                           "code"):  # fmt: skip
        lines.insert(0, asked)
    lines += [md_code(t.code) for t in q.coding.visible_tests]
    if helpers := q.coding.example_helpers():
        lines += [HELPERS_SAID, md_code(helpers)]
    return "\n\n".join(lines)


def ran_examples_md(result, q, send: str = "**Submit code**") -> str:
    """A Run's results above the examples, which stay in view (a walk-through lost them)."""
    return f"{run_results_md(result)}\n\n{code_examples_md(q, send)}"


def run_results_md(result) -> str:
    """The visible tests' results of a Run: pass/fail per test, and the program's output."""
    if result.problem:
        head = f"⚠ {md_escape(result.problem)}"
    else:
        # Counted in tests, as the examples' header counts them ("2 checks in 1 test").
        head = f"**{result.passed} of {plural(result.total, 'example test')} passed**"
    lines = [head, ""]
    for t in result.tests:
        mark = "✓" if t.passed else "✗"
        err = f": {md_escape(t.error)}" if t.error and not t.passed else ""
        lines.append(f"- {mark} {md_escape(t.name)}{err}")
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if text.strip():
            shown = text[:OUTPUT_SHOWN] + ("\n… (truncated)" if len(text) > OUTPUT_SHOWN else "")
            lines += ["", f"{name}:", md_code(shown, "text")]
    return "\n".join(lines)


# The score next to the date: on a phone the first columns are what shows without scrolling.
SESSION_HEADERS = ["date", "score", "round", "answered", "signal", "status", "mode", "id"]
# How the transcripts table names who interviewed (a walk-through could not tell its local-model
# sessions from offline ones); the id stays last, where a picked row's id is read.
MODE_SAID = {"offline": "offline", "llm": "LLM", "local": "local model"}


def _is_real(session: dict) -> bool:
    """Whether a listed session is a real interview (timed, no hints, feedback at the end)."""
    return bool((session.get("settings") or {}).get("real"))


def _round_said(session: dict) -> str:
    """A listed session's round as Progress names its line (``Store.list_sessions``'s "line"):
    "L1 practice", "guide practice" for a practice sitting (a walk-through read "L1" in the
    Transcripts tab and "L1 practice" in Progress)."""
    return session.get("line") or session["round"]


def session_rows(sessions: list[dict]) -> list[list]:
    """Rows of the transcripts table."""
    return [
        [
            when(s["created_at"]),
            "" if listed_score(s) is None else s["score"],
            f"{s['round']} (real)" if _is_real(s) else _round_said(s),
            answered_said(s),
            s["signal"] or "",
            s["status"],
            MODE_SAID.get(s.get("mode") or "offline", s.get("mode")),
            s["id"],
        ]
        for s in sessions
    ]


def session_choices(sessions: list[dict]) -> list[tuple[str, str]]:
    """(label, id) of sessions for a dropdown. An unfinished real interview shows no score
    (its grades come at the end, as in the room) and says it is one."""
    out = []
    # Two sessions started in the same minute read alike up to their ids, which a phone cuts:
    # those show the seconds too.
    minutes = Counter(when(s["created_at"]) for s in sessions)
    for s in sessions:
        real = _is_real(s)
        hidden = real and s.get("status") == "active"
        score = "" if listed_score(s) is None or hidden else f" · {s['score']:g}/100"
        answered = answered_said(s)
        answered += "" if s.get("status") == "practice" else " answered"
        kind = f"{s['round']} real interview" if real else _round_said(s)
        started = when(s["created_at"], seconds=minutes[when(s["created_at"])] > 1)
        label = f"{started} · {kind} · {answered}{score}"
        out.append((f"{label} · {s['id']}", s["id"]))
    return out


def practice_question_md(q) -> str:
    """A practice question with its round and topic."""
    return (
        f"**{q.round} · {md_escape(topic_label(q.topic))} · difficulty {q.difficulty}**\n\n"
        f"{text_md(q.text)}"
    )


FOLDED_ANSWERS = "Show a reference solution and the model answer (try a fix first)"
PANEL_BULLETS = ("• Tests:", "• Your code was stopped:", "• Failed test:")  # tests_md's


def practice_result_md(q, grade: Grade, passage, code_result: dict | None = None) -> str:
    """A practice grade with the model answer (the section's text for a question made from an
    uploaded guide) and the guide passage the question comes from."""
    parts = [grade_md(grade, heading="### Your grade: ", tests_shown=code_result is not None)]
    failed = code_result.get("total", 0) - code_result.get("passed", 0) if code_result else 0
    if code_result is not None:
        parts.append(tests_md(code_result, q))
    if q.kind == "coding" and code_result is not None:
        # the interview's bullets, without their score line (the heading has it): the grade's
        # own feedback said only "6 of 6 hidden tests passed (partially correct)" for looped
        # code, and the reason stood only in the criteria (a walk-through)
        # and without what the tests panel above already says (a walk-through read a timeout
        # three times)
        bullets = [b for b in feedback_text(q, grade, code_result).split("\n")[1:]
                   if not b.startswith(PANEL_BULLETS)]  # fmt: skip
        if bullets and failed > 0:  # what costs most first: a re-walk read a lone loop bullet
            # under 2 of 7 tests passed as the code's main problem
            names = {f["name"] for f in code_result.get("failed", [])}
            paced = q.coding is not None and names and names <= set(q.coding.paced())
            # (walk52: a correct quadratic answer was told "correctness counts most" of the
            # one test that checks the speed the question asks for)
            it = ("they check", "they pass") if failed > 1 else ("it checks", "it passes")
            why = (f"{it[0]} the {q.coding.pace} the question asks for, and the code scores at "
                   f"most {CORE_MISSED_MAX} until {it[1]}" if paced
                   else "correctness counts most")  # fmt: skip
            bullets.insert(
                0, f"• First make the {plural(failed, 'failed hidden test')} listed above pass: {why}."
            )
        if bullets:
            parts.append("**Feedback**\n\n" + text_md("\n".join(bullets)))
    elif grade.feedback and FLAG_SEEN not in grade.flags:  # (that one is said under the score)
        parts.append("**Feedback**\n\n" + text_md(grade.feedback))
    answers = []
    if q.kind == "coding":
        answers.append("### A reference solution\n\n" + md_code(q.coding.reference))
    flows = model_answer_flows(q.id)  # a guide section's own text is shown as it is
    label = "Model answer" if flows else "What the guide says"
    answers.append(f"### {label}\n\n" + model_answer_md(q.model_answer, flow=flows))
    if failed > 0:
        # Folded until asked for: code that failed hidden tests is fixed and submitted again,
        # and a walk-through found the whole reference solution under its first failed attempt.
        # (Its content cannot close the <details>: code is fenced and prose escapes "<".)
        answers = [f"<details><summary>{FOLDED_ANSWERS}</summary>", *answers, "</details>"]
    parts += answers
    source = f"### From the guide: *{md_escape(q.guide_section)}*"
    if passage is not None:
        parts.append(source + "\n\n" + passage_md(passage.text))
    else:
        parts.append(source)
    return "\n\n".join(parts)


def guide_md(info: dict | None, builtin: str) -> str:
    """A guide's chunk count and sections."""
    if info is None:
        return "No guide selected."
    kind = " (built-in)" if info["guide"] == builtin else ""
    lines = [
        f"**{md_escape(info['guide'])}**{kind}: {plural(info['chunks'], 'chunk')} in "
        f"{plural(len(info['sections']), 'section')}",
        "",
    ]
    lines += [f"- {md_escape(s)}" for s in info["sections"]]
    return "\n".join(lines)


CHUNK_HEADERS = ["section", "round", "text"]
HIT_HEADERS = ["score", "section", "round", "text"]


def chunk_rows(hits) -> list[list]:
    """Rows of the chunks table (shown as plain text cells)."""
    return [[h.section, h.round, h.text] for h in hits]


def hit_rows(hits) -> list[list]:
    """Rows of the search results table."""
    return [[round(h.score, 3), h.section, h.round, h.text] for h in hits]
