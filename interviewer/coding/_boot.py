"""First code run inside the sandbox: limits, identity, guard, then the main script.

Started as ``python -I -S -B _boot.py CONFIG.json`` by :mod:`interviewer.coding.sandbox`. It
imports only the standard library (it runs before anything else is on ``sys.path``) and must
stay a standalone file: it is bind-mounted into the sandbox on its own.

Order matters: rlimits and the uid drop come first, so nothing below runs with more than the
sandbox allows; the heavy imports (numpy, pandas) come before the guard so that their own
start-up file reads are not second-guessed; the guard comes last, right before candidate code.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback

_REPORT_FD = 3
_MAIN_PID = os.getpid()

# Audit events the guard refuses outright, with the one-line reason the candidate sees.
_DENY = {
    "socket.__new__": "network access is disabled in the sandbox",
    "socket.connect": "network access is disabled in the sandbox",
    "socket.bind": "network access is disabled in the sandbox",
    "socket.getaddrinfo": "network access is disabled in the sandbox",
    "socket.gethostbyname": "network access is disabled in the sandbox",
    "socket.sendto": "network access is disabled in the sandbox",
    "subprocess.Popen": "starting processes is disabled in the sandbox",
    "os.system": "starting processes is disabled in the sandbox",
    "os.exec": "starting processes is disabled in the sandbox",
    "os.posix_spawn": "starting processes is disabled in the sandbox",
    "os.spawn": "starting processes is disabled in the sandbox",
    "os.fork": "starting processes is disabled in the sandbox",
    "os.forkpty": "starting processes is disabled in the sandbox",
    "os.kill": "sending signals is disabled in the sandbox",
    "os.killpg": "sending signals is disabled in the sandbox",
    "signal.pthread_kill": "sending signals is disabled in the sandbox",
    "ctypes.dlopen": "ctypes is disabled in the sandbox",
    "ctypes.dlsym": "ctypes is disabled in the sandbox",
    "ctypes.call_function": "ctypes is disabled in the sandbox",
    # reading memory at an address (walk57 read its process's memory with from_address)
    "ctypes.cdata": "ctypes is disabled in the sandbox",
    "ctypes.cdata/buffer": "ctypes is disabled in the sandbox",
    "ctypes.string_at": "ctypes is disabled in the sandbox",
    "ctypes.wstring_at": "ctypes is disabled in the sandbox",
    # a link made where writing is allowed, opened through a directory descriptor the audit
    # event does not carry, read what the guard refuses (walk57: /proc/self/maps)
    "os.symlink": "links are disabled in the sandbox",
    "os.link": "links are disabled in the sandbox",
    # (with a directory descriptor, a path read against another working directory: walk58)
    "os.chdir": "changing the working directory is disabled in the sandbox",
    "gc.get_objects": "gc introspection is disabled in the sandbox",
    "gc.get_referrers": "gc introspection is disabled in the sandbox",
    "gc.get_referents": "gc introspection is disabled in the sandbox",
}
# Events whose first argument is a path: reading needs a readable root, changing a writable one.
_READ_EVENTS = frozenset({"os.listdir", "os.scandir", "sqlite3.connect", "glob.glob"})
_WRITE_EVENTS = frozenset(
    {
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.chmod",
        "os.chown",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.utime",
        "os.chflags",
        "shutil.rmtree",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _report(obj: dict) -> None:
    """Send one JSON line to the parent on the report pipe (ignored when it is gone)."""
    if os.getpid() != _MAIN_PID:
        return  # a forked child must not speak for the run
    data = (json.dumps(obj) + "\n").encode()
    try:
        while data:
            data = data[os.write(_REPORT_FD, data) :]
    except OSError:
        pass


def _set_limits(limits: dict) -> None:
    """Apply the rlimits; soft and hard are equal, so candidate code cannot raise them."""
    table = {
        "cpu_s": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "file_size_bytes": resource.RLIMIT_FSIZE,
        "nproc": resource.RLIMIT_NPROC,
        "nofile": resource.RLIMIT_NOFILE,
        "core": resource.RLIMIT_CORE,
    }
    for key, which in table.items():
        value = int(limits[key])
        if key == "cpu_s":
            # One second of grace above the soft limit: SIGXCPU first, SIGKILL after.
            resource.setrlimit(which, (value, value + 1))
        else:
            resource.setrlimit(which, (value, value))


def _drop_privileges(uid: int | None) -> None:
    """Become the unprivileged sandbox user when started as root (bwrap without a user ns)."""
    if uid is None or os.getuid() != 0:
        return
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() == 0 or os.geteuid() == 0:
        raise SystemExit("sandbox: could not drop root privileges")


def _die_with_parent(parent_pid: int | None) -> None:
    """SIGKILL this process when its parent dies (bwrap does this itself; rlimits mode needs it)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        return
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(70)  # the parent died before the death signal was armed


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _make_guard(read_roots: tuple[str, ...], write_roots: tuple[str, ...], deny: tuple[str, ...]):
    """An audit hook that refuses network, processes, signals, ctypes and foreign paths."""
    realpath = os.path.realpath
    fspath = os.fspath
    deny_map = dict(_DENY)
    read_events, write_events = _READ_EVENTS, _WRITE_EVENTS

    def resolve(arg) -> str | None:
        if isinstance(arg, int) or arg is None:
            return None  # file descriptors were opened under the same rules
        try:
            p = fspath(arg)
        except TypeError:
            return None
        if isinstance(p, bytes):
            p = p.decode("utf-8", "surrogateescape")
        # A relative path is read against the working directory, but a call given a directory
        # descriptor reads it against that one, which the audit event does not carry: one going
        # up from it is refused (walk58 read /proc through "../../proc/..." and a dir_fd)
        if not p.startswith("/") and ".." in p.replace("\\", "/").split("/"):
            raise PermissionError(f"the path {p} goes up from a directory: not allowed in the "
                                  "sandbox")
        return realpath(p)

    def allowed(path: str, write: bool) -> bool:
        if _under(path, deny):
            return False
        if _under(path, write_roots):
            return True
        return not write and _under(path, read_roots)

    def guard(event: str, args: tuple) -> None:
        reason = deny_map.get(event)
        if reason is not None:
            raise PermissionError(f"{reason} ({event})")
        if event == "open":
            path = resolve(args[0])
            if path is None:
                return
            mode, flags = args[1], args[2]
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if not allowed(path, write):
                what = "writing" if write else "reading"
                raise PermissionError(f"{what} {path} is not allowed in the sandbox")
        elif event in read_events or event in write_events:
            if not args:
                return
            path = resolve(args[0])
            if path is not None and path != ":memory:":
                if not allowed(path, event in write_events):
                    raise PermissionError(f"{path} is outside the sandbox ({event})")
        elif event == "os.rename":
            for arg in args[:2]:
                path = resolve(arg)
                if path is not None and not allowed(path, True):
                    raise PermissionError(f"{path} is outside the sandbox ({event})")
        elif event == "object.__setattr__" and args and args[0] is guard:
            raise PermissionError("the sandbox guard cannot be changed")

    return guard


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


def _claim_report_fd() -> None:
    """Move the report pipe (its number is argv[2]) to fd 3, where the main script expects it."""
    fd = int(sys.argv[2])
    if fd != _REPORT_FD:
        os.dup2(fd, _REPORT_FD)
        os.close(fd)


def main() -> int:
    """Boot the sandbox from the config file named on the command line and run its main."""
    with open(sys.argv[1], encoding="utf-8") as fh:
        cfg = json.load(fh)
    _set_limits(cfg["limits"])
    _die_with_parent(cfg.get("parent_pid"))
    _drop_privileges(cfg.get("drop_uid"))
    os.umask(0o077)
    for path in cfg.get("sys_path", []):
        sys.path.append(path)
    # numpy's import pulls in ctypes, whose own start-up the guard would refuse: load it first.
    for name in ["ctypes", *cfg.get("preimport", [])]:
        try:
            __import__(name)
        except ImportError:
            pass  # a missing optional library surfaces when candidate code imports it
    main_path = cfg["main"]
    with open(main_path, encoding="utf-8") as fh:
        source = fh.read()
    roots = (tuple(cfg.get("read_roots", [])), tuple(cfg.get("write_roots", [])),
             tuple(cfg.get("deny_roots", [])))  # fmt: skip

    def install_guard() -> None:
        sys.addaudithook(_make_guard(*roots))

    guard = cfg.get("guard", True)
    if guard is True:
        install_guard()
    namespace = {"__name__": "__main__", "__file__": main_path, "__builtins__": __builtins__}
    if guard == "main":
        # The main script installs the guard itself, in the process that runs candidate code:
        # the test runner forks one for it (``_runner``), so no candidate code shares its memory
        namespace["_sandbox_guard"] = install_guard
        namespace["_sandbox_die_with_parent"] = _die_with_parent
    sys.argv = [main_path]
    try:
        exec(compile(source, main_path, "exec"), namespace)
    except SystemExit as exc:
        if os.getpid() != _MAIN_PID:
            os._exit(1)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - everything is reported, nothing escapes
        if os.getpid() != _MAIN_PID:
            os._exit(1)  # a forked child dies quietly instead of running the parent's code
        _report({"event": "uncaught", "type": type(exc).__name__, "message": _one_line(exc)})
        traceback.print_exc(limit=8)
        return 1
    if os.getpid() != _MAIN_PID:
        os._exit(0)
    return 0


if __name__ == "__main__":
    _claim_report_fd()
    try:
        status = main()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException as exc:  # noqa: BLE001 - boot failures are reported, not raised
        if os.getpid() != _MAIN_PID:
            os._exit(1)
        _report({"event": "boot_error", "type": type(exc).__name__, "message": _one_line(exc)})
        status = 70
    # os._exit: skip interpreter teardown, which candidate objects (__del__) could stall.
    os._exit(status)
