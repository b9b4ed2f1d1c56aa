"""The enquiry form: take the project description, route it to a cluster and advisor, let the visitor confirm."""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.conversation import language
from knowledge.routing import choose_advisor

NO_CLUSTER = "none"


def cluster_button(cluster_id: str, title: str) -> dict[str, str]:
    return {"title": title, "payload": "/inform" + json.dumps({"cluster": cluster_id})}


def advisor_slots(tracker: Tracker, cluster_id: str | None) -> dict[str, str]:
    """Choose the advisor for the cluster (general advisor for none): the slots that remember them."""
    knowledge = services.knowledge()
    advisor = choose_advisor(knowledge.advisors, cluster_id, language(tracker), services.advisor_load())
    return {"advisor_id": advisor.id, "advisor_name": advisor.name}


class ActionAskProjectDescription(Action):
    """Ask for the project; after a vague description, ask the one clarifying question."""

    def name(self) -> str:
        return "action_ask_project_description"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        if tracker.get_slot("clarification_asked"):
            dispatcher.utter_message(
                text="Could you tell me a little more so I can find the right advisor? "
                "For example: what technology or product is it about, and for which sector or market?"
            )
        else:
            dispatcher.utter_message(
                text="Tell me about your project or company in a sentence or two: "
                "what do you make or develop, and for which market?"
            )
        return []


class ActionAskCluster(Action):
    """Propose the routed cluster and advisor with the reason, or list the clusters to choose from."""

    def name(self) -> str:
        return "action_ask_cluster"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        knowledge = services.knowledge()
        proposed = knowledge.cluster(tracker.get_slot("route_cluster"))
        if proposed is None:
            buttons = [cluster_button(c.id, f"{c.name} ({c.full_name})") for c in knowledge.clusters]
            dispatcher.utter_message(
                text="Which cluster fits your project best?",
                buttons=buttons + [cluster_button(NO_CLUSTER, "None of these")],
            )
            return []
        others = [c for c in knowledge.clusters if c.id != proposed.id]
        dispatcher.utter_message(
            text=f"This sounds like a project for our {proposed.name} cluster ({proposed.full_name}): "
            f"{tracker.get_slot('route_reason')}. {tracker.get_slot('advisor_name')} would take it. Is that right?",
            buttons=[{"title": f"Yes, {proposed.name}", "payload": "/affirm"}]
            + [cluster_button(c.id, c.name) for c in others]
            + [cluster_button(NO_CLUSTER, "None of these")],
        )
        return []


class ValidateEnquiryForm(FormValidationAction):
    """Route descriptions and validate the cluster the visitor confirms or picks."""

    def name(self) -> str:
        return "validate_enquiry_form"

    def validate_project_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if text.startswith("/") or len(text.split()) < 2:
            return {"project_description": None}
        draft = tracker.get_slot("project_draft") or ""
        description = f"{draft} {text}".strip()
        route = services.knowledge().router.route(description)
        if route.decision == "vague" and not tracker.get_slot("clarification_asked"):
            return {"project_description": None, "clarification_asked": True, "project_draft": description}
        slots: dict[str, Any] = {"project_description": description, "project_draft": None}
        if route.best is None:
            slots.update(route_cluster=None, route_score=None, route_reason=route.reason, cluster=NO_CLUSTER)
            advisor = advisor_slots(tracker, None)
            dispatcher.utter_message(
                text="Your project doesn't fall within one of our clusters' topics, so our general advisor "
                f"{advisor['advisor_name']} will take it."
            )
            return {**slots, **advisor}
        slots.update(route_cluster=route.best.cluster.id, route_score=route.confidence, route_reason=route.reason)
        return {**slots, **advisor_slots(tracker, route.best.cluster.id)}

    def validate_cluster(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        knowledge = services.knowledge()
        choice = str(value or "").strip().lower()
        if choice == "confirmed":
            choice = tracker.get_slot("route_cluster") or ""
        elif choice == "rejected":
            return {"cluster": None, "route_cluster": None}
        elif choice not in {c.id for c in knowledge.clusters} | {NO_CLUSTER}:
            named = [c.id for c in knowledge.clusters if c.name.lower() in choice or c.id in choice]
            if len(named) != 1:
                return {"cluster": None, "route_cluster": None}
            choice = named[0]
        slots: dict[str, Any] = advisor_slots(tracker, None if choice == NO_CLUSTER else choice)
        cluster = knowledge.cluster(choice)
        if cluster and cluster.id != tracker.get_slot("route_cluster"):
            slots["route_reason"] = "the visitor chose this cluster"
            slots["route_score"] = None
        where = f"our {cluster.name} cluster" if cluster else "our general advisor"
        dispatcher.utter_message(text=f"Thank you. {slots['advisor_name']} ({where}) will take your enquiry.")
        return {"cluster": choice, **slots}
