"""Round fit: simulated offline interviews ask only questions in their round's topics."""

from __future__ import annotations

from interviewer.bank import TOPICS


def round_fit(grader, bank, sessions: int = 20) -> dict:
    """Simulated offline interviews: every question a round asks belongs to its topics."""
    from interviewer.engine import OfflineEngine
    from interviewer.interview import Interview

    engine = OfflineEngine(grader)
    asked = {"L1": 0, "L2": 0}
    wrong = []
    behavioural = []
    for seed in range(sessions):
        for rnd in ("L1", "L2"):
            iv = Interview(
                round=rnd, questions=5, engine=engine, bank=bank, seed=seed, follow_ups=0
            )
            iv.start()
            while not iv.done:
                iv.command("skip")
            for t in iv.turns:
                asked[t.round] += 1
                if TOPICS[t.topic][0] != rnd:
                    wrong.append(t.question_id)
            if rnd == "L2":
                behavioural.append(sum(TOPICS[t.topic][1] == "behavioural" for t in iv.turns))
    return {
        "questions_asked": asked,
        "off_round": wrong,
        "fit": 1.0 - len(wrong) / max(1, sum(asked.values())),
        "l2_behavioural_per_session": sorted(set(behavioural)),
    }
