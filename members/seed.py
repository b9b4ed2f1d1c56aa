"""Rasa-shaped `events` rows and enquiries written directly: seed data for the console's tests, its benchmark
and demos."""
from __future__ import annotations

import json
import time
from collections.abc import Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from members.models import Enquiry
from members.transcripts import events


def user_event(sender: str, text: str, intent: str, confidence: float, entities: Iterable[tuple[str, str]] = (),
               at: float | None = None) -> dict:
    """An `events` row for a visitor message, shaped as Rasa 3.6's SQL tracker store writes it."""
    at = at or time.time()
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence},
             "entities": [{"entity": e, "value": v, "start": 0, "end": 0} for e, v in entities],
             "intent_ranking": [{"name": intent, "confidence": confidence}]}
    data = {"event": "user", "timestamp": at, "text": text, "parse_data": parse, "input_channel": "rest",
            "message_id": f"m{at}", "metadata": {}}
    return {"sender_id": sender, "type_name": "user", "timestamp": at, "intent_name": intent, "action_name": None,
            "data": json.dumps(data)}


def bot_event(sender: str, text: str, buttons: Iterable[tuple[str, str]] = (), at: float | None = None,
              metadata: dict | None = None) -> dict:
    """An `events` row for a bot message; buttons are (title, payload); metadata as the actions send it (the
    catalogue's `text_key`, an answer's `entry`)."""
    at = at or time.time()
    data = {"event": "bot", "timestamp": at, "text": text,
            "data": {"buttons": [{"title": t, "payload": p} for t, p in buttons] or None}, "metadata": metadata or {}}
    return {"sender_id": sender, "type_name": "bot", "timestamp": at, "intent_name": None, "action_name": None,
            "data": json.dumps(data)}


def action_event(sender: str, name: str, at: float | None = None) -> dict:
    """An `events` row for an action the bot ran (not shown in transcripts)."""
    at = at or time.time()
    data = {"event": "action", "timestamp": at, "name": name}
    return {"sender_id": sender, "type_name": "action", "timestamp": at, "intent_name": None, "action_name": name,
            "data": json.dumps(data)}


def add_events(session: Session, rows: list[dict]) -> None:
    """Append rows to `events` in order."""
    if rows:
        session.execute(insert(events), rows)


def add_enquiry(session: Session, conversation_id: str, **fields) -> Enquiry:
    """An enquiry as members.enquiries would have written it."""
    enquiry = Enquiry(conversation_id=conversation_id, **{"summary": "", "status": "new", "bot_unsure": False,
                                                          "language": "en", "channel": "rest", **fields})
    session.add(enquiry)
    session.flush()
    return enquiry
