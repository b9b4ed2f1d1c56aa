"""Contact details in one message, whatever step asked (issue 14): an e-mail address, a phone number, a name after
"I'm" or "my name is", an organisation after "from", "I work for" or "the company is called" (EN, FR, DE, LB), with a
correction's own words taken off ("sorry, typo -", "…, not Klein Transports"). Pure: it reads text, never a tracker."""
from __future__ import annotations

import re
from dataclasses import dataclass

from actions.commands import FIELD_WORDS, NEGATED
from handoff.compose import single_line

EMAIL = re.compile(r"[^\s<>,;:()\"'«»]+@[^\s<>,;:()\"'«»]+\.[^\s<>,;:()\"'«».]+")
PHONE = re.compile(r"(?<![\w+])(?:\+|00)\d[\d\s./()-]{5,}\d")
NUMBER = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d\s./()-]{4,}\d")
# Words that open a correction ("sorry, typo - my name is John Muller", "pardon, mon e-mail c'est …").
CORRECTING = re.compile(
    r"^\s*(?:(?:sorry|oops|wait|hold on|actually|correction|typo|my (?:mistake|bad)|i made a (?:mistake|typo)|"
    r"pardon|d[ée]sol[ée]e?|oups|en fait|excusez-moi|entschuldigung|entschuldige|moment|korrektur|tippfehler|"
    r"eigentlich|ups|no|non|nein|ok|so|well)\b[\s,.:;!–—-]*)+", re.I)
# Openings that strip off but make no correction ('ok, …', 'so …').
WEAK_OPENINGS = ("ok", "so", "well", "no", "non", "nein")
_STRONG_NAME = (r"my name is|my name's|my full name is|name is|name:|call me|je m'appelle|mon nom est|mon nom c'est|"
                r"mon nom,? c'est|moi c'est|mein name ist|mein name lautet|ich hei(?:ß|ss)e|ech heeschen|m[äa]in numm ass")
_WEAK_NAME = r"i am|i'm|this is|here is|je suis|ich bin|hier ist|ech sinn"
# "my name is actually John Smith": the word that marks the correction is no part of the name.
NAME_MARK = re.compile(rf"(?:^|(?<=[\s,.;:!(]))(?P<mark>{_STRONG_NAME}|{_WEAK_NAME})\s+"
                       r"(?:(?:actually|really|in fact|en fait|plut[ôo]t|eigentlich|tats[äa]chlich|richtig)\s+)?", re.I)
_STRONG_ORG = (r"(?:my|our|the) (?:company|organi[sz]ation|firm|start-?up|employer|business)(?:'s name)?"
               r"(?: is(?: actually)?(?: called| named)?| name is| called|:)|company(?: name)?:|organi[sz]ation:|"
               r"i work (?:for|at|with)|i'm with|i am with|i represent|"
               r"je travaille (?:chez|pour)|(?:mon|ma|notre|l'|la|le) ?(?:entreprise|soci[ée]t[ée]|organisation|organisme|"
               r"start-?up|bo[iî]te)(?: s'appelle| est| c'est|,? c'est|:)|"
               r"ich arbeite (?:bei|f[üu]r)|(?:meine|unsere|die) (?:firma|organisation|gesellschaft)(?: hei(?:ß|ss)t| ist| lautet|:)|"
               r"(?:mein|unser|das) unternehmen(?: hei(?:ß|ss)t| ist| lautet|:)|ech schaffen (?:bei|fir)|"
               r"(?:eis|m[äa]i) (?:firma|betrib) (?:heescht|ass)")
ORG_MARK = re.compile(rf"(?:^|(?<=[\s,.;:!(]))(?P<mark>{_STRONG_ORG})\s+", re.I)
# After a name: "Luc Hoffmann from SkyDrop", "de SkyDrop", "von SkyDrop", "bei SkyDrop".
AFTER_NAME = re.compile(r"^[\s,]*(?:from|at|with|of|de|d'|chez|von|vom|bei|vun|aus)\s*(?=\S)", re.I)
_ROLES = (r"ceo|cto|coo|cfo|founder|co-?founder|director|manager|owner|head|president|fondateur|fondatrice|directeur|"
          r"directrice|g[ée]rante?|gr[üu]nder(?:in)?|mitgr[üu]nder(?:in)?|gesch[äa]ftsf[üu]hrer(?:in)?|inhaber(?:in)?|"
          r"leiter(?:in)?|student(?:in)?|[ée]tudiante?|researcher|chercheuse?|forscher(?:in)?|engineer|ing[ée]nieure?|"
          r"ingenieur(?:in)?")
ROLE_WORD = re.compile(_ROLES, re.I)
ROLE = re.compile(rf"^(?:the |a |an |le |la |der |die )?(?:{_ROLES})\b(?: of \w+)?\s+(?:of|at|de|chez|von|bei)\s+", re.I)
# What may open an organisation after 'from' and is no part of its name: "de la société Solartec", "von der Leicht
# GmbH" (a lower-case article alone only before two words or more: "Jean Dupont de la Fontaine" is a name).
_ARTICLE = r"(?:the|la|le|l'|les|der|die|das|den|dem)"
_ORG_NOUN = r"(?i:company|firm|start-?up|soci[ée]t[ée]|entreprise|firma|gesellschaft|unternehmen)"
ORG_LEAD = re.compile(rf"^(?:{_ARTICLE}\s*{_ORG_NOUN}\s+|{_ARTICLE}\s+(?=\S+\s+\S)|{_ORG_NOUN}\s+)?(?=[A-Z0-9À-Þ])")
PREPOSITIONS = {"from", "at", "with", "of", "de", "chez", "von", "vom", "bei", "vun", "aus"}
STOP = re.compile(r"(?=[,;!?()\n]|\.\s|\.$|\s[-–—]\s|\s(?:and|et|und|an|but|mais|aber)\s|$)", re.I)
TITLES = {"dr", "prof", "mr", "mrs", "ms", "mme", "mlle", "m", "ing"}
PARTICLES = {"de", "du", "des", "da", "di", "van", "von", "der", "den", "la", "le", "del", "dos", "ter", "zu", "y"}
NOT_NAMES = {"here", "there", "interested", "looking", "from", "with", "at", "the", "a", "an", "not", "also", "just",
             "sure", "happy", "glad", "fine", "ok", "okay", "sorry", "new", "back", "still", "currently", "hi", "hello",
             "hey", "bonjour", "salut", "hallo", "moien",
             # "my name is wrong, it's …": what is said of the name, not the name
             "wrong", "incorrect", "misspelled", "misspelt", "mistyped", "spelled", "spelt", "faux", "fausse", "falsch"}
# "my last name is actually Smyth", "mon prénom c'est Jeanne", "mein Nachname ist Schmitt": one part of the name.
_LAST = r"last name|surname|family name|nom de famille|nachname|familienname|zuname|familljennumm"
_FIRST = r"first name|given name|forename|pr[ée]nom|vorname|virnumm"
NAME_PART_MARK = re.compile(
    rf"(?:^|(?<=[\s,.;:!(]))(?:(?:my|the|mon|ma|le|meine?|der|m[äa]i|m[ée]ng)\s+)?(?P<part>{_LAST}|{_FIRST})"
    r"(?P<said>'s|\s*:|\s+(?:is|was|should be|c'est|est|ist|lautet|ass|war))?\s+"
    r"(?:(?:actually|really|in fact|en fait|plut[ôo]t|eigentlich|tats[äa]chlich|richtig)\s+)?", re.I)
LAST_PART = re.compile(_LAST, re.I)
# What is left of "my e-mail is actually …" once the address is taken: no answer to anything.
LEAD_IN = re.compile(rf"^(?:(?:my|the|mon|ma|meine?|die|m[ée]ng|m[äa]in)\s+)?(?:{'|'.join(FIELD_WORDS.values())})"
                     r"(?:\s+(?:is|was|should be|c'est|est|ist|lautet|ass|war))?"
                     r"(?:\s+(?:actually|really|now|en fait|plut[ôo]t|eigentlich|richtig))?$", re.I)
# What is left of "sorry, it should be jon@example.org" once the address is taken: the correction's own words.
FILLER = re.compile(r"^(?:it'?s|that'?s|(?:(?:it|that|this|which)\s+)?(?:should (?:be|have been)|is actually|is|was|"
                    r"i meant|meant|je voulais dire|c'est|ce serait|(?:[çc]a )?devrait [êe]tre|ich meinte|es ist|"
                    r"es sollte|richtig ist|correct is|the right one is))$", re.I)
PLACES = {"luxembourg", "luxemburg", "lëtzebuerg", "belgium", "belgique", "belgien", "france", "frankreich",
          "germany", "allemagne", "deutschland", "esch", "kirchberg", "metz", "trier", "arlon", "europe", "abroad"}


@dataclass(frozen=True)
class Details:
    """What a message says of the contact fields: `found` (field → value, each marked or recognisable), the
    unmarked parts left over in order (`rest`), and whether it opened as a correction."""

    found: dict[str, str]
    rest: tuple[str, ...]
    correcting: bool


def _value(text: str, start: int) -> tuple[str, int]:
    """The phrase from `start` up to the next separator, and where it ends."""
    end = STOP.search(text, start).start()
    return text[start:end].strip(" .'\""), end


def _name_words(text: str, strong: bool) -> str:
    """The name at the start of `text`: capitalised words (any words after an explicit 'my name is'), up to five,
    a particle inside a name kept ('Charles de Gaulle') and a title ('Dr. Jane Doe'), stopping before 'from/de/von …'."""
    taken: list[str] = []
    for word in re.split(r"\s+", text.strip()):
        bare = word.strip(",.;:!?()\"'")
        if not bare or not re.fullmatch(r"[^\W\d_][\w'’.-]*", bare) or len(taken) >= 5:
            break
        lowered = bare.lower()
        if taken and lowered in PREPOSITIONS and (lowered not in PARTICLES or len(taken) >= 2):
            break
        if lowered in NOT_NAMES or ROLE_WORD.fullmatch(lowered) or (not strong and not bare[0].isupper() and lowered not in PARTICLES):
            break
        if not taken and lowered in PARTICLES and not strong:
            break
        if word.endswith(".") and lowered in TITLES:  # 'Dr. Jane Doe': the dot ends no name
            taken.append(bare + ".")
            continue
        taken.append(bare)
        if word != bare and word[-1] in ",.;:!?)":
            break
    while taken and taken[-1].lower() in PARTICLES:
        taken.pop()
    return " ".join(taken)


def _organisation(text: str, strong: bool) -> str:
    """The organisation at the start of `text` (a weakly marked one must start with a capital or a digit, after an
    article or 'société' that may open it)."""
    value, _ = _value(text, 0)
    lead = None if strong else ORG_LEAD.match(value)
    value = value[lead.end():] if lead else value
    value = NEGATED.sub("", value).strip(" .'\"")
    if not value or len(value.split()) > 8 or (not strong and not (value[0].isupper() or value[0].isdigit())):
        return ""
    return "" if value.lower() in PLACES else value


def without_correction(said: str) -> str:
    """`said` without the words that open it as a correction ('Correction - John Smith' → 'John Smith'); a bare
    'ok', 'so' or 'no' at its start is kept ('So Yeon Kim')."""
    opening, correcting = _opening(said)
    return said[opening.end():] if correcting else said


def _opening(text: str) -> tuple[re.Match | None, bool]:
    """(the words that open `text` as a correction or filler, whether they make it a correction: not a bare 'ok',
    'so' or 'no')."""
    opening = CORRECTING.match(text)
    return opening, bool(opening and opening.group(0).strip(" ,.:;!–—-").lower() not in WEAK_OPENINGS)


def with_part(known: str | None, part: str, value: str) -> str:
    """The whole name once the visitor gives one part of it ('Jane Smith' with the last name 'Smyth' → 'Jane Smyth',
    with the first name 'Jayne' → 'Jayne Smith'); a title before it is kept, a part alone stays alone."""
    words = (known or "").split()
    titles = []
    while words and words[0].lower().rstrip(".") in TITLES:
        titles.append(words.pop(0))
    if not words:
        return " ".join([*titles, value])
    if LAST_PART.fullmatch(part):
        return " ".join([*titles, words[0], value])
    return " ".join([*titles, value, *(words[1:] if len(words) > 1 else words)])


def _name_part(text: str, known: str | None) -> tuple[str, tuple[int, int]] | None:
    """The whole name and the span that says it when `text` gives one part of the name ('my last name is
    actually Smyth'), else None."""
    mark = NAME_PART_MARK.search(text)
    if not mark:
        return None
    words = _name_words(text[mark.end():], bool(mark.group("said"))).split()  # 'last name Smyth': a capital
    ended = next((i for i, w in enumerate(words) if w.lower() in ("and", "et", "und", "an")), len(words))
    words = words[:min(ended, 3)]
    if not words:
        return None
    end = mark.end()
    for word in words:
        end = text.index(word, end) + len(word)
    return with_part(known, mark.group("part"), " ".join(words)), (mark.start(), end)


def read_details(said: str, asked: str | None = None, name: str | None = None) -> Details:
    """The contact details in `said`, typed while the form asked for `asked` (None: before the form asked), the name
    given so far being `name` (a last or first name alone changes only that part of it). At the need or
    description step an address or number counts only when the message names its field ('my e-mail is') or opens
    as a correction, since a need may mention someone else's."""
    text = single_line(str(said or ""))
    opening, correcting = _opening(text)
    text = text[opening.end():] if opening else text
    found: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    # At the need or description step a detail counts when named, or when it is all the message says ('+352 621 …').
    free = asked not in ("need", "project_description") or bool(
        EMAIL.fullmatch(text.strip(" .")) or PHONE.fullmatch(text.strip(" .")))
    email = EMAIL.search(text)
    if email and (free or correcting or re.search(rf"\b(?:{FIELD_WORDS['email']})\b", text[:email.start()], re.I)):
        found["email"] = email.group(0).rstrip(".")
        spans.append(email.span())
    phone = (NUMBER if asked == "phone" else PHONE).search(text)
    phone_named = phone and re.search(rf"\b(?:{FIELD_WORDS['phone']})\b", text[:phone.start()], re.I)
    if phone and (free or correcting or phone_named) and (phone_named or asked == "phone" or phone.group(0)[0] in "+0"):
        found["phone"] = phone.group(0).strip()
        spans.append(phone.span())
    part = _name_part(text, name)
    if part is not None:
        found["name"] = part[0]
        spans.append(part[1])
    for mark in NAME_MARK.finditer(text):
        strong = bool(re.fullmatch(_STRONG_NAME, mark.group("mark"), re.I))
        after = text[mark.end():]
        role = ROLE.match(after)
        if role:  # "I'm the founder of SkyDrop"
            organisation = _organisation(after[role.end():], True)
            if organisation:
                found.setdefault("organisation", organisation)
                spans.append((mark.start(), mark.end() + role.end() + len(organisation)))
            continue
        name = _name_words(after, strong or asked == "name")
        if not name or "name" in found:
            continue
        end = mark.end() + after.index(name.split()[0]) + len(name)
        found["name"] = name
        tail = AFTER_NAME.match(text[end:])
        if tail:
            organisation = _organisation(text[end + tail.end():], False)
            if organisation:
                found.setdefault("organisation", organisation)
                end = text.index(organisation, end) + len(organisation)
        spans.append((mark.start(), end))
    if "organisation" not in found:
        for mark in ORG_MARK.finditer(text):
            after = text[mark.end():]
            organisation = _organisation(after, True)
            if organisation:
                found["organisation"] = organisation
                spans.append((mark.start(), _value(text, mark.end())[1]))
                break
    return Details(found, _rest(text, spans), correcting)


def name_first(parts: tuple[str, ...]) -> dict[str, str]:
    """The name and the organisation in what was typed at the name step, the name first: after it ('Jane Doe from
    Acme Coatings', 'Jonas Becker von der Leicht GmbH') or in the next part ('Jane Doe, Acme Coatings SA', 'Jane
    Doe, CEO of Acme'); the name in capitals, as after "I'm" ('Can I get money for R&D?' names nobody), and a role
    alone ('Jane Doe, CEO') or a place is no organisation."""
    details = read_details("I am " + ", ".join(parts))
    found = {f: v for f, v in details.found.items() if f in ("name", "organisation")}
    if "name" in found and "organisation" not in found and details.rest:
        following = details.rest[0]
        role = ROLE.match(following)
        if role or not re.match(rf"(?:{_ROLES})\b", following, re.I):
            organisation = _organisation(following[role.end():] if role else following, bool(role))
            if organisation:
                found["organisation"] = organisation
    return found


def _rest(text: str, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    """The parts of `text` outside `spans`, split at commas and semicolons, without joining words or negations."""
    kept, at = [], 0
    for start, end in sorted(spans):
        kept.append(text[at:start] if start > at else "")
        at = max(at, end)
    kept.append(text[at:])
    parts = re.split(r"[,;\n]|\s[-–—]\s|\.\s", " , ".join(kept))
    cleaned = (re.sub(r"^(?:and|et|und|an|also|aussi|auch|but|mais|aber)\b\s*", "", p.strip(" .:!-–—"), flags=re.I)
               for p in parts)
    return tuple(p for p in (c.strip(" .:!") for c in cleaned)
                 if p and not NEGATED.fullmatch(" " + p) and not LEAD_IN.match(p) and not FILLER.match(p))
