"""Speech benchmark, printed as JSON: word error rate of offline speech to text (stock and domain
language models, and through a fake OpenAI-compatible endpoint) and its real-time factor.

The voice test set is built at run time from the bank: the opening (1-3 prose sentences) of the
model answers of 40 questions, spoken by hibari at two speeds into WAV files in a temporary
directory. Nothing is downloaded.

Honesty note: the domain model is built from the guide and the bank, and these passages come from
the bank's model answers, so the in-domain figure measures recognition of text the model has seen.
The held-out figures measure it on 10 of the passages with a model built without those 10
model answers (and, stricter, without anything from those 10 questions).

Run with ``.venv/bin/python bench/speech.py [--passages 40] [--endpoint-clips 20]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interviewer.speech.audio import wav_bytes  # noqa: E402
from interviewer.speech.lm import prose, sentences  # noqa: E402
from interviewer.speech.stt import build_domain_model, transcribe, transcribe_endpoint  # noqa: E402
from interviewer.speech.text import word_errors  # noqa: E402
from interviewer.speech.tts import synthesize  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402

GUIDE = ROOT / "knowledge" / "guides" / "persistent-systems-ml-engineer.txt"
BANK = sorted((ROOT / "knowledge" / "bank").glob("*.yaml"))
SPEEDS = (1.0, 1.15)
TARGETS = {"domain_wer_max": 0.10, "rtf_max": 0.5}
# Code read aloud is not an answer; sentences with code-like tokens are skipped.
_CODE = re.compile(r"[`_={}\[\]()<>|#]|\w\.\w")


def questions() -> list[dict]:
    out = []
    for f in BANK:
        out += yaml.safe_load(f.read_text(encoding="utf-8"))["questions"]
    return out


def passage(answer: str, max_words: int = 45) -> str:
    """The first 1-3 prose sentences of a model answer (at most about 45 words)."""
    out: list[str] = []
    n = 0
    for s in sentences(prose(answer).replace("\n", " ")):
        if _CODE.search(s):
            if out:
                break
            continue
        k = len(s.split())
        if out and n + k > max_words:
            break
        out.append(s)
        n += k
        if len(out) == 3:
            break
    return " ".join(out)


def domain_texts(qs: list[dict], drop_answers=frozenset(), drop_questions=frozenset()) -> list:
    texts = [GUIDE.read_text(encoding="utf-8")]
    for q in qs:
        if q["id"] in drop_questions:
            continue
        texts.append(q["text"])
        texts += [k["point"] for k in q["key_points"]]
        if q["id"] not in drop_answers:
            texts.append(q["model_answer"])
    return texts


def score(clips: list[dict], hear) -> dict:
    """Corpus WER of ``hear`` (path -> text) over clips, and its wall-clock real-time factor."""
    errors = words = 0
    seconds = audio = 0.0
    for c in clips:
        t0 = time.perf_counter()
        text = hear(c["path"])
        seconds += time.perf_counter() - t0
        e, n = word_errors(c["text"], text)
        errors, words, audio = errors + e, words + n, audio + c["seconds"]
    return {
        "wer": round(errors / words, 4),
        "errors": errors,
        "words": words,
        "clips": len(clips),
        "audio_s": round(audio, 1),
        "rtf": round(seconds / audio, 3),
    }


def main() -> None:
    """Build the voice set and models, measure, print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=40)
    parser.add_argument("--held-out", type=int, default=10)
    parser.add_argument("--endpoint-clips", type=int, default=20)
    args = parser.parse_args()

    qs = questions()
    usable = [q for q in qs if len(passage(q["model_answer"]).split()) >= 12]
    n = min(args.passages, len(usable))
    chosen = [usable[round(i * len(usable) / n)] for i in range(n)]
    step = max(1, n // max(1, args.held_out))
    held = {q["id"] for q in chosen[::step][: args.held_out]}

    report: dict = {
        "versions": {p: version(p) for p in ("hibari-tts", "pocketsphinx", "numpy")},
        "machine": {"cpus": os.cpu_count(), "loadavg_at_start": list(os.getloadavg())},
        "note": (
            "in_domain: the domain model's texts include these passages (they are bank model "
            "answers). held_out_answers: model built without these 10 model answers (question "
            "text and key points kept). held_out_questions: model built without anything from "
            "those 10 questions. endpoint: the fake OpenAI-compatible server transcribes with the "
            "offline domain recogniser, so it checks the HTTP path (upload, verbose_json, word "
            "times), not a Whisper model's accuracy."
        ),
    }
    with tempfile.TemporaryDirectory(prefix="speech-bench-") as tmp_name:
        tmp = Path(tmp_name)
        clips: list[dict] = []
        t0 = time.perf_counter()
        tts_audio = 0.0
        for q in chosen:
            text = passage(q["model_answer"])
            for speed in SPEEDS:
                samples, rate = synthesize(text, speed=speed)
                path = tmp / f"{q['id']}-{speed}.wav"
                path.write_bytes(wav_bytes(samples, rate))
                secs = len(samples) / rate
                tts_audio += secs
                clips.append(
                    {"id": q["id"], "speed": speed, "text": text, "path": path, "seconds": secs}
                )
        tts_s = time.perf_counter() - t0
        report["voice_set"] = {
            "passages": n,
            "clips": len(clips),
            "speeds": list(SPEEDS),
            "audio_s": round(tts_audio, 1),
            "words": sum(len(c["text"].split()) for c in clips),
            "held_out_ids": sorted(held),
            "tts_rtf": round(tts_s / tts_audio, 4),
        }

        t0 = time.perf_counter()
        full = build_domain_model(domain_texts(qs), tmp / "model-full")
        build_s = time.perf_counter() - t0
        no_answers = build_domain_model(domain_texts(qs, drop_answers=held), tmp / "model-ha")
        no_questions = build_domain_model(domain_texts(qs, drop_questions=held), tmp / "model-hq")
        report["domain_model"] = {
            "build_s": round(build_s, 2),
            **{
                k: v
                for k, v in json.loads((full / "model.json").read_text()).items()
                if k not in ("added", "seconds")
            },
        }

        def offline(model_dir):
            # The first call per model loads the decoder; timed separately from the clips.
            t = time.perf_counter()
            transcribe(clips[0]["path"], model_dir=model_dir)
            load = time.perf_counter() - t
            return load, (lambda p: transcribe(p, model_dir=model_dir).text)

        held_clips = [c for c in clips if c["id"] in held]
        wer: dict = {}
        load_stock, hear_stock = offline(None)
        load_full, hear_full = offline(full)
        _, hear_ha = offline(no_answers)
        _, hear_hq = offline(no_questions)
        wer["in_domain"] = {"stock": score(clips, hear_stock), "domain": score(clips, hear_full)}
        wer["held_out_answers"] = {
            "stock": score(held_clips, hear_stock),
            "domain_without_these_answers": score(held_clips, hear_ha),
        }
        wer["held_out_questions"] = {
            "domain_without_these_questions": score(held_clips, hear_hq),
        }
        with FakeOpenAI() as srv:

            def fake_whisper(audio: bytes):
                tr = transcribe(audio, model_dir=full)
                return tr.text, [(w.text, w.start, w.end) for w in tr.words], tr.duration

            srv.transcriber = fake_whisper
            sub = clips[: args.endpoint_clips]
            via = score(
                sub,
                lambda p: (
                    transcribe_endpoint(
                        p, base_url=srv.base_url, api_key="bench", model="fake-whisper"
                    ).text
                ),
            )
            wer["endpoint"] = {"endpoint": via, "offline_same_clips": score(sub, hear_full)}
        report["wer"] = wer
        report["rtf"] = {
            "stock": wer["in_domain"]["stock"]["rtf"],
            "domain": wer["in_domain"]["domain"]["rtf"],
            "decoder_load_s": {"stock": round(load_stock, 2), "domain": round(load_full, 2)},
            "how": "wall clock per clip (decode WAV, resample 24->16 kHz, recognise), one "
            "stream; pocketsphinx uses one core",
        }
    domain = report["wer"]["in_domain"]["domain"]["wer"]
    rtf = report["rtf"]["domain"]
    report["targets"] = {
        **TARGETS,
        "domain_wer": domain,
        "domain_rtf": rtf,
        "met": domain <= TARGETS["domain_wer_max"] and rtf <= TARGETS["rtf_max"],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
