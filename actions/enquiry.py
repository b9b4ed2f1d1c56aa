"""The enquiry form: take the project description, route it to a cluster and advisor, let the visitor confirm,
pick another cluster or correct the routing in words."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import answer_question_part, note_followup
from actions.asks import say, text
from actions.commands import command
from actions.contact import need_in
from actions.conversation import language, language_events
from actions.listening import ListeningForm
from actions.notify import log_anonymously
from actions.routes import NO_CLUSTER, choose_cluster, route, route_slots
from knowledge.understanding import asks_who_to_contact


class ActionAskProjectDescription(Action):
    """Ask for the project; after a vague description, ask the one clarifying question."""

    def name(self) -> str:
        return "action_ask_project_description"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        clarify = tracker.get_slot("clarification_asked") and tracker.get_slot("project_draft")
        say(dispatcher, "ask.project_description.clarify" if clarify else "ask.project_description", language(tracker))
        return language_events(tracker)


class ValidateEnquiryForm(ListeningForm):
    """Route descriptions and validate the cluster the visitor confirms or picks; commands are heard."""

    steps = ("project_description", "cluster")

    def name(self) -> str:
        return "validate_enquiry_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """On activation the message that started the form is the description (and its question is answered);
        after the enquiry was logged it is a follow-up instead."""
        said = (tracker.latest_message.get("text") or "").strip()
        if tracker.active_loop.get("name") == self.form_name() or said.startswith("/") or len(said.split()) < 3:
            return await super().run(dispatcher, tracker, domain)
        if tracker.get_slot("enquiry_logged"):
            return note_followup(dispatcher, tracker, announce=True) + [SlotSet("requested_slot", None),
                                                                         FollowupAction("action_listen")]
        if tracker.get_slot("project_description") is not None and tracker.slots_to_validate():
            return await super().run(dispatcher, tracker, domain)
        slots = answer_question_part(dispatcher, tracker, said)
        slots.update(self.validate_project_description(said, dispatcher, tracker, domain))
        tracker.slots.update(slots)
        return [SlotSet(k, v) for k, v in slots.items()] + await super().run(dispatcher, tracker, domain)

    def validate_project_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        said = str(value or "").strip()
        heard = self.listen("project_description", said, dispatcher, tracker) if command(said) else None
        if heard is not None:
            return heard
        if said.startswith("/") or len(said.split()) < 2:
            return {"project_description": None}
        draft = tracker.get_slot("project_draft") or ""
        description = f"{draft} {said}".strip()
        found = route(description, language(tracker))
        if found.decision == "vague" and not tracker.get_slot("clarification_asked"):
            return {"project_description": None, "clarification_asked": True, "project_draft": description}
        slots: dict[str, Any] = {"project_description": description, "project_draft": None, "cluster": None,
                                 **route_slots(found, tracker)}
        if not tracker.get_slot("need") and need_in(description):
            slots["need"] = need_in(description)
        if found.best is None:
            say(dispatcher, "route.no_cluster", language(tracker), advisor=slots["advisor_name"])
            slots["cluster"] = NO_CLUSTER
        if asks_who_to_contact(tracker.latest_message.get("text") or ""):  # they may want no more than the name
            log_anonymously(tracker, slots)
            say(dispatcher, "route.who_to_contact", language(tracker),
                agency_contact=text("agency_contact", language(tracker)))
        return slots

    def validate_cluster(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.listen("cluster", value, dispatcher, tracker) or choose_cluster(value, dispatcher, tracker)
