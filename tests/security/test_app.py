"""Probes against the real app on a free port (a real SQLite store and Chroma store in its own
data dir), speaking Gradio's HTTP protocol the way an attacker would: no browser.

Two apps start together for the module: ``shared`` with logins (one of them a scrypt hash) and
``open`` without logins (uploads limited per address, a tiny cache cap). The shared app's
HTTP(S)_PROXY points at a recorder, so any outbound request it tries is seen.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time

import pytest

from interviewer.bank import default_bank
from interviewer.config import Settings
from interviewer.store import Store
from interviewer.ui.auth import hash_password
from tests.helpers import new_interview
from tests.security.support import (
    CHROMA_MAX_BATCH,
    AppProcess,
    RecordingServer,
    big_guide,
    file_data,
    pdf_bomb,
)

PASSWORDS = {u: f"pw-{u}" for u in ("ana", "ben", "cara", "dan", "eve", "finn", "gus", "hank")}


@pytest.fixture(scope="module")
def outbound():
    """Where the shared app's HTTP(S)_PROXY points: it must never see a request."""
    rec = RecordingServer()
    yield rec
    rec.close()


@pytest.fixture(scope="module")
def apps(tmp_path_factory, built_kb, outbound):
    root = tmp_path_factory.mktemp("secure-apps")
    auth = ",".join(f"{u}:{hash_password(p) if u == 'ben' else p}" for u, p in PASSWORDS.items())
    gate = root / "gate"
    shared = AppProcess(
        root / "shared",
        built_kb,
        INTERVIEWER_AUTH=auth,
        INTERVIEWER_UPLOADS_PER_HOUR="3",
        INTERVIEWER_CHUNK_TOKENS="20",
        INTERVIEWER_CHUNK_OVERLAP="2",
        INTERVIEWER_MAX_GUIDE_CHUNKS="20000",  # its guide past Chroma's batch: ~11,700 chunks
        MI_TEST_PUBLIC_IPS="1",  # every host looks public to Gradio's URL check
        MI_TEST_HASH_EMBEDDINGS="1",
        MI_TEST_INGEST_GATE=str(gate),
        HTTP_PROXY=outbound.url,
        HTTPS_PROXY=outbound.url,
        NO_PROXY="127.0.0.1,localhost",
    )
    shared.gate = gate
    opened = AppProcess(
        root / "open", built_kb, INTERVIEWER_UPLOADS_PER_HOUR="3", INTERVIEWER_CACHE_MAX_MB="1"
    )
    try:
        yield shared.ready(), opened.ready()
    finally:
        gate.touch()
        shared.stop()
        opened.stop()


@pytest.fixture(scope="module")
def shared(apps):
    return apps[0]


def login(app, user: str, address: str):
    return app.client(user, PASSWORDS[user], address=address)


def status_of(message: dict, client, elem_id: str):
    """The value an event's output gave the component ``elem_id`` (None when not updated)."""
    outputs = None
    for dep in client.config["dependencies"]:
        if dep["id"] == message.get("fn_index", -1):
            outputs = dep["outputs"]
    data = message["output"]["data"]
    cid = client.labelled(elem_id)
    if outputs is None or cid not in outputs:
        return None
    value = data[outputs.index(cid)]
    return value.get("value") if isinstance(value, dict) else value


def completed(client, api_name: str, values: dict | None = None) -> tuple[dict, dict]:
    """Run an event; (its completion message, every output by elem_id or label)."""
    dep = client.dependency(api_name)
    msg = client.call(api_name, values)
    assert msg.get("msg") == "process_completed", msg
    comps = {c["id"]: c["props"] for c in client.config["components"]}
    out = {}
    for cid, value in zip(dep["outputs"], msg["output"]["data"], strict=True):
        key = comps[cid].get("elem_id") or comps[cid].get("label") or str(cid)
        out[key] = value.get("value", value) if isinstance(value, dict) else value
    return msg, out


# -- no open proxy ----------------------------------------------------------------------------
def test_url_file_routes_fetch_nothing(shared, outbound):
    target = RecordingServer()
    try:
        c = login(shared, "gus", "10.1.0.1")
        paths = [
            f"/gradio_api/file={target.url}/secret.txt",
            f"/gradio_api/file=http%3A%2F%2F127.0.0.1%3A{target.port}%2Fsecret.txt",
            f"/gradio_api/file=HTTP://127.0.0.1:{target.port}/secret.txt",
            f"/gradio_api/file/{target.url}/secret.txt",
            f"/gradio_api/file=//127.0.0.1:{target.port}/secret.txt",
            f"/gradio_api/proxy={target.url}/secret.txt",
        ]
        for path in paths:
            for method in ("GET", "HEAD"):
                resp = c.http.request(method, shared.url + path)
                assert resp.status_code in (403, 404), (path, resp.status_code)
        time.sleep(1)
        assert target.requests == []  # nothing was fetched
        assert outbound.requests == []  # nor looked up (Gradio asks dns.google about hosts)
    finally:
        target.close()


# -- logins ---------------------------------------------------------------------------------
def test_login_backs_off_per_user_and_per_address(shared):
    attacker = shared.client(address="10.2.0.1")
    for _ in range(5):
        assert attacker.login("hank", "guess").status_code == 400
    locked = attacker.login("hank", "guess")
    assert locked.status_code == 429 and "try again in" in locked.json()["detail"]
    # the user name is paused from any address, even with the right password ...
    assert shared.client(address="10.2.0.2").login("hank", PASSWORDS["hank"]).status_code == 429
    # ... and the address is paused for every user name
    assert attacker.login("ana", PASSWORDS["ana"]).status_code == 429
    # other users elsewhere are not
    assert shared.client(address="10.2.0.3").login("ana", PASSWORDS["ana"]).status_code == 200
    # many names from one address: the address pauses
    sprayer = shared.client(address="10.2.0.4")
    for name in ("root", "admin", "test", "guest", "user"):
        assert sprayer.login(name, "123456").status_code == 400
    assert sprayer.login("finn", PASSWORDS["finn"]).status_code == 429


def test_a_hashed_password_logs_in(shared):
    assert shared.client(address="10.3.0.1").login("ben", "pw-ben").status_code == 200
    assert shared.client(address="10.3.0.2").login("ben", "wrong").status_code == 400


# -- sessions belong to their user ----------------------------------------------------------
def test_another_users_session_hash_gets_nothing(shared):
    ben = login(shared, "ben", "10.4.0.1")
    completed(ben, "start", {"L1 includes a coding question": False})
    store = Store(settings=Settings.from_env({"INTERVIEWER_DATA_DIR": str(shared.data)}))
    session = store.list_sessions(user_id="ben")[0]["id"]
    ana = login(shared, "ana", "10.4.0.2")
    ana.session_hash = ben.session_hash  # copied from ben's browser
    refused = ana.call("send", {"answer-box": "ana answers into ben's interview"})
    assert refused.get("status") == 403, refused
    assert (
        ana.http.get(
            f"{shared.url}/gradio_api/queue/data", params={"session_hash": ben.session_hash}
        ).status_code
        == 403
    )  # nor can she read his event stream
    _, turns = store.load_session(session, user_id="ben")
    assert turns[0].answer is None
    _, out = completed(ben, "send", {"answer-box": "ben's own answer"})
    _, turns = store.load_session(session, user_id="ben")
    assert turns[0].answer == "ben's own answer"


def test_a_lone_surrogate_answer_gets_one_line_and_loses_nothing(shared):
    dan = login(shared, "dan", "10.5.0.1")
    completed(dan, "start", {"L1 includes a coding question": False})
    msg, out = completed(dan, "send", {"answer-box": "caf\ud800 au lait"})
    assert msg["success"] and "not valid Unicode" in out["interview-status"]
    store = Store(settings=Settings.from_env({"INTERVIEWER_DATA_DIR": str(shared.data)}))
    session = store.list_sessions(user_id="dan")[0]["id"]
    _, turns = store.load_session(session, user_id="dan")
    assert turns[0].answer is None  # nothing recorded, the question is still open
    msg, _ = completed(dan, "send", {"answer-box": "Café au lait, typed again."})
    _, turns = store.load_session(session, user_id="dan")
    assert turns[0].answer == "Café au lait, typed again."


# -- guides belong to their uploader --------------------------------------------------------
def _upload_and_ingest(app, client, name: str, data: bytes) -> dict:
    resp = app.upload(client, name, data)
    assert resp.status_code == 200, resp.text
    path = resp.json()[0]
    _, out = completed(client, "ingest", {"guide-upload": file_data(path, name)})
    return out


def _choices(value) -> list[str]:
    return [c[1] if isinstance(c, list) else c for c in value]


def test_guides_are_private_to_their_uploader(shared):
    ana, ben = login(shared, "ana", "10.6.0.1"), login(shared, "ben", "10.6.0.2")
    secret = b"Zebrafish Notes\n- The zebrafish pipeline keeps ana's private notes.\n"
    out = _upload_and_ingest(shared, ana, "notes.txt", secret)
    assert "Ingested **ana/notes**" in out["guide-status"]
    out = _upload_and_ingest(shared, ben, "notes.txt", b"Notes\n- Ben writes about caching.\n")
    assert "Ingested **ben/notes**" in out["guide-status"]  # not a replacement of ana's
    view, pick = ben.labelled("guide-view"), ben.labelled("guide-pick")
    sections = ben.labelled("guide-sections")
    load = next(  # what opening the Guides tab runs (its lists, and the guide's sections)
        d
        for d in ben.config["dependencies"]
        if d["inputs"][:2] == [view, pick] and view in d["outputs"] and sections in d["outputs"]
    )
    got = ben.call(load["api_name"], None)
    views = got["output"]["data"][load["outputs"].index(view)]
    assert "ana/notes" not in json.dumps(views) and "ben/notes" in json.dumps(views)
    # ben searching ana's guide finds nothing of hers
    hits = ben.call("search", {"guide-query": "zebrafish pipeline", "guide-view": "ana/notes"})
    assert "zebrafish" not in json.dumps(hits).lower()
    mine = ana.call("search", {"guide-query": "zebrafish pipeline", "guide-view": "ana/notes"})
    assert "zebrafish" in json.dumps(mine).lower()


def test_a_pdf_bomb_upload_gets_one_line(shared, tmp_path):
    dan = login(shared, "dan", "10.7.0.1")
    bomb = pdf_bomb(tmp_path / "bomb.pdf").read_bytes()
    started = time.monotonic()
    out = _upload_and_ingest(shared, dan, "bomb.pdf", bomb)
    assert out["guide-status"].startswith("⚠ bomb.pdf: PDF inflates past")
    assert "\n" not in out["guide-status"] and time.monotonic() - started < 120


def test_a_big_guide_ingests_in_the_background_without_blocking_interviews(shared, tmp_path):
    eve = login(shared, "eve", "10.8.0.1")
    guide = big_guide(tmp_path / "huge-gated.txt", CHROMA_MAX_BATCH + 300).read_bytes()
    path = shared.upload(eve, "huge-gated.txt", guide).json()[0]
    joined = eve.join("ingest", eve.inputs("ingest", {"guide-upload": file_data(path, "x")}))
    assert joined.status_code == 200
    messages: list[dict] = []
    reader = threading.Thread(target=eve.messages, args=(messages,), daemon=True)
    reader.start()
    end = time.monotonic() + 180
    while not any("test gate" in json.dumps(m) for m in messages):
        assert time.monotonic() < end, messages
        time.sleep(0.2)
    # the ingest is running (held at the gate): two other users sit interviews meanwhile
    results = {}

    def sit(user, address):
        c = login(shared, user, address)
        completed(c, "start", {"L1 includes a coding question": False})
        results[user] = completed(c, "send", {"answer-box": "Regularisation limits variance."})

    sitters = [threading.Thread(target=sit, args=a) for a in (("finn", "10.8.0.2"),)]
    sitters.append(threading.Thread(target=sit, args=("gus", "10.8.0.3")))
    for t in sitters:
        t.start()
    for t in sitters:
        t.join(timeout=300)
    assert set(results) == {"finn", "gus"}
    assert not any(m.get("msg") == "process_completed" for m in messages)  # still ingesting
    shared.gate.touch()
    reader.join(timeout=600)
    done = [m for m in messages if m.get("msg") == "process_completed"][-1]
    status = json.dumps(done["output"]["data"])
    total = int(status.split("**eve/huge-gated**: ")[1].split(" chunks")[0])
    assert total > CHROMA_MAX_BATCH
    assert sum(m.get("msg") == "progress" for m in messages) >= 2


# -- resume grades what was sent before a crash ---------------------------------------------
def test_resume_in_the_app_grades_the_answer_sent_before_a_crash(shared):
    settings = Settings.from_env({"INTERVIEWER_DATA_DIR": str(shared.data)})
    store = Store(settings=settings)
    iv = new_interview(
        round="L1", questions=2, follow_ups=0, store=store, coding=False, seed=4, user_id="cara"
    )
    iv.start()
    turn = iv.current
    answer = default_bank()[turn.question_id].model_answer
    turn.answer, turn.answered_at = answer, time.time()
    store.save_turn(iv.info.id, turn)  # committed; the grading never happened (kill -9)

    cara = login(shared, "cara", "10.9.0.1")
    pick = cara.labelled("Unfinished sessions")
    load = next(
        d for d in cara.config["dependencies"] if d["outputs"][:1] == [pick] and not d["inputs"]
    )
    cara.call(load["api_name"], None)
    _, out = completed(cara, "resume", {"Unfinished sessions": iv.info.id})
    chat = json.dumps(out["interview-chat"])
    assert "Question 2 of 2" in chat
    _, turns = store.load_session(iv.info.id, user_id="cara")
    assert turns[0].answer == answer and turns[0].grade is not None
    assert turns[0].status == "answered" and len(turns) == 2


# -- uploads: quota, private cache ----------------------------------------------------------
def test_uploads_land_in_a_private_cache_and_are_limited_per_user(shared):
    cara = login(shared, "cara", "10.10.0.1")
    cache = shared.data / "cache"
    for i in range(3):
        resp = shared.upload(cara, f"n{i}.txt", b"x" * 1000)
        assert resp.status_code == 200, resp.text
        assert resp.json()[0].startswith(str(cache.resolve()))
    refused = shared.upload(cara, "n3.txt", b"x" * 1000)
    assert refused.status_code == 429 and "Too many uploads" in refused.json()["detail"]
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    # another user is not held back by cara's quota
    assert shared.upload(login(shared, "finn", "10.10.0.2"), "f.txt", b"y").status_code == 200


def test_without_logins_uploads_are_limited_per_address_and_in_total(apps):
    app = apps[1]
    first = app.client(address="10.11.0.1")
    for i in range(3):
        assert app.upload(first, f"a{i}.txt", b"x" * 1000).status_code == 200
    assert app.upload(first, "a3.txt", b"x").status_code == 429
    other = app.client(address="10.11.0.2")
    assert app.upload(other, "big.txt", b"x" * 700_000).status_code == 200
    full = app.upload(other, "big2.txt", b"x" * 700_000)  # past INTERVIEWER_CACHE_MAX_MB=1
    assert full.status_code == 507 and "upload space is full" in full.json()["detail"]


def test_the_shared_app_made_no_outbound_request(shared, outbound):
    """The README says the app makes no outbound request: after every probe above, the
    proxy every outbound HTTP(S) request of the app would go through has seen none."""
    assert outbound.requests == []
