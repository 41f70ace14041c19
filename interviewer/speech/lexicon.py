"""Pronunciations for the recogniser: CMUdict (shipped with pocketsphinx) first, then
hibari's grapheme-to-phoneme model (its lexicon plus an out-of-vocabulary net) mapped to ARPAbet,
plus letter-by-letter readings of acronyms and part-by-part readings of CamelCase names
(XGBoost -> X G boost)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

# The en-us acoustic model's phone set; anything else would make pocketsphinx reject the word.
PHONES = frozenset(
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW "
    "V W Y Z ZH".split()
)
LETTERS = {
    "a": "EY",
    "b": "B IY",
    "c": "S IY",
    "d": "D IY",
    "e": "IY",
    "f": "EH F",
    "g": "JH IY",
    "h": "EY CH",
    "i": "AY",
    "j": "JH EY",
    "k": "K EY",
    "l": "EH L",
    "m": "EH M",
    "n": "EH N",
    "o": "OW",
    "p": "P IY",
    "q": "K Y UW",
    "r": "AA R",
    "s": "EH S",
    "t": "T IY",
    "u": "Y UW",
    "v": "V IY",
    "w": "D AH B AH L Y UW",
    "x": "EH K S",
    "y": "W AY",
    "z": "Z IY",
}
# misaki (hibari) phoneme symbols -> ARPAbet. Two-symbol r-coloured vowels are handled first.
_IPA2 = {"əɹ": "ER", "ɜɹ": "ER", "ᵊɹ": "ER"}
_IPA = {
    "A": "EY",
    "I": "AY",
    "O": "OW",
    "Q": "OW",
    "W": "AW",
    "Y": "OY",
    "a": "AA",
    "i": "IY",
    "u": "UW",
    "æ": "AE",
    "ɑ": "AA",
    "ɒ": "AA",
    "ɔ": "AO",
    "ə": "AH",
    "ɐ": "AH",
    "ᵊ": "AH",
    "ʌ": "AH",
    "ɛ": "EH",
    "ɜ": "ER",
    "ɚ": "ER",
    "ɪ": "IH",
    "ᵻ": "IH",
    "ɨ": "IH",
    "ʊ": "UH",
    "b": "B",
    "d": "D",
    "f": "F",
    "h": "HH",
    "j": "Y",
    "k": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "p": "P",
    "s": "S",
    "t": "T",
    "v": "V",
    "w": "W",
    "z": "Z",
    "ð": "DH",
    "ŋ": "NG",
    "ɡ": "G",
    "g": "G",
    "ɹ": "R",
    "r": "R",
    "ɾ": "T",  # the American flap: CMUdict writes "water" W AO T ER
    "T": "T",
    "ʔ": "T",
    "ʃ": "SH",
    "ʒ": "ZH",
    "ʤ": "JH",
    "ʧ": "CH",
    "θ": "TH",
    "ç": "HH",
    "x": "K",
}
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[a-z]+")
_ALT = re.compile(r"\(\d+\)$")


def cmudict_path() -> Path:
    """The CMU pronouncing dictionary that ships with pocketsphinx."""
    from pocketsphinx import get_model_path

    return Path(get_model_path("en-us")) / "cmudict-en-us.dict"


@lru_cache(maxsize=1)
def cmudict() -> dict[str, tuple[str, ...]]:
    """word -> its CMUdict pronunciations (space-separated ARPAbet), loaded once."""
    out: dict[str, list[str]] = {}
    with open(cmudict_path(), encoding="utf-8") as f:
        for line in f:
            word, _, phones = line.strip().partition(" ")
            if phones:
                out.setdefault(_ALT.sub("", word), []).append(phones.strip())
    return {w: tuple(p) for w, p in out.items()}


def ipa_to_arpabet(ipa: str) -> str:
    """A misaki phoneme string (one word) -> ARPAbet, stress and unknown symbols dropped."""
    s = re.sub(r"[ˈˌː\s.,;:!?—…\"“”()\-]", "", ipa)
    out, i = [], 0
    while i < len(s):
        pair = s[i : i + 2]
        if pair in _IPA2:
            out.append(_IPA2[pair])
            i += 2
            continue
        ph = _IPA.get(s[i])
        if ph:
            out.append(ph)
        i += 1
    return " ".join(out)


def spelled(word: str) -> str:
    """Letter-by-letter reading: AUC -> EY Y UW S IY."""
    return " ".join(LETTERS[c] for c in word.lower() if c in LETTERS)


class G2P:
    """hibari's grapheme-to-phoneme model (lexicon and OOV net), loaded on first use."""

    def __init__(self):
        self._g2p = None

    def __call__(self, word: str) -> str:
        if self._g2p is None:
            from hibari.g2p import G2P as _HibariG2P

            self._g2p = _HibariG2P()
        try:
            return ipa_to_arpabet(self._g2p(word))
        except Exception:  # noqa: BLE001 - a word the model cannot read falls back to spelling
            return ""


def _valid(phones: str) -> bool:
    parts = phones.split()
    return bool(parts) and all(p in PHONES for p in parts)


def _s_ending(phones: str) -> str:
    last = phones.split()[-1]
    if last in ("S", "Z", "SH", "ZH", "CH", "JH"):
        return "IH Z"
    return "S" if last in ("P", "T", "K", "F", "TH") else "Z"


def pronunciations(word: str, surfaces: Iterable[str], g2p: G2P, limit: int = 3) -> list[str]:
    """Candidate pronunciations of a lower-case word, given how it was written (case kept)."""
    cmu = cmudict()
    surfaces = list(surfaces) or [word]
    out: list[str] = list(cmu.get(word, ()))
    known = bool(out)
    for s in surfaces:
        if len(s) > 1 and s.isupper() and len(s) <= 6:
            out.append(spelled(s))  # acronyms are usually spelled out (AUC, SQL, GPU)
    if not known and word.endswith("'s") and len(word) > 2:
        # Possessives and contractions of unknown words: the base word plus the right ending.
        base = pronunciations(word[:-2], [s[:-2] for s in surfaces], g2p, limit)
        return [b + " " + _s_ending(b) for b in base][: max(limit, 2)]
    if not known:
        surface = surfaces[0]
        parts = _CAMEL.findall(surface)
        out.append(g2p(surface))
        if len(parts) > 1:
            pieces = []
            for p in parts:
                low = p.lower()
                if p.isupper() and len(p) <= 4:
                    pieces.append(spelled(p))
                elif low in cmu:
                    pieces.append(cmu[low][0])
                else:
                    pieces.append(g2p(p))
            out.append(" ".join(pieces))
        if len(word) <= 3 and not known:
            out.append(spelled(word))  # short unknown tokens (nn, df, kv) are letters
    seen: list[str] = []
    for p in out:
        if _valid(p) and p not in seen:
            seen.append(p)
    return seen[:limit] if known else seen[: max(limit, 2)]
