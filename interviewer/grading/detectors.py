"""Detectors: answer forms and wrong claims that similarity alone cannot see.

Pure functions of texts and unit vectors. Which detector caps the score, and where, is decided
in ``decide``; the constants here are priors (not fitted), each with its reason. The one fitted
threshold, the red-flag evidence at which the score is capped (``rf_cap_at``), lives in
``grader_params.json`` (see ``fit.choose_rf_cap``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from interviewer.grading import text as tu

# -- red flags ------------------------------------------------------------------------------

# evidence(u, f) = [sim(u, f) - max_c sim(u, c)] + RF_SIM_WEIGHT * (sim(u, f) - RF_SIM_CENTRE)
# for an answer unit u (clause or sentence), a wrong claim f and every correct statement c.
RF_SIM_CENTRE = 0.70  # the earlier grader's similarity cut for "states the flag"
# A unit both near the flag and nearer it than to anything correct counts most (exploration on
# dev, separately encoded clauses: margin alone caught 12/27 confident-wrong answers with no
# honest false positive, margin + 0.5 x similarity 17/27).
RF_SIM_WEIGHT = 0.5
RF_FLOOR = 0.05  # per-flag evidence below this is the noise of near-topic clauses of honest answers
RF_HIT = 0.10  # from here a flag is reported by name (claim, the clause that said it)
NEGATED_PENALTY = 1.0  # a negated unit never states a non-negated claim
# A unit with fewer content words than this beyond the question's states no claim: it names
# the topic ("Vanishing gradients happen", the head of "... happen because the chain rule
# multiplies small derivatives", read as "Vanishing gradients happen because the learning rate
# is too small" and capping a right answer at 20 in walk45). Two: "Bagging reduces bias" is a
# claim. A prior, not fitted.
CLAIM_MIN_WORDS = 2


def red_flag_evidence(
    units: list[str], U: np.ndarray, F: np.ndarray, flags: list[str], C: np.ndarray,
    question: str = "",
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per red flag: the evidence that some unit states it, and which unit (index)."""
    if len(flags) == 0 or len(U) == 0:
        return np.zeros(len(flags)), np.zeros(len(flags), int)
    sf = U @ F.T
    sc = (U @ C.T).max(axis=1) if len(C) else np.full(len(U), -1.0)
    e = (sf - sc[:, None]) + RF_SIM_WEIGHT * (sf - RF_SIM_CENTRE)
    neg_u = np.array([tu.negated_main(t) or tu.takes_back_denying(t) for t in units])
    neg_f = np.array([tu.negated_main(f) for f in flags])
    e[neg_u[:, None] & ~neg_f[None, :]] -= NEGATED_PENALTY
    # A lead-in states nothing: "What I changed afterwards:" read as "I did not change anything
    # afterwards" (a walk-through's strong story, at 0.14-0.21 evidence on every story question).
    e[np.array([tu.lead_in(t) for t in units])] -= NEGATED_PENALTY
    e[np.array([tu.reports_mistake(t) for t in units])] -= NEGATED_PENALTY  # (tu.reports_mistake)
    asked = tu.content_stems(question)
    e[np.array([len(tu.content_stems(t) - asked) < CLAIM_MIN_WORDS for t in units])] -= (
        NEGATED_PENALTY
    )
    near = np.argwhere(e > RF_FLOOR)  # only where it could count: the check reads words
    for i, j in near:
        if states_opposite(units[i], flags[j]):
            e[i, j] -= NEGATED_PENALTY
    return e.max(axis=0), e.argmax(axis=0)


def states_opposite(said: str, claim: str) -> bool:
    """``said`` turns the wrong ``claim`` round, so it does not state it, however alike the
    two read to an embedding: it names the other kind of what the claim is about ("overfitting"
    against "The model is underfitting, so add more layers"; KINDS only: a direction word such
    as "increase" may apply to something else in the sentence, and "never makes a copy" says
    "always avoids a copy"), compares the same two things the other way ("MSE ... more
    sensitive to outliers than MAE" against "MAE is more sensitive to outliers than MSE"), or
    calls arbitrary what the claim says holds always ("0.5 is arbitrary" against "The threshold
    should always be 0.5 ..."), or names the cost the claim says is not paid ("... at the cost
    of some bias" against "... reduces both bias and variance at the same time"). Seen in
    walk-throughs: correct answers capped by the claim they contradict."""
    return (swapped_direction(said, claim, kinds_only=True) is not None
            or reversed_comparison(said, claim) or undercuts(said, claim)
            or denies_qualifier(said, claim) or other_complexity(said, claim)
            or names_a_cost(said, claim) or picks_the_other(said, claim)
            or does_what_claim_omits(said, claim))  # fmt: skip


# A claim that something is done without X ("Retrain the model automatically every night ...
# without validation") and a sentence that makes X its condition: X's first content words in a
# clause opened by "if", "once", "after", "only when" and the like, in a sentence that neither
# denies nor waves anything off ("deploy it if the validation AUC looks ok"; walk59's monthly
# retraining gated on validation was named as that claim and held at 20). Naming X is not
# doing it ("validation would only slow it down", "humans are not needed"), so a sentence with
# a denial or a dismissal anywhere is left as it reads. A general-English prior, not read from
# any data set.
_WITHOUT = re.compile(r"""\bwithout\s+((?:[\w'"=-]+\s*){1,4})""", re.I)
WITHOUT_WORDS = 2
_GATE = re.compile(r"\b(?:if|once|after|only when|as long as|provided|unless it)\b(.*?)(?=[,;:.!?()]"
                   r"|\b(?:but|so|and|or|then|because)\b|$)", re.I)  # fmt: skip
_WAVED_OFF = re.compile(r"\b(?:not|never|no|without|cannot|\w*n't|unnecessary|optional|"
                        r"pointless|needless|skip\w*|waste\w*|slow\w*|delay\w*|overkill|"
                        r"redundant|ignor\w*|anyway|regardless)\b", re.I)  # fmt: skip


def does_what_claim_omits(said: str, claim: str) -> bool:
    """``claim`` says something is done without X and ``said`` makes X a condition of what it
    does (each of X's first WITHOUT_WORDS content words in a clause opened by "if", "once",
    "after", ...), with no denial or dismissal anywhere in ``said``."""
    m = _WITHOUT.search(claim)
    if m is None or _WAVED_OFF.search(said.replace("\u2019", "'")):
        return False
    named = [w for w in tu.words(m[1]) if w not in tu.STOPWORDS and len(w) > 1]
    lacking = {tu.stem(w) for w in named[:WITHOUT_WORDS]}
    return bool(lacking) and any(lacking <= {tu.stem(w) for w in tu.words(g[1])}
                                 for g in _GATE.finditer(said))  # fmt: skip


_RATHER = re.compile(r"^(.*?)\b(?:rather than|instead of)\b(.*)$", re.I | re.S)


def _choice(text: str) -> tuple[str, str] | None:
    """("A", "B") of a text saying "... A rather than B ..." (or "instead of"): the content
    word just before and the one just after."""
    m = _RATHER.match(text)
    if m is None:
        return None
    before = [w for w in tu.words(m[1]) if w not in tu.STOPWORDS]
    after = [w for w in tu.words(m[2]) if w not in tu.STOPWORDS]
    return (tu.stem(before[-1]), tu.stem(after[0])) if before and after else None


def picks_the_other(said: str, claim: str) -> bool:
    """The claim picks A over B ("Bagging reduces bias rather than variance") and ``said``
    picks B: it names B and not A ("Bagging mainly reduces variance", capped at 20 as stating
    the claim in walk45), says "B rather than A" itself, or denies A without naming B."""
    choice = _choice(claim)
    if choice is None:
        return False
    a, b = choice
    own = _choice(said)
    if own is not None:
        return own == (b, a)
    have = {tu.stem(w) for w in tu.words(said)}
    if tu.negated_main(said):  # denies A: "Bagging does not really reduce bias" (walk46)
        return a in have and b not in have
    return b in have and a not in have


_BIG_O = re.compile(r"\bO\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_POWER_WORDS = (("squared", "^2"), ("cubed", "^3"), ("\u00b2", "^2"), ("\u00b3", "^3"),
                ("**", "^"))  # fmt: skip


def _powers(formula: str) -> str:
    """A big-O formula lower-cased, its powers written one way ("squared", "²", "**" as "^")."""
    f = formula.lower()
    for word, power in _POWER_WORDS:
        f = f.replace(word, power)
    return f


def complexities(text: str) -> set[str]:
    """The big-O complexities a text names, written one way ("O(n squared)", "O(n^2)", "O(n²)"
    and "O(n*n)" are all "n^2")."""
    out = set()
    for m in _BIG_O.finditer(text):
        c = _powers(m[1])
        c = re.sub(r"\b([a-z])\s*[*\u00b7]\s*\1\b", r"\1^2", c)
        # only the formula's letters, digits and operators: "O(n log(n))", "O(n * log n)",
        # "O(n·log n)", "O(n-squared)" and "O(n^{2})" are written as "O(n log n)", "O(n^2)"
        out.add(re.sub(r"[^a-z0-9^!+/]", "", c))
    return out


# Where a text turns to the cost it is set against: "O(n) time, versus O(n^2) for checking every
# pair", "it avoids the O(n^2) brute force" (general English; each marker from the bank's points).
_SET_AGAINST = re.compile(r"\b(?:versus|vs\.?|against|instead of|unlike|rather than|compared "
                          r"(?:with|to)|than|whereas|avoids?|avoiding|brute[- ]force|naive)\b", re.I)


def complexity_shape(formula: str) -> tuple[int, bool] | str:
    """How a big-O formula grows, whatever its letters: (degree, with a logarithm), or "exp".
    "n k log k" and "n times L log L" are both (2, True); "min(n, alphabet size)" is (1, False);
    "1" is (0, False). A sum grows as its largest term."""
    f = _powers(formula)
    if "!" in f or re.search(r"\d\s*\^\s*\{?\s*[a-z]", f):
        return "exp"
    f = re.sub(r"\b(?:times|min|max|len|size)\b|[*\u00b7\u00d7()]| x ", " ", f)
    shapes = []
    for term in re.split(r"[+,]", f):
        logs = len(re.findall(r"\blog\b", term))
        term = re.sub(r"\blog\s*_?\d*\s*[a-z_]\w*", " ", term)
        powers = re.findall(r"[a-z_][a-z_0-9]*\s*(?:\^\s*\{?\s*(\d+)\s*\}?)?", term)
        shapes.append((sum(int(p or 1) for p in powers), logs > 0))
    return max(shapes, default=(0, False))


# A cost of memory, not time: "O(1) extra space", "O(n) memory" (what follows the formula)
_OF_SPACE = re.compile(r"\s*(?:extra|additional|auxiliary)?\s*(?:space|memory)\b", re.I)


def _shapes(text: str) -> set:
    """The time complexities a text names, by growth (``complexity_shape``); a cost said to be
    of space or memory is left out."""
    return {complexity_shape(m[1]) for m in _BIG_O.finditer(text)
            if not _OF_SPACE.match(text, m.end())}  # fmt: skip


@lru_cache(maxsize=4096)  # a key point's, read again for every answer that ticks it
def _own_and_set_against(text: str) -> tuple[frozenset, frozenset]:
    """(the time complexities a text gives as its own, those it sets them against)."""
    cut = _SET_AGAINST.search(text)
    if cut is None:
        return frozenset(_shapes(text)), frozenset()
    return frozenset(_shapes(text[: cut.start()])), frozenset(_shapes(text[cut.start():]))


def claims_cost_set_against(sentence: str, point: str) -> bool:
    """The sentence gives as its own a time cost the key point sets against its own, and none
    of the point's own: "It is O(n^2) in the worst case" does not state "The result is O(n) time
    ..., against O(n^2) or worse for checking every substring" (walk51 ticked it, beside
    quadratic code), nor does "It is O(n^2) time ... and O(1) extra space" state "One pass gives
    O(n) time and O(1) extra space, versus O(n^2) ..." (walk53: the space cost is no time cost).
    A sentence naming a cost the point does not name at all is left to the key-point model:
    points name costs in passing ("O(1) count lookups"), and answers name others."""
    own, against = _own_and_set_against(point)
    said, _ = _own_and_set_against(sentence)
    return bool(own and said & against) and not said & own


def other_complexity(said: str, claim: str) -> bool:
    """Both name a big-O complexity and ``said`` names none of the claim's: "sliding window,
    hashmap, two pointers, O(n), set" does not state "The sliding window solution is O(n
    squared) ..." (walk30: it was named as that wrong claim)."""
    s, c = complexities(said), complexities(claim)
    return bool(s and c) and not (s & c)


# What a denial negates: the next few content words of its clause. A prior, read off one
# re-walk sentence; on the authored dev split and the bank's model answers no red-flag evidence
# changes with the check below.
DENIED_WORDS = 3
DENIED_SHARED = 2  # content words the claim asserts that ``said`` denies, to count
_DENIAL_CUE = frozenset({"not", "never", "no", "cannot", "neither", "nor", "nothing", "none"})
_NOT_A_DENIAL = frozenset({"only", "just", "merely", "simply", "necessarily", "least", "always"})
_CLAUSE_END = re.compile(r"[,;:.!?()]|\b(?:but|so|because|while|whereas|although|though|and|or"
                         r"|which|that|since|then|instead|rather|unless|if|when)\b", re.I)


def _denied_asserted(text: str) -> tuple[set[str], set[str]]:
    """(content stems a denial negates, content stems asserted) of a text."""
    text = re.sub(r"n't\b", " not", text.replace("\u2019", "'"), flags=re.I)
    denied: set[str] = set()
    asserted: set[str] = set()
    for clause in _CLAUSE_END.split(text):
        ws = tu.words(clause or "")
        left = 0
        for i, w in enumerate(ws):
            if w in _DENIAL_CUE and (i + 1 >= len(ws) or ws[i + 1] not in _NOT_A_DENIAL):
                left = DENIED_WORDS
            elif w not in tu.STOPWORDS and len(w) > 1:
                (denied if left else asserted).add(tu.stem(w))
                left = max(0, left - 1)
    return denied, asserted


def denies_qualifier(said: str, claim: str) -> bool:
    """``said`` denies what the claim asserts, in any clause: "For data that does not fit in
    memory I would use Dask" against "Switching to Dask always makes code faster, even for small
    data that fits in memory" (a re-walk's correct answer was named as stating it; the negation
    sits in a relative clause, which ``negated_main`` reads past)."""
    s_denied, s_asserted = _denied_asserted(said)
    c_denied, c_asserted = _denied_asserted(claim)
    return len((s_denied - s_asserted) & (c_asserted - c_denied)) >= DENIED_SHARED


# A claim that something holds always (or must, or never), and a sentence that says it is a
# matter of choice, or seldom so: the sentence denies the claim without a negation word. Both
# lists are a general-English prior, not read from any data set; "default", "usually" and
# "wrong" are left out, as a sentence stating the claim can use them ("use the default 0.5").
ABSOLUTE = re.compile(r"\b(always|never|must|regardless)\b", re.I)
UNDERCUT = re.compile(r"\b(arbitrar\w*|rarely|seldom|depends|depending|misconception|myth)\b", re.I)


def undercuts(said: str, claim: str) -> bool:
    """``claim`` says something holds always (must, never, regardless) and ``said`` calls it
    arbitrary, rare or dependent on something, which the claim itself does not."""
    return bool(ABSOLUTE.search(claim) and UNDERCUT.search(said) and not UNDERCUT.search(claim))


# A claim that two things are had together, at no cost ("reduces both bias and variance at the
# same time"), and a sentence that names what one of them costs: the sentence states the
# trade-off the claim denies, without a negation word (walk35's "Regularisation reduces variance
# and overfitting at the cost of some bias" was told it stated that claim, and scored 0). Both
# lists are a general-English prior, not read from any data set.
TOGETHER = re.compile(r"\b(at the same time|simultaneously|at once|without (any |a )?(cost|"
                      r"trade-?off|downside))\b", re.I)  # fmt: skip
TRADE = re.compile(r"\b(at the (cost|expense|price) of|trade-?offs?|trades?|traded|trading|"
                   r"in exchange for|at some cost)\b", re.I)  # fmt: skip
NO_TRADE = re.compile(r"\b(no|without( any| a)?|free of)\s+(trade-?offs?|cost|downside|price)\b",
                      re.I)  # fmt: skip


def names_a_cost(said: str, claim: str) -> bool:
    """``claim`` says two things are had together at no cost and ``said`` names a trade-off
    between them, which the claim itself does not (nor does ``said`` deny one)."""
    return bool(TOGETHER.search(claim) and TRADE.search(said) and not TRADE.search(claim)
                and not NO_TRADE.search(said) and not TOGETHER.search(said))  # fmt: skip


THAN_WORDS = 3  # content words after "than" that name what is compared against


def _than_sides(text: str) -> tuple[set, set] | None:
    parts = re.split(r"\bthan\b", text.lower(), maxsplit=1)
    if len(parts) < 2:
        return None
    before, after = ([w for w in tu.words(p) if w not in tu.STOPWORDS] for p in parts)
    return set(before), set(after[:THAN_WORDS])


def reversed_comparison(said: str, claim: str) -> bool:
    """Both compare with "than", and what the claim compares ``said`` compares against: a word
    before the claim's "than" comes after said's (and not before it), and none of the words
    after the claim's "than" does ("they are more sensitive to outliers than MAE", its subject
    a pronoun, against "MAE is more sensitive to outliers than MSE")."""
    s, c = _than_sides(said), _than_sides(claim)
    if s is None or c is None:
        return False
    return bool((c[0] & s[1]) - s[0]) and not (c[1] & s[1])


def red_flag_total(evidence: np.ndarray) -> float:
    """The answer's red-flag evidence: the sum over flags of what passes ``RF_FLOOR``."""
    return float(np.clip(np.asarray(evidence) - RF_FLOOR, 0, None).sum()) if len(evidence) else 0.0


# -- contradictions -------------------------------------------------------------------------

# Antonym pairs: a general-English prior, not read from any data set. The kinds of a thing
# (a model overfits or underfits, learning is supervised or not) name what a sentence is about;
# the directions (more, lower, always) need to know what they apply to.
KINDS = [
    ("parallel", "sequential"), ("parallel", "sequentially"), ("independent", "dependent"),
    ("overfit", "underfit"), ("overfitting", "underfitting"), ("supervised", "unsupervised"),
    ("row", "column"), ("sparse", "dense"), ("synchronous", "asynchronous"),
    ("stateful", "stateless"), ("online", "offline"), ("static", "dynamic"),
    # (walk47: "ROC-AUC is still fine for balanced data ..." was named as the wrong claim
    # "ROC-AUC is the best metric for highly imbalanced data")
    ("balanced", "imbalanced"), ("balanced", "unbalanced"), ("labelled", "unlabelled"),
    ("labeled", "unlabeled"),
]  # fmt: skip
ANTONYMS = KINDS + [
    ("increase", "decrease"), ("increase", "reduce"), ("increase", "lower"), ("grow", "shrink"),
    ("higher", "lower"), ("more", "less"), ("more", "fewer"), ("larger", "smaller"),
    ("bigger", "smaller"), ("faster", "slower"), ("before", "after"), ("always", "never"),
    ("add", "remove"), ("maximum", "minimum"), ("maximize", "minimize"), ("maximise", "minimise"),
    ("upper", "lower"), ("inner", "outer"),
    ("multiply", "divide"), ("multiplied", "divided"), ("high", "low"), ("large", "small"),
    ("longer", "shorter"), ("wider", "narrower"),
    ("raise", "lower"), ("cheaper", "expensive"), ("early", "late"), ("earlier", "later"),
]  # fmt: skip
# A unit must match a correct statement this closely before its direction words are compared
# (at 0.75 the check fired on three full-mark SAF train answers)...
CONTRA_SIM = 0.80
CONTRA_MARGIN = 0.05  # ... and that statement must clearly be its best match


def _norm(word: str) -> str:
    """Stem, then a trailing "e" dropped, so increase/increases/increased/increasing agree."""
    s = tu.stem(word)
    return s[:-1] if s.endswith("e") and len(s) > 3 else s


@lru_cache(maxsize=2)
def _antonym_stems(kinds_only: bool = False) -> list[tuple[str, str]]:
    return [(_norm(a), _norm(b)) for a, b in (KINDS if kinds_only else ANTONYMS)]


# Phrases that say a kind of KINDS in other words (general English, not read from any data
# set): a re-walk's "Boosting trains models one after another, each focusing on the errors of
# the previous ones." was named as the wrong claim "Boosting trains its models independently and
# in parallel." and scored 7. Left out: "in turn" and "at the same time", which mostly mean
# "consequently" and "also" in speech.
KIND_PHRASES = (
    (re.compile(r"\bone (?:after (?:another|the other)|at a time|by one)\b|\bin sequence\b",
                re.I), "sequential"),
    (re.compile(r"\b(?:simultaneously|concurrently)\b", re.I), "parallel"),
)  # fmt: skip


def _stems(text: str) -> frozenset:
    for phrase, kind in KIND_PHRASES:
        text = phrase.sub(f" {kind} ", text)
    return frozenset(_norm(w) for w in tu.words(text))


def swapped_direction(
    said: str, correct: str, *, kinds_only: bool = False
) -> tuple[str, str] | None:
    """(word the correct text uses, its antonym that ``said`` uses instead), if any (of KINDS
    only, with ``kinds_only``)."""
    s, c = _stems(said), _stems(correct)
    for a, b in _antonym_stems(kinds_only):
        for x, y in ((a, b), (b, a)):
            if x in c and y not in c and y in s and x not in s:
                return x, y
    return None


# Items a question asks to compare ("the difference between bagging and boosting", "L1 vs L2",
# "compare MSE, RMSE and MAE"): saying X where the matching correct statement says Y swaps them.
_COMPARE = re.compile(
    r"\b(?:difference|differences)\s+between\s+(.+?)(?:[?.]|,\s*and\s+(?:how|when|why|what)"
    r"|\s+and\s+(?:how|when|why|what)\b|$)"
    r"|\bcompare\s+(.+?)(?:[?.:]|\s+for\b|$)|\b([\w/-]+)\s+(?:vs\.?|versus)\s+([\w/-]+)",
    re.I,
)


@lru_cache(maxsize=4096)
def compared_items(question: str) -> tuple[str, ...]:
    """The single-word items the question contrasts (lowercased), if any."""
    items: list[str] = []
    for m in _COMPARE.finditer(question):
        span = " ".join(g for g in m.groups() if g)
        for piece in re.split(r",\s*|\s+and\s+|\s+or\s+|\s+vs\.?\s+|\s+versus\s+", span):
            w = [x for x in tu.words(piece) if x not in tu.STOPWORDS]
            if w:
                items.append(w[0])
    items = list(dict.fromkeys(items))
    return tuple(items) if len(items) >= 2 else ()


def swapped_item(said: str, correct: str, items: tuple[str, ...]) -> tuple[str, str] | None:
    """(item the correct text names, the other item ``said`` names instead), if any."""
    s, c = set(tu.words(said)), set(tu.words(correct))
    for x in items:
        for y in items:
            if x != y and x in c and y not in c and y in s and x not in s:
                return x, y
    return None


def contradictions(
    units: list[str],
    U: np.ndarray,
    correct: list[str],
    C: np.ndarray,
    items: tuple[str, ...] = (),
) -> list[tuple[str, str, tuple[str, str]]]:
    """Units that closely match a correct statement but swap one of its direction words, or one
    of the items the question compares: (unit, correct statement, (right, said))."""
    out: list[tuple[str, str, tuple[str, str]]] = []
    if len(U) == 0 or len(C) == 0:
        return out
    S = U @ C.T
    for i, t in enumerate(units):
        order = np.argsort(-S[i], kind="stable")
        j = int(order[0])
        if S[i, j] < CONTRA_SIM:
            continue
        if tu.negated(t) != tu.negated(correct[j]):
            continue  # "not X" against "X": the red-flag negation rule handles that

        def swap(k: int, t: str = t):
            return swapped_direction(t, correct[k]) or (
                swapped_item(t, correct[k], items) if items else None
            )

        sw = swap(j)
        second = float(S[i, order[1]]) if len(order) > 1 else -1.0
        if sw and (
            S[i, j] - second >= CONTRA_MARGIN
            or not any(swap(k) is None and S[i, k] >= S[i, j] - CONTRA_MARGIN for k in order[1:4])
        ):
            out.append((t, correct[j], sw))
    return out


# -- answer forms ---------------------------------------------------------------------------

# A list of terms: keyword_list_share (text.py) at or above this. On dev every keyword-stuffing
# answer is >= 0.52 and every other answer <= 0.25; 0.40 sits in the gap.
KEYWORD_LIST_AT = 0.40
# Restating: the whole answer is about as close to the question as a paraphrase of it, closer
# to the question than to the reference, uses almost none of the reference's own (non-question,
# rarity-weighted) vocabulary, and is "the question repeated AT LENGTH" (the labelling guide):
# at least twice the question's length. Cuts chosen by reading the dev split (restating answers
# have doc_q 0.75-0.95 and reference-vocabulary recall 0.016-0.045); not cross-validated.
RESTATE_DOC_Q = 0.70
RESTATE_LEX = 0.05
RESTATE_LENGTH = 2.0
# Off-topic: far from both the question and the reference, and covering little (the earlier
# grader's cuts, tuned on dev); a story question is judged against the question only.
# But an answer that clearly states one of the question's key points is on topic, however
# short. A walk-through's two-point answer to the fairness question ("dropping gender and race
# columns is not enough, since postcode and school can act as proxies ...") read as far from
# the whole model answer and scored 0 as off-topic, its proxy point at P = 0.98. "Clearly" is a
# prior above the key-point model's operating point (0.70): answers to other questions tick
# points falsely at up to 0.97 (dev), but the two the detector flags on dev and on the bank's
# cross-question answers have their best point at 0.79 and 0.77; three one-line proxy answers
# have it at 0.91-0.98. On SAF train the detector fires on no answer either way.
OFF_TOPIC_STATED_P = 0.90
OFF_TOPIC_DOC = 0.33
OFF_TOPIC_COVERAGE = 0.45
OFF_TOPIC_STORY_DOC = 0.20


def restates(features: dict, n_words: int, question_words: int) -> bool:
    """The answer mostly restates the question, at length."""
    return bool(
        features["doc_q"] >= RESTATE_DOC_Q
        and features["lex_ref_recall"] < RESTATE_LEX
        and features["doc_q"] >= features["doc_ref"]
        and n_words >= RESTATE_LENGTH * question_words
    )


# A short answer is far from everything as a whole, on topic or not: walk30's "I would just use
# a window I guess." to the longest-substring question was floored as off-topic ("answers a
# different question"). Under this many words, an answer whose best key point reaches the
# key-point model's operating point (``points.covered_p``) is thin, not about something else,
# and the head scores it. A prior: on the authored dev split no off-topic answer is this short;
# short answers on another topic ("Use a convolutional network with data augmentation." to the
# imbalanced-data question) have their best point under 0.5.
SHORT_ANSWER_WORDS = 12


def off_topic(features: dict, coverage: float, own_story: bool, best_point: float,
              n_words: int, covered_p: float) -> bool:  # fmt: skip
    """The answer as a whole is about something else, covers little and states no key point
    clearly (``best_point``: its best point's coverage); a short one (``n_words``) states it
    from the key-point model's operating point (``covered_p``)."""
    stated = min(covered_p, OFF_TOPIC_STATED_P) if n_words < SHORT_ANSWER_WORDS else OFF_TOPIC_STATED_P
    if best_point >= stated:
        return False
    if own_story:
        far = features["doc_q"] < OFF_TOPIC_STORY_DOC
    else:
        far = max(features["doc_ref"], features["doc_q"]) < OFF_TOPIC_DOC
    return bool(far and coverage < OFF_TOPIC_COVERAGE)
