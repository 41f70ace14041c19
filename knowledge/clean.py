"""Clean scraped guide text and recover its structure (sections, labels, question lists).

Scraped guides lose their markup: inline code spans glue onto their neighbours
("andapplymapin"), list items run onto one line ("Pandas. - Implement ..."), a sentence breaks
across lines, and widgets leave junk lines ("Unknown module: experience_stats"). ``clean_lines``
repairs the text; ``parse_sections`` finds headings without markup.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from interviewer.grading.text import STOPWORDS, segmenter, stem, words

# Scraper leftovers: a widget that failed to render, a bare template identifier.
JUNK_LINE = re.compile(
    r"^(unknown (module|component|widget)\b.*|[a-z]+(_[a-z0-9]+)+|\[?(image|figure|chart)\]?"
    r"|advertisement|loading\.{0,3}|undefined|null|none|nan)$",
    re.IGNORECASE,
)
# Labels the guide uses inside a section; they start a block, they are not sections.
LABEL_LINE = re.compile(
    r"^(be ready to go over|example questions( or scenarios)?|key takeaways?)\s*:\s*$", re.I
)
LIST_ITEM = re.compile(r"^\s*[-*•]\s+")
FAQ_ITEM = re.compile(r"^Q:\s", re.I)
TERMINAL = (".", "!", "?", ":", ";", '"', "”", ")")
SMALL_WORDS = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "but",
    "by",
    "for",
    "from",
    "in",
    "into",
    "is",
    "of",
    "on",
    "or",
    "the",
    "to",
    "vs",
    "vs.",
    "with",
    "&",
    "your",
    "you",
    "what",
    "how",
}


def _known(word: str, extra: set[str]) -> bool:
    return word in extra or word in segmenter().unigrams


# A word made from a known word by a suffix or a prefix is one word, not two glued: an uploaded
# guide's "tokenisation" was read as "token is a tion", "groundedness" as "grounded ness" and
# "autoscaler" as "auto scaler". (The built-in guide's cleaned text is the same with or without.)
SUFFIXES = ("isation", "ization", "ation", "ition", "tion", "ness", "ment", "ity", "ities",
            "able", "ible", "ers", "er", "ing", "ings", "ed", "ly", "ise", "ize", "ised",
            "ized", "ises", "izes", "ism", "ist", "ists", "less", "ful")  # fmt: skip
PREFIXES = ("auto", "re", "pre", "post", "non", "multi", "sub", "un", "over", "under", "hyper",
            "micro", "meta", "inter", "intra", "co", "de", "mis", "semi", "cross", "self")  # fmt: skip


def _derived(token: str, vocabulary: set[str]) -> bool:
    """Whether ``token`` is a known word with a suffix (a final "e" dropped before it) or a
    prefix taken off, and so one word."""
    for suffix in SUFFIXES:
        base = token[: -len(suffix)]
        if token.endswith(suffix) and len(base) >= 3 and (
                _known(base, vocabulary) or _known(base + "e", vocabulary)):  # fmt: skip
            return True
    for prefix in PREFIXES:
        rest = token[len(prefix) :]
        if token.startswith(prefix) and len(rest) >= 4 and (
                _known(rest, vocabulary) or _derived(rest, vocabulary)):  # fmt: skip
            return True
    return False


def unglue(token: str, vocabulary: set[str] = frozenset()) -> str:
    """Split a lowercase token that is several words glued together; leave real words alone
    (a known word, or one derived from a known word: ``_derived``).

    ``vocabulary`` holds words the document itself uses (so its own jargon is never split).
    """
    if len(token) < 7 or not token.isalpha() or not token.islower() or _known(token, vocabulary):
        return token
    if _derived(token, vocabulary):
        return token
    pieces = segmenter().segment(token)
    if len(pieces) < 2 or not all(len(p) > 1 or p == "a" for p in pieces):
        return token
    if not all(_known(p, vocabulary) for p in pieces):
        return token
    return " ".join(pieces)


def _document_vocabulary(lines: list[str]) -> set[str]:
    """Capitalised or mixed-case words in the document, lowercased: its own proper terms."""
    vocab = set()
    for line in lines:
        for word in re.findall(r"[A-Za-z]+", line):
            if not word.islower():
                vocab.add(word.lower())
    return vocab


def _fix_spacing(line: str, vocabulary: set[str]) -> str:
    line = re.sub(r"(?<=[A-Za-z]),(?=[A-Za-z])", ", ", line)  # "map,apply" -> "map, apply"
    line = re.sub(r"[A-Za-z]+", lambda m: unglue(m.group(0), vocabulary), line)
    line = re.sub(r"\s+", " ", line).strip()
    return re.sub(r"\s+([,.;:?!])", r"\1", line)


def _split_run_on_items(line: str) -> list[str]:
    """'A question. - Another question.' is two list items that lost their line break."""
    parts = re.split(r"(?<=[.?!])\s+-\s*(?=\S)", line)
    parts = [p.strip() for p in parts if p.strip()]
    return [p for p in parts if p != "-"]


def clean_lines(text: str) -> list[str]:
    """Cleaned, logical lines of a scraped guide: junk dropped, broken lines joined, glue fixed."""
    raw = [line.replace("\u00a0", " ").rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    raw = [line for line in raw if line.strip() and not JUNK_LINE.match(line.strip())]
    vocabulary = _document_vocabulary(raw)

    joined: list[str] = []
    for line in raw:
        stripped = line.strip()
        prev = joined[-1] if joined else ""
        # A line that does not end a sentence, followed by one that does not start a new item
        # or heading-like line, is the same sentence broken by the scraper.
        continues = (
            prev
            and LIST_ITEM.match(prev)
            and not prev.endswith(TERMINAL)
            and not LIST_ITEM.match(stripped)
            and stripped[:1].islower()
        )
        if continues:
            joined[-1] = prev + " " + stripped
        else:
            joined.append(stripped)

    out: list[str] = []
    for line in joined:
        is_item = bool(LIST_ITEM.match(line))
        body = LIST_ITEM.sub("", line) if is_item else line
        body = re.sub(r"\s+-\s*$", "", body)  # a dangling " -" is the next item's lost bullet
        for i, part in enumerate(_split_run_on_items(body) if is_item else [body]):
            part = _fix_spacing(part, vocabulary)
            if part:
                out.append(f"- {part}" if is_item or i > 0 else part)
    return out


def is_heading(line: str) -> bool:
    """A short, title-case line with no sentence punctuation, e.g. 'Key Responsibilities'."""
    if LIST_ITEM.match(line) or FAQ_ITEM.match(line) or LABEL_LINE.match(line):
        return False
    if len(line) > 80 or line.endswith((".", ",", ";", ":", "!")):
        return False
    words = re.findall(r"[A-Za-z][\w'’&./-]*", line)
    if not words or len(words) > 12:
        return False
    content = [w for w in words if w.lower() not in SMALL_WORDS]
    if not content:
        return False
    capitalised = sum(1 for w in content if w[0].isupper())
    return capitalised / len(content) >= 0.75


@dataclass
class Section:
    """A run of lines under one heading path."""

    path: list[str]
    lines: list[str] = field(default_factory=list)

    @property
    def has_list(self) -> bool:
        return any(LIST_ITEM.match(line) for line in self.lines)

    @property
    def title(self) -> str:
        return " > ".join(self.path)


def _markdown_sections(lines: list[str]) -> list[Section]:
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    current = Section(path=[])
    for line in lines:
        m = re.match(r"^(#{1,6})\s+(.+?)\s*#*$", line)
        if m:
            if current.lines or current.path:
                sections.append(current)
            level = len(m.group(1))
            stack = [(lvl, t) for lvl, t in stack if lvl < level] + [(level, m.group(2).strip())]
            current = Section(path=[t for _, t in stack])
        else:
            current.lines.append(line)
    if current.lines or current.path:
        sections.append(current)
    return sections


def _plain_sections(lines: list[str]) -> list[Section]:
    flat: list[Section] = []
    for line in lines:
        if is_heading(line):
            flat.append(Section(path=[line]))
        elif flat:
            flat[-1].lines.append(line)
        else:
            flat.append(Section(path=[], lines=[line]))

    # No markup tells the levels apart. A heading with at most a short intro, followed by
    # headings whose bodies are lists, is a parent ("Deep Dive into Evaluation Areas" over
    # "Machine Learning Fundamentals", ...); the first heading without a list closes it.
    parent: str | None = None
    for i, sec in enumerate(flat):
        if not sec.path:
            continue
        nxt = flat[i + 1] if i + 1 < len(flat) else None
        if parent and sec.has_list:
            sec.path = [parent, *sec.path]
            continue
        parent = None
        short_intro = not sec.has_list and len(sec.lines) <= 1
        if short_intro and nxt is not None and nxt.path and nxt.has_list:
            parent = sec.path[0]
    return [s for s in flat if s.lines or s.path]


def parse_sections(text: str, *, markdown: bool = False) -> list[Section]:
    """Split cleaned guide text into sections with heading paths."""
    lines = clean_lines(text)
    if markdown:
        return _markdown_sections(lines)
    return _plain_sections(lines)


def explicit_questions(sections: list[Section]) -> list[tuple[str, str]]:
    """The questions a guide asks outright, with their section path.

    A question is a list item in a section about questions ("Common Interview Questions > ..."),
    an item under an "Example questions" label, or any list item ending with a question mark.
    """
    found: list[tuple[str, str]] = []
    for section in sections:
        in_question_section = any("question" in title.lower() for title in section.path)
        label = ""
        for line in section.lines:
            if LABEL_LINE.match(line):
                label = line.lower()
                continue
            if not LIST_ITEM.match(line):
                continue
            item = LIST_ITEM.sub("", line).strip().strip('"“”')
            if in_question_section or "question" in label or item.endswith("?"):
                found.append((item, section.title))
    return found


@lru_cache(maxsize=1)
def _builtin_items() -> tuple[dict[str, list[str]], dict[str, float]]:
    """The built-in guide's list items by section title, and each content stem's rarity
    (log inverse share of the guide's items holding it)."""
    from interviewer.knowledge.files import BUILTIN_GUIDE

    sections = parse_sections(BUILTIN_GUIDE.read_text(encoding="utf-8"))
    items = {s.title: [LIST_ITEM.sub("", line).strip() for line in s.lines
                       if LIST_ITEM.match(line)] for s in sections}  # fmt: skip
    every = [line for lines in items.values() for line in lines]
    counts: dict[str, int] = {}
    for line in every:
        for st in item_stems(line):
            counts[st] = counts.get(st, 0) + 1
    rarity = {st: math.log((1 + len(every)) / n) for st, n in counts.items()}
    return items, rarity


# An item shares at least this many words with what it is chosen for: one shared word sent a
# re-walk's logistic-regression gap ("positive class") to the guide's imbalanced-class question.
GUIDE_LINE_WORDS = 2

# Verbs said of anything, so no sign of what an item is about: "using", "perform" (walk48's
# "... per customer using pandas" and "DuckDB ... perform this partial aggregation" were sent to
# the item "Write a function to perform a custom transformation ... without using loops").
GENERIC_WORDS = frozenset({"use", "uses", "used", "using", "perform", "performs", "performed",
                           "performing"})  # fmt: skip


def item_stems(text: str) -> frozenset[str]:
    """The words an item is matched on: content stems, with the doer of a verb kept apart from
    the verb ("customer" is no "custom", "user" no "use": the grader's light stem takes both to
    one), and GENERIC_WORDS left out."""
    return frozenset(
        (w[:-1] if w.endswith("ers") else w) if w.endswith(("er", "ers")) else stem(w)
        for w in words(text)
        if w not in STOPWORDS and len(w) > 1 and w not in GENERIC_WORDS
    )


# Words of the interview itself say nothing of what an item is about: a re-walk's RAG gaps ("The
# prompt instructs the LLM to answer only from ...", in a question that asks ...) were sent to the
# "Professionalism and Attitude" tip ("... answer questions with confidence"). Over the bank's key
# points this changes the RAG questions' pointers only (11 of 696), to "Stay Current: ... RAG"
# or the section alone.
INTERVIEW_STEMS = item_stems("answer answers question questions interview interviewer candidate")

# What a question says not to use is not what it is about: "Without scikit-learn, how would you
# compute ROC-AUC ...?" sent a walk-through's every ROC-AUC gap to the guide's "ML Frameworks –
# Experience with Scikit-learn" item, and "without using division" to the pandas item "... without
# using loops". The phrase (and its object) is left out of what an item is matched against; over
# the bank's 559 key points this changes 14 pointers, to none (the section alone) for those two
# questions and to the data-cleaning item for the customer-cleaning one.
WITHOUT = re.compile(r"\b(?:without|not using)\s+(?:using\s+)?(?:any\s+|an?\s+|the\s+)?[\w.-]+",
                     re.IGNORECASE)  # fmt: skip


def guide_line(section: str, about: str, asked: str = "") -> str:
    """The built-in guide's list item in ``section`` that shares the rarest words with
    ``about`` (a missed point) and ``asked`` (its question and topic, whose words count twice:
    the item must be about what was asked; walk41's gap on transfer learning's "pretrained on
    a large source dataset ... target domain" was sent to the item on an imbalanced target
    class, over the one on transfer learning): what to re-read there, more than the heading
    ("" for another guide's section, or when no item shares GUIDE_LINE_WORDS words), without
    the quotes around an example question."""
    items, rarity = _builtin_items()
    question = item_stems(WITHOUT.sub(" ", asked)) - INTERVIEW_STEMS
    want = (item_stems(WITHOUT.sub(" ", about)) - INTERVIEW_STEMS) | question
    best, top = "", 0.0
    for line in items.get(section, []):
        shared = item_stems(line) & want
        # summed in one order: a set's order varies between runs, and with it the last bits of
        # a sum, so two items that tie picked one or the other from run to run
        got = sum(rarity.get(st, 0.0) * (2 if st in question else 1) for st in sorted(shared))
        if len(shared) >= GUIDE_LINE_WORDS and got > top:
            best, top = line, got
    return best.strip().strip('"“”').strip()
