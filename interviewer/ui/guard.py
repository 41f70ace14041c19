"""The guard in front of Gradio's routes: no URL fetching through file routes, login backoff,
upload quotas and a capped cache, request bodies bounded, sessions bound to their user."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from interviewer.errors import TooManyLogins
from interviewer.ui.auth import LOGIN_ADDRESS
from interviewer.ui.context import AppContext

log = logging.getLogger(__name__)

# -- the guard in front of Gradio's routes ---------------------------------------------------------
# Gradio's file routes fetch an http(s) URL given in place of a path (an open proxy; its
# validation even asks dns.google about the host) and `/proxy=` forwards to other servers.
# This app serves only its own files: any scheme ("http:", "file:", ...) or "//host" is refused.
_FILE_ROUTE = re.compile(r"^/(?:gradio_api/)?(?P<route>file=|file/|proxy=)(?P<target>.*)$", re.S)
_URL_LIKE = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:|[/\\]{2})", re.I)
_SESSION_PATH = re.compile(r"^/gradio_api/(?:heartbeat|stream)/(?P<hash>[^/]+)(?:/.+)?$")
MAX_JSON_BODY = 4 * 1024 * 1024  # an event's data: answers are at most 8,000 characters
MAX_SESSIONS = 100_000


def fetches_url(path: str) -> bool:
    """Whether a request path asks the server to fetch from elsewhere."""
    m = _FILE_ROUTE.match(path)
    return bool(m) and (m["route"] == "proxy=" or bool(_URL_LIKE.match(m["target"])))


async def _respond(send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware in front of every Gradio route (see the module docstring).

    - file routes never fetch a URL (403), and ``/proxy=`` is closed;
    - a login attempt carries its address to ``Authenticator`` (backoff per user and address)
      and a paused login answers 429 with the time to wait;
    - uploads are limited per user (per address without logins) and hour, and refused while
      the private cache is over ``INTERVIEWER_CACHE_MAX_MB``;
    - with logins, a session hash belongs to the first user who used it: a request that names
      another user's session (to answer into their interview, read their event stream) is 403.
    """

    def __init__(self, app, ctx: AppContext):
        self.app, self.ctx = app, ctx
        self.owners: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope.get("path", ""), scope.get("method", "GET")
        if fetches_url(path):
            log.warning("refused a URL file route: %s", path[:200])
            return await _respond(
                send, 403, "This server fetches no URL: it serves only its own files."
            )
        if method == "POST" and path.rstrip("/") == "/login":
            return await self._login(scope, receive, send)
        user = self._user(scope)
        if method == "POST" and path.rstrip("/") == "/gradio_api/upload":
            refusal = self._upload_refusal(scope, user)
            if refusal:
                return await _respond(send, *refusal)
        if user is not None and path.startswith("/gradio_api/"):
            hashes = self._url_hashes(scope)
            if method == "POST" and _is_json(scope):
                body = await _read_body(receive, MAX_JSON_BODY)
                if body is None:
                    return await _respond(send, 413, "Request too large.")
                hashes += _json_hashes(body)
                receive = _replay(body, receive)
            for h in hashes:
                if not self._bind(h, user):
                    log.warning("user %r used another user's session %s: refused", user, h)
                    return await _respond(
                        send, 403, "This session belongs to another user: reload the page."
                    )
        return await self.app(scope, receive, send)

    async def _login(self, scope, receive, send):
        token = LOGIN_ADDRESS.set(_client(scope))
        try:
            return await self.app(scope, receive, send)
        except TooManyLogins as exc:
            return await _respond(send, 429, str(exc))
        finally:
            LOGIN_ADDRESS.reset(token)

    def _user(self, scope) -> str | None:
        """The logged-in user of a request (None without logins, or when not logged in)."""
        app = scope.get("app")
        if app is None or getattr(app, "auth", None) is None:
            return None
        cookie = SimpleCookie()
        try:
            cookie.load(_header(scope, b"cookie"))
        except Exception:  # noqa: BLE001 - a malformed cookie header is no login
            return None
        for name in (f"access-token-{app.cookie_id}", f"access-token-unsecure-{app.cookie_id}"):
            if name in cookie and (user := app.tokens.get(cookie[name].value)):
                return user
        return None

    def _upload_refusal(self, scope, user: str | None) -> tuple[int, str] | None:
        s = self.ctx.settings
        try:
            size = int(_header(scope, b"content-length") or 0)
        except ValueError:
            size = 0
        if self.ctx.cache_bytes() + size > s.cache_max_mb * 1024 * 1024:
            return 507, "The server's upload space is full: try again in a while."
        who = f"user:{user}" if user else f"addr:{_client(scope)}"
        wait = self.ctx.upload_limiter.hit(who)
        if wait > 0:
            return 429, (
                f"Too many uploads ({s.uploads_per_hour} an hour at most): try again in "
                f"{int(wait // 60) + 1} min."
            )
        self.ctx.note_upload(size)
        return None

    def _url_hashes(self, scope) -> list[str]:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        hashes = list(query.get("session_hash", []))
        if scope.get("method") == "GET" and (m := _SESSION_PATH.match(scope.get("path", ""))):
            hashes.append(m["hash"])
        return hashes

    def _bind(self, session_hash: str, user: str) -> bool:
        """Bind a session hash to its first user; whether ``user`` is that user."""
        with self.lock:
            owner = self.owners.get(session_hash)
            if owner is None:
                self.owners[session_hash] = user
                while len(self.owners) > MAX_SESSIONS:
                    self.owners.popitem(last=False)
                return True
            self.owners.move_to_end(session_hash)
            return owner == user


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _client(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _is_json(scope) -> bool:
    return "json" in _header(scope, b"content-type").lower()


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole request body, or None past ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _json_hashes(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    value = data.get("session_hash") if isinstance(data, dict) else None
    return [value] if isinstance(value, str) and value else []


def _replay(body: bytes, receive):
    """A ``receive`` that gives the body already read, then waits on the real one (for the
    client's disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
