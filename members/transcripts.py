"""Read conversations from Rasa's tracker store table (`events`), which shares the member database."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.exc import OperationalError, ProgrammingError
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


def message_from_event(event_id: int, type_name: str, timestamp: float | None, data: str | None) -> Message | None:
    """One `events` row as a transcript message; None for events that are not a visitor or bot message."""
    event = json.loads(data or "{}")
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
                       payloads=tuple(b.get("payload") or "" for b in buttons))
    return None


def transcript(session: Session, conversation_id: str) -> list[Message]:
    """The visitor's and the bot's messages in order; empty if the conversation is unknown."""
    try:
        rows = session.execute(
            select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.sender_id == conversation_id, events.c.type_name.in_(("user", "bot")))
            .order_by(events.c.id)
        ).all()
    except (OperationalError, ProgrammingError):  # Rasa has not created its table yet
        session.rollback()
        return []
    messages: list[Message] = []
    offered: dict[str, str] = {}  # payload -> title of the buttons the bot showed last
    for row in rows:
        message = message_from_event(*row)
        if message is None:
            continue
        if message.speaker == "bot":
            offered = dict(zip(message.payloads, message.buttons))
        elif message.text in offered:
            message = replace(message, clicked=offered[message.text])
        messages.append(message)
    return messages
