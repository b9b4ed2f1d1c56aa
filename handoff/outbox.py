"""What staff can do to a hand-off e-mail in the outbox: send it again, or mark it handled by a person.

Both are one conditional UPDATE, so they never fight the sender over a message it is sending now.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from members.models import OUTBOX_STATUSES, OutboxMessage

# The sender moves pending → sending → sent | pending (retry later) | failed; staff retry or mark handled;
# an erasure request withdraws a mail ("erased"), which is never sent again.
STATUSES = OUTBOX_STATUSES
RETRYABLE = ("failed", "held", "handled", "pending")
HANDLEABLE = ("failed", "held", "pending")


def retry(session: Session, message_id: int) -> bool:
    """Queue the message to be sent now, with the same Message-ID and a fresh count of attempts.

    False when it is being sent right now or was already sent.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(RETRYABLE))
        .values(status="pending", next_attempt_at=datetime.now(timezone.utc), attempts=0, claimed_by=None,
                claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark_handled(session: Session, message_id: int) -> bool:
    """Stop sending the message because a person took care of the enquiry; False if it was sent or is sending."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(HANDLEABLE))
        .values(status="handled", claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    found = {status: number for status, number in rows}
    return {status: found.get(status, 0) for status in (*STATUSES, *sorted(set(found) - set(STATUSES)))}
