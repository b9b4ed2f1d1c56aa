"""A form that listens: while it asks for free text, the text is the answer unless it is an explicit command
(actions.commands); commands and corrections are handled here, in the validation, never by an intent guess."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.answers import answer_slots
from actions.asks import say, text
from actions.commands import POLITE_NO, Command, command
from actions.conversation import answer_language, language
from actions.language import answer_language_asked
from actions.routes import about_the_proposal, reroute, routes_somewhere

# Pseudo-slots a validation returns to steer the form; run() turns them into events and never stores them.
END = "form_end"  # the form stops (requested_slot None), then the bot listens
FOLLOWUP = "form_followup"  # the form stops, then this action runs
CONTROL = {END, FOLLOWUP}


def looks_like_question(said: str) -> bool:
    """A question typed where a short answer was asked ('how much funding can we get?')."""
    return said.rstrip().endswith("?") and len(said.split()) >= 3


def steered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A validation's events with its pseudo-slots (END, FOLLOWUP) turned into the form's stop and what runs next."""
    control = {e["name"]: e["value"] for e in events if e.get("event") == "slot" and e.get("name") in CONTROL}
    kept = [e for e in events if not (e.get("event") == "slot" and e.get("name") in CONTROL)]
    if not any(control.values()):
        return kept
    kept = [e for e in kept if not (e.get("event") == "slot" and e.get("name") == "requested_slot")]
    return kept + [SlotSet("requested_slot", None), FollowupAction(control.get(FOLLOWUP) or "action_listen")]


class ListeningForm(FormValidationAction, ABC):
    """Validation that hears commands first; subclasses list their steps in `steps` for 'go back'."""

    steps: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str:
        """validate_<form>."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        return steered(await super().run(dispatcher, tracker, domain))

    def previous_step(self, slot: str, tracker: Tracker) -> str | None:
        """The step before `slot` that the visitor answered (for 'go back')."""
        if slot not in self.steps:
            return None
        earlier = [s for s in self.steps[: self.steps.index(slot)] if tracker.get_slot(s) is not None]
        return earlier[-1] if earlier else None

    def to_person(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """'Talk to a person' typed at this step."""
        return {slot: None, FOLLOWUP: "action_start_handoff"}

    def decline_contact(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Nobody is to contact the visitor ('no thanks, I'll contact them myself'): a routed project is logged
        anonymously with the cluster proposed (and the visitor told who has it); without one, the form just ends."""
        if not tracker.get_slot("project_description"):
            say(dispatcher, "only_questions", language(tracker))
            return {slot: None, END: True}
        return {slot: None, "cluster": tracker.get_slot("route_cluster") or "none", "consent": False,
                "need": tracker.get_slot("need") or "none", FOLLOWUP: "action_log_contact"}

    def corrected_field(self, value: str, slot: str, tracker: Tracker) -> str | None:
        """The field a correction that names none ('sorry, I meant John Smith') corrects, or None when this form
        has none it could be (the text is then checked as the answer)."""
        return None

    def take_details(self, slot: str, said: str, dispatcher: CollectingDispatcher,
                     tracker: Tracker) -> dict[str, Any] | None:
        """The slots contact details typed at this step set (several at once, or an earlier one corrected), or None
        when the text says none; a form without contact fields hears none."""
        return None

    def listen(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any] | None:
        """The slots a command at this step sets, or None when the text is to be checked as the answer. Contact
        details in the text come before a correction's reading of it ('my e-mail is actually …')."""
        said = str(value or "").strip()
        found = command(said)
        if found is None and slot == "cluster" and POLITE_NO.match(said):
            found = Command("no_contact")
        if found is not None and found.kind == "reroute" and found.field is None \
                and not routes_somewhere(found.text, language(tracker)):  # 'sorry, it should be John Smith'
            corrected = self.corrected_field(found.text, slot, tracker)  # never a re-routing: the detail just given
            found = Command("change", corrected, found.text) if corrected else None
        if (found is None or found.kind in ("change", "reroute")) and not said.startswith("/"):
            taken = self.take_details(slot, said, dispatcher, tracker)
            if taken is not None:
                return taken
        if found is None or found.kind in ("affirm", "deny"):
            if self.asks_here(slot, said, tracker):
                return {slot: None, **self.answer_inline(said, dispatcher, tracker)}
            return None
        return self.obey(found, slot, dispatcher, tracker)

    def asks_here(self, slot: str, said: str, tracker: Tracker) -> bool:
        """A question typed at this step, to be answered before the step is asked again: never at the need or
        description step (a question is the need there), at the proposal only when it is no answer to it."""
        if slot in ("need", "project_description") or said.startswith("/") or not looks_like_question(said):
            return False
        return slot != "cluster" or not about_the_proposal(said, tracker)

    def obey(self, found: Command, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Carry out a command typed at `slot`."""
        lang = language(tracker)
        if found.kind in ("cancel", "only_questions"):
            say(dispatcher, "cancelled" if found.kind == "cancel" else "only_questions", lang)
            return {slot: None, "review": None, "handoff_requested": False, END: True}
        if found.kind == "human":
            return self.to_person(slot, dispatcher, tracker)
        if found.kind == "no_contact":
            return self.decline_contact(slot, dispatcher, tracker)
        if found.kind == "language":  # the step is asked again, in the language asked for
            said = tracker.latest_message.get("text") or ""
            picked = lang == "lb" and answer_language_asked(said)
            say(dispatcher, f"language.answers_in.{answer_language(tracker)}" if picked else "language.switched", lang)
            return {slot: None}
        if found.kind == "back":
            before = self.previous_step(slot, tracker)
            say(dispatcher, "form.back", lang)
            return {slot: None, **({before: None} if before else {})}
        if found.kind == "reroute":
            return {slot: None, "review": None, **reroute(found.text, dispatcher, tracker)}
        field = found.field or slot
        if field not in self.steps:
            say(dispatcher, "not_caught", lang)
            return {slot: None}
        slots: dict[str, Any] = {slot: None, "review": None, field: None}
        validate = getattr(self, f"validate_{field}", None)
        if found.text and validate is not None:  # 'my e-mail should be jane@acme.lu': the new value, checked
            slots.update(validate(found.text, dispatcher, tracker, {}))
        changed = slots.get(field) is not None
        say(dispatcher, "form.updated" if changed else "form.change", lang, label=text(f"field.{field}", lang))
        if field == "cluster":
            slots["route_cluster"] = None
        return slots

    def answer_inline(self, said: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Answer a question asked at a step, or say honestly that an advisor can (the step is then asked again)."""
        answer = services.knowledge().answer(said, language(tracker), tracker.get_slot("last_topic"))
        if answer.best is None:
            say(dispatcher, "answer.unsure.in_form", language(tracker))
            return {}
        return answer_slots(dispatcher, tracker, answer.best.entry)
