"""The systemd units ``deploy/`` ships for a cohort, checked as systemd loads them
(``systemd-analyze verify``) and run as they are written: the Chroma server's command, then a
replica's command with the unit's environment, its example settings file and its stop signal.
No systemd runs here (a container has none as PID 1), so ``Restart=`` itself is not exercised."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.cli.app import EXIT_CONFIG
from interviewer.processes import spawn, stop
from interviewer.ui.auth import PLACEHOLDER
from tests import ROOT, services
from tests.services import pg_server  # noqa: F401 (a fixture)

DEPLOY = ROOT / "deploy"
REPLICA_UNIT = DEPLOY / "mock-interview@.service"
CHROMA_UNIT = DEPLOY / "mock-interview-chroma.service"
ENV_FILE = DEPLOY / "mock-interview.env"
SYSTEMD_ANALYZE = Path("/usr/bin/systemd-analyze")
# Where the units expect the app (a checkout with its .venv) and keep their state; a test puts
# this checkout, its virtualenv and a temp dir in their place.
APP_DIR, VENV = "/srv/mock-interview/app", "/srv/mock-interview/app/.venv"
STATE, CACHE = "/var/lib/mock-interview", "/var/cache/mock-interview"


def service_section(unit: Path) -> dict[str, list[str]]:
    """The ``[Service]`` settings of a unit, each key with its values in order (``Environment=``
    may repeat)."""
    out: dict[str, list[str]] = {}
    section = ""
    for line in unit.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def env_file(path: Path) -> dict[str, str]:
    """An EnvironmentFile as systemd reads these simple lines: NAME=value, comments and blank
    lines skipped, one pair of quotes around a value removed, ``$`` kept."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        assert sep, line
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[name.strip()] = value
    return out


def here(text: str, state: Path, instance: str = "") -> str:
    """A unit's value with this machine's paths and the instance name (``%i``)."""
    text = text.replace(VENV, sys.prefix).replace(APP_DIR, str(ROOT))
    text = text.replace(STATE, str(state)).replace(CACHE, str(state / "cache"))
    return text.replace("%i", instance)


def written_here(unit: Path, folder: Path) -> Path:
    """A copy of ``unit`` in ``folder`` pointing at this checkout and virtualenv."""
    copy = folder / unit.name
    copy.write_text(here(unit.read_text(encoding="utf-8"), folder / "state", "%i"), "utf-8")
    return copy


@pytest.fixture(scope="module")
def analyze():
    if not SYSTEMD_ANALYZE.exists():
        services.unavailable("systemd-analyze is missing (apt-get install systemd)")
    return SYSTEMD_ANALYZE


def verify(analyze: Path, *units: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(analyze), "verify", *map(str, units)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "SYSTEMD_LOG_COLOR": "0"})  # fmt: skip


def test_the_units_load_as_systemd_reads_them(analyze, tmp_path):
    replica, chroma = written_here(REPLICA_UNIT, tmp_path), written_here(CHROMA_UNIT, tmp_path)
    instance = replica.with_name("mock-interview@7861.service")  # the template's instance
    done = verify(analyze, instance, chroma)
    # (a setting systemd cannot parse is only a warning, "... Failed to parse ..., ignoring")
    warned = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and not warned, done.stderr
    # (what verify checks: a program that is not where the unit says fails it, as it does on a
    # host where the app is not installed at /srv/mock-interview/app)
    moved = tmp_path / "moved" / CHROMA_UNIT.name
    moved.parent.mkdir()
    moved.write_text(chroma.read_text().replace(sys.prefix, "/nonexistent/venv"), "utf-8")
    failed = verify(analyze, moved)
    assert failed.returncode != 0 and "/nonexistent/venv/bin/chroma" in failed.stderr


def test_every_setting_the_example_file_and_units_give_is_one_the_app_reads():
    read = set(re.findall(r'"(INTERVIEWER_[A-Z_]+)"', (ROOT / "interviewer/config.py").read_text()))
    given = set(env_file(ENV_FILE))
    for value in service_section(REPLICA_UNIT)["Environment"]:
        given.add(value.partition("=")[0])
    assert {n for n in given if n.startswith("INTERVIEWER_")} <= read, given - read
    assert "OMP_NUM_THREADS" in given  # one thread per replica, as the README says


def test_the_units_run_as_written_and_a_replica_stops_cleanly(pg_server, tmp_path):  # noqa: F811
    state = tmp_path / "state"
    # The Chroma server, by its unit's command (its port made free for the test).
    chroma = service_section(CHROMA_UNIT)
    port = services.free_port()
    argv = shlex.split(here(chroma["ExecStart"][0], state).replace("--port 8000", f"--port {port}"))
    assert argv[0] == str(Path(sys.prefix) / "bin" / "chroma")
    (state / "chroma").mkdir(parents=True)  # StateDirectory=, which systemd creates
    log = tmp_path / "chroma.log"
    with open(log, "wb") as out:
        server = spawn(argv, stdout=out, stderr=subprocess.STDOUT,
                       env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        services.wait_until(lambda: services.http_ok(f"{url}/api/v2/heartbeat"), "the Chroma unit",
                            timeout=services.START_TIMEOUT, proc=server, log=log)  # fmt: skip
        unit = service_section(REPLICA_UNIT)
        instance = str(services.free_port())
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "OPENAI_"))}
        env.update(env_file(ENV_FILE))
        env["INTERVIEWER_DATABASE_URL"] = pg_server.create_database("units")
        env["INTERVIEWER_CHROMA_URL"] = url
        for value in unit["Environment"]:
            name, _, v = value.partition("=")
            env[name] = here(v, state, instance)
        env["GRADIO_TEMP_DIR"] = str(tmp_path / "gradio")
        # The service user has no home (useradd --home-dir /nonexistent): a HOME nothing can be
        # written under, so only the unit's own cache may hold MiniLM's ONNX export (walk39:
        # without it the app graded on torch, its warning in a file nobody read).
        env["HOME"] = str(tmp_path / "no-home")
        (tmp_path / "no-home").write_text("a file, not a folder")
        env.pop("XDG_CACHE_HOME", None)
        assert env["INTERVIEWER_PORT"] == instance
        assert env["INTERVIEWER_DATA_DIR"] == str(state / instance)
        cache = Path(env["INTERVIEWER_MODEL_CACHE"])
        assert cache == state / "cache" / instance
        (state / instance).mkdir()  # StateDirectory=mock-interview/%i
        cache.mkdir(parents=True)  # CacheDirectory=mock-interview/%i
        argv = shlex.split(here(unit["ExecStart"][0], state, instance))
        cwd = here(unit["WorkingDirectory"][0], state, instance)

        # As shipped, the example's logins are refused, with the fix named, by a status the
        # unit does not restart (it was restarted every 5 s for ever); a database that does not
        # answer is a status the unit restarts.
        refused = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert f"password is the example's placeholder {PLACEHOLDER}" in refused.stderr, (
            refused.stderr[-2000:])  # fmt: skip
        assert unit["Restart"] == ["on-failure"] and refused.returncode == EXIT_CONFIG
        assert unit["RestartPreventExitStatus"] == [str(EXIT_CONFIG)]
        down = {**env, "INTERVIEWER_AUTH": "ana:a-real-password-16",
                "INTERVIEWER_DATABASE_URL":
                    f"postgresql+psycopg://u:p@127.0.0.1:{services.free_port()}/none"}  # none there
        unreachable = subprocess.run(argv, cwd=cwd, env=down, capture_output=True, text=True,
                                     timeout=300)  # fmt: skip
        assert "cannot open the transcript store" in unreachable.stderr, unreachable.stderr[-2000:]
        assert unreachable.returncode == 2  # restarted until the database answers

        env["INTERVIEWER_AUTH"] = "ana:a-real-password-16"
        log = tmp_path / "journal.log"  # stands in for the journal, named as systemd names it
        with open(log, "wb") as out:
            st = os.fstat(out.fileno())
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
            proc = spawn(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            page = f"http://127.0.0.1:{instance}/"
            services.wait_until(lambda: services.http_ok(page), "the replica unit",
                                timeout=services.APP_START_TIMEOUT, proc=proc, log=log)  # fmt: skip
            journal = log.read_text(encoding="utf-8", errors="replace")
            assert "ONNX Runtime unavailable" not in journal, journal[-3000:]
            assert any(cache.iterdir()), "no ONNX export in the unit's cache"
            assert not (state / instance / "mock-interview.log").exists()  # the journal has it
            # systemctl stop (KillMode=mixed): SIGTERM to the app alone; it must be gone within
            # TimeoutStopSec with a status the unit counts as a clean stop.
            proc.send_signal(signal.SIGTERM)
            status = proc.wait(timeout=float(unit["TimeoutStopSec"][0]))
            assert str(status) in unit["SuccessExitStatus"][0].split() or status == 0, status
            assert unit["KillMode"] == ["mixed"] and unit["Restart"] == ["on-failure"]
        finally:
            stop(proc)
    finally:
        stop(server)


def test_under_systemd_the_apps_warnings_go_to_the_journal(tmp_path):
    """systemd names the journal stream it connects (JOURNAL_STREAM, "device:inode"): there
    the app's warnings go to stderr, the journal; anywhere else to the data dir's log file."""
    code = ("import logging, sys\nfrom interviewer.cli import setup_logging\n"
            "from interviewer.config import Settings\n"
            "setup_logging(Settings.from_env(), verbose=False)\n"
            "logging.getLogger('interviewer.walk39').warning('a warning the operator must see')\n")  # fmt: skip
    for journal in (True, False):
        data = tmp_path / f"data-{journal}"
        out_path = tmp_path / f"stderr-{journal}.log"
        with open(out_path, "wb") as out:
            st = os.fstat(out.fileno())
            env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
            env["INTERVIEWER_DATA_DIR"] = str(data)
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}" if journal else f"{st.st_dev}:1"
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, stderr=out,
                           check=True, timeout=120)  # fmt: skip
        said = out_path.read_text(encoding="utf-8")
        file = data / "mock-interview.log"
        logged = file.read_text(encoding="utf-8") if file.exists() else ""
        where = (said, logged) if journal else (logged, said)
        assert "WARNING interviewer.walk39: a warning the operator must see" in where[0], where
        assert "a warning the operator must see" not in where[1], where
