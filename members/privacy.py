"""Subject access and erasure (GDPR articles 15 and 17): everything held about an e-mail address, and its removal."""
from __future__ import annotations

import dataclasses
import json
import logging
import re
from datetime import date, datetime
from email import message_from_bytes, policy
from email.errors import MessageError
from pathlib import Path

from sqlalchemy import String, Text, func, or_, select, update
from sqlalchemy.orm import Session

from firststop.settings import get_settings
from members.deletion import (
    CLAIM_FIELDS,
    anonymise_enquiries,
    blank_mails,
    chunks,
    delete_contacts,
    delete_conversations,
)
from members.enquiries import normalise_email
from members.models import (
    Base,
    Consent,
    Contact,
    Enquiry,
    EnquiryNote,
    OutboxMessage,
    StaffReply,
    VisitorFeedback,
    as_utc,
    utcnow,
)
from members.transcripts import events, transcript

log = logging.getLogger(__name__)

ERASED = "[erased]"
UNVERIFIED = "claimed in a chat, unverified"
# Staff accounts and advisors are the agency's own people, managed in the console, not data subjects here.
STAFF_TABLES = frozenset({"staff_users", "advisors", "disabled_accounts"})


class NotAnEmailAddress(ValueError):
    """The text given is not an e-mail address, so there is nothing to look up."""


def _address(email: str) -> str:
    address = normalise_email(email or "")
    if address is None:
        raise NotAnEmailAddress(f"not an e-mail address: {email!r}")
    return address


def _mentions(column, address: str):
    """SQL: the text column contains the address, whatever its case."""
    return func.lower(column).contains(address, autoescape=True)


def _plain(value):
    """A value as JSON can hold it; times are UTC (SQLite hands them back without their zone)."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _row(obj, *names: str) -> dict:
    return {name: _plain(getattr(obj, name)) for name in names}


def _contact_of(session: Session, address: str) -> Contact | None:
    return session.scalars(select(Contact).where(Contact.email == address)).first()


def person_conversations(session: Session, email: str) -> list[str]:
    """The person's conversations: those linked to their contact, and those where the address was written
    whose enquiry names nobody (no contact, no claimed address). A conversation of someone else who mentions
    it, or one where a visitor only claimed the address (see person_claims), is not theirs: it is only scrubbed."""
    address = _address(email)
    contact = _contact_of(session, address)
    own: set[str] = set()
    if contact is not None:
        own.update(session.scalars(select(Enquiry.conversation_id).where(Enquiry.contact_id == contact.id)))
        own.update(c for c in session.scalars(
            select(Consent.conversation_id).where(Consent.contact_id == contact.id)) if c)
    mentioned: set[str] = set(session.scalars(select(Enquiry.conversation_id).where(
        or_(_mentions(Enquiry.summary, address), _mentions(Enquiry.question, address)))))
    mentioned.update(session.scalars(
        select(Enquiry.conversation_id).join(OutboxMessage, OutboxMessage.enquiry_id == Enquiry.id)
        .where(or_(func.lower(OutboxMessage.reply_to) == address, func.lower(OutboxMessage.to_addr) == address))))
    mentioned.update(session.scalars(
        select(events.c.sender_id).where(_mentions(events.c.data, address)).distinct()))
    mentioned -= own
    others = set()
    for chunk in chunks(sorted(mentioned)):
        others.update(session.scalars(select(Enquiry.conversation_id).where(
            Enquiry.conversation_id.in_(chunk),
            or_(Enquiry.contact_id.is_not(None), Enquiry.claimed_email.is_not(None)))))
    return sorted(own | (mentioned - others))


def person_claims(session: Session, email: str) -> list[Enquiry]:
    """Enquiries where a visitor gave this address but which are not linked to its contact: unverified claims
    (possibly a stranger's), so their conversation is not the person's; only the claimed details concern them."""
    address = _address(email)
    contact = _contact_of(session, address)
    query = select(Enquiry).where(Enquiry.claimed_email == address)
    if contact is not None:
        query = query.where(or_(Enquiry.contact_id.is_(None), Enquiry.contact_id != contact.id))
    return list(session.scalars(query.order_by(Enquiry.created_at, Enquiry.id)))


def _person_enquiries(session: Session, contact: Contact | None, conversations: list[str]) -> list[Enquiry]:
    ids: set[int] = set()
    if contact is not None:
        ids.update(session.scalars(select(Enquiry.id).where(Enquiry.contact_id == contact.id)))
    for chunk in chunks(conversations):
        ids.update(session.scalars(select(Enquiry.id).where(Enquiry.conversation_id.in_(chunk))))
    if not ids:
        return []
    return list(session.scalars(select(Enquiry).where(Enquiry.id.in_(sorted(ids))).order_by(Enquiry.created_at)))


def _person_mails(session: Session, address: str, enquiry_ids: list[int]) -> list[OutboxMessage]:
    condition = or_(func.lower(OutboxMessage.to_addr) == address, func.lower(OutboxMessage.reply_to) == address)
    if enquiry_ids:
        condition = or_(condition, OutboxMessage.enquiry_id.in_(enquiry_ids))
    return list(session.scalars(select(OutboxMessage).where(condition).order_by(OutboxMessage.id)))


def _spooled(spool_dir: Path, address: str) -> list[tuple[Path, str, bool]]:
    """Spool files that mention the address: (path, text, whether the waiting enquiry is the person's own)."""
    if not spool_dir.exists():
        return []
    found = []
    for path in sorted(spool_dir.iterdir()):
        if not path.is_file() or path.suffix not in (".json", ".bad", ".tmp"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if address not in text.lower():
            continue
        try:
            theirs = normalise_email(json.loads(text).get("email") or "") == address
        except (ValueError, AttributeError):
            theirs = True  # unreadable, so it cannot be replayed: treat it as theirs
        found.append((path, text, theirs))
    return found


def export_person(session: Session, email: str, spool_dir: Path | None = None) -> dict:
    """Everything held about the person with this address, as JSON-serialisable data (subject access).

    Their contact, organisation, consents, enquiries with staff notes, mails and conversations (see
    person_conversations), and enquiries waiting in the spool. An enquiry where a visitor only claimed the
    address (not linked to their contact, see person_claims) is listed under "claims" with the claimed details
    alone, marked "claimed in a chat, unverified": no transcript, summary, mail or conversation id, since the
    visitor may have been someone else.
    """
    address = _address(email)
    spool_dir = spool_dir or get_settings().spool_dir
    contact = _contact_of(session, address)
    conversations = person_conversations(session, address)
    enquiries = _person_enquiries(session, contact, conversations)
    claims = person_claims(session, address)
    organisation = contact.organisation if contact is not None else None
    export = {
        "email": address,
        "exported_at": utcnow().isoformat(),
        "contact": _row(contact, "name", "email", "phone", "profile", "language", "source", "created_at",
                        "updated_at") if contact else None,
        "organisation": None,
        "consents": [],
        "enquiries": [],
        "mails": [],
        "conversations": {},
        "feedback": [],
        "claims": [
            {"status": UNVERIFIED, **_row(c, "created_at"),
             **{name.removeprefix("claimed_"): getattr(c, name) for name in CLAIM_FIELDS}}
            for c in claims
        ],
        "waiting_to_be_saved": [],
    }
    if organisation is not None:
        export["organisation"] = {
            **_row(organisation, "name", "type", "size", "sector", "country", "email_domain", "created_at"),
            "clusters": sorted(c.name for c in organisation.clusters),
        }
    if contact is not None:
        export["consents"] = [
            _row(c, "purpose", "granted", "notice_version", "conversation_id", "recorded_at")
            for c in sorted(contact.consents, key=lambda c: c.recorded_at)
        ]
    notes = {}
    if enquiries:
        for note in session.scalars(select(EnquiryNote).where(EnquiryNote.enquiry_id.in_([e.id for e in enquiries]))
                                    .order_by(EnquiryNote.created_at)):
            notes.setdefault(note.enquiry_id, []).append(_row(note, "body", "created_at"))
    for enquiry in enquiries:
        export["enquiries"].append({
            **_row(enquiry, "conversation_id", "channel", "created_at", "updated_at", "status", "kind", "summary",
                   "need", "question", "language", "profile", "route_reason", "handoff_reason", "due_at",
                   "contact_status", *CLAIM_FIELDS),
            "followups": [_row(f, "text", "at") for f in enquiry.followups],
            "cluster": enquiry.cluster.name if enquiry.cluster else None,
            "advisor": enquiry.advisor.name if enquiry.advisor else None,
            "staff_notes": notes.get(enquiry.id, []),
            "replies": [_row(r, "signed", "body", "created_at") for r in session.scalars(
                select(StaffReply).where(StaffReply.enquiry_id == enquiry.id).order_by(StaffReply.created_at))],
        })
    claim_ids = {c.id for c in claims}
    export["mails"] = [
        _row(m, "kind", "message_id", "to_addr", "reply_to", "subject", "body_text", "body_html", "status",
             "created_at", "sent_at")
        for m in _person_mails(session, address, [e.id for e in enquiries]) if m.enquiry_id not in claim_ids
    ]
    export["conversations"] = {
        conversation_id: [
            {k: _plain(v) for k, v in dataclasses.asdict(message).items() if k != "event_id"}
            for message in transcript(session, conversation_id)
        ]
        for conversation_id in conversations
    }
    export["feedback"] = [
        _row(f, "conversation_id", "vote", "comment", "created_at") for f in session.scalars(
            select(VisitorFeedback).where(VisitorFeedback.conversation_id.in_(conversations))
            .order_by(VisitorFeedback.created_at))
    ] if conversations else []
    for path, text, theirs in _spooled(spool_dir, address):
        if theirs:
            try:
                export["waiting_to_be_saved"].append(json.loads(text))
            except ValueError:
                export["waiting_to_be_saved"].append({"unreadable_file": path.name, "text": text})
    return export


def _text_columns(table) -> list:
    return [c for c in table.c if isinstance(c.type, (String, Text)) and not c.primary_key]


def scrub_mentions(session: Session, address: str) -> int:
    """Replace the address wherever it is still written: staff notes, other people's questions and conversations."""
    pattern = re.compile(re.escape(address), re.IGNORECASE)
    tables = [t for t in Base.metadata.sorted_tables if t.name not in STAFF_TABLES and t.primary_key.columns]
    tables.append(events)  # JSON text: an e-mail address holds no quote or backslash, so it stays valid
    scrubbed = 0
    for table in tables:
        keys = list(table.primary_key.columns)
        for column in _text_columns(table):
            for row in session.execute(select(*keys, column).where(_mentions(column, address))).all():
                session.execute(
                    update(table).where(*[k == v for k, v in zip(keys, row[:-1])])
                    .values({column.name: pattern.sub(ERASED, row[-1])})
                )
                scrubbed += 1
    return scrubbed


def _erase_from_spool(spool_dir: Path, address: str) -> dict[str, int]:
    """Delete their spooled enquiries; in someone else's spooled enquiry only the address is replaced."""
    pattern = re.compile(re.escape(address), re.IGNORECASE)
    counts = {"deleted": 0, "scrubbed": 0}
    for path, text, theirs in _spooled(spool_dir, address):
        if theirs or path.suffix != ".json":
            path.unlink(missing_ok=True)
            counts["deleted"] += 1
        else:
            scratch = path.with_suffix(".erasing")
            scratch.write_text(pattern.sub(ERASED, text), encoding="utf-8")
            scratch.replace(path)
            counts["scrubbed"] += 1
    return counts


def clear_claims(session: Session, enquiry_ids: list[int]) -> int:
    """Remove what visitors claimed on these enquiries (name, address, phone, organisation); the rest stays."""
    for chunk in chunks(enquiry_ids):
        session.execute(
            update(Enquiry).where(Enquiry.id.in_(chunk))
            .values(contact_status=None, **dict.fromkeys(CLAIM_FIELDS), updated_at=Enquiry.updated_at)
            .execution_options(synchronize_session=False)
        )
    return len(enquiry_ids)


def _mail_file_mentions(raw: bytes, address: str, message_ids: set[str]) -> bool:
    """Whether a sink .eml file is one of these messages or holds the address, raw or once decoded (an encoded
    header, a quoted-printable line break or base64 can hide it from a plain byte search)."""
    if address.encode() in raw.lower():
        return True
    try:
        message = message_from_bytes(raw, policy=policy.default)
        if (message.get("Message-ID") or "").strip() in message_ids:
            return True
        texts = [str(value) for value in message.values()]
        texts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
    except (MessageError, LookupError, ValueError) as error:
        log.warning("mail sink file not readable as e-mail (%s): deleted, as it may hold the address",
                    type(error).__name__)
        return True
    return any(address in text.lower() for text in texts)


def _erase_from_mail_sink(mail_dir: Path, address: str, message_ids: set[str]) -> int:
    """Delete the local mail sink's .eml files of the person's enquiries or that mention the address."""
    if not mail_dir.exists():
        return 0
    deleted = 0
    for path in sorted(mail_dir.glob("*.eml")):
        try:
            theirs = _mail_file_mentions(path.read_bytes(), address, message_ids)
        except FileNotFoundError:
            continue
        if theirs:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def erase_person(session: Session, email: str, spool_dir: Path | None = None,
                 mail_dir: Path | None = None) -> dict[str, int]:
    """Erase the person with this address everywhere, keeping anonymous enquiry statistics; returns what was erased.

    Their contact and consents (and an organisation known only through them), their conversations (see
    person_conversations) with every copy, their enquiries anonymised (notes, claims and mail bodies gone),
    mails to or replying to them blanked (withdrawn if unsent), the address replaced by "[erased]" wherever else
    it is written, their spooled enquiries, and the local mail sink's .eml files of their enquiries or naming
    the address. An enquiry where a visitor only claimed the address (see person_claims) keeps its
    conversation, which is someone else's or unverified: only its claimed details are cleared and the address
    scrubbed from it.

    Runs in the caller's transaction: nothing is erased from the database until the caller commits.
    Files on disk change at once: spooled enquiries and sink mails are deleted, other spool files lose the address.
    """
    address = _address(email)
    spool_dir = spool_dir or get_settings().spool_dir
    mail_dir = mail_dir or get_settings().mail_dir
    session.flush()
    contact = _contact_of(session, address)
    conversations = person_conversations(session, address)
    enquiries = _person_enquiries(session, contact, conversations)
    enquiry_ids = [e.id for e in enquiries]
    message_ids = {m for chunk in chunks(enquiry_ids) for m in session.scalars(
        select(OutboxMessage.message_id).where(OutboxMessage.enquiry_id.in_(chunk)))}
    claims = clear_claims(session, [e.id for e in person_claims(session, address) if e.id not in set(enquiry_ids)])
    anonymised = anonymise_enquiries(session, enquiry_ids)
    already = set(enquiry_ids)
    other_mails = [m.id for m in _person_mails(session, address, []) if m.enquiry_id not in already]
    blank_mails(session, other_mails)  # mails to or replying to them about an enquiry not linked to them
    session.execute(update(OutboxMessage).where(func.lower(OutboxMessage.to_addr) == address)
                    .values(to_addr=ERASED).execution_options(synchronize_session=False))
    removed = delete_contacts(session, [contact.id] if contact is not None else [])
    deleted = delete_conversations(session, conversations)
    scrubbed = scrub_mentions(session, address)
    spooled = _erase_from_spool(spool_dir, address)
    mail_files = _erase_from_mail_sink(mail_dir, address, message_ids)
    session.expire_all()
    return {
        "contacts": removed["contacts"],
        "consents": removed["consents"],
        "organisations": removed["organisations"],
        "enquiries_anonymised": anonymised["enquiries"],
        "mails_blanked": anonymised["mails"] + len(other_mails),
        "conversations": len(conversations),
        "conversation_events": deleted["events"],
        "conversation_copies": deleted["copies"],
        "mentions_scrubbed": scrubbed,
        "spool_files_deleted": spooled["deleted"],
        "spool_files_scrubbed": spooled["scrubbed"],
        "claims_cleared": claims,
        "mail_files_deleted": mail_files,
    }
