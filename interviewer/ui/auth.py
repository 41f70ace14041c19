"""Logins: passwords or scrypt hashes from INTERVIEWER_AUTH, backoff against guessing, and who
and where a request comes from; plus the sliding-window rate limiter the app's quotas use."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from contextvars import ContextVar

from interviewer.errors import ConfigError, TooManyLogins

log = logging.getLogger(__name__)

# -- passwords ------------------------------------------------------------------------------------
# scrypt from the standard library (no extra dependency): N=2^15, r=8, p=1 takes about 50 ms and
# 32 MB per check, which makes a stolen INTERVIEWER_AUTH slow to crack.
SCRYPT_PREFIX = "scrypt$"
# The password deploy/mock-interview.env ships with, refused as a password: a unit started on the
# example file as it is would let anyone in who has read the example.
PLACEHOLDER = "CHANGE-ME"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """``scrypt$N$r$p$salt$hash`` of a password, for INTERVIEWER_AUTH (``ana:scrypt$...``)."""
    if not password:
        raise ConfigError("the password is empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=32
    )
    return f"{SCRYPT_PREFIX}{n}${r}${p}${_b64(salt)}${_b64(digest)}"


def _check_hash(stored: str) -> None:
    try:
        n, r, p, salt, digest = stored.removeprefix(SCRYPT_PREFIX).split("$")
        if int(n) < 2 or int(n) & (int(n) - 1) or not (_unb64(salt) and _unb64(digest)):
            raise ValueError
    except (ValueError, TypeError):
        raise ConfigError(
            "INTERVIEWER_AUTH holds a malformed scrypt hash: make it again with "
            "`mock-interview hash-password`"
        ) from None


def verify_password(stored: str, given: str) -> bool:
    """Whether ``given`` is the password ``stored`` (a scrypt hash or, failing that, the
    password itself), compared in constant time."""
    given_bytes = (given or "").encode("utf-8", "surrogatepass")
    if stored.startswith(SCRYPT_PREFIX):
        n, r, p, salt, digest = stored.removeprefix(SCRYPT_PREFIX).split("$")
        try:
            got = hashlib.scrypt(
                given_bytes,
                salt=_unb64(salt),
                n=int(n),
                r=int(r),
                p=int(p),
                maxmem=SCRYPT_MAXMEM,
                dklen=len(_unb64(digest)),
            )
        except (ValueError, MemoryError):
            return False
        return hmac.compare_digest(got, _unb64(digest))
    return hmac.compare_digest(given_bytes, stored.encode("utf-8", "surrogatepass"))


def parse_auth(text: str | None) -> list[tuple[str, str]] | None:
    """``user1:pass1,user2:scrypt$...`` as (user, password or hash) pairs; None when login is
    off. A malformed list or hash fails with a ConfigError that names the fix."""
    if not text:
        return None
    pairs = "user:password pairs separated by commas, e.g. 'ana:s3cret,ben:scrypt$...' (hashes " \
        "from `mock-interview hash-password`)"
    if not text.strip():  # (a walk-through's " " started the app with no login at all)
        raise ConfigError(f"INTERVIEWER_AUTH is blank: unset it for no login, or give {pairs}")
    out: dict[str, str] = {}
    for item in text.split(","):
        user, sep, password = item.strip().partition(":")
        user = user.strip()
        if not sep or not user or not password:
            raise ConfigError(f"INTERVIEWER_AUTH must be {pairs}")
        if _ANOTHER_PAIR.search(password):  # "ana:pw;ben:pw" made one user, ana
            raise ConfigError(f"INTERVIEWER_AUTH: {user}'s password reads as a second pair after "
                              f"a ';' or a space: give {pairs}")  # fmt: skip
        if user in out:  # (the last password won, silently)
            raise ConfigError(f"INTERVIEWER_AUTH names the user {user} twice: give each user "
                              "one password")  # fmt: skip
        if password.strip() == PLACEHOLDER:
            raise ConfigError(f"INTERVIEWER_AUTH: {user}'s password is the example's placeholder "
                              f"{PLACEHOLDER}: give each user their own (a hash from "
                              "`mock-interview hash-password` keeps it out of the file)")  # fmt: skip
        if password.startswith(SCRYPT_PREFIX):
            _check_hash(password)
        out[user] = password
    return list(out.items())


# A password holding what reads as another user's pair, joined by ';' or whitespace, not a comma
_ANOTHER_PAIR = re.compile(r"[;\s]+[^\s:;,]+:\S")


def user_of(request) -> str:
    """The logged-in user when login is on, else ``local``."""
    return getattr(request, "username", None) or "local"


def client_of(request) -> str:
    """The address a request came from (the proxy's, unless it forwards the client's)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"


# -- abuse limits ---------------------------------------------------------------------------------
class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (a sliding window); thread-safe,
    and bounded in memory (the least recently seen keys are forgotten first)."""

    def __init__(self, limit: int, window: float, max_keys: int = 10_000):
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._events: OrderedDict[str, deque] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """Count one event for ``key``; 0 when allowed, else the seconds until it would be
        (the event is then not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.pop(key, None) or deque()
            while events and events[0] <= now - self.window:
                events.popleft()
            wait = 0.0
            if len(events) >= self.limit:
                wait = events[0] + self.window - now
            else:
                events.append(now)
            self._events[key] = events
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
            return wait


class LoginGuard:
    """Backoff against password guessing, per user name and per address.

    After ``attempts`` failures (within an hour) for a user name or from an address, logins for
    it pause 30 s, doubling with each further failure up to 15 min; while paused, no password
    is even checked. A success clears the user name and the address.
    """

    BASE, CAP, FORGET = 30.0, 900.0, 3600.0
    MAX_KEYS = 10_000

    def __init__(self, attempts: int = 5):
        self.attempts = attempts
        self._failures: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(user: str, address: str) -> list[str]:
        return [f"user:{(user or '')[:128].casefold()}", f"addr:{address}"]

    def wait(self, user: str, address: str, now: float | None = None) -> float:
        """Seconds until a login for ``user`` from ``address`` may be tried (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [
                until - now
                for key in self._keys(user, address)
                if (entry := self._failures.get(key)) and (until := entry[2]) > now
            ]
        return max(waits, default=0.0)

    def failed(self, user: str, address: str, now: float | None = None) -> None:
        """Record a failed login."""
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in self._keys(user, address):
                count, last, _ = self._failures.pop(key, (0, now, 0.0))
                count = 1 if now - last > self.FORGET else count + 1
                until = 0.0
                if count >= self.attempts:
                    until = now + min(self.CAP, self.BASE * 2 ** (count - self.attempts))
                self._failures[key] = (count, now, until)
            while len(self._failures) > self.MAX_KEYS:
                self._failures.popitem(last=False)

    def succeeded(self, user: str, address: str) -> None:
        """Forget the failures of this user name and address."""
        with self._lock:
            for key in self._keys(user, address):
                self._failures.pop(key, None)


# The address of the login attempt being checked: set around Gradio's login route (it calls
# ``auth(user, password)`` without the request).
LOGIN_ADDRESS: ContextVar[str] = ContextVar("login_address", default="unknown")


class Authenticator:
    """Gradio's ``auth`` callable: passwords or scrypt hashes from INTERVIEWER_AUTH, behind a
    ``LoginGuard``; the attempt's address comes from ``LOGIN_ADDRESS``."""

    def __init__(self, pairs: list[tuple[str, str]], attempts: int):
        self.users = dict(pairs)
        self.guard = LoginGuard(attempts)
        # Unknown users cost as much as known ones, so timing does not tell which exist.
        self._decoy = hash_password(secrets.token_urlsafe(12), n=SCRYPT_N)

    async def login(self, username: str, password: str) -> bool:
        """What Gradio's login route awaits: the check in a worker thread, so the ~0.1 s of
        scrypt never stalls the server's event loop."""
        return await asyncio.to_thread(self.check, username, password, LOGIN_ADDRESS.get())

    def check(self, username: str, password: str, address: str) -> bool:
        """Whether the login is good; TooManyLogins while logins for it are paused."""
        wait = self.guard.wait(username, address)
        if wait > 0:
            raise TooManyLogins(
                f"Too many failed logins for this user or from this address: try again in "
                f"{int(wait) + 1} s."
            )
        stored = self.users.get(username)
        ok = verify_password(stored or self._decoy, password) and stored is not None
        if ok:
            self.guard.succeeded(username, address)
        else:
            self.guard.failed(username, address)
            log.warning("failed login for %r from %s", username[:64], address)
        return ok
