"""LLM mode keeps working when the endpoint misbehaves: every fault of the fake OpenAI-compatible
server, over real HTTP, during a real interview with a real store and knowledge base."""

from __future__ import annotations

import os
import socket
import time

import pytest

from interviewer import cli
from interviewer.cli.app import EXIT_CONFIG
from interviewer.config import Settings
from interviewer.errors import EndpointError
from interviewer.grading.rubric import CRITERIA, PASS_MARK
from interviewer.llm.client import wire_schema
from interviewer.llm.engine import GeneratedQuestion, JudgeOutput
from interviewer.llm.factory import make_engine
from interviewer.store import Store, open_store
from tests.fake_openai import FakeOpenAI
from tests.helpers import llm_engine, new_interview
from tests.services import free_port

RETRIES = 2  # INTERVIEWER_LLM_RETRIES in these tests: at most 3 requests per call
REPLY = "Thanks for that answer. Let us move on to the next part of the interview."
STRONG = {  # what a competent judge says about a model answer
    **{c: {"score": 5, "evidence": [], "rationale": "complete"} for c in ("depth", "engineering")},
    **{c: {"score": 4, "evidence": [], "rationale": "clear"} for c in ("problem_solving",)},
    "communication": {"score": 5, "evidence": [], "rationale": "clear"},
    "covered_key_points": ["kp1", "kp2", "kp3", "kp4"],
    "overall": 90,
    "feedback": "Complete and precise.",
}


@pytest.fixture
def srv():
    with FakeOpenAI() as s:
        s.judge = dict(STRONG)
        s.reply_text = REPLY
        yield s


@pytest.fixture
def settings(kb_settings, srv, monkeypatch):
    """LLM mode against the fake server, with bounded retries and a short deadline."""
    monkeypatch.setenv("INTERVIEWER_MODE", "llm")
    monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("INTERVIEWER_CHAT_MODEL", "fake-model")
    monkeypatch.setenv("INTERVIEWER_LLM_RETRIES", str(RETRIES))
    monkeypatch.setenv("INTERVIEWER_LLM_TIMEOUT", "1")
    return Settings.from_env()


def called(requests: list[dict]) -> list[str]:
    """What each chat request asked for: the structured schema's name, or stream / plain."""
    out = []
    for r in requests:
        tools = r.get("tools") or []
        fmt = r.get("response_format") or {}
        if tools:
            out.append(tools[0]["function"]["name"])
        elif fmt.get("type") == "json_schema":
            out.append(fmt["json_schema"]["name"])
        else:
            out.append("stream" if r.get("stream") else "plain")
    return out


class Sitting:
    """An interview in LLM mode whose every step can be given faults for the server to play."""

    def __init__(self, settings: Settings, srv: FakeOpenAI, *, questions: int = 2):
        self.srv = srv
        self.store = Store(settings=settings)
        self.engine = llm_engine(settings)
        self.interview = new_interview(
            round="L1",
            questions=questions,
            follow_ups=0,
            engine=self.engine,
            store=self.store,
            seed=1,
        )
        self.answers: list[str] = []
        self.steps: list[dict] = []  # per step: requests it made, seconds, reply text

    def _step(self, faults: list[str], action):
        self.srv.faults = list(faults)
        before = len(self.srv.chat_requests())
        start = time.monotonic()
        reply = action()
        step = {
            "calls": called(self.srv.chat_requests()[before:]),
            "seconds": time.monotonic() - start,
            "text": reply.text,
            "unplayed": list(self.srv.faults),
        }
        self.steps.append(step)
        return step

    def start(self, faults=()):
        return self._step(faults, self.interview.start)

    def answer(self, faults=()):
        """Answer the open question with its own model answer (a good answer)."""
        text = self.interview.current.model_answer
        self.answers.append(text)
        return self._step(faults, lambda: self.interview.answer(text))

    def run(self, faults=(), *, at_start=()):
        """Start, then answer every question; ``faults`` are played at every answer."""
        self.start(at_start)
        while not self.interview.done:
            self.answer(faults)
        return self

    def stored(self):
        """The session's turns as the store has them."""
        _, turns = self.store.load_session(self.interview.info.id, user_id="local")
        return turns

    def assert_nothing_lost(self):
        """The interview finished; every answer is stored word for word and graded well."""
        assert self.interview.done
        turns = self.stored()
        assert [t.answer for t in turns] == self.answers
        for t in turns:
            assert t.status == "answered" and t.grade is not None
            assert t.grade.overall >= PASS_MARK, (t.grade.source, t.grade.overall, t.grade.flags)
        return turns


def fell_back(turn, reason: str) -> bool:
    """The stored grade is the offline one, marked so, for ``reason``."""
    g = turn.grade
    return g.source == "offline-fallback" and any(
        f.startswith("offline grade used:") and reason in f for f in g.flags
    )


# -- baseline: both structured-output methods work -----------------------------------------------
@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_without_faults_the_llm_judges_with_either_structured_method(settings, srv, method):
    from dataclasses import replace

    s = Sitting(replace(settings, structured_method=method), srv).run()
    turns = s.assert_nothing_lost()
    assert all(t.grade.source == "llm" for t in turns)
    assert all(t.question_id.startswith("gen-") for t in turns)  # questions came from the model
    structured = [r for r in srv.chat_requests() if r.get("tools") or r.get("response_format")]
    if method == "json_schema":
        assert all(r["response_format"]["type"] == "json_schema" for r in structured)
    else:
        assert all(not r.get("response_format") and r["tools"] for r in structured)
    assert all(t.tokens_in > 0 and t.tokens_out > 0 for t in turns)
    # every call is capped with the field any OpenAI-compatible server knows
    assert all(r["max_tokens"] == settings.llm_max_tokens for r in srv.chat_requests())
    assert not any("max_completion_tokens" in r for r in srv.chat_requests())


def test_a_non_openai_endpoint_gets_function_calling_by_default(settings):
    assert settings.structured_method == "auto"
    assert llm_engine(settings).method == "function_calling"


def test_function_calling_schemas_carry_no_string_bounds_and_enumerate_small_ranges():
    judge = wire_schema(JudgeOutput)
    text = repr(judge) + repr(wire_schema(GeneratedQuestion))
    assert "maxLength" not in text and "minLength" not in text
    assert judge["properties"]["overall"]["enum"] == list(range(101))
    assert judge["$defs"]["JudgeCriterion"]["properties"]["score"]["enum"] == [1, 2, 3, 4, 5]
    # pydantic still holds the reply to the real bounds
    with pytest.raises(ValueError):
        JudgeOutput.model_validate({**STRONG, "feedback": "x" * 1300})


# -- transport faults: bounded retries, then the offline grade -----------------------------------
@pytest.mark.parametrize(
    "fault, reason",
    [
        ("429", "rate limiting"),
        ("500", "HTTP 500"),
        ("503", "HTTP 503"),
    ],
)
def test_server_errors_are_retried_a_bounded_number_of_times(settings, srv, fault, reason):
    s = Sitting(settings, srv)
    s.start()
    step = s.answer([fault] * 10)  # more faults than retries: the judge gives up
    assert step["calls"][: RETRIES + 1] == ["JudgeOutput"] * (RETRIES + 1)
    assert "JudgeOutput" not in step["calls"][RETRIES + 1 :]
    # the streamed feedback and the next question then meet the remaining faults: each call
    # is tried at most 1 + RETRIES times and falls back; the interview moves on
    assert len(step["calls"]) <= 4 * (RETRIES + 1)
    assert "Score:" in step["text"]
    while not s.interview.done:
        s.answer()
    turns = s.assert_nothing_lost()
    assert fell_back(turns[0], reason)
    assert turns[1].grade.source == "llm"


@pytest.mark.parametrize("fault", ["429", "500", "503"])
def test_a_single_server_error_is_retried_and_the_judge_still_grades(settings, srv, fault):
    s = Sitting(settings, srv)
    s.start()
    step = s.answer([fault])
    assert step["calls"][:2] == ["JudgeOutput", "JudgeOutput"]
    assert s.stored()[0].grade.source == "llm"


def test_retry_after_is_honoured(settings, srv):
    s = Sitting(settings, srv)
    s.start()
    first = len(srv.requests)
    s.answer(["429"] * (RETRIES + 1))
    t = srv.times[first : first + RETRIES + 1]
    gaps = [b - a for a, b in zip(t, t[1:], strict=False)]
    # each retry waits the server's Retry-After (0.1 s); the client's own backoff would wait
    # at least 0.375 s and then 0.75 s
    assert all(g >= 0.1 for g in gaps) and sum(gaps) < 0.375 + 0.75


def test_a_hanging_connection_is_cut_at_the_deadline(settings, srv):
    srv.hang_seconds = 60.0
    s = Sitting(settings, srv)
    s.start()
    step = s.answer(["hang"] * (RETRIES + 1))
    assert step["calls"][: RETRIES + 1] == ["JudgeOutput"] * (RETRIES + 1)
    # three attempts cut at 1 s each, plus the client's short backoff: nowhere near 60 s
    assert 3 * settings.llm_timeout <= step["seconds"] < 15
    while not s.interview.done:
        s.answer()
    turns = s.assert_nothing_lost()
    assert fell_back(turns[0], "timed out")


def test_a_hang_while_asking_falls_back_to_the_authored_words(settings, srv):
    srv.hang_seconds = 60.0
    s = Sitting(settings, srv, questions=1)
    step = s.start(["hang"] * (RETRIES + 1))  # the intro stream hangs
    assert step["calls"][: RETRIES + 1] == ["stream"] * (RETRIES + 1)
    assert step["seconds"] < 15
    assert "Welcome to your mock interview" in step["text"]  # the offline intro
    assert s.interview.turns[0].question in step["text"]
    s.answer()
    s.assert_nothing_lost()


# -- bad output: retried once, then the offline grade, marked ------------------------------------
@pytest.mark.parametrize("fault", ["malformed", "bad_judgement"])
def test_a_bad_judgement_falls_back_to_the_offline_grade(settings, srv, fault):
    s = Sitting(settings, srv)
    s.start()
    step = s.answer([fault, fault])
    assert step["calls"][:2] == ["JudgeOutput", "JudgeOutput"]
    assert step["calls"].count("JudgeOutput") == 2  # retried once, not more
    while not s.interview.done:
        s.answer()
    turns = s.assert_nothing_lost()
    assert fell_back(turns[0], "malformed judgement")
    assert turns[1].grade.source == "llm"
    # the transcript shows it: the report lists the flag with the turn
    report = s.interview.report().model_dump_json()
    assert "offline grade used: malformed judgement" in report


@pytest.mark.parametrize("fault", ["malformed", "bad_judgement"])
def test_one_bad_judgement_is_retried_and_the_retry_counts(settings, srv, fault):
    s = Sitting(settings, srv)
    s.start()
    s.answer([fault])
    turn = s.stored()[0]
    assert turn.grade.source == "llm" and turn.grade.overall == STRONG["overall"]


def test_malformed_question_output_falls_back_to_the_bank(settings, srv):
    s = Sitting(settings, srv, questions=1)
    step = s.start(["ok", "malformed", "malformed"])  # intro fine, both generation tries broken
    assert step["calls"][:3] == ["stream", "GeneratedQuestion", "GeneratedQuestion"]
    turn = s.interview.turns[0]
    assert not turn.question_id.startswith("gen-") and turn.question in step["text"]
    s.answer()
    s.assert_nothing_lost()


def test_a_nonsense_judgement_does_not_sink_a_good_answer(settings, srv):
    # valid against the schema, absurd in content: what a 135M judge says of a model answer
    srv.judge = {
        **{c: {"score": 1, "evidence": [], "rationale": "no"} for c in CRITERIA},
        "covered_key_points": [],
        "overall": 3,
        "feedback": "Wrong.",
    }
    s = Sitting(settings, srv, questions=1).run()
    turns = s.assert_nothing_lost()
    g = turns[0].grade
    assert g.source == "llm-overruled" and any(f.startswith("needs review") for f in g.flags)
    assert g.feedback != "Wrong."  # an overruled judge's words are not the feedback
    assert all(c.score >= 2 for c in g.criteria.values())


# -- a stream cut midway keeps what arrived ------------------------------------------------------
def test_a_cut_feedback_stream_keeps_the_turn_and_says_the_grades_feedback(settings, srv):
    s = Sitting(settings, srv)
    s.start()
    step = s.answer(["ok", "cut_stream"])  # the judge answers; the feedback stream is cut
    assert step["calls"][:2] == ["JudgeOutput", "stream"]
    head = " ".join(REPLY.split()[:3])
    feedback = step["text"].split("\n\n")[0]  # the next question's phrasing follows it
    turn = s.stored()[0]
    assert turn.status == "answered" and turn.grade.source == "llm"
    # the score and the bullets, then the grade's own feedback: what arrived of the model's
    # advice before the cut ("Thanks for that") says nothing about this question
    assert feedback.startswith("Score: 90/100\n• ") and head not in feedback
    assert feedback.endswith(f"\n{turn.grade.feedback}")
    while not s.interview.done:
        s.answer()
    s.assert_nothing_lost()


def test_a_cut_question_stream_still_asks_the_question(settings, srv):
    s = Sitting(settings, srv, questions=1)
    step = s.start(["cut_stream", "ok", "cut_stream"])  # intro and question phrasing cut
    head = " ".join(REPLY.split()[:3])
    assert step["text"].startswith(head) and REPLY not in step["text"]
    assert s.interview.turns[0].question in step["text"]  # restated after the cut phrasing
    s.answer()
    s.assert_nothing_lost()


# -- every fault on every call of a whole interview ----------------------------------------------
@pytest.mark.parametrize(
    "fault", ["429", "500", "503", "hang", "malformed", "bad_judgement", "cut_stream"]
)
def test_an_interview_completes_under_every_fault(settings, srv, fault):
    srv.hang_seconds = 60.0
    start = time.monotonic()
    s = Sitting(settings, srv, questions=3)
    # the first calls of every step meet the fault until the retries of one call are used up
    s.run([fault] * (RETRIES + 1), at_start=[fault] * (RETRIES + 1))
    s.assert_nothing_lost()
    for step in s.steps:  # nothing was tried more often than the retries allow
        assert len(step["calls"]) <= 3 * (RETRIES + 1) + 3
    assert time.monotonic() - start < 60


# -- the start-up check: one line, offers offline mode, never hangs -------------------------------
def _interview_cli(capsys) -> tuple[int, str, float]:
    start = time.monotonic()
    code = cli.main(["interview", "--mode", "llm", "--questions", "1"])
    err = capsys.readouterr().err
    return code, err, time.monotonic() - start


def test_startup_check_with_nothing_listening(monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    code, err, seconds = _interview_cli(capsys)
    assert code == 2 and seconds < 6
    assert len(err.strip().splitlines()) == 1
    assert "cannot be reached" in err and "--mode offline" in err


def test_startup_check_with_a_rejected_key(monkeypatch, capsys):
    with FakeOpenAI() as srv:
        srv.api_key = "the-right-key"
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "a-wrong-key")
        code, err, seconds = _interview_cli(capsys)
    assert code == 2 and seconds < 6
    assert len(err.strip().splitlines()) == 1
    assert "rejected the API key" in err and "--mode offline" in err
    assert srv.chat_requests() == []  # nothing was sent to a model


def test_startup_check_with_an_endpoint_that_never_answers(monkeypatch, capsys):
    with socket.socket() as sock:  # accepts connections (backlog), never says a word
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/v1")
        monkeypatch.setenv("INTERVIEWER_LLM_TIMEOUT", "1")
        code, err, seconds = _interview_cli(capsys)
    assert code == 2 and seconds < 4
    assert "timed out" in err and "--mode offline" in err


def test_startup_check_passes_a_working_endpoint(srv):
    srv.api_key = "the-right-key"
    s = Settings.from_env(mode="llm", openai_base_url=srv.base_url, openai_api_key="the-right-key")
    assert make_engine(s).name == "llm"
    with pytest.raises(EndpointError, match="--mode offline"):
        make_engine(Settings.from_env(mode="llm", openai_base_url=srv.base_url))


# -- the eval of the LLM judge survives a bad judgement too ---------------------------------------
def test_llm_agreement_counts_a_failed_judgement_and_goes_on(settings, srv):
    from interviewer.bank import default_bank
    from interviewer.evaluation.llm_eval import llm_agreement
    from interviewer.evaluation.runner import load_labelled

    bank = default_bank()
    rows = [r for r in load_labelled() if r["split"] == "test" and r["question_id"] in bank]
    srv.faults = ["bad_judgement", "bad_judgement"]  # the first judgement fails, retry included
    out = llm_agreement(settings, bank, rows, limit=6, runs=2, spread_answers=2, details=True)
    judged = [i for i in out["items"] if i["source"] != "offline"]  # empty answers are not sent
    assert out["answers"] == len(out["items"]) == 6
    assert out["fell_back_to_offline"] == 1 and out["valid_judgements"] == len(judged) - 1
    assert out["offline"]["n"] == out["llm_cross_checked"]["n"] == 6
    assert out["llm_judge_only"]["n"] == len(judged) - 1
    assert out["structured_method"] == "function_calling" and out["tokens"]["in"] > 0
    assert out["spread"]["runs"] == 2 and out["spread"]["answers"] == 2


def test_llm_judge_grades_saf_answers_against_their_reference(settings, srv):
    # `eval --mode llm --set saf`: the judge reads a SAF question with the reference's points
    # as key points; labels are the human 0-1 scores; an overruled judgement is counted.
    from interviewer.evaluation.datasets import load_saf
    from interviewer.evaluation.llm_eval import llm_agreement, saf_questions

    rows = load_saf("unseen")
    questions = saf_questions(rows)
    assert len(questions) == 18 and all(q.key_points for q in questions.values())
    out = llm_agreement(settings, questions, rows, limit=4, runs=1, spread_answers=0,
                        details=True, label=lambda r: float(r["score"]))  # fmt: skip
    assert out["answers"] == 4 and out["offline"]["n"] == 4
    human = {(r["question_id"], float(r["score"])) for r in rows}
    assert all((i["question_id"], i["label_0_1"]) in human for i in out["items"])
    judged = [i for i in out["items"] if i["judge"] is not None]
    assert judged, "no SAF answer reached the judge"
    assert out["capped_by_cross_check"] == sum(
        abs(i["judge"] - i["cross_checked"]) > 0 for i in judged
    )


def test_eval_cli_limits_the_answers_the_llm_judges(settings, srv, tmp_path, capsys):
    import json

    with pytest.raises(SystemExit) as refused:  # by argparse, as every numeric option
        cli.main(["eval", "--mode", "llm", "--limit", "0"])
    assert refused.value.code == 2
    assert "argument --limit: must be a whole number (at least 1)" in capsys.readouterr().err
    for bad, says in (
        (["--limit", "3"], "--limit only applies with --mode llm or local"),  # offline grades all
        (["--judge-only"], "--judge-only only applies with --mode llm or local"),
        (["--mode", "llm", "--judge-only", "--gate"], "cannot --calibrate or --gate"),
    ):
        assert cli.main(["eval", *bad]) == 2
        assert says in capsys.readouterr().err
    # --judge-only: the LLM judge alone, its report beside (never over) the whole one
    (tmp_path / "latest-llm.md").write_text("the whole report")
    base = ["eval", "--mode", "llm", "--limit", "3", "--judge-only", "--reports-dir", str(tmp_path)]
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    assert "LLM judge (authored, n=3): cross-checked Pearson" in out and "gate " not in out
    assert (tmp_path / "latest-llm.md").read_text() == "the whole report"
    md = (tmp_path / "latest-llm-judge-only.md").read_text()
    assert "# Eval report (llm, LLM judge only)" in md and "## SAF unseen" not in md
    assert "| **LLM judge, cross-checked** (what the app shows) |" in md and "| 3 |" in md
    assert cli.main([*base, "--set", "saf", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["judge_only"] and report["gates"] == {} and "saf_unseen" not in report
    assert report["llm"]["answers"] == 3 and report["llm"]["set"] == "saf"
    assert report["llm"]["scores"]["offline"]["n"] == 3
    saved = json.loads((tmp_path / "latest-llm-judge-only.json").read_text())
    assert saved["llm"]["set"] == "saf"


def test_the_terminal_says_when_the_offline_interviewer_stepped_in(settings, srv, tmp_path, capsys):
    # Seen in a walk-through: in the terminal a model's failure fell back to offline without a
    # word (the app's status line said it).
    srv.generated = {"text": 5, "key_points": "none"}  # every generated question is unusable
    answers = tmp_path / "answers.txt"
    answers.write_text("Use canary releases and watch the error rate.\n")
    code = cli.main(["interview", "--round", "L2", "--questions", "1", "--follow-ups", "0",
                     "--answers-file", str(answers)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert ("! The model fell short here, so the offline interviewer stepped in: its question "
            "was not usable, so this one is from the question bank") in out  # fmt: skip
    assert "LLMBadOutput" not in out and "ValidationError" not in out


def test_the_terminal_shows_the_model_at_work_and_wipes_the_line(monkeypatch):
    # Seen in a walk-through: the terminal sat a minute before a local model's reply with
    # nothing on screen.
    import io

    from interviewer.cli import interview as cli_interview
    from interviewer.engine import MODEL_WORKING

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    said = MODEL_WORKING["local"]
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback=None: os.terminal_size((70, 24)))
    screen = Terminal()
    with cli_interview.working(said, screen):
        shown = screen.getvalue()  # shown while the model works, cut to one row of 70 columns
        assert shown == said[:68] and "\n" not in shown  # (69 columns: one spare)
    shown = screen.getvalue()
    assert shown.endswith("\r") and shown.split("\r")[1] == " " * 68  # then wiped, all of it
    piped = io.StringIO()  # a pipe or a file: nothing to wipe, so nothing shown
    with cli_interview.working(said, piped):
        pass
    assert piped.getvalue() == ""


def test_a_session_resumes_in_the_mode_it_ran_in(settings, srv, tmp_path, capsys, monkeypatch):
    # Seen in a walk-through: the resume command printed at Ctrl-C went on with the offline
    # grader, silently, while the session stayed recorded as a model's.
    import re

    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("Use canary releases and watch the error rate.\n")
    second.write_text("Roll back automatically when the error budget burns.\n")
    assert cli.main(["interview", "--round", "L2", "--questions", "2", "--follow-ups", "0",
                     "--answers-file", str(first)]) == 0  # fmt: skip
    sid = re.search(r"\(session (\w+)\)", capsys.readouterr().out).group(1)
    monkeypatch.delenv("INTERVIEWER_MODE")  # the default mode is offline now
    assert cli.main(["interview", "--resume", sid, "--answers-file", str(second)]) == 0
    store = open_store(Settings.from_env())
    info, turns = store.load_session(sid, user_id="local")
    assert info.mode == "llm" and all(t.grade.source.startswith("llm") for t in turns)


def test_the_app_on_a_port_in_use_says_so_in_one_line_before_any_work(monkeypatch, capsys):
    # A walk-through started a second app on a port in use: Gradio's "Cannot find empty port"
    # traceback, then another from the grader's warm-up thread, after building everything.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        monkeypatch.setenv("INTERVIEWER_PORT", str(port))
        assert cli.main(["app"]) == EXIT_CONFIG  # (not restarted by its unit)
    err = capsys.readouterr().err
    assert err.startswith(f"mock-interview: error: cannot serve on 127.0.0.1:{port}: ")
    assert "INTERVIEWER_PORT" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not Settings.from_env().chroma_dir.exists()  # nothing was built first


def test_the_app_on_a_port_or_host_it_cannot_use_says_which_setting(monkeypatch, capsys):
    # A review: INTERVIEWER_PORT=70000 was a traceback (OverflowError), and a host that does not
    # resolve read "another program ... holds it".
    monkeypatch.setenv("INTERVIEWER_PORT", "70000")
    assert cli.main(["app"]) == EXIT_CONFIG
    assert "INTERVIEWER_PORT=70000: use a port 1-65535" in capsys.readouterr().err
    monkeypatch.setenv("INTERVIEWER_PORT", str(free_port()))
    monkeypatch.setenv("INTERVIEWER_HOST", "no-such-host.invalid")
    assert cli.main(["app"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "cannot serve on no-such-host.invalid:" in err and "check INTERVIEWER_HOST" in err
    assert "holds it" not in err and "Traceback" not in err


def test_eval_cli_judges_the_judgement_stories(settings, srv, tmp_path, capsys):
    # `eval --mode llm --set judgement`: the judge reads each blind story with the shared story
    # flags, and the report counts who passed each kind (rater, offline, judge, cross-checked).
    import json

    from interviewer.bank import default_bank
    from interviewer.evaluation.datasets import load_jsonl
    from interviewer.evaluation.judgement_stories import judgement_stories
    from interviewer.evaluation.runner import make_grader
    from interviewer.grading.rubric import STORY_RED_FLAGS

    rows = load_jsonl("stories-judgement.jsonl")
    base = ["eval", "--mode", "llm", "--set", "judgement", "--judge-only",
            "--reports-dir", str(tmp_path)]  # fmt: skip
    assert cli.main([*base, "--json"]) == 0
    llm = json.loads(capsys.readouterr().out)["llm"]
    j = llm["judgement"]
    assert llm["set"] == "judgement" and llm["answers"] == len(rows) and "items" not in llm
    offline = judgement_stories(make_grader(settings), default_bank())  # the offline section's
    for kind in ("poor_judgement", "sound"):
        mine = [r for r in rows if r["writer_kind"] == kind]
        assert j[kind]["n"] == len(mine) and j[kind]["rater_passed"] == sum(
            r["rater_pass"] for r in mine)
        assert j[kind]["offline_passed"] == offline[kind]["grader_passed"]
    assert j["poor_judgement"]["rater_passed"] == 0 < j["sound"]["rater_passed"]
    # the fake judge gives every story 90: the judge alone passes each one it judged
    assert j["judge_valid"] == llm["valid_judgements"] > 0
    assert j["poor_judgement"]["judge_passed"] + j["sound"]["judge_passed"] == j["judge_valid"]
    assert j["offline_agreement"] == offline["pass_agreement"]
    prompts = [json.dumps(r["messages"]) for r in srv.chat_requests()]
    assert prompts and all(STORY_RED_FLAGS[1][0] in p for p in prompts)
    md = (tmp_path / "latest-llm-judge-only.md").read_text()
    assert "## LLM judge (judgement: stories showing poor or sound judgement" in md
    assert f"| poor judgement | {j['poor_judgement']['n']} | 0 | " in md
    assert "| pass agreement with the rater | | | " in md
    assert cli.main(base) == 0
    assert "judgement stories passed, cross-checked: poor judgement " in capsys.readouterr().out
