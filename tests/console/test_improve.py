"""Improving the bot: flag a visitor message with the intent it should have had, and export the flags as
Rasa NLU training data that Rasa itself reads back."""
from __future__ import annotations

import re

import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sqlalchemy import select

from console.review import domain_intents
from members.models import FlaggedMessage
from members.transcripts import events
from tests.console.conftest import XSS, post


def event_ids(db, conversation_id: str, type_name: str = "user") -> list[int]:
    with db() as session:
        return list(session.scalars(
            select(events.c.id).where(events.c.sender_id == conversation_id, events.c.type_name == type_name)
            .order_by(events.c.id)
        ))


def flag(client, conversation_id: str, event_id: int, intent: str):
    return post(client, "/console/flags", {"event_id": event_id, "intent": intent, "conversation_id": conversation_id},
                follow_redirects=True)


def test_flag_a_message_then_change_the_flag(logged_in, seeded, db):
    funding = event_ids(db, seeded.funding)[0]
    response = flag(logged_in, seeded.funding, funding, "request_human")
    assert b"Message flagged" in response.data and b"flagged: should be <b>request_human</b>" in response.data
    flag(logged_in, seeded.funding, funding, "ask_question")
    with db() as session:
        flags = session.scalars(select(FlaggedMessage)).all()
    assert [(f.text, f.predicted_intent, f.correct_intent) for f in flags] == [
        ("can I get money for a quantum teleportation prototype", "ask_question", "ask_question")]
    listing = logged_in.get("/console/flags").get_data(as_text=True)
    assert "quantum teleportation prototype" in listing and "<b>ask_question</b>" in listing
    assert "0.41" in listing and "julien.marchetti@example.org" in listing


def test_only_typed_visitor_messages_and_known_intents_can_be_flagged(logged_in, seeded, db):
    coatings = event_ids(db, seeded.coatings)
    bot_message = event_ids(db, seeded.coatings, "bot")[0]
    refused = [
        flag(logged_in, seeded.coatings, coatings[0], "no_such_intent"),
        flag(logged_in, seeded.coatings, coatings[0], "nlu_fallback"),
        flag(logged_in, seeded.coatings, bot_message, "greet"),
        flag(logged_in, seeded.coatings, coatings[1], "affirm"),  # the click on a button: "/affirm"
        flag(logged_in, seeded.coatings, 999999, "greet"),
    ]
    assert all(b"Not flagged" in r.data for r in refused)
    with db() as session:
        assert session.scalars(select(FlaggedMessage)).all() == []
    html = logged_in.get(f"/console/conversations/{seeded.coatings}").get_data(as_text=True)
    assert html.count('action="/console/flags"') == 1  # a form beside the typed message only


def test_the_flag_menu_offers_the_domains_intents(logged_in, seeded):
    html = logged_in.get(f"/console/conversations/{seeded.coatings}").get_data(as_text=True)
    menu = re.search(r'<select name="intent">(.*?)</select>', html, re.DOTALL).group(1)
    assert re.findall(r'<option value="([^"]+)"', menu) == domain_intents()
    assert '<option value="describe_project" selected>' in menu  # preselected: what the bot understood


def test_export_is_rasa_nlu_yaml_that_rasa_reads(logged_in, seeded, db):
    flag(logged_in, seeded.funding, event_ids(db, seeded.funding)[0], "ask_question")
    flag(logged_in, seeded.xss, event_ids(db, seeded.xss)[0], "complain")
    flag(logged_in, seeded.chat_only, event_ids(db, seeded.chat_only)[0], "greet")
    response = logged_in.get("/console/flags/nlu.yml")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert yaml.safe_load(text)["version"] == "3.1"
    assert "- intent: ask_question\n  examples: |\n    - can I get money for a quantum teleportation prototype\n" in text
    data = RasaYAMLReader().reads(text)
    examples = sorted((m.get("intent"), m.get("text")) for m in data.training_examples)
    assert examples == sorted([
        ("ask_question", "can I get money for a quantum teleportation prototype"),
        ("complain", XSS),
        ("greet", "hello"),
    ])
    assert {intent for intent, _ in examples} <= set(domain_intents())


def test_withdraw_a_flag(logged_in, seeded, db):
    flag(logged_in, seeded.chat_only, event_ids(db, seeded.chat_only)[0], "greet")
    with db() as session:
        flag_id = session.scalars(select(FlaggedMessage.id)).one()
    post(logged_in, f"/console/flags/{flag_id}/delete")
    assert "Nothing flagged yet." in logged_in.get("/console/flags").get_data(as_text=True)
    assert "nlu: []" in logged_in.get("/console/flags/nlu.yml").get_data(as_text=True)
