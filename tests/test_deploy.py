"""The cohort deployment for real: Debian's nginx with ``deploy/nginx.conf`` in front of two app
processes that share PostgreSQL and a Chroma server, all on free local ports.

A signed-in candidate's replica is killed mid-interview: every answer it took is in the
database, and a reload (served by the other replica, same browser cookie, signing in again)
resumes the interview from "Unfinished sessions" to its report.
"""

from __future__ import annotations

import http.server
import random
import shutil
import signal
import threading
import urllib.request
from contextlib import ExitStack, contextmanager

import pytest

from interviewer.store import Store
from tests import services

LOGIN = ("ana", "pw-ana-16")  # INTERVIEWER_AUTH of the replicas: a cohort signs in


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """PostgreSQL, a Chroma server, two replicas started together, nginx (module-wide)."""
    with ExitStack() as es:
        try:
            root = tmp_path_factory.mktemp("cohort")
            # One torch thread per replica, as README "Deploying for a cohort" advises.
            st = es.enter_context(
                services.cohort_stack(
                    root, OMP_NUM_THREADS="1", INTERVIEWER_AUTH=":".join(LOGIN) + ",ben:pw-ben"
                )
            )
        except services.ServiceUnavailable as exc:
            services.unavailable(str(exc))
        yield st


@pytest.fixture(scope="module")
def book():
    return services.AnswerBook()


def stored_answers(store: Store, session_id: str) -> list[str]:
    """Every answer the store holds for a session, in the order the candidate gave them."""
    _, turns = store.load_session(session_id, user_id=LOGIN[0])
    out = []
    for t in turns:
        out += [t.answer] if t.answer is not None else []
        out += [f.answer for f in t.follow_ups if f.answer is not None]
    return out


def test_replicas_started_together_share_one_schema_and_one_knowledge_base(stack):
    from interviewer.knowledge.store import collection
    from sqlalchemy import text

    from interviewer.config import Settings

    with Store(stack.database_url) as store, store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    settings = Settings.from_env({"INTERVIEWER_CHROMA_URL": stack.chroma.url})
    ids = collection(settings).get(include=[])["ids"]
    assert ids and len(ids) == len(set(ids))
    for replica in stack.replicas:
        assert "Traceback" not in replica.log.read_text(errors="replace")


def test_the_proxy_sets_a_route_and_keeps_a_browser_on_one_replica(stack):
    with urllib.request.urlopen(stack.nginx.url, timeout=30) as first:
        assert first.status == 200
        cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("mi_route=") and "HttpOnly" in cookie
    assert "Secure" not in cookie  # (only over TLS: a plain-HTTP browser would drop it)
    route = cookie.split(";")[0].removeprefix("mi_route=")
    for _ in range(6):
        request = urllib.request.Request(stack.nginx.url, headers={"Cookie": f"mi_route={route}"})
        with urllib.request.urlopen(request, timeout=30) as again:
            assert again.status == 200 and again.headers["Set-Cookie"] is None
    assert len(set(stack.nginx.upstreams(route))) == 1


def test_the_page_links_keep_the_proxys_port(stack, book):
    # walk19b: behind nginx on a port other than 80 or 443 the page's root lost the port
    # ("root": "https://127.0.0.1"), and the transcript downloads failed.
    candidate = services.Candidate(stack.nginx.url, book, random.Random(3), auth=LOGIN)
    try:
        assert candidate.client.config["root"].rstrip("/") == stack.nginx.url.rstrip("/")
    finally:
        candidate.close()


def test_a_killed_replica_loses_no_answer_and_the_other_resumes_the_interview(stack, book):
    rng = random.Random(16)
    first = services.Candidate(stack.nginx.url, book, rng, auth=LOGIN)
    first.start("L2", questions=3)
    while first.index is None or first.index < 2:  # two questions answered, the third open
        first.answer()
    session_id, cookies, given = first.session_id, first.cookies, list(first.sent)
    route = cookies["mi_route"]
    [serving] = set(stack.nginx.upstreams(route))
    victim = next(r for r in stack.replicas if serving.endswith(f":{r.port}"))
    survivor = next(r for r in stack.replicas if r is not victim)

    victim.proc.send_signal(signal.SIGKILL)  # no shutdown: the process is simply gone
    victim.proc.wait(30)
    first.close()
    with Store(stack.database_url) as store:
        assert stored_answers(store, session_id) == given  # every answer it took is stored

    # The candidate reloads: same browser, same cookies; nginx finds the replica down and sends
    # the page to the other one, where they sign in again (a login lives in the replica that
    # granted it) and find the interview under "Unfinished sessions".
    again = services.Candidate(stack.nginx.url, book, rng, cookies=cookies, auth=LOGIN)
    assert session_id in again.resume_choices()
    again.resume(session_id)
    assert again.session_id == session_id and again.index == 2
    assert "Welcome back" in again.last_reply()
    while not again.done:
        again.answer()
    again.close()
    served = stack.nginx.upstreams(again.cookies.get("mi_route", route))
    assert served and all(u.endswith(f":{survivor.port}") for u in served[-5:])

    with Store(stack.database_url) as store:
        info, turns = store.load_session(session_id, user_id=LOGIN[0])
        assert stored_answers(store, session_id) == given + again.sent
    assert info.status == "finished" and len(turns) == 3
    assert all(t.status in ("answered", "skipped") for t in turns)


class MarkedReplica:
    """A plain HTTP server in this process standing in for a replica: it answers every GET with
    "mock-interview replica" and its port in an ``X-Replica`` header; it stops and starts again
    on the same port, as a replica that crashed and came back."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server hook
            body = b"mock-interview replica"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Replica", str(self.server.server_address[1]))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    def __init__(self):
        self.port = 0
        self.start()

    def start(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self.Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def marked_upstreams(count: int):
    """``count`` MarkedReplica servers; yields them."""
    replicas = [MarkedReplica() for _ in range(count)]
    try:
        yield replicas
    finally:
        for replica in replicas:
            if replica.server.socket.fileno() != -1:
                replica.stop()


def through(proxy, route: str | None = None) -> tuple[int, str | None]:
    """One GET through the proxy with the route cookie ``route`` (none: a new browser): the
    port of the replica that answered and the route the response set (None: left as it was)."""
    headers = {"Cookie": f"mi_route={route}"} if route else {}
    request = urllib.request.Request(proxy.url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.read() == b"mock-interview replica"
        cookie = resp.headers["Set-Cookie"]
        route = cookie.split(";")[0].removeprefix("mi_route=") if cookie else None
        return int(resp.headers["X-Replica"]), route


def test_a_browser_moved_off_a_dead_replica_stays_where_it_moved():
    """A known limit until now: when a crashed replica came back, nginx's consistent hash sent
    the browsers it had lost back to it, where their new page had died in turn (a second sign-in
    and Resume, 33 s after the first under systemd). The route cookie now names the replica that
    served: the moved browsers keep the replica they moved to."""
    with marked_upstreams(2) as (one, two), services.nginx([one.port, two.port]) as proxy:
        home, route = through(proxy)
        assert route in ("a", "b")
        for _ in range(4):  # a browser stays on its replica, the cookie left as it is
            assert through(proxy, route) == (home, None)
        first = one if home == one.port else two
        other = two if first is one else one

        first.stop()  # the crash: its browsers move, and their cookie now names the other
        moved_to, moved_route = through(proxy, route)
        assert moved_to == other.port and moved_route not in (None, route)
        assert through(proxy, moved_route) == (other.port, None)

        first.start()  # back: a browser that still names it goes there again, once nginx
        services.wait_until(  # tries it (fail_timeout)
            lambda: through(proxy, route)[0] == first.port,
            "the replica back in nginx's groups",
            timeout=60,
        )
        for _ in range(4):  # and the moved browsers stay where they moved
            assert through(proxy, moved_route) == (other.port, None)


def test_the_site_beside_debians_default_site_fails_nginx_t_and_alone_serves_every_host():
    """Walk-through: in conf.d/ next to Debian's sites-enabled/default, `nginx -t` only warned
    'conflicting server name "_" on 0.0.0.0:80, ignored' and every request got the Welcome
    page. Now the clash fails `nginx -t`, and with Debian's site removed as README says, a
    request for any host reaches the replicas, with nothing to warn about."""
    try:
        root = services.nginx_root()
    except services.ServiceUnavailable as exc:
        services.unavailable(str(exc))
    try:
        port = services.free_port()
        site = services.render_site(port, [7861, 7862], root / "access.log")
        services.nginx_layout(root, site, {"default": services.debian_default_site(port)})
        both = services.nginx_check(root)
        assert both.returncode != 0, both.stderr
        assert "a duplicate default server" in both.stderr and "sites-enabled/default" in both.stderr
    finally:
        shutil.rmtree(root, ignore_errors=True)

    with marked_upstreams(2) as reps, services.nginx([r.port for r in reps]) as proxy:
        check = services.nginx_check(proxy.root)
        assert check.returncode == 0, check.stderr
        assert "[warn]" not in check.stderr and "conflicting" not in check.stderr
        for host in ("interviews.example.com", "10.0.0.7", "localhost"):
            request = urllib.request.Request(proxy.url, headers={"Host": host})
            with urllib.request.urlopen(request, timeout=30) as resp:
                assert resp.read() == b"mock-interview replica", host


def test_with_no_replica_answering_the_proxy_says_so_in_a_page_of_its_own():
    """walk39: with both replicas down, the app's bar's Reload led to nginx's bare "502 Bad
    Gateway". nginx now answers its own 502 and 504 with a page that says what happened and
    what to do; a replica's own errors (its 503 when the queue is full) pass as they are."""
    dead = [services.free_port(), services.free_port()]  # nothing listens on either
    with services.nginx(dead) as proxy:
        with pytest.raises(urllib.error.HTTPError) as got:
            urllib.request.urlopen(proxy.url, timeout=60)
        page = got.value.read().decode()
        assert got.value.code == 503 and got.value.headers["Retry-After"] == "30"
        assert "The interview server is not answering" in page and "Resume" in page
        assert "Bad Gateway" not in page and "nginx" not in page.lower()
    with marked_upstreams(2) as reps, services.nginx([r.port for r in reps]) as proxy:
        # a replica answering
        with urllib.request.urlopen(proxy.url, timeout=30) as resp:
            assert resp.read() == b"mock-interview replica"
