"""Settings come from the environment, fail early with the variable's name, and match the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.config import ConfigError, Settings, settings_table
from tests import ROOT as PROJECT_ROOT


def test_defaults_and_environment_overrides():
    s = Settings.from_env({})
    assert s.data_dir == Path("data") and s.mode == "offline" and s.embeddings == "minilm"
    s = Settings.from_env({"INTERVIEWER_DATA_DIR": "/x", "INTERVIEWER_PORT": "9000"}, mode="llm")
    assert s.data_dir == Path("/x") and s.port == 9000 and s.mode == "llm"
    assert s.chroma_dir == Path("/x/chroma")


@pytest.mark.parametrize(
    "env, name",
    [
        ({"INTERVIEWER_PORT": "eighty"}, "INTERVIEWER_PORT"),
        ({"INTERVIEWER_EMBEDDINGS": "word2vec"}, "INTERVIEWER_EMBEDDINGS"),
        ({"INTERVIEWER_MODE": "magic"}, "INTERVIEWER_MODE"),
        ({"INTERVIEWER_ENCODER": "cuda"}, "INTERVIEWER_ENCODER"),
        ({"INTERVIEWER_CHUNK_OVERLAP": "500"}, "INTERVIEWER_CHUNK_OVERLAP"),
    ],
)
def test_bad_values_name_the_variable(env, name):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_readme_settings_table_is_current():
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("<!-- settings-table -->")[1].split("<!-- /settings-table -->")[0]
    assert table.strip() == settings_table().strip()


def test_app_py_help_says_how_the_app_is_set_and_starts_nothing():
    # A walk-through's "app.py --help" started the app on port 7860.
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "app.py", "--help"], cwd=PROJECT_ROOT, text=True,
                         capture_output=True, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "INTERVIEWER_PORT" in run.stdout and "INTERVIEWER_DATA_DIR" in run.stdout
    bad = subprocess.run([sys.executable, "app.py", "--port", "1"], cwd=PROJECT_ROOT, text=True,
                         capture_output=True, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    assert bad.returncode == 2 and "unrecognized arguments: --port 1" in bad.stderr
