"""The terminal's end-of-interview report: a failed hidden test's code as lines of Python, and a
line naming where each answer's feedback is. Real sandbox runs, real SQLite."""

from __future__ import annotations

import textwrap

from interviewer.bank import default_bank
from interviewer.cli import main
from interviewer.report_render import TEST_LINES_SHOWN, code_lines_shown
from tests.coding.test_probe_stopped_tests import ROC_PAIRS


def _only_coding_question(monkeypatch, qid: str) -> None:
    """The CLI's bank with one coding question, ``qid`` (the rest as built in)."""
    bank = {k: v for k, v in default_bank().items() if v.coding is None or k == qid}
    monkeypatch.setattr("interviewer.bank.bank_for", lambda settings: bank)


def test_a_failed_tests_code_is_printed_as_python_and_the_feedback_is_pointed_to(
    tmp_path, capsys, monkeypatch
):
    # A walk-through (feedback at the end): "failed one_class_raises (...): for y in ([1, 1, 1],
    # [0, 0]): try: roc_auc(...) except ValueError: continue raise AssertionError(...)", and the
    # per-answer feedback never shown.
    _only_coding_question(monkeypatch, "l1-code-roc-auc")
    fenced = ("I compare every positive with every negative and count wins, ties as half.\n"
              f"```python\n{ROC_PAIRS}```")  # fmt: skip
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(["I am not sure.", fenced]) + "\n")
    assert main(["interview", "--round", "L1", "--questions", "2", "--feedback", "end",
                 "--follow-ups", "0", "--answers-file", str(answers)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    report = out[out.index("REPORT"):].splitlines()
    q = default_bank()["l1-code-roc-auc"].coding
    for name in ("one_class_raises", "large_200k_with_ties"):
        test = next(t for t in q.hidden_tests if t.name == name)
        kind = {"edge": "an edge case", "large": "a large input"}[test.kind]
        # (and what the test catches, its ``why``, after its kind)
        at = next(i for i, line in enumerate(report)
                  if line.startswith(f"      failed {name} ({kind}; "))  # fmt: skip
        block = "\n".join(f"        {line}" for line in test.code.strip().splitlines())
        # the test's lines as they are, under its error (and its error's wrapped lines)
        assert block in "\n".join(report[at:]), out
        compile(textwrap.dedent(block), name, "exec")  # Python, as printed
    assert "        for y in ([1, 1, 1], [0, 0]):\n            try:\n" in out
    # The report ends pointing at each answer's feedback, which `transcripts show` prints.
    session = next(line for line in out.splitlines() if line.startswith("(session "))[9:-1]
    assert report[-1] == ("Each answer's feedback (what landed, what was missing and why, each "
                          f"key point): mock-interview transcripts show {session}")  # fmt: skip
    assert main(["transcripts", "show", session]) == 0
    shown = capsys.readouterr().out
    assert "Feedback" in shown and "one_class_raises" in shown


def test_a_long_failed_test_shows_its_first_assertion_as_a_line_of_python():
    long = next(t for q in default_bank().values() if q.coding for t in q.coding.hidden_tests
                if len(t.code.strip().splitlines()) > TEST_LINES_SHOWN)  # fmt: skip
    [line] = code_lines_shown(long.code)
    assert line.startswith(("assert ", "raise ")) and "# the first assertion of a test of " in line
    compile(line, long.name, "exec")
    short = "for x in (1, 2):\n    assert x\n"
    assert code_lines_shown(short) == ["for x in (1, 2):", "    assert x"]
