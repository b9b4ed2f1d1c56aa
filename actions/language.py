"""The conversation's language: the widget's to start with, then a visitor's explicit switch ("auf Deutsch bitte",
a language button) or a confident detection on a message long enough (Luxembourgish marker words, else langid, its
model in the package); short greetings never flip it, nor do names: a short message that is mostly a name ("Sorry,
I meant Anna Kleine") or what is typed while the form asks for a name or an organisation. Luxembourgish visitors
pick French or German for the answers. Pure (no tracker here)."""
from __future__ import annotations

import json
import re
from functools import lru_cache

from knowledge import luxembourgish

LANGUAGES = ("en", "fr", "de", "lb")
DEFAULT = "en"
# Languages an entry's answer is written in for a Luxembourgish interface (the visitor's choice, German until then).
LB_ANSWER_LANGUAGES = ("fr", "de")
MIN_WORDS = 4
MIN_PROBABILITY = 0.95
WORD = re.compile(r"[^\W\d_]{2,}")
# Form steps whose answer is a name: what is typed there is in no language ('Anna Kleine', 'Müller Bau GmbH').
NAME_STEPS = ("name", "organisation")
# A message this short is read without its names too ('Sorry, I meant Anna Kleine' is English, not German).
SHORT_WORDS = 10
# A word that may be part of a name ('Kleine', 'GmbH', 'Jean-Luc', "O'Neill"), and what ends a sentence (a name
# never runs across it).
NAME_LIKE = re.compile(r"[^\W\d_][\w'’.&-]*")
SENTENCE_END = re.compile(r"[.!?:;\-–—]$")
PUNCTUATION = ",.;:!?()\"'«»“”"

_NAMES = {
    "en": r"english|anglais|englisch|engl[eë]sch",
    "fr": r"french|fran[cç]ais|franz[öo]sisch|frans[eé]isch|franz[eé]isch",
    "de": r"german|allemand|deutsch|d[äa]itsch",
    "lb": r"luxembourgish|luxembourgeois|luxemburgisch|l[eë]tzebuergesch",
}
# A whole message that asks for a language: "in English, please", "auf Deutsch bitte", "en français", "op Däitsch",
# "Sprechen Sie Deutsch?", "parlez-vous français ?", "Kënnt Dir mir op Lëtzebuergesch äntweren?",
# "Kënnt Dir dat w.e.g. op Englesch soen?".
_ASK = (r"^\s*(?:(?:can|could) you (?:please )?(?:speak|write|answer|reply|talk)(?: to me| me)?|do you speak|"
        r"(?:please )?(?:speak|write|answer|reply|switch to|change to|continue)|(?:can|could) we (?:continue|talk|speak)|"
        r"est-ce que vous parlez|parlez-vous|je pr[ée]f[èe]re(?: parler)?|on peut parler|"
        r"tu parles|vous parlez|pouvez-vous (?:me )?(?:parler|r[ée]pondre|[ée]crire)|(?:je voudrais )?continuer|"
        r"sprechen sie|sprichst du|k[öo]nnen sie (?:mir )?(?:auf|in)|bitte|weiter|lieber|schw[äa]tz[te]? (?:dir|du)|l[ée]iwer|"
        r"k[ëe]nnt dir (?:mir |dat |et )*(?:w\.?e\.?g\.? |wgl\.? )?(?:op|an)|kanns du (?:mir |dat |et )*(?:op|an)|"
        r"(?:w\.?e\.?g\.?|wgl\.?) )?\s*"
        r"(?:(?:in|en|auf|op|an|mat) )?(?:{name})(?: (?:please|s'il vous pla[iî]t|svp|bitte|antworten|schreiben|"
        r"sprechen|[äa]ntweren|schreiwen|schw[äa]tzen|soen|erklären|w\.?e\.?g\.?|wgl\.?|merci))*[\s,.!?]*(?:please|bitte|svp|merci)?"
        r"[\s.!?]*$")
SWITCH = {lang: re.compile(_ASK.replace("{name}", names), re.I) for lang, names in _NAMES.items()}
# A Luxembourgish visitor's pick of the answers' language, in Luxembourgish ("op Franséisch", "Däitsch w.e.g.").
LB_PICK = {"fr": re.compile(r"\bfran(?:s|z)[eé]isch\b", re.I), "de": re.compile(r"\bd[äa]itsch\b", re.I)}


@lru_cache(maxsize=2)
def _identifier(languages: tuple[str, ...] = LANGUAGES):
    """langid limited to `languages`."""
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def button(payload: str) -> tuple[str | None, str | None]:
    """(language, answer language) a '/switch_language{...}' button asks for, else (None, None)."""
    match = re.fullmatch(r"/switch_language(\{.*\})?", payload.strip(), re.S)
    if not match:
        return None, None
    try:
        asked = json.loads(match.group(1) or "{}")
    except ValueError:
        return None, None
    if not isinstance(asked, dict):
        return None, None
    language, answers = asked.get("language"), asked.get("answer_language")
    return (language if language in LANGUAGES else None,
            answers if answers in LB_ANSWER_LANGUAGES else None)


def asked_for(text: str) -> str | None:
    """The language a whole message (or a language button) asks the bot to speak, else None."""
    said = (text or "").strip()
    if said.startswith("/"):
        return button(said)[0]
    if len(said) > 80:
        return None
    found = [lang for lang, pattern in SWITCH.items() if pattern.match(said)]
    return found[0] if len(found) == 1 else None


def without_names(text: str) -> str:
    """`text` without what may be names: two capitalised words or more in a row ('Anna Kleine', 'Klein Logistik
    GmbH'; 'I' is none), not across a sentence's end."""
    words = text.split()
    named = [_capitalised(w) and w.strip(PUNCTUATION) != "I" for w in words]
    kept = []
    for at, word in enumerate(words):
        joined_before = at > 0 and named[at - 1] and not SENTENCE_END.search(words[at - 1])
        joined_after = at + 1 < len(words) and named[at + 1] and not SENTENCE_END.search(word)
        if not (named[at] and (joined_before or joined_after)):
            kept.append(word)
    return " ".join(kept)


def _capitalised(word: str) -> bool:
    """Whether `word`, its punctuation aside, is a word with a capital first letter."""
    bare = word.strip(PUNCTUATION)
    return bare[:1].isupper() and bool(NAME_LIKE.fullmatch(bare))


def _read_in(said: str) -> str | None:
    """The language langid reads `said` in when confident (never Luxembourgish without a Luxembourgish word)."""
    found, probability = _identifier().classify(said)
    if found == "lb" and luxembourgish.score(said) <= 0:
        found, probability = _identifier(tuple(x for x in LANGUAGES if x != "lb")).classify(said)
    return found if probability >= MIN_PROBABILITY else None


@lru_cache(maxsize=2048)
def detected(text: str) -> str | None:
    """The language a message of MIN_WORDS words or more is written in, else None: Luxembourgish when its marker
    words say so (langid takes some of it for German), else langid's when confident, never Luxembourgish for a
    message with no Luxembourgish word in it (langid takes some German for Luxembourgish). A short message is read
    without its names too, and none is found when nothing else is left or the rest reads otherwise ('Sorry, I meant
    Anna Kleine', 'Correction: Jürgen Müller Bau GmbH')."""
    said = (text or "").strip()
    if said.startswith("/") or "@" in said or len(WORD.findall(said)) < MIN_WORDS:
        return None
    if luxembourgish.score(said) >= luxembourgish.MIN_SCORE:
        return "lb"
    found = _read_in(said)
    if found is None or len(said.split()) > SHORT_WORDS:
        return found
    rest = without_names(said)
    if rest == said:
        return found
    others = tuple(x for x in LANGUAGES if x != "lb") if found != "lb" else LANGUAGES
    return found if WORD.search(rest) and _identifier(others).classify(rest)[0] == found else None


def next_language(current: str | None, text: str, widget: str | None = None, asked_step: str | None = None) -> str:
    """The conversation's language after the visitor says `text` (while the form asks for `asked_step`): an
    explicit request wins, then a confident detection (German read in a Luxembourgish conversation keeps it
    Luxembourgish; none where a name is asked), else it stays (the widget's language, or English, to begin with)."""
    current = current if current in LANGUAGES else (widget if widget in LANGUAGES else DEFAULT)
    asked = asked_for(text)
    if current == "lb" and answer_language_asked(text):
        return current
    if asked:
        return asked
    found = None if asked_step in NAME_STEPS else detected(text)
    if found is None or (current == "lb" and found == "de"):
        return current
    return found


def answer_language_asked(text: str) -> str | None:
    """'fr' or 'de' when a Luxembourgish visitor picks the answers' language ('op Franséisch', a button)."""
    said = (text or "").strip()
    if said.startswith("/"):
        return button(said)[1]
    if len(said.split()) > 6:
        return None
    picked = [lang for lang in LB_ANSWER_LANGUAGES if LB_PICK[lang].search(said)]
    return picked[0] if len(picked) == 1 else None
