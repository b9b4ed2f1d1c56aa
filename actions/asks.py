"""The contact form's questions, one action per slot, with their texts in actions/prompts.yml."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.utils import call_potential_coroutine

from actions.contact import PERSONAL, ValidateContactForm
from actions.enquiry import ValidateEnquiryForm

PROMPTS = Path(__file__).with_name("prompts.yml")


@lru_cache(maxsize=1)
def prompts() -> dict[str, dict[str, Any]]:
    """The prompt texts and buttons, read once."""
    return yaml.safe_load(PROMPTS.read_text(encoding="utf-8"))


def say(dispatcher: CollectingDispatcher, key: str) -> None:
    """Send the prompt `key` with its buttons."""
    prompt = prompts()[key]
    dispatcher.utter_message(text=prompt["text"], buttons=prompt.get("buttons") or [])


CANCEL_WORDS = re.compile(r"\b(stop|cancel|never ?mind|forget (it|that)|quit|abort|don'?t want)\b", re.I)
FREE_TEXT_SLOTS = {"project_description", *PERSONAL}


@lru_cache(maxsize=1)
def form_validators() -> dict[str, Any]:
    """The validation action of each form, by form name."""
    return {"contact_form": ValidateContactForm(), "enquiry_form": ValidateEnquiryForm()}


class ActionCancel(Action):
    """Stop the current form, unless the 'cancel' was really the answer the form asked for."""

    def name(self) -> str:
        return "action_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        loop = tracker.active_loop.get("name")
        requested = tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text") or ""
        if loop and requested in FREE_TEXT_SLOTS and not CANCEL_WORDS.search(text):
            # A name such as 'Orbit SARL' can look like 'cancel' to the classifier: it is the answer, checked
            # by the form's own validation (which Rasa won't run for a slot an action sets).
            validate = getattr(form_validators()[loop], f"validate_{requested}")
            slots = await call_potential_coroutine(validate(text, dispatcher, tracker, domain))
            return [SlotSet(slot, value) for slot, value in slots.items()] + [FollowupAction(loop)]
        say(dispatcher, "cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] if loop else []


class AskAction(Action, ABC):
    """Asks for `slot` with its prompt."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        say(dispatcher, self.slot)
        return []


class ActionAskConsent(AskAction):
    slot = "consent"


class ActionAskProfile(AskAction):
    slot = "profile"


class ActionAskName(AskAction):
    slot = "name"


class ActionAskOrganisation(AskAction):
    slot = "organisation"


class ActionAskEmail(AskAction):
    slot = "email"


class ActionAskPhone(AskAction):
    slot = "phone"
