"""The contact form: consent once, then name, organisation, e-mail, what the advisor should help with, and a
review of what will be sent (each field changeable); then the enquiry is logged and its advisor mailed."""
from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.asks import AskAction, say, text
from actions.commands import NO_WORDS, command, yes_or_no
from actions.conversation import intent_of, language, language_events
from actions.listening import ListeningForm
from actions.notify import submit
from actions.routes import choose_cluster, propose
from handoff.compose import single_line
from members.enquiries import is_phone_number, normalise_email

PERSONAL = ["name", "organisation", "email", "phone"]
NOT_A_NAME = {"yes", "ok", "okay", "sure", "yep", "fine", "why", "what", "no", "none", "skip"}
NAME_PREFIX = re.compile(r"^(my name is|my name's|i am|i'm|im|this is|name:|je m'appelle|ich bin|ich heiße|ech sinn)\s+",
                         re.I)
NEED_WORDS = re.compile(r"\b(?:looking for|look for|we need|i need|need help|seek(?:ing)?|searching for|help (?:with|us|me)|"
                        r"want to (?:apply|get|find|know|meet)|would like to|funding|finance|financing|grant|subsid|"
                        r"partner|advice|support)\b.*", re.I)


def need_in(description: str | None) -> str | None:
    """What the visitor wants, when the description already says it ('… and we are looking for funding')."""
    found = NEED_WORDS.search(description or "")
    return found.group(0).strip(" .") if found else None


class ValidateContactForm(ListeningForm):
    """Consent decides which details are asked; each detail is checked before it is kept; commands are heard."""

    steps = ("consent", "cluster", "name", "organisation", "email", "phone", "need", "review")

    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        consent = tracker.get_slot("consent")
        if consent is not True and consent is not False:  # not asked yet, or the text just typed to be checked
            return ["consent"]
        if consent is False:
            return ["need"]
        if tracker.get_slot("enquiry_kind") == "privacy":
            return ["name", "email", "need", "review"]
        routed = tracker.get_slot("project_description")
        slots = ["cluster"] if routed and tracker.get_slot("cluster") is None else []
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
        answer = yes_or_no(value, intent_of(tracker))
        if answer is None:
            say(dispatcher, "not_caught", language(tracker))
            return {"consent": None}
        if answer is False:
            say(dispatcher, "consent.refused", language(tracker))
            return {"consent": False, **{slot: None for slot in PERSONAL}}
        # "Prefer not to say" on the anonymous path was no answer for an advisor: ask for the need again.
        return {"consent": True, **({"need": None} if tracker.get_slot("need") == "none" else {})}

    def validate_cluster(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        return self.listen("cluster", value, dispatcher, tracker) or choose_cluster(value, dispatcher, tracker)

    def validate_name(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("name", value, dispatcher, tracker)
        if heard is not None:
            return heard
        name = NAME_PREFIX.sub("", single_line(str(value or ""))).strip(" .!")
        if not 1 < len(name) <= 100 or not re.search(r"[^\W\d_]", name) or name.lower() in NOT_A_NAME or "/" in name[:1]:
            say(dispatcher, "invalid.name", language(tracker))
            return {"name": None}
        return {"name": name}

    def validate_organisation(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("organisation", value, dispatcher, tracker)
        if heard is not None:
            return heard
        organisation = single_line(str(value or ""))
        if organisation == "/deny" or NO_WORDS.match(organisation):
            return {"organisation": "none"}
        if not 1 < len(organisation) <= 200 or organisation.startswith("/"):
            say(dispatcher, "invalid.organisation", language(tracker))
            return {"organisation": None}
        return {"organisation": organisation}

    def validate_email(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("email", value, dispatcher, tracker)
        if heard is not None:
            return heard
        said = single_line(str(value or ""))
        found = re.search(r"[^\s<>,;:()]+@[^\s<>,;:()]+", said)
        email = normalise_email(found.group(0).rstrip(".") if found else said)
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
        if not is_phone_number(phone):
            say(dispatcher, "invalid.phone", language(tracker))
            return {"phone": None}
        return {"phone": phone}

    def validate_need(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        heard = self.listen("need", value, dispatcher, tracker)
        if heard is not None:
            return heard
        need = " ".join(str(value or "").split())
        if need == "/deny" or (tracker.get_slot("consent") is False and NO_WORDS.match(need)):
            return {"need": "none"}
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
        return f"••• {value[-4:]}"
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
    """Log the enquiry once; with contact details its advisor is mailed; tell the visitor what happens next."""

    def name(self) -> str:
        return "action_log_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        kind = "privacy" if tracker.get_slot("enquiry_kind") == "privacy" else "project"
        reason = "privacy" if kind == "privacy" else "project"
        if kind == "project" and not tracker.get_slot("project_description"):
            kind = "question"
        return submit(dispatcher, tracker, kind, reason) + [SlotSet("consent_asked_again", False)]
