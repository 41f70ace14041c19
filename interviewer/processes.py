"""Child processes that never outlive their parent, whatever signal ends it.

Two layers, because either alone leaves a gap:
- the child asks the kernel to send it SIGTERM when its parent dies (``PR_SET_PDEATHSIG``), which
  covers ``kill -9`` of the parent, where no handler of ours runs;
- the parent turns SIGTERM and SIGHUP (what ``docker stop``, systemd and a closed terminal send)
  and SIGINT into a normal exit, so ``finally`` blocks and ``atexit`` handlers stop children
  gracefully. SIGINT is set explicitly: a process started in the background inherits it
  ignored, and Python then installs no KeyboardInterrupt handler.

The child also runs in its own session, so a Ctrl-C at the terminal reaches the parent only,
which decides how to stop it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import threading

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


def _exit_on_signal(signum, _frame) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def exit_on_stop_signals() -> dict:
    """Turn SIGTERM and SIGHUP into ``SystemExit`` and SIGINT into ``KeyboardInterrupt`` (even
    when SIGINT was inherited ignored), so ``finally`` blocks and ``atexit`` handlers run.

    Returns the handlers it replaced (for ``restore_signals``); a no-op outside the main thread
    (only it may set signal handlers).
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _exit_on_signal) for sig in STOP_SIGNALS}


def restore_signals(previous: dict) -> None:
    """Put back the handlers ``exit_on_stop_signals`` replaced."""
    for sig, handler in previous.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
