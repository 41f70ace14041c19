"""Untrusted text at every render edge: one module escapes it for Markdown and HTML.

Everything a candidate or a model wrote is data: Markdown output escapes it so it cannot open
structure (headings, lists, links, tables, raw HTML), HTML output passes it through
``html.escape``. The formatters of numbers and times shown next to it live here too, so the
CLI, the exports and the app say the same thing the same way.
"""

from __future__ import annotations

import html
import re
import time

# Markdown punctuation that shapes inline structure anywhere (emphasis, code, links, tables);
# '<' becomes an entity so that no renderer, however lax about backslash escapes, sees a tag
# or an autolink, and '&' does where it would start a character reference ("&lt;" typed by the
# candidate stays those four characters). Elsewhere '&' and '>' shape nothing and stay as
# typed, so an export reads cleanly in a text editor ("R&D", "a > b"). Characters that only
# matter at the start of a line are handled by _LINE_START.
_MD_BACKSLASH = set("\\`*_{}[]|~")
_MD_ENTITIES = {"<": "&lt;"}
_REFERENCE = re.compile(r"&(?=#?\w+;)")
# Lists, headings, blockquotes, thematic breaks and setext underlines: "- ", "+ ", "# ", "> ",
# "1. ", "2) ", "===".
_LINE_START = re.compile(r"^(\s*)([-+=#>]|\d+[.)](?=\s|$))")
_INDENT = re.compile(r"^[ \t]+")
# What a renderer turns into a link with no markup (GFM's autolinks, linkify): a scheme's "://",
# "www." and an e-mail address's "@". The character escaped breaks the link and shows as typed
# (a walk-through's typed URL became a live link in the chat and in Transcripts).
_AUTOLINK = re.compile(r"(?i)(?<=\w):(?=//)|(?<=\bwww)\.|(?<=[\w.+-])@(?=[\w-]+\.\w)")
# A fenced code block: ```python (or ```py, or a bare ```) ... ``` (a candidate's code).
FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)\n?```", re.S | re.I)


def md_escape(text) -> str:
    """One line of untrusted text, safe to place anywhere in Markdown (line breaks become
    spaces)."""
    out = []
    line = _REFERENCE.sub("&amp;", " ".join(str(text if text is not None else "").splitlines()))
    for ch in line:
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_BACKSLASH:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = _AUTOLINK.sub(lambda m: "\\" + m.group(0), "".join(out))
    return _LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match) -> str:
    indent, marker = match.groups()
    return f"{indent}{marker[:-1]}\\{marker[-1]}"


def md_quote(text: str | None) -> str:
    """Untrusted multi-line text as an escaped blockquote, line breaks kept."""
    if text is None or text == "":
        return "> *(none)*"
    lines = []
    for line in str(text).splitlines():
        escaped = md_escape(line)
        lines.append(f"> {escaped}  " if escaped.strip() else ">")
    return "\n".join(lines).rstrip()


# An inline code span of one backtick on one line: a renderer shows its content as it is, as
# code, so it can open nothing (no markup, no tag, no link) and is kept as a span; one holding
# "<" or "&" is escaped as prose is, so that no renderer sees a tag or an entity in it.
_ONE_TICK_SPAN = re.compile(r"(?<!`)`([^`\n<&]+)`(?!`)")


def _spans_kept(line: str) -> str:
    """One line escaped as ``md_escape`` does, but its inline code spans kept as code."""
    out, at = [], 0
    for m in _ONE_TICK_SPAN.finditer(line):
        out += [md_escape(line[at : m.start()]) if m.start() > at else "", f"`{m.group(1)}`"]
        at = m.end()
    return "".join([*out, md_escape(line[at:]) if at < len(line) or not out else ""])


def text_md(text: str | None, *, code_spans: bool = False) -> str:
    """Untrusted multi-line text as Markdown that renders as exactly that text; with
    ``code_spans`` its inline code (`like this`) renders as code, without its backticks."""
    lines = []
    escape = _spans_kept if code_spans else md_escape
    for line in str(text or "").splitlines():
        # Leading spaces would open an indented code block, where entities show literally.
        indent = _INDENT.match(line)
        pad = "&nbsp;" * len(indent.group(0).expandtabs(4)) if indent else ""
        lines.append(pad + escape(line[len(indent.group(0)) :] if indent else line))
    return "\n".join(lines)


def passage_md(text: str | None) -> str:
    """A guide passage (untrusted: an uploaded guide's) as Markdown that renders as its text,
    its list items marked "•" (escaped, a "- " read as a stray dash at each line's start in a
    walk-through's Practice)."""
    return text_md(_BULLET.sub(r"\1• ", str(text or "")))  # plain_prose's bullets


def split_fenced(text: str | None) -> list[tuple[bool, str]]:
    """``text`` as (is_code, part) pairs: prose and the code of its fenced blocks, in order."""
    text = str(text or "")
    parts, at = [], 0
    for m in FENCE.finditer(text):
        if text[at : m.start()].strip():
            parts.append((False, text[at : m.start()].strip("\n")))
        parts.append((True, m.group(1)))
        at = m.end()
    if text[at:].strip() or not parts:
        parts.append((False, text[at:].strip("\n")))
    return parts


# (the next line's indent goes too: a list item's continuation lines are indented, and walk41
# read "often   match or beat SMOTE" in a model answer)
_SOFT_BREAK = re.compile(r"(?<=\S)[ \t]*\r?\n(?![ \t]*(?:\r?\n|[-*•]\s|\d+[.)]\s|$))[ \t]*")


def unwrap(prose: str) -> str:
    """Hard-wrapped prose as flowing paragraphs: a line break inside a paragraph becomes a
    space; a blank line, a list item and a line break after a blank keep theirs."""
    return _SOFT_BREAK.sub(" ", prose)


def md_code(code: str, language: str = "python") -> str:
    """Untrusted code as a fenced block its content can never close (the fence is longer than
    any run of backticks inside)."""
    longest = max((len(r) for r in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code.rstrip()}\n{fence}"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line (its runs of white space one space), cut at a word with "…" when it
    is longer than ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def answer_md(text: str | None, *, flow: bool = False) -> str:
    """An untrusted chat message (an answer, a model answer) as Markdown: its prose renders as
    exactly that text (its hard wraps unwrapped with ``flow``), and its fenced code blocks as code
    blocks their content cannot close (a walk-through's answer with a ```python block showed
    its backticks as text), and its inline code as code (walk20: the model answer's
    `current` and `best` showed their backticks)."""
    return "\n\n".join(md_code(part) if code else text_md(unwrap(part) if flow else part,
                                                          code_spans=True)
                       for code, part in split_fenced(text))  # fmt: skip


def md_rich(text: str | None, *, flow: bool = False) -> str:
    """An untrusted answer as Markdown: one blockquote, its prose escaped (hard wraps
    unwrapped with ``flow``), its code blocks fenced inside it (walk40: a fence outside the
    quote read as not part of the answer)."""
    if not text:
        return md_quote(text)
    return "\n>\n".join(
        _quoted(md_code(part)) if code else md_quote(unwrap(part) if flow else part)
        for code, part in split_fenced(text)
    )


def _quoted(block: str) -> str:
    """Markdown lines put inside a blockquote as they are."""
    return "\n".join(f"> {line}" if line else ">" for line in block.split("\n"))


# A model's Markdown, read as plain text (``plain_prose``): a heading's hashes, a bullet's
# marker, a link's brackets, and the stars of emphasis go; the words stay. Inline code keeps
# its backticks (shown as they are, they still say "code").
_HEADING = re.compile(r"^([ \t]*)#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M)
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.M)
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$\n?", re.M)
_LINK = re.compile(r"\[([^\]\n]+)\]\((\S+?)\)")
_CODE_SPAN = re.compile(r"(`+)[^`\n]*?\1")
_STARS = re.compile(r"\*{1,3}")
# Held back from a stream until the next piece: what may still turn into (or close) markup.
_PENDING = "*#-+_ \t\n"


def _unstar(text: str) -> str:
    """Stars of emphasis removed: a run of one to three that opens or closes a span (space or
    punctuation on one side); ``a * b`` and ``x**2`` keep theirs (the same on both sides)."""

    def kind(ch: str) -> str:
        return "space" if ch.isspace() else "word" if ch.isalnum() or ch == "_" else "mark"

    def drop(m: re.Match) -> str:
        before = kind(text[m.start() - 1]) if m.start() else "space"
        after = kind(text[m.end()]) if m.end() < len(text) else "space"
        return m.group(0) if before == after != "mark" else ""

    return _STARS.sub(drop, text)


def plain_prose(text: str) -> str:
    """A model's Markdown as the plain text it means (it is shown escaped, as data: ``**Q2**``
    read with its stars): no heading hashes, ``•`` for bullets, ``text (url)`` for links, no
    stars of emphasis outside inline code. A prefix of a text maps onto a prefix of its result
    (``ProseStream`` streams it)."""
    text = _RULE.sub("", _HEADING.sub(r"\1\2", str(text or "")))
    text = _LINK.sub(r"\1 (\2)", _BULLET.sub(r"\1• ", text))
    out, at = [], 0
    for m in _CODE_SPAN.finditer(text):
        out += [_unstar(text[at : m.start()]), m.group(0)]
        at = m.end()
    return "".join(out + [_unstar(text[at:])])


class ProseStream:
    """``plain_prose`` on a stream: ``feed(piece)`` returns what can be shown now. What could
    still become markup waits for the next piece; a piece that changes what was shown (a link
    closing) waits for the end, where ``rest(final)`` gives the remainder."""

    def __init__(self):
        self.buffer = ""
        self.shown = ""

    def feed(self, piece: str) -> str:
        self.buffer += piece
        ready = self.buffer.rstrip(_PENDING)
        opened = ready.rfind("[")  # a link's text is shown once its address closes
        if opened >= 0 and ")" not in ready[opened:]:
            ready = ready[:opened]
        if ready.count("`") % 2:  # inline code is shown once it closes
            ready = ready[: ready.rfind("`")]
        return self._show(plain_prose(ready))

    def rest(self, final: str) -> str:
        return self._show(final)

    def _show(self, text: str) -> str:
        if not text.startswith(self.shown):
            return ""
        new, self.shown = text[len(self.shown) :], text
        return new


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text) -> str:
    """Untrusted text for a terminal: control characters (escape sequences among them) removed,
    line breaks and tabs kept."""
    return _CONTROL.sub("", str(text if text is not None else ""))


_MD_BACKSLASHED = re.compile(r"\\([!-/:-@\[-`{-~])")


_FENCE_LINE = re.compile(r"^(`{3,})[\w+-]*[ \t]*$")


def md_for_terminal(markdown: str) -> str:
    """Markdown built with ``md_escape`` as a terminal shows it: outside fenced code (``md_code``,
    kept as it is), the escapes that keep untrusted text from turning into markup are taken out
    again (``customer\\_id`` reads ``customer_id``, ``&lt;`` reads ``<``); control characters
    are removed everywhere (``plain``)."""
    out, fence = [], None
    for line in str(markdown).split("\n"):
        m = _FENCE_LINE.match(line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None:
            if line.strip() == fence:
                fence = None
        else:
            line = html.unescape(_MD_BACKSLASHED.sub(r"\1", line))
        out.append(line)
    return plain("\n".join(out))


def html_escape(value) -> str:
    """Untrusted text for HTML element content and attribute values."""
    return html.escape(str(value), quote=True)


def html_text(value) -> str:
    """Untrusted text as HTML element content (not an attribute value): escaped, with each "->"
    kept on one line (a browser may break after any hyphen: a walk-through read a failed test's
    "... == 0.5 -" at a line's end and "> got 0.83" on the next). Needs the page's
    ``.nw{white-space:nowrap}``."""
    return html_escape(value).replace("-&gt;", '<span class="nw">-&gt;</span>')


def when(ts: float | None, *, seconds: bool = False) -> str:
    """A timestamp as local date and time (``YYYY-MM-DD HH:MM``, ``:SS`` too with ``seconds``);
    empty for None."""
    fmt = "%Y-%m-%d %H:%M" + (":%S" if seconds else "")
    return "" if ts is None else time.strftime(fmt, time.localtime(ts))


def plural(n: int, word: str) -> str:
    """``1 question``, ``3 questions``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


# Names a sentence may start with that have no capital inside to tell them by (a walk-through's
# report read "Data at scale: polars is an independent Rust engine ...").
NAMES = frozenset("""Adam Airflow Amazon Apache Arrow Azure Bayes Bernoulli Celery Cython Dask
    Docker Elasticsearch Euclidean Feast Flink Gaussian Gini Google Grafana Hessian Hive Jacobian
    Java Jupyter Kadane Kafka Kaiming Kubernetes Laplace Linux Lloyd Markov Numba Parquet Pearson
    Persistent Poisson Polars Postgres Prometheus Pydantic Python Ray Redis Rust Scala Shapley
    Snowflake Spark Spearman Triton Xavier""".split())


def lower_first(text: str) -> str:
    """Lowercase the first letter to continue a sentence, unless the first word is an acronym
    or a name with capitals or digits inside (AUC, PCA, XGBoost, L1, F1 stay as they are), a
    name in ``NAMES`` (Polars, Python), or code (Series.map, DataFrame.apply(), Pipeline_step: a
    dot, bracket or underscore inside)."""
    first = text.split(" ", 1)[0].rstrip(",.:;")
    if first.split("'")[0] in NAMES:
        return text
    if len(first) > 1 and any(ch.isupper() or ch.isdigit() or ch in "._()[]" for ch in first[1:]):
        return text
    return text[:1].lower() + text[1:]


def clock(seconds: float) -> str:
    """Seconds as ``m:ss``."""
    s = max(0, round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def of(count: int, total: int | None) -> str:
    """``2 of 3``, or ``2`` when there is no total (a practice sitting plans none)."""
    return f"{count} of {total}" if total else str(count)


def answered_said(session: dict) -> str:
    """A listed session's count (``Store.list_sessions``): "2 of 4" questions answered, or a
    practice sitting's graded attempts, "2 attempts" (one question graded twice counts twice,
    as its score does)."""
    if session.get("status") == "practice":
        return plural(session["questions"] or 0, "attempt")
    return of(session["questions"], session.get("planned"))


def num(value, digits: int = 1) -> str:
    """A number as short text: floats to ``digits`` places without trailing zeros."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def mean_of_five(value) -> str:
    """A criterion's mean on the 1-5 scale, written the same in the report and the transcripts
    (one decimal: 3.25 read 3.2 in one and 3.25 in the other)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:.1f}"


def html_rich(text: str | None, *, flow: bool = False) -> str:
    """An untrusted answer as HTML: prose in an escaped text block (its hard wraps unwrapped
    with ``flow``), code in ``<pre>``."""
    if not text:
        return '<div class="text"><em>(none)</em></div>'
    return "".join(
        f"<pre><code>{html_escape(part)}</code></pre>"
        if code
        else f'<div class="text">{html_text(unwrap(part) if flow else part)}</div>'
        for code, part in split_fenced(text)
    )


AS_ABOVE = "same error as above"


def _error_kind(error: str) -> str:
    """An error's words with its times (``10 s``) blanked: two timeouts differ only there."""
    return re.sub(r"\b\d+(?:\.\d+)? s\b", "# s", error.strip())


def failed_tests(result: dict) -> list[tuple[str, str, str]]:
    """A graded run's failed tests as (name, error, code), each error said once: a test that
    failed as the one before it did (the same words, times aside), or as the run's own error
    line already says of it, reads AS_ABOVE (a sleeping submission repeated one timeout under
    each of nine tests)."""
    said = _error_kind(result.get("error") or "")
    out = []
    for f in result.get("failed", []):
        kind = _error_kind(f["error"])
        out.append((f["name"], AS_ABOVE if kind and said.endswith(kind) else f["error"], f["code"]))
        said = kind
    return out


def telling(cases: list[tuple[str, str]]) -> int:
    """Which of some failed tests, as (error, code) pairs, to name first: one whose error shows
    what the code gave (" -> "), else a one-line test, whose error quotes the whole case (its
    inputs and what was expected), else the first (a walk-through was shown "assert
    math.isclose(roc_auc(y, s), expected, ...)", its inputs built on lines it never saw)."""
    for shows in (lambda e, c: " -> " in e,
                  lambda e, c: sum(1 for line in c.splitlines() if line.strip()) == 1):  # fmt: skip
        hit = next((i for i, (e, c) in enumerate(cases) if e != AS_ABOVE and shows(e, c)), None)
        if hit is not None:
            return hit
    return 0


# What a failed hidden test is, by its kind ("failed ties_alphabetical (basic)" read like a
# test named "basic"); the app says its hidden tests "check edge cases and a large input".
TEST_KINDS = {"basic": "a basic case", "edge": "an edge case", "large": "a large input"}


def quotes_code(error: str, code: str) -> bool:
    """Whether a failed test's ``error`` already quotes its whole ``code`` (a one-line assert):
    it is then said once (a re-walk read each assertion twice in the report)."""
    code = " ".join(code.split())
    return bool(code) and code in " ".join(error.split())


def verdict_words(verdict: str) -> str:
    """A grade's verdict as words ("partially correct"), not its key ("partially_correct")."""
    return verdict.replace("_", " ")


def tests_passed(
    passed: int, total: int, verdict: str | None = None, error: str | None = None,
    but: str = "",
) -> str:
    """``5 of 7 hidden tests passed (partially correct), but <what caps it>; <why the run
    stopped>``: said the same in the chat, the report and the exports (the verdict, the cap and
    the error left out when not given)."""
    return (f"{passed} of {total} hidden tests passed"
            + (f" ({verdict_words(verdict)})" if verdict else "")
            + (f", but {but}" if but else "")
            + (f"; {error}" if error else ""))  # fmt: skip


def round_lines(rounds: dict[str, dict], complete: bool) -> list[str]:
    """One line per round: its score, questions and whether it passed (of an incomplete
    interview: whether it is at the pass mark so far; a walk-through read "(passed)" beside
    "incomplete, no hire signal")."""
    if complete:
        said = {True: "passed", False: "not passed"}
    else:
        said = {True: "at or above the pass mark so far", False: "under the pass mark so far"}
    return [
        f"Round {r}: {info['overall']}/100 over {plural(info['questions'], 'question')} "
        f"({said[info['passed']]})"
        for r, info in rounds.items()
    ]


def wrap_words(text: str, width: int, indent: str = "", subsequent: str = "") -> list[str]:
    """``text`` wrapped at word boundaries for a terminal (no word cut, hyphens kept): a dash,
    star or bullet inside it stays with the word before it, so no wrapped line starts like a
    new item (a re-walk's "|x|^2 - 2x.c + |c|^2" read as a bullet "- 2x.c ..." in a report)."""
    import textwrap

    glued = re.sub(r" ([-*\u2022](?= ))", "\u00a0\\1", text)
    lines = textwrap.wrap(glued, width, initial_indent=indent, subsequent_indent=subsequent,
                          break_long_words=False, break_on_hyphens=False)  # fmt: skip
    return [line.replace("\u00a0", " ") for line in lines]
