"""Copy detection's shares in 4- and 5-word runs (``grading.copying.SHINGLE``), printed as JSON.

Reproduces the figures beside ``SHINGLE`` and ``FLAG_AT`` and in the README's "Grader gaming":
the walk-through's own-words ROC-AUC answer, the authored answers (dev split, on which the
shingle was chosen, and all 315, measured), pastes of each bank question's key points and model
answer, and model answers with every k-th word changed. Run with
``.venv/bin/python bench/copying.py``; no model is loaded (about a second).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interviewer.bank import default_bank  # noqa: E402
from interviewer.grading.copying import copy_share  # noqa: E402

WALK_THROUGH = (
    "l1-roc-auc-vs-pr-auc",
    "The ROC curve plots true positive rate against false positive rate over all thresholds, "
    "and the AUC is the area under it; 0.5 is random and 1.0 is perfect. I'd use the "
    "precision-recall curve instead when the positive class is rare, like fraud.",
)


def _edited(text: str, k: int) -> str:
    """``text`` with every ``k``-th word replaced."""
    return " ".join("xx" if i % k == k - 1 else w for i, w in enumerate(text.split()))


def main() -> None:
    bank = default_bank()
    splits = json.loads((ROOT / "evals/data/splits.json").read_text())
    rows = [json.loads(line) for f in sorted((ROOT / "evals/data").glob("answers-*.jsonl"))
            for line in f.read_text().splitlines() if line.strip()]  # fmt: skip
    out = {}
    for n in (4, 5):
        def share(text: str, qid: str, n: int = n) -> float:
            return copy_share(text, bank[qid].rubric(), n).share

        authored = [(splits.get(r["question_id"]), share(r["answer"], r["question_id"]))
                    for r in rows]  # fmt: skip
        points = [share(" ".join(kp.point for kp in q.key_points), q.id) for q in bank.values()]
        models = [share(q.model_answer, q.id) for q in bank.values()]
        out[f"{n}-word runs"] = {
            "walk_through_own_words": share(WALK_THROUGH[1], WALK_THROUGH[0]),
            "authored_dev_max": max(s for split, s in authored if split == "dev"),
            "authored_all_max": max(s for _, s in authored),
            "authored_answers": len(authored),
            "key_points_paste_median": statistics.median(points),
            "key_points_paste_min": min(points),
            "model_answer_paste_median": statistics.median(models),
            "model_answer_paste_min": min(models),
            "model_answer_every_kth_word_changed_median": {
                k: statistics.median(share(_edited(q.model_answer, k), q.id) for q in bank.values())
                for k in (4, 5, 6)
            },
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
