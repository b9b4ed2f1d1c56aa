"""What staff can do to a hand-off e-mail in the outbox: send it again, release a held one, or mark it handled.

Each is one conditional UPDATE, so they never fight the sender over a message it is sending now.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from members.models import OUTBOX_STATUSES, OutboxMessage

# The sender moves pending → sending → sent | pending (retry later) | failed; a mail beyond the hourly cap of
# staff e-mails per visitor address waits as "held" until staff release it; staff retry or mark handled; an
# erasure request withdraws a mail ("erased"), which is never sent again.
STATUSES = OUTBOX_STATUSES
RETRYABLE = tuple(s for s in STATUSES if s not in ("sent", "erased"))
HANDLEABLE = tuple(s for s in RETRYABLE if s != "handled")
RELEASABLE = ("held",)
# A claim younger than this is a sender at work on the message now: staff leave it alone until it is older.
IN_FLIGHT = timedelta(minutes=2)


def _may_change(statuses: tuple[str, ...]):
    """The message is in one of `statuses`, and if "sending", its claim is old enough to be stuck."""
    stuck = and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < datetime.now(timezone.utc) - IN_FLIGHT)
    idle = OutboxMessage.status.in_([s for s in statuses if s != "sending"])
    return or_(idle, stuck) if "sending" in statuses else idle


def _requeue(session: Session, message_id: int, statuses: tuple[str, ...]) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _may_change(statuses))
        .values(status="pending", next_attempt_at=datetime.now(timezone.utc), attempts=0, claimed_by=None,
                claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def retry(session: Session, message_id: int) -> bool:
    """Queue the message to be sent now, with the same Message-ID and a fresh count of attempts.

    False when a sender is at it right now, or it was already sent or erased.
    """
    return _requeue(session, message_id, RETRYABLE)


def release(session: Session, message_id: int) -> bool:
    """Send a held message (over the hourly cap for its visitor's address) now; False if it is not held."""
    return _requeue(session, message_id, RELEASABLE)


def mark_handled(session: Session, message_id: int) -> bool:
    """Stop sending the message because a person took care of the enquiry; False if it was sent, is being sent
    right now, or was erased."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _may_change(HANDLEABLE))
        .values(status="handled", claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def counts(session: Session) -> dict[str, int]:
    """How many messages are in each status."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    found = {status: number for status, number in rows}
    return {status: found.get(status, 0) for status in (*STATUSES, *sorted(set(found) - set(STATUSES)))}
