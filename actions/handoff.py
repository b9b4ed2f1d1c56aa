"""Hand the conversation to a person: make sure we can reply, then queue the e-mail with the enquiry."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.answers import note_followup, respond
from actions.asks import say
from actions.conversation import consecutive_fallbacks, language, language_events
from actions.enquiry import without_details
from actions.notify import submit

REASON_BY_INTENT = {
    "request_human": "visitor_asked",
    "not_helpful": "not_helpful",
    "complain": "complaint",
    "confidential": "confidential",
}
FORM_PROMPTS = {"name", "organisation", "email", "phone", "need", "consent", "project_description"}


def start_handoff(tracker: Tracker, dispatcher: CollectingDispatcher, reason: str) -> list[Any]:
    """Open the contact form in hand-off mode; a visitor who refused consent is asked once more, with the reason.
    An enquiry already sent with contact details is not sent twice: the visitor is told who has it."""
    lang = language(tracker)
    if tracker.get_slot("enquiry_logged") and tracker.get_slot("consent") and tracker.get_slot("email"):
        note_followup(dispatcher, tracker)
        say(dispatcher, "handoff.already", lang, advisor=tracker.get_slot("advisor_name") or "")
        return [FollowupAction("action_listen")]  # not the contact form the rules go on to
    say(dispatcher, f"handoff.{reason}", lang)
    events: list[Any] = [SlotSet("handoff_requested", True), SlotSet("handoff_reason", reason), SlotSet("review", None)]
    if tracker.active_loop.get("name"):
        events.append(ActiveLoop(None))
    if tracker.get_slot("consent") is False:
        events += [SlotSet("consent", None), SlotSet("consent_asked_again", True)]
    return events + language_events(tracker) + [FollowupAction("contact_form")]


class ActionStartHandoff(Action):
    """The visitor asked for a person, said the answer didn't help, complained or has a confidential project."""

    def name(self) -> str:
        return "action_start_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        if intent in ("confidential", "request_human"):  # 'Who handles car suppliers? I'd like to stay anonymous': routed, no details
            declined = without_details(dispatcher, tracker)
            if declined is not None:
                return declined
        return start_handoff(tracker, dispatcher, REASON_BY_INTENT.get(intent, "visitor_asked"))


class ActionFallback(Action):
    """Say the bot didn't understand; twice in a row, hand off to a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        lang = language(tracker)
        events, reading = respond(dispatcher, tracker, services.knowledge())
        if events is not None:
            # Unless routing takes over, end the turn as Rasa's own fallback does, so the policy listens
            # instead of predicting this action again. The revert comes first: it undoes every event after
            # the visitor's message, and the answer's slots (what a follow-up refers to) must stay.
            kept = language_events(tracker)
            return events + kept if reading.routes else [UserUtteranceReverted(), *events, *kept]
        if tracker.get_slot("enquiry_logged"):
            return [UserUtteranceReverted(), *note_followup(dispatcher, tracker, announce=True), *language_events(tracker)]
        if consecutive_fallbacks(tracker) >= 2 and not tracker.get_slot("handoff_requested"):
            return start_handoff(tracker, dispatcher, "not_understood")
        say(dispatcher, "fallback", lang)
        return [UserUtteranceReverted(), *language_events(tracker)]


class ActionHandoff(Action):
    """Queue the e-mail to the advisor with the enquiry, in one transaction, and say who answers when."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        reason = tracker.get_slot("handoff_reason") or "visitor_asked"
        events = submit(dispatcher, tracker, "handoff", reason, status="handed_off", handoff_reason=reason,
                        bot_unsure=reason in ("not_understood", "not_helpful"))
        return events + [SlotSet("consent_asked_again", False)]
