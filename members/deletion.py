"""Deletion primitives shared by erasure (members.privacy) and retention (members.retention): anonymise
enquiries, blank mails, delete conversations and contacts, in batches. They change rows; deciding whose rows is
the callers' job."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from members.models import (
    Base,
    Consent,
    Contact,
    Enquiry,
    EnquiryFollowup,
    EnquiryNote,
    Organisation,
    OutboxMessage,
    organisation_clusters,
    utcnow,
)
from members.transcripts import events

CLAIM_FIELDS = ("claimed_name", "claimed_email", "claimed_phone", "claimed_organisation")
ERASED_SUBJECT = "Enquiry (personal details erased)"
BATCH = 500
# Tables whose rows are handled one by one below; every other table keyed by conversation_id
# (the console's search index, unanswered questions, flagged messages) goes with its conversation.
HANDLED_TABLES = frozenset({"enquiries", "consents"})


def chunks(items: Iterable, size: int = BATCH) -> Iterable[list]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def blank_mails(session: Session, message_ids: list[int]) -> int:
    """Remove the personal content of outbox mails; ones not yet sent are withdrawn (status 'erased')."""
    for chunk in chunks(message_ids):
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(chunk))
            .values(subject=ERASED_SUBJECT, body_text="", body_html="", reply_to=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(chunk), OutboxMessage.status != "sent")
            .values(status="erased", claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
    return len(message_ids)


def anonymise_enquiries(session: Session, enquiry_ids: list[int]) -> dict[str, int]:
    """Keep enquiries for statistics (cluster, status, dates); drop who asked, what they wrote, notes and mails."""
    mails = 0
    for chunk in chunks(enquiry_ids):
        session.execute(
            update(Enquiry).where(Enquiry.id.in_(chunk))
            .values(contact_id=None, summary="", question=None, need=None, anonymised_at=utcnow(),
                    **dict.fromkeys(CLAIM_FIELDS),
                    updated_at=Enquiry.updated_at)  # the enquiry's own timeline stays as it was
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(EnquiryNote).where(EnquiryNote.enquiry_id.in_(chunk))
                        .execution_options(synchronize_session=False))
        session.execute(delete(EnquiryFollowup).where(EnquiryFollowup.enquiry_id.in_(chunk))
                        .execution_options(synchronize_session=False))
        mails += blank_mails(session, list(session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.enquiry_id.in_(chunk)))))
    return {"enquiries": len(enquiry_ids), "mails": mails}


def conversation_tables() -> list:
    """Tables of the member database that hold rows per conversation, besides enquiries and consents."""
    return [t for t in Base.metadata.sorted_tables
            if "conversation_id" in t.c and t.name not in HANDLED_TABLES]


def delete_conversations(session: Session, conversation_ids: list[str]) -> dict[str, int]:
    """Delete the conversations' tracker events and every copy kept of them (search index, unanswered questions)."""
    counts = {"events": 0, "copies": 0}
    for chunk in chunks(conversation_ids):
        counts["events"] += session.execute(delete(events).where(events.c.sender_id.in_(chunk))).rowcount
        for table in conversation_tables():
            counts["copies"] += session.execute(delete(table).where(table.c.conversation_id.in_(chunk))).rowcount
    return counts


def delete_contacts(session: Session, contact_ids: list[int]) -> dict[str, int]:
    """Delete contacts with their consents, and organisations known only through them (no other contact, no cluster)."""
    counts = {"contacts": 0, "consents": 0, "organisations": 0}
    for chunk in chunks(contact_ids):
        organisation_ids = {i for i in session.scalars(
            select(Contact.organisation_id).where(Contact.id.in_(chunk))) if i is not None}
        counts["consents"] += session.execute(delete(Consent).where(Consent.contact_id.in_(chunk))
                                              .execution_options(synchronize_session=False)).rowcount
        session.execute(update(Enquiry).where(Enquiry.contact_id.in_(chunk)).values(contact_id=None)
                        .execution_options(synchronize_session=False))
        counts["contacts"] += session.execute(delete(Contact).where(Contact.id.in_(chunk))
                                              .execution_options(synchronize_session=False)).rowcount
        if organisation_ids:
            orphans = list(session.scalars(select(Organisation.id).where(
                Organisation.id.in_(organisation_ids),
                ~exists().where(Contact.organisation_id == Organisation.id),
                ~exists().where(organisation_clusters.c.organisation_id == Organisation.id),
            )))
            if orphans:
                counts["organisations"] += session.execute(
                    delete(Organisation).where(Organisation.id.in_(orphans))
                    .execution_options(synchronize_session=False)).rowcount
    return counts


