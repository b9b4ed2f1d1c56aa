"""A real conversation (Rasa server with the trained model, action server, member database) as the console
shows it: the events Rasa writes are the ones the transcript, the search index and the dashboard read."""
from __future__ import annotations

import re

from console import create_app
from console.accounts import set_account
from members.db import session_factory
from members.models import ConversationIndex
from tests.conftest import eventually
from tests.console.conftest import ADVISOR, login


def test_a_real_conversation_in_the_console(stack, sender_id):
    assert "SurfMat" in stack.say(sender_id, "We develop anti-corrosion coatings for steel structures")
    stack.say(sender_id, "blorf wibble zonk")  # words the bot can't understand
    with session_factory(stack.database_url).begin() as session:
        set_account(session, *ADVISOR, role="advisor")
    client = create_app({"DATABASE_URL": stack.database_url, "TESTING": True, "SECRET_KEY": "test"}).test_client()
    login(client, *ADVISOR)

    html = client.get(f"/console/conversations/{sender_id}").get_data(as_text=True)
    assert "We develop anti-corrosion coatings for steel structures" in html and "blorf wibble zonk" in html
    first = re.search(r'<div class="msg msg-visitor[^"]*".*?</aside>', html, re.DOTALL).group(0)
    assert re.search(r'intent <b>\w+</b> <span class="confidence">[01]\.\d\d</span>', first)
    assert "SurfMat" in html and 'class="chip"' in html  # the bot's reply with its buttons

    def indexed():  # the stack's worker reads new events into the index
        with session_factory(stack.database_url)() as session:
            row = session.get(ConversationIndex, sender_id)
            return row is not None and "blorf" in row.search_text and row

    row = eventually(indexed)
    assert row and "anti-corrosion" in row.search_text and "SurfMat" in row.search_text
    dashboard = client.get("/console/dashboard").get_data(as_text=True)
    assert "blorf wibble zonk" in dashboard  # among the questions the bot could not answer
