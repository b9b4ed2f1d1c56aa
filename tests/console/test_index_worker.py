"""Console pages read the search index and never write it: the background worker keeps it up to date."""
from __future__ import annotations

from members.models import ConversationIndex
from members.seed import add_events, user_event
from tests.console.conftest import index_round


def test_a_console_search_does_not_write_the_index(app, db, logged_in):
    with db.begin() as session:
        add_events(session, [user_event("c-new", "hydrogen storage tanks", "describe_project", 0.8)])
    assert logged_in.get("/console/?q=hydrogen").status_code == 200
    with db() as session:
        assert session.get(ConversationIndex, "c-new") is None  # the page read, it did not write
    index_round(db)
    with db() as session:
        assert "hydrogen" in session.get(ConversationIndex, "c-new").search_text
