"""The concurrent tracker store gives Rasa the same conversations as its SQL tracker store: a held tracker is
used only while the database has nothing newer, a turn that wasn't saved leaves no trace, a message sent again
after a turn that was saved (though the store said it wasn't) isn't run twice, and two Rasa processes sharing
the database see each other's turns."""
from __future__ import annotations

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from sqlalchemy.exc import OperationalError

from firststop.settings import ROOT, get_settings
from server import tracker_store
from tests.conftest import run_async


@pytest.fixture
def stores(db_url, monkeypatch):
    """Two ConcurrentTrackerStores (as in two Rasa processes) and Rasa's own store, on one database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    domain = Domain.load(ROOT / "domain.yml")
    made = [tracker_store.ConcurrentTrackerStore(domain), tracker_store.ConcurrentTrackerStore(domain),
            SQLTrackerStore(domain, host=db_url)]
    yield made
    for store in made:
        store.engine.dispose()
    get_settings.cache_clear()


def turn(tracker, text: str, slot_value: str) -> None:
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 1.0}))
    tracker.update(SlotSet("name", slot_value))
    tracker.update(ActionExecuted("action_listen"))


def events_of(tracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events if not isinstance(event, ActionExecuted)
            or event.action_name != "action_listen"]


def test_turns_are_stored_as_rasa_stores_them(stores):
    first, _, rasa = stores

    async def scenario():
        tracker = await first.get_or_create_tracker("visitor")
        tracker.update(SessionStarted())
        turn(tracker, "Jane", "Jane")
        await first.save(tracker)
        tracker = await first.retrieve("visitor")
        turn(tracker, "Joan", "Joan")
        await first.save(tracker)
        return tracker, await rasa.retrieve("visitor")

    ours, rasas = run_async(scenario())
    assert rasas.get_slot("name") == "Joan"
    assert events_of(rasas)[-6:] == events_of(ours)[-6:]


def test_a_turn_that_was_not_saved_leaves_no_trace(stores):
    first, _, _ = stores

    async def scenario():
        tracker = await first.get_or_create_tracker("visitor")
        turn(tracker, "Jane", "Jane")
        await first.save(tracker)
        abandoned = await first.retrieve("visitor")
        turn(abandoned, "Joan", "Joan")  # the action server failed: the channel answered 503, no save
        return await first.retrieve("visitor")

    assert run_async(scenario()).get_slot("name") == "Jane"


def test_a_message_sent_again_after_a_saved_turn_gets_that_turns_replies(stores, monkeypatch):
    """The database commits a turn but the connection breaks before it says so: the store reports the turn
    unsaved, the visitor's client sends the message again with its id, and gets the first turn's replies back
    instead of a second turn (which would answer "yes" to the next question)."""
    first, second, _ = stores
    write = first._write

    def committed_then_lost(tracker):
        write(tracker)
        raise OperationalError("COMMIT", {}, ConnectionResetError("connection reset by peer"))

    async def scenario():
        tracker = await first.get_or_create_tracker("visitor")
        turn(tracker, "Jane", "Jane")
        await first.save(tracker)
        tracker = await first.retrieve("visitor")
        tracker.update(UserUttered("yes", {"name": "affirm", "confidence": 1.0}, message_id="c0ffee-0001"))
        tracker.update(BotUttered("May we store your name?", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}))
        tracker.update(ActionExecuted("action_listen"))
        monkeypatch.setattr(first, "_write", committed_then_lost)
        with pytest.raises(tracker_store.TrackerStoreUnavailable):
            await first.save(tracker)
        monkeypatch.setattr(first, "_write", write)
        taken = []
        for store in (first, second):  # whichever Rasa process the message reaches again
            tracker_store.RESENT.set("c0ffee-0001")
            with pytest.raises(tracker_store.AlreadyTaken) as resent:
                await store.retrieve("visitor")
            taken.append(resent.value.replies)
        tracker_store.RESENT.set("c0ffee-0002")  # a new message is a new turn
        return taken, await first.retrieve("visitor")

    taken, tracker = run_async(scenario())
    for replies in taken:
        assert [(reply["text"], reply["buttons"]) for reply in replies] == [
            ("May we store your name?", [{"title": "Yes", "payload": "/affirm"}])]
    assert tracker.latest_message.text == "yes"


def test_two_processes_see_each_others_turns(stores):
    first, second, _ = stores

    async def scenario():
        tracker = await first.get_or_create_tracker("visitor")
        turn(tracker, "Jane", "Jane")
        await first.save(tracker)  # the first process now holds this tracker
        other = await second.retrieve("visitor")
        turn(other, "Joan", "Joan")
        await second.save(other)  # … and the next message went to the second process
        return await first.retrieve("visitor")

    assert run_async(scenario()).get_slot("name") == "Joan"
