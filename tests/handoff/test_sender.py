"""Outbox delivery over a real SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL."""
from __future__ import annotations

import multiprocessing
import smtplib
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from handoff import sender
from handoff.compose import HandoffFacts, handoff_mail
from handoff.mailsink import start as start_sink
from members.enquiries import EnquiryRecord
from members.models import OutboxMessage
from members.spool import write_enquiry
from tests.conftest import free_port

MAIL_FROM = "FirstStop <firststop@example.org>"


def queue_handoff(db, to_addr="advisor@example.org") -> OutboxMessage:
    """Write an enquiry with its hand-off e-mail, as the action does."""
    conversation = uuid.uuid4().hex
    facts = HandoffFacts(conversation_id=conversation, reason="visitor_asked", question="Funding?", to_addr=to_addr,
                         advisor_name="Anna", name="Jane", email=f"{conversation[:8]}@visitor.example", consent=True)
    record = EnquiryRecord(conversation_id=conversation, status="handed_off", consent=True, notice_version="t",
                           name="Jane", email=facts.email, mails=[handoff_mail(facts)])
    write_enquiry(db, record)
    with db() as session:
        return session.scalars(select(OutboxMessage).join(OutboxMessage.enquiry)
                               .where(OutboxMessage.reply_to == facts.email)).one()


def connect_to(port: int) -> sender.SmtpFactory:
    return sender.smtp_factory("127.0.0.1", port, "none", "", "", 5)


def status_of(db, message_id: int) -> OutboxMessage:
    with db() as session:
        return session.get(OutboxMessage, message_id)


def make_due(db, message_id: int) -> None:
    """Skip the backoff wait (as if the time had passed)."""
    with db.begin() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(next_attempt_at=sender.now() - timedelta(seconds=1)))


def test_delivered_with_recipient_reply_to_subject_and_both_parts(db, smtp_server):
    message = queue_handoff(db)
    assert sender.deliver_due(db, connect_to(smtp_server.port), MAIL_FROM, 8) == {"sent": 1}
    (rcpt, mail), = smtp_server.handler.messages
    assert rcpt == ["advisor@example.org"] and mail["Reply-To"] == message.reply_to
    assert mail["Subject"] == "New enquiry — General — Jane" and mail["Message-ID"] == message.message_id
    assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
    assert status_of(db, message.id).status == "sent"


def test_smtp_down_then_up_delivers_exactly_once(db, tmp_path):
    port = free_port()
    message = queue_handoff(db)
    for _ in range(3):  # the server is down for a while: each round fails and backs off
        make_due(db, message.id)
        assert sender.deliver_due(db, connect_to(port), MAIL_FROM, 8) == {"pending": 1}
    row = status_of(db, message.id)
    assert row.status == "pending" and row.attempts == 3 and "attempt 3" in row.last_error
    assert row.next_attempt_at is not None
    controller, handler = start_sink(tmp_path / "mail", port=port)
    try:
        assert sender.deliver_due(db, connect_to(port), MAIL_FROM, 8) == {}  # backoff not over yet
        make_due(db, message.id)
        assert sender.deliver_due(db, connect_to(port), MAIL_FROM, 8) == {"sent": 1}
        make_due(db, message.id)
        assert sender.deliver_due(db, connect_to(port), MAIL_FROM, 8) == {}
        assert [m["Message-ID"] for _, m in handler.messages] == [message.message_id]
    finally:
        controller.stop()


class RejectingHandler:
    """An SMTP server that refuses every recipient, permanently."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user here"


def test_recipient_rejected_is_recorded_as_failed(db):
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(RejectingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message = queue_handoff(db, to_addr="nobody@example.org")
        assert sender.deliver_due(db, connect_to(port), MAIL_FROM, 8) == {"failed": 1}
        row = status_of(db, message.id)
        assert row.status == "failed" and "refused" in row.last_error
    finally:
        controller.stop()


def test_a_message_that_cannot_be_built_fails_with_its_reason_and_the_others_are_delivered(db, smtp_server):
    poisoned = queue_handoff(db)
    good = [queue_handoff(db) for _ in range(3)]
    with db.begin() as session:  # a subject with a line break, as a form answer once put there
        session.execute(update(OutboxMessage).where(OutboxMessage.id == poisoned.id)
                        .values(subject="New enquiry — General — Acme\r\nBcc: everyone@example.org"))
    # The round takes messages in id order, so the poisoned one comes first.
    assert sender.deliver_due(db, connect_to(smtp_server.port), MAIL_FROM, 8) == {"failed": 1, "sent": 3}
    delivered = [m for _, m in smtp_server.handler.messages]
    assert sorted(m["Message-ID"] for m in delivered) == sorted(m.message_id for m in good)
    assert all(m["Bcc"] is None for m in delivered)
    row = status_of(db, poisoned.id)
    assert row.status == "failed" and row.attempts == 1
    assert "cannot be sent" in row.last_error and "ValueError" in row.last_error
    with db.begin() as session:  # much later: a failed message is not claimed again on its own
        session.execute(update(OutboxMessage).values(claimed_at=sender.now() - 2 * sender.CLAIM_LEASE,
                                                     next_attempt_at=sender.now() - timedelta(seconds=1)))
    assert sender.deliver_due(db, connect_to(smtp_server.port), MAIL_FROM, 8) == {}
    assert status_of(db, poisoned.id).attempts == 1 and len(smtp_server.handler.messages) == 3


def test_a_reply_to_with_a_line_break_fails_alone(db, smtp_server):
    before, poisoned, after = (queue_handoff(db) for _ in range(3))
    with db.begin() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == poisoned.id)
                        .values(reply_to="jane@visitor.example\nX-Injected: yes"))
    assert sender.deliver_due(db, connect_to(smtp_server.port), MAIL_FROM, 8) == {"sent": 2, "failed": 1}
    delivered = [m for _, m in smtp_server.handler.messages]
    assert [m["Message-ID"] for m in delivered] == [before.message_id, after.message_id]
    assert all(m["X-Injected"] is None for m in delivered)
    assert status_of(db, poisoned.id).status == "failed"


def _die_after_send(db_url: str, message_id: int, port: int) -> None:
    """A sender process that dies right after the SMTP server accepted the message."""
    import os

    from members.db import session_factory

    sender.deliver_one(session_factory(db_url), message_id, connect_to(port), MAIL_FROM, "doomed", 8,
                       after_send=lambda: os._exit(9))


def test_sender_killed_between_send_and_mark_resends_with_the_same_message_id(db_url, db, smtp_server):
    message = queue_handoff(db)
    process = multiprocessing.get_context("spawn").Process(
        target=_die_after_send, args=(db_url, message.id, smtp_server.port))
    process.start()
    process.join(60)
    assert process.exitcode == 9
    row = status_of(db, message.id)
    assert row.status == "sending" and row.claimed_by == "doomed"
    assert sender.deliver_due(db, connect_to(smtp_server.port), MAIL_FROM, 8) == {}  # claim still fresh
    with db.begin() as session:  # the claim's lease runs out
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                        .values(claimed_at=sender.now() - sender.CLAIM_LEASE - timedelta(seconds=1)))
    assert sender.deliver_due(db, connect_to(smtp_server.port), MAIL_FROM, 8) == {"sent": 1}
    ids = [m["Message-ID"] for _, m in smtp_server.handler.messages]
    assert ids == [message.message_id, message.message_id]
    assert "same Message-ID" in status_of(db, message.id).last_error


def _send_all(db_url: str, port: int, worker: str, barrier) -> None:
    from members.db import session_factory

    barrier.wait()
    for _ in range(5):
        sender.deliver_due(session_factory(db_url), connect_to(port), MAIL_FROM, 8, worker=worker)


def test_two_senders_on_one_outbox_send_each_message_once(db_url, db, smtp_server):
    messages = [queue_handoff(db) for _ in range(12)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_send_all, args=(db_url, smtp_server.port, f"w{i}", barrier)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    sent = sorted(m["Message-ID"] for _, m in smtp_server.handler.messages)
    assert sent == sorted(m.message_id for m in messages)
    with db() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_smtp_security_modes_are_used_as_configured(security, monkeypatch):
    opened = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            opened.append((type(self).__name__, host, port))

        def starttls(self):
            opened.append("starttls")

        def login(self, user, password):
            opened.append(("login", user))

    monkeypatch.setattr(smtplib, "SMTP", type("SMTP", (FakeSMTP,), {}))
    monkeypatch.setattr(smtplib, "SMTP_SSL", type("SMTP_SSL", (FakeSMTP,), {}))
    sender.smtp_factory("mail.example", 587, security, "user", "pw", 5)()
    expected_class = "SMTP_SSL" if security == "ssl" else "SMTP"
    assert opened[0] == (expected_class, "mail.example", 587)
    assert ("starttls" in opened) == (security == "starttls") and ("login", "user") in opened
