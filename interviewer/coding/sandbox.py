"""Run untrusted Python in a separate, locked-down process; never in the app's own process.

Two layers, both always on when bubblewrap is there:

* **bwrap** (Debian package ``bubblewrap``): new pid, network, ipc, uts and cgroup namespaces
  (no network at all, not even loopback to the host), a root made of read-only binds of only
  what Python needs (``/usr/lib``, the interpreter's prefix, the site-packages holding
  numpy/pandas, the zoneinfo database), a size-capped tmpfs as the only writable place, no
  ``/etc`` (so no ``/etc/passwd``), ``--die-with-parent``, ``--new-session``, a clean
  environment, an unprivileged uid (65534 by default) and ``no_new_privs``.
* **rlimits** set in the child before any candidate code runs: CPU seconds, address space,
  file size, process count, open files, no core dumps; plus a wall-clock limit and an output
  cap enforced by the parent, which kills the whole process group.

On top, an audit hook (PEP 578) inside the child refuses sockets, subprocesses, fork, signals,
ctypes and paths outside the sandbox's roots, so candidates get a one-line reason instead of an
obscure errno. The hook is a convenience, not a boundary: in-process Python can get around it.

Without bwrap (``mode="rlimits"``) only the rlimits, the process-group kill and the audit hook
remain; the README ("Coding questions", the sandbox) says what that does and does not stop. ``require_sandbox=True``
makes ``mode="auto"`` refuse to fall back (a server with logins should pass it).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from interviewer.coding.sandbox_layout import (
    INSIDE_DIR,
    INSIDE_WORK,
    app_paths,
    boot_config,
    bwrap_argv,
    child_env,
    dedupe,
    host_env,
    interpreter,
    python_roots,
    site_dirs,
    uid_can_reach,
    uid_can_run_interpreter,
)
from interviewer.errors import SandboxError
from interviewer.paths import folder_bytes

__all__ = [
    "MODES",
    "SandboxLimits",
    "SandboxResult",
    "bwrap_usable",
    "resolve_mode",
    "run_python",
]

MODES = ("auto", "bwrap", "rlimits", "off")
_BOOT = Path(__file__).with_name("_boot.py")
_MiB = 1024 * 1024


@dataclass(frozen=True)
class SandboxLimits:
    """Tunable limits of one sandboxed run; every default is sized for one coding question."""

    wall_s: float = 20.0  # wall-clock seconds for the whole run, start-up included
    cpu_s: int = 20  # CPU seconds (RLIMIT_CPU); SIGXCPU, then SIGKILL one second later
    memory_mb: int = 1024  # address space (RLIMIT_AS); numpy + pandas start at about 350 MB
    file_size_mb: int = 16  # largest file the code may write (RLIMIT_FSIZE)
    tmpfs_mb: int = 64  # size of the writable tmpfs under bwrap (all files together)
    nproc: int = 32  # processes and threads of the sandbox uid (RLIMIT_NPROC)
    nofile: int = 128  # open file descriptors (RLIMIT_NOFILE)
    output_bytes: int = 64 * 1024  # stdout and stderr kept, each; the rest is dropped
    output_kill_bytes: int = 8 * _MiB  # printing more than this in total stops the run
    report_bytes: int = 4 * _MiB  # largest structured report the parent accepts (fd 3)
    uid: int = 65534  # uid the code runs as when the app itself runs as root ("nobody")

    def __post_init__(self):
        for name, value in asdict(self).items():
            # uid 0 would be root: the sandbox must never run code as root.
            if not isinstance(value, int | float) or value <= 0:
                raise SandboxError(f"SandboxLimits.{name} must be positive, got {value!r}")


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed run did: ``error`` is a one-line reason whenever it did not end well."""

    mode: str  # "bwrap" or "rlimits"
    exit_code: int | None  # the child's exit status; None when the parent killed it
    stdout: str
    stderr: str
    report: str  # JSON lines the code wrote on fd 3 (the harness's results channel)
    error: str | None
    seconds: float
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    killed: bool = False  # the parent stopped it (wall time or output limit)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when the code ran to the end with exit status 0."""
        return self.error is None and self.exit_code == 0

    def events(self) -> list[dict]:
        """The report channel parsed: one dict per well-formed JSON line, the rest skipped."""
        out = []
        for line in self.report.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out


# ---------------------------------------------------------------------------------- detection


def _bwrap_path() -> str | None:
    return shutil.which("bwrap")


@lru_cache(maxsize=1)
def _bwrap_probe() -> str | None:
    """None when bwrap can start Python with our flags here, else the one-line reason why not."""
    exe = _bwrap_path()
    if exe is None:
        return "bubblewrap (bwrap) is not installed; apt-get install bubblewrap"
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        argv = bwrap_argv(exe, Path(tmp), SandboxLimits(), deny=())
        argv += [interpreter(), "-I", "-S", "-c", "pass"]
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=20, env=host_env())
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap could not start: {exc}"
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        return f"bwrap cannot create the sandbox here: {msg[-1] if msg else proc.returncode}"
    return None


def bwrap_usable() -> bool:
    """True when bubblewrap is installed and works on this machine (probed once)."""
    return _bwrap_probe() is None


def resolve_mode(mode: str = "auto", *, require_sandbox: bool = False) -> str:
    """The mode a run will use ("bwrap" or "rlimits"), or SandboxError saying why none."""
    mode = (mode or "auto").strip().lower()
    if mode not in MODES:
        raise SandboxError(f"unknown sandbox mode {mode!r}; use one of {', '.join(MODES)}")
    if mode == "off":
        raise SandboxError("running candidate code is turned off (INTERVIEWER_SANDBOX=off)")
    if mode == "rlimits":
        return "rlimits"  # the operator chose it explicitly: that is the opt-in
    reason = _bwrap_probe()
    if reason is None:
        return "bwrap"
    if mode == "bwrap" or require_sandbox:
        raise SandboxError(
            f"refusing to run candidate code without the sandbox: {reason} "
            "(or set INTERVIEWER_SANDBOX=rlimits to accept weaker isolation)"
        )
    return "rlimits"


# ------------------------------------------------------------------------------------ running


def run_python(
    source: str,
    *,
    stdin: bytes = b"",
    limits: SandboxLimits | None = None,
    mode: str = "auto",
    require_sandbox: bool = False,
    preimport: Sequence[str] = ("numpy", "pandas"),
    guard: bool | str = True,
    deny: Sequence[str | os.PathLike] = (),
) -> SandboxResult:
    """Run ``source`` as ``__main__`` in a fresh sandboxed process and return what happened.

    Raises SandboxError only when the run is refused or cannot start (policy, no interpreter);
    anything the code does, including breaking a limit, comes back as ``SandboxResult.error``.
    ``deny`` names host paths (the data dir, say) that must stay invisible to the code.
    ``guard``: the audit guard before the script runs (True), none (False), or ``"main"``: the
    script installs it itself where it runs candidate code (``_sandbox_guard``).
    """
    limits = limits or SandboxLimits()
    resolved = resolve_mode(mode, require_sandbox=require_sandbox)
    deny_paths = dedupe(os.path.realpath(os.fspath(p)) for p in [*deny, *app_paths()])
    with tempfile.TemporaryDirectory(prefix="sandbox-") as tmp:
        host_dir = Path(tmp) / "in"
        host_dir.mkdir(mode=0o755)
        (host_dir / "main.py").write_text(source, encoding="utf-8")
        shutil.copyfile(_BOOT, host_dir / "boot.py")
        for name in ("main.py", "boot.py"):
            os.chmod(host_dir / name, 0o644)
        notes: list[str] = []
        if resolved == "bwrap":
            inside = INSIDE_DIR
            cfg = boot_config(
                limits=limits,
                main=f"{inside}/main.py",
                sys_path=site_dirs(),
                preimport=preimport,
                guard=guard,
                read_roots=python_roots() + site_dirs() + ["/usr", "/dev", "/proc/self"],
                write_roots=[INSIDE_WORK, "/dev/null"],
                deny_roots=deny_paths,
                drop_uid=limits.uid if os.geteuid() == 0 else None,
                parent_pid=None,
            )
            argv = bwrap_argv(_bwrap_path() or "bwrap", host_dir, limits, deny_paths)
            argv += [interpreter(), "-I", "-S", "-B", f"{inside}/boot.py", f"{inside}/cfg.json"]
            cwd, env, user = tmp, host_env(), None
        else:
            work = Path(tmp) / "work"
            work.mkdir(mode=0o700)
            user = None
            if os.geteuid() == 0:
                # (the run's folder too: under a TMPDIR only root can enter, such as pytest's
                # 0700 temp root, the child could not open its boot script)
                unreachable = (
                    "the interpreter" if not uid_can_run_interpreter(limits.uid)
                    else f"the temp folder {os.path.dirname(tmp)}"
                    if not uid_can_reach(limits.uid, [os.path.dirname(tmp)]) else ""
                )  # fmt: skip
                if not unreachable:
                    user = limits.uid
                    os.chown(work, limits.uid, limits.uid)
                    os.chmod(tmp, 0o755)
                else:
                    notes.append(
                        f"running as root: {unreachable} is not reachable by uid "
                        f"{limits.uid}, so RLIMIT_NPROC does not apply"
                    )
            cfg = boot_config(
                limits=limits,
                main=str(host_dir / "main.py"),
                sys_path=site_dirs(),
                preimport=preimport,
                guard=guard,
                read_roots=python_roots() + site_dirs() + [str(host_dir), "/usr", "/dev"],
                write_roots=[str(work), "/dev/null"],
                deny_roots=deny_paths,
                drop_uid=None,
                parent_pid=os.getpid(),
            )
            boot, cfg_path = str(host_dir / "boot.py"), str(host_dir / "cfg.json")
            argv = [interpreter(), "-I", "-S", "-B", boot, cfg_path]
            cwd, env = str(work), child_env(str(work))
        (host_dir / "cfg.json").write_text(json.dumps(cfg), encoding="utf-8")
        os.chmod(host_dir / "cfg.json", 0o644)
        # Under bwrap the tmpfs size caps the disk; without it the parent watches the work dir.
        watch = None if resolved == "bwrap" else cwd
        return _spawn(
            argv,
            cwd=cwd,
            env=env,
            user=user,
            stdin=stdin,
            limits=limits,
            mode=resolved,
            notes=tuple(notes),
            watch_dir=watch,
        )


class _Capped:
    """Keeps the first ``cap`` bytes of a stream and counts the rest."""

    def __init__(self, cap: int):
        self.cap, self.total, self.chunks = cap, 0, []

    def add(self, data: bytes) -> None:
        room = self.cap - sum(len(c) for c in self.chunks)
        if room > 0:
            self.chunks.append(data[:room])
        self.total += len(data)

    @property
    def truncated(self) -> bool:
        return self.total > self.cap

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen) -> None:
    # The child leads its own session (start_new_session), so its pid is the group id; bwrap's
    # --die-with-parent then takes down everything inside its pid namespace as well.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass


def _spawn(
    argv_head: list[str],
    *,
    cwd: str,
    env: dict[str, str],
    user: int | None,
    stdin: bytes,
    limits: SandboxLimits,
    mode: str,
    notes: tuple[str, ...],
    watch_dir: str | None = None,
) -> SandboxResult:
    report_r, report_w = os.pipe()
    # The boot script moves the report pipe to fd 3 itself (no preexec_fn: the app is threaded).
    argv = [*argv_head, str(report_w)]
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(report_w,),
            close_fds=True,
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
        )
    except OSError as exc:
        os.close(report_r)
        os.close(report_w)
        raise SandboxError(f"could not start the sandbox: {exc}") from None
    os.close(report_w)
    out, err, rep = (
        _Capped(limits.output_bytes),
        _Capped(limits.output_bytes),
        _Capped(limits.report_bytes),
    )
    error: str | None = None
    killed = False
    deadline = started + limits.wall_s
    sel = selectors.DefaultSelector()
    assert proc.stdout and proc.stderr and proc.stdin
    for fobj, sink in ((proc.stdout, out), (proc.stderr, err)):
        os.set_blocking(fobj.fileno(), False)
        sel.register(fobj.fileno(), selectors.EVENT_READ, sink)
    os.set_blocking(report_r, False)
    sel.register(report_r, selectors.EVENT_READ, rep)
    pending = memoryview(stdin)
    stdin_fd = proc.stdin.fileno()
    if pending:
        os.set_blocking(stdin_fd, False)
        sel.register(stdin_fd, selectors.EVENT_WRITE, None)
    else:
        proc.stdin.close()
    tick = 0.25 if watch_dir else 1.0
    try:
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                error, killed = f"wall time limit exceeded ({limits.wall_s:g} s)", True
                break
            if watch_dir and folder_bytes(watch_dir) > limits.tmpfs_mb * _MiB:
                error, killed = f"disk limit exceeded ({limits.tmpfs_mb} MB of scratch space)", True
                break
            for key, _ in sel.select(timeout=min(remaining, tick)):
                if key.data is None:  # stdin is writable
                    try:
                        n = os.write(stdin_fd, pending[:65536])
                    except (BrokenPipeError, OSError):
                        n = len(pending)
                    pending = pending[n:]
                    if not pending:
                        sel.unregister(stdin_fd)
                        proc.stdin.close()
                    continue
                try:
                    data = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    sel.unregister(key.fd)
                    continue
                key.data.add(data)
                if out.total + err.total > limits.output_kill_bytes:
                    error = (
                        f"output limit exceeded (printed more than "
                        f"{limits.output_kill_bytes // _MiB} MiB)"
                    )
                    killed = True
                    break
                if rep.total > limits.report_bytes:
                    error, killed = "report limit exceeded", True
                    break
            if killed:
                break
        if killed:
            _kill_group(proc)
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            error, killed = f"wall time limit exceeded ({limits.wall_s:g} s)", True
            _kill_group(proc)
            proc.wait(timeout=10)
    finally:
        sel.close()
        for f in (proc.stdout, proc.stderr):
            f.close()
        if not proc.stdin.closed:
            try:
                proc.stdin.close()
            except OSError:
                pass
        os.close(report_r)
        if proc.returncode is None:
            _kill_group(proc)
            proc.wait()
    seconds = time.monotonic() - started
    exit_code = None if killed else _exit_status(proc.returncode)
    if error is None:
        error = _explain(exit_code, rep.text(), err.text(), limits)
    return SandboxResult(
        mode=mode,
        exit_code=exit_code,
        stdout=out.text(),
        stderr=err.text(),
        report=rep.text(),
        error=error,
        seconds=seconds,
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        killed=killed,
        notes=notes,
    )


def _exit_status(returncode: int) -> int:
    """Normalise to a shell-like status: 128+N for death by signal N, in both modes."""
    if returncode < 0:
        return 128 - returncode
    return returncode


_SIGNAL_REASONS = {
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGKILL: "killed (memory or CPU limit)",
    signal.SIGSEGV: "crashed (segmentation fault; often the memory limit in native code)",
    signal.SIGBUS: "crashed (bus error)",
    signal.SIGABRT: "aborted (often the memory limit in native code)",
    signal.SIGXFSZ: "file size limit exceeded",
}


def _explain(exit_code: int | None, report: str, stderr: str, limits: SandboxLimits) -> str | None:
    """One line saying why a run that ended by itself did not end well (None when it did)."""
    if exit_code == 0:
        return None
    uncaught = None
    for line in report.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get("event") in ("uncaught", "boot_error"):
            uncaught = obj
    if exit_code is not None and exit_code > 128 and (exit_code - 128) in _SIGNAL_REASONS.keys():
        return _SIGNAL_REASONS[signal.Signals(exit_code - 128)]
    if uncaught:
        return _describe_exception(uncaught.get("type", ""), uncaught.get("message", ""), limits)
    last = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    tail = last[-1][:200] if last else "no output"
    return f"exited with status {exit_code}: {tail}"


def _describe_exception(kind: str, message: str, limits: SandboxLimits) -> str:
    if kind == "MemoryError":
        return f"memory limit exceeded ({limits.memory_mb} MB): MemoryError"
    if "File too large" in message or "Errno 27" in message:
        return f"file size limit exceeded ({limits.file_size_mb} MB): {message}"
    if kind == "BlockingIOError" and "Resource temporarily unavailable" in message:
        return f"process limit exceeded ({limits.nproc}): {message}"
    if "No space left" in message or "Errno 28" in message:
        return f"disk limit exceeded ({limits.tmpfs_mb} MB of scratch space): {message}"
    return message or kind
