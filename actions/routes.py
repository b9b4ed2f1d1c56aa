"""Routing as the visitor reads it: the cluster and advisor slots, the proposal with its reason in the visitor's
words, the runner-up when it is close, and a correction ('it's more about X') re-routed."""
from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.asks import say, text
from actions.commands import ACCEPT_START, payload, yes_or_no
from actions.conversation import intent_of, language
from actions.details import read_details
from knowledge.routing import choose_advisor
from members.enquiries import VISITOR_CHOSE_CLUSTER, VISITOR_CORRECTED_ROUTING

NO_CLUSTER = "none"
# Asking to be put in touch takes the proposal: "Can you put me in touch with him?", "Pouvez-vous me mettre en contact ?".
PUT_IN_TOUCH = re.compile(r"^\s*(?:(?:can|could|would) you (?:please )?|please )?put me in touch\b|"
                          r"\b(?:me mettre en (?:contact|relation)|mich mit (?:ihm|ihr|dem berater|der beraterin) "
                          r"in (?:kontakt|verbindung))\b", re.I)


def cluster_button(cluster_id: str, title: str) -> dict[str, str]:
    """A button that picks a cluster."""
    return {"title": title, "payload": "/inform" + json.dumps({"cluster": cluster_id})}


def full_title(cluster) -> str:
    """'AeroSpace (Aeronautic and Aerospace Technologies)': what a button shows."""
    return f"{cluster.name} ({cluster.full_name})"


def advisor_slots(tracker: Tracker, cluster_id: str | None) -> dict[str, str]:
    """Choose the advisor for the cluster (general advisor for none): the slots that remember them."""
    knowledge = services.knowledge()
    advisor = choose_advisor(knowledge.advisors, cluster_id, language(tracker), services.advisor_load())
    return {"advisor_id": advisor.id, "advisor_name": advisor.name}


def route(description: str, lang: str):
    """The router's decision for a description (the router takes the language when it knows it)."""
    router = services.knowledge().router
    try:
        return router.route(description, lang)
    except TypeError:  # a router without languages
        return router.route(description)


def terms_phrase(terms: tuple[str, ...] | list[str], lang: str = "en") -> str:
    """'satellites', 'satellites and antennas', 'a, b and c' (in `lang`): each term once, as written."""
    seen: list[str] = []
    for term in terms:
        if term.lower() not in {s.lower() for s in seen}:
            seen.append(term)
    seen = seen[:3]
    return seen[0] if len(seen) == 1 else text("list.and", lang, first=", ".join(seen[:-1]), last=seen[-1]) if seen else ""


def route_slots(found, tracker: Tracker) -> dict[str, Any]:
    """The slots a routing decision sets: proposed cluster, its reason (the visitor's words), the runner-up."""
    best = found.best
    if best is None:
        return {"route_cluster": None, "route_score": None, "route_reason": found.reason, "route_terms": None,
                "route_runner_up": None, **advisor_slots(tracker, None)}
    close = list(getattr(found, "close", ()) or ())
    runner_up = next((c.id for c in close if c.id != best.cluster.id), None)
    return {"route_cluster": best.cluster.id, "route_score": found.confidence, "route_reason": found.reason,
            "route_terms": terms_phrase(getattr(found, "terms", None) or best.terms, language(tracker)) or None,
            "route_runner_up": runner_up, **advisor_slots(tracker, best.cluster.id)}


def named_clusters(said: str) -> list[str]:
    """The clusters a text names (id, name or full name), in the order it names them."""
    lowered, named = said.lower(), []
    for c in services.knowledge().clusters:
        found = re.search(rf"\b({re.escape(c.id)}|{re.escape(c.name.lower())}|{re.escape(c.full_name.lower())})\b", lowered)
        if found:
            named.append((found.start(), c.id))
    return [cluster_id for _, cluster_id in sorted(named)]


def named_cluster(said: str) -> str | None:
    """The one cluster a text names, else None."""
    named = named_clusters(said)
    return named[0] if len(named) == 1 else None


def takes_proposal(said: str) -> bool:
    """A longer answer to the proposal that takes it: it opens with a yes ('Great, please put me in touch'), asks to be
    put in touch ('Can you put me in touch with him?') or gives the visitor's contact details ('Anna Schmit, MedAI,
    anna@medai.lu'; kept for the contact form, which still asks consent first)."""
    return bool(ACCEPT_START.match(said) or PUT_IN_TOUCH.search(said) or read_details(said).found)


def routes_somewhere(said: str, lang: str) -> bool:
    """Whether words typed at the cluster step name or fit a cluster (else they are no correction of the routing,
    and the proposal stands: 'Yes, I'd like to talk to her', 'I'm Anna from MedAI')."""
    return bool(named_clusters(said)) or route(said, lang).best is not None


def about_the_proposal(said: str, tracker: Tracker) -> bool:
    """Whether a question typed at the cluster step answers the proposal: a yes or no, the proposal taken, a cluster
    named ('Is it InfoCom or more like EcoDev?' corrects it); else it is a question of its own ('how long does the
    application take?', whose 'application' the router would take for software) and is answered."""
    return yes_or_no(said, intent_of(tracker)) is not None or takes_proposal(said) or bool(named_clusters(said))


def chosen_meta(tracker: Tracker, chosen: str) -> dict[str, Any]:
    """What the console reads on the message that settles the cluster: the one chosen ('none': no cluster), the one
    the bot had proposed, and whether the visitor picked another."""
    proposed = tracker.get_slot("route_cluster")
    return {"chosen_cluster": chosen, "proposed_cluster": proposed, "cluster_overridden": chosen != proposed}


def reroute(said: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Route again from the visitor's correction; the cluster it names, or the one its words fit. A correction that
    names two ('Is it InfoCom or more like EcoDev?') has both offered; when none is clear, the cluster is asked
    again (the list of clusters)."""
    knowledge = services.knowledge()
    named = named_clusters(said)
    if len(named) > 1:  # the proposal is made again with the two named: the visitor picks
        return {"cluster": None, "route_cluster": named[0], "route_runner_up": named[1], "route_terms": None,
                "route_score": None, **advisor_slots(tracker, named[0])}
    cluster_id = named[0] if named else None
    if cluster_id is None:
        found = route(said, language(tracker))
        cluster_id = found.best.cluster.id if found.best else None
    if cluster_id is None:
        return {"cluster": None, "route_cluster": None, "route_runner_up": None}
    cluster = knowledge.cluster(cluster_id)
    slots = {"cluster": cluster_id, "route_cluster": cluster_id, "route_score": None, "route_runner_up": None,
             "route_reason": VISITOR_CORRECTED_ROUTING, **advisor_slots(tracker, cluster_id)}
    say(dispatcher, "route.rerouted", language(tracker), cluster=cluster.name, full_name=cluster.full_name,
        advisor=slots["advisor_name"], meta=chosen_meta(tracker, cluster_id))
    return slots


def propose(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Propose the routed cluster and advisor with the reason (and the runner-up when close), or list them all."""
    knowledge, lang = services.knowledge(), language(tracker)
    proposed = knowledge.cluster(tracker.get_slot("route_cluster"))
    none = cluster_button(NO_CLUSTER, text("route.none_button", lang))
    if proposed is None:
        buttons = [cluster_button(c.id, full_title(c)) for c in knowledge.clusters]
        say(dispatcher, "ask.cluster.choose", lang, buttons=buttons + [none])
        return
    terms = tracker.get_slot("route_terms")
    because = text("route.because", lang, terms=terms) if terms else ""
    runner_up = knowledge.cluster(tracker.get_slot("route_runner_up"))
    # A few choices, not a wall of eight: the proposal, the close runner-up, the whole list one click away.
    buttons = [{"title": text("route.confirm_button", lang, cluster=full_title(proposed)), "payload": "/affirm"}]
    if runner_up is not None:
        buttons.append(cluster_button(runner_up.id, full_title(runner_up)))
    buttons += [{"title": text("route.other_button", lang), "payload": "/deny"}, none]
    params = {"cluster": proposed.name, "full_name": proposed.full_name, "because": because,
              "advisor": tracker.get_slot("advisor_name"), "meta": {"proposed_cluster": proposed.id}}
    if runner_up is not None:
        say(dispatcher, "ask.cluster.proposed_close", lang, buttons=buttons, runner_up=runner_up.name,
            runner_up_full_name=runner_up.full_name, **params)
    else:
        say(dispatcher, "ask.cluster.proposed", lang, buttons=buttons, **params)


def choose_cluster(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """The cluster the visitor confirmed (yes), clicked or named; a 'no' shows the whole list."""
    knowledge, lang = services.knowledge(), language(tracker)
    said = str(value or "").strip()
    button = payload(said)
    choice: str | None = None
    if button and button[0] == "inform" and button[1].get("cluster"):
        choice = str(button[1]["cluster"]).lower()
    elif yes_or_no(said, intent_of(tracker)) is True:
        choice = tracker.get_slot("route_cluster")
    elif yes_or_no(said, intent_of(tracker)) is False:
        return {"cluster": None, "route_cluster": None, "route_runner_up": None}
    else:
        choice = named_cluster(said) or (tracker.get_slot("route_cluster") if takes_proposal(said) else None)
    if choice not in {c.id for c in knowledge.clusters} | {NO_CLUSTER}:
        if len(said.split()) >= 3 and routes_somewhere(said, lang):  # words about the project: route them
            return reroute(said, dispatcher, tracker)
        say(dispatcher, "not_caught", lang)  # the proposal (or the list) is asked again, never dropped
        return {"cluster": None}
    slots: dict[str, Any] = advisor_slots(tracker, None if choice == NO_CLUSTER else choice)
    cluster = knowledge.cluster(choice)
    if cluster and cluster.id != tracker.get_slot("route_cluster"):
        slots.update(route_reason=VISITOR_CHOSE_CLUSTER, route_score=None, route_cluster=cluster.id)
    where = text("route.where.cluster", lang, cluster=cluster.name) if cluster else text("route.where.general", lang)
    say(dispatcher, "route.chosen", lang, advisor=slots["advisor_name"], where=where, meta=chosen_meta(tracker, choice))
    return {"cluster": choice, **slots}
