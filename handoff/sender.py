"""Deliver the outbox over SMTP: claim atomically, send, mark sent; retry with backoff; never lose one.

A message is claimed by one sender with a conditional UPDATE, so two senders never both send it.
If a sender dies after the SMTP server accepted a message but before marking it sent, the claim
expires and the message is sent again with the same Message-ID (see README: "Hand-off delivery").
"""
from __future__ import annotations

import logging
import os
import smtplib
import socket
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from members.models import OutboxMessage

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)
BACKOFF_BASE = 30  # seconds; doubles per attempt up to BACKOFF_MAX
BACKOFF_MAX = 900  # a mail server that comes back gets the waiting hand-offs within 15 minutes

SmtpFactory = Callable[[], smtplib.SMTP]


def now() -> datetime:
    return datetime.now(timezone.utc)


def smtp_factory(host: str, port: int, security: str, user: str, password: str, timeout: float) -> SmtpFactory:
    """A function that opens an SMTP connection as configured (none, STARTTLS or SSL; optional login)."""

    def connect() -> smtplib.SMTP:
        if security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if security == "starttls":
                smtp.starttls()
        if user:
            smtp.login(user, password)
        return smtp

    return connect


def to_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """The MIME message: plain text and HTML alternatives, with the stored Message-ID."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.to_addr
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(localtime=False)
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    return email


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


def claim(session: Session, message_id: int, worker: str) -> bool:
    """Take the message for this worker if it is due, or its previous claim expired."""
    moment = now()
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= moment),
                (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < moment - CLAIM_LEASE),
            ),
        )
        .values(status="sending", claimed_by=worker, claimed_at=moment, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def due(session: Session, limit: int = 20) -> list[int]:
    """Ids of messages that may be claimed now."""
    moment = now()
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= moment),
                    (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < moment - CLAIM_LEASE),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def _finish(factory: sessionmaker[Session], message_id: int, worker: str, **values) -> None:
    with factory.begin() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _reason(error: BaseException) -> str:
    """The failure as staff read it in the console: the exception's type and message, on one line, bounded."""
    return " ".join(f"{type(error).__name__}: {error}".split())[:1000]


def deliver_one(
    factory: sessionmaker[Session], message_id: int, connect: SmtpFactory, mail_from: str, worker: str,
    max_attempts: int, after_send: Callable[[], None] | None = None,
) -> str | None:
    """Claim, send and mark one message; returns its new status, or None if another worker has it.

    Whatever goes wrong with this message ends in a status ("pending" to retry a temporary failure, "failed"
    otherwise, with the reason): it never stays "sending" to be claimed again, nor stops the others.
    """
    with factory.begin() as session:
        if not claim(session, message_id, worker):
            return None
    attempts = 0
    try:
        with factory() as session:
            message = session.get(OutboxMessage, message_id)
            attempts, resent = message.attempts, message.attempts > 1 and message.last_error is None
            email = to_email(message, mail_from)
        with connect() as smtp:
            refused = smtp.send_message(email)
        if after_send:
            after_send()
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
    except smtplib.SMTPRecipientsRefused as error:
        log.warning("outbox %s failed: recipient refused", message_id)
        _finish(factory, message_id, worker, status="failed", last_error=f"recipient refused: {error.recipients}")
        return "failed"
    except OSError as error:  # smtplib's errors and socket timeouts are OSErrors
        permanent = isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600
        if permanent or attempts >= max_attempts:
            log.warning("outbox %s failed after %s attempts: %s", message_id, attempts, type(error).__name__)
            _finish(factory, message_id, worker, status="failed", last_error=_reason(error))
            return "failed"
        _finish(
            factory, message_id, worker, status="pending", claimed_by=None,
            last_error=f"attempt {attempts}: {_reason(error)}", next_attempt_at=now() + backoff(attempts),
        )
        return "pending"
    except (OperationalError, InterfaceError):  # the database is unreachable, not this message at fault: the
        raise  # round stops, and the claim's lease expires so the message is tried again
    except Exception as error:  # noqa: BLE001 - this message can't be built or sent (a header with a line
        # break, a value the SMTP library refuses...): retrying won't help, so staff see why and decide.
        log.warning("outbox %s failed, cannot be sent: %s", message_id, type(error).__name__)
        _finish(factory, message_id, worker, status="failed", last_error=f"cannot be sent: {_reason(error)}")
        return "failed"
    note = "resent with the same Message-ID after an interrupted delivery" if resent else None
    _finish(factory, message_id, worker, status="sent", sent_at=now(), last_error=note)
    return "sent"


def deliver_due(factory: sessionmaker[Session], connect: SmtpFactory, mail_from: str, max_attempts: int,
                worker: str | None = None) -> dict[str, int]:
    """Deliver every message that is due; returns counts by outcome."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    counts: dict[str, int] = {}
    with factory() as session:
        ids = due(session)
    for message_id in ids:
        outcome = deliver_one(factory, message_id, connect, mail_from, worker, max_attempts) or "skipped"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
