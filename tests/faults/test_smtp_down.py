"""The mail server is down for an hour (simulated by moving each retry's due time forward, as the clock
would): the advisors' e-mails wait in the outbox and are delivered exactly once when it is back."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from firststop.visits import firststop_script
from handoff.sender import backoff
from members.db import session_factory
from members.models import OutboxMessage
from tests.conftest import eventually
from tests.faults.conftest import mail_sink, message_ids

OUTAGE = timedelta(hours=1)


def outbox(stack) -> list[OutboxMessage]:
    with session_factory(stack.database_url)() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def let_retry_time_pass(stack) -> None:
    """Make every pending message due now: the backoff it waits for has 'elapsed'."""
    with session_factory(stack.database_url).begin() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                        .values(next_attempt_at=datetime.now(timezone.utc) - timedelta(seconds=1)))


def test_enquiries_are_delivered_once_after_an_hour_without_mail(fault_stack, tmp_path):
    stack = fault_stack("postgresql", smtp=False)  # nothing listens on the SMTP port
    visitors = 3
    for number in range(visitors):
        sender = uuid.uuid4().hex
        for turn in firststop_script(number):
            reply = stack.say(sender, turn.text)
            assert turn.expect.lower() in reply.lower(), f"{turn.kind}: {reply!r}"
        assert "already with" in reply  # true: its e-mail is queued with the enquiry

    # The sender keeps failing; each round, the time the message waits for passes.
    elapsed = timedelta(0)
    attempts = 0
    while True:
        attempts += 1
        assert eventually(lambda done=attempts: all(m.attempts >= done and m.status == "pending"
                                                    for m in outbox(stack)), 20), f"attempt {attempts} to fail"
        wait = backoff(attempts)
        if elapsed + wait > OUTAGE:
            break
        elapsed += wait
        let_retry_time_pass(stack)
    assert all(m.status == "pending" and m.last_error for m in outbox(stack)), "an hour down must not give up"

    mail_sink(stack, tmp_path / "mail")  # an hour later, the mail server is back …
    let_retry_time_pass(stack)  # … and the last backoff runs out
    assert eventually(lambda: all(m.status == "sent" for m in outbox(stack)), 30), "the outbox to be sent"
    time.sleep(5)  # more sender rounds, and more due times passing: nothing goes twice
    let_retry_time_pass(stack)
    time.sleep(3)

    sent = outbox(stack)
    received = message_ids(stack)
    assert sorted(received) == sorted(m.message_id for m in sent)
    assert len(set(received)) == visitors
    assert all(m.attempts == attempts + 1 for m in sent)
