"""`mock-interview transcribe` and `mock-interview say`: speech to text and text to speech from
the command line, offline by default (INTERVIEWER_SPEECH), for scripting and tests."""

from __future__ import annotations

from pathlib import Path

from interviewer.cli.common import print_json
from interviewer.config import Settings
from interviewer.errors import SpeechError, UsageError


def register(sub) -> None:
    """Add the transcribe and say sub-commands."""
    p = sub.add_parser("transcribe", help="a spoken answer (WAV) as text, with its delivery")
    p.add_argument("file", type=Path, help="a WAV file (PCM or float, any rate from 8 kHz)")
    p.add_argument("--json", action="store_true", help="text, words per minute, fillers, pauses")
    p.set_defaults(handler=cmd_transcribe)

    p = sub.add_parser("say", help="speak a text into a WAV file")
    p.add_argument("text")
    p.add_argument("-o", "--output", type=Path, required=True, help="the WAV file to write")
    p.set_defaults(handler=cmd_say)


def cmd_transcribe(args, settings: Settings) -> int:
    """Print what was said, and how."""
    from interviewer.voice import Voice, ensure_builtin_domain_model

    if not args.file.is_file():
        raise UsageError(f"{args.file}: no such file")
    ensure_builtin_domain_model(settings)  # ML words heard right even before the first ingest
    try:
        spoken = Voice(settings).transcribe(args.file)
    except SpeechError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    if args.json:
        print_json({"text": spoken.text, "seconds": round(spoken.duration, 2),
                    "engine": spoken.engine, "delivery": spoken.delivery})  # fmt: skip
        return 0
    print(spoken.text)
    print()
    print(spoken.delivery["summary"])
    return 0


def cmd_say(args, settings: Settings) -> int:
    """Write the text spoken as a WAV file."""
    from interviewer.voice import Voice

    if not args.text.strip():
        raise UsageError("nothing to say: the text is empty")
    wav = Voice(settings).say_wav(args.text)
    try:
        args.output.write_bytes(wav)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {args.output} ({len(wav) // 1024} KB)")
    return 0


def play(wav: bytes) -> str | None:
    """Play WAV bytes on this machine's speakers; a one-line reason when it cannot."""
    import shutil
    import subprocess

    for player in (["aplay", "-q", "-"], ["paplay"], ["ffplay", "-nodisp", "-autoexit", "-"]):
        if shutil.which(player[0]):
            done = subprocess.run(player, input=wav, capture_output=True, timeout=600)
            if done.returncode == 0:
                return None
            return f"{player[0]} could not play it ({done.stderr.decode(errors='replace')[:80]})"
    return "no audio player here (aplay, paplay or ffplay): use `mock-interview say` instead"
