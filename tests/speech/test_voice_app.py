"""Speech through the product: `say` and `transcribe` on the command line, the domain model
built at ingest, a spoken answer's delivery kept with the turn and summarised in the report."""

from __future__ import annotations

import json

from interviewer.cli import main
from interviewer.config import Settings
from interviewer.export import to_markdown
from interviewer.report_render import report_text
from interviewer.store import open_store
from interviewer.voice import Voice, model_dir
from tests.helpers import new_interview

SENTENCE = "Bagging reduces variance by averaging models trained on bootstrap samples."


def test_say_then_transcribe_on_the_command_line(tmp_path, capsys):
    wav = tmp_path / "q.wav"
    assert main(["say", SENTENCE, "-o", str(wav)]) == 0
    assert wav.read_bytes()[:4] == b"RIFF"
    capsys.readouterr()
    assert main(["transcribe", str(wav), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "variance" in out["text"] and "bootstrap" in out["text"]
    assert out["delivery"]["words"] >= 8 and out["delivery"]["wpm"] > 60
    assert "wpm" in out["delivery"]["summary"]


def test_bad_audio_gets_one_line_and_status_2(tmp_path, capsys):
    fake = tmp_path / "notes.wav"
    fake.write_text("this is not audio at all")
    assert main(["transcribe", str(fake)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not an audio file" in err[0]
    assert main(["transcribe", str(tmp_path / "missing.wav")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert fake.read_text() == "this is not audio at all"  # nothing the candidate gave is lost


def test_ingest_builds_the_domain_model_once(capsys):
    settings = Settings.from_env()
    assert main(["ingest"]) == 0
    folder = model_dir(settings)
    built = (folder / "domain.lm").stat().st_mtime
    assert main(["ingest"]) == 0  # unchanged guide and bank: not rebuilt
    assert (folder / "domain.lm").stat().st_mtime == built


def test_a_spoken_answer_keeps_its_delivery_in_the_turn_and_the_report(tmp_path):
    voice = Voice(Settings.from_env())
    spoken = voice.transcribe(voice.say_wav(SENTENCE), budget_seconds=210)
    store = open_store(Settings.from_env())
    iv = new_interview(round="L1", questions=1, store=store, seed=1, follow_ups=0)
    iv.start()
    iv.answer(spoken.text, delivery=spoken.delivery)
    assert iv.done
    _, [turn] = store.load_session(iv.info.id, user_id="local")
    assert turn.delivery["wpm"] == spoken.delivery["wpm"] and turn.delivery["budget"] == 210
    report = iv.report()
    # the pace the chat showed (walk40: 155 wpm there, 156 in the report)
    assert report.delivery["answers"] == 1 and report.delivery["wpm"] == spoken.delivery["wpm"]
    assert "spoken answer at" in report_text(report)
    info, turns = store.load_session(iv.info.id, user_id="local")
    md = to_markdown(info, turns)
    assert "**Delivery** (spoken)" in md and f"{spoken.delivery['wpm']} wpm" in md


def test_the_reports_pace_is_the_one_each_answer_showed():
    # walk40: "155 wpm" under the answer, "156 words a minute" in the report: the report took
    # the time kept to a tenth of a second (5.0 s for 5.03 s).
    from interviewer.report import _delivery
    from tests.test_store import make_turn

    turn = make_turn(0, overall=70)
    turn.delivery = {"words": 13, "seconds": 5.0, "wpm": 155, "fillers": {}, "pauses": [],
                     "budget": 210}  # fmt: skip
    assert _delivery([turn])["wpm"] == 155


def test_a_transcript_lands_after_what_was_typed():
    # walk42: a recording replaced the typed half of an answer, with no undo.
    from interviewer.voice import into_box

    assert into_box("", "spoken") == into_box("  \n", "spoken") == "spoken"
    assert into_box("typed first", "spoken") == "typed first\n\nspoken"
    # recorded again: the last transcript, still as it landed, is replaced
    assert into_box("typed first\n\nspoken", "again", last="spoken") == "typed first\n\nagain"
    assert into_box("spoken", "again", last="spoken") == "again"
    # edited since: it is kept, the new one after it
    assert into_box("spoken, then edited", "again", last="spoken") == (
        "spoken, then edited\n\nagain"
    )
