"""One error root: everything the product raises derives from it, and the CLI turns it into one
line (exit status 2) wherever it comes from."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import yaml

import interviewer
from interviewer import errors
from interviewer.bank import builtin_dir
from interviewer.cli import main


def _modules():
    for info in pkgutil.walk_packages(interviewer.__path__, "interviewer."):
        # __main__ modules run commands; _boot/_runner are scripts run inside the code sandbox,
        # which import nothing of the app.
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf == "__main__" or leaf.startswith("_") or ".migrations" in info.name:
            continue
        yield importlib.import_module(info.name)
    # interviewer.knowledge lives outside interviewer/ on disk: walk_packages does not see it.
    yield from (
        importlib.import_module(f"interviewer.knowledge.{m}")
        for m in ("chunk", "clean", "files", "ingestion", "retrieval", "store")
    )


def test_every_error_class_of_the_product_derives_from_the_root():
    found = {}
    for module in _modules():
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__.startswith("interviewer")
            ):
                found[f"{obj.__module__}.{name}"] = obj
    assert len(found) >= 15
    stray = [name for name, cls in found.items() if not issubclass(cls, errors.InterviewerError)]
    assert not stray
    defined_elsewhere = [n for n, c in found.items() if c.__module__ != "interviewer.errors"]
    assert not defined_elsewhere  # one module holds the tree


def test_the_docstring_draws_every_error_of_the_tree():
    classes = [
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, errors.InterviewerError)
    ]
    for name in classes:
        assert f" {name} " in errors.__doc__ or f"\n    {name}\n" in errors.__doc__, name


def _broken_bank(tmp_path):
    good = yaml.safe_load((builtin_dir() / "l1-ml-fundamentals.yaml").read_text())["questions"][0]
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "mine.yaml").write_text(yaml.safe_dump({"questions": [{**good, "difficulty": 9}]}))
    return folder


@pytest.mark.parametrize(
    "argv",
    [
        ["interview", "--answers-file", "ANSWERS"],
        ["grade", "--input", "GRADE"],
    ],
    ids=["interview", "grade"],
)
def test_a_broken_bank_is_one_line_and_status_2(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.setenv("INTERVIEWER_BANK_DIR", str(_broken_bank(tmp_path)))
    (tmp_path / "answers.txt").write_text("an answer\n")
    (tmp_path / "in.jsonl").write_text('{"question_id": "x", "answer": "a"}\n')
    argv = [
        {"ANSWERS": str(tmp_path / "answers.txt"), "GRADE": str(tmp_path / "in.jsonl")}.get(a, a)
        for a in argv
    ]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mock-interview: error: mine.yaml: question")
    assert "difficulty" in lines[0] and "Traceback" not in err


def test_a_missing_bank_folder_and_an_unknown_session_are_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INTERVIEWER_BANK_DIR", str(tmp_path / "nowhere"))
    assert main(["interview"]) == 2
    assert "INTERVIEWER_BANK_DIR" in capsys.readouterr().err
    monkeypatch.delenv("INTERVIEWER_BANK_DIR")
    assert main(["transcripts", "show", "nope"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "mock-interview: error: no session 'nope' for user 'local'"
    )
