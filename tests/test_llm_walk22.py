"""walk22 (local model, SmolLM2 on 2 cores): the model's nonsense shown as the interviewer's
words, an overruled judge's reasons (one a made-up link) shown as the grade's, the app's own busy
server called "another program", and grader wording in the candidate's notes. The model is the
fake OpenAI-compatible server over real HTTP; the busy server is a real child process."""

from __future__ import annotations

import socket
import sys
from dataclasses import replace

import pytest

from interviewer.bank import default_bank
from interviewer.config import Settings
from interviewer.engine import FELL_BACK, fallback_note
from interviewer.llm import local as local_model
from tests.fake_openai import FakeOpenAI
from tests.helpers import llm_engine
from tests.services import free_port, wait_until
from tests.test_llm_engine import _first_question_from_the_bank, _settings

# What walk22's model wrote, word for word.
RUN_ON = (
    "How would you deploy and autoscale a model-serving service on Kubernetes? The answer to "
    "this question is in the format of a short, concise narrative that includes only one "
    "sentence. The narrative should be as short as 120 words and contain no extraneous text."
)
OPENING = (
    "The L2 round: real-time scenarios, ML system design, MLOps and one behavioral question with "
    "two questions. This is the first time I've asked a question during the interview, but I'm "
    "not sure how to ask it now."
)
NOT_A_LIE = "The answer is not a lie, it is the truth of the matter."
LINK = (
    "You can find more information about it here: "
    "https://www.techtutorialspiration.com/how-to-fix-this-issue/"
)


@pytest.fixture
def server():
    with FakeOpenAI() as srv:
        yield srv


def test_a_question_the_model_runs_on_after_is_asked_in_the_banks_words(kb_settings, server):
    engine = llm_engine(_settings(kb_settings, server))
    q = default_bank()["l2-kubernetes-model-scaling"]
    assert RUN_ON.startswith(q.text)
    bank_words = engine.offline.ask(q, 1, 5)
    head = bank_words.split(": ")[0]
    cases = {
        RUN_ON: bank_words,  # walk22's: sentences after the question about the answer's form
        f"{q.text} Take your time.": bank_words,  # anything said after the question
        f"Here is this question in the format you asked. {q.text}": bank_words,  # talk about it
        f"{q.text} See https://kubernetes.io/docs for help.": bank_words,
        # the question as written, last, after a short lead-in, is the model's to say
        f"Let us move on to serving. {q.text}": f"{head}\nLet us move on to serving. {q.text}",
        f"Question 2 of 5 (L2, MLOps): {q.text}": f"Question 2 of 5 (L2, MLOps): {q.text}",
    }
    for reply, shown in cases.items():
        server.reply_text = reply
        pieces: list[str] = []
        assert engine.ask(q, 1, 5, on_token=pieces.append) == shown, reply
        assert "".join(pieces) == shown  # nothing rejected was ever shown
    # every bank question as written, however many sentences, is still the model's to ask
    from interviewer.llm.checks import asks

    for each in default_bank().values():
        assert asks(f"Let us begin.\n{each.text}", each), each.id


def test_an_opening_that_talks_about_its_own_asking_is_not_shown(kb_settings, server):
    engine = llm_engine(_settings(kb_settings, server))
    server.reply_text = OPENING
    pieces: list[str] = []
    said = engine.intro("L2", 2, on_token=pieces.append)
    assert said == engine.offline.intro("L2", 2) and "".join(pieces) == said
    assert "not sure" not in said
    assert fallback_note(engine) == FELL_BACK + "its opening was not usable, so the usual one is shown"
    server.reply_text = "Welcome to the L2 round: two questions on system design and MLOps."
    assert engine.intro("L2", 2).startswith(server.reply_text)  # an interviewer's: shown


def test_an_overruled_judges_reasons_are_not_the_grades_and_a_link_is_never_shown(
    kb_settings, server
):
    from interviewer.chat_feedback import feedback_text

    engine = llm_engine(_settings(kb_settings, server))
    q = default_bank()["l1-bagging-vs-boosting"]
    answer = q.model_answer
    offline, _ = engine.offline.judge(q, answer)
    assert offline.overall >= 50
    criteria = ("depth", "problem_solving", "engineering", "communication")
    made_up = {c: {"score": 1, "evidence": [], "rationale": why}
               for c, why in zip(criteria, [NOT_A_LIE, LINK, NOT_A_LIE, LINK], strict=True)}  # fmt: skip
    server.judge = {**server.judge, **made_up, "overall": 10, "feedback": LINK}
    grade, _ = engine.judge(q, answer)
    # walk22: "the LLM judge gave 10, more than 30 below the coverage grade 50; the coverage
    # grade stands" beside the judge's reasons; now the coverage grade's criteria stand with it
    assert grade.source == "llm-overruled" and grade.overall == offline.overall
    assert grade.criteria == offline.criteria
    shown = feedback_text(q, grade) + str(grade.model_dump())
    assert "not a lie" not in shown and "techtutorial" not in shown and "http" not in shown

    # The judge's score stands: its reasons are shown, but never a link, nor a quote of words
    # the answer does not hold.
    quote = " ".join(answer.split()[:6])
    reasons = {
        "depth": LINK,
        "problem_solving": 'You said "boosting trains its models in parallel", which is wrong.',
        "engineering": f'You said "{quote}", a sound start.',
        "communication": "Clear and well ordered throughout.",
    }
    server.judge = {**server.judge, "overall": offline.overall, "feedback": LINK,
                    **{c: {"score": 3, "evidence": [], "rationale": r}
                       for c, r in reasons.items()}}  # fmt: skip
    grade, _ = engine.judge(q, answer)
    assert grade.source == "llm"
    said = {c: s.rationale for c, s in grade.criteria.items()}
    for c in ("depth", "problem_solving"):
        assert said[c].startswith("the LLM judge's reason could not be shown; coverage: "), c
        assert offline.criteria[c].rationale in said[c]
    assert said["engineering"] == reasons["engineering"]  # the answer's own words: a quote
    assert said["communication"] == reasons["communication"]
    assert grade.feedback == offline.feedback  # its feedback was a link
    assert "http" not in str(grade.model_dump())

    # nor as a probe or advice
    server.reply_text = f"Which statistics would you compute? See {LINK}"
    assert engine.probe_for(q, q.key_points[0].point) is None
    server.reply_text = f"Say how boosting reweights errors. More at {LINK}"
    assert "http" not in engine.feedback(q, grade)


def test_the_candidate_is_told_plainly_that_the_question_is_from_the_bank(kb_settings, server):
    # walk22: "... its question was not usable: a key point restates the question or another
    # key point; this one is from the bank."
    from tests.fake_openai import generated_question

    text = "What is the most important thing to know before starting a new project?"
    server.generated = {**generated_question(), "text": text,
                        "key_points": [{"point": text, "weight": 2, "criterion": "depth",
                                        "paraphrases": []}] * 4}  # fmt: skip
    engine, _ = _first_question_from_the_bank(kb_settings, server)
    note = fallback_note(engine)
    assert note == FELL_BACK + "its question was not usable, so this one is from the question bank"
    assert "key point" not in note


# A model server that answers /v1/models until it is given a chat request, then writes its reply
# for good, one request at a time, as llama.cpp's server does while it generates: nothing else
# it is sent (/v1/models included) is answered meanwhile.
STAND_IN = r"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, HTTPServer

port, alias = int(sys.argv[1]), sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": alias, "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        print("writing a reply", flush=True)
        threading.Event().wait()


HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


class StandIn(local_model.LocalServer):
    """The local model server as local mode starts it, running ``STAND_IN`` for the model."""

    def command(self) -> list[str]:
        return [sys.executable, "-c", STAND_IN, str(self.port), self.alias]


def test_the_apps_own_busy_server_is_said_to_be_busy_not_another_program(
    data_dir, tmp_path, monkeypatch
):
    # walk22: reload while the local model graded, then Resume: "The local model server stopped
    # and could not be started again: port 8922 is in use by another program; stop it or set
    # INTERVIEWER_LOCAL_PORT to a free port" (it was the app's own server, busy); and a step
    # came back asking whether that busy server had stopped.
    from interviewer.bank import bank_for
    from interviewer.grading.grader import default_grader
    from interviewer.llm.engine import LLMEngine
    from interviewer.store import open_store
    from interviewer.ui.context import AppContext

    monkeypatch.setattr(local_model, "available", lambda: True)  # the stand-in needs no llama_cpp
    model = tmp_path / "stand-in.gguf"
    model.write_bytes(b"")
    port = free_port()
    settings = Settings.from_env({"INTERVIEWER_DATA_DIR": str(data_dir),
                                  "INTERVIEWER_LOCAL_MODEL": str(model)},
                                 mode="local", local_port=port)  # fmt: skip
    log = data_dir / "local-model.log"
    server = StandIn(model=model, port=port, log_path=log)
    sockets: list[socket.socket] = []
    try:
        server.start(timeout=60)
        llm = local_model.local_settings(settings, server.alias)
        ctx = AppContext(settings=settings, store=open_store(settings), bank=bank_for(settings),
                         llm_problem=None, llm_settings=llm)  # fmt: skip
        assert ctx.local_model_check() == ("", None)  # it answers: nothing to say
        # It is given a chat request, and writes its reply from then on.
        busy = socket.create_connection(("127.0.0.1", port))
        sockets.append(busy)
        busy.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")  # fmt: skip
        wait_until(lambda: "writing a reply" in log.read_text(), "the stand-in's reply", timeout=60)
        assert local_model.served_models(port) is None  # /v1/models does not answer now

        with pytest.raises(local_model.LocalModelBusy) as raised:
            local_model.ensure_server(settings)
        assert str(raised.value) == local_model.BUSY
        note, problem = ctx.local_model_check()
        for said in (note, problem):
            assert "busy with an earlier answer" in said
            assert "another program" not in said and "INTERVIEWER_LOCAL_PORT" not in said
            assert "stop" not in said.lower()
        assert problem == "The local model is still busy with an earlier answer; try again in a minute."
        assert server.process.poll() is None  # left to finish its reply

        # A step in a session meanwhile: graded offline, and said to be busy, not stopped.
        engine = LLMEngine(replace(llm, llm_timeout=1.0, llm_retries=0),
                           grader=default_grader(settings))  # fmt: skip
        assert engine.intro("L1", 2) == engine.offline.intro("L1", 2)
        assert local_model.BUSY_NOW in engine.last_error
        assert "has it stopped" not in engine.last_error

        # Once it has stopped, it is said so; a port another program holds is named as such.
        server.process.kill()
        server.process.wait()
        engine.last_error = None
        engine.intro("L1", 2)
        assert "has it stopped?" in engine.last_error
        other = socket.socket()
        sockets.append(other)
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", port))
        other.listen()
        note, problem = ctx.local_model_check()
        assert f"port {port} is in use by another program" in problem
    finally:
        for s in sockets:
            s.close()
        server.stop()
