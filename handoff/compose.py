"""Compose the staff e-mail of an enquiry (a routed lead, a hand-off, a privacy request): who, what they need,
routed where and why, what the bot answered, consent, language, reply due, the transcript and console links."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from html import escape

from members.enquiries import MailDraft
from members.models import new_message_id

REASONS = {
    "visitor_asked": "The visitor asked to talk to a person.",
    "not_understood": "The assistant failed to understand the visitor twice in a row.",
    "not_helpful": "The visitor said the assistant's answer didn't help.",
    "complaint": "The visitor has a complaint.",
    "confidential": "The visitor wants to discuss a confidential project.",
    "project": "A visitor described a project and left their details for the routed advisor.",
    "privacy": "The visitor asks to see or delete the personal data we hold about them (console: Privacy).",
}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "lb": "Luxembourgish"}


@dataclass(frozen=True)
class Turn:
    """One line of the transcript."""

    speaker: str  # "visitor" or "bot"
    text: str
    at: str = ""


@dataclass(frozen=True)
class HandoffFacts:
    """What staff need to reply, gathered from the conversation."""

    conversation_id: str
    reason: str
    question: str
    to_addr: str
    advisor_name: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    organisation: str | None = None
    profile: str | None = None
    consent: bool = False
    cluster_name: str | None = None
    confidence: float | None = None
    route_reason: str | None = None
    answered: tuple[str, ...] = ()
    transcript: tuple[Turn, ...] = field(default_factory=tuple)
    console_url: str = ""
    language: str = "en"
    need: str | None = None  # what the visitor wants from the advisor, in their words
    summary: str | None = None  # the project description, as first given
    reply_due: str = ""  # when the visitor was told a person will reply, for staff ("Tuesday 12:30 (Europe/…)")
    mail_kind: str = "handoff"  # the outbox kind: "handoff", or "enquiry" for every other enquiry


# Control characters, surrogates and line/paragraph separators; and the bidi overrides, which can make a header
# read differently from what it says. Other format characters (the zero-width non-joiner of Persian names) stay.
_NOT_IN_A_LINE = {"Cc", "Cs", "Zl", "Zp"}
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def single_line(text: str) -> str:
    """The text with every run of line breaks, control characters and spaces made one space, and stripped:
    safe in a mail header (a CR or LF there would start a new header, or make the message unsendable)."""
    kept = "".join(" " if unicodedata.category(c) in _NOT_IN_A_LINE or c in _BIDI_CONTROLS else c for c in text)
    return " ".join(kept.split())


def subject(facts: HandoffFacts) -> str:
    """'New enquiry — AeroSpace — Acme' (the organisation, else the person, else 'anonymous visitor');
    'Privacy request — …' for a privacy request."""
    who = single_line(facts.organisation or "") or single_line(facts.name or "") or "anonymous visitor"
    if facts.reason == "privacy":
        return single_line(f"Privacy request — {who}")
    return single_line(f"New enquiry — {facts.cluster_name or 'General'} — {who}")


OPTIONAL = frozenset({"Project", "Phone", "Profile"})  # rows left out when the visitor gave nothing


def _details(facts: HandoffFacts) -> list[tuple[str, str]]:
    consent = "yes, to store the details and reply" if facts.consent else "no: do not store or reuse"
    routed = "no cluster (general enquiry)"
    if facts.cluster_name:
        confidence = f" (confidence {facts.confidence:.0%})" if facts.confidence is not None else ""
        routed = f"{facts.cluster_name}{confidence}: {facts.route_reason or ''}"
    rows = [
        ("What they need", facts.need or "—"),
        ("Project", facts.summary or "—"),
        ("Name", facts.name or "—"),
        ("E-mail", facts.email or "—"),
        ("Phone", facts.phone or "—"),
        ("Organisation", facts.organisation or "—"),
        ("Profile", (facts.profile or "—").replace("_", " ")),
        ("Consent", consent),
        ("Language", LANGUAGE_NAMES.get(facts.language, facts.language)),
        ("Routed to", routed),
        ("Why handed off" if facts.mail_kind == "handoff" else "Why you get this", REASONS.get(facts.reason, facts.reason)),
        ("Already answered", "; ".join(facts.answered) or "nothing yet"),
        ("Reply due", facts.reply_due or "—"),
    ]
    return [(label, value) for label, value in rows if not (label in OPTIONAL and value == "—")]


def _opening(facts: HandoffFacts) -> str | None:
    """The visitor's open question, unless it only repeats what they need."""
    question = (facts.question or "").strip()
    return question if question and question != (facts.need or "").strip() else None


def conversation_link(facts: HandoffFacts) -> str:
    """The conversation's page in the console."""
    return f"{facts.console_url.rstrip('/')}/conversations/{facts.conversation_id}"


def acknowledge_link(facts: HandoffFacts) -> str:
    """One click for the advisor to say 'I have it' (the console's acknowledge page)."""
    return conversation_link(facts) + "/acknowledge"


def body_text(facts: HandoffFacts) -> str:
    """The plain-text part."""
    lines = [f"Hello {facts.advisor_name},", ""]
    if _opening(facts):
        lines += [f"Open question: {_opening(facts)}", ""]
    lines += [f"{label}: {value}" for label, value in _details(facts)]
    lines += ["", f"Acknowledge (one click): {acknowledge_link(facts)}",
              f"Conversation in the console: {conversation_link(facts)}", "", "Transcript:"]
    lines += [f"[{t.at}] {t.speaker}: {t.text}" for t in facts.transcript]
    lines += ["", "Reply to this e-mail to answer the visitor directly." if facts.email else
              "The visitor left no e-mail address; see the console for what can be done."]
    return "\n".join(lines) + "\n"


def body_html(facts: HandoffFacts) -> str:
    """The HTML part; every value is escaped."""
    rows = "".join(f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in _details(facts))
    turns = "".join(
        f"<p><small>{escape(t.at)}</small> <b>{escape(t.speaker)}</b>: {escape(t.text)}</p>" for t in facts.transcript
    )
    link = escape(conversation_link(facts), quote=True)
    acknowledge = escape(acknowledge_link(facts), quote=True)
    return (
        f"<html><body><p>Hello {escape(facts.advisor_name)},</p>"
        + (f"<p><b>Open question:</b> {escape(_opening(facts))}</p>" if _opening(facts) else "")
        + f"<table>{rows}</table>"
        f"<p><a href=\"{acknowledge}\">Acknowledge (one click)</a> · "
        f"<a href=\"{link}\">Open the conversation in the console</a></p>"
        f"<h3>Transcript</h3>{turns}</body></html>"
    )


def handoff_mail(facts: HandoffFacts) -> MailDraft:
    """The outbox draft, with a Message-ID fixed now so any resend carries the same one."""
    return MailDraft(
        kind=facts.mail_kind,
        message_id=new_message_id(),
        to_addr=single_line(facts.to_addr),
        reply_to=single_line(facts.email) if facts.consent and facts.email else None,
        subject=subject(facts),
        body_text=body_text(facts),
        body_html=body_html(facts),
    )
