"""What a message typed into a form means when it is not the answer: an explicit command (a button's payload or a
whole-message phrase in EN, FR, DE or LB) or a correction sentence. Never an NLU intent guess; pure."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from actions import language as languages

FIELDS = ("name", "organisation", "email", "phone", "need", "project_description", "cluster")
# Words a visitor uses for each field, for "change my e-mail" and "my name should be …".
FIELD_WORDS = {
    "name": r"name|nom|namen|numm",
    "organisation": r"organi[sz]ation|company|firm|organisme|entreprise|soci[ée]t[ée]|firma|unternehmen|betrib",
    "email": r"e-?mail(?: address)?|mail|address|adresse|courriel",
    "phone": r"phone(?: number)?|telephone|number|t[ée]l[ée]phone|telefon(?:nummer)?|handy",
    "need": r"need|request|question|help|besoin|demande|anliegen|bedarf",
    "project_description": r"project|description|projet|projekt",
    "cluster": r"cluster|topic|sector|domaine|bereich",
}
_END = r"[\s.!]*$"
NO_WORDS = re.compile(r"^\s*(?:no|nope|nah|no thanks?|no,? thank you|not now|(?:i'?d )?rather not(?: say)?|(?:i )?prefer not"
                      r"(?: to say)?|anonymous(?:ly)?|stay anonymous|none|skip|n/?a|-|non|nein|nee|neen|non merci|"
                      r"non,? (?:pas de|sans) t[ée]l[ée]phone|pas de t[ée]l[ée]phone|"
                      r"aucune?|passer|je pr[ée]f[èe]re ne pas(?: le dire)?|nein,? danke|kein(?:e)? telefon(?:nummer)?|keine?|"
                      r"[üu]berspringen|lieber nicht|neen merci|keen telefon|keng|iwwersprangen|n[ée]ant)[\s.!]*$", re.I)
_YES = (r"yes|yep|yeah|sure|ok|okay|of course|fine|go ahead|please do|that'?s fine|correct|right|send(?: it)?|looks good|"
        r"all good|oui|ja|jo|d'accord|genau|bien s[ûu]r|volontiers|parfait|c'est (?:bon|correct|[çc]a)|envoyer|envoyez|"
        r"gerne|nat[üu]rlich|klar|richtig|stimmt|abschicken|senden|jawohl|absolut|g[äa]r|secher|richteg|"
        r"sch[ée]ckt? et|sch[ée]cken|w\.?e\.?g\.?")
YES_WORDS = re.compile(rf"^\s*(?:{_YES})\b(?:[\s,]+(?:{_YES}|bitte|merci|danke)\b)*[\s,.!]*(?:please|thanks?|merci|danke)?"
                       r"[\s.!]*$", re.I)


def _whole(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"^\s*(?:" + "|".join(phrases) + r")" + _END, re.I)


CANCEL = _whole(
    r"(?:please\s+)?(?:cancel|stop|quit|abort|exit)(?: (?:it|this|that|please|the form))?",
    r"never ?mind", r"forget (?:it|that|about it)", r"i don'?t want to (?:continue|go on)",
    r"annuler|annule|arr[êe]te[rz]?|stop", r"abbrechen|stopp|aufh[öo]ren|vergiss es",
    r"ofbriechen|ophalen|st[ëe]ppen",
)
BACK = _whole(
    r"(?:go |step )?back", r"(?:go to )?(?:the )?previous (?:question|step)", r"undo",
    r"retour|revenir(?: en arri[èe]re)?|pr[ée]c[ée]dent", r"zur[üu]ck", r"zr[ée]ck",
)
HUMAN = _whole(
    r"(?:i (?:want|would like|'d like) to |can i |let me |please )?(?:talk|speak|chat) (?:to|with) "
    r"(?:a |an |someone|somebody|a real )?(?:person|human|advisor|adviser|someone|somebody|agent|staff)(?: please)?",
    r"(?:a )?(?:person|human|advisor|agent),? please", r"real person",
    r"parler (?:à|a) (?:un |une )?(?:personne|humain|conseiller|conseill[èe]re)",
    r"(?:mit )?(?:einem |einer )?(?:menschen|person|berater|beraterin) sprechen",
    r"mat (?:enger |engem )?(?:persoun|mënsch|beroder) schwätzen",
)
ONLY_QUESTIONS = re.compile(
    r"\b(?:i (?:just|only) (?:had|have|wanted to ask) (?:a |some )?questions?|just (?:a |some )?questions?"
    r"|only (?:a |some )?questions?|no project|j'avais (?:juste|seulement) des questions"
    r"|nur (?:eine )?fragen?)\b", re.I)
CHANGE = re.compile(
    r"^\s*(?:(?:i (?:want|would like|'d like|need) to |can i |let me |please )?(?:change|correct|fix|edit|update)"
    r"|changer|modifier|corriger|[äa]ndern|korrigieren)\s+(?:my |the |mon |ma |mes |le |la |l'|meine?n? |die |den |"
    r"das )?(?P<field>[\w' -]+?)" + _END, re.I)
CORRECTION = re.compile(
    r"^\s*(?:wait|hold on|sorry|oops|no|nope|actually|correction|i made a mistake|non|pardon|nein|moment)\b", re.I)
MORE_ABOUT = re.compile(r"\bmore (?:about|into|on) (?P<what>.+?)(?:\s+than\b.*)?" + _END, re.I)
SHOULD_BE_VALUE = re.compile(r"\b(?:should be|should have been|is actually)\s+(?P<what>.+?)" + _END, re.I)


@dataclass(frozen=True)
class Command:
    """An instruction instead of an answer: cancel, back, human, change (a field), reroute (with the text that
    says where), only_questions, language (another language asked for), or a button's yes/no."""

    kind: str
    field: str | None = None
    text: str = ""


def field_named(words: str) -> str | None:
    """The form field a few words name ('e-mail address' → 'email'), else None."""
    for name, pattern in FIELD_WORDS.items():
        if re.search(rf"\b(?:{pattern})\b", words, re.I):
            return name
    return None


def payload(text: str) -> tuple[str, dict] | None:
    """A button payload ('/inform{"field":"email"}') as (intent, entities), else None."""
    match = re.fullmatch(r"/(\w+)(\{.*\})?", text.strip(), re.S)
    if not match:
        return None
    try:
        entities = json.loads(match.group(2) or "{}")
    except ValueError:
        entities = {}
    return match.group(1), entities if isinstance(entities, dict) else {}


def command(text: str) -> Command | None:
    """The command `text` is, as a whole message, or None when it is (to be checked as) the answer."""
    button = payload(text)
    if button is not None:
        intent, entities = button
        if intent == "inform" and entities.get("field") in FIELDS:
            return Command("change", entities["field"])
        if intent == "request_human":
            return Command("human")
        if intent == "cancel":
            return Command("cancel")
        if intent in ("affirm", "deny"):
            return Command(intent)
        if intent == "switch_language":
            return Command("language")
        return None
    if languages.asked_for(text) or languages.answer_language_asked(text):
        return Command("language")
    if CANCEL.match(text):
        return Command("cancel")
    if BACK.match(text):
        return Command("back")
    if HUMAN.match(text):
        return Command("human")
    if ONLY_QUESTIONS.search(text):
        return Command("only_questions")
    change = CHANGE.match(text)
    if change and field_named(change.group("field")) and len(change.group("field").split()) <= 3:
        return Command("change", field_named(change.group("field")))
    return correction(text)


def correction(text: str) -> Command | None:
    """A sentence that corrects an earlier answer ('wait, I made a mistake, the cluster should be AeroSpace',
    'no, it's more about the recycled material than about logistics', 'my e-mail should be …'): a re-route, or a
    field to change (with the new value when the sentence gives one)."""
    more = MORE_ABOUT.search(text)
    if more and CORRECTION.match(text):
        return Command("reroute", "cluster", more.group("what"))
    value = SHOULD_BE_VALUE.search(text)
    if not value:
        return None
    named = field_named(text[: value.start()])
    if named is None and not CORRECTION.match(text):
        return None
    if named in (None, "cluster", "project_description"):
        return Command("reroute", "cluster", value.group("what"))
    return Command("change", named, value.group("what"))


# Whole answers to "may we store your details?" that say more than yes or no.
AGREE = re.compile(r"^\s*(?:(?:yes|yeah|sure|ok|okay|oui|ja|jo)\b[\s,.!]+)?(?:i agree|agreed|you can (?:keep|store|save|use)"
                   r" (?:it|them|my details|my data)|i(?:'m| am) fine with (?:it|that)|j'accepte|je suis d'accord|"
                   r"vous pouvez (?:les )?(?:garder|conserver)|einverstanden|ich stimme zu|sie d[üu]rfen (?:sie )?speichern|"
                   r"ech sinn averstanen)[\s.!]*$", re.I)
REFUSE = re.compile(r"^\s*(?:no|non|nein|neen)\b[\s,.!]+(?:i'?d rather not(?: give (?:them|my details))?|"
                    r"i don'?t want to(?: (?:leave|give) (?:my|any) (?:name|details|data))?|no details|"
                    r"je (?:ne )?pr[ée]f[èe]re pas|plut[ôo]t pas|pas de coordonn[ée]es|lieber nicht|"
                    r"keine (?:daten|kontaktdaten|angaben))[\s.!]*$", re.I)


def yes_or_no(said: str, intent: str | None = None) -> bool | None:
    """A yes or no typed or clicked, else None; the classifier's affirm/deny counts only for a short message."""
    said = str(said or "").strip()
    found = command(said)
    if found is not None and found.kind in ("affirm", "deny"):
        return found.kind == "affirm"
    if YES_WORDS.match(said) or AGREE.match(said):
        return True
    if NO_WORDS.match(said) or REFUSE.match(said):
        return False
    if len(said.split()) <= 4 and intent in ("affirm", "deny"):
        return intent == "affirm"
    return None
