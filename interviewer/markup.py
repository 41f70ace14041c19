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
# '<', '>' and '&' become entities so that no renderer, however lax about backslash escapes,
# sees a tag. Characters that only matter at the start of a line are handled by _LINE_START.
_MD_BACKSLASH = set("\\`*_{}[]|~")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Lists, headings, thematic breaks and setext underlines: "- ", "+ ", "# ", "1. ", "2) ", "===".
_LINE_START = re.compile(r"^(\s*)([-+=#]|\d+[.)](?=\s|$))")
_INDENT = re.compile(r"^[ \t]+")


def md_escape(text) -> str:
    """One line of untrusted text, safe to place anywhere in Markdown (line breaks become
    spaces)."""
    out = []
    for ch in " ".join(str(text if text is not None else "").splitlines()):
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_BACKSLASH:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return _LINE_START.sub(_escape_line_start, "".join(out))


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


def text_md(text: str | None) -> str:
    """Untrusted multi-line text as Markdown that renders as exactly that text."""
    lines = []
    for line in str(text or "").splitlines():
        # Leading spaces would open an indented code block, where entities show literally.
        indent = _INDENT.match(line)
        pad = "&nbsp;" * len(indent.group(0).expandtabs(4)) if indent else ""
        lines.append(pad + md_escape(line[len(indent.group(0)) :] if indent else line))
    return "\n".join(lines)


def html_escape(value) -> str:
    """Untrusted text for HTML element content and attribute values."""
    return html.escape(str(value), quote=True)


def when(ts: float | None) -> str:
    """A timestamp as local date and time (``YYYY-MM-DD HH:MM``); empty for None."""
    return "" if ts is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def num(value, digits: int = 1) -> str:
    """A number as short text: floats to ``digits`` places without trailing zeros."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
