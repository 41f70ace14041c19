"""A turn sends only the property updates that change what the page shows."""

from __future__ import annotations

import shutil
import subprocess

import gradio as gr
import pytest

from interviewer.ui.live import Live, changes_only


def test_unchanged_property_updates_are_not_sent_again():
    hint, report, voice, chat = gr.Button(), gr.Markdown(), gr.Audio(), gr.Chatbot()
    live = Live(interview=None, user="u")  # type: ignore[arg-type]
    audio = (16000, [0, 1, 2])

    def turn(visible_report: bool) -> dict:
        return {
            chat: [{"role": "user", "content": "hi"}],
            hint: gr.update(visible=True),
            report: gr.update(value="done" if visible_report else "", visible=visible_report),
            voice: gr.update(value=audio, visible=True),
        }

    first = changes_only(live, turn(False))
    assert set(first) == {chat, hint, report, voice}
    second = changes_only(live, turn(False))
    # values always go; the hint and report are as the page shows them; audio is always sent
    assert set(second) == {chat, voice}
    third = changes_only(live, turn(True))
    assert set(third) == {chat, report, voice} and third[report]["value"] == "done"
    # a new interview (a new Live) sends every property again
    assert set(changes_only(Live(interview=None, user="u"), turn(True))) == set(first)  # type: ignore[arg-type]


def test_a_series_of_one_session_is_drawn_as_points_not_an_empty_line_chart():
    # Seen in the app: an L1 session at 65 and an L2 session at 49 gave an empty "Scores per
    # round" plot (a line needs two points).
    from interviewer.markup import when
    from interviewer.ui.history import PROGRESS_CHARTS, _lines_or_points
    from interviewer.ui.progress import progress_caption, progress_frames, weakest_md

    series = PROGRESS_CHARTS[-1][5]
    legends = []

    def shown(by_round: dict, has_data: bool = True) -> tuple[bool, bool]:
        frame = progress_frames({"criteria_over_time": {}, "by_round": by_round})[1]
        lines, points, legend, column = _lines_or_points(frame, "round", series, has_data)
        assert points["value"] is frame  # the line chart's adds the marks of single sessions
        legends.append(legend["value"] if legend["visible"] else None)
        # the chart's column goes with it: a hidden chart kept half the row blank
        assert column.visible == (lines["visible"] or points["visible"])
        if len(frame):  # every session inside the x range, with a margin (a point drawn whole)
            lo, hi = lines["x_lim"]
            when = [t.timestamp() for t in frame["when"].dt.tz_localize("UTC")]  # seconds
            first, last, width = min(when), max(when), hi - lo
            assert lo < first - 0.03 * width and last + 0.03 * width < hi
            # never so wide the points crowd the middle: the sessions span most of the axis,
            # or a short span (one afternoon) sits centred in a 20-minute axis
            assert last - first >= 0.9 * width or (
                abs(width - 1200) < 1e-6 and abs((first - lo) - (hi - last)) < 1e-6
            )
        return lines["visible"], points["visible"]

    assert shown({"L1": [[1.7e9, 65.0]], "L2": [[1.8e9, 49]]}) == (False, True)
    assert shown({"L1": [[1.7e9, 65.0]]}) == (False, True)  # one session: a 20-minute axis
    # Seen in the app: sessions over 19 minutes had 10 minutes of empty axis on each side.
    assert shown({"L1": [[1.7e9, 5], [1.7e9 + 1140, 9]]}) == (True, False)
    assert shown({"L1": [[1.7e9, 5], [1.7e9 + 3 * 3600, 9]]}) == (True, False)
    # A series with two sessions draws lines; one with a single session a short mark
    # (test_a_series_of_one_session_beside_lines_is_drawn_as_a_mark).
    two_and_one = {"L1": [[1.7e9, 65.0], [1.8e9, 70]], "L1 practice": [[1.8e9, 16.33]]}
    assert shown(two_and_one) == (True, False)
    # The legend (under the chart, wrapping) names the series drawn, each in its fixed colour.
    assert legends[-1] == ('<div class="series-legend"><span><i class="c0"></i>L1</span>'
                           '<span><i class="c2"></i>L1 practice</span></div>')  # fmt: skip
    shown({"L2": [[1.7e9, 65.0], [1.8e9, 70]], "L1 practice": [[1.7e9, 5], [1.8e9, 9]]})
    assert legends[-1] == ('<div class="series-legend"><span><i class="c1"></i>L2</span>'
                           '<span><i class="c2"></i>L1 practice</span></div>')  # fmt: skip
    # walk20: practice on an uploaded guide has a line and a colour of its own
    shown({"L1 practice": [[1.7e9, 5], [1.8e9, 9]], "guide practice": [[1.7e9, 80], [1.8e9, 90]]})
    assert legends[-1] == ('<div class="series-legend"><span><i class="c2"></i>L1 practice</span>'
                           '<span><i class="c4"></i>guide practice</span></div>')  # fmt: skip
    # walk33: an interview ended early is a series with a colour of its own (none: not drawn)
    shown({"L1": [[1.7e9, 50], [1.8e9, 60]], "L1 (ended early)": [[1.75e9, 83]]})
    assert legends[-1] == ('<div class="series-legend"><span><i class="c0"></i>L1</span>'
                           '<span><i class="c5"></i>L1 (ended early)</span></div>')  # fmt: skip
    assert progress_caption({"by_round": two_and_one}) == (
        f"One session so far, drawn as a short mark (no line yet): L1 practice 16/100 "
        f"({when(1.8e9)})."
    )
    assert progress_caption({"by_round": {"L1": [[1.7e9, 65.0]], "L2": [[1.8e9, 4]]}}) == ""
    assert shown({"L1": [[1.7e9, 65.0], [1.8e9, 70]], "L2": []}) == (True, False)
    assert shown({"L1": [[1.7e9, None]]}) == (False, False)  # nothing scored: nothing to draw
    assert shown({"L1": [[1.7e9, 65.0], [1.8e9, 70]]}, has_data=False) == (False, False)
    assert legends[-1] is None and legends[0].count("<span>") == 2  # L1 and L2
    assert shown({}) == (False, False)  # nothing to draw (criteria: practice sittings only)
    # Weakest topics: whole scores, as everywhere else; none below the pass mark says so.
    weak = {"weakest_topics": ["ensembles"], "by_topic": {"ensembles": {"mean": 16.33, "n": 3}}}
    assert "| ensembles | L1 | 16 | 3 |" in weakest_md(weak)
    assert "| mean | questions |" in weakest_md(weak)  # short enough for a phone's width and "skipped one counts 0" in weakest_md(weak)
    assert "None: every topic" in weakest_md({"weakest_topics": [], "by_topic": {}})
    section = {"mean": 18.0, "n": 1}  # an uploaded guide's section: no round of its own
    weak = {"weakest_topics": ["Hypothesis Testing"], "by_topic": {"Hypothesis Testing": section}}
    assert "| Hypothesis Testing | guide | 18 | 1 |" in weakest_md(weak)
    assert weakest_md(weak).endswith("A guide's section is practised in the Practice tab, with "
                                     "*Questions from* set to its guide.")
    assert "guide's section" not in weakest_md({"weakest_topics": ["ensembles"],
                                                "by_topic": {"ensembles": section}})


def test_a_series_of_one_session_beside_lines_is_drawn_as_a_mark():
    # Seen in a walk-through: beside an L1 line, an L2 interview (73) and an L1 practice (75)
    # were only in the words under the chart: a line of one point draws nothing.
    from interviewer.ui.history import PROGRESS_CHARTS, _lines_or_points
    from interviewer.ui.progress import progress_caption, progress_frames

    by_round = {"L1": [[1.7e9, 60.0], [1.7e9 + 86400, 66]], "L2": [[1.7e9 + 3600, 73]],
                "L1 practice": [[1.7e9 + 7200, 75]]}  # fmt: skip
    frame = progress_frames({"criteria_over_time": {}, "by_round": by_round})[1]
    lines, points, legend, _ = _lines_or_points(frame, "round", PROGRESS_CHARTS[-1][5], True)
    assert lines["visible"] and not points["visible"]
    drawn = lines["value"]
    lo, hi = lines["x_lim"]
    for name in ("L2", "L1 practice"):
        [[_, score]] = by_round[name]
        mark = drawn[drawn["round"] == name]
        assert len(mark) >= 2 and set(mark["score (0-100)"]) == {score}  # a flat mark at it
        t = [x.timestamp() for x in mark["when"].dt.tz_localize("UTC")]
        session = frame[frame["round"] == name]["when"].dt.tz_localize("UTC").iloc[0].timestamp()
        assert min(t) < session < max(t) and abs((session - min(t)) - (max(t) - session)) < 1e-3
        # visible (a few pixels wide) yet a mark: 3% of the time axis, inside it
        assert abs((max(t) - min(t)) - 0.03 * (hi - lo)) < 1e-3 and lo < min(t) and max(t) < hi
        assert f"{name}</span>" in legend["value"]
    def rows(f):
        return f[f["round"] == "L1"].values.tolist()

    assert rows(drawn) == rows(frame)  # L1 as it was
    # The words say what the marks are.
    assert "L2 73/100" in progress_caption({"by_round": by_round})
    assert "drawn as a short mark" in progress_caption({"by_round": by_round})


def test_the_transcripts_table_marks_a_real_interview():
    from interviewer.markup import when
    from interviewer.ui.render import session_rows

    base = {"created_at": 1.7e9, "round": "L1", "questions": 2, "planned": 3, "score": 65,
            "signal": "", "status": "finished", "id": "s1"}  # fmt: skip
    real, practice = {**base, "settings": {"real": True}}, {**base, "settings": {}}
    rows = session_rows([real, practice, base, {**base, "mode": "local"}, {**base, "mode": "llm"}])
    assert [row[2] for row in rows] == ["L1 (real)", "L1", "L1", "L1", "L1"]
    # who interviewed: a walk-through could not tell its local-model sessions from offline ones
    assert [row[-2] for row in rows] == ["offline"] * 3 + ["local model", "LLM"]
    assert [row[-1] for row in rows] == ["s1"] * 5  # the id stays last: a picked row reads it
    assert rows[0][:2] == [when(1.7e9), 65]  # the score next to the date (a phone shows both)


def _graded_turn(index: int, overall: int, status: str = "answered"):
    from interviewer.grading.rubric import CRITERIA, CriterionScore, Grade, KeyPointResult
    from interviewer.models import Turn

    grade = Grade(
        question_id=f"q{index}",
        overall=overall,
        criteria={c: CriterionScore(score=3, rationale=f"q{index} {c}") for c in CRITERIA},
        key_points=[KeyPointResult(id="k", point=f"missed q{index}", weight=1, coverage=0.1,
                                   covered=False)],  # fmt: skip
    )
    return Turn(index=index, question_id=f"q{index}", round="L1", topic="overfitting",
                difficulty=2, question="Why?", status=status, grade=grade)  # fmt: skip


def test_the_scorecard_shows_every_answer_once_the_interview_is_over():
    # Seen in the app: after End the scorecard kept only the last question's details while the
    # report and the transcript had them all.
    from interviewer.ui.render import scorecard_md

    turns = [_graded_turn(0, 71), _graded_turn(1, 0, "skipped"), _graded_turn(2, 48)]
    running = scorecard_md(turns, feedback_each=True, done=False)
    assert "**Q3**: **48/100**" in running and "**Q1**:" not in running  # the latest, live
    over = scorecard_md(turns, feedback_each=True, done=True)
    assert "**Q1**: **71/100**" in over and "**Q3**: **48/100**" in over
    assert "**Q2**:" not in over  # skipped: nothing graded to show
    assert over.index("**Q1**:") < over.index("**Q3**:")
    # feedback at the end: nothing before the end, everything after it
    assert "/100" not in scorecard_md(turns, feedback_each=False, done=False)
    assert "**Q1**:" in scorecard_md(turns, feedback_each=False, done=True)


def test_the_scorecard_keeps_an_open_follow_up_s_missed_points_hidden():
    # Seen in a walk-through: while the follow-up was open, the scorecard listed the graded
    # first answer's missed points; pasting them took the question from 20 to 100.
    from interviewer.ui.render import score_line, scorecard_md

    turns = [_graded_turn(0, 71), _graded_turn(1, 20, "pending")]  # Q2: follow-up open
    running = scorecard_md(turns, feedback_each=True, done=False)
    assert "| 2 | overfitting | … |" in running and "20/100" not in running
    assert "**Q1**: **71/100**" in running and "Missed:" in running  # Q1 is closed: in full
    assert "**Q2**" not in running and "missed q1" not in running
    assert score_line(turns, True, False, 3).endswith("last score **71/100**")
    asked = _graded_turn(2, 0, "pending")
    asked.grade = None  # Q3 asked, not answered yet (walk42: it read "…" too)
    assert "| 3 | overfitting | to answer |" in scorecard_md([*turns, asked], True, False)
    turns[1].status = "answered"  # the follow-up answered: Q2 closes, shown in full
    assert "**Q2**: **20/100**" in scorecard_md(turns, feedback_each=True, done=False)


def test_the_caption_says_when_criterion_lines_hide_one_another():
    # Seen in a walk-through: the criteria chart showed one line for four criteria.
    from interviewer.ui.progress import criteria_caption

    def progress(*series):
        names = ("depth", "problem_solving", "engineering", "communication")
        return {"criteria_over_time": {n: [[1.7e9 + i, v] for i, v in enumerate(s)]
                                       for n, s in zip(names, series, strict=False)}}  # fmt: skip

    assert criteria_caption(progress([3.0, 4.0], [3.0, 4.0], [3.0, 4.0])) == (
        "Depth, Problem solving and Engineering had the same score at every session (2 "
        "sessions): one line shows them all."
    )
    assert criteria_caption(progress([3.0, 4.0], [3.0, 4.0], [1.0, 2.0], [2.0, 2.0])) == (
        "Depth and Problem solving had the same score at every session: one line shows both. "
        "Elsewhere criteria with the same score share a point, so their lines meet there (1 of "
        "2 sessions)."
    )
    assert criteria_caption(progress([3.0, 4.0], [2.5, 4.0], [1.0, 2.0])) == (
        "Criteria with the same score share a point, so their lines meet there (1 of 2 "
        "sessions)."
    )
    assert criteria_caption(progress([3.0], [3.0])) == (  # one session: the chart draws points
        "Depth and Problem solving had the same score at every session (1 session): one point "
        "shows both."
    )
    assert criteria_caption(progress([3.0, 4.0], [2.5, 3.5])) == ""  # every line visible
    assert criteria_caption(progress([3.0, None], [2.0, None])) == ""  # a skipped-only session
    assert criteria_caption({"criteria_over_time": {}}) == ""


def test_the_caption_says_practice_sittings_are_not_on_the_criteria_chart():
    from interviewer.ui.progress import criteria_caption

    crit = {"depth": [[1.7e9, 3.0]], "communication": [[1.7e9, 4.0]]}
    assert criteria_caption({"criteria_over_time": crit, "practice_sessions": 2}) == (
        "The criteria chart draws interviews only: 2 practice sittings are on the rounds chart."
    )
    assert criteria_caption({"criteria_over_time": {"depth": []}, "practice_sessions": 1}) == (
        "Scores per criterion are drawn for interviews: sit one to see them (1 practice sitting "
        "is on the rounds chart)."
    )
    assert criteria_caption({"criteria_over_time": crit, "practice_sessions": 0}) == ""
    assert criteria_caption({"criteria_over_time": crit, "practice_sessions": 3,
                             "practice_split": 2}) == (
        "The criteria chart draws interviews only: 3 practice sittings are on the rounds chart; 2 "
        "of them drew on the bank and an uploaded guide, a point on each line."
    )  # fmt: skip


def test_a_draft_comes_back_to_its_own_session():
    from types import SimpleNamespace

    from interviewer.ui import draft

    turn = SimpleNamespace(index=1, follow_ups=[object()])
    iv = SimpleNamespace(done=False, current=turn, info=SimpleNamespace(id="s1"), phase="follow_up")
    key = draft.key_of(iv)
    assert key == "s1|1|1"
    typed = "<b>half</b> an answer"  # given back as typed: the box shows it as text
    kept = draft.restored({"drafts": {"s1": {"key": key, "text": typed}}}, key)
    assert (kept.text, kept.code, kept.cut) == (typed, "", False)
    assert draft.restored({"key": key, "code": "def f(): pass"}, key).code == "def f(): pass"
    for junk in ({"key": key, "text": "  "}, {}, None, "s1|1", {"key": key, "text": 7},
                 {"drafts": {"s2": {"key": key, "text": "x"}}}, {"drafts": ["s1"]}):  # fmt: skip
        assert draft.restored(junk, key) is None
    # Written for an earlier question (answered since): given back, and the note says so.
    stale = draft.restored({"drafts": {"s1": {"key": "s1|0", "text": "half"}}}, key)
    assert stale.text == "half"
    assert "earlier question" in draft.restore_note(stale, True, False, False, key)
    # Too long to keep: its beginning comes back, and the candidate is told (it was dropped).
    long = draft.restored({"key": key, "text": "x" * 10**6}, key)
    assert long.cut and len(long.text) == draft.MAX_DRAFT_CHARS
    assert "only its beginning" in draft.offer_note(long)
    iv.done = True
    assert (
        draft.key_of(iv) == "s1|end"
        and draft.restored({"key": "s1|1", "text": "h"}, "s1|end") is None
    )


def test_a_draft_never_replaces_code_saved_after_it():
    # Seen in a walk-through: code typed in one browser and left unsent came back on a resume
    # there over newer code run (and so saved) from another browser.
    from interviewer.markup import when
    from interviewer.ui import draft

    typed = "def solve(xs):\n    return xs  # ``` a fence inside"

    def kept(base=None, at=1_700_000_000_000):
        entry = {"key": "s1|1", "code": typed, "at": at}
        if base is not None:
            entry["base"] = base
        return draft.restored({"drafts": {"s1": entry}}, "s1|1")

    run_at = 1_700_000_100.25
    assert draft.saved_later(kept(), run_at)  # typed over no saved code: the save is newer
    assert draft.saved_later(kept(draft.stamp(1_700_000_050.0)), run_at)  # over an older save
    assert not draft.saved_later(kept(draft.stamp(run_at)), run_at)  # typed over this one
    assert not draft.saved_later(kept(), None)  # no code saved: nothing to lose
    # Only the server's times count: a browser clock a day ahead changes nothing.
    assert draft.saved_later(kept(at=(run_at + 86_400) * 1000), run_at)
    note = draft.older_code_note(kept(), run_at)
    assert "stays" in note and "older code" in note
    assert f"saved at {when(run_at, seconds=True)} by a Run" in note  # to the second
    # The older code is shown, as code its content cannot break out of: nothing is lost.
    assert note.endswith("````python\n" + typed + "\n````")
    assert "typed at" not in draft.older_code_note(kept(at=-1e20), run_at)  # no such time


def test_a_kept_answer_and_text_typed_since_the_reload_are_both_kept():
    from interviewer.ui.draft import merged

    assert merged("kept answer", "") == ("kept answer", False)
    assert merged("kept answer", "new words") == ("kept answer\n\nnew words", True)
    assert merged("kept answer", "kept answer and more") == (None, False)  # already there
    assert merged("kept answer and more", "kept answer") == ("kept answer and more", False)
    assert merged("  ", "typed") == (None, False)


def test_the_page_offers_the_latest_draft_of_a_listed_session():
    from interviewer.ui.draft import offered

    saved = {"drafts": {"a": {"key": "a|0", "text": "A", "at": 2},
                        "b": {"key": "b|3", "code": "B", "at": 5},
                        "c": {"key": "c|0|end", "text": "C", "at": 9}}}  # fmt: skip
    assert offered(saved, ["a", "b", "c"]).session == "b"
    assert offered(saved, ["a"]).what() == "answer" and offered(saved, ["b"]).what() == "code"
    assert offered(saved, ["c", "z"]) is None


def test_a_reload_picks_the_session_last_open_here_and_tells_of_another_sessions_draft():
    # Seen in a walk-through: interview B was reloaded and Resume offered an older A, because
    # A had unsent code; B is what the candidate had open.
    from interviewer.ui.draft import offer_note, pick_after_reload

    saved = {"drafts": {"a": {"key": "a|1", "code": "def a(): pass", "at": 2},
                        "b": {"key": "b|0", "text": "B's answer", "at": 1}}, "open": "b"}  # fmt: skip
    sid, kept, elsewhere = pick_after_reload(saved, ["a", "b"])
    assert (sid, kept.session, elsewhere) == ("b", "b", False)  # its own draft, though older
    del saved["drafts"]["b"]
    sid, kept, elsewhere = pick_after_reload(saved, ["a", "b"])
    assert (sid, kept.session, elsewhere) == ("b", "a", True)
    note = offer_note(kept, "12:00 · L1 · 0 of 3 answered · a")
    assert "unsent code of another unfinished session" in note and "0 of 3 answered · a" in note
    assert pick_after_reload(saved, ["a"])[:2] == ("a", kept)  # b finished: the draft's session
    assert pick_after_reload({"open": "b"}, ["b"]) == ("b", None, False)
    assert pick_after_reload({"open": ["b"]}, ["b"]) == (None, None, False)  # untrusted shape


def test_the_browser_remembers_the_session_open_in_it():
    from interviewer.ui import draft

    opened = _run_js(
        f"""
        globalThis.window = {{}};
        const save = {draft.SAVE_JS}, rekey = {draft.REKEY_JS};
        let s = {{}};
        const seen = [];
        s = rekey("a|0", "", s); seen.push(s.open);                 // Start a
        s = save("typed", "a|0", s); seen.push(s.open);             // typing keeps it
        s = rekey("b|0", "", s); seen.push(s.open);                 // Start b
        s = rekey("b|1", "", s); seen.push(s.open);                 // b's next question
        window.__miqDraftKey = "";                                  // a reload
        s = rekey("a|0", "", s); seen.push(s.open);                 // Resume a
        s = rekey("a|end", "", s); seen.push(s.open);               // a ended
        s = rekey("b|1", "", s); s = rekey("a|end", "", s); seen.push(s.open); // b open, a's end
        console.log(JSON.stringify(seen));
        """
    )
    assert opened == ["a", "a", "b", "b", "a", "", "b"]


def _run_js(script: str):
    """Run ``script`` (which prints JSON) with node; skip when node is missing."""
    import json
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_browser_keeps_one_draft_per_session_and_moves_it_with_the_question():
    from interviewer.ui import draft

    steps = _run_js(
        f"""
        globalThis.window = {{}};
        const save = {draft.SAVE_JS}, code = {draft.SAVE_CODE_JS}, rekey = {draft.REKEY_JS};
        let s = {{}};
        const seen = [];
        const look = () => seen.push(JSON.parse(JSON.stringify(s.drafts || {{}})));
        s = rekey("a|0", "", s); s = save("answer A", "a|0", s); look();        // 0: typed on a|0
        s = rekey("a|1", "answer A", s); look();                                // 1: Skip
        s = code("def a(): pass", "a|1", s, "7.5"); s = save("", "a|1", s); look(); // 2: code; box cleared
        window.__miqDraftKey = "";                                              // a reload
        s = rekey("b|0", "", s); s = save("answer B", "b|0", s); look();        // 3: Start b
        s = rekey("a|1", "", s); look();                                        // 4: Resume a
        s = save("stray", "", s); s = save("late", "a|end", s); look();         // 5: nothing kept
        s = rekey("a|end", "", s); look();                                      // 6: a ended
        for (const id of ["c", "d", "e", "f", "g"]) {{
          s = rekey(id + "|0", "", s); s = save("x", id + "|0", s);
        }}
        look();                                                                 // 7: the last 5
        console.log(JSON.stringify(seen));
        """
    )
    texts = [{sid: (e["key"], e["text"], e["code"]) for sid, e in step.items()} for step in steps]
    assert texts[0] == {"a": ("a|0", "answer A", "")}
    assert texts[1] == {"a": ("a|1", "answer A", "")}  # the box still shows it at the next one
    assert texts[2] == {"a": ("a|1", "", "def a(): pass")}
    assert steps[2]["a"]["base"] == steps[3]["a"]["base"] == "7.5"  # kept through text edits
    assert texts[3] == {"a": ("a|1", "", "def a(): pass"), "b": ("b|0", "answer B", "")}
    assert texts[4] == texts[3] == texts[5]  # a resume and keys with no question change nothing
    assert texts[6] == {"b": ("b|0", "answer B", "")}  # the ended interview's draft is gone
    assert len(steps[7]) == draft.KEEP and "b" not in steps[7]


def test_the_folded_setup_line_counts_questions_as_the_welcome_does():
    from interviewer.ui.setup import setup_summary

    assert setup_summary("L2", 1, "each", False, True).startswith(
        "Setup: L2 · 1 question · feedback after each answer ("
    )  # one question, and no coding part for L2
    full = setup_summary("full", 3, "end", True, False)
    assert full.startswith("Setup: Full loop · 3 questions per round · real interview · no coding")
    # the coding question comes second: one L1 question has none, ticked or not
    assert "· with coding" in setup_summary("L1", 2, "each", False, True)
    assert "· no coding" in setup_summary("L1", 1, "each", False, True)
    from interviewer.ui.setup import CODING_INFO, CODING_NONE, coding_info

    assert coding_info(1)["info"] == CODING_NONE and coding_info(2)["info"] == CODING_INFO


def test_topics_read_as_words_a_candidate_uses():
    from interviewer.bank import TOPICS, topic_label
    from interviewer.engine import question_header

    assert topic_label("supervised-unsupervised") == "supervised vs unsupervised"
    assert topic_label("imbalanced-data") == "imbalanced data"  # the slug's words, when they read
    assert all(topic_label(t) and "-" not in topic_label(t) for t in TOPICS)
    assert question_header(0, 3, "L2", "llm-rag") == "Question 1 of 3 (L2, LLMs and RAG)"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_every_page_script_parses(tmp_path):
    # A script that does not parse breaks the page's scripts silently: a "\n" escaped for
    # Python, not for JavaScript, put a raw newline in a string and the app did not load.
    from interviewer.ui import draft, scripts

    found = {f"{mod.__name__}.{name}": value for mod in (scripts, draft)
             for name, value in vars(mod).items()
             if name.endswith("_JS") and not name.startswith("_") and isinstance(value, str)}  # fmt: skip
    assert len(found) >= 8
    found["guide_upload_js"] = scripts.guide_upload_js(10 * 1048576, [".md", ".txt"])
    for name, js in found.items():
        path = tmp_path / f"{name}.js"
        path.write_text(f"const f = {js};\n")
        done = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, (name, done.stderr)


def test_a_practice_result_shows_the_model_answer_as_flowing_paragraphs():
    # Seen in a walk-through: the bank's hard-wrapped model answers showed as a narrow ragged
    # column (the result keeps every line break).
    from types import SimpleNamespace

    from interviewer.bank import default_bank
    from interviewer.grading.rubric import CRITERIA, CriterionScore, Grade
    from interviewer.markup import unwrap
    from interviewer.ui.render import practice_result_md

    assert unwrap("A model\nfor 300 stores.\n\nTask: explain\nit.\n- one\n- two") == (
        "A model for 300 stores.\n\nTask: explain it.\n- one\n- two"
    )
    # a list item's indented continuation joins it with one space (walk41 read "often   match")
    assert unwrap("- Skipping it. Boosting often\n  match or beat SMOTE.\n- Next") == (
        "- Skipping it. Boosting often match or beat SMOTE.\n- Next"
    )
    q = next(q for q in default_bank().values() if "\n" in q.model_answer.strip()
             and q.kind == "spoken")  # fmt: skip
    grade = Grade(question_id=q.id, overall=50,
                  criteria={c: CriterionScore(score=3) for c in CRITERIA})  # fmt: skip
    md = practice_result_md(q, grade, SimpleNamespace(text="passage"))
    shown = md.split("### Model answer\n\n", 1)[1].split("\n\n### From the guide", 1)[0]
    paragraphs = [p for p in q.model_answer.split("\n\n") if p.strip()]
    assert shown.count("\n\n") == len(paragraphs) - 1  # one line per paragraph
    assert "\n" not in shown.replace("\n\n", "")


def test_a_practice_code_result_says_why_all_tests_passing_is_not_correct():
    # Seen in a walk-through: practice's Feedback for a looped moving average read only "6 of 6
    # hidden tests passed (partially correct)"; the interview's bullets name the loop.
    from types import SimpleNamespace

    from interviewer.bank import default_bank
    from interviewer.ui.render import practice_result_md
    from tests.helpers import LOOPED_MOVING_AVERAGE, offline_engine

    q = default_bank()["l1-code-moving-average"]
    looped = LOOPED_MOVING_AVERAGE
    grade, result, _ = offline_engine().judge_code(q, looped, None)
    md = practice_result_md(q, grade, SimpleNamespace(text="passage"), result.model_dump())
    feedback = md.split("**Feedback**\n\n", 1)[1].split("\n\n### ", 1)[0]
    assert "at most 75 however many tests pass; line 14" in feedback
    assert "Vectorisation:" not in feedback  # the loop is named once
    assert "Score:" not in feedback  # the heading has the score
    assert "6 of 6 passed" in md and "Tests:" not in feedback  # said once, in the tests panel
    # correct code: nothing to add to the tests panel
    grade, result, _ = offline_engine().judge_code(q, q.coding.reference, None)
    md = practice_result_md(q, grade, SimpleNamespace(text="passage"), result.model_dump())
    assert "**Feedback**" not in md and "6 of 6 passed (correct)" in md


def test_practice_folds_the_reference_solution_under_code_that_failed_hidden_tests():
    # A walk-through found the whole reference solution under its first failed attempt: the
    # fix-and-resubmit loop was spoiled. Folded until asked for; shown when the code passes.
    from types import SimpleNamespace

    from interviewer.bank import default_bank
    from interviewer.ui.render import FOLDED_ANSWERS, practice_result_md
    from tests.helpers import offline_engine

    q = default_bank()["l1-code-moving-average"]
    wrong = f"def {q.coding.entry_point}(*args, **kwargs):\n    return None\n"
    grade, result, _ = offline_engine().judge_code(q, wrong, None)
    assert result.passed < result.total
    md = practice_result_md(q, grade, SimpleNamespace(text="passage"), result.model_dump())
    folded = md.split(f"<details><summary>{FOLDED_ANSWERS}</summary>", 1)[1]
    assert "### A reference solution" in folded.split("</details>", 1)[0]
    assert "### Model answer" in folded.split("</details>", 1)[0]
    assert "### From the guide" in folded.split("</details>", 1)[1]  # the passage stays in view
    assert md.count("<details>") == 1 and md.count("</details>") == 1

    grade, result, _ = offline_engine().judge_code(q, q.coding.reference, None)
    md = practice_result_md(q, grade, SimpleNamespace(text="passage"), result.model_dump())
    assert "<details>" not in md and "### A reference solution" in md


def test_practice_feedback_under_failed_tests_says_they_come_first():
    # A re-walk: under "2 of 7 hidden tests passed", Feedback held one bullet, on loops and
    # lint, which read as the code's main problem.
    from types import SimpleNamespace

    from interviewer.bank import default_bank
    from interviewer.ui.render import practice_result_md
    from tests.helpers import offline_engine

    q = default_bank()["l1-code-roc-auc"]
    untied = (  # ranks without averaging ties, a loop, two statements per line
        "import numpy as np\n\n\n"
        f"def {q.coding.entry_point}(y_true, scores):\n"
        "    y = np.asarray(y_true); s = np.asarray(scores, dtype=float)\n"
        "    ranks = np.empty(len(s)); ranks[np.argsort(s)] = np.arange(1, len(s) + 1)\n"
        "    n_pos = y.sum(); n_neg = len(y) - n_pos\n"
        "    total = 0\n"
        "    for r, t in zip(ranks, y):\n"
        "        if t == 1:\n"
        "            total += r\n"
        "    return (total - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)\n"
    )
    grade, result, _ = offline_engine().judge_code(q, untied, None)
    failed = result.total - result.passed
    assert failed > 1
    md = practice_result_md(q, grade, SimpleNamespace(text="passage"), result.model_dump())
    bullets = md.split("**Feedback**\n\n", 1)[1].split("\n\n", 1)[0].split("\n")
    assert bullets[0] == (f"• First make the {failed} failed hidden tests listed above pass: "
                          "correctness counts most.")  # fmt: skip
    assert len(bullets) > 1  # and the review after it
    # passing code gets no such line
    grade, result, _ = offline_engine().judge_code(q, q.coding.reference, None)
    md = practice_result_md(q, grade, SimpleNamespace(text="passage"), result.model_dump())
    assert "First make the" not in md


def test_practice_serves_a_question_not_asked_lately_while_the_topic_has_one():
    # Seen in a walk-through: the weakest topic served the same question in three sittings,
    # each time after its model answer had been shown.
    from interviewer.bank import default_bank
    from interviewer.practice import pick_question

    bank = default_bank()
    topic = next(t for t in {q.topic for q in bank.values() if q.round == "L2"}
                 if sum(q.topic == t for q in bank.values()) >= 3)  # fmt: skip
    ids = sorted(q.id for q in bank.values() if q.topic == topic)
    for _ in range(20):  # asked lately: every one but the last
        q, _ = pick_question(bank, "L2", topic, [], None, set(ids[:-1]))
        assert q.id == ids[-1]
    q, _ = pick_question(bank, "L2", topic, [], ids[-1], set(ids))  # all asked: any other one
    assert q.id in ids[:-1]


def test_the_question_picker_lists_the_topic_with_scores_and_the_question_on_screen():
    from interviewer.bank import default_bank
    from interviewer.ui.practice import question_choices

    bank = default_bank()
    topic = "overfitting-regularisation"
    ids = [q.id for q in bank.values() if q.topic == topic]
    scores = {ids[0]: 35, ids[1]: None}
    choices = question_choices(bank, "L1", topic, [], scores)
    assert [c[1] for c in choices] == ids  # every question of the topic, in bank order
    assert choices[0][0].endswith(" (last 35/100)") and choices[1][0].endswith(" (skipped last time)")
    assert all(len(label) < 120 for label, _ in choices)
    # a question from another topic on screen (the topic was changed since) is listed first
    other = next(q for q in bank.values() if q.topic == "pandas" and q.kind == "spoken")
    shown = question_choices(bank, "L1", topic, [], scores, shown=other.id)
    assert shown[0][1] == other.id and shown[0][0].startswith("On screen, pandas: ")
    assert shown[1:] == choices
    # "Weakest topics" with none yet: the whole round, each entry naming its topic; coding
    # questions are marked (a coding and a spoken pandas question open with the same words)
    every = question_choices(bank, "L1", "weakest", [], {})
    assert len(every) == sum(q.round == "L1" for q in bank.values())
    labels = [label for label, _ in every]
    assert len(set(labels)) == len(labels)
    code = next(label for label, qid in every if bank[qid].kind == "coding")
    assert " (code): " in code
    assert question_choices(bank, "L1", "weakest", ["pandas"], {})[0][0].startswith(("Write", "Code:"))
    # the label names the weakest topics the list holds (it narrows after a first grade)
    from interviewer.ui.practice import PICK_LABEL, pick_label

    assert pick_label("L1", topic, ["pandas"]) == PICK_LABEL
    assert pick_label("L1", "weakest", ["pandas", "mlops-cicd"]).endswith("weakest topics: pandas)")
    assert pick_label("L2", "weakest", ["pandas"]).endswith("none yet, so every L2 topic)")


def test_l2_unticks_the_coding_box_and_l1_gives_the_tick_back_even_after_a_resume():
    from interviewer.ui.setup import coding_for_round

    box, kept = coding_for_round("L2", "0", True, None)  # picked between interviews
    assert (box["value"], box["interactive"], kept) == (False, False, True)
    box, kept = coding_for_round("full", "0", False, kept)  # the value L2 showed is not kept
    assert (box["value"], box["interactive"], kept) == (True, True, None)
    box, kept = coding_for_round("L2", "0", False, True)  # L2 again before going back
    assert kept is True
    # A resume sets the box as the session ran, while it runs; after a resumed L2 session,
    # L1 gets the box as a new page has it (a walk-through's next L1 had no coding question).
    box, kept = coding_for_round("L2", "1", True, None)
    assert (box["value"], box["interactive"], kept) == (False, False, True)
    box, kept = coding_for_round("L1", "0", False, kept)
    assert (box["value"], box["interactive"], kept) == (True, True, None)
    box, kept = coding_for_round("L1", "1", False, True)
    assert "value" not in box and box["interactive"] is False and kept is None


def test_code_examples_count_the_checks_a_test_makes():
    # Seen in the app: "Examples (1 test; ...)" over a test of two asserts read as a miscount.
    from interviewer.bank import default_bank
    from interviewer.coding_answer import libraries_said
    from interviewer.ui.render import code_examples_md

    bank = default_bank()
    head = code_examples_md(bank["l1-code-balanced-brackets"]).split("\n", 1)[0]
    assert head.startswith("**Examples** (2 checks in 1 test; the hidden tests")
    # walk23: an example's math.isclose read as not runnable against the starter alone
    assert head.endswith("; the tests run with `math`, `numpy as np` and `pandas as pd` "
                         f"imported ({libraries_said()})):")  # fmt: skip
    # with the versions (walk60: numpy 2 has no np.trapz, and nothing said which numpy ran)
    import sys

    import numpy as np
    import pandas as pd

    assert libraries_said() == (f"Python {sys.version_info[0]}.{sys.version_info[1]}, NumPy "
                                f"{'.'.join(np.__version__.split('.')[:2])}, pandas "
                                f"{'.'.join(pd.__version__.split('.')[:2])}")  # fmt: skip
    singles = [q for q in bank.values() if q.kind == "coding" and
               all(t.code.count("assert") == 1 for t in q.coding.visible_tests)]  # fmt: skip
    assert singles  # one assert per test: the count of tests says it
    n = len(singles[0].coding.visible_tests)
    head = code_examples_md(singles[0]).split("\n", 1)[0]
    assert head.startswith(f"**Examples** ({n} test") and " in " not in head.split(";")[0]


def test_a_coding_question_that_asks_for_words_says_so_over_its_examples():
    # A walk-through's K-Means scored 100 on code alone, where the question asks to walk
    # through its complexity: such a question says at once that code alone earns 75 at most.
    from interviewer.bank import default_bank
    from interviewer.cli.interview import coding_brief
    from interviewer.ui.render import code_examples_md

    bank = default_bank()
    asked = [q.id for q in bank.values() if q.asks_to_explain]
    assert asked == ["l1-code-merge-flag-outliers", "l1-code-kmeans", "l1-code-precision-recall-f1"]
    head, rest = code_examples_md(bank["l1-code-kmeans"]).split("\n\n", 1)
    assert head == ("This question also asks you to walk through its complexity "
                    "and failure modes: write it in the answer box, and **Submit code** sends it "
                    "with the code; code alone earns 75 of 100 at most.")
    assert rest.startswith("**Examples** (")
    assert "and **Grade my answer** sends it" in code_examples_md(bank["l1-code-kmeans"],
                                                                   "**Grade my answer**")
    assert coding_brief(bank["l1-code-precision-recall-f1"]).endswith(
        "\n\nThis question also asks you to explain the edge cases: write it before the "
        "```python block, in the same answer; code alone earns 75 of 100 at most.")
    for q in (bank["l1-code-max-subarray"], bank["l1-code-top-k-words"]):
        assert code_examples_md(q).startswith("**Examples** (")
        assert "also asks" not in coding_brief(q)


def test_examples_that_call_the_tests_helpers_show_them():
    # walk25: K-Means' examples call make_blobs and same_partition, defined nowhere a candidate
    # could see, in the app and the terminal; examples that call none show none.
    from interviewer.bank import default_bank
    from interviewer.cli.interview import coding_brief
    from interviewer.coding_answer import HELPERS_SAID
    from interviewer.ui.render import code_examples_md

    bank = default_bank()
    kmeans = bank["l1-code-kmeans"]
    helpers = kmeans.coding.helpers.rstrip()
    assert "def make_blobs(" in helpers and "def same_partition(" in helpers
    assert code_examples_md(kmeans).endswith(f"{HELPERS_SAID}\n\n```python\n{helpers}\n```")
    brief = coding_brief(kmeans)
    assert brief.index("assert same_partition(") < brief.index(HELPERS_SAID) < brief.index(
        "def make_blobs(")
    shown = [q.id for q in bank.values() if q.coding and HELPERS_SAID in code_examples_md(q)]
    assert shown == ["l1-code-kmeans"]  # the others' helpers serve only the hidden tests
    assert all(HELPERS_SAID not in coding_brief(bank[i]) for i in ("l1-code-max-subarray",
                                                                  "l1-code-chunked-mean"))


def test_the_help_names_environment_variables_only_to_whoever_runs_the_app():
    # A candidate on a server with logins cannot set the operator's environment.
    from types import SimpleNamespace

    from interviewer.ui.setup import mode_note

    problem = "LLM mode is off: set INTERVIEWER_MODE=llm and OPENAI_BASE_URL / OPENAI_API_KEY"

    def note(auth):
        settings = SimpleNamespace(mode="offline", auth=auth)
        ctx = SimpleNamespace(settings=settings, llm_available=False, llm_problem=problem)
        return mode_note(ctx)  # type: ignore[arg-type]

    assert "INTERVIEWER\\_MODE" in note(None)  # run locally: the candidate is the operator
    served = note("ana:pw")
    assert "INTERVIEWER" not in served and "OPENAI" not in served
    assert served.endswith("LLM mode is not set up on this server.")


def test_the_progress_charts_side_by_side_share_one_time_axis():
    # walk40: the rounds chart (interviews and practice) ran 22:28-22:36 and the criteria
    # chart beside it (interviews only) 22:23-22:41: each had its own time range, so one
    # moment sat at two places.
    from interviewer.config import Settings
    from interviewer.models import SessionInfo, SessionSettings
    from interviewer.store import Store
    from interviewer.ui import history
    from interviewer.ui.context import AppContext
    from tests.test_store import make_turn

    settings = Settings.from_env()
    ctx = AppContext(settings=settings, store=Store(settings=settings), bank={},
                     llm_problem=None)  # fmt: skip
    t0 = 1.7e9
    interview = ctx.store.create_session(SessionInfo(round="L1", created_at=t0))
    ctx.store.save_turn(interview.id, make_turn(0, overall=70, scores=(4, 3, 3, 4)))
    interview.status = "finished"
    ctx.store.update_session(interview)
    for minutes in (40, 90):  # practice sittings after it: on the rounds chart only
        drill = ctx.store.create_session(SessionInfo(
            round="L1", created_at=t0 + minutes * 60, settings=SessionSettings(practice=True)))
        ctx.store.save_turn(drill.id, make_turn(0, overall=50))
    with gr.Blocks():
        ui = history.build_progress(ctx)
    out = ui.refresh(None)  # (the data step: each plot's range in ui.ranges)
    shown = [r for p, r in zip(ui.plots, out[ui.ranges], strict=True)
             if out[p].get("visible")]  # the criteria chart (L1) and the rounds chart
    assert len(shown) == 2 and shown[0] == shown[1], shown
    lo, hi = shown[0]
    assert lo < t0 and t0 + 90 * 60 < hi
    ctx.store.close()
