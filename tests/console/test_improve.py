"""Improving the bot: the review queue (not sure in any language, low confidence, thumbs down), a turn flagged as a
wrong answer, a wrong cluster, stale content or a misread intent, which changes the published content at once and
the NLU export (without personal details) that Rasa itself reads back."""
from __future__ import annotations

import re
import time
from datetime import date

import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sqlalchemy import select

from console.review import domain_intents
from members import content_store
from members.models import ContentItem, FlaggedMessage, VisitorFeedback
from members.seed import add_enquiry, add_events, bot_event, user_event
from members.transcripts import events
from tests.console.conftest import ADVISOR, XSS, index_round, post
from tests.console.turns import answered_turn, seed_content, slot_event


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


# --- reviewing a turn: wrong answer, wrong cluster, stale content, nothing wrong ---

def published_data(db, kind: str, key: str) -> dict:
    with db() as session:
        item = session.scalars(select(ContentItem).where(ContentItem.kind == kind, ContentItem.key == key)).one()
        publisher = item.published.publisher
        return content_store.revision_data(item.published) | {"_review_by": item.review_by,
                                                              "_by": publisher.email if publisher else None,
                                                              "_note": item.published.note}


def review_post(client, event_id: int, **form):
    return post(client, f"/console/review/turns/{event_id}/flag", form, follow_redirects=True)


def test_a_wrong_answer_becomes_an_example_of_the_right_entry_without_personal_details(logged_in, db):
    seed_content(db)
    question = "I'm Marie Dupont of Acme Coatings S.A., mail marie@acme.example or call +352 621 123 456: who pays for a prototype?"
    with db.begin() as session:
        answered_turn(session, "c-wrong", question, "agency-contact")
        add_events(session, [slot_event("c-wrong", "name", "Marie Dupont", time.time() + 5)])
        add_enquiry(session, "c-wrong", claimed_organisation="Acme Coatings S.A.")
    event_id = event_ids(db, "c-wrong")[0]
    page = logged_in.get(f"/console/review/turns/{event_id}").get_data(as_text=True)
    assert "entry <code>agency-contact</code>" in page and 'id="wrong-answer"' in page

    html = review_post(logged_in, event_id, kind="wrong_answer", entry="rd-funding").get_data(as_text=True)
    assert "now an example of the right entry, published" in html and "Flagged: wrong answer" in html
    expected = "I'm Alex of Example Company, mail name@example.org or call +352 000 000: who pays for a prototype?"
    data = published_data(db, "entry", "rd-funding")
    assert data["examples"][-1] == expected  # no name, organisation, address or phone left
    assert data["_by"] == ADVISOR[0] and f"conversation c-wrong, message {event_id}" in data["_note"]
    with db() as session:
        flag = session.scalars(select(FlaggedMessage)).one()
        assert (flag.kind, flag.answered_entry, flag.correct_entry, flag.correct_intent) == (
            "wrong_answer", "agency-contact", "rd-funding", "ask_question")
    export = logged_in.get("/console/flags/nlu.yml").get_data(as_text=True)
    assert f"- intent: ask_question\n  examples: |\n    - {expected}\n" in export
    assert "Marie" not in export and "Dupont" not in export and "Acme" not in export and "621" not in export
    listing = logged_in.get("/console/flags").get_data(as_text=True)
    assert "wrong answer" in listing and "answered <code>agency-contact</code>" in listing and "revision" in listing

    # flagging it again adds nothing twice
    html = review_post(logged_in, event_id, kind="wrong_answer", entry="rd-funding").get_data(as_text=True)
    assert "already an example there" in html
    assert published_data(db, "entry", "rd-funding")["examples"].count(expected) == 1


def test_a_french_turn_teaches_the_french_examples(logged_in, db):
    seed_content(db)
    with db.begin() as session:
        answered_turn(session, "c-fr", "qui finance un prototype industriel ?", "agency-contact", language="fr")
    review_post(logged_in, event_ids(db, "c-fr")[0], kind="wrong_answer", entry="rd-funding")
    data = published_data(db, "entry", "rd-funding")
    assert data["translations"]["fr"]["examples"][-1] == "qui finance un prototype industriel ?"
    assert "qui finance un prototype industriel ?" not in data["examples"]


def test_a_wrong_cluster_becomes_an_example_of_the_right_cluster(logged_in, db):
    seed_content(db)
    now = time.time()
    with db.begin() as session:
        add_events(session, [
            slot_event("c-route", "language", "de", now - 1),
            user_event("c-route", "wir beschichten Implantate für Kliniken", "describe_project", 0.9, at=now),
            bot_event("c-route", "Das klingt nach SurfMat.", at=now + 1, metadata={"text_key": "ask.cluster.proposed"}),
            slot_event("c-route", "route_cluster", "surfmat", now + 1),
        ])
    event_id = event_ids(db, "c-route")[0]
    assert "proposed the cluster <b>surfmat</b>" in logged_in.get(f"/console/review/turns/{event_id}").get_data(as_text=True)
    html = review_post(logged_in, event_id, kind="wrong_cluster", cluster="biohealth").get_data(as_text=True)
    assert "now an example of the right cluster" in html
    vocabulary = published_data(db, "cluster", "biohealth")["vocabulary"]["de"]
    assert vocabulary["examples"][-1] == "wir beschichten Implantate für Kliniken"
    with db() as session:
        flag = session.scalars(select(FlaggedMessage)).one()
        assert (flag.proposed_cluster, flag.correct_cluster, flag.correct_intent) == ("surfmat", "biohealth",
                                                                                    "describe_project")


def test_stale_content_marks_the_entry_for_review_by_its_owner(logged_in, db):
    seed_content(db)
    assert published_data(db, "entry", "agency-services")["needs_review"] is False
    with db.begin() as session:
        answered_turn(session, "c-stale", "what services do you offer", "agency-services")
    event_id = event_ids(db, "c-stale")[0]
    page = logged_in.get(f"/console/review/turns/{event_id}").get_data(as_text=True)
    assert re.search(r'<option value="agency-services" selected>', page)  # the entry it answered with, preselected
    html = review_post(logged_in, event_id, kind="stale", entry="agency-services",
                       note="the services list changed in 2026").get_data(as_text=True)
    assert "the entry is marked for review" in html
    data = published_data(db, "entry", "agency-services")
    assert data["needs_review"] is True and data["_review_by"] == date.today()  # due today: its owner is reminded
    assert "the services list changed in 2026" in data["_note"]
    assert "nlu: []" in logged_in.get("/console/flags/nlu.yml").get_data(as_text=True)  # no training data


def test_refusals_say_why_and_change_nothing(logged_in, db):
    seed_content(db)
    with db.begin() as session:
        answered_turn(session, "c-no", "what are the R&D aid rates", "rdi-aid-amounts")
        add_events(session, [user_event("c-no", '/ask_question{"topic":"rd-funding"}', "ask_question", 1.0)])
    typed, clicked = event_ids(db, "c-no")
    cases = [
        (typed, {"kind": "wrong_answer", "entry": "no-such-entry"}, "no published entry"),
        (typed, {"kind": "wrong_answer"}, "choose the entry that should have answered"),
        (typed, {"kind": "wrong_cluster", "cluster": "mars"}, "choose the cluster"),
        (typed, {"kind": "guess"}, "choose what went wrong"),
        (typed, {"kind": "ok", "note": "x" * 301}, "at most 300 characters"),
        (clicked, {"kind": "wrong_answer", "entry": "rd-funding"}, "a button click can"),
    ]
    for event_id, form, why in cases:
        html = review_post(logged_in, event_id, **form).get_data(as_text=True)
        assert "Not flagged" in html and why in html, (form, why)
    with db() as session:
        assert session.scalars(select(FlaggedMessage)).all() == []
    assert logged_in.get("/console/review/turns/999999").status_code == 404


def test_the_queue_lists_not_sure_in_any_language_low_confidence_and_thumbs_down(logged_in, db):
    now = time.time()
    with db.begin() as session:
        add_events(session, [
            user_event("c-fr-unsure", "subvention pour la téléportation", "ask_question", 0.7, at=now - 30),
            bot_event("c-fr-unsure", "Je ne suis pas sûr d'avoir la réponse.", at=now - 29, metadata={"text_key": "answer.unsure"}),
            user_event("c-low", "blorf wibble", "greet", 0.31, at=now - 20),
            bot_event("c-low", "Bonjour !", at=now - 19, metadata={"text_key": "greet"}),
        ])
        answered_turn(session, "c-down", "how do I apply for aid", "rd-funding", at=now - 10)
    with db() as session:
        bot_id = session.scalar(select(events.c.id).where(events.c.sender_id == "c-down", events.c.type_name == "bot"))
    with db.begin() as session:
        session.add(VisitorFeedback(conversation_id="c-down", event_id=bot_id, vote="down", comment="not what I asked",
                                    text_key="answer.source", entry="rd-funding"))
    index_round(db)
    queue = logged_in.get("/console/review").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td><a href=\"/console/review/turns/(\d+)\">(.*?)</a>.*?</tr>", queue, re.DOTALL)
    assert [text for _, text in rows] == ["how do I apply for aid", "blorf wibble", "subvention pour la téléportation"]
    assert "thumbs down" in queue and "not what I asked" in queue and "greet 0.31" in queue and "not sure" in queue
    only_down = logged_in.get("/console/review?reason=down").get_data(as_text=True)
    assert "how do I apply for aid" in only_down and "blorf" not in only_down

    review_post(logged_in, int(rows[1][0]), kind="ok")  # reviewed: nothing wrong
    queue = logged_in.get("/console/review").get_data(as_text=True)
    assert "blorf wibble" not in queue and "subvention" in queue
