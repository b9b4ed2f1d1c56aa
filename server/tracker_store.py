"""The member-database tracker store, made to serve many visitors at once from one Rasa process.

Rasa's SQLTrackerStore talks to the database synchronously inside its async methods, so while PostgreSQL
answers, the Rasa server's one event loop serves nobody else; each save first counts the conversation's
stored events again; and each message rebuilds the tracker by replaying every event of the session.
Here each round trip runs in a worker thread, so other visitors' messages are parsed and predicted
meanwhile; a save appends only the events the tracker didn't have when it was read (the lock store keeps a
conversation to one message at a time, so that count is still true); and the tracker saved at the end of a
turn is held in memory and handed back for the next message when the database shows no event written
since (one indexed `max(id)` query), which works with several Rasa processes too. Events are written with
one INSERT statement on a plain connection, and the check runs on one too, rather than through the ORM's
session and unit of work. What is stored is exactly what Rasa stores, in the `events` table the member database's migrations create
(members/migrations/versions/0009_events.py), next to the enquiries (DATABASE_URL from the settings).

When the database can't be read or written, the store raises TrackerStoreUnavailable, which Rasa's
FailSafeTrackerStore lets through (it is not an Exception) instead of carrying on with a blank in-memory
tracker: the REST channel tells the visitor to send the message again, and no turn is half-saved.

Sending a message again is safe even when the store was wrong to say it wasn't taken (the database committed a
turn but the connection broke before it said so, or the reply was lost on its way to the visitor): the channel
puts the client's id for the message in RESENT, and a conversation whose latest message already has that id is
not run again; AlreadyTaken hands the channel the replies that turn gave.
"""
from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from firststop.settings import get_settings
from members.db import describe_error

STORED = "_firststop_stored_events"  # attribute on a tracker: how many of its events the database holds
HELD_TRACKERS = 200  # conversations kept in memory between messages (the most recently active)
LAST_EVENT_ID = text("SELECT max(id) FROM events WHERE sender_id = :sender_id")
RESENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("firststop_message_id", default=None)

log = logging.getLogger(__name__)


class TrackerStoreUnavailable(BaseException):
    """The conversation store (the member database) could not be read or written.

    A BaseException, like asyncio.CancelledError, so that the `except Exception` with which Rasa's
    FailSafeTrackerStore falls back to an in-memory tracker lets it through to the REST channel.
    """


class AlreadyTaken(BaseException):
    """The message being handled (its client id in RESENT) is the conversation's latest one: its turn was saved.

    A BaseException for the same reason as TrackerStoreUnavailable; `replies` are the messages the saved turn
    gave (BotUttered.message() dicts), which the channel sends again instead of running the turn twice.
    """

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        super().__init__("message already taken in")
        self.replies = replies


def saved_turn_replies(tracker: DialogueStateTracker | None, message_id: str | None) -> list[dict[str, Any]] | None:
    """The bot messages after the conversation's latest visitor message when that message has this client id
    (the turn was saved already), else None."""
    if tracker is None or message_id is None:
        return None
    replies = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return replies[::-1] if event.message_id == message_id else None
        if isinstance(event, BotUttered):
            replies.append(event.message())
    return None


async def unless_unavailable(work, what: str, conversation_id: str, *args):
    """Run the store's database work in a worker thread; a database failure becomes TrackerStoreUnavailable."""
    try:
        return await asyncio.to_thread(work, *args)
    except (SQLAlchemyError, OSError) as error:
        log.error("conversation store unavailable, can't %s %s: %s", what, conversation_id, describe_error(error))
        raise TrackerStoreUnavailable(describe_error(error)) from error


class ConcurrentTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the member database, its work off the event loop, with fewer queries and replays."""

    def __init__(self, domain=None, event_broker=None, **kwargs: Any) -> None:
        kwargs.pop("host", None)  # SQLTrackerStore takes a full URL in `host` as the engine URL
        super().__init__(domain, host=get_settings().database_url, event_broker=event_broker, **kwargs)
        self._held: OrderedDict[str, tuple[int, DialogueStateTracker]] = OrderedDict()
        self._held_lock = threading.Lock()

    def _take_held(self, sender_id: str) -> tuple[int, DialogueStateTracker] | None:
        """The tracker held for this conversation, removed from memory: a turn that fails won't be saved."""
        with self._held_lock:
            return self._held.pop(sender_id, None)

    def _hold(self, sender_id: str, last_event_id: int, tracker: DialogueStateTracker) -> None:
        if self.event_broker is not None:  # streaming compares the saved tracker with a fresh read of it
            return
        with self._held_lock:
            self._held[sender_id] = (last_event_id, tracker)
            self._held.move_to_end(sender_id)
            while len(self._held) > HELD_TRACKERS:
                self._held.popitem(last=False)

    def _read(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        """SQLTrackerStore._retrieve, in a worker thread: the held tracker if nothing was written since."""
        held = None if all_sessions else self._take_held(sender_id)
        if held is not None:
            with self.engine.connect() as connection:
                if connection.execute(LAST_EVENT_ID, {"sender_id": sender_id}).scalar() == held[0]:
                    return held[1]
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=all_sessions).all()
            events = [json.loads(row.data) for row in rows]
            last_event_id = rows[-1].id if rows else None
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if not all_sessions:
            setattr(tracker, STORED, len(tracker.events))
            tracker._firststop_last_event_id = last_event_id
        return tracker

    def _write(self, tracker: DialogueStateTracker) -> None:
        """SQLTrackerStore.save's database part, in a worker thread: append the events not stored yet."""
        stored = getattr(tracker, STORED, None)
        if stored is None:  # a tracker this store didn't read (a new conversation): count what is stored
            with self.session_scope() as session:
                stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        new_events = list(tracker.events)[stored:]
        rows = []
        for event in new_events:
            data: dict[str, Any] = event.as_dict()
            rows.append({
                "sender_id": tracker.sender_id,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            })
        last_event_id = getattr(tracker, "_firststop_last_event_id", None)
        if rows:
            with self.engine.begin() as connection:
                connection.execute(self.SQLEvent.__table__.insert(), rows)
                last_event_id = connection.execute(LAST_EVENT_ID, {"sender_id": tracker.sender_id}).scalar()
        setattr(tracker, STORED, len(tracker.events))
        tracker._firststop_last_event_id = last_event_id
        # A session that restarted is read back from the database (its events only), as Rasa would.
        restarted = stored and any(isinstance(event, SessionStarted) for event in new_events)
        if last_event_id is not None and not restarted:
            self._hold(tracker.sender_id, last_event_id, tracker)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the conversation's latest session; AlreadyTaken if it has taken in the message that is
        being handled (RESENT) already."""
        tracker = await unless_unavailable(self._read, "read", sender_id, sender_id, False)
        replies = saved_turn_replies(tracker, RESENT.get())
        RESENT.set(None)  # the turn's first read decides; its later reads (streaming, say) are ordinary
        if replies is not None:
            raise AlreadyTaken(replies)
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """The tracker with the events of every session."""
        return await unless_unavailable(self._read, "read", conversation_id, conversation_id, True)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events."""
        await self.stream_events(tracker)
        await unless_unavailable(self._write, "save", tracker.sender_id, tracker)
