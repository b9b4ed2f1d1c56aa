"""The contact form (consent first, then details) and logging the enquiry in the member database."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.conversation import enquiry_record
from handoff.compose import single_line
from handoff.schedule import describe_reply
from members.enquiries import PROFILES, is_phone_number, normalise_email, profile_from_text

PERSONAL = ["name", "organisation", "email", "phone"]
SKIP = {"skip", "skipped", "no", "none", "nope", "no thanks", "/deny", "-", "n/a"}
NOT_A_NAME = SKIP | {"yes", "ok", "okay", "sure", "yep", "fine", "why", "what"}
NAME_PREFIX = re.compile(r"^(my name is|my name's|i am|i'm|im|this is|name:)\s+", re.I)
AGENCY_CONTACT = (
    "You can reach Luxinnovation directly at info@luxinnovation.lu or +352 43 62 63-1 "
    "(7, rue Alcide de Gasperi, L-1615 Luxembourg-Kirchberg)."
)


def reply_time() -> str:
    s = services.settings()
    return describe_reply(
        datetime.now(timezone.utc), s.working_days, s.working_start, s.working_end, s.timezone, s.reply_within_hours
    )


class ValidateContactForm(FormValidationAction):
    """Consent decides which details are asked; each detail is checked before it is kept."""

    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("consent") is False:
            return [s for s in domain_slots if s not in PERSONAL]
        return domain_slots

    def validate_consent(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if value is False:
            dispatcher.utter_message(text="Understood: I won't store any personal details.")
            return {"consent": False, **{slot: None for slot in PERSONAL}}
        return {"consent": value}

    def validate_profile(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        profile = value if value in PROFILES else profile_from_text(str(value or ""))
        if profile is None:
            dispatcher.utter_message(text="Sorry, I didn't catch that: please pick one of the buttons.")
        return {"profile": profile}

    def validate_name(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        name = NAME_PREFIX.sub("", single_line(str(value or ""))).strip(" .!")
        if not 1 < len(name) <= 100 or not re.search(r"[^\W\d_]", name) or name.lower() in NOT_A_NAME:
            dispatcher.utter_message(text="Please type your name (up to 100 characters).")
            return {"name": None}
        return {"name": name}

    def validate_organisation(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        organisation = single_line(str(value or ""))
        if organisation.lower() in SKIP:
            return {"organisation": "none"}
        if not 1 < len(organisation) <= 200:
            dispatcher.utter_message(text="Please type your organisation's name (up to 200 characters).")
            return {"organisation": None}
        return {"organisation": organisation}

    def validate_email(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        email = normalise_email(str(value or ""))
        if email is None:
            dispatcher.utter_message(
                text="That doesn't look like an e-mail address (like name@company.lu). Could you check it?"
            )
        return {"email": email}

    def validate_phone(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        phone = single_line(str(value or ""))
        if phone.lower() in SKIP:
            return {"phone": "skipped"}
        if not is_phone_number(phone):
            dispatcher.utter_message(text="That doesn't look like a phone number. Type it again, or 'skip'.")
            return {"phone": None}
        return {"phone": phone}


class ActionLogContact(Action):
    """Write the enquiry (and, with consent, the contact) once, and tell the visitor what happens next."""

    def name(self) -> str:
        return "action_log_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        record = enquiry_record(tracker, services.settings().privacy_notice_version)
        saved = services.save_enquiry(record)
        advisor = tracker.get_slot("advisor_name") or "One of our advisors"
        if saved is None:
            dispatcher.utter_message(
                text="I couldn't save your enquiry just now. It is kept safely and will reach "
                f"{advisor} as soon as our system is back; you don't need to do anything."
            )
        elif record.consent:
            dispatcher.utter_message(
                text=f"Thank you! Your enquiry is logged and {advisor} will contact you at the e-mail address "
                f"you gave {reply_time()}."
            )
        else:
            dispatcher.utter_message(
                text="Thank you. Your enquiry is logged without personal details, so we can't reply to you. "
                + AGENCY_CONTACT
            )
        return [SlotSet("enquiry_logged", True)]
