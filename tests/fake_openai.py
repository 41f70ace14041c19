"""A scriptable OpenAI-compatible HTTP server for tests (the LLM boundary's fake).

It answers /v1/models and /v1/chat/completions (plain, streamed, tools and json_schema) and can
inject faults: 429 with Retry-After, 500/503, a hanging connection, malformed JSON, a
schema-violating judgement, a stream cut after a few chunks.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JUDGE = {
    "depth": {"score": 3, "evidence": [], "rationale": "core idea"},
    "problem_solving": {"score": 3, "evidence": [], "rationale": "ok"},
    "engineering": {"score": 3, "evidence": [], "rationale": "ok"},
    "communication": {"score": 4, "evidence": [], "rationale": "clear"},
    "covered_key_points": [],
    "overall": 55,
    "feedback": "Solid core idea; say more about trade-offs.",
}


REVIEW = {
    "correctness": {"score": 5, "rationale": "all good"},
    "readability": {"score": 4, "rationale": "clear names"},
    "vectorisation": {"score": 4, "rationale": "vectorised"},
    "edge_cases": {"score": 4, "rationale": "handles empty input"},
    "overall": 95,
    "feedback": "Clean and vectorised; say what happens on ties.",
}


def generated_question(n: int = 0) -> dict:
    return {
        "text": f"Generated question {n}: how would you detect data drift in a deployed model?",
        "topic": "data-drift",
        "difficulty": 2,
        "key_points": [
            {
                "point": f"Compare live feature distributions with the training data using PSI or KS tests {n}",
                "weight": 3,
                "criterion": "depth",
                "paraphrases": ["measure distribution shift"],
            },
            {
                "point": "Monitor prediction distributions and model performance once labels arrive",
                "weight": 3,
                "criterion": "engineering",
                "paraphrases": [],
            },
            {
                "point": "Set alert thresholds and investigate before retraining automatically",
                "weight": 2,
                "criterion": "problem_solving",
                "paraphrases": [],
            },
            {
                "point": "Retrain on recent data and validate against a holdout before promoting",
                "weight": 2,
                "criterion": "engineering",
                "paraphrases": [],
            },
        ],
        "red_flags": ["Drift can only be detected by accuracy on the training set."],
        "model_answer": "Detect drift by comparing live feature distributions against the "
        "training baseline with PSI or KS tests, monitor prediction "
        "distributions and performance when labels arrive, alert on thresholds, "
        "investigate the cause, then retrain on recent data and validate it on a "
        "holdout before promoting it through the registry.",
        "follow_ups": [{"key_point_index": 0, "text": "Which statistics would you compute?"}],
    }


class FakeOpenAI:
    """Run with ``with FakeOpenAI() as srv: srv.base_url``; script with ``srv.faults``."""

    def __init__(self, models: list[str] | None = None):
        self.models = ["fake-model"] if models is None else models  # what /v1/models lists
        self.requests: list[dict] = []
        self.times: list[float] = []  # time.monotonic() of each request in ``requests``
        self.faults: list[str] = []  # consumed one per chat request: "429", "500", "503",
        # "hang", "malformed", "bad_judgement", "cut_stream", "auth"; anything else: no fault
        self.judge = dict(JUDGE)
        self.review = dict(REVIEW)
        self.reply_text = "Thanks. Let us continue."
        self.hang_seconds = 5.0
        self.word_seconds = 0.0  # a pause before each streamed word: a slow model
        self.generated: dict | None = None  # every generated question, when set
        self.api_key: str | None = None  # when set, every other key gets 401 (models too)
        self._n = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()  # ends hanging requests when the server stops
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if "messages" in r]

    def _next_fault(self) -> str | None:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _key_rejected(self) -> bool:
                if fake.api_key is None:
                    return False
                if self.headers.get("Authorization") == f"Bearer {fake.api_key}":
                    return False
                self._send(401, b'{"error": {"message": "Incorrect API key provided"}}')
                return True

            def do_GET(self):
                if self._key_rejected():
                    return
                if self.path.rstrip("/").endswith("/models"):
                    self._send(
                        200,
                        json.dumps(
                            {
                                "object": "list",
                                "data": [
                                    {"id": m, "object": "model", "owned_by": "tests"}
                                    for m in fake.models
                                ],
                            }
                        ).encode(),
                    )
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self):
                if "/audio/" in self.path:  # speech routes: multipart or JSON, read there
                    return fake._audio_route(self)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                fake.times.append(time.monotonic())
                if self._key_rejected():
                    return
                fault = fake._next_fault()
                if fault == "429":
                    return self._send(
                        429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0.1"}
                    )
                if fault in ("500", "503"):
                    return self._send(int(fault), b'{"error": {"message": "boom"}}')
                if fault == "hang":
                    fake._closing.wait(fake.hang_seconds)
                    try:
                        return self._send(200, b"{}")
                    except OSError:  # the client gave up long ago
                        return None
                if fault == "malformed":
                    return self._send(200, b'{"id": "x", "choices": [ {"mess')
                if fault == "auth":
                    return self._send(401, b'{"error": {"message": "bad key"}}')
                if body.get("stream"):
                    return self._stream(body, cut=fault == "cut_stream")
                return self._send(200, json.dumps(fake._completion(body, fault)).encode())

            def _stream(self, body, cut: bool):
                text = fake.reply_text
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                words = text.split(" ")
                for i, w in enumerate(words):
                    if cut and i == 3:
                        self.wfile.flush()
                        self.connection.shutdown(2)  # cut mid-stream: no [DONE]
                        return
                    piece = w if i == 0 else " " + w
                    if fake.word_seconds:
                        time.sleep(fake.word_seconds)
                    chunk = {
                        "id": "c",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body.get("model", "fake"),
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                end = {
                    "id": "c",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": {
                        "prompt_tokens": 50,
                        "completion_tokens": len(words),
                        "total_tokens": 50 + len(words),
                    },
                }
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        return Handler

    def _structured(self, name: str, fault: str | None) -> dict:
        if "CodeReview" in name:
            return self.review
        if "Judge" in name:
            if fault == "bad_judgement":
                return {"depth": {"score": 9}, "overall": "excellent"}
            return self.judge
        self._n += 1
        return self.generated or generated_question(self._n)

    def _completion(self, body: dict, fault: str | None) -> dict:
        msg: dict = {"role": "assistant", "content": self.reply_text}
        tools = body.get("tools") or []
        fmt = body.get("response_format") or {}
        if tools:
            name = tools[0]["function"]["name"]
            args = self._structured(name, fault)
            msg = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }
                ],
            }
        elif fmt.get("type") == "json_schema":
            name = fmt["json_schema"]["name"]
            msg["content"] = json.dumps(self._structured(name, fault))
        return {
            "id": "cmpl",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }


# ---------------------------------------------------------------------------- audio routes
# /v1/audio/speech (WAV) and /v1/audio/transcriptions (json, text or verbose_json with word
# timings), for the speech subpackage. Plug ``speech_audio`` and ``transcriber`` to make them
# real; ``audio_requests`` records each call; ``faults`` apply here too. Everything above is
# unchanged apart from the dispatch line in do_POST; class-level defaults keep __init__ as it was.


def tone_wav(seconds: float = 0.5, rate: int = 24000, hz: float = 440.0) -> bytes:
    """A mono 16-bit WAV of a sine tone: the default answer of /v1/audio/speech."""
    import io
    import math
    import struct
    import wave

    n = int(seconds * rate)
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(n)
    )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()


def _multipart(content_type: str, body: bytes) -> tuple[dict, dict]:
    """(text fields, file fields as bytes) of a multipart/form-data body (repeats as lists)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    msg = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict = {}
    files: dict = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = data
        elif name in fields:
            prev = fields[name]
            fields[name] = (prev if isinstance(prev, list) else [prev]) + [data.decode()]
        else:
            fields[name] = data.decode()
    return fields, files


def _audio_route(self, handler) -> None:
    """Serve /v1/audio/speech and /v1/audio/transcriptions for ``handler`` (one request)."""
    length = int(handler.headers.get("Content-Length", 0))
    raw = handler.rfile.read(length)
    ctype = handler.headers.get("Content-Type", "")
    if ctype.startswith("multipart/form-data"):
        fields, files = _multipart(ctype, raw)
    else:
        fields, files = (json.loads(raw or b"{}"), {})
    self.audio_requests.append(
        {"path": handler.path, "fields": fields, "file_bytes": {k: len(v) for k, v in files.items()}}
    )
    if handler._key_rejected():
        return None
    fault = self._next_fault()
    if fault in ("500", "503"):
        return handler._send(int(fault), b'{"error": {"message": "boom"}}')
    if fault == "auth":
        return handler._send(401, b'{"error": {"message": "bad key"}}')
    if fault == "429":
        return handler._send(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0.1"})
    if handler.path.rstrip("/").endswith("/audio/speech"):
        if not fields.get("input"):
            return handler._send(400, b'{"error": {"message": "input is required"}}')
        wav = self.speech_audio(fields["input"], fields.get("voice"), fields.get("speed", 1.0))
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/wav")
        handler.send_header("Content-Length", str(len(wav)))
        handler.end_headers()
        handler.wfile.write(wav)
        return None
    if handler.path.rstrip("/").endswith("/audio/transcriptions"):
        audio = files.get("file")
        if not audio:
            return handler._send(400, b'{"error": {"message": "file is required"}}')
        text, words, duration = self.transcriber(audio)
        fmt = fields.get("response_format", "json")
        if fmt == "text":
            body = text.encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "text/plain")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return None
        out: dict = {"text": text}
        if fmt == "verbose_json":
            grains = fields.get("timestamp_granularities[]") or []
            grains = grains if isinstance(grains, list) else [grains]
            out.update(task="transcribe", language="english", duration=duration, segments=[])
            if "word" in grains:
                out["words"] = [{"word": w, "start": s, "end": e} for w, s, e in words]
        return handler._send(200, json.dumps(out).encode())
    return handler._send(404, b'{"error": {"message": "not found"}}')


def _scripted_transcriber(self, audio: bytes) -> tuple[str, list, float]:
    """Default transcriber: ``transcript_text`` with evenly spaced word timings."""
    words = self.transcript_text.split()
    return self.transcript_text, [(w, 0.4 * i, 0.4 * i + 0.3) for i, w in enumerate(words)], 0.4 * len(words)


def _audio_requests(self) -> list[dict]:
    if "_audio_requests" not in self.__dict__:
        self.__dict__["_audio_requests"] = []
    return self.__dict__["_audio_requests"]


FakeOpenAI.transcript_text = "I would compare bagging and boosting"
FakeOpenAI.speech_audio = staticmethod(lambda text, voice, speed: tone_wav())
FakeOpenAI.transcriber = _scripted_transcriber  # (wav bytes) -> (text, [(word, start, end)], s)
FakeOpenAI.audio_requests = property(_audio_requests)
FakeOpenAI._audio_route = _audio_route
