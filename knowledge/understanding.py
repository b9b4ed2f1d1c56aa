"""Decide what to do with a visitor's message once the NLU has named its intent: answer from the
knowledge base, route it as a project, or say honestly that the bot can't help.

The NLU confuses a terse project description ("Drug discovery for rare diseases") with a question,
and an unusual question with small talk; retrieval and routing look at the same words with the
agency's vocabulary, so they get the last word when they are confident.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.retrieval import Answer
from knowledge.routing import Route

QUESTION_INTENTS = frozenset({"ask_question", "out_of_scope", "nlu_fallback", "chitchat"})
HANDOFF_INTENTS = frozenset({"request_human", "not_helpful", "complain", "confidential"})
_ASKING = (r"what|which|how|can|could|is|are|do|does|where|who|whom|when|should|may|will|"
           r"quel(?:le)?s?|comment|combien|est-ce|puis-je|pouvons-nous|peut-on|o[ùu]|qui|quand|y a-t-il|existe-t-il|"
           r"was|welche[rsmn]?|wie|wo|wer|wen|wann|k[öo]nnen|kann|gibt es|gibt's|wat|w[ée]i|wou|w[ée]ini")
QUESTION_START = re.compile(rf"^(?:and |but |so |et |mais |alors |und |aber |also )?(?:{_ASKING})\b", re.I)
# Where a message that describes a project and asks something splits: after a sentence or a semicolon, at a dash,
# or at a comma before a question word ("We make X, which funding exists?").
_SPLIT = re.compile(rf"(?<=[.!?;])\s+|\s+[;:–—-]\s+|,\s*(?=(?:and |but |so |et |mais |und |aber )?(?:{_ASKING})\b)", re.I)
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
# "Who should I contact?" for a project: the routing is the answer.
WHO_TO_CONTACT = re.compile(
    r"\b(?:who(?:m)? (?:should|can|could|do|must|would) (?:i|we) (?:contact|talk to|speak (?:to|with)|call|write to|"
    r"get in touch with|turn to|ask)|who is the right (?:person|contact|advisor)|who(?:'s| is) (?:my|our|the) contact|"
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


def _parts(text: str) -> list[str]:
    return [p.strip() for p in _SPLIT.split(text) if p and p.strip()]


def is_question(part: str) -> bool:
    """A part of a message that asks something."""
    return part.rstrip().endswith("?") or bool(QUESTION_START.match(part.strip()))


def question_part(text: str) -> str | None:
    """The question inside a message that also says something else ('We make X. Which funding exists?')."""
    parts = _parts(text)
    questions = [p for p in parts if is_question(p)]
    return questions[-1] if questions and len(parts) > 1 else None


def project_part(text: str) -> str | None:
    """What a message that also asks a question says about the visitor's own project, else None."""
    parts = _parts(text)
    told = [p.rstrip(" ;:–—-") for p in parts if not is_question(p) and PROJECT_SAYS.search(p)]
    return " ".join(told) if told and len(parts) > len(told) else None


def asks_who_to_contact(text: str) -> bool:
    """The message asks whom to contact about the project ('Who should I contact?')."""
    return bool(WHO_TO_CONTACT.search(text or ""))


def read_question(knowledge, text: str, intent: str, last_topic: str | None = None, language: str = "en") -> Reading:
    """How to handle a message whose intent is in QUESTION_INTENTS, written in `language`; `last_topic`
    is the entry id of the previous answer, for follow-ups. A question asked with a description of the visitor's
    project is answered and the project routed; asked whom to contact, the routing is the answer."""
    project = project_part(text)
    asked = question_part(text) if project else None
    answer = knowledge.answer(asked or text, language, last_topic)
    if project:
        described = knowledge.route(project, language)
        if described.decision == "cluster" and asks_who_to_contact(asked or ""):
            return Reading("route", answer, described)
        if described.decision == "cluster" and answer.best is not None:
            return Reading("answer_and_route", answer, described)
    if answer.best is not None:
        return Reading("answer", answer)
    route = knowledge.route(text, language)
    if route.decision == "cluster" and not answer.off_topic:
        return Reading("route", answer, route)
    if intent == "out_of_scope" or answer.out_of_scope:
        return Reading("out_of_scope", answer, route)
    return Reading("unsure", answer, route)
