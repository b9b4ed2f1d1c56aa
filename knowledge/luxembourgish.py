"""Luxembourgish (issue 15): whether a message reads as Luxembourgish (weighed marker words), and a Luxembourgish
question put in the German the German answer index reads ('Wéi kann ech e Projet finanzéieren?' → 'kann projekt
finanzieren?'), from knowledge/lb_lexicon.yml. The file is read once per process and nothing of it goes into the
knowledge cache, so editing it needs no rebuild; reading a question is a few dictionary lookups."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from knowledge.nlp import fold, known_form, stop_words

LEXICON = Path(__file__).resolve().with_name("lb_lexicon.yml")
# The score from which a message is Luxembourgish: two strong markers ('ech', 'kënnt'), or one and some weaker ones.
MIN_SCORE = 3.0
# A word with 'ë' (Hëllef, kënnt, Lëtzebuerg) is Luxembourgish; elsewhere it is rare (Noël).
DIAERESIS_WEIGHT = 2.0
# Spellings only Luxembourgish has, with or without the accents: '-ioun' for French and German '-ion'
# (Informatiounen, Subventioun), '-éieren' for German '-ieren' (organiséieren, finanzeiert).
SPELLING = re.compile(r"ioun|éier|..eier(?:en|t)$")
SPELLING_WEIGHT = 2.0
# A word of the lexicon ('finanzéieren', 'Fuerschung') is some evidence too.
LEXICON_WEIGHT = 1.0
# The shortest first part of a compound read from the lexicon ('innovatiouns|projet').
SHORTEST_PART = 4
# The shortest word kept as written because the content uses it: 'e' and 'de' are Luxembourgish articles even where
# the content has 'e-commerce' or 'de minimis'.
SHORTEST_KNOWN = 3
_WORD = re.compile(r"[^\W\d_]+(?:[.-][^\W\d_]+)*")  # 'w.e.g' and 'Rendez-vous' stay one word
_ELISION = re.compile(r"(?<![^\W\d_])[dz]['’](?=[^\W\d_])", re.I)  # d'Hëllef, z'Lëtzebuerg


@dataclass(frozen=True)
class Lexicon:
    """Luxembourgish forms (lower case, without accents) and the German word each reads as; marker weights."""

    german: dict[str, str]
    markers: dict[str, float]
    not_markers: dict[str, float]
    function_words: frozenset[str] = frozenset()


@cache
def lexicon(path: Path = LEXICON) -> Lexicon:
    """The lexicon file, read once."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    german = {fold(str(form)): str(word).lower() for word, forms in (data.get("german") or {}).items()
              for form in forms}
    weights = {key: {str(w).lower(): float(v) for w, v in (data.get(key) or {}).items()}
               for key in ("markers", "not_markers")}
    extra = frozenset(str(w).lower() for w in data.get("function_words") or ())
    return Lexicon(german, weights["markers"], weights["not_markers"], extra)


def words(text: str) -> list[str]:
    """The words of `text`, lower case."""
    return _WORD.findall(_ELISION.sub("", (text or "").lower()))


def word_score(word: str, table: Lexicon) -> float:
    """How Luxembourgish one lower-case word reads: its marker weight, its spelling ('ë', '-ioun', '-éieren') and,
    when it is no marker, being a form of the lexicon; less its weight as a German, French or English word."""
    spelling = DIAERESIS_WEIGHT * ("ë" in word) + SPELLING_WEIGHT * bool(SPELLING.search(word))
    known = table.markers[word] if word in table.markers else LEXICON_WEIGHT * (fold(word) in table.german)
    return known + spelling - table.not_markers.get(word, 0.0)


def score(text: str) -> float:
    """How Luxembourgish `text` reads: the sum of its distinct words' scores (word_score)."""
    table = lexicon()
    return sum(word_score(w, table) for w in set(words(text)))


def is_luxembourgish(text: str) -> bool:
    """Whether `text` has enough Luxembourgish in it, and little of another language, to be Luxembourgish."""
    return score(text) >= MIN_SCORE


@cache
def function_words() -> frozenset[str]:
    """Luxembourgish words that carry no topic and are not German stop words too ('ech', 'wéi', 'fir', 'eng',
    'moien'; not 'an', 'kann'): the Luxembourgish pipeline's stop words less the German one's, and the lexicon's
    `function_words` that list lacks ('Äre')."""
    return (stop_words("lb") - stop_words("de")) | lexicon().function_words


def german_word(word: str) -> str | None:
    """The German a Luxembourgish word reads as: a form of the lexicon, also with a plural or case ending it lacks
    ('subventiounen'), or a compound whose first part is one ('innovatiounsprojet' → 'innovationsprojekt'); else
    None."""
    table = lexicon().german
    folded = fold(word)
    form = known_form(folded, table)
    if form is not None:
        return table[form]
    for cut in range(len(folded) - SHORTEST_PART, SHORTEST_PART - 1, -1):
        first = table.get(folded[:cut])
        rest = folded[cut:]
        if first is not None:
            tail = rest[1:] if rest.startswith("s") and len(rest) > SHORTEST_PART else rest
            return first + rest[:len(rest) - len(tail)] + (german_word(tail) or tail)
    return None


def german_words(word: str) -> str | None:
    """The German `word` reads as (german_word); a hyphenated word the lexicon lacks ('F&E-Projet'), part by part,
    else None."""
    whole = german_word(word)
    if whole is not None or "-" not in word:
        return whole
    parts = word.split("-")
    read = [german_word(part) for part in parts]
    return "-".join(r or p for r, p in zip(read, parts)) if any(read) else None


def as_german(text: str, known=frozenset()) -> str:
    """`text` as the German index reads it when it has some Luxembourgish in it (a score above 0): the lexicon's
    words in German, Luxembourgish function words and elisions ('d'', 'z'') left out, the words in `known` (the
    content's own, lower case without accents) of SHORTEST_KNOWN letters or more as written. Other text comes back as it is."""
    return german_reading(text, known)[0]


def german_reading(text: str, known=frozenset()) -> tuple[str, dict[str, str]]:
    """as_german's text, and what the visitor wrote for each German word put in (lower case), so that a reply can
    quote the visitor's words ('Camionen', not 'lastwagen')."""
    if score(text) <= 0:
        return text, {}
    stop = function_words()
    written: dict[str, str] = {}

    def read(match: re.Match) -> str:
        word = match.group(0).lower()
        if len(word) >= SHORTEST_KNOWN and fold(word) in known:
            return match.group(0)
        if word in stop:
            return ""
        german = german_words(match.group(0))
        if german is None:
            return match.group(0)
        written.setdefault(german.lower(), match.group(0))
        return german

    return re.sub(r"\s{2,}", " ", _WORD.sub(read, _ELISION.sub("", text))).strip(), written
