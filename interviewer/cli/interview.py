"""`mock-interview interview` and `mock-interview grade`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from interviewer.cli.common import print_json, read_text
from interviewer.config import Settings
from interviewer.errors import GradeInputError, UsageError


def register(sub) -> None:
    """Add the interview and grade sub-commands."""
    p = sub.add_parser("interview", help="sit a mock interview in the terminal")
    p.add_argument("--round", choices=["L1", "L2", "full"], default="L1")
    p.add_argument("--questions", type=int, default=3, help="questions per round (default 3)")
    p.add_argument(
        "--feedback",
        choices=["each", "end"],
        default="each",
        help="feedback after each answer (practice) or only at the end (real)",
    )
    p.add_argument("--follow-ups", type=int, default=1, help="follow-up probes per question")
    p.add_argument("--mode", choices=["offline", "llm", "local"], help="default: INTERVIEWER_MODE")
    p.add_argument(
        "--answers-file",
        type=Path,
        help="one answer per line; a line /hint, /repeat, /skip or /end is a command",
    )
    p.add_argument("--json", action="store_true", help="print the final report as JSON")
    p.add_argument("--resume", metavar="SESSION_ID", help="resume an unfinished session")
    p.add_argument("--seed", type=int, help="fix question choice (reproducible runs)")
    p.add_argument("--user", help="user id (default: INTERVIEWER_USER)")
    p.set_defaults(handler=cmd_interview)

    p = sub.add_parser("grade", help="grade answers from a JSONL file")
    p.add_argument(
        "--input",
        type=Path,
        required=True,
        help='JSONL: {"id"?, "question", "answer", "reference_answer"?, "rubric"?, '
        '"question_id"?, "score"? (a label)}',
    )
    p.add_argument("--output", type=Path, help="write graded JSONL here (default: stdout)")
    p.add_argument(
        "--labels-max",
        type=float,
        default=5.0,
        help="top of the label scale of 'score' in the input (default 5)",
    )
    p.set_defaults(handler=cmd_grade)


def _answers(path: Path):
    text = read_text(path, "answers file")
    yield from (line.replace("\\n", "\n") for line in text.splitlines())


def cmd_interview(args, settings: Settings) -> int:
    """Sit an interview in the terminal (or from an answers file)."""
    from dataclasses import replace

    from interviewer.bank import bank_for
    from interviewer.interview import Interview, InterviewError
    from interviewer.llm.factory import make_engine
    from interviewer.store import open_store

    user = args.user or settings.user
    if args.mode:
        settings = replace(settings, mode=args.mode)
    bank = bank_for(settings)
    engine = make_engine(settings)
    if settings.mode != "offline":  # LLM questions are grounded in the guide's passages
        from interviewer import knowledge

        knowledge.ensure_builtin(settings=settings)
    store = open_store(settings)
    quiet = args.json
    out = sys.stderr if quiet else sys.stdout

    def say(text: str) -> None:
        print(f"\n{text}", file=out, flush=True)

    if args.resume:
        interview, reply = Interview.resume(
            store, args.resume, user_id=user, engine=engine, bank=bank
        )
    else:
        interview = Interview(
            round=args.round,
            questions=args.questions,
            feedback=args.feedback,
            follow_ups=args.follow_ups,
            engine=engine,
            bank=bank,
            store=store,
            user_id=user,
            seed=args.seed,
        )
        reply = interview.start()
    say(reply.text)
    say(f"(session {interview.info.id})")

    source = _answers(args.answers_file) if args.answers_file else None
    while not interview.done:
        if source is not None:
            line = next(source, None)
            if line is None:
                say(
                    f"Answers file ended; session {interview.info.id} is saved. Resume with "
                    f"`mock-interview interview --resume {interview.info.id}`."
                )
                break
            if not quiet:
                print(f"> {line}", file=out)
        else:
            try:
                line = input("> ")
            except EOFError:
                say(f"Session {interview.info.id} saved; resume with --resume {interview.info.id}.")
                break
        try:
            reply = interview.answer(line)
        except InterviewError as exc:
            say(f"! {exc}")
            continue
        say(reply.text)
    if args.json:
        print_json(
            {
                "session": interview.info.id,
                "status": interview.info.status,
                "report": interview.report().model_dump(),
            }
        )
    return 0


def _read_grade_input(path: Path) -> list[dict]:
    lines = read_text(path, "answers").splitlines()
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise UsageError(f"{path}:{n}: each line must be a JSON object")
        if not isinstance(row.get("answer", None), str):
            raise UsageError(f"{path}:{n}: 'answer' (a string) is required")
        if not (row.get("question_id") or isinstance(row.get("question"), str)):
            raise UsageError(f"{path}:{n}: 'question' (a string) is required")
        rows.append(row)
    if not rows:
        raise UsageError(f"{path}: no answers in it")
    return rows


def cmd_grade(args, settings: Settings) -> int:
    """Grade a JSONL file of answers; agreement with labels when they carry one."""
    from interviewer.bank import bank_for
    from interviewer.grading.grader import default_grader, make_rubric

    rows = _read_grade_input(args.input)
    bank = bank_for(settings)
    items = []
    for n, row in enumerate(rows, 1):
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
            raise UsageError(f"{args.input}: answer {n}: {exc}") from None
        items.append((rubric, row["answer"]))
    grades = default_grader(settings).grade_many(items)

    out_lines = []
    for n, (row, g) in enumerate(zip(rows, grades, strict=True), 1):
        d = g.to_dict()
        out_lines.append(
            json.dumps(
                {
                    "id": row.get("id", n),
                    "score": d["score"],
                    "overall": d["overall"],
                    "label": g.label,
                    "criteria": d["criteria"],
                    "covered": d["covered"],
                    "missed": d["missed"],
                    "flags": d["flags"],
                },
                ensure_ascii=False,
            )
        )
    text = "\n".join(out_lines) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)

    labelled = [
        (row["score"], g)
        for row, g in zip(rows, grades, strict=True)
        if isinstance(row.get("score"), int | float)
    ]
    if labelled:
        from interviewer.evaluation.metrics import agreement

        if args.labels_max <= 0:
            raise UsageError("--labels-max must be positive")
        labels = [float(s) / args.labels_max for s, _ in labelled]
        preds = [g.score for _, g in labelled]
        summary = agreement(labels, preds)
        print(json.dumps({"agreement": summary, "n": len(labelled)}), file=sys.stderr)
    return 0
