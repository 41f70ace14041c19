"""The labelled data of the evals (a checkout's ``evals/data/``; a wheel does not ship it).

- the authored set: ``answers-*.jsonl``, answers to bank questions in ten styles, labelled 1-5
  (``evals/LABELLING.md``), split by question into dev (fitting) and test (measuring only), and
  candidate stories to the story questions (dev), each the mean of two raters' labels;
- SAF: ``saf/train.jsonl`` (fitting) and ``saf/unseen_answers.jsonl`` (measuring only), real
  answers with human 0-1 scores (``saf/README.md``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from interviewer.errors import UsageError

# The labelled data and the reports belong to the repository, not to the installed package.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
EVALS_DIR = PROJECT_ROOT / "evals"
DATA_DIR = EVALS_DIR / "data"
REPORTS_DIR = EVALS_DIR / "reports"
SPLITS = DATA_DIR / "splits.json"
SAF_DIR = DATA_DIR / "saf"
SAF_FILES = {"train": "train.jsonl", "unseen": "unseen_answers.jsonl"}


def require_checkout() -> None:
    """UsageError unless the labelled data of a checkout is there (a wheel does not ship it)."""
    if not DATA_DIR.is_dir():
        raise UsageError(
            f"the evals need the labelled data in {DATA_DIR}: run them from a clone of the "
            "repository (an installed wheel does not ship it)"
        )


def hash_split(question_id: str) -> str:
    """The split a new question would get: fixed by a hash of its id."""
    return "dev" if int(hashlib.sha1(question_id.encode()).hexdigest(), 16) % 2 else "test"


def load_splits(question_ids: list[str]) -> dict[str, str]:
    """dev/test by question, fixed in ``splits.json`` (a question never moves between splits).
    A question missing from the file gets its hash split here; ``splits.json`` is only ever
    written by hand, so running the evals never changes the checkout."""
    splits = json.loads(SPLITS.read_text()) if SPLITS.exists() else {}
    return {qid: splits.get(qid) or hash_split(qid) for qid in question_ids}


def load_labelled(data_dir: Path = DATA_DIR) -> list[dict]:
    """Every authored labelled answer, with its split."""
    rows = []
    for path in sorted(data_dir.glob("answers-*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                row = json.loads(line)
                row["_where"] = f"{path.name}:{n}"
                rows.append(row)
    splits = load_splits(sorted({r["question_id"] for r in rows}))
    for r in rows:
        r["split"] = splits[r["question_id"]]
    return rows


def load_authored(split: str, bank) -> list[dict]:
    """The authored answers of one split whose question is in the bank, with ``score`` =
    (label - 1) / 4 on the 0-1 scale."""
    rows = [r for r in load_labelled() if r["split"] == split and r["question_id"] in bank]
    for r in rows:
        r["score"] = (r["label"] - 1) / 4
    return rows


def load_saf(split: str) -> list[dict]:
    """SAF answers of one split: "train" (fitting) or "unseen" (measuring only)."""
    path = SAF_DIR / SAF_FILES[split]
    if not path.exists():
        raise UsageError(f"no SAF data at {path} (see evals/data/saf/README.md)")
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def load_jsonl(name: str) -> list[dict]:
    """Rows of another data file of ``evals/data`` (injections, honest injection)."""
    path = DATA_DIR / name
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def fingerprint() -> dict:
    """Short hashes of the data the fit reads (recorded in grader_params.json)."""

    def h(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()[:16]

    dev = "".join(
        sorted(
            f"{r['question_id']}\t{r['answer']}\t{r['label']}\t{json.dumps(r.get('criteria', {}), sort_keys=True)}"
            for r in load_labelled()
            if r["split"] == "dev"
        )
    )
    return {"saf_train": h((SAF_DIR / SAF_FILES["train"]).read_bytes()), "authored_dev": h(dev.encode())}
