"""The contact form: consent once, then name, organisation, e-mail, what the advisor should help with, and a
review of what will be sent (each field changeable); then the enquiry is logged and its advisor mailed."""
from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.answers import asked_in
from actions.asks import AskAction, say, text
from actions.commands import NO_WORDS, YES_START, YES_WORDS, command, yes_or_no
from actions.conversation import intent_of, language, language_events
from actions.details import CORRECTING, EMAIL, PHONE, name_first, read_details, without_correction
from actions.listening import ListeningForm, looks_like_question
from actions.notify import submit
from actions.routes import NO_CLUSTER, choose_cluster, propose
from handoff.compose import single_line
from members.enquiries import is_phone_number, normalise_email

PERSONAL = ["name", "organisation", "email", "phone"]
NOT_A_NAME = {"yes", "ok", "okay", "sure", "yep", "fine", "why", "what", "no", "none", "skip"}
NAME_PREFIX = re.compile(r"^(my name is|my name's|i am|i'm|im|this is|name:|je m'appelle|ich bin|ich heiße|ech sinn)\s+",
                         re.I)
NEED_WORDS = re.compile(r"\b(?:looking for|look for|we need|i need|need help|seek(?:ing)?|searching for|help (?:with|us|me)|"
                        r"want to (?:apply|get|find|know|meet)|would like to|funding|finance|financing|grant|subsid|"
                        r"partner|advice|support)\b.*", re.I)


def checked_name(value: Any) -> str | None:
    """The name as kept ('My name is Jane Doe' → 'Jane Doe', 'Correction - John Smith' → 'John Smith'), or None when
    it is no name."""
    name = NAME_PREFIX.sub("", without_correction(single_line(str(value or "")))).strip(" .!")
    if not 1 < len(name) <= 100 or not re.search(r"[^\W\d_]", name) or name.lower() in NOT_A_NAME or "/" in name[:1]:
        return None
    if YES_WORDS.match(name) or NO_WORDS.match(name):  # 'yes please' typed at the name step is no name
        return None
    return name


def checked_organisation(value: Any) -> str | None:
    """The organisation as kept ('none' for no organisation), or None when it is no name of one."""
    organisation = single_line(str(value or ""))
    if organisation == "/deny" or NO_WORDS.match(organisation):
        return "none"
    if not 1 < len(organisation) <= 200 or organisation.startswith("/") or YES_WORDS.match(organisation) \
            or "@" in organisation:  # a mistyped address ('claire@aerocoat') is no organisation
        return None
    return organisation


def checked_email(value: Any) -> str | None:
    """The e-mail address in the text, normalised, or None."""
    said = single_line(str(value or ""))
    found = re.search(r"[^\s<>,;:()]+@[^\s<>,;:()]+", said)
    return normalise_email(found.group(0).rstrip(".") if found else said)


def checked_phone(value: Any) -> str | None:
    """The phone number, or None when it is none."""
    phone = single_line(str(value or ""))
    return phone if is_phone_number(phone) else None


CHECKS = {"name": checked_name, "organisation": checked_organisation, "email": checked_email, "phone": checked_phone}
DETAIL_STEPS = ("name", "organisation", "email", "phone", "need", "review")


def labels(fields: list[str], lang: str) -> str:
    """'name, organisation and e-mail' in `lang`."""
    names = [text(f"field.{f}", lang) for f in fields]
    return names[0] if len(names) == 1 else text("list.and", lang, first=", ".join(names[:-1]), last=names[-1])


def details_given(said: str, asked: str | None, name: str | None = None) -> tuple[dict[str, str], tuple[str, ...]]:
    """(the contact fields `said` gives, checked; its unmarked rest) for a message typed at step `asked`, the name
    given so far being `name`."""
    details = read_details(said, asked, name)
    checked = {field: CHECKS[field](value) for field, value in details.found.items()}
    return {field: value for field, value in checked.items() if value is not None}, details.rest


def fields_typed(slot: str, said: str, name: str | None = None) -> dict[str, Any] | None:
    """The fields a message typed at step `slot` fills (the name given so far being `name`): the details it gives
    and, when it gives some, its unmarked rest as the step's own answer; at the name step the name with the
    organisation typed after it, with or without other details ('Jane Doe from Acme Coatings', 'Luc, SkyDrop,
    luc@…'), a correction's opening words never part of it ('Correction - John Smith'). None when it fills no other
    field."""
    given, rest = details_given(said, slot, name)
    fields: dict[str, Any] = dict(given)
    if slot == "name" and "name" not in given and rest:
        named = name_first(rest if given else (without_correction(said),))  # unsplit when whole: 'Dr. Jane Doe'
        if not given and ("organisation" not in named or looks_like_question(said)):
            return None  # the name alone (or a question), checked as typed
        fields["name"] = checked_name(named.get("name") or rest[0])
        if "organisation" in named and "organisation" not in given:
            fields["organisation"] = checked_organisation(named["organisation"])
        return fields
    if not given:
        return None
    if slot == "need" and rest:
        fields["need"] = ", ".join(rest)[:1000]
    elif slot == "organisation" and "organisation" not in given and rest:
        fields["organisation"] = checked_organisation(rest[0])
    return fields


def changed_to_yes(said: str) -> bool:
    """A visitor who refused consent says yes after all ('actually yes', 'En fait oui, d'accord', 'Eigentlich ja')."""
    opening = CORRECTING.match(said)
    return yes_or_no(said[opening.end():] if opening else said) is True


def need_in(description: str | None) -> str | None:
    """What the visitor wants, when the description already says it ('… and we are looking for funding'); a
    question it asks about it is kept whole ('what funding can we get for the R&D?', not 'funding can we get …')."""
    asked = asked_in(description or "")
    if asked and NEED_WORDS.search(asked):
        return asked.strip()
    found = NEED_WORDS.search(description or "")
    return found.group(0).strip(" .") if found else None


class ValidateContactForm(ListeningForm):
    """Consent decides which details are asked; each detail is checked before it is kept; commands are heard."""

    steps = ("cluster", "consent", "name", "organisation", "email", "phone", "need", "review")  # as the visitor saw them

    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        consent = tracker.get_slot("consent")
        # The cluster is open while it is asked: the text just typed at that step is still to be checked.
        cluster_open = tracker.get_slot("cluster") is None or tracker.get_slot("requested_slot") == "cluster"
        routed = tracker.get_slot("project_description") and cluster_open
        if consent is not True and consent is not False:  # not asked yet, or the text just typed to be checked
            back = routed and tracker.get_slot("enquiry_kind") != "privacy" and not tracker.get_slot("handoff_requested")
            return ["cluster", "consent"] if back else ["consent"]  # 'go back' from consent: the proposal again
        if consent is False:
            return ["need"]
        if tracker.get_slot("enquiry_kind") == "privacy":
            return ["name", "email", "need", "review"]
        slots = ["cluster"] if routed else []
        slots += ["name", "organisation", "email"]
        if tracker.get_slot("phone_wanted"):
            slots.append("phone")
        return slots + ["need", "review"]

    def to_person(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """A person is wanted: the same form goes on in hand-off mode (a refused consent is asked again)."""
        say(dispatcher, "form.handoff_noted", language(tracker))
        slots = {slot: None, "handoff_requested": True, "handoff_reason": "visitor_asked"}
        if tracker.get_slot("consent") is False:
            slots.update(consent=None, consent_asked_again=True)
        return slots

    def validate_consent(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("consent", value, dispatcher, tracker)
        if heard is not None:
            return heard
        said = str(value or "").strip()
        answer = yes_or_no(said, intent_of(tracker))
        typed = fields_typed("name", YES_START.sub("", said)) or {}
        if answer is None and typed:  # details typed as the answer are given to be kept, unless it opens with a no
            answer = yes_or_no(re.split(r"[,.;:!]", said)[0]) is not False
        if answer is None:  # a name typed here is no yes: the question is asked again, saying why
            say(dispatcher, "consent.unanswered", language(tracker))
            return {"consent": None}
        if answer is False:
            say(dispatcher, "consent.refused", language(tracker))
            return {"consent": False, **{slot: None for slot in PERSONAL}}
        # "Prefer not to say" on the anonymous path was no answer for an advisor: ask for the need again.
        return {"consent": True, **({"need": None} if tracker.get_slot("need") == "none" else {}),
                **self.earlier_details(tracker), **{f: v for f, v in typed.items() if v}}

    def earlier_details(self, tracker: Tracker) -> dict[str, str]:
        """The contact details the visitor typed before consenting (in the project's description, with a request
        for a person, in the consent answer), the latest of each; never an address of the agency's own."""
        own = {a.email.lower() for a in services.knowledge().advisors.advisors} | {services.settings().general_inbox.lower()}
        typed = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
        found: dict[str, str] = {}
        for said in typed:
            if not said.startswith("/"):  # a button's payload carries no details
                found.update(details_given(said, None)[0])
        if found.get("email", "").lower() in own:
            del found["email"]
        return found

    def take_details(self, slot: str, said: str, dispatcher: CollectingDispatcher,
                     tracker: Tracker) -> dict[str, Any] | None:
        """Details typed at a detail step or the review: each goes to its own field ('I'm Luc Hoffmann from SkyDrop,
        luc@example.lu'; an address is never a name), a correction of an earlier one replaces it and the step is
        asked again ('sorry, typo - my name is John Muller'); the unmarked rest answers the step itself."""
        fields = fields_typed(slot, said, tracker.get_slot("name")) if slot in DETAIL_STEPS else None
        if fields is None:
            return None
        lang = language(tracker)
        others = {f: v for f, v in fields.items() if f != slot and v is not None}
        changed = [f for f in others if tracker.get_slot(f) not in (None, others[f])]
        noted = [f for f in others if f not in changed and tracker.get_slot(f) != others[f]]
        if changed:
            say(dispatcher, "form.updated", lang, label=labels(changed, lang))
        if noted:
            say(dispatcher, "form.noted", lang, labels=labels(noted, lang))
        return {slot: None, **fields, "review": None}

    def corrected_field(self, value: str, slot: str, tracker: Tracker) -> str | None:
        """What 'sorry, it should be …' corrects: an address or a number its field; else the name or organisation
        just given (at the step after it), or the one being asked; never the need or the cluster."""
        if EMAIL.search(value):
            return "email"
        if PHONE.search(value):
            return "phone"
        before = self.previous_step(slot, tracker)
        if before in ("name", "organisation"):
            return before
        return slot if slot in ("name", "organisation") else None

    def decline_contact(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Nobody is to contact the visitor: no personal details are kept and the enquiry is logged anonymously
        (in hand-off mode too), without asking for anything more; declined at the proposal, with the cluster proposed."""
        say(dispatcher, "consent.refused", language(tracker))
        proposed = {"cluster": tracker.get_slot("route_cluster") or NO_CLUSTER} if slot == "cluster" else {}
        return {slot: None, **proposed, "consent": False, **{p: None for p in PERSONAL}, "review": None,
                "need": tracker.get_slot("need") or "none"}

    def validate_cluster(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return self.listen("cluster", value, dispatcher, tracker) or choose_cluster(value, dispatcher, tracker)

    def validate_name(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("name", value, dispatcher, tracker)
        if heard is not None:
            return heard
        name = checked_name(value)
        if name is None:
            say(dispatcher, "invalid.name", language(tracker))
        return {"name": name}

    def validate_organisation(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("organisation", value, dispatcher, tracker)
        if heard is not None:
            return heard
        organisation = checked_organisation(value)
        if organisation is None:
            say(dispatcher, "invalid.organisation", language(tracker))
        return {"organisation": organisation}

    def validate_email(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("email", value, dispatcher, tracker)
        if heard is not None:
            return heard
        email = checked_email(value)
        if email is None:
            say(dispatcher, "invalid.email", language(tracker))
        return {"email": email}

    def validate_phone(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("phone", value, dispatcher, tracker)
        if heard is not None:
            return heard
        phone = single_line(str(value or ""))
        if phone == "/deny" or NO_WORDS.match(phone):
            return {"phone": "skipped", "phone_wanted": False}
        if checked_phone(phone) is None:
            say(dispatcher, "invalid.phone", language(tracker))
        return {"phone": checked_phone(phone)}

    def validate_need(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("need", value, dispatcher, tracker)
        if heard is not None:
            return heard
        need = " ".join(str(value or "").split())
        if need == "/deny" or (tracker.get_slot("consent") is False and NO_WORDS.match(need)):
            return {"need": "none"}
        if tracker.get_slot("consent") is False and changed_to_yes(need):  # 'En fait oui, d'accord': consent again
            return {"need": None, "consent": None}
        if len(need.split()) < 2 and not re.search(r"[^\W\d_]{4,}", need) or need.startswith("/"):
            say(dispatcher, "invalid.need", language(tracker))
            return {"need": None}
        return {"need": need[:1000]}

    def validate_review(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        said = str(value or "").strip()
        found = command(said)
        if found is not None and found.kind == "change" and found.field == "phone":
            return {"review": None, "phone": None, "phone_wanted": True}
        heard = self.listen("review", value, dispatcher, tracker)
        if heard is not None:
            return heard
        if yes_or_no(said, intent_of(tracker)) is True:
            return {"review": "send"}
        say(dispatcher, "invalid.review", language(tracker))
        return {"review": None}


class ActionAskConsent(AskAction):
    """Asks for consent, naming the advisor; after a refusal, asked again only for a person, with the reason."""

    slot = "consent"

    def prompt(self, tracker: Tracker) -> str:
        return "ask.consent.again" if tracker.get_slot("consent_asked_again") else "ask.consent"

    def params(self, tracker: Tracker) -> dict[str, Any]:
        if tracker.get_slot("enquiry_kind") == "privacy":
            return {"advisor": text("privacy.team", language(tracker))}
        return {"advisor": tracker.get_slot("advisor_name") or text("route.where.general", language(tracker))}


class ActionAskCluster(Action):
    """Propose the routed cluster and advisor with the reason, or list the clusters to choose from."""

    def name(self) -> str:
        return "action_ask_cluster"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        propose(dispatcher, tracker)
        return language_events(tracker)


def field_payload(field: str) -> str:
    """The payload of a 'Change <field>' button."""
    return "/inform" + json.dumps({"field": field})


def masked(field: str, value: str) -> str:
    """Personal data shown in a later turn only in part (issue 13, finding 5: a conversation id is a bearer
    token): 'j•••@acme.lu', 'J•••', '••• 63-1'."""
    if field == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}•••@{domain}"
    if field == "phone":
        return f"••• {value.replace(' ', '')[-4:]}"
    return f"{value[:1]}•••"


def review_lines(tracker: Tracker) -> list[tuple[str, str]]:
    """(field, value shown) for what will be sent; name, organisation, e-mail and phone masked."""
    lang, knowledge = language(tracker), services.knowledge()
    cluster = knowledge.cluster(tracker.get_slot("cluster"))
    shown = {
        "name": tracker.get_slot("name"),
        "organisation": tracker.get_slot("organisation"),
        "email": tracker.get_slot("email"),
        "phone": tracker.get_slot("phone") if tracker.get_slot("phone") not in (None, "skipped") else None,
        "project_description": tracker.get_slot("project_description"),
        "cluster": f"{cluster.name} ({cluster.full_name})" if cluster else None,
        "need": tracker.get_slot("need"),
    }
    for field in ("name", "organisation", "email", "phone"):
        if shown[field] and shown[field] != "none":
            shown[field] = masked(field, shown[field])
    if shown["organisation"] == "none":
        shown["organisation"] = text("field.none", lang)
    if tracker.get_slot("enquiry_kind") == "privacy":
        shown["cluster"] = shown["project_description"] = None
    return [(field, value) for field, value in shown.items() if value]


class ActionAskReview(Action):
    """'Here is what I'll send to <advisor>: …' with Send and a change button per field and for the cluster."""

    def name(self) -> str:
        return "action_ask_review"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        lang = language(tracker)
        lines = review_lines(tracker)
        summary = "\n".join(text("review.line", lang, label=text(f"field.{f}", lang).capitalize(), value=v)
                            for f, v in lines)
        buttons = [{"title": text("review.send_button", lang), "payload": "/affirm"}]
        buttons += [{"title": text("review.change_button", lang, label=text(f"field.{f}", lang)),
                     "payload": field_payload(f)} for f, _ in lines if f != "project_description"]
        if not tracker.get_slot("phone_wanted") and tracker.get_slot("phone") in (None, "skipped"):
            buttons.append({"title": text("review.add_phone_button", lang), "payload": '/inform{"field":"phone"}'})
        if tracker.get_slot("enquiry_kind") == "privacy":
            advisor = text("privacy.team", lang)
        else:
            advisor = tracker.get_slot("advisor_name") or text("route.where.general", lang)
        say(dispatcher, "ask.review", lang, buttons=buttons, advisor=advisor, summary=summary)
        return language_events(tracker)


class ActionLogContact(Action):
    """Log the enquiry once; with contact details its advisor is mailed; tell the visitor what happens next. Then
    the bot listens (also when a form ended early to log the project anonymously)."""

    def name(self) -> str:
        return "action_log_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        kind = "privacy" if tracker.get_slot("enquiry_kind") == "privacy" else "project"
        reason = "privacy" if kind == "privacy" else "project"
        if kind == "project" and not tracker.get_slot("project_description"):
            kind = "question"
        return submit(dispatcher, tracker, kind, reason) + [SlotSet("consent_asked_again", False),
                                                            FollowupAction("action_listen")]
