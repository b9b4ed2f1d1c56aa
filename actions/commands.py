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
YES_START = re.compile(rf"^\s*(?:{_YES})\b[\s,.!:;-]*", re.I)  # "yes, …" opening a longer answer
# A longer answer to a proposal that opens by taking it: "Yes, I'd like to talk to her", "Great, please put me in
# touch", "Sounds right. I'm Anna Schmit from MedAI".
ACCEPT_START = re.compile(rf"^\s*(?:{_YES}|great|perfect|excellent|exactly|sounds (?:good|right|great|fine)|"
                          r"that(?:'s| is) (?:right|it|correct|fine|perfect)|(?:please )?put me in touch|"
                          r"volontiers|super|parfait|prima|passt|gut)\b(?![-'’])", re.I)
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
# A request for a person, as a whole message, with the words around it a visitor types mid-form ("Actually, can I
# just talk to a person?", "En fait, je peux parler à quelqu'un ?", "Kann ich einfach mit einem Menschen sprechen?").
_FILLER = (r"(?:(?:actually|sorry|ok(?:ay)?|well|hmm+|um+|wait|honestly|hi|hello|en fait|bon|d[ée]sol[ée]e?|pardon|"
           r"eigentlich|also|ehrlich gesagt|sorry|entschuldigung|hallo|bonjour)\b[\s,.!–—-]*)*")
_PERSON = (r"(?:a |an |one of your |your |a real |real |the |an actual )?(?:person|human(?: being)?|advisor|adviser|someone|"
           r"somebody|agent|staff(?: member)?|member of staff|consultant|expert|people)")
HUMAN = re.compile(r"^\s*" + _FILLER + r"(?:" + "|".join((
    r"(?:i (?:want|would like|'d like|'d rather|would rather|'d prefer|would prefer|need) to |"
    r"(?:can|could|may|might) i (?:please )?|let me |please |is it possible to |i'd like to )?"
    r"(?:just |rather |simply |please |instead )*(?:talk|speak|chat) (?:to|with) " + _PERSON +
    r"(?: (?:instead|please|now|directly|rather))*",
    r"(?:can|could) (?:someone|somebody|a person|an advisor|a human) (?:call|contact|help) me(?: instead| please)?",
    r"(?:put me through|connect me|put me in touch) (?:to|with) " + _PERSON,
    _PERSON + r",? please", r"real person",
    r"(?:est-ce que |puis-je |je peux |je voudrais |je pr[ée]f[èe]re(?:rais)? |j'aimerais |pourrais-je |on peut )*"
    r"(?:juste |plut[ôo]t |simplement )*parler (?:[àa] |avec )(?:un |une |quelqu'un|un vrai |une vraie )?"
    r"(?:personne|humain|conseill[èe]re?|quelqu'un|agent)?(?: humaine?| r[ée]elle?)?(?: plut[ôo]t| s'il vous pla[iî]t)?",
    r"(?:kann ich |k[öo]nnte ich |darf ich |ich m[öo]chte |ich w[üu]rde |ich will )?(?:gerne |lieber |einfach |bitte |nur )*"
    r"mit (?:einem |einer |einem echten |einer echten )?(?:menschen|person|jemandem|berater(?:in)?|mitarbeiter(?:in)?)"
    r" (?:sprechen|reden)(?: bitte)?(?: k[öo]nnen| m[öo]chten)?",
    r"(?:kann ech |ech w[ëe]ll |ech h[äa]tt g[äa]r )?(?:just |l[ée]iwer )?mat (?:enger |engem )?"
    r"(?:persoun|m[ëe]nsch|beroder) schw[äa]tzen",
)) + r")[\s.!?]*$", re.I)
ONLY_QUESTIONS = re.compile(
    r"\b(?:i (?:just|only) (?:had|have|wanted to ask) (?:a |some )?questions?|just (?:a |some )?questions?"
    r"|only (?:a |some )?questions?|no project|j'avais (?:juste|seulement) des questions"
    r"|nur (?:eine )?fragen?)\b", re.I)
# The visitor wants nobody to contact them (after a proposal, at the consent or any later step).
NO_CONTACT = re.compile(
    r"\b(?:i (?:do not|don'?t) (?:want|wish|need) to be (?:contacted|called)|(?:please )?(?:do not|don'?t) contact me|"
    r"no need to contact me|i'?d rather not be contacted|(?:i (?:do not|don'?t) want|i'?d rather not) to (?:leave|give|share)"
    r" (?:my|any) (?:details|contact details|data|name)|i'?d rather not (?:leave|give|share) (?:my|any) (?:details|data|name)|"
    r"i(?:'ll| will| can| would rather|'d rather| prefer to|'d prefer to)(?: get in touch| contact"
    r" (?:them|him|her|the advisor|you|the cluster)| call (?:them|him|her)| write to (?:them|him|her))(?: myself| directly| later)?"
    r"(?:,? thanks?| thank you)?[\s.!]*$|that'?s all i (?:needed|wanted)(?: to know)?"
    r"|i (?:(?:just|only) (?:want(?:ed)?|need(?:ed)?)|(?:want(?:ed)?|need(?:ed)?) (?:just|only)) to know who"
    r"|(?:just|only) (?:tell me|let me know|the name of) (?:who|whom|the (?:person|advisor|contact))"
    r"|"
    r"je ne (?:veux|souhaite) pas [êe]tre contact[ée]e?|ne me contactez pas|pas besoin de me contacter|"
    r"je (?:les|le|la) contacterai|je vais (?:les|le|la) contacter|je voulais (?:juste|seulement) savoir qui|"
    r"c'est tout ce que je voulais|"
    r"ich m[öo]chte nicht kontaktiert werden|(?:bitte )?kontaktieren sie mich nicht|ich melde mich selbst|"
    r"ich (?:kontaktiere|kontaktier|schreibe|rufe) (?:sie|ihn|die|den) selbst|ich wollte nur wissen,? wen|"
    r"keen kontakt|ech mell mech selwer|"
    # Deferring or refusing to leave details: "I'll get back to you", "je reviendrai vers vous", "ich möchte keine
    # Kontaktdaten angeben".
    r"i(?:'ll| will) (?:get back to you|come back(?: to you)? later)|"
    r"(?:i'?d rather|i'?d (?:like|prefer) to|i (?:want|prefer|would like) to) (?:stay|remain|be) anonymous|"
    r"je (?:veux|voudrais|pr[ée]f[èe]re|souhaite) rester anonyme|"
    r"ich (?:m[öo]chte|will|w[üu]rde) (?:lieber |gerne |gern )?anonym bleiben|"
    r"ich m[öo]chte (?:nur|bloß|lediglich) wissen,? (?:wen|wer|an wen)|nur (?:den namen|wissen,? wen)|"
    r"je veux (?:juste|seulement) savoir qui|"
    r"je (?:reviendrai vers vous|vous recontacterai)|"
    r"je (?:ne )?(?:veux|souhaite|pr[ée]f[èe]re) pas (?:donner|laisser|partager|communiquer) (?:mes|de) coordonn[ée]es|"
    r"sans (?:laisser de |donner de )?coordonn[ée]es|"
    r"ich (?:m[öo]chte|will|werde) (?:keine|meine) (?:kontakt)?daten (?:nicht )?(?:angeben|hinterlassen|geben|nennen)|"
    r"ohne (?:meine )?kontaktdaten|ich melde mich (?:sp[äa]ter|wieder|bei ihnen))", re.I)
# A leave-taking in a thank-you ("thanks, bye", "merci, au revoir", "danke, tschüss"): the visitor is going.
FAREWELL = re.compile(r"\b(?:(?:good)?bye|see you|have a (?:good|nice) day|au revoir|[àa] bient[ôo]t|bonne (?:journ[ée]e|soir[ée]e)|"
                      r"tsch[üu]ss|auf wiedersehen|bis bald|sch[öo]nen tag|[äa]ddi|sch[ée]inen dag|ciao)\b", re.I)
# A message that only thanks and takes leave ("thanks, bye", "ok, merci, au revoir"): in the form, nobody is to
# contact the visitor, who is going.
LEAVING = re.compile(r"^\s*(?:(?:ok(?:ay)?|great|thanks?(?: a lot)?|thank you(?: very much)?|many thanks|merci(?: beaucoup)?|"
                     r"danke(?: sch[öo]n)?|vielen dank|villmools merci)[\s,.!]*)*(?:" + FAREWELL.pattern + r")"
                     r"(?:[\s,.!]*(?:thanks?|thank you|merci|danke))?[\s,.!]*$", re.I)
# A polite no to a proposal to pass the project on or to store details ("no thanks", "Nein danke, ich möchte …",
# "non merci, je …"), alone or opening the message: nobody is to contact the visitor (a bare "no" asks for another
# cluster).
POLITE_NO = re.compile(r"^\s*(?:no,? thanks?(?: you)?|no,? thank you|not (?:for )?now(?:,? thanks?)?|no need|non,? merci|nein,? danke|"
                       r"nee,? merci|neen,? merci)\b(?![-'’])", re.I)
# "I mistyped my e-mail", "my name is wrong", "mon e-mail est faux", "meine E-Mail ist falsch": that field again.
_WRONG = (
    r"^\s*(?:(?:sorry|oops|pardon|entschuldigung|wait|actually|correction|d[ée]sol[ée]e?),? )?(?:i (?:mistyped|misspelt|"
    r"misspelled|got) (?:my |the )?(?P<field>[\w' -]+?)(?: wrong)?|(?:my|the|mon|ma|meine?|die|der|das) (?P<field2>[\w' -]+?) "
    r"(?:is|was|est|ist|war) (?:wrong|incorrect|misspelt|misspelled|faux|fausse|incorrecte?|falsch)|je me suis tromp[ée]e? "
    r"(?:dans|de|sur) (?:mon |ma |l')?(?P<field3>[\w' -]+?)|ich habe mich (?:bei|in) (?:meiner |meinem |der |dem )?"
    r"(?P<field4>[\w' -]+?) vertippt)")
WRONG = re.compile(_WRONG + _END, re.I)
# The same with the right value after it: "I mistyped my name, it's Jane Dow", "my name is wrong, it should be …".
WRONG_THEN = re.compile(_WRONG + r"\s*[,.;:!–—-]+\s*(?:(?:it'?s|it is|it should be|should be|the right one is|c'est|"
                        r"es ist|richtig ist|correct is)\s+)?(?P<value>[^\s].*?)" + _END, re.I)
CHANGE = re.compile(
    r"^\s*(?:(?:i (?:want|would like|'d like|need) to |can i |let me |please )?(?:change|correct|fix|edit|update)"
    r"|changer|modifier|corriger|[äa]ndern|korrigieren)\s+(?:my |the |mon |ma |mes |le |la |l'|meine?n? |die |den |"
    r"das )?(?P<field>[\w' -]+?)" + _END, re.I)
CORRECTION = re.compile(
    r"^\s*(?:wait|hold on|sorry|oops|no|nope|actually|correction|i made a mistake|non|pardon|nein|moment)\b", re.I)
MORE_ABOUT = re.compile(r"\bmore (?:about|into|on) (?P<what>.+?)(?:\s+than\b.*)?" + _END, re.I)
# "Sorry, I meant John Smith", "oops, it's John Smith, not Jon": a correction that names no field.
MEANT = re.compile(r"^\s*(?:sorry|oops|correction|typo|my (?:mistake|bad)|pardon|d[ée]sol[ée]e?|entschuldigung|"
                   r"korrektur)\b[\s,.:;!–—-]*(?:i meant|it'?s|it is|je voulais dire|c'est|ich meinte|es ist)\s+"
                   r"(?P<what>.+?)" + _END, re.I)
# "Correction - John Smith", "Typo: jon@example.org": the corrected value after a label.
LABELLED = re.compile(r"^\s*(?:correction|typo|erratum|korrektur|tippfehler)\s*[:–—-]+\s*(?P<what>\S.*?)" + _END, re.I)
# What a correction says it is not ('John Smith, not Jon', 'Smyth rather than Smith'): cut off the value.
NEGATED = re.compile(r"(?:,\s*|\s+)(?:and )?(?:not|pas|et non|nicht|net|rather than|instead of|au lieu de|statt|anstatt)"
                     r"\s+.*$", re.I)
SHOULD_BE_VALUE = re.compile(r"\b(?:should be|should have been|is actually)\s+(?P<what>.+?)" + _END, re.I)


@dataclass(frozen=True)
class Command:
    """An instruction instead of an answer: cancel, back, human, no_contact (nobody is to contact the visitor),
    change (a field, with the new value when said), reroute (with the text that says where; field None when the
    sentence names nothing it corrects: 'sorry, it should be John Smith'), only_questions, language (another
    language asked for), or a button's yes/no."""

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
    if NO_CONTACT.search(text) or LEAVING.match(text):
        return Command("no_contact")
    if ONLY_QUESTIONS.search(text):
        return Command("only_questions")
    for found in (CHANGE.match(text), WRONG.match(text), WRONG_THEN.match(text)):
        words = next((w for k, w in (found.groupdict().items() if found else ()) if w and k != "value"), None)
        if words and field_named(words) and len(words.split()) <= 3:
            value = NEGATED.sub("", found.groupdict().get("value") or "").strip(" .")
            return Command("change", field_named(words), value)
    return correction(text)


def correction(text: str) -> Command | None:
    """A sentence that corrects an earlier answer ('wait, I made a mistake, the cluster should be AeroSpace',
    'no, it's more about the recycled material than about logistics', 'my e-mail should be …', 'Correction - John
    Smith'): a re-route, or a field to change (with the new value when the sentence gives one)."""
    more = MORE_ABOUT.search(text)
    if more and CORRECTION.match(text):
        return Command("reroute", "cluster", more.group("what"))
    labelled = LABELLED.match(text)
    inner = command(labelled.group("what")) if labelled else None
    if inner is not None:  # 'Correction: my e-mail is wrong'
        return inner
    meant = MEANT.match(text) or labelled
    if meant:
        return Command("reroute", None, NEGATED.sub("", meant.group("what")).strip(" ."))
    value = SHOULD_BE_VALUE.search(text)
    if not value:
        return None
    named = field_named(text[: value.start()])
    if named is None and not CORRECTION.match(text):
        return None
    if named in ("cluster", "project_description"):
        return Command("reroute", "cluster", value.group("what"))
    if named is None:  # which answer it corrects is for the form to tell: the project, or the detail just given
        return Command("reroute", None, NEGATED.sub("", value.group("what")).strip(" ."))
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
    if NO_WORDS.match(said) or REFUSE.match(said) or POLITE_NO.match(said):
        return False
    if len(said.split()) <= 4 and intent in ("affirm", "deny"):
        return intent == "affirm"
    return None
