"""Read conversations from Rasa's tracker store table (`events`), which shares the member database: transcripts as
the visitor saw them (a button click as the button's title), and one bot message found the way the widget names it."""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.orm import Session

# A read-only mirror of the columns of Rasa 3.6's SQLTrackerStore.SQLEvent; Rasa owns the table.
events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


@dataclass(frozen=True)
class Message:
    """One message of a transcript, with what the NLU made of a visitor's message."""

    speaker: str  # "visitor" or "bot"
    text: str
    at: datetime
    intent: str | None = None
    confidence: float | None = None
    entities: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()
    event_id: int | None = None  # the row in `events`, so staff can point at one message
    payloads: tuple[str, ...] = ()  # what each of the bot's buttons sends back, in the order of `buttons`
    clicked: str | None = None  # the title of the button the visitor clicked, when the text is its payload
    hidden: bool = False  # sent by the widget without showing it (the greeting asked for on opening, a restart)
    text_key: str | None = None  # a bot message's catalogue key (its metadata), how the console recognises it
    author: str | None = None  # a staff reply's signature (speaker "staff")


def message_from_event(event_id: int, type_name: str, timestamp: float | None, data: str | None) -> Message | None:
    """One `events` row as a transcript message; None for events that are not a visitor or bot message."""
    return message_from_data(json.loads(data or "{}"), type_name, timestamp, event_id)


def message_from_data(event: dict, type_name: str | None, timestamp: float | None,
                      event_id: int | None = None) -> Message | None:
    """A Rasa event (as stored, or as a rasa_sdk Tracker holds it) as a transcript message, or None."""
    at = datetime.fromtimestamp(timestamp or 0, timezone.utc)
    if type_name == "user":
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        return Message(
            "visitor", event.get("text") or "", at, intent.get("name"), intent.get("confidence"),
            tuple(f"{e.get('entity')}={e.get('value')}" for e in parse.get("entities") or []), event_id=event_id,
        )
    if type_name == "bot" and event.get("text"):
        buttons = (event.get("data") or {}).get("buttons") or []
        return Message("bot", event["text"], at, buttons=tuple(b.get("title", "") for b in buttons), event_id=event_id,
                       payloads=tuple(b.get("payload") or "" for b in buttons),
                       text_key=(event.get("metadata") or {}).get("text_key"))
    return None


# What the widget itself sends (web_widget/src/widget.js, PAYLOADS) and shows the visitor instead, in English;
# None: sent without showing anything.
WIDGET_PAYLOADS = {
    "/greet": None,
    "/restart": None,
    "/request_human": "Talk to a person",
    '/ask_question{"topic":"privacy"}': "How is my data used?",
}


def canonical_payload(text: str) -> str:
    """A button payload in one spelling ('/inform{"cluster": "ecodev"}' and '/inform{"cluster":"ecodev"}' agree);
    other text as it is."""
    text = text.strip()
    if not text.startswith("/") or "{" not in text:
        return text
    intent, _, entities = text.partition("{")
    try:
        parsed = json.loads("{" + entities)
    except ValueError:
        return text
    return intent + json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_seen(message: Message, offered: dict[str, str]) -> Message:
    """A visitor message as the widget showed it: a payload becomes the title of the button that sent it."""
    payload = canonical_payload(message.text)
    if payload in offered:
        return replace(message, clicked=offered[payload])
    for sent, label in WIDGET_PAYLOADS.items():
        if payload == canonical_payload(sent):
            return replace(message, clicked=label) if label else replace(message, hidden=True)
    return message


def transcript(session: Session, conversation_id: str) -> list[Message]:
    """The visitor's and the bot's messages in order; empty if the conversation is unknown."""
    rows = session.execute(
        select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data)
        .where(events.c.sender_id == conversation_id, events.c.type_name.in_(("user", "bot")))
        .order_by(events.c.id)
    ).all()
    return as_the_visitor_saw(m for m in (message_from_event(*row) for row in rows) if m is not None)


def as_the_visitor_saw(said: Iterable[Message]) -> list[Message]:
    """Messages in order, each visitor payload marked with the title of the button that sent it (or hidden)."""
    messages: list[Message] = []
    offered: dict[str, str] = {}  # payload -> title of the buttons the bot showed since the visitor last spoke
    answered = True
    for message in said:
        if message.speaker == "bot":
            if answered:
                offered, answered = {}, False
            offered.update((canonical_payload(p), t) for p, t in zip(message.payloads, message.buttons) if p)
        else:
            message, answered = as_seen(message, offered), True
        messages.append(message)
    return messages


def text_hash(text: str) -> str:
    """How the widget names a bot message's text: FNV-1a (32 bits) of its UTF-8, as 8 hex digits
    (web_widget/src/format.js, textHash). Not a secret: it only tells apart messages of one conversation."""
    digest = 0x811C9DC5
    for byte in text.encode("utf-8"):
        digest = ((digest ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{digest:08x}"


@dataclass(frozen=True)
class BotMessage:
    """One bot message of a conversation, with what its metadata and the slots say it was."""

    event_id: int
    text: str
    text_key: str | None
    entry: str | None  # the knowledge entry it answered with, if it gave an answer


ANSWER_KEYS = ("answer.source",)  # catalogue keys of messages that give a knowledge entry's answer


def find_bot_message(session: Session, conversation_id: str, index: int, digest: str) -> BotMessage | None:
    """The conversation's bot message whose text has hash `digest`, the `index`-th (from 0) or else the nearest
    such one; None if none has. Its entry: the metadata's `entry`, else the `last_topic` slot the uttering action
    left, for an answer."""
    rows = session.execute(
        select(events.c.id, events.c.type_name, events.c.data)
        .where(events.c.sender_id == conversation_id, events.c.type_name.in_(("bot", "slot", "action", "user")))
        .order_by(events.c.id)
    ).all()
    found: list[tuple[int, int]] = []  # (ordinal, position in rows) of the bot messages with that hash
    ordinal = 0
    for position, row in enumerate(rows):
        if row.type_name == "bot":
            text = json.loads(row.data or "{}").get("text")
            if text:
                if text_hash(text) == digest:
                    found.append((ordinal, position))
                ordinal += 1
    if not found:
        return None
    _, position = min(found, key=lambda candidate: abs(candidate[0] - index))
    event = json.loads(rows[position].data or "{}")
    metadata = event.get("metadata") or {}
    entry = metadata.get("entry")
    if entry is None and metadata.get("text_key") in ANSWER_KEYS:
        entry = _topic_after(rows, position)
    return BotMessage(rows[position].id, event["text"], metadata.get("text_key"),
                      entry if isinstance(entry, str) else None)


def _topic_after(rows: list, position: int) -> str | None:
    """The `last_topic` slot as the action that uttered rows[position] left it (its slot events follow its
    messages), else as it was before."""
    topic = None
    for index, row in enumerate(rows):
        if index > position and row.type_name in ("action", "user"):
            break
        if row.type_name == "slot":
            event = json.loads(row.data or "{}")
            if event.get("name") == "last_topic":
                topic = event.get("value")
    return topic
