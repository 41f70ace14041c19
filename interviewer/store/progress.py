"""A user's progress: the store's graded turns as lines over time (per round, practice apart),
means by topic and criterion, and the weakest topics."""

from __future__ import annotations

from interviewer.grading.rubric import CRITERIA, PASS_MARK
from interviewer.models import GUIDE_QUESTION_PREFIX, session_score, turn_score


def mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


GUIDE_PRACTICE = "guide practice"
ENDED_EARLY = " (ended early)"  # the rounds chart's series of interviews ended early: "L1 (ended early)"


def progress_line(round_name: str, practice: bool, question_id: str = "") -> str:
    """The name a session's scores go by in progress: its round, "L1 practice" for a practice
    sitting (the app's rounds chart's line; the CLI's progress rows read the same), and
    ``GUIDE_PRACTICE`` for an answer to an uploaded guide's section (``question_id``): walk20's
    rounds chart drew its guide practice on the L1 practice line, as if one measure."""
    if practice and question_id.startswith(GUIDE_QUESTION_PREFIX):
        return GUIDE_PRACTICE
    return f"{round_name} practice" if practice else ROUND_LINES.get(round_name, round_name)


# A full loop goes by the name its setup choice and Progress give it (walk33 read "full" in the
# Transcripts list and the CLI, "Full loop" on Progress).
ROUND_LINES = {"full": "Full loop"}


def _session_line(round_name: str, lines: set[str]) -> str:
    """What a session's row in progress is called: its one line (``progress_line``), or, for a
    practice sitting that drilled both the bank and an uploaded guide, both named (walk24's
    terminal progress read practice on a guide as "L1 practice")."""
    if len(lines) == 1:
        return next(iter(lines))
    return f"{round_name} + {GUIDE_PRACTICE}"


def session_line(round_name: str, practice: bool, question_ids) -> str:
    """What a listed session is called where its round shows (the sessions lists): the name
    progress gives its row (``progress_line`` of each of its questions, ``_session_line``), so
    a practice sitting reads "L1 practice" there too, not "L1" (a walk-through)."""
    lines = {progress_line(round_name, practice, q or "") for q in question_ids}
    return _session_line(round_name, lines or {progress_line(round_name, practice)})


def progress(rows) -> dict:
    sessions: dict[str, dict] = {}
    by_round: dict[str, dict[str, list[tuple[str, int | None]]]] = {}
    by_topic: dict[str, list[int]] = {}
    # A topic's questions, each once per session (a practice sitting grades one again and again).
    asked: dict[str, set[tuple[str, str]]] = {}
    # A practice sitting's answers per topic: the practice line joins sittings of any topics
    # (walk52 read a climb from a metrics drill to a coding one as progress)
    drilled: dict[str, dict[str, list[int]]] = {}
    for (sid, created_at, settings, session_round, turn_round, topic, status, overall, criteria,
         question_id, session_status, summary) in rows:  # fmt: skip
        # never answered, or still open in a session still open (a follow-up to answer: its
        # interim grade stays hidden, as in the resume list; walk19b's progress counted it):
        # not counted anywhere
        still_open = status == "pending" and session_status != "finished"
        score = None if still_open else turn_score(status, overall)
        if score is None:
            continue
        practice = bool((settings or {}).get("practice"))
        # The hire signal of a finished interview, as its report gave it ("incomplete" for one
        # ended early); none for practice or a session still open.
        signal = ((summary or {}).get("signal")
                  if session_status == "finished" and not practice else None)  # fmt: skip
        # An interview ended before its planned questions scores the questions answered: on
        # its round's line it read as progress (walk32: L1 climbed from 46 to 80 on one of two
        # questions), so it is drawn as a series of its own and not on the criteria charts.
        early = (session_status == "finished" and not practice
                 and (summary or {}).get("complete") is False)  # fmt: skip
        # An interview still open is drawn once it is finished or ended (walk40: one answer
        # of a running L1 took the L1 line from 88 to 83, read as a decline).
        still_running = not practice and session_status != "finished"
        s = sessions.setdefault(sid, {"created_at": created_at, "round": session_round,
                                      "practice": practice, "signal": signal, "turns": [],
                                      "criteria": {}, "by_round": {}, "lines": set(),
                                      "early": early, "open": still_running})  # fmt: skip
        s["turns"].append((status, overall))
        for name in CRITERIA:  # a skipped question is the lowest mark on every criterion
            value = 1 if status == "skipped" else ((criteria or {}).get(name) or {}).get("score")
            if value is not None:
                s["criteria"].setdefault(name, []).append(value)
                s["by_round"].setdefault(turn_round, {}).setdefault(name, []).append(value)
        line = progress_line(turn_round, practice, question_id) + (ENDED_EARLY if early else "")
        s["lines"].add(progress_line(session_round, practice, question_id))
        by_round.setdefault(line, {}).setdefault(sid, []).append((status, overall))
        by_topic.setdefault(topic, []).append(score)
        if practice:
            drilled.setdefault(topic, {}).setdefault(sid, []).append(score)
        asked.setdefault(topic, set()).add((sid, question_id))

    # A session where nothing was answered (only skipped: an interview opened and left) is no
    # measure of progress: it is left out of the lines over time, and counted (``left_out``).
    # Its skips still count 0 for their topics, as in the report.
    scored = {sid: session_score(s["turns"]) for sid, s in sessions.items()}
    idle = {sid for sid, (_, answered) in scored.items() if answered == 0}
    out_sessions = [
        {
            "id": sid,
            "created_at": s["created_at"],
            "round": s["round"],
            "practice": s["practice"],
            "line": _session_line(s["round"], s["lines"]),
            "overall": scored[sid][0],
            "signal": s["signal"],
            "open": s["open"],  # an interview still open (not drawn over time yet)
            "criteria": {c: mean(v) for c, v in s["criteria"].items()},
        }
        for sid, s in sessions.items()
        if sid not in idle
    ]
    drawn = {sid for sid, s in sessions.items() if sid not in idle and not s["open"]}
    rounds = {"L1": [], "L2": []}
    for name, per_session in by_round.items():
        points = [[sessions[sid]["created_at"], session_score(turns)[0]]
                  for sid, turns in per_session.items() if sid in drawn]  # fmt: skip
        if points or name in rounds:
            rounds[name] = points
    # n: questions, once per session (a walk-through read "10 questions" for 2 graded again and
    # again in practice); answers: every answer or skip, which the mean is over.
    topics = {t: {"mean": mean(v), "n": len(asked[t]), "answers": len(v)}
              for t, v in sorted(by_topic.items())}  # fmt: skip
    # Weakest: below the pass mark (a skipped question counts 0), lowest first.
    below = [t for t in topics if topics[t]["mean"] < PASS_MARK]
    weak = sorted(below, key=lambda t: (topics[t]["mean"], -topics[t]["n"], t))
    weakest = weak[:5]
    # Criteria over time: interviews only. A practice sitting grades the few questions of one
    # drilled (often weak) topic; on the same lines its 1/5s read as a fall in the interviews.
    interviews = [s for s in out_sessions if not s["practice"] and s["id"] in drawn
                  and not sessions[s["id"]]["early"]]  # fmt: skip
    criteria_over_time = {
        c: [[s["created_at"], s["criteria"][c]] for s in interviews if c in s["criteria"]]
        for c in CRITERIA
    }
    # The same per round: an L1 "Engineering" (vectorised code) and an L2 one (system design)
    # are different measures, so a line through both zigzags with the round sat (a walk-through
    # read a full loop's mean as one). A full loop is a point on each.
    by_sid = {s["id"]: sessions[s["id"]] for s in interviews}
    criteria_by_round = {
        r: {c: [[s["created_at"], mean(s["by_round"][r][c])] for s in by_sid.values()
                if c in s["by_round"].get(r, {})]
            for c in CRITERIA}
        for r in ("L1", "L2")
    }  # fmt: skip
    # Each drilled topic's practice sittings in time order: (when, the mean of its answers there)
    # (a sitting where nothing was answered is left out, as from the lines over time)
    practice_by_topic = {
        t: points
        for t, per_sitting in sorted(drilled.items())
        if (points := sorted([sessions[sid]["created_at"], mean(v)]
                             for sid, v in per_sitting.items() if sid not in idle))
    }  # fmt: skip
    return {
        "sessions": out_sessions,
        "practice_by_topic": practice_by_topic,
        "by_round": rounds,
        "by_topic": topics,
        "weakest_topics": weakest,
        # every topic below the pass mark, weakest first: practice drills a round's own (walk50:
        # the five weakest were all L1's, and L2 practice found "No weak L2 topic yet")
        "weak_topics": weak,
        "criteria_over_time": criteria_over_time,
        "criteria_by_round": criteria_by_round,
        "practice_sessions": sum(s["practice"] for s in out_sessions),
        # sittings that drew on the bank and an uploaded guide: a point on each of two lines
        "practice_split": sum(s["practice"] and len(s["lines"]) > 1
                              for sid, s in sessions.items() if sid not in idle),  # fmt: skip
        "ended_early": sum(sessions[s["id"]]["early"] for s in out_sessions),
        "left_out": len(idle),
        "still_open": sum(s["open"] for sid, s in sessions.items() if sid not in idle),
    }
