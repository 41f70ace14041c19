"""`mock-interview grade` validates every input line: wrong types, a string for a list, a huge
line or a lone surrogate end in one line naming the line and the field, never a traceback."""

from __future__ import annotations

import json
import time

import pytest

from interviewer.cli import main

GOOD = {"question": "What is a feature store?", "answer": "It serves features."}


@pytest.mark.parametrize(
    "line, expected",
    [
        ({**GOOD, "rubric": {"key_points": "abc"}}, "'rubric.key_points': should be a list, not \"abc\""),
        (
            {**GOOD, "answer": 5, "reference_answer": "r"},
            "'answer': should be a string, not 5 (text goes in double quotes)",
        ),
        ({**GOOD, "question": ["q"], "reference_answer": "r"}, "'question': should be a string, not [\"q\"]"),
        ({**GOOD, "rubric": [{"point": "x", "weight": "3"}]}, "'rubric.0.weight': should be an integer, not \"3\" (in quotes it is "
         "text: write the number without them)"),
        ({**GOOD, "rubric": {"key_points": [{"pont": "x"}]}}, "'rubric.key_points.0.point' is"),
        ({**GOOD, "reference_answer": "r", "score": "high"}, "'score': should be a number, not \"high\""),
        ({**GOOD, "rubric": {"key_points": []}}, "'rubric.key_points': List should have at least"),
        ({**GOOD, "rubric": {"key_points": ["k"] * 101}},
         "'rubric.key_points': 101 items, over the 100 it may have"),
        ({"answer": "a", "reference_answer": "r"}, "'question' (a string) or 'question_id'"),
        # in the app's words (walk41 read pydantic's "String should have at most 8000 ...")
        ({**GOOD, "answer": "x" * 8001, "reference_answer": "r"},
         "'answer': 8,001 characters, over the 8,000 it may have"),
        ([1, 2], "each line must be a JSON object"),
        ({**GOOD, "reference_answer": 42}, "'reference_answer': should be a string or a list"),
        ({**GOOD, "reference_answer": "r", "id": [1]}, "'id': should be a string or an integer"),
        # walk57 read pydantic's "'answer': Input should be a valid string"
        ({**GOOD, "answer": True, "reference_answer": "r"},
         "'answer': should be a string, not true (text goes in double quotes)"),
        ({**GOOD, "reference_answer": "r", "score": "0.5"},
         "'score': should be a number, not \"0.5\" (in quotes it is text: write the number"),
    ],
    ids=[
        "string-for-list",
        "int-answer",
        "list-question",
        "string-weight",
        "misspelt-field",
        "string-label",
        "empty-key-points",
        "too-many-key-points",
        "no-question",
        "answer-too-long",
        "not-an-object",
        "number-reference",  # a union's value of none of its types names them all (walk17)
        "list-id",
        "bool-answer",
        "quoted-label",
    ],
)
def test_a_bad_field_is_named_with_its_line(tmp_path, capsys, line, expected):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({**GOOD, "reference_answer": "r"}) + "\n\n" + json.dumps(line))
    assert main(["grade", "--input", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"in.jsonl:3: {expected}" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_lone_surrogate_is_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    path.write_text('{"question": "q", "answer": "\\ud800", "reference_answer": "r"}\n')
    assert main(["grade", "--input", str(path)]) == 2
    err = capsys.readouterr().err
    assert "in.jsonl:1: not valid JSON (a lone surrogate" in err
    assert len(err.strip().splitlines()) == 1


def test_a_50_mb_line_is_refused_at_once(tmp_path, capsys):
    path = tmp_path / "huge.jsonl"
    with path.open("w") as f:
        f.write(json.dumps({**GOOD, "reference_answer": "r"}) + "\n")
        f.write('{"question": "q", "reference_answer": "r", "answer": "')
        f.write("word " * 10_000_000)
        f.write('"}\n')
    started = time.monotonic()
    assert main(["grade", "--input", str(path)]) == 2
    assert time.monotonic() - started < 5  # it took 53 s and 5.3 GB before
    err = capsys.readouterr().err
    assert "huge.jsonl:2: line is longer than 1024 KB" in err


def test_a_rubric_given_as_a_list_still_grades(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    rows = [
        {**GOOD, "id": "a", "rubric": ["serves the same features online and offline"]},
        {
            **GOOD,
            "id": 7,
            "rubric": {
                "key_points": [{"point": "one definition for training and serving", "weight": 2}],
                "red_flags": ["it is a database of labels"],
            },
            "unknown_field": "ignored",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["grade", "--input", str(path)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", 7] and all(0 <= o["score"] <= 1 for o in out)


def test_a_red_flag_in_the_banks_form_says_why_it_is_wrong(tmp_path, capsys):
    # walk53: {"claim", "why"}, as the bank writes a red flag, was refused with "Input should be
    # a valid string"; the why is what the feedback says of the claim
    from tests.test_grader import SEASONS_RUBRIC

    why = "Earth is closest to the Sun in January, in the northern winter."
    flag = {"claim": SEASONS_RUBRIC["red_flags"][0], "why": why}
    row = {"id": "w", "question": "What causes the seasons on Earth?",
           "answer": "Seasons happen because Earth's orbit is an ellipse: in summer we are much "
                     "closer to the Sun and in winter much farther away.",
           "rubric": {**SEASONS_RUBRIC, "red_flags": [flag]}}  # fmt: skip
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "id": "bad", "rubric": {
        **SEASONS_RUBRIC, "red_flags": [{"claim": "x", "because": "y"}]}}) + "\n")
    assert main(["grade", "--input", str(path)]) == 2  # an unknown field is named
    assert "in.jsonl:2:" in capsys.readouterr().err
    path.write_text(json.dumps(row) + "\n")
    assert main(["grade", "--input", str(path)]) == 0
    [out] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert out["verdict"] == "incorrect" and any(f.startswith("red flag") for f in out["flags"])
    assert why in out["feedback"]


def test_every_refused_line_is_named_at_once_and_nothing_is_graded(tmp_path, capsys):
    # walk28 fixed a file of eight bad lines in eight runs: one line was said each time
    path, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    good = {**GOOD, "reference_answer": "It serves the same features to training and serving."}
    lines = [
        json.dumps(good),
        json.dumps({"question": "q", "reference_answer": "r"}),  # no answer
        '{"question": "q", "answer": "a", ',  # cut short
        json.dumps(good),
        json.dumps({"question": "q", "answer": "a"}),  # nothing to grade against
        json.dumps({**good, "score": 7}),  # off the label scale
    ]
    path.write_text("\n".join(lines) + "\n")
    assert main(["grade", "--input", str(path), "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].endswith("in.jsonl: 4 lines refused; nothing was graded"), err
    assert [e.split("in.jsonl:")[1].split(":")[0] for e in err[1:]] == ["2", "3", "5", "6"]
    assert "'answer' is required" in err[1]
    # the parser's position in the line's own terms, not "line 2 column 0" (read as the file's)
    assert err[2].endswith("not valid JSON (EOF while parsing a value at the end of the line)")
    # walk56 read "expected ident": a bare word, in a person's words, with what to do
    path.write_text('{"question": "q", "reference_answer": "r", "answer": yes}\n')
    assert main(["grade", "--input", str(path)]) == 2
    said = capsys.readouterr().err
    assert ("in.jsonl:1: not valid JSON (no value, or a word with no quotes, at character 54 of "
            "the line; text goes in double quotes, and only true, false and null go without "
            "them)") in said, said
    # walk29: an unclosed string read "control character (\u0000-\u001F) found while parsing a
    # string at the end of the line": the control character is the line's newline
    path.write_text('{"question": "q", "answer": "a, "reference_answer": "r"}\n'
                    '{"question": "q", "answer": "never closed}\n')
    assert main(["grade", "--input", str(path)]) == 2
    said = capsys.readouterr().err
    assert "in.jsonl:2: not valid JSON (a string is not closed: its closing quote is missing" in said
    assert "control character" not in said
    assert "needs a rubric or a reference_answer" in err[3] and "'score' 7" in err[4]
    assert not out.exists()
    # one refused line is said alone, as before
    path.write_text(json.dumps(good) + "\n" + lines[2] + "\n")
    assert main(["grade", "--input", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "in.jsonl:2: not valid JSON" in err[0]


def test_a_refused_long_line_does_not_hide_the_lines_after_it(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    with path.open("w") as f:
        f.write('{"question": "q", "reference_answer": "r", "answer": "' + "word " * 300_000 + '"}\n')
        f.write('{"question": "q", "answer": 5, "reference_answer": "r"}\n')
    assert main(["grade", "--input", str(path)]) == 2
    err = capsys.readouterr().err
    assert "in.jsonl:1: line is longer than 1024 KB" in err
    assert "in.jsonl:2: 'answer': should be a string, not 5 (text goes in double quotes)" in err


def test_an_open_string_is_said_whatever_ends_the_line_and_an_empty_rubric_list_is_refused(
        tmp_path, capsys):  # fmt: skip
    # review: a CRLF line's carriage return, and a last line with no newline, still read
    # "control character ..." and "EOF while parsing a string"; "rubric": [] was a traceback
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"question": "q", "answer": "never closed}\r\n'
                     b'{"question": "q", "rubric": [], "answer": "a"}\n'
                     b'{"question": "q", "answer": "tab\there", "reference_answer": "r"}\n'
                     b'{"question": "q", "answer": "last')
    assert main(["grade", "--input", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    unclosed = "not valid JSON (a string is not closed: its closing quote is missing"
    assert unclosed in err[1] and unclosed in err[4], err
    assert "in.jsonl:2: 'rubric': List should have at least 1 item" in err[2]
    # a raw tab inside a string is a control character indeed, and is said where it is
    assert "in.jsonl:3: not valid JSON (control character" in err[3] and "at character" in err[3]
