"""Read conversations from Rasa's tracker store table (`events`), which shares the member database."""
from __future__ import annotations

import json
from dataclasses import dataclass
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


def transcript(session: Session, conversation_id: str) -> list[Message]:
    """The visitor's and the bot's messages in order; empty if the conversation is unknown."""
    try:
        rows = session.execute(
            select(events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.sender_id == conversation_id, events.c.type_name.in_(("user", "bot")))
            .order_by(events.c.id)
        ).all()
    except (OperationalError, ProgrammingError):  # Rasa has not created its table yet
        session.rollback()
        return []
    messages = []
    for type_name, timestamp, data in rows:
        event = json.loads(data or "{}")
        at = datetime.fromtimestamp(timestamp or 0, timezone.utc)
        if type_name == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            messages.append(Message(
                "visitor", event.get("text") or "", at, intent.get("name"), intent.get("confidence"),
                tuple(f"{e.get('entity')}={e.get('value')}" for e in parse.get("entities") or []),
            ))
        elif event.get("text"):
            buttons = (event.get("data") or {}).get("buttons") or []
            messages.append(Message("bot", event["text"], at, buttons=tuple(b.get("title", "") for b in buttons)))
    return messages
