"""`mock-interview hash-password`: a scrypt hash for INTERVIEWER_AUTH, so the server's
environment never holds a login password in clear. Also the terminal's input decoding."""

from __future__ import annotations

import getpass
import io
import sys

from interviewer.config import Settings
from interviewer.errors import UsageError


def register(sub) -> None:
    """Add the hash-password sub-command."""
    p = sub.add_parser(
        "hash-password",
        help="print a scrypt hash of a password for INTERVIEWER_AUTH (user:scrypt$...)",
        description="Reads the password (asked twice at a terminal, else one line of stdin) and "
        "prints its hash; with --user, the whole INTERVIEWER_AUTH entry.",
    )
    p.add_argument("--user", help="print 'USER:hash', ready for INTERVIEWER_AUTH")
    p.set_defaults(handler=cmd_hash_password)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Again: "):
            raise UsageError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_hash_password(args, settings: Settings) -> int:
    """Print the hash (or the user:hash entry)."""
    from interviewer.ui.auth import hash_password

    if args.user is not None and (not args.user.strip() or any(c in args.user for c in ":,")):
        raise UsageError("--user must be a name without ':' or ','")
    password = _read_password()
    if not password:
        raise UsageError("the password is empty")
    if "," in password or any("\ud800" <= c <= "\udfff" for c in password):
        raise UsageError("the password must be valid text without ','")
    hashed = hash_password(password)
    print(f"{args.user.strip()}:{hashed}" if args.user else hashed)
    return 0


def tolerant_stdin() -> None:
    """Decode the terminal's input with ``surrogateescape``: bytes that are not UTF-8 become
    lone surrogates the interview refuses in one line, instead of a UnicodeDecodeError that
    ends the program."""
    stdin = sys.stdin
    if isinstance(stdin, io.TextIOWrapper) and stdin.errors == "strict":
        try:
            stdin.reconfigure(errors="surrogateescape")
        except (ValueError, io.UnsupportedOperation):
            pass
