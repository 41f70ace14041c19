"""Real backing services for the tests and the load bench, each on a free local port, each a
child that dies with us (``interviewer.processes``): a throwaway PostgreSQL cluster, a Chroma
server, nginx in front of app replicas, and the app replicas themselves; and ``Candidate``, a
candidate taking an interview through the app's own API (the deploy test and bench/load.py).

``make test`` sets ``TEST_REQUIRE_SERVICES=1``: there a missing service fails the test instead of
skipping it, so CI runs both backends of the store and of the knowledge base for real.
"""

from __future__ import annotations

import collections
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from interviewer.processes import spawn, stop
from tests import ROOT

REQUIRE_ENV = "TEST_REQUIRE_SERVICES"
NGINX = Path("/usr/sbin/nginx")
SITE_CONF = ROOT / "deploy" / "nginx.conf"
SITE_REPLICA_PORTS = (7861, 7862)  # the replicas deploy/nginx.conf names
START_TIMEOUT = 60.0  # seconds for PostgreSQL, Chroma or nginx to answer
APP_START_TIMEOUT = 240.0  # an app replica loads torch, MiniLM and gradio on a busy 2-core box


class ServiceUnavailable(RuntimeError):
    """A service's program is not installed here."""


def required() -> bool:
    """Whether a missing service must fail the run (CI) rather than skip the test."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def unavailable(reason: str):
    """Skip the calling test, or fail it where the services are required (``make test``)."""
    if required():
        pytest.fail(f"{reason} (required: {REQUIRE_ENV} is set)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pids_serving(port: int) -> list[int]:
    """Processes whose command line runs llama_cpp.server on this port."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"llama_cpp.server" in args and str(port).encode() in args:
            pids.append(int(proc.name))
    return pids


def wait_until(
    check: Callable[[], bool],
    what: str,
    *,
    timeout: float,
    proc: subprocess.Popen | None = None,
    log: Path | None = None,
) -> None:
    """Poll ``check`` until it is true; fail early if ``proc`` exits, with its log's tail."""
    deadline = time.monotonic() + timeout
    while not check():
        tail = "" if log is None or not log.exists() else log.read_text(errors="replace")[-3000:]
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode}:\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up in {timeout:.0f} s:\n{tail}")
        time.sleep(0.2)


def http_ok(url: str) -> bool:
    """Whether ``url`` answers 200 right now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def listening(port: int) -> bool:
    """Whether something accepts connections on the local ``port``."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


# -- PostgreSQL -------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    """Debian's PostgreSQL server programs (the newest installed major version)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3])
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


@dataclass
class Postgres:
    """A running throwaway cluster; ``url()`` names one of its databases."""

    proc: subprocess.Popen
    root: Path
    port: int
    superuser: str = "interviewer"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` (trust auth on 127.0.0.1: no password)."""
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.superuser,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending its open connections first."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def ready(self) -> bool:
        """Whether the cluster accepts connections."""
        import psycopg

        try:
            psycopg.connect(
                host="127.0.0.1",
                port=self.port,
                user=self.superuser,
                dbname="postgres",
                connect_timeout=2,
            ).close()
            return True
        except psycopg.OperationalError:
            return False


def _server_user() -> tuple[str | None, dict]:
    """PostgreSQL refuses to run as root: then run it as the ``postgres`` user Debian's package
    creates (or ``nobody``); as anyone else, as that user."""
    if os.geteuid() != 0:
        return None, {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return name, {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise ServiceUnavailable("running as root and no 'postgres' or 'nobody' user to run PostgreSQL")


@contextmanager
def postgres(*, durable: bool = False) -> Iterator[Postgres]:
    """A fresh cluster (initdb in a temp dir) served on a free port until the block ends.

    ``durable=False`` (tests) turns fsync off: nothing here must survive a power cut, and the
    suite runs faster. The load bench keeps the defaults a deployment would have.
    """
    bindir = postgres_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        raise ServiceUnavailable("PostgreSQL is not installed (apt-get install postgresql)")
    os_user, as_user = _server_user()
    # Not under pytest's temp dir: that one is private to root, and the server may not be root.
    root = Path(tempfile.mkdtemp(prefix="mi-pg-"))
    if os_user:
        shutil.chown(root, os_user)
    data, log = root / "data", root / "postgres.log"
    try:
        done = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "interviewer", "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-sync"],
            cwd=root, capture_output=True, text=True, **as_user,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")
        port = free_port()
        options = ["-c", "listen_addresses=127.0.0.1", "-k", str(root), "-p", str(port)]
        if not durable:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
            options += ["-c", "full_page_writes=off"]
        with open(log, "wb") as out:
            proc = spawn(
                [str(bindir / "postgres"), "-D", str(data), *options],
                cwd=root, stdout=out, stderr=subprocess.STDOUT, **as_user,
            )  # fmt: skip
        pg = Postgres(proc=proc, root=root, port=port)
        try:
            wait_until(pg.ready, "PostgreSQL", timeout=START_TIMEOUT, proc=proc, log=log)
            yield pg
        finally:
            # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client).
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGINT)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    pass
            stop(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- Chroma server ----------------------------------------------------------------------------


@dataclass
class ChromaServer:
    """A running ``chroma run`` server; ``url`` is what INTERVIEWER_CHROMA_URL takes."""

    proc: subprocess.Popen
    path: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def new_database(self) -> str:
        """The URL of a fresh, empty database on this server (created on first use)."""
        return f"{self.url}/t_{uuid.uuid4().hex[:12]}"


def chroma_program() -> Path | None:
    """The ``chroma`` command of this virtualenv (the chromadb wheel ships the server)."""
    candidate = Path(sys.executable).parent / "chroma"
    return candidate if candidate.exists() else None


@contextmanager
def chroma_server(root: Path | None = None) -> Iterator[ChromaServer]:
    """``chroma run`` on a free port with its data under ``root`` (default: a temp dir)."""
    program = chroma_program()
    if program is None:
        raise ServiceUnavailable("the chroma command is missing (pip install chromadb)")
    with ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mi-chroma-")))
        port, path, log = free_port(), root / "chroma-server", root / "chroma.log"
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with open(log, "wb") as out:
            proc = spawn(
                [str(program), "run", "--path", str(path), "--host", "127.0.0.1",
                 "--port", str(port)],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        stack.callback(stop, proc)
        server = ChromaServer(proc=proc, path=path, port=port)
        wait_until(
            lambda: http_ok(f"{server.url}/api/v2/heartbeat"),
            "the Chroma server",
            timeout=START_TIMEOUT,
            proc=proc,
            log=log,
        )
        yield server


# -- app replicas and nginx in front ----------------------------------------------------------


@dataclass
class Replica:
    """One app process (``app.py``) on its own port and data dir."""

    proc: subprocess.Popen
    port: int
    data: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def app_env(data: Path, port: int, **env: str) -> dict:
    """The environment of an offline app process: ours without any INTERVIEWER_/OPENAI_
    variable, then its own data dir and port, then ``env``."""
    child = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "INTERVIEWER_"))}
    child.update(
        INTERVIEWER_DATA_DIR=str(data),
        INTERVIEWER_HOST="127.0.0.1",
        INTERVIEWER_PORT=str(port),
        INTERVIEWER_MODE="offline",
        GRADIO_TEMP_DIR=str(data.parent / f"gradio-{port}"),
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    child.update(env)
    return child


def start_replica(root: Path, name: str, **env: str) -> Replica:
    """Start one app process (not waiting for it: see ``wait_ready``)."""
    port = free_port()
    data, log = root / name / "data", root / name / "server.log"
    data.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = spawn(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=app_env(data, port, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Replica(proc=proc, port=port, data=data, log=log)


def wait_ready(replica: Replica, timeout: float = APP_START_TIMEOUT) -> None:
    """Wait until the replica serves its page."""
    wait_until(
        lambda: http_ok(replica.url),
        f"app replica on port {replica.port}",
        timeout=timeout,
        proc=replica.proc,
        log=replica.log,
    )


@contextmanager
def replicas(root: Path, count: int, **env: str) -> Iterator[list[Replica]]:
    """``count`` app processes started together (they migrate and ingest at the same moment),
    stopped when the block ends."""
    started: list[Replica] = []
    try:
        for i in range(count):
            started.append(start_replica(root, f"replica-{i}", **env))
        for r in started:
            wait_ready(r)
        yield started
    finally:
        for r in started:
            stop(r.proc)


def render_site(listen_port: int, upstream_ports: list[int], access_log: Path) -> str:
    """``deploy/nginx.conf`` with this machine's ports and log path; each replacement must
    match exactly once (each replica's port as often as the other's), so the test fails loudly
    if the shipped file drifts."""
    text = SITE_CONF.read_text(encoding="utf-8")
    if len(upstream_ports) != len(SITE_REPLICA_PORTS):
        raise AssertionError(f"deploy/nginx.conf has {len(SITE_REPLICA_PORTS)} replicas")
    # (the server lines and the map that names the replica that served; one pass, so a port
    # put in is never replaced again)
    ports = dict(zip(map(str, SITE_REPLICA_PORTS), map(str, upstream_ports), strict=True))
    seen = collections.Counter()
    pattern = rf"(?<=:)({'|'.join(ports)})\b"
    text = re.sub(pattern, lambda m: seen.update([m[1]]) or ports[m[1]], text)
    if len(set(seen.values())) != 1 or len(seen) != len(ports) or min(seen.values()) < 2:
        raise AssertionError(f"deploy/nginx.conf names its replicas' ports unevenly: {seen}")
    for pattern, repl in (
        (
            r"^(\s*)listen 80 default_server;",
            rf"\g<1>listen 127.0.0.1:{listen_port} default_server;",
        ),
        (r"^\s*listen \[::\]:80 default_server;\n", ""),  # IPv6 may be off in a container
        (r"^(\s*access_log )\S+( mock_interview;)", rf"\g<1>{access_log}\g<2>"),
    ):
        text, n = re.subn(pattern, repl, text, flags=re.M)
        if n != 1:
            raise AssertionError(f"deploy/nginx.conf: {pattern!r} matched {n} times")
    return text


@dataclass
class Nginx:
    """nginx in front of the replicas; ``access_log`` records which upstream served what."""

    proc: subprocess.Popen
    port: int
    root: Path
    access_log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def upstreams(self, route: str | None = None) -> list[str]:
        """The upstream address of each logged request, oldest first (optionally only the
        requests that carried the ``mi_route`` cookie ``route``)."""
        if not self.access_log.exists():
            return []
        out = []
        for line in self.access_log.read_text().splitlines():
            seen = re.search(r" route=(\S+) .* upstream=\"([^\"]*)\"$", line)
            if seen and (route is None or seen.group(1) == route):
                out.append(seen.group(2))
        return out


DEBIAN_DEFAULT_SITE = Path("/etc/nginx/sites-available/default")


def debian_default_site(port: int) -> str:
    """Debian's own site (``sites-enabled/default`` of the nginx package, the Welcome page)
    moved to ``port`` on 127.0.0.1; its server lines as the package ships them when the file
    is not on this machine."""
    text = (
        DEBIAN_DEFAULT_SITE.read_text(encoding="utf-8")
        if DEBIAN_DEFAULT_SITE.exists()
        else "server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n"
        "\troot /var/www/html;\n\tindex index.html index.nginx-debian.html;\n"
        "\tserver_name _;\n\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n}\n"
    )
    text = re.sub(r"^\s*listen \[::\]:80 default_server;\n", "", text, flags=re.M)
    text, n = re.subn(
        r"^(\s*)listen 80 default_server;", rf"\g<1>listen 127.0.0.1:{port} default_server;",
        text, flags=re.M,
    )  # fmt: skip
    assert n == 1, "Debian's default site no longer listens on port 80 as default server"
    return text


def nginx_layout(root: Path, site: str, other_sites: dict[str, str] | None = None) -> Path:
    """Under ``root``, an nginx.conf laid out as Debian's: ``site`` as conf.d/mock-interview.conf
    (where README puts deploy/nginx.conf) and ``other_sites`` in sites-enabled/, both included
    in the ``http`` block. Returns the nginx.conf."""
    (root / "conf.d").mkdir(exist_ok=True)
    (root / "sites-enabled").mkdir(exist_ok=True)
    (root / "conf.d" / "mock-interview.conf").write_text(site)
    for name, text in (other_sites or {}).items():
        (root / "sites-enabled" / name).write_text(text)
    conf = root / "nginx.conf"
    conf.write_text(
        f"""daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/conf.d/*.conf;
    include {root}/sites-enabled/*;
}}
"""
    )
    return conf


def nginx_check(root: Path) -> subprocess.CompletedProcess:
    """``nginx -t`` on the layout under ``root`` (its messages on stderr)."""
    return subprocess.run(
        [str(NGINX), "-t", "-p", str(root), "-c", str(root / "nginx.conf"),
         "-e", str(root / "error.log")],
        capture_output=True, text=True, timeout=START_TIMEOUT,
    )  # fmt: skip


def nginx_root() -> Path:
    """A fresh folder for an nginx layout (raises ServiceUnavailable without nginx)."""
    if not NGINX.exists():
        raise ServiceUnavailable("nginx is not installed (apt-get install nginx)")
    # World-readable: nginx's workers run as an unprivileged user when we are root.
    root = Path(tempfile.mkdtemp(prefix="mi-nginx-"))
    root.chmod(0o755)
    return root


@contextmanager
def nginx(upstream_ports: list[int], other_sites: dict[str, str] | None = None) -> Iterator[Nginx]:
    """Debian's nginx in the foreground, serving ``deploy/nginx.conf`` on a free port (and
    ``other_sites`` beside it, see ``nginx_layout``)."""
    root = nginx_root()
    try:
        port, access_log = free_port(), root / "access.log"
        nginx_layout(root, render_site(port, upstream_ports, access_log), other_sites)
        log = root / "nginx.out"
        with open(log, "wb") as out:
            proc = spawn(
                [str(NGINX), "-p", str(root), "-c", str(root / "nginx.conf"),
                 "-e", str(root / "error.log")],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_until(lambda: listening(port), "nginx", timeout=START_TIMEOUT, proc=proc, log=log)
            yield Nginx(proc=proc, port=port, root=root, access_log=access_log)
        finally:
            stop(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Stack:
    """PostgreSQL, a Chroma server, app replicas and nginx, as a cohort deployment runs them."""

    postgres: Postgres
    chroma: ChromaServer
    replicas: list[Replica]
    nginx: Nginx
    database_url: str
    env: dict = field(default_factory=dict)


@contextmanager
def cohort_stack(root: Path, *, replica_count: int = 2, durable: bool = False, **env: str):
    """The whole deployment of the README's "Deploying for a cohort", on free local ports."""
    with postgres(durable=durable) as pg, chroma_server(root) as chroma:
        database_url = pg.create_database("interviewer")
        app = {"INTERVIEWER_DATABASE_URL": database_url, "INTERVIEWER_CHROMA_URL": chroma.url}
        app.update(env)
        with replicas(root, replica_count, **app) as reps, nginx([r.port for r in reps]) as px:
            yield Stack(pg, chroma, reps, px, database_url, app)


# -- pytest fixtures (import them into a test module; each module gets its own servers) ---------


@pytest.fixture(scope="module")
def pg_server():
    """A throwaway PostgreSQL cluster for the module (skipped, or failed in CI, if missing)."""
    with ExitStack() as stack:
        try:
            pg = stack.enter_context(postgres())
        except ServiceUnavailable as exc:
            unavailable(str(exc))
        yield pg


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    """A Chroma server for the module (skipped, or failed in CI, if missing)."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(chroma_server(tmp_path_factory.mktemp("chroma")))
        except ServiceUnavailable as exc:
            unavailable(str(exc))
        yield server


# -- a candidate driving the app's own API ----------------------------------------------------

ANSWER_FILES = sorted((ROOT / "evals" / "data").glob("answers-*.jsonl"))
MAX_SENDS = 60  # answers in one interview before the driver gives up (10 questions, probes)
TIMER_KEY = re.compile(r"^(?P<session>[0-9a-f]{6,})-(?P<index>\d+)-\d+\|")  # "id-index-probes|seconds..."


class AnswerBook:
    """Realistic answers (``evals/data/answers-*.jsonl``, every style a candidate writes in)
    by question id; the bank's model answer where a question has none."""

    def __init__(self):
        import json

        from interviewer.bank import default_bank

        self.by_question: dict[str, list[str]] = {}
        for path in ANSWER_FILES:
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line) if line.strip() else {}
                # An empty answer is refused before it is sent (a candidate types something).
                if row.get("answer", "").strip():
                    self.by_question.setdefault(row["question_id"], []).append(row["answer"])
        self.bank = default_bank()
        self._texts = {qid: _squash(q.text) for qid, q in self.bank.items()}

    def question_in(self, message: str) -> str | None:
        """The id of the bank question that ``message`` asks (the longest match)."""
        said = _squash(message)
        found = [qid for qid, text in self._texts.items() if text and text in said]
        return max(found, key=lambda q: len(self._texts[q]), default=None)

    def answer(self, question_id: str | None, rng, *, avoid: set[str] = frozenset()) -> str:
        """An answer to that question, not one already given in this turn."""
        pool = [a for a in self.by_question.get(question_id, []) if a not in avoid]
        if pool:
            return rng.choice(pool)
        if question_id in self.bank:
            return self.bank[question_id].model_answer
        return "I would start from the data, pick a simple baseline, and measure it first."


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def message_text(message) -> str:
    """The text of one chat message as the app's API returns it."""
    content = message.get("content") if isinstance(message, dict) else message
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


class AppRefused(RuntimeError):
    """The app answered an event with a warning instead of a reply."""


class Candidate:
    """One candidate in the Interview tab, through ``gradio_client`` (the events the page's
    buttons send). ``cookies`` carries a browser's cookies over (a reload keeps them);
    ``auth`` signs in first (INTERVIEWER_AUTH)."""

    def __init__(
        self,
        url: str,
        book: AnswerBook,
        rng,
        *,
        cookies: dict | None = None,
        auth: tuple[str, str] | None = None,
    ):
        from gradio_client import Client

        self.book, self.rng = book, rng
        self.user = auth[0] if auth else "local"
        self.client = Client(
            url,
            verbose=False,
            download_files=False,
            auth=auth,
            httpx_kwargs={"cookies": dict(cookies or {}), "timeout": 300},
        )
        self.history: list = []
        self.session_id: str | None = None
        self.index: int | None = None
        self.done = False
        self.sent: list[str] = []  # every answer the app took, in order
        self._given: set[str] = set()  # answers given to the open question
        self._timer_at: int | None = None

    @property
    def cookies(self) -> dict:
        return dict(self.client.cookies)

    def close(self) -> None:
        self.client.close()

    def _read(self, out) -> None:
        """Take in an event's outputs; a warning, or a chat that did not move (the app said
        why in the status line instead), raises ``AppRefused``."""
        out = list(out) if isinstance(out, (list, tuple)) else [out]
        for item in out:
            if isinstance(item, str) and item.startswith("⚠"):
                raise AppRefused(item)
        if not isinstance(out[0], list) or len(out[0]) <= len(self.history):
            said = [o for o in out if isinstance(o, str) and o.strip() and not TIMER_KEY.match(o)]
            raise AppRefused(" | ".join(said) or "the app did not reply")
        self.history = out[0]
        if self._timer_at is None:
            self._timer_at = next(
                (i for i, o in enumerate(out) if isinstance(o, str) and TIMER_KEY.match(o)), None
            )
        key = out[self._timer_at] if self._timer_at is not None else None
        if isinstance(key, str):
            m = TIMER_KEY.match(key)
            if m:
                if m["index"] != str(self.index):
                    self._given = set()
                self.session_id, self.index = m["session"], int(m["index"])
            elif key == "":
                self.done = True

    def last_reply(self) -> str:
        """The interviewer's latest message."""
        bot = [m for m in self.history if isinstance(m, dict) and m.get("role") == "assistant"]
        return message_text(bot[-1]) if bot else ""

    def start(self, round_name: str = "L2", questions: int = 3, feedback: str = "each") -> None:
        """Press Start interview."""
        self._read(
            self.client.predict(round_name, questions, feedback, "offline", api_name="/start")
        )
        if self.session_id is None:
            raise AppRefused(f"no interview started: {self.last_reply()[:200]}")

    def answer(self) -> str:
        """Type an answer to the open question (or follow-up) and press Send; after three
        answers to one question (a kind this driver cannot answer), skip it."""
        if len(self.sent) >= MAX_SENDS:
            raise AppRefused(f"still no report after {MAX_SENDS} answers")
        qid = self.book.question_in(self.last_reply())
        if len(self._given) >= 3:
            text = "/skip"
        else:
            text = self.book.answer(qid, self.rng, avoid=self._given)
        self._read(self.client.predict(text, self.history, api_name="/send"))
        self._given.add(text)
        if text != "/skip":
            self.sent.append(text)
        return text

    def resume_choices(self) -> list[str]:
        """The ids in "Unfinished sessions", as a page load fills it."""
        api = self.client.view_api(return_format="dict", print_info=False)
        names = [
            name
            for name, spec in api["named_endpoints"].items()
            if not spec["parameters"]
            and [r["label"] for r in spec["returns"]] == ["Unfinished sessions"]
        ]
        if len(names) != 1:
            raise AssertionError(f"cannot tell the resume-list event among {names}")
        update = self.client.predict(api_name=names[0])
        return [value for _label, value in update.get("choices", [])]

    def resume(self, session_id: str) -> None:
        """Pick the session in "Unfinished sessions" and press Resume."""
        self._read(self.client.predict(session_id, api_name="/resume"))
