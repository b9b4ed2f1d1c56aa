"""Read what a conversation says (transcript, open question, enquiry record) from a rasa_sdk Tracker."""
from __future__ import annotations

from datetime import datetime, timezone

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import language as languages
from handoff.compose import Turn
from members.enquiries import EnquiryRecord, profile_from_text
from members.transcripts import as_the_visitor_saw, message_from_data

# Intents whose message is not itself the visitor's question.
NOT_A_QUESTION = {
    "greet", "goodbye", "thank", "affirm", "deny", "request_human", "not_helpful", "cancel",
    "inform", "bot_challenge", "chitchat", "tell_me_more",
}


def _clock(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def transcript(tracker: Tracker) -> tuple[Turn, ...]:
    """Visitor and bot messages in order, as the visitor saw them (members.transcripts: a clicked button by its
    title, the widget's own hidden payloads left out)."""
    said = (message_from_data(e, e.get("event"), e.get("timestamp")) for e in tracker.events)
    return tuple(
        Turn(m.speaker, f"[{m.clicked}]" if m.clicked else m.text, _clock(m.at.timestamp()))
        for m in as_the_visitor_saw(m for m in said if m is not None) if not m.hidden and m.text
    )


def client_key(tracker: Tracker) -> str | None:
    """The keyed hash of the visitor's client address that the REST channel puts in the message metadata."""
    key = (tracker.latest_message.get("metadata") or {}).get("client_key")
    return key if isinstance(key, str) and key else None


def _replay(tracker: Tracker, slot: str, step) -> str | None:
    """A slot's value after the visitor's messages since an action last set it, each applied with `step` (so a turn
    whose action did not set the slot still counts), which also gets the form step the message answered (the
    requested slot before it; for the latest message the tracker's own when no event set one)."""
    value, asked, seen = None, None, False
    users = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    for at, event in enumerate(tracker.events):
        kind = event.get("event")
        if kind == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif kind == "slot" and event.get("name") == "requested_slot":
            asked, seen = event.get("value"), True
        elif kind == "active_loop" and not event.get("name"):
            asked = None
        elif kind == "user":
            answered = asked if seen or at != users[-1] else tracker.get_slot("requested_slot")
            value = step(value, event.get("text") or "", (event.get("metadata") or {}).get("language"), answered)
    return value


def language(tracker: Tracker) -> str:
    """The conversation's language ("en", "fr", "de", "lb"): the widget's to begin with, then the visitor's
    switch or a confident detection on a long enough message, none where the form asked for a name
    (actions.language)."""
    found = _replay(tracker, "language", languages.next_language)
    if found in languages.LANGUAGES:
        return found
    slot = tracker.get_slot("language")
    return slot if slot in languages.LANGUAGES else languages.DEFAULT


def answer_language(tracker: Tracker) -> str:
    """The language knowledge answers are given in: the conversation's, or for Luxembourgish the visitor's pick of
    French or German (German until they pick)."""
    lang = language(tracker)
    if lang != "lb":
        return lang
    picked = _replay(tracker, "answer_language", lambda value, said, *_: languages.answer_language_asked(said) or value)
    return picked if picked in languages.LB_ANSWER_LANGUAGES else "de"


def language_events(tracker: Tracker) -> list[dict]:
    """SlotSet events that keep the conversation's language (and a Luxembourgish visitor's answer language) in
    its slots, when they changed."""
    events = []
    if tracker.get_slot("language") != language(tracker):
        events.append(SlotSet("language", language(tracker)))
    if language(tracker) == "lb" and tracker.get_slot("answer_language") != answer_language(tracker):
        events.append(SlotSet("answer_language", answer_language(tracker)))
    return events


def intent_of(tracker: Tracker) -> str | None:
    """The NLU's intent for the latest message (a guess: never what decides an answer is a command)."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def open_question(tracker: Tracker) -> str:
    """The visitor's latest real question or description, in one line: never an answer typed into a form."""
    found, in_form = None, False
    for event in tracker.events:
        if event.get("event") == "active_loop":
            in_form = bool(event.get("name"))
        if event.get("event") != "user" or in_form:
            continue
        said = (event.get("text") or "").strip()
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if said and not said.startswith("/") and intent not in NOT_A_QUESTION and len(said.split()) >= 3:
            found = " ".join(said.split())[:300]
    return found or tracker.get_slot("project_description") or "(the visitor asked for a person without a question)"


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the visitor's latest messages in a row the bot failed to understand."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if (event.get("parse_data") or {}).get("intent", {}).get("name") != "nlu_fallback":
                break
            count += 1
    return count


def enquiry_record(tracker: Tracker, notice_version: str, **overrides) -> EnquiryRecord:
    """The enquiry as the slots describe it; personal details only with consent."""
    consent = tracker.get_slot("consent") is True
    organisation = tracker.get_slot("organisation")
    phone = tracker.get_slot("phone")
    cluster = tracker.get_slot("cluster")
    record = EnquiryRecord(
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "rest",
        summary=tracker.get_slot("project_description") or open_question(tracker),
        question=open_question(tracker),
        language=language(tracker),
        profile=tracker.get_slot("profile") or profile_from_text(f"{tracker.get_slot('project_description') or ''} "
                                                                  f"{organisation or ''}"),
        cluster_id=cluster if cluster and cluster not in ("none", "confirmed", "rejected") else None,
        route_score=tracker.get_slot("route_score"),
        route_reason=tracker.get_slot("route_reason"),
        advisor_id=tracker.get_slot("advisor_id"),
        consent=consent,
        notice_version=notice_version,
        name=tracker.get_slot("name") if consent else None,
        organisation=organisation if consent and organisation and organisation != "none" else None,
        email=tracker.get_slot("email") if consent else None,
        phone=phone if consent and phone and phone != "skipped" else None,
        client_key=client_key(tracker),
        need=tracker.get_slot("need") if tracker.get_slot("need") not in (None, "none") else None,
        followups=list(tracker.get_slot("followups") or []),
    )
    for key, value in overrides.items():
        setattr(record, key, value)
    return record
