"""The reply-time promise kept: remind the advisor when an enquiry's reply is overdue, then the general inbox.

Run by the sender each round with the time as a parameter (tests use a simulated clock). Each mail is queued in
the outbox in the same transaction as the conditional UPDATE that marks the enquiry reminded (or escalated), so
one job wins however many run; the outbox's unique (enquiry_id, kind) is the backstop.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timezone
from html import escape
from urllib.parse import quote

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from handoff.compose import single_line
from handoff.schedule import describe_due, reply_due
from members.models import OPEN_ENQUIRY_STATUSES, Contact, Enquiry, EnquiryActivity, OutboxMessage, as_utc, new_message_id

log = logging.getLogger(__name__)

# An enquiry whose mail staff held (over the per-address cap), handled by hand or withdrawn by an erasure gets
# no reminder: a reminder would bypass the cap, or chase what a person already settled.
QUIET_MAIL_STATUSES = ("held", "handled", "erased")


@dataclass(frozen=True)
class ReminderPolicy:
    """When a reminder and an escalation are due, and where they go (from the settings)."""

    working_days: tuple[int, ...]
    working_start: time
    working_end: time
    timezone: str
    escalate_after_hours: float  # working hours after the due time before the general inbox is told
    general_inbox: str
    console_url: str

    @classmethod
    def from_settings(cls, settings) -> ReminderPolicy:
        """The policy the settings describe."""
        return cls(settings.working_days, settings.working_start, settings.working_end, settings.timezone,
                   settings.remind_general_after_hours, settings.general_inbox, settings.console_url)

    def escalation_due(self, due_at: datetime) -> datetime:
        """When the general inbox is told about an enquiry still unacknowledged after its due time."""
        return reply_due(due_at, self.working_days, self.working_start, self.working_end, self.timezone,
                         self.escalate_after_hours)


def acknowledge_link(console_url: str, conversation_id: str) -> str:
    """The one-click link in staff mails: CONSOLE_URL/conversations/<id>/acknowledge."""
    return f"{console_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/acknowledge"


def _waiting(now: datetime) -> list:
    """Open enquiries whose reply is due by `now`, not acknowledged, with no mail held, handled or erased."""
    quiet = exists().where(OutboxMessage.enquiry_id == Enquiry.id, OutboxMessage.status.in_(QUIET_MAIL_STATUSES))
    return [Enquiry.status.in_(OPEN_ENQUIRY_STATUSES), Enquiry.acknowledged_at.is_(None),
            Enquiry.anonymised_at.is_(None), Enquiry.due_at.is_not(None), Enquiry.due_at <= now, ~quiet]


class _Gone(Exception):
    """The enquiry stopped waiting between the search and the update: roll back."""


def _who(enquiry: Enquiry) -> str:
    """The person and organisation, as the hand-off mail already names them."""
    contact = enquiry.contact
    name = (contact.name if contact else None) or enquiry.claimed_name
    organisation = (contact.organisation.name if contact and contact.organisation else None) or enquiry.claimed_organisation
    who = " — ".join(single_line(part) for part in (name, organisation) if part and single_line(part))
    return who or "anonymous visitor"


def _mail(enquiry: Enquiry, kind: str, to_addr: str, now: datetime, policy: ReminderPolicy) -> OutboxMessage:
    """The reminder or escalation: who, which cluster, due when, and the acknowledge link; no visitor text else."""
    due = describe_due(as_utc(enquiry.due_at), now, policy.timezone)
    cluster = enquiry.cluster.name if enquiry.cluster else "General"
    advisor = enquiry.advisor.name if enquiry.advisor else "no advisor"
    who, link = _who(enquiry), acknowledge_link(policy.console_url, enquiry.conversation_id)
    if kind == "reminder":
        subject, opening = f"Reminder: reply overdue — {cluster} — {who}", (
            f"The visitor was promised a reply by {due}. Nobody has acknowledged the enquiry yet.")
    else:
        subject, opening = f"Overdue, not acknowledged — {cluster} — {who}", (
            f"The visitor was promised a reply by {due}; {advisor} was reminded and nobody has acknowledged it yet. "
            "Please make sure someone answers.")
    details = [("Who", who), ("Cluster", cluster), ("Advisor", advisor), ("Reply due", due)]
    text = "\n".join([opening, "", *(f"{k}: {v}" for k, v in details), "",
                      f"Acknowledge (and see the enquiry): {link}", ""])
    rows = "".join(f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in details)
    html = (f"<html><body><p>{escape(opening)}</p><table>{rows}</table>"
            f"<p><a href=\"{escape(link, quote=True)}\">Acknowledge (and see the enquiry)</a></p></body></html>")
    return OutboxMessage(
        enquiry_id=enquiry.id, kind=kind, message_id=new_message_id(),
        to_addr=single_line(to_addr), subject=single_line(subject), body_text=text, body_html=html, next_attempt_at=now,
    )


def _queue(factory: sessionmaker[Session], enquiry_id: int, kind: str, now: datetime, policy: ReminderPolicy) -> bool:
    """Mark the enquiry reminded (or escalated) if no other job did, and queue its mail, in one transaction."""
    column = Enquiry.reminded_at if kind == "reminder" else Enquiry.escalated_at
    try:
        with factory.begin() as session:
            marked = session.execute(
                update(Enquiry)
                .where(Enquiry.id == enquiry_id, column.is_(None), Enquiry.acknowledged_at.is_(None))
                .values({column.key: now})
                .execution_options(synchronize_session=False)
            )
            if marked.rowcount != 1:
                return False  # another job got there first, or someone acknowledged it meanwhile
            enquiry = session.scalars(
                select(Enquiry)
                .options(joinedload(Enquiry.advisor), joinedload(Enquiry.cluster),
                         joinedload(Enquiry.contact).joinedload(Contact.organisation))
                .where(Enquiry.id == enquiry_id, *_waiting(now))
            ).first()
            if enquiry is None:
                raise _Gone
            to_addr = enquiry.advisor.email if kind == "reminder" and enquiry.advisor else policy.general_inbox
            session.add(_mail(enquiry, kind, to_addr, now, policy))
            session.add(EnquiryActivity(enquiry_id=enquiry_id, action=f"{kind} queued", detail=f"to {to_addr}"))
    except (_Gone, IntegrityError):  # changed under us, or its mail of this kind exists: nothing more to send
        return False
    log.info("enquiry %s: %s queued", enquiry_id, kind)
    return True


def remind_due(factory: sessionmaker[Session], policy: ReminderPolicy, now: datetime) -> dict[str, int]:
    """Queue the reminders and escalations due at `now`; returns how many of each were queued."""
    now = now.astimezone(timezone.utc)  # the database compares times as UTC (SQLite keeps no zone)
    with factory() as session:
        remind = list(session.scalars(
            select(Enquiry.id).where(*_waiting(now), Enquiry.reminded_at.is_(None)).order_by(Enquiry.due_at)))
        candidates = session.execute(
            select(Enquiry.id, Enquiry.due_at).where(*_waiting(now), Enquiry.escalated_at.is_(None))
            .order_by(Enquiry.due_at)).all()
    escalate = [i for i, due_at in candidates if policy.escalation_due(as_utc(due_at)) <= now]
    counts = {"reminder": sum(_queue(factory, i, "reminder", now, policy) for i in remind),
              "escalation": sum(_queue(factory, i, "escalation", now, policy) for i in escalate)}
    return {kind: number for kind, number in counts.items() if number}
