"""`mock-interview questions` and `mock-interview code`: the bank, and a coding question's hidden
tests run on your own file, so you can practise in your own editor (a practice tool: an interview
runs the hidden tests once, on the code submitted, and does not point to it)."""

from __future__ import annotations

from pathlib import Path

from interviewer.cli.common import any_case, print_json, read_text
from interviewer.config import Settings
from interviewer.errors import SandboxError, UsageError
from interviewer.markup import TEST_KINDS, plural


def criterion_label(name: str, vectorise: bool) -> str:
    """A coding criterion as the app's scorecard names it: the rubric criterion it stands for,
    then what it measures ("Engineering: efficiency", not "vectorisation", for a question that
    does not ask for vectorised code)."""
    from interviewer.grading.rubric import CODE_CRITERIA, CRITERIA_SHORT, code_criterion_label

    rubric = next(c for c, n in CODE_CRITERIA.items() if n == name)
    return f"{CRITERIA_SHORT[rubric]}: {code_criterion_label(name, vectorise)}"


def failed_lines(q, failed) -> list[str]:
    """Each failed hidden test of question ``q``, as (name, kind, error), on one line: its name,
    kind and ``why`` when it is said (``coding_answer.failed_why``), then its error ("  failed
    interleaved_is_not_nested (a basic case; counting brackets ...): assertion failed: ..."), as
    `mock-interview code` and `mock-interview practice` print them."""
    from interviewer.coding_answer import failed_why

    lines = []
    for name, kind, error in failed:
        said = "; ".join(w for w in (TEST_KINDS.get(kind, kind), failed_why(q, name, error)) if w)
        lines.append(f"  failed {name} ({said}): {error}")
    return lines


def register(sub) -> None:
    """Add the questions and code sub-commands."""
    p = sub.add_parser("questions", help="list the bank's questions")
    p.add_argument("--round", choices=["L1", "L2"], type=any_case("L1", "L2"))
    p.add_argument("--kind", choices=["coding", "spoken"], type=any_case("coding", "spoken"))
    p.add_argument("--json", action="store_true", help="a JSON list of objects")
    p.set_defaults(handler=cmd_questions)

    p = sub.add_parser("code", help="practice: run a coding question's hidden tests on your file")
    p.add_argument("--question", required=True, metavar="ID", help="a coding question's id")
    p.add_argument("--file", required=True, type=Path, help="your solution (.py)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_code)


def cmd_questions(args, settings: Settings) -> int:
    """List bank questions: id, round, topic, kind, difficulty."""
    from interviewer.bank import bank_for

    rows = [
        {"id": q.id, "round": q.round, "topic": q.topic, "kind": q.kind, "difficulty": q.difficulty}
        for q in bank_for(settings).values()
        if (args.round is None or q.round == args.round)
        and (args.kind is None or q.kind == args.kind)
    ]
    if args.json:
        print_json(rows)
        return 0
    print(f"{'id':<44}{'round':<7}{'topic':<28}{'kind':<8}difficulty")
    for r in rows:
        print(f"{r['id']:<44}{r['round']:<7}{r['topic']:<28}{r['kind']:<8}{r['difficulty']}")
    return 0


def cmd_code(args, settings: Settings) -> int:
    """Grade a solution file on a coding question's hidden tests, in the sandbox."""
    from interviewer.bank import bank_for
    from interviewer.coding_answer import failed_why
    from interviewer.engine import CodeRunner

    q = bank_for(settings).get(args.question)
    if q is None:
        raise UsageError(f"no question {args.question!r} (see `mock-interview questions`)")
    if q.kind != "coding":
        raise UsageError(f"question {q.id!r} is answered in words, not code")
    code = read_text(args.file, "solution")
    result = None
    try:
        result = CodeRunner.from_settings(settings).grade(q, code)
    except SandboxError as exc:  # refused by policy: a result, not a usage error
        out = {"question": q.id, "passed": 0, "total": len(q.coding.hidden_tests),
               "failed": [], "why": {}, "score": 0.0, "verdict": "incorrect", "error": str(exc),
               "criteria": {}}  # fmt: skip
    else:
        out = {
            "question": q.id,
            "passed": result.passed,
            "total": result.total,
            "failed": [f.name for f in result.failed],
            # what each failed test catches (``CodeTest.why``), for those that say it
            "why": {f.name: why for f in result.failed
                    if (why := failed_why(q, f.name, f.error))},  # fmt: skip
            "score": round(result.overall / 100, 4),
            "verdict": result.verdict,
            "error": result.error,
            # what the score is made of, also when a test was stopped (a walk-through's timed-
            # out loop printed only the error, and --json never had them)
            "criteria": {name: {"label": criterion_label(name, q.coding.vectorise),
                                "score": c.score, "evidence": c.evidence}
                         for name, c in result.criteria.items()},  # fmt: skip
        }
    if args.json:
        print_json(out)
        return 0
    print(f"{q.id}: {out['passed']}/{plural(out['total'], 'hidden test')} passed, score "
          f"{out['score']:.2f} ({out['verdict'].replace('_', ' ')})")  # fmt: skip
    if out["error"]:
        print(f"error: {out['error']}")
    if result is not None:
        from interviewer.grading.rubric import CODE_CRITERIA

        # in the scorecard's order: Depth, Problem solving, Engineering, Communication
        for name in CODE_CRITERIA.values():
            crit = result.criteria[name]
            label = criterion_label(name, q.coding.vectorise)
            print(f"  {label:<29}{crit.score}/5  {crit.evidence}")
        # what each test catches beside its kind, as the report's terminal text says it
        for line in failed_lines(q, [(f.name, f.kind, f.error) for f in result.failed]):
            print(line)
    return 0
