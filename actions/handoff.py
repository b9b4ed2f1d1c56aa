"""Hand the conversation to a person: make sure we can reply, then queue the e-mail with the enquiry."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.answers import respond
from actions.asks import prompts, say
from actions.contact import AGENCY_CONTACT, reply_time
from actions.conversation import consecutive_fallbacks, enquiry_record, open_question, transcript
from handoff.compose import HandoffFacts, handoff_mail

REASON_BY_INTENT = {
    "request_human": "visitor_asked",
    "not_helpful": "not_helpful",
    "complain": "complaint",
    "confidential": "confidential",
}
OPENING = {
    "visitor_asked": "Of course, I'll pass you to one of our advisors.",
    "not_helpful": "Sorry that didn't help. I'll pass your question to one of our advisors.",
    "complaint": "I'm sorry to hear that. A member of staff should handle this, so I'll pass it on.",
    "confidential": "A confidential project is best discussed with an advisor directly, so I'll pass it on "
    "without going into details here.",
    "not_understood": "I'm sorry, I'm not understanding you well. Let me pass you to a person.",
}


def start_handoff(tracker: Tracker, dispatcher: CollectingDispatcher, reason: str) -> list[Any]:
    """Open the contact form in hand-off mode; a visitor who refused consent is asked once more."""
    dispatcher.utter_message(text=OPENING[reason])
    events: list[Any] = [SlotSet("handoff_requested", True), SlotSet("handoff_reason", reason)]
    if tracker.active_loop.get("name"):
        events.append(ActiveLoop(None))
    if tracker.get_slot("consent") is False:
        events.append(SlotSet("consent", None))
    return events + [FollowupAction("contact_form")]


class ActionStartHandoff(Action):
    """The visitor asked for a person, said the answer didn't help, complained or has a confidential project."""

    def name(self) -> str:
        return "action_start_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        return start_handoff(tracker, dispatcher, REASON_BY_INTENT.get(intent, "visitor_asked"))


class ActionFallback(Action):
    """Say the bot didn't understand (re-asking the form's question); twice in a row, hand off to a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        requested = tracker.get_slot("requested_slot")
        if tracker.active_loop.get("name") and requested in prompts():
            dispatcher.utter_message(text="Sorry, I didn't catch that.")
            say(dispatcher, requested)
            return [UserUtteranceReverted()]
        events, reading = respond(dispatcher, tracker, services.knowledge())
        if events is not None:
            # Unless routing takes over, end the turn as Rasa's own fallback does, so the policy listens
            # instead of predicting this action again. The revert comes first: it undoes every event after
            # the visitor's message, and the answer's slots (what a follow-up refers to) must stay.
            return events if reading.kind == "route" else [UserUtteranceReverted(), *events]
        if consecutive_fallbacks(tracker) >= 2 and not tracker.get_slot("handoff_requested"):
            return start_handoff(tracker, dispatcher, "not_understood")
        say(dispatcher, "fallback")
        return [UserUtteranceReverted()]


class ActionHandoff(Action):
    """Queue the e-mail to the advisor with the enquiry, in one transaction, and say who answers when."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        settings = services.settings()
        knowledge = services.knowledge()
        reason = tracker.get_slot("handoff_reason") or "visitor_asked"
        record = enquiry_record(tracker, settings.privacy_notice_version, status="handed_off", handoff_reason=reason,
                                bot_unsure=reason in ("not_understood", "not_helpful"))
        advisor = next((a for a in knowledge.advisors.advisors if a.id == record.advisor_id), None)
        if advisor is None:
            advisor = next(a for a in knowledge.advisors.advisors if a.general)
            record.advisor_id = advisor.id
        cluster = knowledge.cluster(record.cluster_id)
        if record.consent:
            entries = knowledge.index.entries
            facts = HandoffFacts(
                conversation_id=tracker.sender_id, reason=reason, question=open_question(tracker),
                to_addr=advisor.email, advisor_name=advisor.name, name=record.name, email=record.email,
                phone=record.phone, organisation=record.organisation, profile=record.profile, consent=True,
                cluster_name=cluster.name if cluster else None, confidence=record.route_score,
                route_reason=record.route_reason,
                answered=tuple(entries[t].title for t in tracker.get_slot("answered_topics") or [] if t in entries),
                transcript=transcript(tracker), console_url=settings.console_url, language=record.language,
            )
            record.mails = [handoff_mail(facts)]
        saved = services.save_enquiry(record)
        events = [SlotSet("handoff_requested", False), SlotSet("enquiry_logged", True)]
        if not record.consent:
            dispatcher.utter_message(
                text="Without an e-mail address we can't reply to you from here. " + AGENCY_CONTACT
            )
        elif saved is None:
            dispatcher.utter_message(
                text=f"I couldn't reach our system just now, but your request is kept and will reach "
                f"{advisor.name} as soon as it is back. They will reply to the e-mail address you gave."
            )
        else:
            dispatcher.utter_message(
                text=f"Done: I've passed your enquiry to {advisor.name}, who will reply to the e-mail address "
                f"you gave {reply_time()}."
            )
        return events
