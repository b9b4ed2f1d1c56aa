"""Reply-time reminders on a simulated clock, delivered over a real SMTP server, on SQLite and PostgreSQL."""
from __future__ import annotations

import multiprocessing
import uuid
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from handoff import sender
from handoff.reminders import ReminderPolicy, acknowledge_link, remind_due
from members.enquiries import EnquiryRecord, MailDraft
from members.models import Enquiry, EnquiryActivity, OutboxMessage
from members.spool import write_enquiry

MAIL_FROM = "FirstStop <firststop@example.org>"
LU = ZoneInfo("Europe/Luxembourg")
POLICY = ReminderPolicy((1, 2, 3, 4, 5), time(8, 30), time(17, 30), "Europe/Luxembourg", 4,
                        "info@example.org", "http://console.example")
DUE = datetime(2026, 11, 24, 14, 30, tzinfo=LU)  # a Tuesday
SECRET = "our confidential coating process"  # the visitor's own words: never in a reminder


def log_lead(db, due: datetime = DUE, held: bool = False) -> str:
    """An enquiry routed to Julien (SurfMat) with its hand-off mail and the reply promised by `due`."""
    conversation = uuid.uuid4().hex
    mail = MailDraft(kind="handoff", message_id=f"<{conversation}@test>", to_addr="julien.marchetti@example.org",
                     reply_to=None, subject="New enquiry", body_text=SECRET, body_html=SECRET)
    write_enquiry(db, EnquiryRecord(
        conversation_id=conversation, summary=SECRET, need=SECRET, cluster_id="surfmat", advisor_id="a-surfmat-fr",
        consent=True, notice_version="t", name="Jane Doe", organisation="Acme", email=f"{conversation[:8]}@acme.example",
        mails=[mail], reply_due=due.astimezone(timezone.utc).isoformat(), kind="project"))
    if held:
        with db.begin() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.message_id == mail.message_id)
                            .values(status="held"))
    return conversation


def deliver(db, smtp_server) -> None:
    """Sender rounds until the outbox has nothing due (a round takes at most 20)."""
    connect = sender.smtp_factory("127.0.0.1", smtp_server.port, "none", "", "", 5)
    while sender.deliver_due(db, connect, MAIL_FROM, 8):
        pass


def mails(smtp_server, kind_subject: str) -> list:
    return [(rcpt, m) for rcpt, m in smtp_server.handler.messages if m["Subject"].startswith(kind_subject)]


def test_overdue_enquiry_reminds_its_advisor_once_then_the_general_inbox_once(db, smtp_server):
    conversation = log_lead(db)
    assert remind_due(db, POLICY, DUE - timedelta(minutes=1)) == {}  # not due yet
    assert remind_due(db, POLICY, DUE + timedelta(minutes=1)) == {"reminder": 1}
    for minutes in (2, 30, 60):  # later rounds before the second deadline add nothing
        assert remind_due(db, POLICY, DUE + timedelta(minutes=minutes)) == {}
    deliver(db, smtp_server)
    (rcpt, reminder), = mails(smtp_server, "Reminder")
    assert rcpt == ["julien.marchetti@example.org"]
    assert reminder["Subject"] == "Reminder: reply overdue — SurfMat — Jane Doe — Acme"
    text = reminder.get_body(("plain",)).get_content()
    assert "14:30 today (Europe/Luxembourg)" in text
    assert f"http://console.example/conversations/{conversation}/acknowledge" in text
    assert SECRET not in text and SECRET not in reminder.get_body(("html",)).get_content()

    # Four working hours after 14:30 on Tuesday is 09:30 on Wednesday: the evening doesn't count.
    assert remind_due(db, POLICY, datetime(2026, 11, 24, 21, 0, tzinfo=LU)) == {}
    assert remind_due(db, POLICY, datetime(2026, 11, 25, 9, 30, tzinfo=LU)) == {"escalation": 1}
    assert remind_due(db, POLICY, datetime(2026, 11, 26, 9, 30, tzinfo=LU)) == {}
    deliver(db, smtp_server)
    (rcpt, escalation), = mails(smtp_server, "Overdue")
    assert rcpt == ["info@example.org"] and "Julien Marchetti was reminded" in escalation.get_body(("plain",)).get_content()
    assert len(smtp_server.handler.messages) == 3  # the hand-off, one reminder, one escalation
    with db() as session:
        enquiry = session.scalars(select(Enquiry).where(Enquiry.conversation_id == conversation)).one()
        assert enquiry.reminded_at is not None and enquiry.escalated_at is not None
        actions = session.scalars(select(EnquiryActivity.action).where(EnquiryActivity.enquiry_id == enquiry.id))
        assert sorted(actions) == ["escalation queued", "reminder queued"]


def test_acknowledged_closed_or_held_enquiries_get_nothing(db, smtp_server):
    acknowledged, closed = log_lead(db), log_lead(db)
    log_lead(db, held=True)  # its mail is over the per-address cap: a reminder would bypass the cap
    with db.begin() as session:
        session.execute(update(Enquiry).where(Enquiry.conversation_id == acknowledged)
                        .values(acknowledged_at=DUE - timedelta(hours=1)))
        session.execute(update(Enquiry).where(Enquiry.conversation_id == closed).values(status="closed"))
    assert remind_due(db, POLICY, DUE + timedelta(days=7)) == {}
    deliver(db, smtp_server)
    assert [m["Subject"] for _, m in smtp_server.handler.messages] == ["New enquiry", "New enquiry"]


def test_job_down_for_days_sends_each_once_when_it_comes_back(db, smtp_server):
    log_lead(db)
    assert remind_due(db, POLICY, DUE + timedelta(days=3)) == {"reminder": 1, "escalation": 1}
    assert remind_due(db, POLICY, DUE + timedelta(days=4)) == {}


def _remind_all(db_url: str, now: datetime, barrier) -> None:
    from members.db import session_factory

    barrier.wait()
    for step in range(3):
        remind_due(session_factory(db_url), POLICY, now + timedelta(seconds=step))


def test_two_concurrent_jobs_queue_each_mail_once(db_url, db, smtp_server):
    conversations = [log_lead(db) for _ in range(10)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    jobs = [context.Process(target=_remind_all, args=(db_url, DUE + timedelta(days=2), barrier)) for _ in range(2)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(120)
        assert job.exitcode == 0
    deliver(db, smtp_server)
    assert len(mails(smtp_server, "Reminder")) == 10 and len(mails(smtp_server, "Overdue")) == 10
    with db() as session:
        kinds = session.execute(select(OutboxMessage.kind, OutboxMessage.status)).all()
        assert sorted(kinds) == sorted([("escalation", "sent"), ("handoff", "sent"), ("reminder", "sent")] * 10)
    assert len({acknowledge_link(POLICY.console_url, c) for c in conversations}) == 10
