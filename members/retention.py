"""Retention: conversations and contacts without an open enquiry are removed after RETENTION_DAYS, in small batches.

What happens to each kind of data once it is older than the retention period:

- conversations (Rasa's tracker `events`, and the console's copies of them): deleted, unless the
  conversation has an open enquiry (new, in_progress, handed_off);
- enquiries that are no longer open: anonymised, i.e. kept for statistics (cluster, advisor, status,
  profile, language, dates) without their contact, what the visitor claimed (name, e-mail, phone,
  organisation), summary, question, staff notes or mail bodies;
- contacts from conversations with no open or recent enquiry (their own, or one where a visitor claimed
  their address, which staff may still confirm) and no recent consent: deleted with
  their consents; an organisation known only through them (no other contact, no cluster membership)
  is deleted too. Imported member contacts (source 'import') are kept: they are the member register.

Safe to run daily: each batch is its own short transaction, and a second run finds nothing to do.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from members.deletion import (
    anonymise_enquiries,
    conversation_tables,
    delete_contacts,
    delete_conversations,
)
from members.models import (
    OPEN_ENQUIRY_STATUSES,
    Consent,
    Contact,
    Enquiry,
    Organisation,
    OutboxMessage,
    organisation_clusters,
    utcnow,
)
from members.transcripts import events


@dataclass
class RetentionReport:
    """What a retention run removed (or, in a dry run, would remove)."""

    cutoff: str
    dry_run: bool
    conversations_deleted: int = 0
    events_deleted: int = 0
    conversation_copies_deleted: int = 0
    enquiries_anonymised: int = 0
    mails_blanked: int = 0
    contacts_deleted: int = 0
    consents_deleted: int = 0
    organisations_deleted: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        """The report in words, for the command line."""
        verb = "would be" if self.dry_run else "were"
        return [
            f"Retention: data last touched before {self.cutoff}.",
            (f"{self.conversations_deleted} conversations ({self.events_deleted} tracker events, "
             f"{self.conversation_copies_deleted} console copies) {verb} deleted."),
            f"{self.enquiries_anonymised} enquiries {verb} anonymised ({self.mails_blanked} mails blanked).",
            (f"{self.contacts_deleted} contacts ({self.consents_deleted} consents) and "
             f"{self.organisations_deleted} organisations known only through them {verb} deleted."),
        ]


def _due_enquiries(cutoff: datetime):
    return select(Enquiry.id).where(
        Enquiry.status.not_in(OPEN_ENQUIRY_STATUSES), Enquiry.updated_at < cutoff, Enquiry.anonymised_at.is_(None)
    ).correlate(None)


def _due_contacts(cutoff: datetime):
    still_needed = exists().where(
        Enquiry.contact_id == Contact.id,
        or_(Enquiry.status.in_(OPEN_ENQUIRY_STATUSES), Enquiry.updated_at >= cutoff),
    )
    # A visitor who gave the address again lately made a claim staff may still confirm: the contact waits for it.
    still_claimed = exists().where(
        Enquiry.contact_status == "claimed", Enquiry.claimed_email == Contact.email,
        or_(Enquiry.status.in_(OPEN_ENQUIRY_STATUSES), Enquiry.updated_at >= cutoff),
    )
    recent_consent = exists().where(Consent.contact_id == Contact.id, Consent.recorded_at >= cutoff)
    return select(Contact.id).where(
        Contact.source == "conversation", Contact.updated_at < cutoff, ~still_needed, ~still_claimed, ~recent_consent
    ).correlate(None)


def _due_conversations(cutoff: datetime):
    open_conversations = select(Enquiry.conversation_id).where(Enquiry.status.in_(OPEN_ENQUIRY_STATUSES))
    return (
        select(events.c.sender_id)
        .where(events.c.sender_id.not_in(open_conversations))
        .group_by(events.c.sender_id)
        .having(func.max(events.c.timestamp) < cutoff.timestamp())
        .correlate(None)
    )


def _count(session: Session, query) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery()))


def _preview(session: Session, cutoff: datetime, report: RetentionReport) -> None:
    due_enquiries = _due_enquiries(cutoff)
    report.enquiries_anonymised = _count(session, due_enquiries)
    report.mails_blanked = _count(session, select(OutboxMessage.id).where(OutboxMessage.enquiry_id.in_(due_enquiries)))
    due_contacts = _due_contacts(cutoff)
    report.contacts_deleted = _count(session, due_contacts)
    report.consents_deleted = _count(session, select(Consent.id).where(Consent.contact_id.in_(due_contacts)))
    report.organisations_deleted = _count(session, select(Organisation.id).where(
        exists().where(Contact.organisation_id == Organisation.id, Contact.id.in_(due_contacts)),
        ~exists().where(Contact.organisation_id == Organisation.id, Contact.id.not_in(due_contacts)),
        ~exists().where(organisation_clusters.c.organisation_id == Organisation.id),
    ))
    due_conversations = _due_conversations(cutoff)
    report.conversations_deleted = _count(session, due_conversations)
    report.events_deleted = _count(session, select(events.c.id).where(events.c.sender_id.in_(due_conversations)))
    report.conversation_copies_deleted = sum(
        _count(session, select(table).where(table.c.conversation_id.in_(due_conversations)))
        for table in conversation_tables()
    )


def apply_retention(
    factory: sessionmaker[Session], days: int, now: datetime | None = None, batch_size: int = 500,
    dry_run: bool = False,
) -> RetentionReport:
    """Delete or anonymise what is older than `days` (see the module docstring); a dry run only counts."""
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = (now or utcnow()) - timedelta(days=days)
    report = RetentionReport(cutoff=cutoff.isoformat(timespec="seconds"), dry_run=dry_run)
    if dry_run:
        with factory() as session:
            _preview(session, cutoff, report)
        return report
    while True:
        with factory.begin() as session:
            batch = list(session.scalars(_due_enquiries(cutoff).order_by(Enquiry.id).limit(batch_size)))
            if not batch:
                break
            done = anonymise_enquiries(session, batch)
            report.enquiries_anonymised += done["enquiries"]
            report.mails_blanked += done["mails"]
    while True:
        with factory.begin() as session:
            batch = list(session.scalars(_due_contacts(cutoff).order_by(Contact.id).limit(batch_size)))
            if not batch:
                break
            done = delete_contacts(session, batch)
            report.contacts_deleted += done["contacts"]
            report.consents_deleted += done["consents"]
            report.organisations_deleted += done["organisations"]
    with factory() as session:
        # One scan of Rasa's table finds the candidates; each batch checks them again (through the
        # sender_id index) in case a visitor came back in the meantime.
        candidates = list(session.scalars(_due_conversations(cutoff)))
    for start in range(0, len(candidates), batch_size):
        with factory.begin() as session:
            chunk = candidates[start:start + batch_size]
            batch = list(session.scalars(_due_conversations(cutoff).where(events.c.sender_id.in_(chunk))))
            done = delete_conversations(session, batch)
            report.conversations_deleted += len(batch)
            report.events_deleted += done["events"]
            report.conversation_copies_deleted += done["copies"]
    return report


def enquiry_statistics(session: Session) -> list[dict]:
    """Anonymous statistics that survive retention and erasure: enquiries per day, cluster and status."""
    day = func.date(Enquiry.created_at)
    rows = session.execute(
        select(day.label("day"), Enquiry.cluster_id, Enquiry.status, func.count().label("enquiries"))
        .group_by(day, Enquiry.cluster_id, Enquiry.status)
        .order_by(day, Enquiry.cluster_id, Enquiry.status)
    ).all()
    return [{"day": str(r.day), "cluster": r.cluster_id, "status": r.status, "enquiries": r.enquiries} for r in rows]
