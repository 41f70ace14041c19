"""The guides in the knowledge base from the command line, as an operator walk-through used them:
`guides list` and `guides delete`, an id taken by another file, `search --guide` with an unknown
id, counts in the singular, a guide saved as Windows-1252, and no socket left open on a Chroma
server. Real Chroma (local, and a real server), real embeddings."""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from interviewer.knowledge.store import client as chroma_client
from interviewer.knowledge.store import collection

from interviewer import knowledge
from interviewer.cli import main
from interviewer.config import Settings
from interviewer.models import SessionInfo
from interviewer.store import Store
from tests.services import chroma  # noqa: F401 - a fixture
from tests.test_store import make_turn

BUILTIN = knowledge.BUILTIN_GUIDE_ID


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def guide_file(path: Path, heading: str, text: str) -> Path:
    """A one-section Markdown guide (one chunk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {heading}\n\n## {heading} basics\n\n{text}\n", encoding="utf-8")
    return path


def stored(settings: Settings, guide: str) -> list[dict]:
    """The metadata of every chunk the store holds for ``guide``."""
    return collection(settings).get(where={"guide": guide}, include=["metadatas"])["metadatas"]


def test_guides_are_listed_with_their_file_and_deleted_by_id_after_confirmation(
    tmp_path, capsys, monkeypatch
):
    settings = Settings.from_env()
    history = guide_file(tmp_path / "history.md", "History", "The perceptron came first.")
    serving = tmp_path / "serving.md"
    serving.write_text(
        "# Serving\n\n## Latency\n\nBatch requests to keep GPUs busy.\n\n"
        "## Scaling\n\nAutoscale replicas on queue length.\n",
        encoding="utf-8",
    )
    assert run(capsys, "ingest", str(history), str(serving))[0] == 0
    # A guide a user uploaded in the app: the operator sees it too, marked as an upload.
    knowledge.ingest([guide_file(tmp_path / "up" / "notes.md", "Notes", "Mine.")],
                     settings=settings, owner="ana")  # fmt: skip

    code, out, _ = run(capsys, "guides", "list", "--json")
    assert code == 0
    listed = {g["guide"]: g for g in json.loads(out)}
    assert listed["history"] == {
        "guide": "history",
        "kind": "shared",
        "source": "history.md",
        "source_path": str(history.resolve()),
        "chunks": 1,
        "sections": 1,
    }
    assert listed["serving"]["sections"] == 2 and listed["serving"]["chunks"] == 2
    assert listed["ana/notes"]["kind"] == "upload" and listed["ana/notes"]["source"] == "notes.md"
    assert listed["ana/notes"]["source_path"] is None  # the upload's temp copy is not recorded

    code, out, _ = run(capsys, "guides", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["guide", "chunks", "sections", "file"]
    assert any(line.split()[:3] == ["history", "1", "1"] and str(history.resolve()) in line
               for line in lines)  # fmt: skip
    assert any("notes.md (uploaded in the app by ana)" in line for line in lines)

    # Not a terminal and no --yes: refused, nothing deleted.
    code, _, err = run(capsys, "guides", "delete", "history")
    assert code == 2 and "pass --yes" in err
    assert len(stored(settings, "history")) == 1

    # On a terminal it asks, naming what goes (in the singular for one); "n" keeps it.
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "n")
    assert run(capsys, "guides", "delete", "history")[0] == 1
    assert prompts == [
        f"Delete guide history ({history.resolve()}; 1 chunk in 1 section; every user of the "
        "app has it)? [y/N] "
    ]
    assert len(stored(settings, "history")) == 1
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out, _ = run(capsys, "guides", "remove", "history")
    assert code == 0 and out.strip() == "deleted guide history (1 chunk)"
    assert stored(settings, "history") == []
    assert len(stored(settings, "serving")) == 2  # the other guides stay

    # An unknown id (the one just deleted): exit 2, naming the guides there are.
    code, _, err = run(capsys, "guides", "delete", "history", "--yes")
    assert code == 2
    assert "no guide 'history'; known guides: ana/notes, serving" in err

    # The user's upload can be deleted by the operator too.
    code, out, _ = run(capsys, "guides", "delete", "ana/notes", "--yes")
    assert code == 0 and stored(settings, "ana/notes") == []


def test_the_builtin_guide_cannot_be_deleted(kb_settings, capsys):
    before = len(stored(kb_settings, BUILTIN))
    code, _, err = run(capsys, "guides", "delete", BUILTIN, "--yes")
    assert code == 2
    assert "is the built-in guide: it cannot be deleted" in err and "every start" in err
    assert len(stored(kb_settings, BUILTIN)) == before > 0
    with pytest.raises(knowledge.GuideError, match="cannot be deleted"):
        knowledge.delete_guide(BUILTIN, settings=kb_settings)  # nor from Python


def test_another_file_of_the_same_name_is_refused_unless_replace_or_id(tmp_path, capsys):
    """Walk-through: `ingest other/history.md` silently replaced the guide `history` made from
    a different file ("1 removed")."""
    settings = Settings.from_env()
    first = guide_file(tmp_path / "history.md", "History", "The perceptron came first.")
    assert run(capsys, "ingest", str(first))[0] == 0
    # The same file, changed: updated in place, as before.
    guide_file(first, "History", "Backpropagation came second.")
    code, out, _ = run(capsys, "ingest", "--json", str(first))
    assert code == 0
    assert json.loads(out) == {
        "guide": "history", "added": 1, "unchanged": 0, "removed": 1, "total": 1,
        "encoding": "utf-8",
    }  # fmt: skip
    before = stored(settings, "history")

    other = guide_file(tmp_path / "other" / "history.md", "History", "Transformers came last.")
    code, _, err = run(capsys, "ingest", str(other))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"guide 'history' already holds another file, {first.resolve()}" in err
    assert "--replace" in err and "--id NAME" in err
    assert stored(settings, "history") == before  # untouched

    # --id NAME keeps both.
    code, out, _ = run(capsys, "ingest", str(other), "--id", "history-2")
    assert code == 0 and out.startswith("history-2: 1 added")
    assert [m["source_path"] for m in stored(settings, "history-2")] == [str(other.resolve())]
    assert stored(settings, "history") == before

    # --replace replaces it; a chunk the two files share is kept (not embedded again) and
    # now names the new file.
    guide_file(first, "History", "Transformers came last.")
    assert run(capsys, "ingest", str(first))[0] == 0
    code, out, _ = run(capsys, "ingest", str(other), "--replace")
    assert code == 0 and out.startswith("history: 0 added, 1 unchanged, 0 removed, 1 chunk")
    assert [m["source_path"] for m in stored(settings, "history")] == [str(other.resolve())]
    # ...and from now on it is the file of record: the first one is the other file.
    assert run(capsys, "ingest", str(other))[0] == 0
    assert run(capsys, "ingest", str(first))[0] == 2

    # Two files of one id in one ingest, a file posing as the built-in guide, a bad --id.
    third = guide_file(tmp_path / "third" / "history.md", "History", "Later still.")
    twin = guide_file(tmp_path / "x" / "History.md", "History", "A twin.")
    code, _, err = run(capsys, "ingest", str(third), str(twin), "--replace")
    assert code == 2 and "is guide 'history' too" in err
    fake = guide_file(tmp_path / f"{BUILTIN}.txt", "Fake", "Not the built-in guide.")
    code, _, err = run(capsys, "ingest", str(fake), "--replace")
    assert code == 2 and "is the built-in guide's id" in err and stored(settings, BUILTIN) == []
    code, _, err = run(capsys, "ingest", str(third), "--id", "My Notes")
    assert code == 2 and "use lowercase letters, digits and hyphens (for example 'my-notes')" in err
    code, _, err = run(capsys, "ingest", str(third), str(twin), "--id", "two")
    assert code == 2 and "exactly one file" in err


def test_search_in_an_unknown_guide_is_an_error_naming_the_known_ones(kb_settings, capsys):
    code, out, err = run(capsys, "search", "data drift", "--guide", "nosuchguide")
    assert code == 2 and out == ""
    assert f"no guide 'nosuchguide'; known guides: {BUILTIN}" in err
    code, out, _ = run(capsys, "search", "data drift", "--guide", BUILTIN, "-k", "1", "--json")
    assert code == 0 and json.loads(out)[0]["guide"] == BUILTIN


def test_counts_of_one_are_said_in_the_singular(tmp_path, capsys, monkeypatch):
    one = guide_file(tmp_path / "one.md", "One", "A single chunk.")
    code, out, _ = run(capsys, "ingest", str(one))
    assert code == 0 and out.strip() == "one: 1 added, 0 unchanged, 0 removed, 1 chunk"

    with Store(settings=Settings.from_env()) as store:
        info = store.create_session(SessionInfo(round="L1", user_id="local"))
        store.save_turn(info.id, make_turn(0, overall=70))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "n")
    assert run(capsys, "transcripts", "delete", info.id)[0] == 1
    [prompt] = prompts
    assert prompt.endswith(", 1 question)? [y/N] ")


def test_a_windows_1252_guide_is_read_and_said_so_and_other_encodings_are_refused_with_the_fix(
    tmp_path, capsys
):
    settings = Settings.from_env()
    text = (
        "Métriques\n\nLe modèle “naïf” a 95 % d’exactitude – voilà pourquoi on regarde le "
        "rappel, même à 5 €.\n"
    )
    ansi = tmp_path / "notes-fr.txt"
    ansi.write_bytes(text.encode("cp1252"))
    code, out, err = run(capsys, "ingest", str(ansi))
    assert code == 0, err
    assert "notes-fr: read as Windows-1252 (Western European), not UTF-8" in out
    assert "save the file as UTF-8" in out
    [chunk] = knowledge.guide_chunks("notes-fr", settings=settings)
    assert "Le modèle “naïf” a 95 % d’exactitude – voilà" in chunk.text

    unicode = tmp_path / "notes-utf16.txt"  # Windows editors' "Unicode": UTF-16 with a BOM
    unicode.write_bytes(text.encode("utf-16"))
    code, out, _ = run(capsys, "ingest", "--json", str(unicode))
    assert code == 0 and json.loads(out)["encoding"] == "utf-16"
    assert "“naïf”" in knowledge.guide_chunks("notes-utf16", settings=settings)[0].text

    # Cyrillic saved as Windows-1251 would decode to accented Latin gibberish: refused, with
    # the fix; so is Polish in Windows-1250 (its ł is ³ in Windows-1252).
    for name, words, encoding in (
        ("ru.txt", "Переобучение возникает, когда модель запоминает данные.", "cp1251"),
        ("pl.txt", "Przeuczenie występuje, gdy model zapamiętuje dane; łatwo.", "cp1250"),
    ):
        path = tmp_path / name
        path.write_bytes(words.encode(encoding))
        code, _, err = run(capsys, "ingest", str(path))
        assert code == 2, name
        assert "not UTF-8 text" in err and "save it as UTF-8" in err, err
    # UTF-8 with one stray byte is no Windows-1252 text: read so, "é" would become "Ã©" (a
    # review)
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(text.encode("utf-8") + b"\xff\n")
    code, _, err = run(capsys, "ingest", str(mixed))
    assert code == 2 and "mostly UTF-8 text with some bytes that are not" in err, err
    assert [g["guide"] for g in knowledge.list_guides(settings=settings)] == [
        "notes-fr",
        "notes-utf16",
    ]


def test_commands_on_a_chroma_server_leave_no_socket_open(chroma, tmp_path):  # noqa: F811
    """Walk-through: with INTERVIEWER_CHROMA_URL set, every command ended with 3-5 lines of
    `sys:1: ResourceWarning: unclosed <socket.socket ...>`. A named database (the admin client
    that creates it) and the default one."""
    guide = guide_file(tmp_path / "caching.md", "Caching", "Cache features near the model.")
    exe = Path(sys.executable).with_name("mock-interview")
    for url in (chroma.new_database(), chroma.url):
        env = {
            **os.environ,
            "INTERVIEWER_DATA_DIR": str(tmp_path / "d"),
            "INTERVIEWER_CHROMA_URL": url,
        }
        for argv in (
            ["ingest", str(guide), "--replace"],
            ["guides", "list"],
            ["guides", "delete", "nosuch", "--yes"],  # an error ends the command too
            ["guides", "delete", "caching", "--yes"],
        ):
            done = subprocess.run(
                [str(exe), *argv], env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == (2 if "nosuch" in argv else 0), done.stderr
            assert "ResourceWarning" not in done.stderr, (argv, done.stderr)
            assert "unclosed" not in done.stderr, (argv, done.stderr)


def open_sockets_to(port: int) -> list[socket.socket]:
    """The sockets of this process still open to ``port`` on 127.0.0.1, garbage not yet
    collected included: a leaked client sits in reference cycles, and collecting it would
    close its sockets (with the very ResourceWarning this looks for)."""
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, socket.socket) and obj.fileno() != -1:
            try:
                peer = obj.getpeername()
            except OSError:
                continue
            if peer[1] == port:
                found.append(obj)
    return found


def test_a_command_closes_every_connection_it_opened_to_the_chroma_server(
    chroma, tmp_path, monkeypatch, capsys  # noqa: F811
):
    """In-process, the sockets themselves: the client's own and those of the admin client
    chromadb makes inside it (with a session of its own), for a named database and the
    default one. The cycle collector is off meanwhile, so what leaks stays to be seen."""
    guide = guide_file(tmp_path / "drift.md", "Drift", "Watch the input distribution.")
    gc.collect()
    gc.disable()
    try:
        for url in (chroma.new_database(), chroma.url):
            monkeypatch.setenv("INTERVIEWER_CHROMA_URL", url)
            chroma_client(Settings.from_env())  # opened before the command: closed with it
            assert open_sockets_to(chroma.port)
            for argv in (
                ["ingest", str(guide), "--replace"],
                ["guides", "list", "--json"],
                ["guides", "delete", "drift", "--yes"],  # a new client works after a close
            ):
                assert run(capsys, *argv)[0] == 0
                assert open_sockets_to(chroma.port) == [], argv
    finally:
        gc.enable()


def test_file_names_in_any_script_keep_their_letters_in_the_guide_id(tmp_path, capsys):
    """Walk-through: `日本語.md` and `中文笔记.md` both had the id `guide` (the second replaced the
    first) and `Fëature—stórés 日本語 ✓.md` became `f-ature-st-r-s`."""
    settings = Settings.from_env()
    japanese = guide_file(tmp_path / "日本語.md", "特徴量", "特徴量ストアは同じ特徴量を使う。")
    chinese = guide_file(tmp_path / "中文笔记.md", "特征", "特征存储让训练和服务一致。")
    mixed = guide_file(tmp_path / "Fëature—stórés 日本語 ✓.md", "Stores", "Online and offline.")
    code, out, _ = run(capsys, "ingest", str(japanese), str(chinese), str(mixed))
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "日本語", "中文笔记", "feature-stores-日本語"]  # fmt: skip
    assert [m["source"] for m in stored(settings, "日本語")] == ["日本語.md"]
    assert [m["source"] for m in stored(settings, "中文笔记")] == ["中文笔记.md"]
    # `guides list` pads a wide id by the columns it takes (a re-walk's columns slid)
    from interviewer.cli.knowledge import _columns

    code, out, _ = run(capsys, "guides", "list")
    rows = [line for line in out.splitlines()
            if line.startswith(("guide ", "日本語", "中文笔记", "feature-stores"))]  # fmt: skip

    def chunks_end(row: str) -> int:  # the terminal column where the chunks count ends
        ident = row.split()[0]
        rest = row[len(ident):]
        return _columns(ident) + len(rest) - len(rest.lstrip(" ")) + len(rest.split()[0])

    assert len(rows) == 4 and len({chunks_end(r) for r in rows}) == 1, rows

    # Ids work where ids are typed: search --guide, --id, guides delete (also decomposed, as a
    # terminal may send "é").
    code, out, _ = run(capsys, "search", "特徴量", "--guide", "日本語", "-k", "1", "--json")
    assert code == 0 and json.loads(out)[0]["guide"] == "日本語"
    code, out, _ = run(capsys, "ingest", str(chinese), "--id", "笔记-2")
    assert code == 0 and out.startswith("笔记-2: 1 added")
    code, _, err = run(capsys, "ingest", str(chinese), "--id", "中文 笔记")
    assert code == 2 and "(for example '中文-笔记')" in err
    code, out, _ = run(capsys, "guides", "delete", "笔记-2", "--yes")
    assert code == 0 and out == "deleted guide 笔记-2 (1 chunk)\n"
    assert run(capsys, "ingest", str(mixed), "--id", "café-notes")[0] == 2  # accents: cafe-notes
    accented = guide_file(tmp_path / "Café.md", "Café", "Espresso.")
    assert run(capsys, "ingest", str(accented), "--id", "café-ü")[0] == 2
    code, out, _ = run(capsys, "ingest", str(accented), "--id", "кафе")
    assert code == 0 and out.startswith("кафе: 1 added")
    assert run(capsys, "guides", "delete", "кафе", "--yes")[0] == 0
    greek = guide_file(tmp_path / "Άρθρο.md", "Άρθρο", "Κείμενο.")  # Greek keeps its accent
    code, out, _ = run(capsys, "ingest", str(greek))
    assert code == 0 and out.startswith("άρθρο: 1 added")
    typed = "\u03b1\u0301\u03c1\u03b8\u03c1\u03bf"  # "άρθρο" with the accent sent apart
    code, out, _ = run(capsys, "guides", "delete", typed, "--yes")
    assert code == 0 and out == "deleted guide άρθρο (1 chunk)\n"

    # A name with no letter or digit: an id of its own, never a shared "guide".
    marks = [guide_file(tmp_path / name, "Marks", f"Text of {n}.") for n, name in
             enumerate(["!!!.md", "???.txt"])]  # fmt: skip
    code, out, _ = run(capsys, "ingest", *map(str, marks))
    ids = [line.split(":")[0] for line in out.splitlines()]
    assert code == 0 and len(set(ids)) == 2 and all(i.startswith("guide-") for i in ids)


def test_a_guide_stored_under_its_old_ascii_id_is_updated_by_its_file_not_copied(tmp_path, capsys):
    """Ids made before they kept every script's letters (`日本語.md` -> `guide`) keep working:
    ingesting that file again updates the guide under its old id."""
    from interviewer.knowledge.ingestion import load_guide, store_guide

    settings = Settings.from_env()
    old = guide_file(tmp_path / "日本語.md", "特徴量", "特徴量ストア。")
    store_guide(load_guide(old, settings, gid="guide"), settings)  # as the old code stored it
    guide_file(old, "特徴量", "特徴量ストアは学習と推論で同じ特徴量を使う。")
    code, out, _ = run(capsys, "ingest", str(old))
    assert code == 0 and out.startswith("guide: 1 added, 0 unchanged, 1 removed")
    assert "日本語" not in {g["guide"] for g in knowledge.list_guides(settings=settings)}
    # ...and another file whose old id was the same gets its own, new id
    other = guide_file(tmp_path / "中文.md", "特征", "特征存储。")
    code, out, _ = run(capsys, "ingest", str(other))
    assert code == 0 and out.startswith("中文: 1 added")
    assert run(capsys, "guides", "delete", "guide", "--yes")[0] == 0


def topics_file(path: Path, n: int) -> Path:
    """A Markdown guide of ``n`` one-chunk sections."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Notes\n\n" + "".join(
        f"## Topic {i}\n\nNote {i}: batch requests to keep the GPUs busy.\n\n" for i in range(n)
    ), encoding="utf-8")  # fmt: skip
    return path


def test_a_guide_past_the_chunk_limit_is_refused_and_one_stored_past_it_is_listed_and_deleted(
    tmp_path, capsys, monkeypatch
):
    """Walk-through: a 9 MB guide of tiny sections was stored as 61,029 chunks, after which
    `guides list` and `guides delete` crashed ("too many SQL variables"), so not even the
    operator could remove it. Reads now go in pages (here smaller than the guide), and a guide
    past INTERVIEWER_MAX_GUIDE_CHUNKS is refused in one line before anything is embedded."""
    from interviewer.knowledge import store

    settings = Settings.from_env()
    old = topics_file(tmp_path / "old.md", 6)
    assert run(capsys, "ingest", str(old))[0] == 0  # as an older version stored it
    monkeypatch.setattr(store, "READ_PAGE", 4)
    monkeypatch.setenv("INTERVIEWER_MAX_GUIDE_CHUNKS", "3")

    code, out, _ = run(capsys, "guides", "list", "--json")
    assert code == 0 and [(g["guide"], g["chunks"], g["sections"]) for g in json.loads(out)] == [
        ("old", 6, 6)]  # fmt: skip
    code, out, _ = run(capsys, "guides", "list")
    assert code == 0 and out.splitlines()[1].split()[:3] == ["old", "6", "6"]

    said = ("too many pieces: it would make more than 3 chunks, the most one guide may have "
            "(INTERVIEWER_MAX_GUIDE_CHUNKS); split it into smaller guides")  # fmt: skip
    new = topics_file(tmp_path / "new.md", 5)
    for args in ([str(new)], [str(old)], ["--json", str(new)]):
        code, out, err = run(capsys, "ingest", *args)
        assert code == 2 and out == ""
        assert err.splitlines() == [f"mock-interview: error: {args[-1]}: {said}"]
    assert [m["position"] for m in stored(settings, "old")] == list(range(6))  # untouched
    assert stored(settings, "new") == []

    code, out, _ = run(capsys, "guides", "delete", "old", "--yes")
    assert code == 0 and out == "deleted guide old (6 chunks)\n"
    assert stored(settings, "old") == [] and run(capsys, "guides", "list", "--json")[1] == "[]\n"
