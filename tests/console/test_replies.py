"""Issue 17 items 3-5 in the console (SQLite and PostgreSQL): an advisor's reply reaches the visitor once by e-mail
(real SMTP on loopback) with the right Reply-To and is served to the widget; the widget's public endpoints refuse
bad ids, set no cookie and allow only the configured origins; visitors' feedback is kept, counted per entry and
listed; the transcript is shown as the visitor saw it."""
from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from sqlalchemy import select

from console import create_app
from handoff import sender
from members.models import Contact, Enquiry, OutboxMessage, StaffReply, VisitorFeedback
from members.seed import add_enquiry, add_events, bot_event, user_event
from members.transcripts import events, text_hash
from tests.console.conftest import ADVISOR, XSS, login, post

MAIL_FROM = "FirstStop <firststop@example.org>"
ANSWER = "You can apply to the **Ministry of the Economy** for [R&D aid](https://meco.gouv.lu/rdi). See http://plain.example"


def conversation_id() -> str:
    return uuid.uuid4().hex


def slot_event(sender_id: str, name: str, value, at: float) -> dict:
    data = {"event": "slot", "timestamp": at, "name": name, "value": value}
    return {"sender_id": sender_id, "type_name": "slot", "timestamp": at, "intent_name": None, "action_name": None,
            "data": json.dumps(data)}


def keyed_bot_event(sender_id: str, text: str, key: str, at: float, buttons=()) -> dict:
    """A bot message with its catalogue key in the metadata, as actions.asks.say() sends it."""
    return bot_event(sender_id, text, buttons, at=at, metadata={"text_key": key, "language": "en"})


@pytest.fixture
def chat(db):
    """A widget conversation: greeting (buttons), a quick reply, an answer from an entry, a button payload with an
    entity, and an XSS attempt; with an enquiry whose contact left an address, routed to the logged-in advisor."""
    cid, now = conversation_id(), time.time() - 100
    with db.begin() as session:
        add_events(session, [
            user_event(cid, "/greet", "greet", 1.0, at=now),
            keyed_bot_event(cid, "Hello! I'm FirstStop.", "greet", now + 1,
                            [("Funding for an R&D project", '/ask_question{"topic": "rdi_funding"}')]),
            user_event(cid, '/ask_question{"topic":"rdi_funding"}', "ask_question", 1.0, at=now + 2),
            keyed_bot_event(cid, ANSWER, "answer.source", now + 3, [("Tell me more", "/tell_me_more")]),
            slot_event(cid, "last_topic", "rdi_funding", now + 3.5),
            keyed_bot_event(cid, "Which cluster is it?", "ask.cluster.choose", now + 4,
                            [("EcoDev", '/inform{"cluster":"ecodev"}')]),
            keyed_bot_event(cid, "Or describe your project.", "ask.project_description", now + 4.5),
            user_event(cid, '/inform{"cluster": "ecodev"}', "inform", 1.0, [("cluster", "ecodev")], at=now + 5),
            user_event(cid, XSS, "nlu_fallback", 0.2, at=now + 6),
        ])
        marie = Contact(email="marie@acme.example", name="Marie Dupont")
        session.add(marie)
        add_enquiry(session, cid, summary="coatings", advisor_id="a-surfmat-fr", contact=marie)
    return cid


def test_a_reply_is_mailed_once_with_reply_to_the_advisor_and_served_to_the_widget(app, logged_in, db, chat,
                                                                                   smtp_server):
    with db() as session:
        enquiry = session.scalars(select(Enquiry).where(Enquiry.conversation_id == chat)).one()
    response = post(logged_in, f"/console/enquiries/{enquiry.id}/reply",
                    {"body": "Dear Marie,\n\nwe can meet on **Monday**. <b>Julien</b>"}, follow_redirects=True)
    assert response.status_code == 200 and "Reply sent" in response.get_data(as_text=True)

    connect = sender.smtp_factory("127.0.0.1", smtp_server.port, "none", "", "", 5)
    assert sender.deliver_due(db, connect, MAIL_FROM, 8) == {"sent": 1}
    assert sender.deliver_due(db, connect, MAIL_FROM, 8) == {}  # exactly once
    (recipients, mail), = smtp_server.handler.messages
    assert recipients == ["marie@acme.example"]
    assert mail["Reply-To"] == "julien.marchetti@example.org"  # the enquiry's advisor
    assert mail["Subject"] == "Julien Marchetti replied to your enquiry"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "we can meet on **Monday**. <b>Julien</b>" in text and "replying to this e-mail" in text
    assert "<b>Julien</b>" not in mail.get_body(preferencelist=("html",)).get_content()  # escaped in the HTML part

    widget = app.test_client()
    served = widget.get(f"/api/conversations/{chat}/replies")
    assert served.status_code == 200 and "Set-Cookie" not in served.headers
    (reply,) = served.json["replies"]
    assert reply["from"] == "Julien Marchetti" and reply["text"].startswith("Dear Marie,\n\nwe can meet")

    page = logged_in.get(f"/console/conversations/{chat}").get_data(as_text=True)
    assert "Advisor Julien Marchetti" in page and "e-mail <strong class=\"status-sent\">sent</strong>" in page
    with db() as session:  # a reply keeps the promise: no reminder will chase it
        assert session.get(Enquiry, enquiry.id).acknowledged_at is not None


def test_without_an_advisor_the_reply_goes_to_the_general_inbox_and_without_an_address_only_to_the_chat(
        app, logged_in, db):
    routed_nowhere, anonymous = conversation_id(), conversation_id()
    with db.begin() as session:
        general = add_enquiry(session, routed_nowhere, claimed_email="visitor@example.net", contact_status="claimed")
        nobody = add_enquiry(session, anonymous)
        ids = general.id, nobody.id
    post(logged_in, f"/console/enquiries/{ids[0]}/reply", {"body": "Hello"})
    post(logged_in, f"/console/enquiries/{ids[1]}/reply", {"body": "Hello"})
    with db() as session:
        mails = session.scalars(select(OutboxMessage)).all()
        replies = session.scalars(select(StaffReply).order_by(StaffReply.id)).all()
    (mail,) = mails
    assert mail.to_addr == "visitor@example.net" and mail.reply_to == app.config["GENERAL_INBOX"]
    assert mail.kind == f"reply-{replies[0].id}" and replies[1].outbox_id is None
    assert [r["text"] for r in app.test_client().get(f"/api/conversations/{anonymous}/replies").json["replies"]] == [
        "Hello"]


def test_an_empty_reply_is_refused_and_a_reply_needs_the_csrf_token(logged_in, db, chat):
    with db() as session:
        enquiry_id = session.scalars(select(Enquiry.id).where(Enquiry.conversation_id == chat)).one()
    response = post(logged_in, f"/console/enquiries/{enquiry_id}/reply", {"body": "   "}, follow_redirects=True)
    assert "Not sent: the reply is empty." in response.get_data(as_text=True)
    assert logged_in.post(f"/console/enquiries/{enquiry_id}/reply", data={"body": "forged"}).status_code == 400
    with db() as session:
        assert session.scalars(select(StaffReply)).all() == []


@pytest.mark.parametrize("bad", ["x", "c-coatings", "0" * 32, "abc" * 5, "a" * 200, "../../etc/passwd"])
def test_the_public_endpoints_refuse_ids_that_are_not_unguessable(client, bad):
    assert client.get(f"/api/conversations/{bad}/replies").status_code in (400, 404)
    response = client.post("/api/feedback", json={"conversation": bad, "index": 0, "hash": "00000000", "vote": "down"})
    assert response.status_code == 400


def test_cors_only_for_the_configured_origins_and_no_cookie(app, client, chat):
    app.config["CORS_ORIGINS"] = ("https://www.agency.example",)
    allowed = client.get(f"/api/conversations/{chat}/replies", headers={"Origin": "https://www.agency.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://www.agency.example"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    stranger = client.get(f"/api/conversations/{chat}/replies", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    preflight = client.options("/api/feedback", headers={
        "Origin": "https://www.agency.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204 and "POST" in preflight.headers["Access-Control-Allow-Methods"]
    for response in (allowed, stranger, preflight):
        assert "Set-Cookie" not in response.headers


def _vote(client, cid: str, index: int, text: str, vote, comment: str = ""):
    return client.post("/api/feedback", json={"conversation": cid, "index": index, "hash": text_hash(text),
                                              "vote": vote, "comment": comment})


def test_feedback_is_kept_per_message_counted_per_entry_and_listed(client, logged_in, db, chat):
    assert _vote(client, chat, 1, ANSWER, "up").status_code == 204
    assert _vote(client, chat, 1, ANSWER, "down", "It does not say how   much.").status_code == 204  # replaces it
    assert _vote(client, chat, 0, "Hello! I'm FirstStop.", "up").status_code == 204
    assert _vote(client, chat, 0, "a message the bot never sent", "down").status_code == 404
    assert _vote(client, chat, 1, ANSWER, "down", "x" * 501).status_code == 400
    assert _vote(client, chat, 1, ANSWER, "meh").status_code == 400
    with db() as session:
        rows = {f.text_key: f for f in session.scalars(select(VisitorFeedback))}
    assert rows["answer.source"].entry == "rdi_funding" and rows["answer.source"].vote == "down"
    assert rows["answer.source"].comment == "It does not say how much." and rows["greet"].entry is None

    listed = logged_in.get("/console/feedback").get_data(as_text=True)
    down = listed.split('id="thumbs-down"')[1]
    assert "Ministry of the Economy" in down and "It does not say how much." in down and "rdi_funding" in down
    assert "Hello! I" not in down  # a thumbs up is counted, not listed
    per_entry = listed.split('id="per-entry"')[1].split("</table>")[0]
    assert re.search(r"<code>rdi_funding</code></td><td>0</td><td>1</td>", per_entry)
    assert re.search(r"other messages \(no entry's answer\)</td><td>1</td><td>0</td>", per_entry)

    assert _vote(client, chat, 1, ANSWER, None).status_code == 204  # the visitor took it back
    assert "No thumbs down yet." in logged_in.get("/console/feedback").get_data(as_text=True)


def test_the_widget_endpoints_are_rate_limited_per_client_address(app, db_url, chat, tmp_path):
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test", "RATE_PER_ADDRESS": 3,
                      "ADMIN_PASSWORD_FILE": tmp_path / "none"})
    one, other = app.test_client(), app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    codes = [one.get(f"/api/conversations/{chat}/replies").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert other.get(f"/api/conversations/{chat}/replies").status_code == 200  # another address is not held up


def test_the_transcript_shows_what_the_visitor_saw(logged_in, chat):
    html = logged_in.get(f"/console/conversations/{chat}").get_data(as_text=True)
    transcript = html.split('aria-label="Transcript"')[1].split('id="enquiry"')[0]
    assert "<strong>Ministry of the Economy</strong>" in transcript and "**" not in transcript
    assert '<a href="https://meco.gouv.lu/rdi" rel="noopener noreferrer" target="_blank">R&amp;D aid</a>' in transcript
    assert "http://plain.example" in transcript and 'href="http://plain.example' not in transcript  # https only
    assert 'clicked <span class="chip">Funding for an R&amp;D project</span>' in transcript
    assert 'clicked <span class="chip">EcoDev</span>' in transcript  # offered by the bot's message before last
    assert "opened the chat" in transcript
    visible = re.sub(r"<option[^>]*>.*?</option>", "", transcript)
    assert "/inform" not in visible and "/ask_question" not in visible and "/greet" not in visible
    assert "&lt;script&gt;" in transcript and "<script>" not in transcript
    assert re.search(r'<time datetime="[^"]+" title="Europe/Luxembourg">\d{4}-\d\d-\d\d \d\d:\d\d CES?T</time>',
                     transcript)
    assert 'href="mailto:marie@acme.example"' in html


def test_feedback_shows_beside_the_bot_message_in_the_transcript(client, logged_in, chat):
    _vote(client, chat, 1, ANSWER, "down", "too vague")
    html = logged_in.get(f"/console/conversations/{chat}").get_data(as_text=True)
    assert "visitor: thumbs down — “too vague”" in html


def test_erasing_a_conversation_removes_its_feedback_and_replies(logged_in, db, chat, client):
    from members.deletion import delete_conversations

    _vote(client, chat, 1, ANSWER, "down")
    with db() as session:
        enquiry_id = session.scalars(select(Enquiry.id).where(Enquiry.conversation_id == chat)).one()
    post(logged_in, f"/console/enquiries/{enquiry_id}/reply", {"body": "Hello"})
    with db.begin() as session:
        delete_conversations(session, [chat])
    with db() as session:
        assert session.scalars(select(VisitorFeedback)).all() == []
        assert session.scalars(select(StaffReply)).all() == []
        assert session.scalars(select(events.c.id).where(events.c.sender_id == chat)).all() == []
    assert ADVISOR  # the logged-in advisor wrote it


def test_login_is_needed_for_the_feedback_list_and_replies(client, chat):
    assert client.get("/console/feedback").status_code == 302
    login(client, "nobody@example.org", "nothing-at-all")
    assert client.post("/console/enquiries/1/reply", data={"body": "x"}).status_code in (302, 400)
