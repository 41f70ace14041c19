"""What the security probes share: files that attack (a PDF bomb, a guide past Chroma's batch
limit), a fast stand-in embedder, and a minimal Gradio client that speaks the app's HTTP
protocol (login, queue/join, the event stream) so a probe can send what no browser would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx

from tests.minipdf import write_bomb

CHROMA_MAX_BATCH = 5461  # a local Chroma store refuses more embeddings than this in one call


def pdf_bomb(path: Path, inflated_mb: int = 80) -> Path:
    """A one-page PDF of about 100 KB whose content stream inflates to ``inflated_mb`` MB."""
    return write_bomb(path, inflated_mb)


def big_guide(path: Path, lines: int, tag: str = "") -> Path:
    """A plain-text guide of ``lines`` distinct list items under title-case headings; with
    ``INTERVIEWER_CHUNK_TOKENS=20`` each item is about one chunk."""
    out = []
    for i in range(lines):
        if i % 50 == 0:
            out.append(f"Topic Number {i // 50} Overview {tag}".strip())
        out.append(
            f"- Point {i}{tag}: the model {i} uses feature {i * 7} with care, and the "
            f"pipeline {i} stays fast."
        )
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


class HashEmbeddings:
    """Deterministic 384-d unit vectors from a text's hash: stands in for MiniLM where a test
    needs thousands of chunks in a real Chroma store but not their meaning."""

    dim = 384

    def _vector(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode("utf-8")).digest() * (self.dim // 32)
        v = [b / 255 - 0.5 for b in digest[: self.dim]]
        norm = sum(x * x for x in v) ** 0.5 or 1.0
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class GradioClient:
    """One browser tab's worth of the Gradio protocol over plain HTTP (no Gradio client).

    ``session_hash`` is whatever the probe says: another user's, to try a hijack.
    """

    def __init__(self, url: str, session_hash: str = "", timeout: float = 120.0, address: str = ""):
        self.url = url.rstrip("/")
        # The app's server trusts X-Forwarded-For from 127.0.0.1 (a local reverse proxy), so
        # a probe can speak from any address.
        headers = {"X-Forwarded-For": address} if address else {}
        self.http = httpx.Client(
            timeout=timeout, follow_redirects=False, trust_env=False, headers=headers
        )
        self.session_hash = session_hash or hashlib.sha1(str(id(self)).encode()).hexdigest()[:11]
        self._config: dict | None = None

    def close(self) -> None:
        self.http.close()

    def login(self, user: str, password: str) -> httpx.Response:
        """POST the login form; on success the cookie is kept for every later request."""
        return self.http.post(f"{self.url}/login", data={"username": user, "password": password})

    @property
    def config(self) -> dict:
        if self._config is None:
            resp = self.http.get(f"{self.url}/config")
            resp.raise_for_status()
            self._config = resp.json()
        return self._config

    def fn_index(self, api_name: str) -> int:
        """The index of the event handler Gradio named ``api_name`` (the function's name)."""
        for dep in self.config["dependencies"]:
            if dep.get("api_name") == api_name:
                return dep["id"]
        names = [d.get("api_name") for d in self.config["dependencies"]]
        raise KeyError(f"no event {api_name!r}; events: {names}")

    def component(self, elem_id: str) -> int:
        """The id of the component with this elem_id."""
        for comp in self.config["components"]:
            if comp.get("props", {}).get("elem_id") == elem_id:
                return comp["id"]
        raise KeyError(elem_id)

    def dependency(self, api_name: str) -> dict:
        return next(d for d in self.config["dependencies"] if d.get("api_name") == api_name)

    def labelled(self, label: str) -> int:
        """The id of the component with this label (or elem_id)."""
        for comp in self.config["components"]:
            props = comp.get("props", {})
            if label in (props.get("label"), props.get("elem_id")):
                return comp["id"]
        raise KeyError(label)

    def inputs(self, api_name: str, values: dict | None = None) -> list:
        """The event's input data: each component's initial value, except ``values`` (by
        label or elem_id); states are held by the server (null here)."""
        comps = {c["id"]: c for c in self.config["components"]}
        chosen = {self.labelled(k): v for k, v in (values or {}).items()}
        out = []
        for cid in self.dependency(api_name)["inputs"]:
            comp = comps[cid]
            if cid in chosen:
                out.append(chosen[cid])
            elif comp["type"] == "state":
                out.append(None)
            else:
                out.append(comp.get("props", {}).get("value"))
        return out

    def join(self, api_name: str, data: list, *, raw_json: str | None = None) -> httpx.Response:
        """Queue one event; the response says whether the server took it."""
        body = {
            "data": data,
            "fn_index": self.fn_index(api_name),
            "session_hash": self.session_hash,
            "event_data": None,
            "trigger_id": None,
        }
        content = raw_json if raw_json is not None else json.dumps(body)
        if raw_json is not None:
            content = raw_json.replace("FN_INDEX", str(body["fn_index"])).replace(
                "SESSION_HASH", self.session_hash
            )
        return self.http.post(
            f"{self.url}/gradio_api/queue/join",
            content=content,
            headers={"Content-Type": "application/json"},
        )

    def messages(self, out: list | None = None) -> list[dict]:
        """Read this session's event stream until every queued event completed; each message
        is appended to ``out`` (a list another thread may watch) as it arrives."""
        out = [] if out is None else out
        with self.http.stream(
            "GET", f"{self.url}/gradio_api/queue/data", params={"session_hash": self.session_hash}
        ) as resp:
            if resp.status_code != 200:
                return [{"msg": "http_error", "status": resp.status_code}]
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                out.append(msg)
                if msg.get("msg") == "close_stream":
                    break
        return out

    def call(self, api_name: str, values: dict | None = None, data: list | None = None) -> dict:
        """Run one event to completion; its final ``process_completed`` message."""
        joined = self.join(api_name, data if data is not None else self.inputs(api_name, values))
        if joined.status_code != 200:
            return {"msg": "refused", "status": joined.status_code, "text": joined.text}
        done = [m for m in self.messages() if m.get("msg") == "process_completed"]
        return done[-1] if done else {"msg": "no_completion"}


class RecordingServer:
    """A local TCP server that records the first line of every request it gets (an HTTP
    server that must never be fetched from, or a proxy that must never be used) and answers
    502. Nothing a probe cares about leaves this machine."""

    def __init__(self):
        import socket
        import threading

        self.requests: list[str] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0]
                    self.requests.append(first.decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    continue

    def close(self) -> None:
        self._sock.close()


HOOKED_APP = "import tests.security.hooks as h, sys; h.run(sys.argv[1:])"


class AppProcess:
    """``mock-interview app`` (with the test hooks of ``tests.security.hooks``) on a free port
    with its own data dir, a copy of the built knowledge base. Starts at once; ``ready()``
    waits until it serves."""

    def __init__(self, root: Path, kb: Path, **env):
        import shutil
        import subprocess
        import sys

        from interviewer.processes import spawn
        from tests import ROOT
        from tests.services import app_env, free_port

        self.root, self.data = root, root / "data"
        shutil.copytree(kb, self.data)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The cohort helpers' environment, less GRADIO_TEMP_DIR: the private-cache tests check
        # where the app itself puts Gradio's files.
        child = {
            k: v
            for k, v in app_env(self.data, self.port).items()
            if not k.startswith(("GRADIO_TEMP", "MI_TEST_"))
        }
        child.update(env)
        self.log_path = root / "server.log"
        with open(self.log_path, "w") as log:
            self.proc = spawn(
                [sys.executable, "-c", HOOKED_APP, "app"],
                cwd=ROOT,
                env=child,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def ready(self, timeout: float = 300) -> AppProcess:
        """Wait until the app serves (a login page, 401, counts)."""
        from tests.services import wait_until

        def serving() -> bool:
            try:
                return httpx.get(self.url + "/", timeout=2, trust_env=False).status_code in (
                    200,
                    401,
                )
            except httpx.HTTPError:
                return False

        wait_until(serving, "the app", timeout=timeout, proc=self.proc, log=self.log_path)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        from interviewer.processes import stop

        stop(self.proc, timeout=30)

    def client(self, user: str | None = None, password: str = "", **kw) -> GradioClient:
        """A client, logged in when ``user`` is given (the login must succeed)."""
        c = GradioClient(self.url, **kw)
        if user:
            resp = c.login(user, password)
            assert resp.status_code == 200, (resp.status_code, resp.text)
        return c

    def upload(self, client: GradioClient, name: str, data: bytes) -> httpx.Response:
        """POST one file to Gradio's upload route."""
        return client.http.post(
            f"{self.url}/gradio_api/upload", files={"files": (name, data, "text/plain")}
        )


def file_data(path: str, name: str) -> dict:
    """An uploaded file as an event's input (Gradio's FileData)."""
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
