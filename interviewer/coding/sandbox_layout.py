"""What a sandboxed run sees: bwrap's read-only root, its clean environment, its boot config."""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interviewer.coding.sandbox import SandboxLimits

_PKG_ROOT = Path(__file__).resolve().parents[1]  # interviewer/
INSIDE_DIR = "/sandbox"  # where the boot script, config and main script appear under bwrap
INSIDE_WORK = "/tmp"  # the only writable place under bwrap (a size-capped tmpfs)
_MiB = 1024 * 1024


def interpreter() -> str:
    """The Python binary a sandboxed run starts."""
    # The real binary, not the venv's symlink: the venv directory itself is not mounted.
    return os.path.realpath(sys.executable)


def site_dirs() -> list[str]:
    """Directories that hold the importable libraries (numpy, pandas and their dependencies)."""
    dirs = []
    for key in ("purelib", "platlib"):
        d = sysconfig.get_paths().get(key)
        if d and os.path.isdir(d):
            dirs.append(os.path.realpath(d))
    for p in sys.path:
        if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p):
            dirs.append(os.path.realpath(p))
    return dedupe(dirs)


def python_roots() -> list[str]:
    """The interpreter's own tree: its prefix (stdlib, libpython) and the binary's directory."""
    roots = [os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)]
    roots.append(os.path.dirname(interpreter()))
    return dedupe(roots)


def dedupe(paths: Iterable[str]) -> list[str]:
    """Unique paths, dropping any that lies inside another one already kept."""
    out: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            out.append(p)
    return out


def app_paths() -> list[str]:
    """The app's own code and bank (hidden tests, reference solutions): never visible."""
    paths = [str(_PKG_ROOT), str(_PKG_ROOT.parent / "knowledge")]
    return [os.path.realpath(p) for p in paths]


def host_env() -> dict[str, str]:
    """The environment bwrap itself starts in: PATH alone (the code's is set by ``--setenv``)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def child_env(home: str) -> dict[str, str]:
    """A clean environment: nothing of the app's (keys, data dir, database URL) leaks in."""
    env = {
        "HOME": home,
        "TMPDIR": home,
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "USER": "sandbox",
        # One BLAS thread: fair timings, and no thread pool eating the process limit.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    }
    # Some CPUs here need these for OpenBLAS to compute correctly; keep them when set.
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            env[var] = os.environ[var]
    return env


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def bwrap_argv(exe: str, host_dir: Path, limits: SandboxLimits, deny: Sequence[str]) -> list[str]:
    """The bwrap command line: namespaces, a read-only minimal root, one writable tmpfs."""
    argv = [
        exe,
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
    ]
    if os.geteuid() == 0:
        # As root, a user namespace would map the code to uid 0 outside, which the kernel
        # exempts from RLIMIT_NPROC; instead the boot script drops to limits.uid itself and
        # needs exactly these two capabilities for it (bwrap drops all others).
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns"]
    for key, value in child_env(INSIDE_WORK).items():
        argv += ["--setenv", key, value]
    made: set[str] = set()

    def mkdirs(path: str) -> None:
        # bwrap creates missing parents as 0700, which the unprivileged uid cannot traverse.
        for d in _ancestors(path):
            if d not in made:
                argv.extend(["--perms", "0755", "--dir", d])
                made.add(d)

    def ro_bind(src: str, dst: str | None = None) -> None:
        dst = dst or src
        mkdirs(dst)
        argv.extend(["--ro-bind", src, dst])
        made.add(dst)

    # The writable tmpfs first: an interpreter or site-packages that lives under /tmp (a venv in
    # a clone there) is bound on top of it below instead of being hidden by it.
    argv += ["--perms", "01777", "--size", str(limits.tmpfs_mb * _MiB), "--tmpfs", INSIDE_WORK]
    made.add(INSIDE_WORK)
    for top in ("/usr/lib", "/usr/lib64"):
        if os.path.isdir(top):
            ro_bind(os.path.realpath(top), top)
    for link in ("/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(link):
            argv.extend(["--symlink", os.readlink(link), link])
        elif os.path.isdir(link):
            ro_bind(link)
    for extra in ("/usr/share/zoneinfo", "/etc/ld.so.cache"):
        if os.path.exists(extra):
            ro_bind(os.path.realpath(extra), extra)
    binds = dedupe(python_roots() + site_dirs())
    for src in binds:
        if not any(src == b or src.startswith(b + "/") for b in ("/usr/lib", "/usr/lib64")):
            ro_bind(src)
    # Hide what must stay invisible even where it lies inside a mounted tree.
    for hidden in deny:
        if any(hidden == b or hidden.startswith(b.rstrip("/") + "/") for b in binds):
            if os.path.isdir(hidden):
                argv.extend(["--perms", "0000", "--tmpfs", hidden, "--remount-ro", hidden])
            elif os.path.exists(hidden):
                argv.extend(["--ro-bind", "/dev/null", hidden])
    argv += ["--proc", "/proc", "--dev", "/dev"]
    ro_bind(str(host_dir), INSIDE_DIR)
    argv += ["--chdir", INSIDE_WORK, "--"]
    return argv


def boot_config(
    *,
    limits: SandboxLimits,
    main: str,
    sys_path: list[str],
    preimport: Sequence[str],
    guard: bool | str,
    read_roots: list[str],
    write_roots: list[str],
    deny_roots: list[str],
    drop_uid: int | None,
    parent_pid: int | None,
) -> dict:
    """The boot script's config (``cfg.json``): limits, identity, the guard's roots, the script."""
    return {
        "limits": {
            "cpu_s": max(1, int(limits.cpu_s)),
            "memory_bytes": limits.memory_mb * _MiB,
            "file_size_bytes": limits.file_size_mb * _MiB,
            "nproc": limits.nproc,
            "nofile": limits.nofile,
            "core": 0,
        },
        "drop_uid": drop_uid,
        "main": main,
        "sys_path": sys_path,
        "preimport": list(preimport),
        "guard": guard,
        "read_roots": read_roots,
        "write_roots": write_roots,
        "deny_roots": deny_roots,
        # Without bwrap the boot checks that the app is still its parent when it arms PDEATHSIG.
        "parent_pid": parent_pid,
    }


def uid_can_run_interpreter(uid: int) -> bool:
    """Whether a non-root uid could exec the interpreter and read its libraries (mode bits)."""
    return uid_can_reach(uid, [interpreter()] + python_roots() + site_dirs())


def uid_can_reach(uid: int, folders: list[str]) -> bool:
    """Whether a non-root uid could enter each of ``folders`` (mode bits of it and its
    ancestors)."""
    for root in folders:
        for d in _ancestors(root + "/x"):
            try:
                st = os.stat(d)
            except OSError:
                return False
            if st.st_uid != uid and not st.st_mode & 0o001:
                return False
    return True
