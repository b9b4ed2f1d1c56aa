"""The hand-offs page: pending, sent and failed e-mails with their last error; retry (delivered by the real
sender to a real SMTP server, with the same Message-ID) and mark handled."""
from __future__ import annotations

from sqlalchemy import select

from handoff.sender import deliver_due, smtp_factory
from members.models import EnquiryActivity, OutboxMessage
from tests.console.conftest import post
from tests.console.seed import add_enquiry


def _send(db, smtp_server) -> dict:
    connect = smtp_factory("127.0.0.1", smtp_server.port, "none", "", "", 5)
    return deliver_due(db, connect, "FirstStop <firststop@example.org>", max_attempts=3, worker="test")


def _mail(db, message_id: int = 1) -> OutboxMessage:
    with db() as session:
        return session.get(OutboxMessage, message_id)


def test_the_page_lists_failed_first_with_the_last_error(logged_in, seeded, db):
    with db.begin() as session:
        enquiry = add_enquiry(session, "c-pending", summary="pending one")
        session.add(OutboxMessage(enquiry=enquiry, kind="handoff", message_id="<p@test>", to_addr="x@example.org",
                                  subject="Pending hand-off", body_text="", body_html="", status="pending"))
    html = logged_in.get("/console/handoffs").get_data(as_text=True)
    assert "New enquiry — General — anonymous visitor" in html and "recipient refused" in html
    assert "Pending hand-off" not in html  # failed ones are shown first
    assert "failed (1)" in html and "pending (1)" in html and "sent (0)" in html
    pending = logged_in.get("/console/handoffs?status=pending").get_data(as_text=True)
    assert "Pending hand-off" in pending and "recipient refused" not in pending
    everything = logged_in.get("/console/handoffs?status=all").get_data(as_text=True)
    assert "Pending hand-off" in everything and "New enquiry — General" in everything


def test_retry_sends_it_again_with_the_same_message_id(logged_in, seeded, db, smtp_server):
    assert _send(db, smtp_server) == {}  # a failed e-mail is not retried on its own
    response = post(logged_in, "/console/handoffs/1/retry", follow_redirects=True)
    assert b"The e-mail is queued" in response.data
    assert (_mail(db).status, _mail(db).attempts) == ("pending", 0)
    assert _send(db, smtp_server) == {"sent": 1}
    (recipients, message), = smtp_server.handler.messages
    assert recipients == ["anne.schmitz-lorang@example.org"]
    assert message["Message-ID"] == "<xss@firststop.test>"
    assert _mail(db).status == "sent"
    html = logged_in.get("/console/handoffs?status=sent").get_data(as_text=True)
    assert "New enquiry — General" in html and ">Retry</button>" not in html
    response = post(logged_in, "/console/handoffs/1/retry", follow_redirects=True)
    assert b"already sent; nothing changed" in response.data and _mail(db).status == "sent"
    with db() as session:
        assert session.scalars(select(EnquiryActivity.action)).all() == ["hand-off e-mail retried"]


def test_mark_handled_stops_delivery(logged_in, seeded, db, smtp_server):
    post(logged_in, "/console/handoffs/1/retry")
    response = post(logged_in, "/console/handoffs/1/handled", follow_redirects=True)
    assert b"Marked handled" in response.data and _mail(db).status == "handled"
    assert _send(db, smtp_server) == {} and smtp_server.handler.messages == []
    assert "handled (1)" in logged_in.get("/console/handoffs").get_data(as_text=True)


def test_actions_from_the_conversation_page_come_back_to_it(logged_in, seeded):
    response = post(logged_in, "/console/handoffs/1/handled", {"next": f"/console/conversations/{seeded.xss}"})
    assert response.headers["Location"] == f"/console/conversations/{seeded.xss}"
    response = post(logged_in, "/console/handoffs/1/retry", {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/console/handoffs"
    assert post(logged_in, "/console/handoffs/99/retry").status_code == 404
