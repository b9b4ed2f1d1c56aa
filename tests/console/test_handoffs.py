"""The hand-offs page: e-mails in every state with their last error; retry (delivered by the real sender to a
real SMTP server, with the same Message-ID), release a held one, and mark handled."""
from __future__ import annotations

import re
from datetime import timedelta, timezone

from sqlalchemy import select

from handoff.sender import deliver_due, smtp_factory
from handoff.sender import now as sender_now
from members.models import Enquiry, EnquiryActivity, OutboxMessage
from members.seed import add_enquiry
from tests.console.conftest import post


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


def _add_mails(db, **states) -> dict[str, int]:
    """One hand-off e-mail per state (claimed_at: for "sending", when its sender took it), by state: its id."""
    ids = {}
    with db.begin() as session:
        for state, claimed_at in states.items():
            enquiry = add_enquiry(session, f"c-{state}", summary=f"{state} one")
            mail = OutboxMessage(enquiry=enquiry, kind="handoff", message_id=f"<{state}@test>",
                                 to_addr="anne.schmitz-lorang@example.org", subject=f"Hand-off {state}",
                                 body_text="text", body_html="<p>html</p>", status=state.split("_")[0],
                                 claimed_at=claimed_at, claimed_by="w" if claimed_at else None,
                                 next_attempt_at=sender_now() + timedelta(hours=1))
            session.add(mail)
            session.flush()
            ids[state] = mail.id
    return ids


def _buttons(html: str, message_id: int) -> set[str]:
    """The actions the page offers for one message."""
    return set(re.findall(rf'action="/console/handoffs/{message_id}/(\w+)"', html))


def test_every_state_but_sent_and_erased_offers_retry_and_mark_handled(logged_in, seeded, db):
    ten_minutes_ago = sender_now() - timedelta(minutes=10)
    ids = _add_mails(db, pending=None, sending_stuck=ten_minutes_ago, failed=None, held=None, handled=None,
                     sent=None, erased=None)
    html = logged_in.get("/console/handoffs?status=all").get_data(as_text=True)
    offered = {state: _buttons(html, message_id) for state, message_id in ids.items()}
    assert offered == {
        "pending": {"retry", "handled"}, "sending_stuck": {"retry", "handled"}, "failed": {"retry", "handled"},
        "held": {"release", "retry", "handled"}, "handled": {"retry"}, "sent": set(), "erased": set(),
    }
    assert "over the hourly cap" in html


def test_a_message_stuck_in_sending_can_be_retried_and_is_delivered(logged_in, seeded, db, smtp_server):
    ids = _add_mails(db, sending_stuck=sender_now() - timedelta(minutes=10), sending_now=sender_now())
    response = post(logged_in, f"/console/handoffs/{ids['sending_now']}/retry", follow_redirects=True)
    assert b"nothing changed" in response.data  # a sender is at it right now: leave it
    assert _mail(db, ids["sending_now"]).status == "sending"
    assert b"Marked handled" not in post(logged_in, f"/console/handoffs/{ids['sending_now']}/handled",
                                         follow_redirects=True).data
    response = post(logged_in, f"/console/handoffs/{ids['sending_stuck']}/retry", follow_redirects=True)
    assert b"The e-mail is queued" in response.data
    assert _send(db, smtp_server) == {"sent": 1}
    assert [m["Message-ID"] for _, m in smtp_server.handler.messages] == ["<sending_stuck@test>"]
    assert _mail(db, ids["sending_stuck"]).status == "sent"


def test_release_sends_a_held_mail_now_and_is_logged(logged_in, seeded, db, smtp_server):
    ids = _add_mails(db, held=None, pending=None)
    assert _send(db, smtp_server) == {}  # held: the sender leaves it, however long it waits
    refused = post(logged_in, f"/console/handoffs/{ids['pending']}/release", follow_redirects=True)
    assert b"not held any more; nothing changed" in refused.data and _mail(db, ids["pending"]).status == "pending"
    response = post(logged_in, f"/console/handoffs/{ids['held']}/release", follow_redirects=True)
    assert b"Released" in response.data
    released = _mail(db, ids["held"])
    assert released.status == "pending" and released.next_attempt_at.replace(tzinfo=timezone.utc) <= sender_now()
    assert _send(db, smtp_server) == {"sent": 1}
    assert [m["Message-ID"] for _, m in smtp_server.handler.messages] == ["<held@test>"]
    assert b"not held any more" in post(logged_in, f"/console/handoffs/{ids['held']}/release",
                                        follow_redirects=True).data
    with db() as session:
        activity = session.scalars(select(EnquiryActivity).join(Enquiry, Enquiry.id == EnquiryActivity.enquiry_id)
                                   .where(Enquiry.conversation_id == "c-held")).all()
        assert [a.action for a in activity] == ["hand-off e-mail released"]


def test_a_held_mail_can_be_marked_handled_and_is_never_sent(logged_in, seeded, db, smtp_server):
    ids = _add_mails(db, held=None)
    assert b"Marked handled" in post(logged_in, f"/console/handoffs/{ids['held']}/handled",
                                     follow_redirects=True).data
    assert b"nothing changed" in post(logged_in, f"/console/handoffs/{ids['held']}/release",
                                      follow_redirects=True).data
    assert _send(db, smtp_server) == {} and smtp_server.handler.messages == []
