"""The enquiry form: take the project description, route it to a cluster and advisor, let the visitor confirm,
pick another cluster or correct the routing in words."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answers import answer_question_part, note_followup, start_enquiry
from actions.asks import say, text
from actions.commands import NO_CONTACT, command
from actions.contact import need_in
from actions.conversation import language, language_events
from actions.listening import CONTROL, FOLLOWUP, ListeningForm, steered
from actions.notify import log_anonymously
from actions.routes import NO_CLUSTER, choose_cluster, route, route_slots
from knowledge.understanding import asks_who_to_contact


def described(found) -> bool:
    """A routing made on the words of a cluster's vocabulary ('seat frames', 'car makers'): the message tells of a
    project, and is not only a wish ('I don't want to leave any details', which resembles some cluster's examples)."""
    return found.best is not None and bool(found.best.terms)


def declined_earlier(tracker: Tracker) -> bool:
    """The visitor said before this message that nobody is to contact them ('I only want to know who to contact, I
    don't want to leave my details'), and has not consented since."""
    if tracker.get_slot("consent") is True:
        return False
    typed = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"][:-1]
    return any(NO_CONTACT.search(said) for said in typed if not said.startswith("/"))


# What asks for one's own data rather than declining to leave it ('delete my data', 'what do you store about me').
ABOUT_OWN_DATA = re.compile(r"\b(?:delet|eras|remov|export|access|gdpr|what (?:data )?(?:do|did) you (?:hold|store|keep)|"
                            r"supprim|effac|rgpd|l[öo]sch|auskunft|einseh|dsgvo)", re.I)


def without_details(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[Any] | None:
    """Outside a form, a visitor who wants to leave no details ('I only want to know who to contact, I don't want to
    leave my details', which the NLU may take for a privacy request or a confidential project): a project they
    described is routed and logged anonymously, and they are told who has it; before any project, the project is
    asked for (the description that follows is routed and logged the same way). None when the message is no such
    wish."""
    said = (tracker.latest_message.get("text") or "").strip()
    if said.startswith("/") or not NO_CONTACT.search(said) or ABOUT_OWN_DATA.search(said) \
            or tracker.get_slot("enquiry_logged"):
        return None
    if described(route(said, language(tracker))):  # the project is in this very message
        return start_enquiry(dispatcher, tracker, said)
    if tracker.get_slot("project_description") and tracker.get_slot("route_cluster"):
        return [SlotSet("cluster", tracker.get_slot("route_cluster")), SlotSet("consent", False),
                SlotSet("need", tracker.get_slot("need") or "none"), FollowupAction("action_log_contact")]
    say(dispatcher, "consent.refused", language(tracker))
    say(dispatcher, "ask.project_description", language(tracker))  # the project that follows is routed, then logged
    return [SlotSet("topic", None)]


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
        tracker.slots.update({k: v for k, v in slots.items() if k not in CONTROL})
        return steered([SlotSet(k, v) for k, v in slots.items()] + await super().run(dispatcher, tracker, domain))

    def validate_project_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        said = str(value or "").strip()
        lang = language(tracker)
        draft = tracker.get_slot("project_draft") or ""
        description = f"{draft} {said}".strip()
        heard_command = command(said)
        # A project told with the wish to leave no details ('We make seat frames for car makers. I don't want to leave
        # my details, just tell me who to talk to') is routed first, then logged without them.
        declining = heard_command is not None and heard_command.kind == "no_contact" and not said.startswith("/")
        found = route(description, lang) if declining or heard_command is None else None
        if heard_command is not None and not (declining and found is not None and described(found)):
            heard = self.listen("project_description", said, dispatcher, tracker)
            if heard is not None:
                return heard
        if said.startswith("/") or len(said.split()) < 2:
            return {"project_description": None}
        found = found or route(description, lang)
        declining = declining or declined_earlier(tracker)
        if found.decision == "vague" and not tracker.get_slot("clarification_asked"):
            return {"project_description": None, "clarification_asked": True, "project_draft": description}
        slots: dict[str, Any] = {"project_description": description, "project_draft": None, "cluster": None,
                                 **route_slots(found, tracker)}
        if not tracker.get_slot("need") and need_in(description):
            slots["need"] = need_in(description)
        if found.best is None:
            say(dispatcher, "route.no_cluster", language(tracker), advisor=slots["advisor_name"])
            slots["cluster"] = NO_CLUSTER
        if declining:  # nobody is to contact the visitor: logged with its cluster, and the visitor told who has it
            return {**slots, "cluster": slots["route_cluster"] or NO_CLUSTER, "consent": False,
                    "need": slots.get("need") or "none", FOLLOWUP: "action_log_contact"}
        if asks_who_to_contact(tracker.latest_message.get("text") or ""):  # they may want no more than the name
            log_anonymously(tracker, slots)
            say(dispatcher, "route.who_to_contact", language(tracker),
                agency_contact=text("agency_contact", language(tracker)))
        return slots

    def validate_cluster(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.listen("cluster", value, dispatcher, tracker) or choose_cluster(value, dispatcher, tracker)
