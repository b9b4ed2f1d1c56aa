"""The scripted FirstStop visit, shared by the benchmark and the tests: a routed lead through the contact form
(consent, name, organisation, e-mail, need, review and Send), then a message after it; and how a reply reads."""
from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    """One visitor message, the kind of turn it is, and a text its reply must contain (None: any reply)."""

    kind: str
    text: str
    expect: str | None = None


PROJECTS = (
    ("We develop anti-corrosion coatings for steel structures", "SurfMat"),
    ("Our start-up uses machine learning to analyse customer behaviour", "InfoCom"),
    ("We build star trackers and payloads for small satellites", "AeroSpace"),
)
QUESTIONS = (
    "Can I get money for an R&D project?",
    "How do I start an innovative business?",
    "Can I get money for an R&D project?",
)
NEEDS = (
    "Advice on funding for a first prototype",
    "Finding partners for a pilot project",
    "A first meeting about a qualification campaign",
)
NAME, ORGANISATION = "Jane Doe", "Acme Coatings SA"


def firststop_script(number: int) -> list[Turn]:
    """Conversation number `number` (varied project, question, need and e-mail): greet, a question, a project that
    is routed and confirmed, the contact form through Send (one staff e-mail), then a request for a person, which
    the bot adds to the enquiry already sent (no second e-mail)."""
    project, cluster = PROJECTS[number % len(PROJECTS)]
    return [
        Turn("greet", "Hello", "R&D funding"),
        Turn("question", QUESTIONS[number % len(QUESTIONS)], "Source:"),
        Turn("project", project, cluster),
        Turn("confirm", "yes", "may we store"),
        Turn("consent", "yes", "your name"),
        Turn("name", NAME, "organisation"),
        Turn("organisation", ORGANISATION, "e-mail address"),
        Turn("email", f"jane.{number}.{uuid.uuid4().hex[:6]}@acme-coatings.example", "help you with"),
        Turn("need", NEEDS[number % len(NEEDS)], "Here is what I'll send"),
        Turn("send", "/affirm", "I've sent your enquiry"),
        Turn("followup", "I'd like to talk to a person", "already with"),
    ]


def split_at(script: list[Turn], kind: str) -> tuple[list[Turn], list[Turn]]:
    """The turns before the first turn of `kind`, and the rest from it (to interrupt a visit at that step)."""
    at = next(n for n, turn in enumerate(script) if turn.kind == kind)
    return script[:at], script[at:]


def reply_text(messages: list[dict]) -> str:
    """The texts of the bot's messages, with their button titles, joined for checking."""
    parts = []
    for message in messages:
        parts.append(message.get("text") or "")
        parts.extend(b.get("title", "") for b in message.get("buttons") or [])
    return "\n".join(parts)
