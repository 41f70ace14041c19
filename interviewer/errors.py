"""Every error the product raises, under one root.

A message is one line that is safe to show a candidate or an operator: it names what went wrong
and, where there is one, the fix. The command line catches ``InterviewerError`` once and prints
the message (exit status 2); the app shows it next to the control that caused it.

::

    InterviewerError
    ├── ConfigError            a setting has a value we cannot use
    │   ├── EndpointError      LLM mode was asked for, its endpoint cannot be used
    │   └── LocalModelError    the local model cannot be served
    │       └── LocalModelBusy     the app's own local model server is busy with a reply
    ├── UsageError             bad command-line input
    ├── TooManyLogins          logins for a user name or address are paused (HTTP 429)
    ├── BankError              a question-bank file does not validate
    ├── GuideError             a guide file cannot be ingested
    ├── PromptError            a prompt file is missing or malformed
    ├── GradeInputError        a rubric or reference the grader cannot use
    ├── InterviewError         input the interview cannot take (too long, wrong phase, ...)
    ├── SessionNotFound        no such session for this user
    ├── StoreError             the transcript store refused a write
    ├── LLMError               the LLM boundary failed
    │   ├── LLMUnavailable     unreachable, timed out, or failed on its side
    │   ├── LLMRateLimited     kept answering 429 after the bounded retries
    │   ├── LLMAuthError       rejected the API key
    │   └── LLMBadOutput       output that does not validate
    │       └── UnusableQuestion   a generated question whose key points restate it
    ├── SandboxError           candidate code could not be run safely
    └── SpeechError            audio that cannot be synthesised or transcribed

Built-in bases (ValueError, LookupError, RuntimeError) are kept where callers relied on them.
"""

from __future__ import annotations


class InterviewerError(Exception):
    """Root of every error the product raises; the message is one line, safe to show."""


class ConfigError(InterviewerError, ValueError):
    """A setting has a value we cannot use; the message names the variable and the fix."""


class EndpointError(ConfigError):
    """LLM mode was asked for but its endpoint cannot be used; one line, offering offline mode."""


class LocalModelError(ConfigError):
    """The local model cannot be served; the message names the fix."""


class LocalModelBusy(LocalModelError):
    """The local model server this process started still runs but does not answer: it is
    working on an earlier request."""


class UsageError(InterviewerError):
    """Bad input from the user on the command line."""


class TooManyLogins(InterviewerError):  # noqa: N818 - the app answers it with HTTP 429
    """Logins for this user name or address are paused; the message says for how long."""


class BankError(InterviewerError, ValueError):
    """A bank file that does not validate; the message names the file and the field."""


class GuideError(InterviewerError, ValueError):
    """A guide file that cannot be ingested; the message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


class PromptError(InterviewerError, ValueError):
    """A prompt file is missing or malformed, or a variable was not supplied."""


class GradeInputError(InterviewerError, ValueError):
    """A rubric or reference answer the grader cannot grade against."""


class InterviewError(InterviewerError, ValueError):
    """Input the interview cannot take (too long, wrong phase, unknown command)."""


class SessionNotFound(InterviewerError, LookupError):
    """No such session for this user (the message never says whether another user has it)."""

    def __init__(self, session_id: str, user_id: str | None = None):
        super().__init__(session_id)
        self.session_id = session_id
        self.user_id = user_id

    def __str__(self) -> str:
        owner = "" if self.user_id is None else f" for user {self.user_id!r}"
        return f"no session {self.session_id!r}{owner}"


class StoreError(InterviewerError, ValueError):
    """The transcript store refused a write (for example an answer over the length limit)."""


class LLMError(InterviewerError, RuntimeError):
    """Base of the errors the LLM boundary raises."""


class LLMUnavailable(LLMError):
    """The endpoint could not be reached, timed out, or failed on its side."""


class LLMRateLimited(LLMError):
    """The endpoint kept answering 429 after the bounded retries."""


class LLMAuthError(LLMError):
    """The endpoint rejected the API key."""


class LLMBadOutput(LLMError):
    """The model's output did not validate against the expected schema."""


class UnusableQuestion(LLMBadOutput):
    """A generated question whose rubric could not grade an answer (key points restating it)."""


class SandboxError(InterviewerError):
    """Candidate code could not be run safely (no sandbox, or the sandbox failed)."""


class SpeechError(InterviewerError, ValueError):
    """Audio that cannot be synthesised or transcribed (format, length, sample rate)."""
