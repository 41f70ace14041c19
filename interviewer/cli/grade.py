"""`mock-interview grade`: grade a JSONL file of answers, and agree them with its labels."""

from __future__ import annotations

import codecs
import contextlib
import json
import math
import re
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from interviewer.cli.common import READ_ERRORS, check_writable, finite_number
from interviewer.config import Settings
from interviewer.errors import GradeInputError, UsageError
from interviewer.markup import num
from interviewer.models import MAX_ANSWER_CHARS


def register(sub) -> None:
    """Add the grade sub-command."""
    p = sub.add_parser("grade", help="grade answers from a JSONL file")
    p.add_argument(
        "--input",
        type=Path,
        required=True,
        help='JSONL: {"id"?, "question", "answer", "reference_answer"? (text or list of '
        'points), "rubric"?, "question_id"?, "examples"? ([{"answer", "score" in 0-1}], used '
        'from 5 on), "score"? (a label)}',
    )
    p.add_argument("--output", type=Path, help="write graded JSONL here (default: stdout)")
    p.add_argument(
        "--labels-min",
        type=finite_number(),
        default=1.0,
        help="bottom of the label scale of 'score' in the input (default 1)",
    )
    p.add_argument(
        "--labels-max",
        type=finite_number(),
        default=5.0,
        help="top of the label scale of 'score' in the input (default 5)",
    )
    p.set_defaults(handler=cmd_grade)


# A line of `grade` input: a 50 MB line once took 53 s and 5.3 GB, so lines are capped before
# they are parsed, and every field is checked (type, size) so bad input fails in one line.
MAX_GRADE_LINE_BYTES = 1024 * 1024
MAX_GRADE_TEXT = 20_000  # characters of a question, a reference answer or a rubric text


class _KeyPointIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str | None = Field(None, min_length=1, max_length=100)
    point: str = Field(min_length=1, max_length=MAX_GRADE_TEXT)
    weight: int = Field(1, ge=1, le=10)
    criterion: Literal["depth", "problem_solving", "engineering", "communication"] = "depth"
    paraphrases: list[str] = Field(default_factory=list, max_length=50)


class _RedFlagIn(BaseModel):
    """A red flag as the bank writes one: the wrong claim and why it is wrong (walk53's, in the
    bank's form, was refused as "Input should be a valid string")."""

    model_config = ConfigDict(extra="forbid", strict=True)

    claim: str = Field(min_length=1, max_length=MAX_GRADE_TEXT)
    why: str = Field("", max_length=MAX_GRADE_TEXT)


class _RubricIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    key_points: list[str | _KeyPointIn] = Field(min_length=1, max_length=100)
    red_flags: list[str | _RedFlagIn] = Field(default_factory=list, max_length=100)
    model_answer: str = Field("", max_length=MAX_GRADE_TEXT)


class _ExampleIn(BaseModel):
    """A graded answer to the same question (the exemplar path)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    answer: str = Field(max_length=MAX_ANSWER_CHARS)
    score: float = Field(ge=0, le=1)


class _GradeLine(BaseModel):
    """One input line of `mock-interview grade` (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    id: str | int | None = None
    question: str | None = Field(None, max_length=MAX_GRADE_TEXT)
    question_id: str | None = Field(None, min_length=1, max_length=200)
    answer: str = Field(max_length=MAX_ANSWER_CHARS)
    reference_answer: (
        str | list[Annotated[str, Field(min_length=1, max_length=MAX_GRADE_TEXT)]] | None
    ) = Field(None, max_length=MAX_GRADE_TEXT)
    rubric: _RubricIn | Annotated[list[str | _KeyPointIn], Field(min_length=1)] | None = None
    examples: list[_ExampleIn] | None = Field(None, max_length=1000)
    score: float | None = None  # a label, on the scale of --labels-max

    @model_validator(mode="after")
    def _needs_a_question(self):
        if not self.question_id and not (self.question and self.question.strip()):
            raise ValueError("'question' (a string) or 'question_id' is required")
        from interviewer.grading.decide import MIN_EXAMPLES

        if self.examples is not None and 0 < len(self.examples) < MIN_EXAMPLES:
            # (fewer were graded on the reference alone without a word: a walk-through's 4)
            raise ValueError(f"'examples': {len(self.examples)} given; graded exemplars are used "
                             f"from {MIN_EXAMPLES} on (give at least {MIN_EXAMPLES}, or none)")
        return self


# What a union's member types are called in a message (a union's value of none of its types).
_TYPE_SAID = {"string_type": "a string", "list_type": "a list", "int_type": "an integer",
              "float_type": "a number", "model_type": "an object", "dict_type": "an object",
              "bool_type": "true or false"}  # fmt: skip


def _validation_reason(exc: ValidationError, raw: bytes) -> str:
    """The most specific problem pydantic found, as 'field: message'."""
    errors = exc.errors(include_url=False)
    # A value of none of a union's types: every type it may be (walk17 read "'reference_answer':
    # Input should be a valid string" for a number, where a list of points is also taken).
    fields = {e["loc"][0] for e in errors if e["loc"]}
    if (len(errors) > 1 and len(fields) == 1 and all(len(e["loc"]) == 2 for e in errors)
            and all(e["type"] in _TYPE_SAID for e in errors)):  # fmt: skip
        said = list(dict.fromkeys(_TYPE_SAID[e["type"]] for e in errors))
        return f"'{fields.pop()}': should be {', '.join(said[:-1])} or {said[-1]}"
    # of a union's members, the deepest, and of those one whose type matched (`"rubric": []`
    # is a list with no point, not a dict that should have been an object)
    err = max(errors, key=lambda e: (len(e["loc"]), e["type"] not in _TYPE_SAID))
    if err["type"] == "json_invalid":
        if re.search(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", raw):
            return "not valid JSON (a lone surrogate escape such as \\ud800 is not a character)"
        return f"not valid JSON ({_json_error(err['ctx'].get('error', err['msg']), raw)})"
    if err["type"] == "model_type" and not err["loc"]:
        return "each line must be a JSON object"
    # Union members add their type name to the location; the user knows only the field names.
    loc = [str(x) for x in err["loc"] if not str(x)[:1].isupper() and "[" not in str(x)]
    loc = [x for x in loc if x not in ("str", "int", "list", "_KeyPointIn", "_RubricIn")]
    field = ".".join(loc)
    if err["type"] == "missing" and field:
        return f"'{field}' is required"
    if err["type"] in ("string_too_long", "too_long"):  # in the app's words, not pydantic's
        # (walk41 read "'answer': String should have at most 8000 characters")
        unit = "characters" if err["type"] == "string_too_long" else "items"
        given = err.get("input")
        size = f"{len(given):,} {unit}" if hasattr(given, "__len__") else "too long"
        return f"'{field}': {size}, over the {err['ctx']['max_length']:,} it may have"
    if err["type"] in _TYPE_SAID and field:  # (walk57 read "Input should be a valid string")
        given = err.get("input")
        return f"'{field}': should be {_TYPE_SAID[err['type']]}, not {_given(given)}" + (
            _QUOTES_SAID.get((err["type"], _numeric(given)), ""))
    msg = err["msg"].removeprefix("Value error, ")
    return f"'{field}': {msg}" if field else msg


# Why a value of the wrong type was one: by the type expected, and whether the value given is
# a number, or text that reads as one
_QUOTES_SAID = {("string_type", "number"): " (text goes in double quotes)",
                ("int_type", "text"): " (in quotes it is text: write the number without them)",
                ("float_type", "text"): " (in quotes it is text: write the number without them)"}


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


def _numeric(value) -> str:
    """"number" for a JSON number or true/false, "text" for a string that reads as a JSON
    number once its quotes go ("1_000" and "١٢" do not)."""
    if isinstance(value, (bool, int, float)):
        return "number"
    return "text" if isinstance(value, str) and _JSON_NUMBER.fullmatch(value.strip()) else ""


def _given(value) -> str:
    """A value as the line wrote it, shortened."""
    said = json.dumps(value, ensure_ascii=False, default=str)
    return said if len(said) <= 40 else said[:37] + "..."


MAX_PROBLEMS_SAID = 20  # a file's refused lines said at once; past this, how many more


def refuse(path: Path, problems: list[tuple[int, str]]) -> None:
    """Refuse the input when any line is refused, naming every refused line (walk28 fixed a
    file of eight bad lines in eight runs, one line said each time); nothing is graded."""
    if not problems:
        return
    said = [f"{path}:{n}: {why}" for n, why in problems[:MAX_PROBLEMS_SAID]]
    if len(problems) > MAX_PROBLEMS_SAID:
        said.append(f"... and {len(problems) - MAX_PROBLEMS_SAID} more refused lines")
    if len(problems) > 1:
        said.insert(0, f"{path}: {len(problems)} lines refused; nothing was graded")
    raise UsageError("\n".join(said))


UNCLOSED = "a string is not closed: its closing quote is missing before the end of the line"


# The parser's words for a bare word or a missing value, as a person reads them
_JSON_JARGON = {"expected ident": "a word with no quotes",
                "expected value": "no value, or a word with no quotes,"}
QUOTED = "; text goes in double quotes, and only true, false and null go without them"


def _json_error(msg: str, raw: bytes) -> str:
    """The JSON parser's message with its position in the line's own terms: each line is parsed
    alone, so its "line 2 column 0" (walk28: read as the file's line 2) is the line's end, and
    a string still open there is said to be (walk29 read "control character (\u0000-\u001F)
    found", the line's own newline; a CRLF line's carriage return, and a last line with no
    newline, "EOF while parsing a string")."""
    m = re.search(r" at line (\d+) column (\d+)$", msg)
    if not m:
        return msg
    advice = ""
    for jargon, said in _JSON_JARGON.items():  # (walk56 read "expected ident")
        if msg.startswith(jargon):
            msg, advice = said + msg[len(jargon) :], QUOTED
            m = re.search(r" at line (\d+) column (\d+)$", msg)
            break
    body = raw.rstrip(b"\r\n").decode("utf-8", "replace")
    at_end = int(m[1]) > 1 or int(m[2]) > len(body)
    if msg.startswith("EOF while parsing a string") or (msg.startswith("control character")
                                                        and at_end):  # fmt: skip
        return UNCLOSED
    where = " at the end of the line" if at_end else f" at character {m[2]} of the line"
    return msg[: m.start()] + where + advice


def _read_grade_input(path: Path, problems: list[tuple[int, str]]) -> list[dict]:
    """Validated input lines (each a dict with its line number under ``_line``); each refused
    line's number and why go to ``problems``."""
    rows = []
    try:
        f = path.open("rb")
    except OSError as exc:  # in words, as read_text says it (walk23 read "(FileNotFoundError)")
        why = READ_ERRORS.get(type(exc), exc.__class__.__name__)
        raise UsageError(f"{path}: cannot read answers ({why})") from None
    with f:
        n = 0
        while True:
            raw = f.readline(MAX_GRADE_LINE_BYTES + 1)
            if not raw:
                break
            n += 1
            if len(raw) > MAX_GRADE_LINE_BYTES and not raw.endswith(b"\n"):
                problems.append((n, f"line is longer than {MAX_GRADE_LINE_BYTES // 1024} KB "
                                    f"(an answer is at most {MAX_ANSWER_CHARS} characters)"))
                while raw and not raw.endswith(b"\n"):  # the rest of it, never held whole
                    raw = f.readline(MAX_GRADE_LINE_BYTES)
                continue
            if n == 1 and raw.startswith(codecs.BOM_UTF8):  # as Notepad saves UTF-8 (walk50:
                raw = raw[len(codecs.BOM_UTF8) :]  # "not valid JSON ... at character 1")
            elif n == 1 and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise UsageError(f"{path}: UTF-16 text; save it as UTF-8 (JSON Lines are UTF-8)")
            if not raw.strip():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append((n, f"not UTF-8 text (byte {exc.start + 1} of the line); save "
                                    "the file as UTF-8"))  # fmt: skip
                continue
            try:
                line = _GradeLine.model_validate_json(raw)
            except ValidationError as exc:
                problems.append((n, _validation_reason(exc, raw)))
                continue
            row = line.model_dump(exclude_none=True)
            if isinstance(row.get("rubric"), dict | list):
                row["rubric"] = _rubric_dict(line.rubric)
            row["_line"] = n
            rows.append(row)
    if not rows and not problems:
        raise UsageError(f"{path}: no answers in it")
    return rows


def _rubric_dict(rubric) -> dict:
    """The rubric as ``Rubric.from_dict`` reads it (defaults left to it)."""
    if isinstance(rubric, list):
        rubric = _RubricIn(key_points=rubric)
    points = [
        kp if isinstance(kp, str) else kp.model_dump(exclude_none=True) for kp in rubric.key_points
    ]
    return {
        "key_points": points,
        "red_flags": [rf if isinstance(rf, str) else rf.model_dump() for rf in rubric.red_flags],
        "model_answer": rubric.model_answer,
    }


def cmd_grade(args, settings: Settings) -> int:
    """Grade a JSONL file of answers; agreement with labels when they carry one."""
    from interviewer.bank import bank_for
    from interviewer.grading.grader import default_grader, make_rubric

    if args.labels_max <= args.labels_min:
        raise UsageError("--labels-max must be above --labels-min")
    if args.output is not None:  # before any grading: a refused output loses no work
        _check_output(args.input, args.output)
    problems: list[tuple[int, str]] = []
    rows = _read_grade_input(args.input, problems)
    bank = bank_for(settings)
    items = []
    for row in rows:
        label = row.get("score")
        if label is not None and not args.labels_min <= label <= args.labels_max:
            problems.append((row["_line"], f"'score' {num(label)} is not on the label scale "
                             f"{num(args.labels_min)}..{num(args.labels_max)} (--labels-min, "
                             "--labels-max)"))  # fmt: skip
            continue
        qid = row.get("question_id")
        try:
            if qid:
                if qid not in bank:
                    raise GradeInputError(f"unknown question_id {qid!r}")
                rubric = bank[qid].rubric()
            else:
                rubric = make_rubric(
                    row["question"], row.get("rubric"), row.get("reference_answer")
                )
        except GradeInputError as exc:
            problems.append((row["_line"], str(exc)))
            continue
        examples = row.get("examples")
        items.append((rubric, row["answer"], examples) if examples else (rubric, row["answer"]))
    refuse(args.input, sorted(problems))
    grades = default_grader(settings).grade_many(items)

    out_lines = []
    for n, (row, g) in enumerate(zip(rows, grades, strict=True), 1):
        d = g.to_dict()
        out_lines.append(
            json.dumps(
                {
                    "id": row.get("id", n),
                    "score": d["score"],
                    "verdict": d["verdict"],
                    "overall": d["overall"],
                    "label": g.label,
                    "criteria": d["criteria"],
                    "covered": d["covered"],
                    "missed": d["missed"],
                    "flags": d["flags"],
                    "feedback": d["feedback"],
                },
                ensure_ascii=False,
            )
        )
    text = "\n".join(out_lines) + "\n"
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:  # checked before grading, but a disk can still fill up
            raise UsageError(f"{args.output}: cannot write graded answers "
                             f"({exc.strerror or exc.__class__.__name__})") from None  # fmt: skip
    else:
        sys.stdout.write(text)

    labelled = [
        (row["score"], g)
        for row, g in zip(rows, grades, strict=True)
        if isinstance(row.get("score"), int | float)
    ]
    if labelled:
        from interviewer.evaluation.metrics import agreement, score_metrics

        # Labels onto [0, 1] as the eval does: a 1-5 label l is (l - 1) / 4.
        span = args.labels_max - args.labels_min
        labels = [min(1.0, max(0.0, (float(s) - args.labels_min) / span)) for s, _ in labelled]
        preds = [g.score for _, g in labelled]
        summary = _nulls({**agreement(labels, preds), "on_0_1": score_metrics(labels, preds)})
        said = {"agreement": summary, "n": len(labelled)}
        if summary["spearman"] is None or summary["pearson"] is None:
            said["note"] = _no_correlation(labels, preds)
        print(json.dumps(said, allow_nan=False), file=sys.stderr)
    return 0


def _check_output(source: Path, output: Path) -> None:
    """Refuse an --output that is the --input (under any name: a symlink, ./in.jsonl, a hard
    link), whose writing would lose the answers, or one that cannot be written."""
    with contextlib.suppress(OSError):  # either missing: not one file
        if output.samefile(source):
            raise UsageError(
                f"--output {output} is the --input file: writing it would overwrite the answers "
                "(write the grades to another file)"
            )
    check_writable(output, "graded answers")


def _nulls(obj):
    """NaN (a metric undefined on these answers) as None: JSON has no NaN, and a reader of the
    agreement line choked on ``"spearman": NaN``."""
    if isinstance(obj, dict):
        return {k: _nulls(v) for k, v in obj.items()}
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def _no_correlation(labels: list[float], preds: list[float]) -> str:
    """Why Spearman and Pearson are null, in words (``metrics._corr``'s conditions)."""
    if len(labels) < 2:
        return (
            "spearman, pearson and qwk are null: they need at least 3 labelled answers (qwk "
            "2), and the input has 1"
        )
    if len(labels) < 3:
        why = f"they need at least 3 labelled answers, and the input has {len(labels)}"
    elif len(set(labels)) == 1:
        why = "every label is the same"
    else:
        why = "every grade is the same"
    return f"spearman and pearson are null: {why}"
