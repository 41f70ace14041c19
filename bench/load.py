"""Load test of a cohort, printed as JSON: N simulated candidates take full offline interviews
through the real app's API (``gradio_client``, the events the page's buttons send), answering
with the labelled answers of ``evals/data/answers-*.jsonl``.

Two deployments, each started on free local ports and stopped at the end:
- ``single``: one app process on SQLite and the local Chroma store (``make run``);
- ``cohort``: two replicas behind nginx (``deploy/nginx.conf``) on PostgreSQL and a Chroma server.

Two ways to answer: ``think`` (each candidate waits a think time before every answer and starts
at a random moment within the first think time) and ``burst`` (everyone starts at once and answers
back to back). Reported per run: answer-to-reply latency p50/p95/p99, errors, answers sent versus
answers found in the database (they must be equal), and the servers' resident memory. A final
probe sends more answers at once than one process's queue holds, and reports what the
candidates over the limit are told.

    python bench/load.py                          # N = 10, 25, 50; both deployments, both modes
    python bench/load.py --sizes 5 --think 1-3    # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.services, run from anywhere

from interviewer.store import Store  # noqa: E402
from tests import services  # noqa: E402

QUEUE_MAX_SIZE = 64  # interviewer.ui.QUEUE_MAX_SIZE, per process
USERS = 200  # logins of the simulated cohort (INTERVIEWER_AUTH): one per candidate


def login(i: int) -> tuple[str, str]:
    """Candidate ``i``'s user name and password."""
    return f"cand{i:03d}", f"pw-{i:03d}-load"


def cohort_auth() -> str:
    """INTERVIEWER_AUTH for every simulated candidate (answer limits are per user)."""
    return ",".join(":".join(login(i)) for i in range(USERS))


def percentiles(values: list[float]) -> dict:
    """p50/p95/p99/max of latencies in seconds (None when there are none)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    arr = np.asarray(values)
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return {
        "n": len(values),
        "p50": round(float(p50), 3),
        "p95": round(float(p95), 3),
        "p99": round(float(p99), 3),
        "max": round(float(arr.max()), 3),
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (0 when it is gone)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


class RssSampler:
    """Peak resident memory of named process trees, sampled every second in a thread."""

    def __init__(self, pids: dict[str, int]):
        self.pids, self.peak = pids, dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_mb(pid))
            self._stop.wait(1.0)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def report(self) -> dict:
        return {
            name: {"peak_mb": self.peak[name], "end_mb": rss_mb(pid)}
            for name, pid in self.pids.items()
        }


def error_kind(exc: BaseException) -> str:
    """A short label: 'busy' for the queue-full answer, else the class and first line."""
    from gradio_client.exceptions import AppError
    from gradio_client.utils import QueueError

    if isinstance(exc, QueueError):
        return f"busy: {exc}"
    if isinstance(exc, AppError):
        return "AppError: the app raised"
    first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"


class Run:
    """One scenario: ``n`` candidates against ``url``, each taking one interview."""

    def __init__(self, url: str, n: int, mode: str, args, book: services.AnswerBook, seed: int):
        self.url, self.n, self.mode, self.args, self.book = url, n, mode, args, book
        self.seed = seed
        self.latencies: list[float] = []
        self.start_latencies: list[float] = []
        self.errors: list[str] = []
        self.sessions: dict[tuple[str, str], list[str]] = {}  # (user, session) -> answers
        self.attempted = 0
        self.finished = 0
        self._lock = threading.Lock()

    def think(self, rng: random.Random) -> None:
        if self.mode == "think":
            time.sleep(rng.uniform(*self.args.think))

    def candidate(self, i: int, go: threading.Barrier) -> None:
        rng = random.Random(self.seed * 1000 + i)
        cand = None
        try:
            cand = services.Candidate(self.url, self.book, rng, auth=login(i))
            go.wait(timeout=600)
            if self.mode == "think":  # a cohort trickles in over the first think time
                time.sleep(rng.uniform(0, self.args.think[1]))
            t0 = time.perf_counter()
            cand.start(self.args.round, questions=self.args.questions)
            with self._lock:
                self.start_latencies.append(time.perf_counter() - t0)
                self.sessions[(cand.user, cand.session_id)] = cand.sent
            while not cand.done:
                self.think(rng)
                with self._lock:
                    self.attempted += 1
                t0 = time.perf_counter()
                cand.answer()
                with self._lock:
                    self.latencies.append(time.perf_counter() - t0)
            with self._lock:
                self.finished += 1
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            with self._lock:
                self.errors.append(error_kind(exc))
        finally:
            if cand is not None:
                cand.close()

    def go(self) -> float:
        go = threading.Barrier(self.n)
        start = time.perf_counter()
        with ThreadPoolExecutor(self.n) as pool:
            for i in range(self.n):
                pool.submit(self.candidate, i, go)
        return time.perf_counter() - start

    def stored(self, database_url: str) -> tuple[int, int, int]:
        """(answers acknowledged, answers found in the database, acknowledged ones missing)."""
        sent = found = lost = 0
        with Store(database_url) as store:
            for (user, session_id), answers in self.sessions.items():
                _, turns = store.load_session(session_id, user_id=user)
                there = []
                for t in turns:
                    there += [t.answer] if t.answer is not None else []
                    there += [f.answer for f in t.follow_ups if f.answer is not None]
                sent, found = sent + len(answers), found + len(there)
                lost += sum(1 for a in answers if a not in there)
        return sent, found, lost


def run_scenario(deployment, url, database_url, pids, n, mode, args, book, seed) -> dict:
    """One run, measured."""
    run = Run(url, n, mode, args, book, seed)
    load_before = os.getloadavg()
    with RssSampler(pids) as rss:
        wall = run.go()
    sent, found, lost = run.stored(database_url)
    errors: dict[str, int] = {}
    for e in run.errors:
        errors[e] = errors.get(e, 0) + 1
    return {
        "deployment": deployment,
        "mode": mode,
        "candidates": n,
        "answer_to_reply_s": percentiles(run.latencies),
        "start_s": percentiles(run.start_latencies),
        "errors": len(run.errors),
        "error_kinds": errors,
        "interviews_finished": run.finished,
        "answers_attempted": run.attempted,
        "answers_sent": sent,
        "answers_stored": found,
        "answers_lost": lost,
        "rss": rss.report(),
        "wall_s": round(wall, 1),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def queue_probe(url: str, size: int, args, book: services.AnswerBook) -> dict:
    """``size`` candidates, each with an interview open, press Send at the same instant on
    one process: past the queue's limit, what are they told, and how soon?"""
    from gradio_client.utils import QueueError

    rng = random.Random(99)
    cands = []
    with ThreadPoolExecutor(8) as pool:
        for cand in pool.map(
            lambda i: services.Candidate(url, book, rng, auth=login(i)), range(size)
        ):
            cands.append(cand)
        list(pool.map(lambda c: c.start(args.round, questions=args.questions), cands))
    go = threading.Barrier(size)
    outcome: list[tuple[str, float, str]] = []
    lock = threading.Lock()

    def send(cand: services.Candidate) -> None:
        go.wait(timeout=600)
        t0 = time.perf_counter()
        try:
            cand.answer()
            kind, text = "reply", ""
        except QueueError as exc:
            kind, text = "busy", str(exc)
        except Exception as exc:  # noqa: BLE001 - reported
            kind, text = "error", error_kind(exc)
        with lock:
            outcome.append((kind, time.perf_counter() - t0, text))

    with ThreadPoolExecutor(size) as pool:
        list(pool.map(send, cands))
    for cand in cands:
        cand.close()
    kinds = {k: sum(1 for o in outcome if o[0] == k) for k in ("reply", "busy", "error")}
    return {
        "candidates": size,
        "queue_max_size": QUEUE_MAX_SIZE,
        "outcomes": kinds,
        "busy_message": next((o[2] for o in outcome if o[0] == "busy"), None),
        "busy_answered_in_s": percentiles([o[1] for o in outcome if o[0] == "busy"]),
        "reply_s": percentiles([o[1] for o in outcome if o[0] == "reply"]),
        "errors": [o[2] for o in outcome if o[0] == "error"][:5],
    }


@contextmanager
def single(root: Path, env: dict):
    """One app process on SQLite and the local Chroma store, as `make run` starts it."""
    replica = services.start_replica(root, "single", **env)
    try:
        services.wait_ready(replica)
        db = f"sqlite:///{(replica.data / 'interviewer.db').resolve()}"
        yield replica.url, db, {"app": replica.proc.pid}
    finally:
        services.stop(replica.proc)


@contextmanager
def cohort(root: Path, env: dict):
    """Two replicas behind nginx on PostgreSQL and a Chroma server."""
    with services.cohort_stack(root, durable=True, **env) as st:
        pids = {f"app-{i}": r.proc.pid for i, r in enumerate(st.replicas)}
        pids |= {"postgres": st.postgres.proc.pid, "chroma": st.chroma.proc.pid}
        pids["nginx"] = st.nginx.proc.pid
        yield st.nginx.url, st.database_url, pids


def machine() -> dict:
    """What else the machine is doing (the numbers are only as good as a quiet machine)."""
    top = subprocess.run(
        ["ps", "-eo", "pcpu,rss,args", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout.splitlines()[1:8]
    return {
        "cores": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "busiest_processes": [" ".join(line.split()[:2] + line.split()[2:5])[:120] for line in top],
    }


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10,25,50", help="candidate counts, comma-separated")
    p.add_argument("--deployments", default="single,cohort")
    p.add_argument("--modes", default="think,burst")
    p.add_argument("--think", default="10-30", help="think time range in seconds, e.g. 10-30")
    p.add_argument("--round", default="L2", choices=["L1", "L2", "full"])
    p.add_argument("--questions", type=int, default=3)
    p.add_argument("--queue-probe", type=int, default=QUEUE_MAX_SIZE + 36,
                   help="candidates sending at once to one process (0: no probe)")  # fmt: skip
    p.add_argument("--seed", type=int, default=16)
    p.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="OMP_NUM_THREADS of each app process (0: torch's default, one per core)",
    )
    args = p.parse_args(argv)
    args.sizes = [int(x) for x in args.sizes.split(",") if x]
    lo, _, hi = args.think.partition("-")
    args.think = (float(lo), float(hi or lo))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    book = services.AnswerBook()
    out = {
        "machine_before": machine(),
        "settings": {
            "round": args.round,
            "questions": args.questions,
            "think_s": list(args.think),
            "sizes": args.sizes,
            "torch_threads": args.torch_threads or "default",
        },
        "runs": [],
    }
    deployments = {"single": single, "cohort": cohort}
    with tempfile.TemporaryDirectory(prefix="mi-load-") as tmp:
        for name in args.deployments.split(","):
            root = Path(tmp) / name
            root.mkdir()
            env = {"INTERVIEWER_AUTH": cohort_auth()}
            if args.torch_threads:
                env["OMP_NUM_THREADS"] = str(args.torch_threads)
            with deployments[name](root, env) as (url, db, pids):
                for mode in args.modes.split(","):
                    for n in args.sizes:
                        result = run_scenario(name, url, db, pids, n, mode, args, book, args.seed)
                        out["runs"].append(result)
                        print(json.dumps(result), file=sys.stderr, flush=True)
                if name == "single" and args.queue_probe:
                    out["queue_probe"] = queue_probe(url, args.queue_probe, args, book)
    out["machine_after"] = machine()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
