"""Decide what to do with a visitor's message once the NLU has named its intent: answer from the
knowledge base, route it as a project, or say honestly that the bot can't help.

The NLU confuses a terse project description ("Drug discovery for rare diseases") with a question,
and an unusual question with small talk; retrieval and routing look at the same words with the
agency's vocabulary, so they get the last word when they are confident.
"""
from __future__ import annotations

from dataclasses import dataclass

from knowledge.retrieval import Answer
from knowledge.routing import Route

QUESTION_INTENTS = frozenset({"ask_question", "out_of_scope", "nlu_fallback", "chitchat"})
HANDOFF_INTENTS = frozenset({"request_human", "not_helpful", "complain", "confidential"})


@dataclass(frozen=True)
class Reading:
    """What the bot will do: 'answer', 'route', 'out_of_scope' or 'unsure'."""

    kind: str
    answer: Answer
    route: Route | None = None


def read_question(knowledge, text: str, intent: str, last_topic: str | None = None, language: str = "en") -> Reading:
    """How to handle a message whose intent is in QUESTION_INTENTS, written in `language`; `last_topic`
    is the entry id of the previous answer, for follow-ups."""
    answer = knowledge.answer(text, language, last_topic)
    if answer.best is not None:
        return Reading("answer", answer)
    route = knowledge.route(text, language)
    if route.decision == "cluster" and not answer.off_topic:
        return Reading("route", answer, route)
    if intent == "out_of_scope" or answer.out_of_scope:
        return Reading("out_of_scope", answer, route)
    return Reading("unsure", answer, route)
