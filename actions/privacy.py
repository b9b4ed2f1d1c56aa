"""A request to see or delete one's data: the privacy answer, and with the visitor's say-so a privacy request
(an enquiry of kind "privacy", mailed to the general inbox, handled on the console's privacy page)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.answers import answer_entry
from actions.asks import say, text
from actions.conversation import language
from actions.enquiry import without_details

ERASURE_TOPIC = "privacy-erasure"


class ActionPrivacy(Action):
    """Answer what happens to the visitor's data and offer to pass on a privacy request."""

    def name(self) -> str:
        return "action_privacy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        declined = without_details(dispatcher, tracker)  # 'I don't want to leave any details': no privacy request
        if declined is not None:
            return declined
        entries = services.knowledge().index.entries
        entry = entries.get(ERASURE_TOPIC) or entries.get("privacy")
        events = answer_entry(dispatcher, tracker, entry) if entry is not None else []
        say(dispatcher, "privacy.offer", language(tracker))
        said = " ".join((tracker.latest_message.get("text") or "").split())[:1000]
        return events + [SlotSet("privacy_said", said)]


class ActionPrivacyRequest(Action):
    """The visitor wants the request passed on: ask who they are and where to answer (consent is their say-so)."""

    def name(self) -> str:
        return "action_privacy_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        events: list[Any] = [SlotSet("enquiry_kind", "privacy"), SlotSet("consent", True), SlotSet("review", None),
                             SlotSet("need", tracker.get_slot("privacy_said") or None), SlotSet("enquiry_logged", False)]
        if tracker.active_loop.get("name"):
            events.append(ActiveLoop(None))
        return events + [FollowupAction("contact_form")]


class ActionPrivacyDeclined(Action):
    """No request after all: nothing is passed on; the general contact is given."""

    def name(self) -> str:
        return "action_privacy_declined"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        lang = language(tracker)
        say(dispatcher, "privacy.declined", lang, agency_contact=text("agency_contact", lang))
        return []
