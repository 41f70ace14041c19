"""The building blocks of the app's defences, without a server: password hashes, login
backoff, rate limits, session ownership, the cache sweep, URL detection."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from interviewer.cli import main
from interviewer.config import ConfigError, Settings
from interviewer.errors import TooManyLogins
from interviewer.ui import blocked_paths, fetches_url, launch_kwargs
from interviewer.ui.auth import (
    Authenticator,
    LoginGuard,
    RateLimiter,
    hash_password,
    parse_auth,
    verify_password,
)
from interviewer.ui.cache import private_dir, sweep
from interviewer.ui.context import AppContext, safe_text, text_problem


def test_hashes_verify_and_never_hold_the_password():
    h = hash_password("s3cret: ünïcode")
    assert h.startswith("scrypt$") and "s3cret" not in h
    assert verify_password(h, "s3cret: ünïcode") and not verify_password(h, "s3cret")
    assert hash_password("x") != hash_password("x")  # salted
    assert verify_password("plain", "plain") and not verify_password("plain", "plai")


def test_auth_takes_hashes_and_refuses_malformed_ones():
    h = hash_password("pw")
    assert parse_auth(f"ana:{h}, ben:pw2") == [("ana", h), ("ben", "pw2")]
    for bad in ("ana:scrypt$1$8$1$abc$def", "ana:scrypt$x", "ana:scrypt$16384$8$1$$"):
        with pytest.raises(ConfigError, match="hash-password"):
            parse_auth(bad)
    # walk19b: values that started quietly with no login, one user, or one password of two
    assert parse_auth(None) is None and parse_auth("") is None
    for bad, said in ((" ", "INTERVIEWER_AUTH is blank: unset it for no login"),
                      ("ana:pw,ana:pw2", "names the user ana twice"),
                      ("ana:pw;ben:pw", "ana's password reads as a second pair"),
                      ("ana:pw ben:pw2", "ana's password reads as a second pair")):  # fmt: skip
        with pytest.raises(ConfigError, match=said):
            parse_auth(bad)
    assert parse_auth("ana:p;w=x:,ben:a b") == [("ana", "p;w=x:"), ("ben", "a b")]


def test_hash_password_command_prints_an_entry_for_auth(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse\n"))
    assert main(["hash-password", "--user", "ana"]) == 0
    user, hashed = capsys.readouterr().out.strip().split(":", 1)
    assert user == "ana" and verify_password(hashed, "correct horse")
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["hash-password"]) == 2
    assert "empty" in capsys.readouterr().err


def test_the_console_script_reads_the_password_from_stdin():
    exe = os.path.join(os.path.dirname(sys.executable), "mock-interview")
    out = subprocess.run(
        [exe, "hash-password"], input="pw\n", capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and verify_password(out.stdout.strip(), "pw")


def test_login_guard_backs_off_doubling_and_forgets_on_success():
    guard = LoginGuard(attempts=3)
    t = 1000.0
    for _ in range(2):
        guard.failed("ana", "1.1.1.1", now=t)
    assert guard.wait("ana", "2.2.2.2", now=t) == 0
    guard.failed("ana", "1.1.1.1", now=t)
    assert guard.wait("ana", "2.2.2.2", now=t) == pytest.approx(30)  # the user name is paused
    assert guard.wait("ben", "1.1.1.1", now=t) == pytest.approx(30)  # and so is the address
    assert guard.wait("ben", "3.3.3.3", now=t) == 0
    guard.failed("ana", "1.1.1.1", now=t + 31)
    assert guard.wait("ana", "9.9.9.9", now=t + 31) == pytest.approx(60)  # doubled
    for i in range(20):
        guard.failed("ana", "1.1.1.1", now=t + 100 + i)
    assert guard.wait("ana", "9.9.9.9", now=t + 119) <= LoginGuard.CAP
    guard.succeeded("ana", "1.1.1.1")
    assert guard.wait("ana", "1.1.1.1", now=t + 120) == 0


def test_authenticator_checks_no_password_while_paused():
    auth = Authenticator([("ana", hash_password("pw"))], attempts=2)
    assert auth.check("ana", "pw", "1.1.1.1")
    assert not auth.check("ana", "x", "1.1.1.1") and not auth.check("nobody", "x", "1.1.1.1")
    with pytest.raises(TooManyLogins, match="try again in"):
        auth.check("ana", "pw", "1.1.1.1")


def test_rate_limiter_is_a_sliding_window():
    limit = RateLimiter(2, 60)
    assert limit.hit("a", now=0) == 0 and limit.hit("a", now=1) == 0
    assert limit.hit("a", now=2) == pytest.approx(58)
    assert limit.hit("b", now=2) == 0  # per key
    assert limit.hit("a", now=61) == 0  # the first event left the window


def test_refusal_checks_the_session_owner_the_rate_and_the_text(data_dir):
    settings = Settings.from_env(answers_per_minute=2)
    ctx = AppContext(settings=settings, store=None, bank={}, llm_problem=None)
    ana = SimpleNamespace(username="ana", client=SimpleNamespace(host="1.1.1.1"))
    bens_live = SimpleNamespace(user="ben")
    assert "another session" in ctx.refusal(ana, bens_live, "hi")
    assert "not valid Unicode" in ctx.refusal(ana, SimpleNamespace(user="ana"), "a\ud800")
    assert ctx.refusal(ana, SimpleNamespace(user="ana"), "ok") is None
    assert ctx.refusal(ana, None, "ok") is None
    assert "Too many answers" in ctx.refusal(ana, None, "ok")


def test_lone_surrogates_are_named_and_made_safe():
    assert text_problem("fine ünïcode 🙂") is None and text_problem(None) is None
    assert "lone surrogate" in text_problem("x\udcff")
    assert safe_text("a\ud800b") == "a\ufffdb" and safe_text(None) == ""


def test_the_cache_is_private_and_swept(tmp_path):
    cache = private_dir(tmp_path / "cache")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    (cache / "gradio" / "abc").mkdir(parents=True)
    old, new = cache / "gradio" / "abc" / "old.txt", cache / "gradio" / "new.txt"
    old.write_text("x")
    new.write_text("y")
    past = time.time() - 7200
    os.utime(old, (past, past))
    assert sweep(cache) == 1
    assert not old.exists() and new.exists() and not (cache / "gradio" / "abc").exists()
    assert (cache / "gradio").is_dir()  # the top folders stay


def test_url_file_routes_are_recognised():
    for path in (
        "/gradio_api/file=http://x/y",
        "/gradio_api/file=HTTPS://x/y",
        "/gradio_api/file= http://x",
        "/gradio_api/file=//x/y",
        "/gradio_api/file/ftp://x",
        "/file=file:///etc/passwd",
        "/gradio_api/proxy=anything",
    ):
        assert fetches_url(path), path
    for path in ("/gradio_api/file=/tmp/cache/gradio/abc/notes.md", "/gradio_api/upload", "/"):
        assert not fetches_url(path), path


def test_only_the_cache_of_the_data_dir_can_be_served(tmp_path):
    data = tmp_path / "data"
    (data / "chroma").mkdir(parents=True)
    (data / "secrets.txt").write_text("x")
    s = Settings.from_env({"INTERVIEWER_DATA_DIR": str(data)})
    blocked = blocked_paths(s)
    assert str((data / "chroma").resolve()) in blocked
    assert str((data / "secrets.txt").resolve()) in blocked
    assert str((data / "interviewer.db").resolve()) in blocked
    assert not any(p.endswith("/cache") for p in blocked)
    elsewhere = Settings.from_env({"INTERVIEWER_DATA_DIR": str(data)}, cache_dir=tmp_path / "c")
    assert blocked_paths(elsewhere) == [str(data.resolve())]
    assert launch_kwargs(s)["num_workers"] == 0
