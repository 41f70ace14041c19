"""Child processes that never outlive their parent, whatever signal ends it.

Two layers, because either alone leaves a gap:
- the child asks the kernel to send it SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), which
  covers ``kill -9`` of the parent, where no handler of ours runs;
- the parent turns SIGTERM and SIGHUP (what ``docker stop``, systemd and a closed terminal send)
  and SIGINT into a normal exit, so ``finally`` blocks and ``atexit`` handlers stop children
  gracefully. SIGINT is set explicitly: a process started in the background inherits it
  ignored, and Python then installs no KeyboardInterrupt handler. Such an exception that a
  finaliser swallowed is raised again (see ``_unraisable``).

The child also runs in its own session, so a Ctrl-C at the terminal reaches the parent only,
which decides how to stop it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def _die_with_parent() -> None:
    """In the child, after fork and before exec: SIGTERM when the parent thread ends."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    # The parent may have died between fork and prctl: then nobody will ever signal us.
    if os.getppid() == 1:
        os._exit(1)


def spawn(command: list[str], **popen_kwargs) -> subprocess.Popen:
    """Start ``command`` as a child that dies with this process (see the module docstring).

    Call it from a thread that lives as long as the child should: Linux sends the death signal
    when the thread that forked the child exits.
    """
    return subprocess.Popen(
        command, preexec_fn=_die_with_parent, start_new_session=True, **popen_kwargs
    )


def stop(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Stop a child: SIGTERM, then SIGKILL if it lingers; its whole process group."""
    if proc is None or proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue


# A stop signal's exception raised while a finaliser runs (a ``__del__`` or a weakref callback:
# the interpreter runs them whenever an object dies) is swallowed and printed as "Exception
# ignored": the program then carried on. Seen: a local-mode interview given SIGHUP while it built
# the knowledge base went on to wait for an answer, its model server running, for good. Such an
# exception reaches ``sys.unraisablehook``, so the signal is sent to the main thread again until
# it is raised outside a finaliser. An exception that propagates is never sent again: the clean-up
# it runs (stopping a model server) is not cut short.
REDELIVER_EVERY = 0.2  # seconds between sendings of a swallowed stop signal
_pending: int | None = None  # a stop signal whose exception was swallowed
_in_hook = False
_previous_hook = None


def _exit_on_signal(signum, _frame) -> None:
    global _pending, _handled_at
    _handled_at = time.monotonic()
    if _in_hook:  # raised here, it would be swallowed again (and not reach the hook)
        return
    _pending = None
    stop = KeyboardInterrupt() if signum == signal.SIGINT else SystemExit(128 + signum)
    stop.stop_signal = signum
    raise stop


def _unraisable(unraisable) -> None:
    global _pending, _in_hook
    signum = getattr(unraisable.exc_value, "stop_signal", None)
    if signum is None:
        (_previous_hook or sys.__unraisablehook__)(unraisable)
        return
    _in_hook = True
    try:
        first = _pending is None
        _pending = signum
        if first:
            threading.Thread(target=_redeliver, name="stop-signal", daemon=True).start()
    finally:
        _in_hook = False


def _redeliver() -> None:
    main = threading.main_thread().ident
    while (signum := _pending) is not None:
        signal.pthread_kill(main, signum)  # wakes a blocking read too
        time.sleep(REDELIVER_EVERY)


# A signal sent to the process goes to any one of its threads. CPython's own handler, in whatever
# thread it lands, only marks the signal: our handler runs when the main thread next runs Python
# code. Landed on a helper thread (MiniLM's pool, a reader of the model server's output) while
# the main thread is blocked in a read (an interview waiting for an answer on a pipe), it waited
# for ever (seen: 1 in about 30 SIGHUPs). CPython writes each signal's number to the wakeup fd from
# any thread, so a watcher thread reading it nudges the main thread (a signal whose handler does
# nothing, sent to that thread: its blocked read is interrupted and the marked handler runs) until
# our handler has run. The nudge, not the stop signal again: a second SystemExit would cut short
# the clean-up the first one started.
NUDGE = signal.SIGURG  # ignored by default and used by nothing else here
HANDLED_WITHIN = 1.0  # seconds: a handler run this long before its number was read handled it
_handled_at = float("-inf")  # when _exit_on_signal last ran (time.monotonic)
_wakeup: tuple[int, int] | None = None  # the watcher's pipe (read end, write end)


def _watch(read_fd: int) -> None:
    main = threading.main_thread().ident
    while True:
        try:
            numbers = os.read(read_fd, 64)
        except OSError:
            return
        if not any(n in STOP_SIGNALS for n in numbers):
            continue  # a nudge, or a signal of somebody else's
        arrived = time.monotonic()
        time.sleep(REDELIVER_EVERY / 4)  # a main thread running Python handles it meanwhile
        while _handled_at < arrived - HANDLED_WITHIN:
            try:
                signal.pthread_kill(main, NUDGE)
            except OSError:  # the main thread has ended
                return
            time.sleep(REDELIVER_EVERY)


def _watch_wakeups() -> int | None:
    """Install the watcher's pipe as the wakeup fd; the wakeup fd it replaced (None when another
    owner, such as an asyncio loop, holds it: that one is left alone)."""
    global _wakeup
    if _wakeup is None:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        _wakeup = (read_fd, write_fd)
        threading.Thread(target=_watch, args=(read_fd,), name="stop-watch", daemon=True).start()
    previous = signal.set_wakeup_fd(_wakeup[1], warn_on_full_buffer=False)
    if previous not in (-1, _wakeup[1]):
        signal.set_wakeup_fd(previous)
        return None
    return previous


def exit_on_stop_signals() -> dict:
    """Turn SIGTERM and SIGHUP into ``SystemExit`` and SIGINT into ``KeyboardInterrupt`` (even
    when SIGINT was inherited ignored), so ``finally`` blocks and ``atexit`` handlers run; one
    that a finaliser swallowed is raised again (see ``_unraisable``).

    Returns the handlers it replaced (for ``restore_signals``); a no-op outside the main thread
    (only it may set signal handlers).
    """
    global _previous_hook
    if threading.current_thread() is not threading.main_thread():
        return {}
    if sys.unraisablehook is not _unraisable:
        _previous_hook = sys.unraisablehook
        sys.unraisablehook = _unraisable
    previous = {sig: signal.signal(sig, _exit_on_signal) for sig in STOP_SIGNALS}
    wakeup = _watch_wakeups()
    if wakeup is not None:
        previous[NUDGE] = signal.signal(NUDGE, lambda _signum, _frame: None)
        previous["wakeup_fd"] = wakeup
    return previous


def restore_signals(previous: dict) -> None:
    """Put back the handlers ``exit_on_stop_signals`` replaced."""
    global _previous_hook
    previous = dict(previous)
    if "wakeup_fd" in previous:
        replaced = signal.set_wakeup_fd(previous.pop("wakeup_fd"))
        if _wakeup is None or replaced != _wakeup[1]:  # another owner took it since: theirs
            signal.set_wakeup_fd(replaced)
    for sig, handler in previous.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
    if previous and sys.unraisablehook is _unraisable:
        sys.unraisablehook = _previous_hook or sys.__unraisablehook__
        _previous_hook = None
