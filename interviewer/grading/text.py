"""Text helpers for grading: normalisation, sentences, content words, injection and junk
detection."""

from __future__ import annotations

import bisect
import re
import unicodedata
from functools import lru_cache

# Zero-width and bidi control characters hide text from a reader but not from a model.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either else
    few for from further had has have having he her here hers him his how i if in into is it its
    itself just let me more most my no nor not now of off on once only or other our ours out over
    own same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself yeah um uh like okay ok well so basically
    actually really kind sort thing things stuff mean know think guess maybe gonna wanna""".split()
)
FILLERS = re.compile(
    r"\b(um+|uh+|erm|you know|i mean|kind of|sort of|basically|like,|honestly|anyway|"
    r"i guess|stuff like that|and so on|whatever)\b",
    re.I,
)
IDK = re.compile(
    r"^\W*(i\s*(really\s*)?(do\s*n['’]?o?t|dont|have\s*no)\s*(really\s*)?(know|idea|remember|sure)"
    r"|no\s*idea|not\s*sure|pass|skip|dunno|idk|n/?a|no\s*clue|none|nothing|\?+)\b",
    re.I,
)

# Sentences addressed to whoever grades the answer. They are not content: they earn nothing
# and are dropped before grading. Several languages, since the attack is trivially translated.
INJECTION = [
    r"\bignor(e|ing|a|ez|iere|ieren|ar)\b.{0,40}\b(instruc\w*|rubric\w*|rules?|prompt|anweisung\w*"
    r"|consignes?|istruzioni|instrucciones|regeln|criteri\w*|previous|above|prior)",
    r"\bdisregard\b.{0,40}\b(instructions?|rubric|rules?|previous|above|criteria)",
    r"\b(give|award|assign|grant|mark|rate|score)\b.{0,50}(\b5\s*/\s*5\b|\b10\s*/\s*10\b"
    r"|\b100\s*(/\s*100|%|points)|full (marks|score|points)|maxim\w+ (score|marks|points)"
    r"|perfect (score|marks|grade)|top (score|marks)|highest (score|grade|mark)|strong hire)",
    r"[\"'“]?\b(score|overall|grade|label|rating|verdict)\b[\"'”]?\s*[:=]\s*[\"'“]?\s*\d",
    r"\b(grader|grading|evaluator|examiner|assessor|judge|reviewer|scorer|marker)\b[\s\w]{0,20}"
    r"(note|instruction|override|message|update|directive)s?\s*[:\-]",
    r"^\s*(system|assistant|developer|admin|grader|evaluator|judge)\s*(prompt|message|note)?\s*:",
    r"\byou\s+are\s+(now\s+)?(a|an|the|my)?\s*\w*\s*(grader|evaluator|judge|assistant|examiner|ai)\b",
    # Role-play aimed at the grader. "act as" alone is content ("features act as proxies", "which
    # node will act as the root"): only "you ... act as", "act as if you", and an imperative
    # "Act as a/the ... grader|judge|mentor..." at a sentence's start are instructions.
    r"\b(pretend|imagine)\s+(that\s+)?you(\s+are|'re|’re)?\b|\bpretend to be\b|\bfrom now on,?\s+you\b",
    r"\b(act|role-?play)\s+as\s+(if|though)\s+you\b",
    r"(^\s*(please\s+|now\s+)?|\byou\s+(\w+\s+)?)(act\s+as|role-?play(\s+as)?)\s+(a|an|the|my|your)\s+"
    r"([\w'’-]+\s+){0,3}?(grader|evaluator|judge|examiner|assessor|assistant|ai|mentor|teacher"
    r"|reviewer|marker|interviewer|manager|panel|friend|scorer|model|system)\b",
    r"\b(this|the|my)\s+(answer|response|candidate)\s+(is|was|deserves|should (get|receive)|has)\b"
    r".{0,40}\b(perfect|excellent|flawless|full|correct|complete|5|10|100|maximum|hire)\b",
    r"^\s*(thought process|reasoning|analysis|final answer|assessment)\s*:",
    r"^\s*[:;]\s*$",
    r"\b(note to|message to|instructions? (to|for)) (the )?(ai|model|grader|evaluator|llm|system)\b",
    r"(忽略|无视|忽视).{0,20}(指令|说明|评分|规则)|(给|打).{0,10}(满分|5分|100分)",
    r"(игнорируй|проигнорируй).{0,40}|(поставь|дай).{0,20}(5|10|100|максимальн)",
    r"\b(donne|attribue|mets)[sz]?\b.{0,30}\b(note|score|points?)\b.{0,30}\b(maximale?|5|10|100|parfait)",
    r"\b(dale|da|otorga|pon)\b.{0,30}\b(nota|puntuaci[oó]n|calificaci[oó]n)\b",
    r"\b(gib|vergib)\b.{0,30}\b(punkt\w*|note|bewertung)\b",
    r"\b(dai|assegna)\b.{0,30}\b(punteggio|voto)\b",
    # General grader-addressing forms: imperatives to drop the rubric, "score this answer",
    # claims of prior approval, bracketed pseudo-system tags, "deserves full marks". Written as
    # general English patterns: the attack file (evals/data/injections.jsonl) measures them.
    r"\b(forget|skip|bypass|override|drop)\b.{0,30}\b(rubric|key ?points?|instructions?|criteria"
    r"|rules|guidelines)\b",
    r"\b(score|grade|rate|mark)\s+(this|the|my)\s+(answer|response|submission)\b",
    r"\b(pre-?approved|already (been )?(agreed|approved|graded))\b",
    r"^\W*\[(evaluator|grader|system|admin|reviewer|assistant|developer)\b[^\]]*\]",
    r"\b(deserves?|worth|earns?)\b.{0,20}\b(full|perfect|maximum|top|highest)\b.{0,10}"
    r"\b(marks?|score|points?|grade|credit)\b",
]
INJECTION_RE = [re.compile(p, re.I) for p in INJECTION]
# A sentence that talks ABOUT prompt injection (an answer on LLM security) is content.
DISCUSSES_INJECTION = re.compile(
    r"\b(prompt injection|injection attack|jailbreak|malicious|adversarial|attacker|sanitiz|"
    r"sanitis|guardrail|untrusted|red[- ]team)\w*",
    re.I,
)


def normalise(text: str) -> str:
    """NFKC, invisible characters removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = INVISIBLE.sub("", text)
    return re.sub(r"[ \t]+", " ", text).strip()


# Markup is no content: an answer's HTML tags (a script or style element with what it holds)
# are left out of what is graded, the words between tags stay ("<b>bold</b>" reads "bold"); code
# fences are left as typed. Only HTML's own element names, so "x<y and y>z" stays. Walk47: a
# right answer with four tags in it scored 49, 75 without them. Nothing fitted or measured holds
# a "<" (SAF, the authored sets), so no figure moves.
_HTML_ELEMENTS = (
    "a|abbr|audio|b|blockquote|body|br|button|center|code|div|em|embed|font|form|h[1-6]|head|hr|"
    "html|i|iframe|img|input|label|li|link|meta|object|ol|option|p|pre|s|select|small|source|"
    "span|strong|sub|sup|svg|table|tbody|td|textarea|th|thead|title|tr|u|ul|video"
)
_MARKUP = re.compile(
    r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)"  # the element whole, to its end or the text's
    rf"|</?(?:{_HTML_ELEMENTS})(?:\s+[^<>]*)?/?>",
    re.I | re.S,
)
_FENCED = re.compile(r"```.*?(?:```|$)", re.S)  # a code fence, to its end or the text's


def without_markup(text: str) -> str:
    """``text`` with its HTML markup left out (``_MARKUP``), outside code fences; where a tag
    stood before a comma or full stop, no space is left before it (walk48's quote read
    "look falsely legitimate , so…" where "</b>" had been)."""
    parts = re.split(f"({_FENCED.pattern})", text, flags=_FENCED.flags)
    return "".join(p if i % 2 else _unmarked(p) for i, p in enumerate(parts))


def _unmarked(prose: str) -> str:
    out = _MARKUP.sub("\x00", prose)
    out = re.sub(r"\s*\x00[\x00\s]*(?=[,.;:!?])", "", out)  # before punctuation: no space
    return out.replace("\x00", " ")


def as_typed(piece: str, original: str) -> str:
    """The stretch of ``original`` that ``piece``, a sentence or clause of the normalised
    ``original``, was read from, as typed (white space collapsed): quoted evidence shows the
    candidate's "bias²" and "ﬁt", where NFKC reads "bias2" and "fit". ``piece`` itself when it
    is not found there (a character NFKC composes with the next one)."""
    norm, at = _typed_index(original)
    target = "".join(c for c in piece if not c.isspace())
    k = norm.find(target) if target else -1
    if k < 0:
        return piece
    return " ".join(original[at[k] : at[k + len(target) - 1] + 1].split())


_VISIBLE = re.compile(r"\S")


def find_spaced(words: list[str], text: str) -> int:
    r"""Where ``words`` (none holding white space) first occur in ``text`` one after another,
    any white space between them (the start of ``re.search(r"\s+".join(map(re.escape,
    words)), text)``, without a pattern compiled for every quote), or -1."""
    collapsed, starts, at = _collapsed(text)
    k = collapsed.find(" ".join(words))
    if k < 0:
        return -1
    i = bisect.bisect_right(starts, k) - 1
    return at[i] + k - starts[i]


@lru_cache(maxsize=64)
def _collapsed(text: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """``text``'s words joined by one space, where each starts there and in ``text``."""
    found = [(m.start(), m.group(0)) for m in _WORD_RUN.finditer(text)]
    starts, k = [], 0
    for _, word in found:
        starts.append(k)
        k += len(word) + 1
    return " ".join(w for _, w in found), tuple(starts), tuple(i for i, _ in found)


_WORD_RUN = re.compile(r"\S+")


@lru_cache(maxsize=64)
def _typed_index(original: str) -> tuple[str, tuple[int, ...]]:
    """``original`` NFKC-normalised one character at a time, without white space or invisible
    characters, and where each of its characters came from (built once per answer: a grade
    quotes several of its sentences)."""
    if original.isascii():  # NFKC leaves ASCII as it is, and no ASCII character is invisible
        at = tuple(m.start() for m in _VISIBLE.finditer(original))
        return "".join(original[i] for i in at), at
    return _nfkc_index(original)


def _nfkc_index(original: str) -> tuple[str, tuple[int, ...]]:
    """``_typed_index`` read character by character (any text)."""
    norm: list[str] = []
    at: list[int] = []
    for i, ch in enumerate(original):
        for c in unicodedata.normalize("NFKC", ch):
            if not c.isspace() and not INVISIBLE.match(c):
                norm.append(c)
                at.append(i)
    return "".join(norm), tuple(at)


# A long run-on is cut after a comma or one of these words (``sentences``; quoted evidence
# that ends at such a cut is marked as running on: ``grader._quote``).
RUN_ON_BREAKS = ("and", "but", "so")


def sentences(text: str, *, max_words: int = 40) -> list[str]:
    """Sentences of an answer; bullet lines and long run-ons are split further."""
    return list(_sentences(text, max_words))


# Abbreviations that end in a period but never end a sentence ("e.g. the input", "vs. MAE"): a
# walk-through's quote stopped at "... the input distribution P(X) — e.g.".
_NOT_AN_END = "".join(
    rf"(?<!\b{re.escape(a)})" for a in ("e.g.", "i.e.", "vs.", "cf.", "approx.", "incl.")
)
SENTENCE_BREAK = re.compile(
    rf"\n+|{_NOT_AN_END}(?<=[.!?;])\s+(?=[\"'(A-Z0-9-])|{_NOT_AN_END}(?<=[.!?])\s+", re.I
)


# A list item's marker: a bullet, or a number with "." or ")", with or without a space after it
# ("-Flags: ..." and "1.Sequence number" are list items in real answers), but not the first star
# of bold text nor the integer part of a decimal: a walk-through's quote read "*Bias** is ..."
# for "**Bias** is ...", and "0.5 is arbitrary" would read "5 is arbitrary".
_BULLET = re.compile(r"^\s*(?:-|\*(?!\*)|•|\d+[.)](?!\d))\s*")


_HEADING_START = r"[ \t]{0,3}#{1,6}[ \t]"  # a Markdown heading's opening: "## "
_HEADING = re.compile(f"^{_HEADING_START}")
_HEADING_LINE = re.compile(f"^({_HEADING_START}[^\\n]*)\\n", re.M)  # with its line break


# A guess put back to the interviewer as a question ("I'm not sure about the rest, maybe that
# the features should be scaled?"): no statement of what it names (walk47: that guess was ticked
# as "Highly correlated features inflate the variance of the coefficients", at P = 0.90).
_HEDGE = re.compile(r"\b(?:maybe|perhaps|possibly|i guess|not sure|no idea)\b", re.I)


def is_guess(sentence: str) -> bool:
    """Whether ``sentence`` is a hedged question: it ends with "?" and hedges (``_HEDGE``)."""
    return sentence.rstrip().endswith("?") and bool(_HEDGE.search(sentence))


def is_heading(sentence: str) -> bool:
    """Is the sentence a Markdown heading line ("## Sizing first")?"""
    return bool(_HEADING.match(sentence))


@lru_cache(maxsize=4096)
def _sentences(text: str, max_words: int) -> tuple[str, ...]:
    # A Markdown heading line is a sentence of its own (walk32's quotes read "## Versioning
    # Every trained model gets ..."): its line break is made a paragraph break.
    text = _HEADING_LINE.sub(r"\1\n\n", text)
    # A single line break inside a sentence is a soft wrap (pasted or hard-wrapped text): join
    # it, unless the next line starts a list item.
    text = re.sub(r"(?<![.!?:;\n])\n(?!\s*([-*•]|\d+[.)])\s|\n)", " ", text)
    parts: list[str] = []
    for block in SENTENCE_BREAK.split(text):
        block = _BULLET.sub("", block).strip()
        if not block:
            continue
        words = block.split()
        if len(words) <= max_words:
            parts.append(block)
            continue
        # Long run-on: cut at commas/conjunctions near every ~25 words.
        current: list[str] = []
        for word in words:
            current.append(word)
            if len(current) >= 18 and (word.endswith(",") or word.lower() in RUN_ON_BREAKS):
                parts.append(" ".join(current))
                current = []
        if current:
            parts.append(" ".join(current))
    # (letters of any script: a sentence in Hindi is one, to be read as not in English)
    return tuple(p for p in parts if re.search(r"[^\W_]", p))


def is_injection(sentence: str) -> bool:
    """Is this sentence an instruction to the grader rather than part of an answer?"""
    if DISCUSSES_INJECTION.search(sentence):
        return False
    return any(p.search(sentence) for p in INJECTION_RE)


WORD = re.compile(r"[a-z0-9]+(?:[-.'][a-z0-9]+)*")


def words(text: str) -> list[str]:
    """Lowercase word tokens (letters, digits, and inner - or .)."""
    return list(_words(text))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    # cached: rubric texts are split again for every answer graded against them
    return tuple(WORD.findall(text.lower()))


def clear_text_caches() -> None:
    """Empty the caches keyed by whole texts (sentences, clauses, words, stems of a text); those
    keyed by one word stay (a benchmark's "every answer new")."""
    for cached in (_sentences, _words, content_stems, clauses, _typed_index, other_language,
                   _collapsed):
        cached.cache_clear()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix-stripping stem, enough to match 'regularization' with 'regularize'."""
    for suffix in (
        "izations",
        "isations",
        "ization",
        "isation",
        "ations",
        "ation",
        "ments",
        "ment",
        "ness",
        "ities",
        "ity",
        "ings",
        "ing",
        "ised",
        "ized",
        "ises",
        "izes",
        "ise",
        "ize",
        "ies",
        "ied",
        "ers",
        "er",
        "ed",
        "es",
        "ly",
        "s",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def content_stems(text: str) -> frozenset[str]:
    """Stems of the non-stopword words of ``text`` (cached: rubric texts recur every grade)."""
    return frozenset(stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1)


# Terms a general English word list lacks; they are never split and are preferred when
# re-segmenting glued text (code identifiers lose their spaces when scraped).
DOMAIN_TERMS = """
applymap groupby dataframe dataframes numpy pandas scipy sklearn scikit pytorch tensorflow keras
xgboost lightgbm catboost mlops devops llm llms lstm lstms gru grus rnn rnns cnn cnns bert gpt
transformer transformers underfitting overfitting hyperparameter hyperparameters regularization
regularisation imputation embeddings tokenizer tokenization kubernetes docker nosql sql pyspark
dask parquet kafka airflow mlflow kubeflow sagemaker vertexai onnx tensorrt triton fastapi
iloc loc isna fillna dropna astype groupby agg kmeans knn svm pca tfidf auc roc rmse mae mse
""".split()


@lru_cache(maxsize=1)
def segmenter():
    """wordsegment's English unigram model with the domain terms as likely as \"the\"."""
    import wordsegment

    seg = wordsegment.Segmenter()
    seg.load()
    top = max(seg.unigrams.values())
    for term in DOMAIN_TERMS:
        seg.unigrams[term] = top  # as likely as "the": a known term beats any split of it
    return seg


@lru_cache(maxsize=1)
def _lexicon() -> set[str]:
    return set(segmenter().unigrams) | set(DOMAIN_TERMS)


# Placeholder text and keyboard runs: in the word list (it is read off the web), never an
# answer. A walk-through's "asdf qwer zxcv lorem ipsum PSI KS chi" was graded, not floored, and
# scored 54 against an uploaded guide's reference. A general-English prior, not fitted.
PLACEHOLDER_WORDS = frozenset({
    "lorem", "ipsum", "dolor", "amet", "consectetur", "adipiscing", "asdf", "asdfg", "asdfgh",
    "qwer", "qwert", "qwerty", "zxcv", "zxcvb", "hjkl", "jkl", "uiop", "blah", "blahblah",
})  # fmt: skip


def gibberish_share(text: str) -> float:
    """Share of alphabetic words that are in no English or ML vocabulary, or placeholders
    (PLACEHOLDER_WORDS; 0 for empty text)."""
    tokens = [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2]
    if not tokens:
        return 0.0
    lex = _lexicon()
    return sum(1 for t in tokens if t not in lex or t in PLACEHOLDER_WORDS) / len(tokens)


# An answer in another language (walk22: a full STAR story in Spanish was probed as "about
# something else"). py3langid's naive Bayes model, shipped in its wheel; priors, not fitted: at
# least this many words, and that language at this probability. On every answer of the authored
# sets and SAF (2,057 of 8 words or more) and every bank model answer, the most probable other
# language reached 0.40 (a line of formulas); Spanish, French and Hindi answers read 0.96-0.999.
# The model also splits a language's mass with its close neighbours (Spanish with Extremaduran
# and Aragonese, Portuguese with Galician): an audit's 27-word Spanish answer read es 0.886 and
# was graded as English. So an answer also counts as another language when English is all but
# ruled out and the two most probable languages hold most of the mass: on the same 2,147 English
# answers and model answers English never read below 0.0106 (lines of formulas), while Spanish,
# Portuguese and German sentences of 11-13 words read under 0.0003 with their top two at 0.88 or
# more (priors, with their reasons, not fitted).
LANGUAGE_MIN_WORDS = 8
LANGUAGE_AT = 0.9
ENGLISH_RULED_OUT = 1e-3
LANGUAGE_PAIR_AT = 0.8


@lru_cache(maxsize=1)
def _language_model():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=1024)  # (read twice for each answer: what to embed, then its grade)
def other_language(text: str) -> str | None:
    """The language an answer is written in (an ISO 639-1 code) when it is clearly not English,
    else None."""
    if len(text.split()) < LANGUAGE_MIN_WORDS:
        return None
    ranked = _language_model().rank(text)
    (lang, p), (_, second) = ranked[0], (ranked[1:] or [("", 0.0)])[0]
    if lang == "en":
        return None
    english = next((q for code, q in ranked if code == "en"), 0.0)
    if p >= LANGUAGE_AT or (english < ENGLISH_RULED_OUT and p + second >= LANGUAGE_PAIR_AT):
        return lang
    return None


def stopword_share(text: str) -> float:
    """Share of function words: natural sentences sit near 0.4, keyword lists near 0.1. A
    contraction of one counts as one ("it's", "don't"), so an apostrophe changes nothing."""
    tokens = words(text)
    return sum(_in_or_contracted(t, STOPWORDS) for t in tokens) / len(tokens) if tokens else 0.0


def _in_or_contracted(w: str, vocab: frozenset[str]) -> bool:
    """``w`` is in ``vocab`` or a contraction of a word in it ("it's", "that's"), or of a
    negation or auxiliary ("don't", "we'll")."""
    return w in vocab or w.split("'")[0] in vocab or w.endswith(_CONTRACTED)


NEGATION = re.compile(
    r"\b(not|no|never|cannot|can't|isn't|aren't|doesn't|don't|won't|without|rather than|"
    r"instead of|unlike|neither|nor)\b|n't\b",
    re.I,
)


def negated(text: str) -> bool:
    """Does the sentence negate or contrast something?"""
    return bool(NEGATION.search(text))


# A short clause opening with a wh-word is a lead-in or a question ("What I changed afterwards:
# I wrote a checklist ...", "Why it failed"): it announces what follows and asserts nothing.
LEAD_IN_WORDS = 6  # prior: a lead-in is a few words; "What I did was blame the client" is longer
_WH = re.compile(r"^\W*(what|how|why|when|where)\b", re.I)


def lead_in(text: str) -> bool:
    """Is the clause a wh-led lead-in or question of at most ``LEAD_IN_WORDS`` words?"""
    return bool(_WH.match(text)) and len(words(text)) <= LEAD_IN_WORDS


# A claim reported as others' mistake, to refute it: it states the opposite of what it reports
# (walk50: an expert drift answer's "A common mistake is to think concept drift can always be
# caught by monitoring the input features alone; it cannot, ..." was capped at 20 as stating it).
# General English, not read from any data set.
_REPORTED_MISTAKE = re.compile(
    r"\b(?:(?:common|frequent|classic|typical|big|usual)\s+(?:mistake|misconception|pitfall|myth"
    r"|trap)|misconception|myth|(?:many|most|some)\s+(?:people|teams|engineers|candidates)\s+"
    r"(?:often\s+|wrongly\s+|mistakenly\s+)?(?:think|believe|assume)|(?:it is|it's)\s+(?:often|"
    r"commonly|wrongly|widely)\s+(?:assumed|believed|thought)|(?:wrongly|mistakenly)\s+(?:think|"
    r"believe|assume))\b",
    re.I,
)


def reports_mistake(text: str) -> bool:
    """Does the clause report a claim as others' mistake ("A common misconception is that ...",
    "Many people assume ...")?"""
    return bool(_REPORTED_MISTAKE.search(text))


# A candidate taking back what they said, then saying it right: "I had that wrong: HNSW does not
# compress anything, ..." (walk54's correction at the follow-up was read as the claim it took
# back, and the answer graded 20). General English, not read from any data set.
_SELF_CORRECTION = re.compile(
    r"^\s*(?:(?:sorry|actually|no|wait|oops)[,:]?\s+)?(?:i\s+(?:had|got)\s+(?:that|it|this)\s+"
    r"wrong|i\s+was\s+wrong(?:\s+about\s+(?:that|this|it))?|i\s+misspoke|correction|let\s+me\s+"
    r"correct\s+(?:that|myself)|i\s+take\s+that\s+back|scratch\s+that)\s*[:;,.!\u2014-]+\s*"
    r"(?P<rest>\S.*)$",
    re.I,
)


def takes_back_denying(text: str) -> bool:
    """Does the clause take back what was said and then deny it ("I had that wrong: X does not
    ...")? Its main clause is the lead-in, so ``negated_main`` alone reads no denial."""
    m = _SELF_CORRECTION.match(text)
    return m is not None and negated_main(m["rest"])


# A denial, not a contrast ("instead of", "unlike", "without" assert something too).
DENIAL = re.compile(r"\b(not|never|cannot|nothing|neither|nor)\b|n't\b", re.I)


def denies(text: str) -> bool:
    """Does the sentence deny something ("doesn't work", "never", "not needed")?"""
    return bool(DENIAL.search(text))


def denies_point(sentence: str, point: str) -> bool:
    """Does ``sentence`` deny what ``point`` asserts? It denies something and the point's main
    clause does not ("Move work that does not need an immediate answer to a queue" asserts)."""
    return denies(sentence) and not negated_main(point)


def is_idk(text: str) -> bool:
    """An 'I don't know' / 'pass' non-answer (short and saying so)."""
    return len(words(text)) <= 12 and bool(IDK.search(text.strip()))


# -- non-answers ----------------------------------------------------------------------------

# Placeholders that mean "nothing was submitted" (exports of empty answers write them).
NON_ANSWER = re.compile(r"^\W*(no|empty|missing)\s+(response|submission|answer)\W*$", re.I)
# A short answer that says it does not know and hedges ("not sure", "can we skip").
HEDGE = re.compile(
    r"\b(not (really |quite )?sure|no idea|(don'?t|do not) (really )?know|can we skip|i'?d pass|"
    r"haven'?t (really )?(worked|used|done|had|dealt)|not familiar|"
    # (walk23: "Honestly, I don't know. I have never built a recommender system." was
    # graded, and probed as an answer "about something else")
    r"(i'?ve|i have) never (really )?(built|worked|used|done|dealt|had|touched|designed)|"
    r"no (real |hands-on |practical )?experience)\b",
    re.I,
)
# Prior: a hedge inside a longer answer may be an honest caveat, not a non-answer.
HEDGE_MAX_WORDS = 30
# Prior: a sentence beside a hedge is a claim to grade when it has this many content words
# ("I would use deep learning" has 3; "Uh...", "sorry, I haven't done that" have fewer).
CLAIM_MIN_WORDS = 3


def is_non_answer(text: str) -> bool:
    """'I don't know', a placeholder ("No response."), or a short answer that hedges and makes
    no claim besides. A sentence without a hedge is a claim to grade, however weak: "I would
    use deep learning because it is the best. Not sure, maybe how many customers they have."
    is a (poor) answer, not "I don't know" (a walk-through found it recorded as no answer)."""
    if is_idk(text) or NON_ANSWER.match(text.strip()):
        return True
    if len(words(text)) > HEDGE_MAX_WORDS:
        return False
    if not HEDGE.search(text):
        return False
    # (clause by clause: "I've never worked with Kubernetes, but I would use a Deployment with
    # replicas ..." makes a claim beside its hedge)
    claims = [c for s in sentences(text) for c in clauses(s) if not (HEDGE.search(c) or is_idk(c))]
    return all(len(content_stems(c)) < CLAIM_MIN_WORDS for c in claims)


# -- clauses --------------------------------------------------------------------------------

# A clause starts at ";" / ":" / ", and|but|so|..." / a contrastive or causal conjunction. A wrong
# claim merged into a sentence with a right one ("Boosting trains in parallel, and bagging
# reduces variance") is only visible clause by clause.
CLAUSE_SPLIT = re.compile(
    r"\s*[;:]\s+|,\s+(?=(?:and|but|so|while|whereas|which|because|then|whilst|although|though|yet"
    r"|since)\b)|\s+(?=(?:but|whereas|while|because|although|though|whilst)\b)",
    re.I,
)
MIN_CLAUSE_WORDS = 3  # prior: a shorter piece ("so", "in short") is not a claim on its own


@lru_cache(maxsize=8192)
def clauses(sentence: str) -> tuple[str, ...]:
    """The clauses of one sentence (the sentence itself when it has only one)."""
    parts = [c.strip(" ,.;:") for c in CLAUSE_SPLIT.split(sentence) if c and c.strip(" ,.;:")]
    merged: list[str] = []
    for c in parts:
        if merged and (
            len(words(c)) < MIN_CLAUSE_WORDS or len(words(merged[-1])) < MIN_CLAUSE_WORDS
        ):
            merged[-1] = merged[-1] + ", " + c
        else:
            merged.append(c)
    return tuple(merged) if len(merged) > 1 else (sentence,)


# A negation inside a relative or conditional clause ("every customer WHO HASN'T churned") does
# not negate the claim; only the main clause's negation flips it.
_SUBORDINATE = re.compile(r"\b(who|whom|whose|which|that|if|unless|until|where)\b[^,;]*", re.I)
# But "that" after a verb of saying or knowing opens what is said, which is the claim ("I would
# explain to the client THAT 99% accuracy may not be realistic" negates "99% accuracy is a good
# target"; seen in a walk-through, red-flagged as stating it). Up to four words may sit between
# ("explain to the client that").
_SAYING_THAT = re.compile(
    r"\b(explain|say|tell|told|argue|show|think|believe|note|mention|agree|know|realise|realize|"
    r"clarify|stress|point out|make (?:it )?clear|make sure|ensure|confirm|admit|warn|suggest|"
    r"state|accept|understand|recogni[sz]e)(?:e?[sd]|ing)?\b((?:\s+[\w'-]+){0,4}?)\s+that\b",
    re.I,
)


# Words that deny a claim nearly as "not" does: "Unstructured pruning rarely speeds up CPU
# inference" (walk23: named as the wrong claim "Unstructured pruning of half the weights halves
# inference time on a CPU"). General English, not read from any data set.
SELDOM = re.compile(r"\b(rarely|seldom|hardly|barely|scarcely)\b", re.I)


def negated_main(text: str) -> bool:
    """Does the main clause negate, or say "rarely" (``SELDOM``)? A negation in a relative or
    if-clause does not count, one in what a verb of saying reports does."""
    said = _SUBORDINATE.sub(" ", _SAYING_THAT.sub(lambda m: m.group(1) + m.group(2) + " ", text))
    return negated(said) or bool(SELDOM.search(said))


# -- keyword lists --------------------------------------------------------------------------

# Function words whose presence makes a fragment a phrase with structure ("square root OF d"),
# not a bare term: determiners, prepositions, auxiliaries, pronouns, conjunctions.
FUNCTION_WORDS = frozenset(
    """a an the of to in on at by for with from into onto over under about as is are was were be
    been being am do does did has have had can could will would should may might must shall it
    its this that these those there their they them we you i he she and or but so because if
    when while which who whom whose what where how than then not no""".split()
)
TERM_MAX_WORDS = 4  # prior: a comma-separated item of up to 4 words without a function word
# Prior: a list has at least three items. One or two bare phrases ("It's overfitting, use
# regularisation.") are a terse answer, graded by what they state, not flagged as a list.
LIST_MIN_TERMS = 3
_CONTRACTED = ("n't", "'re", "'ve", "'ll", "'d", "'m")


def _sentences_of_fragments(text: str):
    """The answer's sentences, each a list of its fragments (split at , ; : . ( ) and line
    breaks) as (word list, the delimiter after it); filler-only fragments ("okay so") left out.
    A sentence ends at a full stop or a line break."""
    parts = re.split(r"([,;:.()\n]+|\s-\s)", text)
    sentence = []
    for seg, delim in zip(parts[::2], [*parts[1::2], ""], strict=True):
        w = words(seg)
        if [x for x in w if x not in STOPWORDS]:
            sentence.append((w, delim))
        if sentence and ("." in delim or "\n" in delim or not delim):
            yield sentence
            sentence = []


# A sentence that is code, not words: a fence, a statement's opening keyword, or brackets and
# operators at more than CODE_SYMBOLS of its characters (prose with a formula, "Scores = Q K^T /
# sqrt(d_k); softmax over keys gives weights", sits near 0.06; a line of pandas near 0.15).
_CODE_START = re.compile(r"\s*(?:```|import \w|from [\w.]+ import |def \w|class \w|return\b|@\w)")
CODE_SYMBOLS = 0.09


def is_code(sentence: str) -> bool:
    """Whether ``sentence`` (of an answer) is code: credited for what it states, never quoted
    as a sentence the candidate said (a walk-through's 'Landed: "```python import numpy as np
    import pandas as pd"')."""
    if "```" in sentence or _CODE_START.match(sentence):
        return True
    return sum(ch in "=()[]{}<>_" for ch in sentence) > CODE_SYMBOLS * max(1, len(sentence))


# A program, not a formula: a fence, a line opening as code, a call printed, or names assigned
# a call's result ("clf = LogisticRegression(...)"). Two readings, for two uses: ``is_code``
# (looks like code, not words: never quoted as said, never counted as a list's terms) also takes
# a formula by its symbols ("P(B) = 0.6^3 * 0.4^3 = 0.0138", an answer's substance in SAF);
# ``is_program`` decides what the whole-answer features leave out of a prose answer, and whether
# a rubric's reference holds code (``RubricData.reference_has_code``).
_PROGRAM = re.compile(
    r"```|^\s*(?:import \w|from [\w.]+ import |def \w|class \w|return\b|@\w|print\()"
    r"|\b[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*=\s*[A-Za-z_][\w.]{2,}\("
)


def is_program(sentence: str) -> bool:
    """Whether ``sentence`` is program code (``_PROGRAM``), which the whole-answer features of a
    prose answer leave out."""
    return bool(_PROGRAM.search(sentence))


def _prose(text: str) -> str:
    """The answer without its code: fenced blocks and lines that are code (``is_code``). A
    walk-through's full prose answer with 40 lines of code after it was capped at 20 as a list
    of terms: every ``key_by(...)`` argument was read as one."""
    return "\n".join(line for line in _FENCED.sub("\n", text).splitlines() if not is_code(line))


def _bare_term(w: list[str]) -> bool:
    return len(w) <= TERM_MAX_WORDS and not any(_in_or_contracted(x, FUNCTION_WORDS) for x in w)


def keyword_list_share(text: str) -> float:
    """Share of the answer's words that sit in bare term fragments (a fragment of at most
    TERM_MAX_WORDS words with no function word, a contraction of one counting as one: "it's
    overfitting" is a clause). Sentences sit near 0, lists of terms near 1; an answer with fewer
    than LIST_MIN_TERMS bare terms lists nothing (0), so a comma does not make a terse answer a
    list ("It's overfitting, use regularisation.").

    A fragment before a colon heads what follows it, which says something of it: "Simple models
    underfit: high bias, low variance." is two statements, not five terms (walk: a terse correct
    answer of two such sentences was capped at 12 as a list of terms). The head is no term, and
    fewer than LIST_MIN_TERMS fragments after it in its sentence are its predicate, not a list;
    "Missing values: MCAR, MAR, MNAR, ..." still lists. Code is left out (``_prose``)."""
    tot = terms = items = 0
    for sentence in _sentences_of_fragments(_prose(text)):
        bare = [_bare_term(w) for w, _ in sentence]
        for j, (_, delim) in enumerate(sentence[:-1]):
            if ":" in delim:
                bare[j] = False
                if len(sentence) - j - 1 < LIST_MIN_TERMS:
                    bare[j + 1 :] = [False] * (len(sentence) - j - 1)
        for (w, _), is_term in zip(sentence, bare, strict=True):
            tot += len(w)
            if is_term:
                terms += len(w)
                items += 1
    return terms / tot if tot and items >= LIST_MIN_TERMS else 0.0


# -- word rarity ----------------------------------------------------------------------------

# Prior: weight = log10(total / max(count, RARITY_FLOOR)) over wordsegment's web-scale English
# unigram counts. "the" ~1.6, "network" ~3.7, "congestion" ~5.4; any word rarer than 1e4 (or
# unknown, such as "cwnd") ~8. A general-English fact, not fitted: agreeing on a rare technical
# word is stronger evidence than agreeing on a common one.
RARITY_FLOOR = 1e4


@lru_cache(maxsize=1)
def _unigrams() -> tuple[dict, float]:
    import wordsegment

    seg = wordsegment.Segmenter()  # the plain counts (``segmenter()`` boosts domain terms)
    seg.load()
    return seg.unigrams, float(seg.total)


@lru_cache(maxsize=65536)
def rarity(word: str) -> float:
    """How informative agreeing on this word is (log10 inverse frequency, floored)."""
    import math

    uni, total = _unigrams()
    return math.log10(total / max(uni.get(word.lower(), 0.0), RARITY_FLOOR))


def stems_weighted(text: str, drop: frozenset = frozenset()) -> dict[str, float]:
    """Content stems of a text (minus ``drop``), each with the rarity of its rarest word."""
    out: dict[str, float] = {}
    for w in words(text):
        if w in STOPWORDS or len(w) < 2:
            continue
        s = stem(w)
        if s in drop:
            continue
        out[s] = max(out.get(s, 0.0), rarity(w))
    return out


def weighted_recall(target: dict[str, float], have) -> float:
    """Rarity-weighted share of ``target``'s stems found in ``have`` (nan when empty)."""
    tot = sum(target.values())
    return sum(v for k, v in target.items() if k in have) / tot if tot else float("nan")


class WordTfidf:
    """Word 1-2-gram TF-IDF (sublinear tf, English stop words left out) fitted on a few texts,
    the graded exemplars of one question: how much wording another answer shares with each of
    them, rare words of that question's answers counting most (scikit-learn)."""

    def __init__(self, texts: list[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._n = len(texts)
        self._vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
        try:
            self._m = self._vec.fit_transform(texts)
        except ValueError:  # no word left (stop words, digits, symbols only): nothing shared
            self._vec = None

    def similarity(self, text: str):
        """Cosine of ``text`` with each fitted text (an array, 0 where nothing is shared)."""
        import numpy as np

        if self._vec is None:
            return np.zeros(self._n)
        return (self._m @ self._vec.transform([text]).T).toarray().ravel()
