"""Transcript export (Markdown, JSON, HTML) and the ``transcripts`` CLI on a real store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import gradio as gr
import pytest

from interviewer.cli import main
from interviewer.config import Settings
from interviewer.export import to_html, to_json, to_markdown
from interviewer.markup import md_escape, md_quote
from interviewer.models import FollowUpExchange, SessionInfo
from interviewer.store import Store
from tests.test_store import UNICODE_ANSWER, make_turn, ts
from tests.ui_support import CHROMIUM, chromium

XSS = "<script>alert(1)</script> and <img src=x onerror=alert(1)>"
SUMMARY = {
    "overall": 64,
    "signal": "lean hire",
    "passed": True,
    "criteria": {"depth": 3.5, "problem_solving": 3.0, "engineering": 2.5, "communication": 4.0},
    "strengths": ["Clear <b>structure</b>"],
    "gaps": [{"point": "use regularisation", "topic": "ml-basics", "guide_section": "2.1 Bias"}],
}


def graded_session():
    """A finished session: a graded answer with a follow-up and a hint, an XSS answer, a skip."""
    info = SessionInfo(round="L1", status="finished", summary=SUMMARY, created_at=ts("2025-03-01"))
    first = make_turn(0, overall=64, scores=(4, 3, 2, 4), answer=UNICODE_ANSWER)
    first.grade.flags = ["needs review"]
    first.follow_ups = [
        FollowUpExchange(key_point="kp2", question="What about L2?", answer="Ridge [link](x)")
    ]
    first.hints = ["Think about penalties."]
    second = make_turn(1, topic="statistics", overall=20, answer=XSS)
    second.grade.source = "offline-fallback"
    second.model_answer = "Model says <i>this</i>."
    third = make_turn(2, topic="mlops", answer=None, status="skipped")
    return info, [first, second, third]


# -- export -----------------------------------------------------------------------------------


def test_an_unticked_point_of_a_full_marks_answer_is_not_listed_as_missed():
    # walk17: "100/100" above "✗ Find the root cause ...", which its story had made in other
    # words (the report names no gap at full marks either).
    from interviewer.export import MISSED, NOT_FOUND
    from interviewer.ui.render import grade_md

    info, turns = graded_session()
    first = turns[0]
    assert [kp.covered for kp in first.grade.key_points].count(False) == 1
    cases = ((100, 0, NOT_FOUND, f"{NOT_FOUND}:\n- ", "<ul>"),
             (90, 10, NOT_FOUND, f"{NOT_FOUND}:\n- ", "<ul>"),
             (99, 0, MISSED, "Missed:\n- ✗ ", '<ul class="missed">'))  # fmt: skip
    for overall, penalty, head, on_card, listed in cases:
        grade = first.grade.model_copy(update={"overall": overall, "hint_penalty": penalty})
        shown = [first.model_copy(update={"grade": grade}), *turns[1:]]
        assert f"**{head}**\n\n- use regularisation" in to_markdown(info, shown)
        assert f"<h3>{head}</h3>\n{listed}<li>use regularisation" in to_html(info, shown)
        assert f"\n{on_card}use regularisation" in grade_md(grade)


def test_markdown_has_the_whole_graded_transcript():
    info, turns = graded_session()
    md = to_markdown(info, turns)
    assert "Question 0 about ml-basics?" in md
    assert "naïve Bayes; 日本語の説明" in md and "👩‍💻 🇮🇳" in md
    assert "Hire signal:** lean hire" in md and "64/100" in md
    assert "| Technical depth and correctness | 4/5 |" in md
    assert "“depth span” — depth why" in md
    assert "**Missed key points**\n\n- use regularisation" in md
    assert "**Covered key points**" in md and "variance goes up" in md
    assert "What about L2?" in md and "Think about penalties." in md
    assert "The model answer." in md
    assert "2.1 Bias and variance" in md
    # the gaps are headed as in the report on screen (a walk-through read "Top gaps" there and
    # "Gaps to work on" in the exports)
    assert "**Top gaps**\n\n- use regularisation" in md and "<h3>Top gaps</h3>" in to_html(info, turns)
    assert "needs review" in md and "offline grade used: the LLM was unavailable" in md
    assert "offline-fallback" not in md  # the source is said in words, never as its token
    assert "skipped" in md


def test_the_basis_every_criterion_shares_is_said_once_under_the_table_in_both_exports():
    # A walk-through read "scored mostly on how good the answer is as a whole" on every row.
    from interviewer.grading.rubric import WHOLE_BASIS

    info, turns = graded_session()
    for c in turns[0].grade.criteria.values():
        c.rationale = f"{WHOLE_BASIS}; 1 of 2 key points clearly stated"
    turns[0].grade.criteria["communication"].rationale = f"no list found; {WHOLE_BASIS}"
    md, page = to_markdown(info, turns), to_html(info, turns)
    for text in (md, page):
        assert text.count(WHOLE_BASIS) == 1, text  # the note, not each row
        assert text.count("1 of 2 key points clearly stated") == 3 and "no list found" in text
    assert "|\n\n*Each criterion is scored mostly on how good the answer is as a whole.*" in md
    assert '</table>\n<p class="note">Each criterion is scored mostly' in page
    # a grade whose rows give no such basis (an LLM's, say) gets no note
    assert "Each criterion" not in to_markdown(info, turns[1:])


def test_a_story_graded_offline_says_its_judgement_was_not_read_everywhere_it_is_shown():
    # The offline grader passed 6 of 14 stories showing poor judgement written blind to it
    # (evals/data/stories-judgement.jsonl); a walk-through's passed at 73. The scorecard says so.
    from interviewer.export import JUDGEMENT_UNREAD
    from interviewer.ui.render import grade_md

    info, _ = graded_session()
    story = make_turn(0, topic="project-deep-dive", round="L2", overall=73,
                      question_id="l2-project-went-wrong")  # fmt: skip
    other = make_turn(1, topic="mlops", round="L2", overall=73, question_id="l2-detect-data-drift")
    md, page = to_markdown(info, [story, other]), to_html(info, [story, other])
    from interviewer.markup import html_escape

    assert md.count(JUDGEMENT_UNREAD) == 1 and page.count(html_escape(JUDGEMENT_UNREAD)) == 1
    assert ".note{font-style:italic}" in page  # as the Markdown's *...* reads
    assert JUDGEMENT_UNREAD in grade_md(story.grade) and JUDGEMENT_UNREAD not in grade_md(other.grade)
    # and after the chat's feedback (live, and as a resumed session's chat is rebuilt)
    from interviewer.bank import default_bank
    from interviewer.chat_feedback import judgement_note
    from interviewer.ui.render import history_from_turns

    bank = default_bank()
    assert JUDGEMENT_UNREAD in judgement_note(bank[story.question_id], story.grade)
    assert judgement_note(bank[other.question_id], other.grade) == ""
    chat = str(history_from_turns([story, other], feedback_each=True, done=True, bank=bank))
    assert chat.count(JUDGEMENT_UNREAD) == 1
    # and in the report's note, once, however many stories (the report quoted a concealment
    # from a story as a strength)
    from interviewer.report import build_report

    second = make_turn(2, topic="project-deep-dive", round="L2", overall=80,
                       question_id="l2-disagreement-model-decision")  # fmt: skip
    assert build_report([story, other, second], bank).note.count(JUDGEMENT_UNREAD) == 1
    assert JUDGEMENT_UNREAD not in build_report([other], bank).note
    # a story the LLM judge graded has had its judgement read
    story.grade.source = "llm"
    assert JUDGEMENT_UNREAD not in build_report([story, other], bank).note
    assert JUDGEMENT_UNREAD not in to_markdown(info, [story]) + grade_md(story.grade)
    assert judgement_note(bank[story.question_id], story.grade) == ""


def test_a_model_answer_shows_its_code_as_code_and_its_prose_flowing_in_both_exports():
    # Seen in the Transcripts tab: a bank model answer showed its ```python fences, its code
    # without indentation and escapes (merged\[col\]), and its prose in the bank's hard wraps.
    info, turns = graded_session()
    turn = turns[1]
    turn.question_id = "l1-code-outliers"
    turn.model_answer = ("Merge on the key, then flag\nrows outside the <IQR> fences.\n\n"
                         "```python\ndef flag(df, col):\n    q1 = df[col].quantile(0.25)\n"
                         "    return df[col] < q1\n```\n")  # fmt: skip
    md, page = to_markdown(info, turns), to_html(info, turns)
    assert "> Merge on the key, then flag rows outside the &lt;IQR> fences." in md
    assert "> ```python\n> def flag(df, col):\n>     q1 = df[col].quantile(0.25)\n" in md
    assert "<pre><code>def flag(df, col):\n    q1 = df[col].quantile(0.25)\n" in page
    assert "flag rows outside the &lt;IQR&gt; fences.</div>" in page and "```" not in page
    assert "pre{background:" in page  # a code block reads as one, not as plain text
    # A guide section's own text (a practice question made from a guide) keeps its lines.
    turn.question_id = "guide-0123456789"
    assert "> Merge on the key, then flag  \n> rows outside" in to_markdown(info, turns)


def test_a_follow_up_answers_code_reads_as_code_in_both_exports():
    # A walk-through's follow-up answer with a ```python block read "\\`\\`\\`python" in the .md
    info, turns = graded_session()
    turns[0].follow_ups[0].answer = ("I'd check the counts <first>:\n\n```python\n"
                                     "assert len(df) == n  # *same*\n```\nThen log it.")  # fmt: skip
    md, page = to_markdown(info, turns), to_html(info, turns)
    assert "> A: I'd check the counts &lt;first>:" in md and "> Then log it." in md
    assert "> ```python\n> assert len(df) == n  # *same*\n> ```" in md and "\\`" not in md
    # rendered, the code is inside the answer's quote (walk40: its fence stood outside it)
    from markdown_it import MarkdownIt

    quote = MarkdownIt().render(md).split("<p>A: I'd check")[1].split("</blockquote>")[0]
    assert '<pre><code class="language-python">assert len(df) == n' in quote
    assert "Then log it." in quote
    assert "<pre><code>assert len(df) == n  # *same*" in page and "```" not in page


def test_the_result_line_reads_as_the_report_does():
    # Seen in the app: a real interview ended early read "Result: not passed" in its transcript
    # while its report said incomplete (an early end is no verdict).
    info, turns = graded_session()
    for summary, result in (({"passed": True}, "passed"),
                            ({"passed": False, "complete": True}, "not passed"),
                            ({"passed": False, "complete": False}, "incomplete"),
                            ({"passed": False}, "not passed")):  # fmt: skip
        info.summary = {**SUMMARY, **summary}
        assert f"**Result:** {result}\n" in to_markdown(info, turns) + "\n"


def test_a_code_answer_and_a_question_left_open_read_as_such():
    # Seen in the Transcripts tab: "Answer (answered, 111.2 s) (none)" for a coding question
    # answered in code, and "Answer (pending)" in a finished session.
    info, _ = graded_session()
    coded = make_turn(0, topic="python-coding", overall=80, answer=None, status="answered",
                      kind="coding", code="def f(xs):\n    return sorted(xs)\n")  # fmt: skip
    left = make_turn(1, answer=None)
    md, html = to_markdown(info, [coded, left]), to_html(info, [coded, left])
    assert "*(answered in code, below)*" in md and "(answered in code, below)" in html
    assert "**Answer** (not answered: the interview ended)" in md
    assert "(not answered: the interview ended)" in html
    info.status = "active"  # still running: the question is pending, not missed
    assert "**Answer** (pending)" in to_markdown(info, [coded, left])


def test_a_question_open_when_the_candidate_ended_reads_not_answered_everywhere(capsys):
    # Seen in a walk-through: question 3, asked and open when the candidate pressed End, read
    # "Answer (not reached)" in its transcript, as if it had never been asked.
    from tests.helpers import new_interview

    with Store(settings=Settings.from_env()) as store:
        iv = new_interview(round="L1", questions=4, store=store, seed=5, follow_ups=0)
        iv.start()
        iv.answer("Regularisation adds a penalty on the weights to reduce variance.")
        iv.command("skip")
        iv.command("end")  # on question 3, asked and unanswered
        info, turns = store.load_session(iv.info.id, user_id="local")
    assert info.status == "finished" and [t.status for t in turns] == ["answered", "skipped",
                                                                        "pending"]  # fmt: skip
    md, html = to_markdown(info, turns), to_html(info, turns)
    _, out, _ = run(capsys, "show", info.id)
    for text in (md, html, out):
        assert text.count("not answered: the interview ended") == 1, text
        assert "not reached" not in text
    assert "**Answer** (not answered: the interview ended)" in md
    assert "<span class='meta'>(not answered: the interview ended)</span>" in html
    # JSON keeps the models' own fields: the question pending in a finished session
    data = json.loads(to_json(info, turns))
    assert data["session"]["status"] == "finished" and data["turns"][2]["status"] == "pending"
    assert data["turns"][2]["question"] == turns[2].question  # it was asked


def test_the_open_question_of_a_running_session_keeps_its_answer_hidden():
    # The Transcripts tab lists a running session: its open question's model answer and its
    # graded first answer's missed points (the open follow-up's answer) were one tab away.
    info, _ = graded_session()
    info.status = "active"
    closed = make_turn(0, overall=70, answer="closed answer")
    closed.model_answer = "closed model answer"
    open_ = make_turn(1, topic="statistics", overall=20, answer="first try", status="pending")
    open_.model_answer, open_.guide_section = "the open model answer", "4.2 Open section"
    open_.follow_ups = [FollowUpExchange(key_point="kp2", question="And the variance?")]
    exports = {f: fn(info, [closed, open_]) for f, fn in
               (("md", to_markdown), ("json", to_json), ("html", to_html))}  # fmt: skip
    for fmt, text in exports.items():
        assert "the open model answer" not in text and "4.2 Open section" not in text, fmt
        assert "closed model answer" in text and "first try" in text, fmt
    turns = json.loads(exports["json"])["turns"]
    assert turns[0]["grade"]["overall"] == 70 and turns[1]["grade"] is None
    assert open_.grade is not None and open_.model_answer  # the stored turn is untouched
    info.status = "finished"  # over: everything shows
    assert "the open model answer" in to_markdown(info, [closed, open_])
    assert json.loads(to_json(info, [closed, open_]))["turns"][1]["grade"]["overall"] == 20


def test_markdown_cannot_be_injected_by_an_answer():
    info, turns = graded_session()
    md = to_markdown(info, turns)
    assert "<script>" not in md and "<img" not in md and "<b>" not in md and "<i>" not in md
    assert "&lt;script>alert(1)&lt;/script>" in md
    assert "[link](x)" not in md  # links are escaped
    assert "&lt;b>not html&lt;/b> \\*not bold\\*" in md
    assert all(
        not line.startswith("#") or line.startswith(("# Mock", "## ")) for line in md.split("\n")
    )
    assert md_quote("1. item\n- item\n\n---") == "> 1\\. item  \n> \\- item  \n>\n> \\---"
    assert md_escape("a|b\nc") == "a\\|b c"
    assert md_escape("# title [x](javascript:y)") == "\\# title \\[x\\](javascript:y)"


def test_escaped_markdown_renders_as_the_text_itself():
    """Any one line of untrusted text, escaped, renders as exactly that text (no structure, no
    tag, no entity decoded), and reads as typed where Markdown would not misread it: '>' and
    '&' stay themselves in a text editor (an export showed "&gt;" for "a > b")."""
    import html
    import random

    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable("table")
    rng = random.Random(7)
    alphabet = list("<>&#;*_`[]()!|~\\-+=.:/ ") + ["&lt;", "&#60;", "&amp;", "1.", "a", "Z9"]
    lines = ["R&D > ops", "&lt;b&gt; typed", "> quoted", "<script>alert(1)</script>",
             "a&#60;b", ">>> x", "<http://x.y>", "=== x", "1) one", "see http://x.y/z",
             "www.x.y", "me@x.y"]  # fmt: skip
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(400)]
    for line in (x.strip() for x in lines):
        if not line:
            continue
        got = md.render(md_escape(line)).strip()
        assert got.startswith("<p>") and got.endswith("</p>"), (line, got)
        assert html.unescape(got[3:-4]) == line, line
    assert md_escape("R&D > ops: 5 > 3 & 2") == "R&D > ops: 5 > 3 & 2"
    assert md_escape("> quoted") == "\\> quoted" and md_escape("<b>") == "&lt;b>"
    # no autolink (GFM, linkify) can form: a typed URL showed as a live link in a walk-through
    assert md_escape("http://a.b www.a.b me@a.b @cache 10:30") == (
        "http\\://a.b www\\.a.b me\\@a.b @cache 10:30")


def test_inline_code_renders_as_code_and_nothing_else_opens():
    """walk20: a model answer's `current` and `best` showed their backticks. An answer's inline
    code renders as code holding exactly its text; the rest of the line as the text itself; a
    span holding "<" or "&" stays escaped prose (no renderer sees a tag in it)."""
    import html
    import random

    from interviewer.markup import answer_md

    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark").enable("table")
    got = md.render(answer_md("Keep `current` and `best` (`a*b_c`); *not* `<b>x</b>`")).strip()
    assert got == ("<p>Keep <code>current</code> and <code>best</code> (<code>a*b_c</code>); "
                   "*not* `&lt;b&gt;x&lt;/b&gt;`</p>"), got  # fmt: skip
    rng = random.Random(11)
    alphabet = list("<>&#;*_`[]()!|~\\-+=.:/ ") + ["`x`", "`a b`", "&lt;", "1.", "a", "Z9"]
    for _ in range(400):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))).strip()
        if not line:
            continue
        out = md.render(answer_md(line)).strip()
        assert out.startswith("<p>") and out.endswith("</p>"), (line, out)
        assert set(re.findall(r"<(\w+)", out)) <= {"p", "code"}, (line, out)
        # what shows is the line, less the backticks of the spans kept as code
        shown = html.unescape(re.sub(r"</?code>", "", out[3:-4]))
        kept = re.sub(r"(?<!`)`([^`\n<&]+)`(?!`)", r"\1", line)
        assert shown == kept, (line, out)


def test_rendered_markdown_has_only_the_exports_own_structure():
    markdown_it = pytest.importorskip("markdown_it")
    info, turns = graded_session()
    turns[0].answer = (
        "# heading\n- list\n1. ordered\n[x](javascript:alert(1))\n<div>raw</div>\n`code`\n"
        "***\n| a | b |\n|---|---|\n![i](http://x/y.png)\n    indented"
    )
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(to_markdown(info, turns))
    tags = set(re.findall(r"<(\w+)", rendered))
    assert tags <= {"h1", "h2", "p", "ul", "li", "strong", "em", "br", "blockquote"} | {
        "table", "thead", "tbody", "tr", "th", "td"
    }  # fmt: skip
    assert rendered.count("<h1>") == 1 and rendered.count("<h2>") == 1 + len(turns)
    assert "&lt;div&gt;raw&lt;/div&gt;" in rendered and "[x](javascript:alert(1))" in rendered


def test_json_export_round_trips():
    info, turns = graded_session()
    data = json.loads(to_json(info, turns))
    assert data["session"] == info.model_dump(mode="json")
    assert data["turns"][0]["answer"] == UNICODE_ANSWER
    assert data["turns"][0]["grade"]["criteria"]["depth"]["evidence"] == ["depth span"]
    assert data["turns"][1]["answer"] == XSS
    assert len(data["turns"]) == 3


def test_html_is_standalone_and_escapes_everything():
    info, turns = graded_session()
    page = to_html(info, turns)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;structure&lt;/b&gt;" in page and "&lt;i&gt;this&lt;/i&gt;" in page
    assert "naïve Bayes" in page and "🚀🤖" in page
    for needle in (
        "Question 0 about ml-basics?",
        'Technical depth and correctness</td><td class="nw">4/5',
        "“depth span”",
        "use regularisation",
        "The model answer.",
        "2.1 Bias and variance",
        "lean hire",
        "needs review",
        "offline grade used: the LLM was unavailable",
        "What about L2?",
    ):
        assert needle in page, needle


def test_exports_tolerate_an_empty_summary_and_no_turns():
    info = SessionInfo(round="L2")
    assert "No summary yet" in to_markdown(info, [])
    assert "No summary yet" in to_html(info, [])
    assert json.loads(to_json(info, []))["turns"] == []


# -- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def saved():
    """The graded session saved for user 'local', and one for 'bob'."""
    info, turns = graded_session()
    with Store(settings=Settings.from_env()) as store:
        store.create_session(info)
        for turn in turns:
            store.save_turn(info.id, turn)
        bobs = store.create_session(SessionInfo(round="L2", user_id="bob"))
        store.save_turn(bobs.id, make_turn(0, round="L2", overall=90))
    return info, bobs


def run(capsys, *argv):
    code = main(["transcripts", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_list_json_and_filters(capsys, saved):
    info, bobs = saved
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    [row] = json.loads(out)
    # one score story: the skipped question counts 0, as in the report ((64 + 20 + 0) / 3)
    assert (row["id"], row["questions"], row["score"], row["signal"]) == (
        info.id,
        2,
        28,
        "lean hire",
    )
    assert json.loads(run(capsys, "list", "--json", "--round", "L2")[1]) == []
    assert json.loads(run(capsys, "list", "--json", "--since", "2025-03-02")[1]) == []
    assert len(json.loads(run(capsys, "list", "--json", "--until", "2025-03-01")[1])) == 1
    assert json.loads(run(capsys, "list", "--json", "--min-score", "50")[1]) == []
    [b] = json.loads(run(capsys, "list", "--json", "--user", "bob")[1])
    assert b["id"] == bobs.id
    code, out, _ = run(capsys, "list")
    assert code == 0 and info.id in out and "lean hire" in out and bobs.id not in out


def test_cli_bad_date_is_a_clear_error(capsys, saved):
    code, _, err = run(capsys, "list", "--since", "03/01/2025")
    assert code == 2
    assert "--since '03/01/2025' is not a date: use YYYY-MM-DD" in err


def test_cli_show_prints_markdown(capsys, saved):
    info, _ = saved
    code, out, _ = run(capsys, "show", info.id)
    assert code == 0
    assert out.startswith("# Mock interview") and "Question 1 about statistics?" in out
    assert UNICODE_ANSWER.splitlines()[0].split(";")[0] in out
    # as the candidate wrote it: no Markdown escapes in a terminal (a walk-through read
    # 'df.groupby("customer\\_id")'), and still no markup made of it elsewhere
    assert "Ridge [link](x)" in out and XSS in out and "\\[" not in out


def test_cli_show_keeps_code_as_written_and_drops_control_characters(capsys):
    info = SessionInfo(round="L1")
    turn = make_turn(0, answer='I group with df.groupby("customer_id")["share"]. \x1b[2JDone.')
    turn.code = 'import re\nPATTERN = re.compile(r"a\\_b\\.")\n'
    with Store(settings=Settings.from_env()) as store:
        store.create_session(info)
        store.save_turn(info.id, turn)
    code, out, _ = run(capsys, "show", info.id)
    assert code == 0 and 'df.groupby("customer_id")["share"]. [2JDone.' in out
    assert "\x1b" not in out
    assert 'PATTERN = re.compile(r"a\\_b\\.")' in out  # the code as submitted, escapes and all


@pytest.mark.parametrize("fmt", ["md", "json", "html"])
def test_cli_export_to_a_file(capsys, saved, tmp_path, fmt):
    info, _ = saved
    target = tmp_path / f"out.{fmt}"
    code, out, err = run(capsys, "export", info.id, "--format", fmt, "--output", str(target))
    assert code == 0 and out == "" and str(target) in err
    body = target.read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(body)["turns"][1]["answer"] == XSS
    else:
        assert "Question 0 about ml-basics?" in body and "lean hire" in body
        assert "<script>" not in body and "<img" not in body


def test_cli_export_to_stdout(capsys, saved):
    info, _ = saved
    code, out, _ = run(capsys, "export", info.id, "--format", "json")
    assert code == 0 and json.loads(out)["session"]["id"] == info.id


def test_cli_delete(capsys, saved, monkeypatch):
    info, _ = saved
    # pytest's stdin is not a terminal: without --yes the CLI refuses.
    code, _, err = run(capsys, "delete", info.id)
    assert code == 2 and "--yes" in err
    assert json.loads(run(capsys, "list", "--json")[1])[0]["id"] == info.id

    # On a terminal it asks; anything but yes keeps the session.
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert run(capsys, "delete", info.id)[0] == 1
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert run(capsys, "delete", info.id)[0] == 0
    assert json.loads(run(capsys, "list", "--json")[1]) == []


def test_cli_delete_yes_removes_rows(capsys, saved):
    from interviewer.paths import export_dir, forget_exports

    info, bobs = saved
    # The app's download files of the session go with it; another session's stay.
    exports = export_dir(Settings.from_env().app_cache_dir)
    for sid in (info.id, bobs.id):
        (exports / sid).mkdir(parents=True)
        (exports / sid / "transcript.md").write_text("kept for download")
    code, out, _ = run(capsys, "delete", info.id, "--yes")
    assert code == 0 and info.id in out
    assert not (exports / info.id).exists() and (exports / bobs.id / "transcript.md").exists()
    for odd in ("..", f"{bobs.id}/..", "", "nope"):  # only a session's own folder ever goes
        assert forget_exports(exports, odd) is False
    assert (exports / bobs.id / "transcript.md").exists()
    with Store(settings=Settings.from_env()) as store:
        with store.engine.connect() as conn:
            turns = conn.exec_driver_sql("SELECT count(*) FROM turns").scalar_one()
            grades = conn.exec_driver_sql("SELECT count(*) FROM grades").scalar_one()
    assert (turns, grades) == (1, 1)  # only bob's remain


def test_a_download_link_is_not_derived_from_the_session_id(saved):
    # walk37: Gradio serves a cached file to any signed-in user who has its link, and ben
    # fetched ana's transcript at exports/<her session id>/...; each export now has a folder
    # named by a random token, which deleting the session still removes
    from interviewer.paths import forget_exports
    from interviewer.ui.context import AppContext

    info, _ = saved
    settings = Settings.from_env()
    ctx = AppContext(settings=settings, store=Store(settings=settings), bank={},
                     llm_problem=None)  # fmt: skip
    first, again = ctx.write_exports(info.id, "local"), ctx.write_exports(info.id, "local")
    assert [p.suffix for p in first] == [".md", ".json", ".html"]
    token = first[0].parent
    assert token.parent == ctx.export_dir / info.id and re.fullmatch(r"[0-9a-f]{32}", token.name)
    assert again[0].parent != token and {p.parent for p in first} == {token}
    assert first[0].read_text(encoding="utf-8").startswith("# Mock interview")
    assert forget_exports(ctx.export_dir, info.id) and not token.exists()


def test_cli_progress_json(capsys, saved):
    code, out, _ = run(capsys, "progress", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["sessions"][0]["overall"] == 28  # the skipped question counts 0
    assert data["by_topic"] == {
        "ml-basics": {"mean": 64.0, "n": 1, "answers": 1},
        "mlops": {"mean": 0.0, "n": 1, "answers": 1},
        "statistics": {"mean": 20.0, "n": 1, "answers": 1},
    }
    assert data["weakest_topics"] == ["mlops", "statistics"]  # below 60, the skip first
    assert data["sessions"][0]["signal"] == "lean hire"  # the finished interview's, as listed
    code, out, _ = run(capsys, "progress")
    assert code == 0 and "weakest topics: mlops, statistics" in out and "1 graded session\n" in out
    assert "  ml basics " in out and "ml-basics" not in out  # the app's topic names
    head, line = out.split("\n\n")[1].splitlines()[:2]
    assert head.endswith("  signal") and line.endswith("  lean hire"), out
    # An interview opened and left after a skip is not a session of 0 in the list.
    with Store(settings=Settings.from_env()) as store:
        left = store.create_session(SessionInfo(round="L1"))
        store.save_turn(left.id, make_turn(0, answer=None, status="skipped"))
    code, out, _ = run(capsys, "progress")
    assert "1 graded session\n(and 1 session with nothing answered, left out)\n" in out
    # One answered: listed, and said to be still open (Progress draws it once it is over).
    with Store(settings=Settings.from_env()) as store:
        store.save_turn(left.id, make_turn(1, overall=70))
    code, out, _ = run(capsys, "progress")
    assert "2 graded sessions\n" in out and out.split("\n\n")[1].splitlines()[2].endswith(
        "  still open"), out


def test_cli_progress_labels_a_practice_sitting_as_the_app_does(capsys, saved):
    # Seen in a walk-through: "16:52 L1 46.0" (a practice sitting) above "16:53 L1 79.0" (an
    # interview) read as improvement; the app's Progress view says "L1 practice".
    from interviewer.models import SessionSettings

    with Store(settings=Settings.from_env()) as store:
        drill = store.create_session(SessionInfo(round="L1", created_at=ts("2025-03-02"),
                                                 settings=SessionSettings(practice=True)))  # fmt: skip
        store.save_turn(drill.id, make_turn(0, overall=46))
        progress = store.progress(user_id="local")
    code, out, _ = run(capsys, "progress")
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.startswith("2025-03-0")]
    assert [row[2:4] for row in rows] == [["L1", "28.0"], ["L1", "practice"]], out
    assert rows[1][4] == "46.0"
    # each drilled topic apart, first -> latest (walk52: the practice line joins topics)
    drilled = out.split("practice by topic (sittings, first -> latest):\n")[1].splitlines()[0]
    assert drilled.split()[-4:] == ["1", "46.0", "->", "46.0"], out
    # the label is the app's: the rounds chart's line for the sitting
    assert [[ts("2025-03-02"), 46.0]] == progress["by_round"]["L1 practice"]
    code, out, _ = run(capsys, "progress", "--json")
    sessions = json.loads(out)["sessions"]
    assert [(s["round"], s["practice"]) for s in sessions] == [("L1", False), ("L1", True)]


def test_cli_progress_names_practice_on_an_uploaded_guide(capsys, saved):
    # walk24: the app draws practice on an uploaded guide as "guide practice"; the terminal's
    # row read "L1 practice", as if a drill of the bank. A sitting of both names both.
    from interviewer.models import SessionSettings

    with Store(settings=Settings.from_env()) as store:
        guide = store.create_session(SessionInfo(round="L1", created_at=ts("2025-03-02"),
                                                 settings=SessionSettings(practice=True)))  # fmt: skip
        store.save_turn(guide.id, make_turn(0, overall=70, question_id="guide-0123456789"))
        both = store.create_session(SessionInfo(round="L2", created_at=ts("2025-03-03"),
                                                settings=SessionSettings(practice=True)))  # fmt: skip
        store.save_turn(both.id, make_turn(0, overall=40, round="L2"))
        store.save_turn(both.id, make_turn(1, overall=80, round="L2",
                                           question_id="guide-0123456789"))  # fmt: skip
    code, out, _ = run(capsys, "progress")
    assert code == 0
    rows = {line[:18].strip(): line[18:39].strip() for line in out.splitlines()
            if line.startswith("2025-03-0")}  # fmt: skip
    assert list(rows.values()) == ["L1", "guide practice", "L2 + guide practice"], out
    code, out, _ = run(capsys, "progress", "--json")
    lines = [s["line"] for s in json.loads(out)["sessions"]]
    assert lines == ["L1", "guide practice", "L2 + guide practice"]


def test_the_sessions_lists_name_a_practice_sitting_as_progress_does(capsys, saved):
    # A walk-through: the Transcripts tab (and `transcripts list`) named a practice sitting's
    # round "L1" where Progress says "L1 practice"; now both lists read Progress's line, and
    # --json keeps "round" beside it as "line".
    from interviewer.models import SessionSettings
    from interviewer.ui import history
    from interviewer.ui.context import AppContext

    info, _ = saved
    settings = Settings.from_env()
    with Store(settings=settings) as store:
        made = []
        for day, round_name, qids in (
            ("2025-03-02", "L1", ["l1-a"]),
            ("2025-03-03", "L1", ["guide-0123456789"]),
            ("2025-03-04", "L2", ["l2-a", "guide-0123456789"]),
        ):
            practice = SessionSettings(practice=True)
            s = store.create_session(SessionInfo(round=round_name, created_at=ts(day),
                                                 settings=practice))  # fmt: skip
            for i, qid in enumerate(qids):
                store.save_turn(s.id, make_turn(i, round=round_name, overall=60, question_id=qid))
            made.append(s.id)
        progress = {s["id"]: s["line"] for s in store.progress(user_id="local")["sessions"]}
    ids = [*reversed(made), info.id]  # newest first
    said = ["L2 + guide practice", "guide practice", "L1 practice", "L1"]
    assert [progress[i] for i in ids] == said

    # The terminal's list: its round column.
    code, out, _ = run(capsys, "list")
    assert code == 0
    header, *rows = out.splitlines()
    start, end = header.index("round"), header.index("mode")
    shown = [(row[:14].strip(), row[start:end].strip()) for row in rows]
    assert shown == list(zip(ids, said, strict=True)), out
    # --json: "round" as stored, the name as "line"
    listed = json.loads(run(capsys, "list", "--json")[1])
    rounds = ["L2", "L1", "L1", "L1"]
    assert [(r["id"], r["round"], r["line"]) for r in listed] == list(
        zip(ids, rounds, said, strict=True)
    )
    # a practice sitting plans no number of questions (walk50 read "questions": 3 in its
    # settings, the interview's default), and says how many it answered
    assert ["questions" in r["settings"] for r in listed] == [False, False, False, True]
    assert [r["questions"] for r in listed[:3]] == [2, 1, 1]
    l2 = json.loads(run(capsys, "list", "--json", "--round", "L2")[1])
    assert [r["id"] for r in l2] == [made[-1]]  # --round filters on the round, as before

    # The app's Transcripts tab, as it opens: the table's round column and the Session list.
    ctx = AppContext(settings=settings, store=Store(settings=settings), bank={},
                     llm_problem=None)  # fmt: skip
    with gr.Blocks():
        ui = history.build_transcripts(ctx)
    out = ui.refresh(None)
    assert [(row[-1], row[2]) for row in out[ui.table]] == list(zip(ids, said, strict=True))
    labels = [label for label, _ in out[ui.pick].constructor_args["choices"]]
    assert all(f" · {name} · " in label for label, name in zip(labels, said, strict=True)), labels
    # Back on the tab with a session open: it stays picked, its view and exports stay (walk43:
    # the pick was emptied beside the open transcript, whose Export still worked and whose
    # Delete said "no session picked"); one deleted meanwhile is unpicked and its view goes.
    again = ui.shown_again(ids[0], None)
    assert again[ui.pick].constructor_args["value"] == ids[0]
    assert ui.transcript not in again and ui.dl_md not in again
    ctx.store.delete_session(ids[0], user_id="local")
    again = ui.shown_again(ids[0], None)
    assert again[ui.pick].constructor_args["value"] is None
    assert again[ui.transcript].constructor_args["visible"] is False
    assert again[ui.dl_md].constructor_args["visible"] is False
    assert f"Session {ids[0]} no longer exists" in again[ui.status]  # said, not just gone
    # Delete says which of its two no-ops happened (one message said "no session picked, or
    # the deletion cancelled"); neither deletes anything.
    assert ui.delete_session(None, "", None)[ui.status] == "Nothing deleted: pick a session first."
    cancelled = ui.delete_session(ids[1], history.CANCELLED, None)[ui.status]
    assert cancelled == "Nothing deleted: the deletion was cancelled."
    assert [s["id"] for s in ctx.store.list_sessions(user_id="local")] == ids[1:]
    ctx.store.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "{id}"],
        ["export", "{id}", "--format", "md"],
        ["delete", "{id}", "--yes"],
    ],
)
def test_cli_unknown_or_foreign_id_exits_2(capsys, saved, argv):
    info, bobs = saved
    for session_id, user in (("doesnotexist", []), (bobs.id, []), (info.id, ["--user", "bob"])):
        code, out, err = run(capsys, *[a.format(id=session_id) for a in argv], *user)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and f"no session '{session_id}'" in err
    # Nothing of bob's was touched by the attempts.
    with Store(settings=Settings.from_env()) as store:
        assert store.load_session(bobs.id, user_id="bob")[1][0].grade.overall == 90


def test_a_criterion_mean_reads_the_same_in_the_transcript_as_in_the_report():
    # Seen in a walk-through: the report showed 3.2 and the transcript 3.25 for one mean. Both
    # write it with markup.mean_of_five (the report's table: report.report_markdown).
    from interviewer.markup import mean_of_five

    info, turns = graded_session()
    info.summary = {**SUMMARY, "criteria": {"depth": 3.25, "problem_solving": 3.0,
                                            "engineering": 2.75, "communication": 4.0}}  # fmt: skip
    md, html = to_markdown(info, turns), to_html(info, turns)
    for mean in info.summary["criteria"].values():
        shown = mean_of_five(mean)
        assert f"| {shown} |" in md and f"<td>{shown}</td>" in html
    assert [mean_of_five(v) for v in (3.25, 3.0, 2.75, 4)] == ["3.2", "3.0", "2.8", "4.0"]
    assert "3.25" not in md and "2.75" not in html


def test_who_graded_reads_in_words():
    # Seen in a walk-through: "graded by offline" and "Mode / model: offline / offline".
    info, turns = graded_session()
    info.mode, info.model = "offline", "offline"
    md, html = to_markdown(info, turns), to_html(info, turns)
    assert "**Grader:** offline grader (no LLM)" in md and "offline / offline" not in md
    assert "(graded by the offline grader, the LLM being unavailable)" in md
    assert "graded by offline" not in md and "graded by offline" not in html
    info.mode, info.model = "llm", "gpt-4o-mini"
    assert "**Grader:** llm / gpt-4o-mini" in to_markdown(info, turns)
    assert "llm / gpt-4o-mini" in to_html(info, turns)


def _sub_commands(parser) -> dict:
    """An argparse parser's sub-parsers by name."""
    import argparse

    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_the_transcripts_help_names_every_sub_command(capsys, monkeypatch):
    # A walk-through's `transcripts --help` summary read "list, show, export, delete": no
    # "progress".
    from interviewer.cli import build_parser

    # argparse wraps at the terminal's width, which a run inherits (at 60 columns the summary
    # went on to a second line): one wide enough for the line, whatever runs the test
    monkeypatch.setenv("COLUMNS", "160")

    names = list(_sub_commands(_sub_commands(build_parser())["transcripts"]))
    assert names == ["list", "show", "export", "delete", "progress"]
    for argv in (["--help"], ["transcripts", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        summary = next(line for line in out.splitlines() if line.strip().startswith(
            ("transcripts ", "past sessions")))  # fmt: skip
        assert summary.split("past sessions: ")[1].rstrip(".") == ", ".join(names), summary


EXE = str(Path(sys.executable).with_name("mock-interview"))


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "argv",
    [["transcripts", "list", "--json"], ["transcripts", "show", "{id}"], ["questions"], ["--help"]],
)
def test_a_reader_that_left_ends_the_command_quietly(argv, buffered, saved):
    # A walk-through's `transcripts list --json | head -1` ended in a BrokenPipeError
    # traceback. Here stdout is a pipe nobody reads from, closed before the command starts: its
    # first write fails as it does once `head` has its line, whatever the timing. Buffered, the
    # failure comes when the output is flushed; unbuffered (PYTHONUNBUFFERED), at the write.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([EXE, *(a.format(id=saved[0].id) for a in argv)], stdout=write,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=300)  # fmt: skip
    finally:
        os.close(write)
    assert done.stderr == ""
    # argparse's --help ignores a write that fails (so, unbuffered, it exits 0 as usual)
    assert done.returncode == (0 if argv == ["--help"] and not buffered else 1)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: `make test` installs it")
def test_the_html_export_fits_a_phone_whatever_the_evidence_holds(tmp_path):
    # walk19: the HTML export was 417 px wide at 390 px, an evidence cell's long words in a row.
    from playwright.sync_api import sync_playwright

    info, turns = graded_session()
    long = "out.setdefault(value,[]).append(key)_then_sorted_per_value_" * 3
    turns[0].grade.criteria["depth"].evidence = [f"I would call {long} at the end."]
    page_html = to_html(info, turns)
    assert long in page_html
    with sync_playwright() as p, chromium(p, tmp_path / "profile") as (context, _):
        page = context.new_page()
        page.set_viewport_size({"width": 390, "height": 800})
        page.set_content(page_html)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # and no word is cut to make room (walk40: the header read "Sco/re" at 1200 px): each
        # header, criterion name and score takes as many lines as it has words at most
        for width in (390, 1200):
            page.set_viewport_size({"width": width, "height": 800})
            cut = page.evaluate("""() => [...document.querySelectorAll(
                    'th, td.ww, td.nw')].filter(c => {
                const range = document.createRange();  // (a cell is as tall as its row)
                range.selectNodeContents(c);
                const lines = new Set([...range.getClientRects()].map(
                    r => Math.round(r.top))).size;
                return c.textContent.trim().split(/\\s+/).length < lines;
            }).map(c => c.textContent)""")
            assert cut == [], (width, cut)
