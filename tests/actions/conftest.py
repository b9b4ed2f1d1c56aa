"""Action-level fixtures: the action server's services on a test database, and rasa_sdk Trackers built directly."""
from __future__ import annotations

import time
import uuid

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from firststop.settings import get_settings

CLIENT_KEY = "ab" * 32  # what the REST channel puts in the metadata: a keyed hash of the client address


def _reset() -> None:
    get_settings.cache_clear()
    services._store.cache_clear()


@pytest.fixture
def actions_on(monkeypatch, tmp_path):
    """A function that points the actions' settings at a database (and a spool in tmp_path)."""

    def point(database_url: str, **env: str) -> None:
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("FIRSTSTOP_VAR", str(tmp_path / "var"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        _reset()

    yield point
    _reset()


@pytest.fixture
def actions_db(actions_on, db_url):
    """The actions' settings on the migrated test database."""
    actions_on(db_url)
    return db_url


def tracker(slots: dict, text: str = "I want to talk to someone", intent: str = "request_human",
            sender_id: str | None = None, client_key: str | None = CLIENT_KEY, events: list | None = None) -> Tracker:
    """A tracker as Rasa sends it to the action server, with the visitor's latest message and its metadata."""
    metadata = {"language": "en", **({"client_key": client_key} if client_key else {})}
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": [], "metadata": metadata}
    user = {"event": "user", "timestamp": time.time(), "text": text, "parse_data": latest, "input_channel": "rest",
            "metadata": metadata}
    return Tracker(sender_id or uuid.uuid4().hex, slots, latest, [*(events or []), user], False, None, {}, None)


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    """What the visitor was told."""
    return [m.get("text") or "" for m in dispatcher.messages]
