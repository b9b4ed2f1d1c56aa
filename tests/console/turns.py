"""Conversations for the review tests, written as Rasa stores them: bot messages carry their catalogue key (and
an answer its entry) in the metadata, and the slots the actions set are events too."""
from __future__ import annotations

import json
import time

from firststop.settings import get_settings
from members import content_store
from members.seed import add_events, bot_event, user_event


def slot_event(sender: str, name: str, value, at: float) -> dict:
    """An `events` row for a slot an action set."""
    data = {"event": "slot", "timestamp": at, "name": name, "value": value}
    return {"sender_id": sender, "type_name": "slot", "timestamp": at, "intent_name": None, "action_name": None,
            "data": json.dumps(data)}


def seed_content(db) -> None:
    """The content store as on first start: knowledge/'s files, published."""
    with db.begin() as session:
        content_store.seed_if_empty(session, get_settings().knowledge_dir)


def answered_turn(session, sender: str, question: str, entry: str, at: float | None = None, language: str = "en",
                  confidence: float = 0.8) -> None:
    """A visitor question answered with `entry` (the entry named by the `last_topic` slot, as the action leaves it)."""
    at = at or time.time()
    add_events(session, [
        slot_event(sender, "language", language, at - 1),
        user_event(sender, question, "ask_question", confidence, at=at),
        bot_event(sender, f"The answer of {entry}.\n\nSource: [Guichet](https://guichet.lu) · checked on 1 May",
                        at=at + 1, metadata={"text_key": "answer.source"}),
        slot_event(sender, "last_topic", entry, at + 1),
    ])
