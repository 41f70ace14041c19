"""The built package works on its own: a wheel built from the checkout, installed into a fresh
venv, runs an LLM interview against the fake endpoint from outside the checkout (prompts, bank,
guide, grader parameters and migrations all come from the wheel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests import ROOT
from tests.fake_openai import FakeOpenAI


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    [whl] = out.glob("mock_interview-*.whl")
    return whl


def test_the_wheel_ships_prompts_bank_guide_and_parameters(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    prompts = {p.name for p in (ROOT / "prompts").glob("*.md")}
    assert prompts and {f"interviewer/prompts/{p}" for p in prompts} <= names
    banks = {p.name for p in (ROOT / "knowledge" / "bank").glob("*.yaml")}
    assert {f"interviewer/knowledge/bank/{b}" for b in banks} <= names
    assert "interviewer/knowledge/guides/persistent-systems-ml-engineer.txt" in names
    assert "interviewer/grading/grader_params.json" in names
    assert "interviewer/store/migrations/versions/0001_initial.py" in names
    # every module of the source tree is in it, and no generic top-level name lands beside it
    sources = {
        f"interviewer/{p.relative_to(ROOT / 'interviewer')}"
        for p in (ROOT / "interviewer").rglob("*.py")
        if "__pycache__" not in p.parts
    } | {f"interviewer/knowledge/{p.name}" for p in (ROOT / "knowledge").glob("*.py")}
    assert sources <= names, sources - names
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"interviewer"}


def test_an_llm_interview_runs_from_the_installed_wheel(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q",
         str(wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    # Dependencies come from this venv's site-packages, read as a plain path: its .pth files
    # (the editable install of the checkout among them) are not processed.
    site = Path(
        subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip()
    )  # fmt: skip
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    answers = tmp_path / "answers.txt"
    answers.write_text("Compare feature distributions with PSI.\nRetrain on recent data.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "INTERVIEWER_"))}
    with FakeOpenAI() as srv:
        env.update(
            INTERVIEWER_DATA_DIR=str(tmp_path / "data"),
            OPENAI_BASE_URL=srv.base_url,
            OPENAI_API_KEY="test",
            INTERVIEWER_CHAT_MODEL="fake-model",
            INTERVIEWER_STRUCTURED_METHOD="function_calling",
        )
        where = subprocess.run(
            [str(py), "-c", "import interviewer, interviewer.prompts as p; print(interviewer.__file__, p.__file__)"],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
        )  # fmt: skip
        assert where.returncode == 0, where.stderr
        assert all(f.startswith(str(site)) for f in where.stdout.split()), where.stdout
        out = subprocess.run(
            [str(venv / "bin" / "mock-interview"), "interview", "--mode", "llm", "--round", "L2",
             "--questions", "2", "--follow-ups", "0", "--seed", "1",
             "--answers-file", str(answers), "--json"],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        prompts_used = [str(r.get("messages")) for r in srv.chat_requests()]
    report = json.loads(out.stdout)
    assert report["status"] == "finished" and len(report["report"]["questions"]) == 2
    assert any("Generated question" in q["question"] for q in report["report"]["questions"])
    assert any("Grade this answer" in p for p in prompts_used)  # the judge prompt file was read
