"""Deleting a guide from the Guides tab, at the function level: real Chroma, real SQLite, real
embeddings. A user deletes only their own uploads; the built-in guide, shared guides and other
users' uploads are refused with one line; the sessions that used a deleted guide stay."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from interviewer import knowledge
from interviewer.config import Settings
from interviewer.export import to_markdown
from interviewer.models import SessionInfo
from interviewer.store import Store
from interviewer.ui import guides as ui_guides
from interviewer.ui import render as r
from interviewer.ui.context import AppContext
from interviewer.ui.guides import (
    choices,
    delete_question,
    delete_upload,
    ingested_said,
    interview_guide,
    may_delete,
    own_uploads,
)
from tests.services import free_port

FILE_NAME = "notes <img src=x onerror=alert(1)> *v2*.md"  # a file's name is untrusted text
MINE, BENS = "ana/notes-img-src-x-onerror-alert-1-v2", "ben/notes-img-src-x-onerror-alert-1-v2"
NOTES = """# Feature Stores

A feature store keeps offline features for training and online features for low-latency
serving, so that training and serving compute features the same way.

## Point-in-time joins

Point-in-time correct joins stop label leakage when building training sets from event logs.
"""


@pytest.fixture
def ctx(kb_settings, tmp_path):
    """The app's context on a private copy of the knowledge base, holding ana's and ben's
    uploads of the same file name and a guide the operator ingested (shared)."""
    notes = tmp_path / FILE_NAME
    notes.write_text(NOTES, encoding="utf-8")
    shared = tmp_path / "team-handbook.md"
    shared.write_text(NOTES, encoding="utf-8")
    for owner in ("ana", "ben"):
        knowledge.ingest([notes], settings=kb_settings, owner=owner)
    knowledge.ingest([shared], settings=kb_settings)
    return AppContext(settings=kb_settings, store=Store(settings=kb_settings), bank={},
                      llm_problem=None)  # fmt: skip


def ids(ctx) -> set[str]:
    return {g["guide"] for g in knowledge.list_guides(settings=ctx.settings)}


def test_a_user_deletes_their_own_upload_and_nothing_else(ctx):
    builtin, mine, bens = knowledge.BUILTIN_GUIDE_ID, MINE, BENS
    assert {builtin, "team-handbook", mine, bens} <= ids(ctx)
    assert own_uploads(ctx, "ana") == [mine]  # the Delete list: no built-in, shared or ben's
    assert not any(may_delete(g, "ana") for g in (builtin, "team-handbook", bens, None))

    # Refused with one line each, and nothing goes.
    for guide, said in (
        (builtin, "is the built-in guide: it cannot be deleted"),
        ("team-handbook", "shared with every user of the app: only the operator"),
        (bens, f"You have no uploaded guide {bens}."),  # not "ben's": not ours to say
        (None, "Pick one of your uploaded guides first."),
    ):
        deleted, line = delete_upload(ctx, guide, "ana")
        assert not deleted and line.startswith("⚠ ") and said in line.replace("\\", "")
        assert "Nothing was deleted." in line and "\n" not in line
        assert delete_question(ctx, guide, "ana")[0] is None
    assert {builtin, "team-handbook", mine, bens} <= ids(ctx)

    # The confirmation names the guide and its file, escaped, and what stays.
    question, _ = delete_question(ctx, mine, "ana")
    assert question.startswith(
        f"Delete **{MINE}** (from notes &lt;img src=x onerror=alert(1)> \\*v2\\*.md; 2 chunks in 2 "
        "sections)? Interviews and Practice can no longer draw on it;"
    )
    assert "your past sessions that used it stay in **Transcripts**" in question

    # A session that drew on it, and its transcript, outlive the guide.
    info = ctx.store.create_session(SessionInfo(user_id="ana", round="L2", mode="llm", guide=mine))
    assert delete_upload(ctx, mine, "ana") == (True, f"Deleted guide **{MINE}** (2 chunks).")
    assert mine not in ids(ctx) and bens in ids(ctx)  # ben's upload of the same file stays
    assert mine not in ctx.visible_guides("ana") and own_uploads(ctx, "ana") == []
    kept, turns = ctx.store.load_session(info.id, user_id="ana")
    assert kept.guide == mine and f"**Guide:** {MINE}" in to_markdown(kept, turns)

    # Deleted meanwhile (another tab): said so, no error.
    deleted, line = delete_upload(ctx, mine, "ana")
    assert not deleted and line == f"⚠ Guide {MINE} no longer exists (deleted in another tab?)."
    assert delete_question(ctx, mine, "ana") == (
        None, f"Guide {MINE} no longer exists (deleted in another tab?).")  # fmt: skip


def test_a_guide_store_that_does_not_answer_is_one_line_not_a_traceback(ctx, monkeypatch, caplog):
    monkeypatch.setenv("INTERVIEWER_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    down = AppContext(settings=Settings.from_env(), store=ctx.store, bank={}, llm_problem=None)
    deleted, line = delete_upload(down, MINE, "ana")
    assert not deleted
    assert line == (
        f"⚠ The guide store did not answer, so {MINE} was not deleted: try again in a moment."
    )
    assert "cannot reach the Chroma server" in caplog.text  # the cause is in the log
    assert MINE in ids(ctx)  # the local store was never touched
    # walk19b: with the Chroma server down the Guides tab showed Gradio's bare "Error" on its
    # lists, the search and the upload; each now says it in one line, and keeps what it had.
    builtin, ana = knowledge.BUILTIN_GUIDE_ID, SimpleNamespace(username="ana")
    with gr.Blocks():
        ui = ui_guides.build(down, gr.State(builtin))
    said = f"⚠ {ui_guides.STORE_DOWN}"
    out = ui.load(MINE, MINE, {"guide": MINE}, ana)
    assert out[ui.sections] == said and set(out) == {ui.sections, ui.chunks}  # lists kept
    warned = []
    monkeypatch.setattr(gr, "Warning", warned.append)
    assert ui.run_search("feature store", builtin, "any", ana) == r.hit_rows([])
    assert warned == [ui_guides.STORE_DOWN]
    path = ctx.settings.data_dir / "uploads" / "down" / "notes.md"
    path.parent.mkdir(parents=True)
    path.write_text(NOTES, encoding="utf-8")
    out = ui.run_ingest(str(path), builtin, builtin, None, ana, lambda *a, **k: None)
    assert out[ui.status] == f"⚠ notes.md was not stored: {ui_guides.STORE_DOWN} Upload it again then."


def upload(ctx, user: str, name: str, text: str = NOTES) -> knowledge.IngestResult:
    """``user`` uploads a file called ``name``, as the app ingests it: a copy in a folder of
    its own (Gradio's cache), under the file's name."""
    uploads = ctx.settings.data_dir / "uploads"
    folder = uploads / str(len(list(uploads.glob("*"))))
    folder.mkdir(parents=True)
    (folder / name).write_text(text, encoding="utf-8")
    return knowledge.ingest([folder / name], settings=ctx.settings, owner=user)[0]


def test_an_upload_never_silently_replaces_another_file_of_the_same_id(ctx):
    """Walk-through: `日本語.md` was `local/guide`, and `中文笔记.md` then replaced it ("4
    removed"); accented names were mangled (`local/f-ature-st-r-s`)."""
    first, second = upload(ctx, "local", "日本語.md"), upload(ctx, "local", "中文笔记.md")
    assert (first.guide, second.guide) == ("local/日本語", "local/中文笔记")
    assert second.removed == 0 and second.taken_by is None
    assert upload(ctx, "local", "Fëature—stórés 日本語 ✓.md").guide == "local/feature-stores-日本語"
    assert upload(ctx, "local", "feature-store-notes.md").guide == "local/feature-store-notes"
    assert {"local/日本語", "local/中文笔记"} <= set(own_uploads(ctx, "local"))

    # Another file whose name gives a taken id: a guide of its own, and the status line says so.
    txt = upload(ctx, "local", "notes.md", NOTES), upload(ctx, "local", "notes.txt", NOTES)
    assert [r.guide for r in txt] == ["local/notes", "local/notes-2"]
    assert (txt[1].removed, txt[1].wanted, txt[1].taken_by) == (0, "local/notes", "notes.md")
    said = ingested_said(txt[1])
    assert said.startswith(
        "Ingested **local/notes-2**: 1 chunk (1 new, 0 unchanged, 0 removed). Your guide "
        "**local/notes** holds another file, notes.md, so this one is a guide of its own and "
        "notes.md was not replaced. Offline, its sections"
    )
    assert "Your guide" not in ingested_said(txt[0]) and "\n" not in said
    for guide, name in (("local/notes", "notes.md"), ("local/notes-2", "notes.txt")):
        question = delete_question(ctx, guide, "local")[0]
        assert question.startswith(f"Delete **{guide}** (from {name};")

    # The same file name again (an updated version) replaces its own guide, wherever it is.
    changed = NOTES.replace("low-latency", "millisecond")
    again = upload(ctx, "local", "notes.txt", changed)
    assert (again.guide, again.added, again.removed) == ("local/notes-2", 1, 1)
    assert again.taken_by is None
    assert upload(ctx, "local", "notes.md", changed).guide == "local/notes"
    assert delete_upload(ctx, "local/notes", "local")[0]
    assert upload(ctx, "local", "notes.txt", NOTES).guide == "local/notes-2"  # not a third copy
    assert upload(ctx, "local", "Notes.md", NOTES).guide == "local/notes"  # the id is free again

    # A third file of the id takes the next free one; a held file's name is said escaped.
    third = upload(ctx, "local", "notes_.txt", NOTES)
    assert (third.guide, third.taken_by) == ("local/notes-3", "Notes.md")
    starred, plain = upload(ctx, "ana", "*v2*.md", NOTES), upload(ctx, "ana", "v2.md", NOTES)
    assert (starred.guide, plain.guide) == ("ana/v2", "ana/v2-2")
    assert "holds another file, \\*v2\\*.md, so this one" in ingested_said(plain)

    # Nobody else's guide is ever a reason: ben's notes.md is his "ben/notes".
    assert upload(ctx, "ben", "notes.txt", NOTES).guide == "ben/notes"


def test_an_upload_stored_under_its_old_ascii_id_is_replaced_by_its_file(ctx, tmp_path):
    """Uploads made before ids kept every script's letters keep their ids: the same file name
    uploaded again replaces the guide under its old id; another file gets its own new id."""
    from interviewer.knowledge.ingestion import load_guide, store_guide

    path = tmp_path / "old" / "日本語.md"
    path.parent.mkdir()
    path.write_text(NOTES, encoding="utf-8")
    store_guide(load_guide(path, ctx.settings, owner="local", gid="local/guide"), ctx.settings)
    again = upload(ctx, "local", "日本語.md", NOTES.replace("low-latency", "fast"))
    assert (again.guide, again.removed, again.taken_by) == ("local/guide", 1, None)
    assert upload(ctx, "local", "中文笔记.md").guide == "local/中文笔记"
    assert "local/guide" in own_uploads(ctx, "local")


def test_own_uploads_are_told_one_way_for_every_list_of_the_tab(ctx):
    """The Delete list after an upload, a delete or the tab opening, and the one Delete
    offers when the guide is gone, were two computations (the store's list filtered here, the
    visible guides filtered there); one helper now, listing the store only when not given."""
    seen = ctx.visible_guides("ana")
    assert own_uploads(ctx, "ana") == own_uploads(ctx, "ana", seen) == [MINE]
    assert own_uploads(ctx, "ben", ctx.visible_guides("ben")) == [BENS]
    # given the ids, the store is not read again (nor ben's guide let in from a wrong list)
    assert own_uploads(ctx, "ana", ["ana/a", "ana/b", BENS, "team-handbook"]) == ["ana/a", "ana/b"]
    now = choices(ctx, "ana")
    assert now.own == [MINE] and now.guides == seen and BENS not in now.guides


def test_the_pickers_keep_their_choices_while_the_guides_exist_and_give_way_after(ctx):
    """Walk-through: the Guides tab's delete choice started over whenever the tab was opened
    again or the page reloaded; another browser tab kept a deleted guide chosen in every picker
    until reloaded, and its LLM interviews asked from the bank. Now opening the tab, or a
    picker gaining focus, lists the guides there are, keeps each choice while its guide is
    there (the delete choice from this browser's storage after a reload) and drops a deleted
    one; interviews fall back to the built-in guide and say why."""
    builtin = knowledge.BUILTIN_GUIDE_ID
    ana = SimpleNamespace(username="ana")
    with gr.Blocks():
        ui = ui_guides.build(ctx, gr.State(builtin))

    def shown(out):
        return {k: out[c].constructor_args.get("value", "(kept)")
                for k, c in (("view", ui.view), ("pick", ui.pick), ("drop", ui.drop))}  # fmt: skip

    # The tab opened again (or after a reload): the delete choice is kept, as are the others.
    out = ui.load(MINE, MINE, {"guide": MINE}, ana)
    assert shown(out) == {"view": MINE, "pick": MINE, "drop": MINE}
    assert out[ui.drop].constructor_args["choices"] == [MINE]
    assert shown(ui.load(builtin, builtin, None, ana))["drop"] is None  # nothing kept yet
    assert shown(ui.load(builtin, builtin, {"guide": BENS}, ana))["drop"] is None  # not hers
    assert choices(ctx, "ana", MINE, MINE, MINE) == ui_guides.Choices(
        guides=ctx.visible_guides("ana"), own=[MINE], view=MINE, pick=MINE, drop=MINE
    )
    assert interview_guide(ctx, MINE, "ana") == (MINE, "")

    # A picker gains focus: the lists as they are; no choice is sent back while its guide is
    # there (one just clicked in the opening list would be put back).
    out = ui.focused(MINE, MINE, MINE, ana)
    assert shown(out) == {"view": "(kept)", "pick": "(kept)", "drop": "(kept)"}
    assert MINE in out[ui.pick].constructor_args["choices"]

    # Deleted in another browser tab: every list drops it, each choice gives way.
    assert delete_upload(ctx, MINE, "ana")[0]
    out = ui.focused(MINE, MINE, MINE, ana)
    assert shown(out) == {"view": builtin, "pick": builtin, "drop": None}
    for picker in (ui.view, ui.pick, ui.drop):
        assert MINE not in out[picker].constructor_args["choices"]
    assert out[ui.drop].constructor_args["info"] == ui_guides.NO_UPLOADS
    assert ui.hits in out  # the search results of the guide that went are cleared
    out = ui.load(MINE, MINE, {"guide": MINE}, ana)
    assert shown(out) == {"view": builtin, "pick": builtin, "drop": None}
    assert choices(ctx, "ana", MINE, MINE, MINE).own == []
    guide, said = interview_guide(ctx, MINE, "ana")
    assert guide == builtin
    assert said == (f"ℹ Guide {MINE} no longer exists (deleted in another tab?): interviews "
                    f"draw on the built-in guide, {builtin}.")  # fmt: skip
    assert interview_guide(ctx, None, "ana") == (builtin, "")
    assert interview_guide(ctx, "team-handbook", "ben") == ("team-handbook", "")


def test_an_upload_says_which_rounds_it_gives_practice_questions_for(ctx):
    # a walk-through's one-line upload was promised "its sections are practice questions", and
    # Practice then said "no section for this round yet" in both rounds, with no reason
    from interviewer.practice import section_questions
    from interviewer.ui.practice import no_sections_said

    def drills(guide):
        return {rn: [q.topic for q in section_questions(guide, rn, settings=ctx.settings)]
                for rn in ("L1", "L2")}  # fmt: skip

    short = upload(ctx, "ana", "short.md", "# Notes\n\nFeature stores serve features.\n")
    said = ingested_said(short, drills(short.guide))
    assert "None of its sections has enough text to practise on offline" in said
    assert "are practice questions" not in said
    for rn in ("L1", "L2"):
        assert no_sections_said(short.guide, rn, ctx.settings).startswith(
            "None of this guide's sections has enough text to practise on: a section needs at "
            "least 15 words")
    l2 = upload(ctx, "ana", "mlops.md", (
        "# MLOps\n\n## Model registry\n\nEvery trained model is stored in the model registry "
        "with its version, the data snapshot and code commit it came from, and its evaluation "
        "metrics. Rolling back means pointing production at the previous registered version.\n"))
    counts = drills(l2.guide)
    assert counts == {"L1": [], "L2": ["Model registry"]}
    assert "are practice questions (1 question for L2) in the **Practice** tab" in ingested_said(
        l2, counts)
    assert no_sections_said(l2.guide, "L1", ctx.settings) == (
        "This guide's sections are about the L2 round: pick **L2** under *Round* to practise on "
        "them.")
    # sections of no one round are offered in both, and counted once (walk47: a two-section
    # guide read "2 questions for L1, 2 questions for L2")
    general = upload(ctx, "ana", "boosting.md", (
        "# Boosting\n\n## Gradient boosting basics\n\nGradient boosting builds shallow trees one "
        "after another, each fitted to the residuals of the trees before it and scaled by a "
        "learning rate.\n\n## Tuning\n\nThe number of trees, the learning rate and the depth "
        "matter most; early stopping on a validation set picks the number of trees.\n"))
    counts = drills(general.guide)
    assert counts["L1"] == counts["L2"] and len(counts["L1"]) == 2, counts
    assert "are practice questions (2 questions, the same in L1 and L2) in the" in ingested_said(
        general, counts)


def test_an_upload_past_the_chunk_limit_is_refused_in_one_line_and_the_lists_read_in_pages(
    ctx, tmp_path, monkeypatch
):
    """Walk-through: a 9 MB upload of tiny sections was stored as 61,029 chunks (ten minutes),
    after which every guide list of every user failed ("too many SQL variables"): the Guides
    tab said Error and Practice lost the uploads. Now such an upload is refused in one line
    before anything is embedded, and every list reads the store in pages (here of 2 chunks:
    the built-in guide and a guide stored past the limit are longer)."""
    from dataclasses import replace

    from interviewer.knowledge import store

    monkeypatch.setattr(store, "READ_PAGE", 2)
    app = AppContext(settings=replace(ctx.settings, max_guide_chunks=3), store=ctx.store,
                     bank={}, llm_problem=None)  # fmt: skip
    builtin, ana = knowledge.BUILTIN_GUIDE_ID, SimpleNamespace(username="ana")
    with gr.Blocks() as demo:
        ui = ui_guides.build(app, gr.State(builtin))
    [ingest] = [f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "ingest"]
    big = tmp_path / "upload" / "big_notes.md"
    big.parent.mkdir()
    big.write_text("# Notes\n\n" + "".join(
        f"## Topic {i}\n\nNote {i}: feature stores serve the same features online.\n\n"
        for i in range(6)), encoding="utf-8")  # fmt: skip

    before = ids(app)
    out = ingest(str(big), builtin, builtin, None, ana, lambda *a, **k: None)
    assert out[ui.status] == (
        "⚠ big\\_notes.md: too many pieces: it would make more than 3 chunks, the most one "
        "guide may have (INTERVIEWER\\_MAX\\_GUIDE\\_CHUNKS); split it into smaller guides"
    )
    assert out[ui.upload] is None and ids(app) == before  # nothing stored, nothing lost
    assert {builtin, "team-handbook", MINE} <= set(app.visible_guides("ana"))
    assert own_uploads(app, "ana") == [MINE]
    [guide] = [g for g in knowledge.list_guides(settings=app.settings) if g["guide"] == builtin]
    assert guide["chunks"] == len(knowledge.guide_chunks(builtin, settings=app.settings)) > 2

    # A guide of hers stored past the limit (by an older version) is listed and deleted whole.
    [old] = knowledge.ingest([big], settings=ctx.settings, owner="ana")
    assert old.total == 6 and old.guide in own_uploads(app, "ana")
    question, _ = delete_question(app, old.guide, "ana")
    assert question.startswith(f"Delete **{old.guide}** (from big\\_notes.md; 6 chunks in 6 ")
    assert delete_upload(app, old.guide, "ana") == (
        True, f"Deleted guide **{old.guide}** (6 chunks).")  # fmt: skip
    assert ids(app) == before
