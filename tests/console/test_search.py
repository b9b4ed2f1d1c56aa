"""The transcript search index follows Rasa's events table: incremental, idempotent, and it catches rows
that commit out of id order."""
from __future__ import annotations

import time

from sqlalchemy import func, select

from console import search
from members.models import ConversationIndex, UnansweredQuestion
from members.seed import add_events, bot_event, user_event


def test_refresh_reads_only_new_messages_and_is_idempotent(app, db):
    with db.begin() as session:
        add_events(session, [user_event("a", "first question", "ask_question", 0.9),
                             bot_event("a", "I'm not sure I have the answer to that.", metadata={"text_key": "answer.unsure"})])
    with db() as session:
        assert search.refresh(session) == 2
        session.commit()
        assert search.refresh(session) == 0  # nothing new: not even a re-read
        session.commit()
    with db.begin() as session:
        add_events(session, [user_event("a", "second question", "ask_question", 0.9),
                             user_event("b", "hello", "greet", 0.99)])
    with db() as session:
        assert search.refresh(session) == 4  # the last ids are read again, and skipped by their conversation
        session.commit()
        row = session.get(ConversationIndex, "a")
        assert row.search_text == "first question\nI'm not sure I have the answer to that.\nsecond question"
        assert row.visitor_messages == 2 and row.last_visitor_text == "second question"
        assert session.scalar(select(func.count()).select_from(ConversationIndex)) == 2
        assert session.scalars(select(UnansweredQuestion.text)).all() == ["first question"]


def test_a_row_that_commits_late_with_a_smaller_id_is_still_indexed(app, db):
    now = time.time()
    rows = [user_event("a", f"message {n}", "ask_question", 0.9, at=now + n) for n in range(10)]
    with db.begin() as session:
        add_events(session, [{**row, "id": n + 1} for n, row in enumerate(rows) if n != 4])  # id 5 still uncommitted
    with db() as session:
        search.refresh(session)
        session.commit()
    with db.begin() as session:
        add_events(session, [{**user_event("late", "the late one", "greet", 0.9), "id": 5}])
        add_events(session, [{**user_event("a", "and one more", "greet", 0.9), "id": 11}])
    with db() as session:
        search.refresh(session)
        session.commit()
        assert session.get(ConversationIndex, "late").search_text == "the late one"
        assert session.get(ConversationIndex, "a").search_text.count("message") == 9


def test_batches_cover_more_events_than_one_batch(app, db, monkeypatch):
    monkeypatch.setattr(search, "BATCH", 7)
    with db.begin() as session:
        add_events(session, [user_event(f"c{n % 5}", f"word{n}", "greet", 0.9) for n in range(40)])
    with db() as session:
        assert search.refresh(session, max_events=25) == 25
        session.commit()
        search.refresh(session)
        session.commit()
        texts = {row.conversation_id: row.search_text for row in session.scalars(select(ConversationIndex))}
    assert texts["c0"].split("\n") == [f"word{n}" for n in range(0, 40, 5)]
    assert sum(len(t.split("\n")) for t in texts.values()) == 40


def test_a_migrated_database_that_rasa_never_ran_on_has_nothing_to_index(db):
    with db() as session:
        assert search.refresh(session) == 0
