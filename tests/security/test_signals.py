"""A stop signal ends the process even when it lands while a finaliser runs.

The interpreter swallows an exception raised in a ``__del__`` or a weakref callback (it prints
"Exception ignored" and carries on), and a signal handler's exception is raised wherever the
main thread happens to be. A local-mode interview given SIGHUP while a weakref callback ran went
on to wait for an answer, its model server running, for good (seen in CI). These child processes
send the signal to themselves from inside a finaliser, so the handler runs there every time."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from tests import ROOT

CHILD = textwrap.dedent(
    """
    import os, signal, sys, time, weakref
    from interviewer import processes

    processes.exit_on_stop_signals()
    SIG = signal.Signals[sys.argv[1]]
    where = sys.argv[2]

    def land_here():
        os.kill(os.getpid(), SIG)  # pending before os.kill returns: the handler runs below
        for _ in range(1000):
            pass

    class Dying:
        def __del__(self):
            land_here()

    class Target:
        pass

    try:
        if where == "__del__":
            Dying()  # dies at once
        else:
            t = Target()
            keep = weakref.ref(t, lambda _ref: land_here())
            del t
        print("carried on", flush=True)
        sys.stdin.read()  # blocks, as the interview waits for an answer
        print("read returned", flush=True)
    finally:
        print("cleaned up", flush=True)
    """
)


@pytest.mark.parametrize("where", ["__del__", "weakref callback"])
@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_a_stop_signal_swallowed_by_a_finaliser_still_ends_the_process(sig, where):
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, sig.name, where],
        cwd=ROOT,
        stdin=subprocess.PIPE,  # never written nor closed: the read blocks until the signal
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            proc.wait(timeout=60)  # not communicate(): it would close stdin, ending the read
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"still running a minute after {sig.name}: {proc.stdout.read()!r}")
        out, err = proc.stdout.read(), proc.stderr.read()
    want = -sig if sig == signal.SIGINT else 128 + sig  # Python ends itself by SIGINT, or ours
    if sig == signal.SIGINT:  # uncaught: the traceback, then the interpreter's 130
        assert err.rstrip().endswith("KeyboardInterrupt"), err
    assert proc.returncode == want, (proc.returncode, out, err)
    assert "read returned" not in out
    assert "cleaned up" in out  # the exit ran the finally blocks
    assert "Exception ignored" not in err  # ours is raised again, not reported as swallowed


# A signal sent to the process lands on any one of its threads. One that landed on a helper
# thread while the main thread sat in a blocking read was marked, and its handler never ran: a
# local-mode interview given SIGHUP while it waited for an answer on a pipe ran for ever (1 in
# about 30 runs, CI). Here the helper thread sends the signal to itself, so it lands there each time.
ON_A_HELPER_THREAD = textwrap.dedent(
    """
    import signal, sys, threading
    from interviewer import processes

    processes.exit_on_stop_signals()
    SIG = signal.Signals[sys.argv[1]]

    def helper():
        threading.Event().wait(0.5)  # the main thread is in its read by then
        signal.pthread_kill(threading.get_ident(), SIG)
        threading.Event().wait()

    threading.Thread(target=helper, daemon=True).start()
    try:
        print("reading", flush=True)
        sys.stdin.read()  # blocks, as the interview waits for an answer
        print("read returned", flush=True)
    finally:
        print("cleaned up", flush=True)
    """
)


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_a_stop_signal_that_lands_on_a_helper_thread_still_ends_the_process(sig):
    with subprocess.Popen(
        [sys.executable, "-c", ON_A_HELPER_THREAD, sig.name],
        cwd=ROOT,
        stdin=subprocess.PIPE,  # never written nor closed
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"still running a minute after {sig.name}: {proc.stdout.read()!r}")
        out, err = proc.stdout.read(), proc.stderr.read()
    want = -sig if sig == signal.SIGINT else 128 + sig
    assert proc.returncode == want, (proc.returncode, out, err)
    assert out.split() == ["reading", "cleaned", "up"], (out, err)
