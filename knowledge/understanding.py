"""Decide what to do with a visitor's message once the NLU has named its intent: answer from the
knowledge base, route it as a project, or say honestly that the bot can't help.

The NLU confuses a terse project description ("Drug discovery for rare diseases") with a question,
and an unusual question with small talk; retrieval and routing look at the same words with the
agency's vocabulary, so they get the last word when they are confident.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.asking import is_question, message_parts, question_part
from knowledge.retrieval import MIN_PROBABILITY, Answer
from knowledge.routing import Route

# The intents whose rules run action_answer_question or action_fallback, which read the message with read_question
# (bot/rules: 'inform' outside a form is answered the same way).
QUESTION_INTENTS = frozenset({"ask_question", "inform", "out_of_scope", "nlu_fallback", "chitchat"})
HANDOFF_INTENTS = frozenset({"request_human", "not_helpful", "complain", "confidential"})
# A statement about the visitor's own project ("we're developing…", "notre start-up…", "wir entwickeln…").
PROJECT_SAYS = re.compile(
    r"\b(?:we(?:'re| are)? (?:develop|build|make|design|produce|create|sell|offer|run|plan|want|are)\w*|"
    r"we'?re \w+ing|our (?:company|start-?up|project|product|team|technology|solution|idea|firm)|"
    r"my (?:company|start-?up|project|product|idea|firm)|i(?:'m| am) (?:developing|building|working on|designing|"
    r"creating|founding|starting)|"
    r"nous (?:d[ée]velopp|fabriqu|concev|travaill|cr[ée]|produis|sommes|voulons|pr[ée]voy)\w*|"
    r"notre (?:entreprise|start-?up|projet|soci[ée]t[ée]|produit|[ée]quipe|technologie|solution)|"
    r"je (?:d[ée]veloppe|travaille sur|cr[ée]e|lance)|mon (?:entreprise|projet|produit)|"
    r"wir (?:entwickeln|bauen|produzieren|stellen|arbeiten|planen|sind|wollen|bieten)|"
    r"unser(?:e|em)? (?:firma|unternehmen|start-?up|projekt|produkt|team|technologie|l[öo]sung)|"
    r"ich (?:entwickle|baue|arbeite an|gr[üu]nde)|mir (?:entw[ée]ckelen|bauen|schaffen)|eis (?:firma|projet))", re.I)
# The visitor's own project named inside a question ("How can we finance the R&D of our AI tool for hospitals?").
OWN_PROJECT = re.compile(
    r"\b(?:our|my|notre|nos|mon|ma|unser(?:e|em|en|er)?|mein(?:e|em|en|er)?)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:tool|product|project|app|software|platform|device|solution|technology|start-?up|company|idea|prototype|"
    r"system|service|outil|produit|projet|logiciel|plateforme|entreprise|soci[ée]t[ée]|werkzeug|produkt|projekt|"
    r"plattform|firma|unternehmen|l[öo]sung|ger[äa]t)s?\b", re.I)
# The entries that present one cluster are named after it: 'cluster-ecodev'.
CLUSTER_ENTRY = "cluster-"
# Below this an answer is a guess (twice the least an answer needs): a statement that routing places is a project.
WEAK_ANSWER = 2 * MIN_PROBABILITY
# "Who should I contact?" for a project: the routing is the answer.
WHO_TO_CONTACT = re.compile(
    r"\b(?:who(?:m)? (?:should|can|could|do|must|would) (?:i|we) (?:contact|talk to|speak (?:to|with)|call|write to|"
    r"get in touch with|turn to|ask)|who is the right (?:person|contact|advisor)|who(?:'s| is) (?:my|our|the) contact|"
    r"who to (?:contact|talk to|speak (?:to|with)|call|write to|get in touch with|turn to)|"
    r"who(?:'s| is) (?:responsible|in charge) (?:for|of)|who (?:handles|deals with|looks after|takes care of)|"
    r"qui (?:s'occupe|est (?:responsable|en charge|le bon interlocuteur)) (?:de|des|du|d')|"
    r"wer ist (?:bei ihnen |dort |hier )?(?:f[üu]r (?:\w+\s+){0,6}?)?zust[äa]ndig|wer (?:k[üu]mmert sich|betreut)|"
    r"(?:[àa] )?qui (?:dois-je|devons-nous|puis-je|pouvons-nous|faut-il|je dois|on doit) (?:contacter|m'adresser|"
    r"nous adresser|parler|[ée]crire)|qui contacter|[àa] qui m'adresser|"
    r"(?:an )?wen (?:kann|soll|muss|k[öo]nnen|sollen|m[üu]ssen) (?:ich|wir) (?:mich |uns )?(?:kontaktieren|wenden|"
    r"ansprechen|anrufen|schreiben)|an wen (?:wende|wenden) (?:ich mich|wir uns)|wer ist (?:mein|unser|der richtige) "
    r"ansprechpartner|w[ée]ien kann ech kontakt[ée]ieren|u wien (?:kann|soll) ech mech wenden)", re.I)


@dataclass(frozen=True)
class Reading:
    """What the bot will do: 'answer', 'route', 'answer_and_route' (a question asked with a project description),
    'out_of_scope' or 'unsure'."""

    kind: str
    answer: Answer
    route: Route | None = None

    @property
    def routes(self) -> bool:
        """The message starts the enquiry (with or without an answer first)."""
        return self.kind in ("route", "answer_and_route")


def project_part(text: str) -> str | None:
    """What a message that also asks a question says about the visitor's own project, else None."""
    parts = message_parts(text)
    told = [p.rstrip(" ;:–—-") for p in parts if not is_question(p) and PROJECT_SAYS.search(p)]
    return " ".join(told) if told and len(parts) > len(told) else None


def asks_who_to_contact(text: str) -> bool:
    """The message asks whom to contact about the project ('Who should I contact?')."""
    return bool(WHO_TO_CONTACT.search(text or ""))


def names_a_cluster(knowledge, text: str) -> bool:
    """The message names a cluster or the clusters ('InfoCom', 'the space cluster'): it asks about them."""
    said = text.lower()
    return "cluster" in said or any(c.name.lower() in said for c in knowledge.clusters)


def asks_something(text: str) -> bool:
    """Some part of the message asks something ('We make X, how do we find a lab')."""
    return any(is_question(p) for p in message_parts(text)) or is_question(text)


def reads_as_project(knowledge, text: str, answer: Answer, route: Route) -> bool:
    """A statement that names no cluster, asks nothing, is unlike the off-topic examples, and that routing sends
    to a cluster on the cluster's own words, while retrieval finds only that cluster's page ('Water treatment that
    removes micropollutants' → the EcoDev page) or nothing better than a weak match: a project to route, not a
    question to answer."""
    if route.decision != "cluster" or not route.terms or answer.off_topic or asks_something(text) \
            or names_a_cluster(knowledge, text):
        return False
    best = answer.best
    return best is None or best.score < WEAK_ANSWER or best.entry.id == CLUSTER_ENTRY + route.best.cluster.id


def read_question(knowledge, text: str, intent: str, last_topic: str | None = None, language: str = "en") -> Reading:
    """How to handle a message whose intent is in QUESTION_INTENTS, written in `language`; `last_topic`
    is the entry id of the previous answer, for follow-ups. A question asked with a description of the visitor's
    project is answered and the project routed, and so is one that names the visitor's own project when the project
    fits a cluster; asked whom to contact, the routing is the answer."""
    project = project_part(text)
    asked = question_part(text) if project else None
    answer = knowledge.answer(asked or text, language, last_topic)
    if project:
        described = knowledge.route(project, language)
        if described.decision == "cluster" and asks_who_to_contact(asked or ""):
            return Reading("route", answer, described)
        if described.decision == "cluster" and answer.best is not None:
            return Reading("answer_and_route", answer, described)
    route = knowledge.route(text, language)
    if reads_as_project(knowledge, text, answer, route):
        return Reading("route", answer, route)
    if route.decision == "cluster" and route.terms and asks_who_to_contact(text):  # 'Who handles car suppliers?'
        return Reading("route", answer, route)
    if answer.best is not None and route.decision == "cluster" and route.terms and (
            OWN_PROJECT.search(text) or PROJECT_SAYS.search(text)):  # on the project's own words, not 'my company'
        return Reading("answer_and_route", answer, route)  # 'How can we finance the R&D of our AI tool for hospitals?'
    if answer.best is not None:
        return Reading("answer", answer, route)
    if route.decision == "cluster" and not answer.off_topic:
        return Reading("route", answer, route)
    if intent == "out_of_scope" or answer.out_of_scope:
        return Reading("out_of_scope", answer, route)
    return Reading("unsure", answer, route)
