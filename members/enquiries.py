"""Write a conversation's enquiry and contact exactly once, recognising returning people and organisations."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from members.models import (
    OPEN_ENQUIRY_STATUSES,
    PROFILES,
    Consent,
    Contact,
    Enquiry,
    EnquiryActivity,
    EnquiryFollowup,
    Organisation,
    OutboxMessage,
    utcnow,
)

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")  # noqa: E501
# Free-mail domains say nothing about the organisation a person works for.
PUBLIC_MAIL_DOMAINS = frozenset(
    "gmail.com googlemail.com yahoo.com yahoo.fr hotmail.com hotmail.fr outlook.com live.com "
    "msn.com icloud.com me.com gmx.de gmx.net web.de orange.fr free.fr pt.lu proton.me "
    "protonmail.com aol.com mail.com".split()
)
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")


def normalise_email(text: str) -> str | None:
    """The address in lower case if it looks deliverable, else None."""
    candidate = text.strip().strip("<>").lower()
    if len(candidate) > 254 or not EMAIL.match(candidate):
        return None
    return candidate


def is_phone_number(text: str) -> bool:
    """Digits with the usual separators, at least six of them ('+352 43 62 63-1')."""
    return bool(PHONE.match(text.strip())) and sum(c.isdigit() for c in text) >= 6


def known_profile(profile: str | None) -> str | None:
    """The profile if it is one the member database knows, else None (never an unchecked value)."""
    return profile if profile in PROFILES else None


def organisation_key(name: str) -> str:
    """A name reduced so 'ACME S.A.' and 'Acme sa' are the same organisation."""
    key = re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
    key = re.sub(r"\b(s ?a|s ?a ?r ?l|sarl|gmbh|ltd|inc|asbl|plc|ag|bv|nv|llc|a ?s ?b ?l)$", "", key)
    return key.strip() or name.strip().lower()


@dataclass
class MailDraft:
    """An e-mail to queue in the outbox with the enquiry."""

    kind: str
    message_id: str
    to_addr: str
    reply_to: str | None
    subject: str
    body_text: str
    body_html: str


@dataclass
class EnquiryRecord:
    """Everything a conversation says about its enquiry; plain data so it can wait in the spool."""

    conversation_id: str
    channel: str = "rest"
    summary: str = ""
    question: str | None = None
    language: str = "en"
    profile: str | None = None
    cluster_id: str | None = None
    route_score: float | None = None
    route_reason: str | None = None
    advisor_id: str | None = None
    status: str = "new"
    handoff_reason: str | None = None
    bot_unsure: bool = False
    consent: bool | None = None
    notice_version: str = ""
    name: str | None = None
    organisation: str | None = None
    email: str | None = None
    phone: str | None = None
    mails: list[MailDraft] = field(default_factory=list)
    client_key: str | None = None  # keyed hash of the visitor's client address (the REST channel's metadata)
    need: str | None = None  # what the visitor wants from the advisor
    kind: str | None = None  # project, question, handoff or privacy (members.models.ENQUIRY_KINDS)
    followups: list[str] = field(default_factory=list)  # every message added after the enquiry was logged
    reply_due: str | None = None  # ISO time by which the visitor was told a person will reply

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> EnquiryRecord:
        mails = [MailDraft(**m) for m in data.pop("mails", [])]
        return cls(**data, mails=mails)


def find_organisation(session: Session, name: str | None, email: str | None) -> Organisation | None:
    """An existing organisation with this name, or else one whose (staff- or import-set) e-mail domain matches."""
    if name:
        found = session.scalars(select(Organisation).where(Organisation.name_key == organisation_key(name))).first()
        if found:
            return found
    domain = email.rsplit("@", 1)[1] if email and "@" in email else None
    if domain and domain not in PUBLIC_MAIL_DOMAINS:
        return session.scalars(select(Organisation).where(Organisation.email_domain == domain)).first()
    return None


class ClaimError(ValueError):
    """Staff asked for something a claim can't become (no such contact, an address already taken...)."""


# The enquiry's route_reason when the visitor, not the router, settled the cluster (the console counts them).
VISITOR_CHOSE_CLUSTER = "the visitor chose this cluster"
VISITOR_CORRECTED_ROUTING = "the visitor corrected the routing"
CONSENT_PURPOSE = "store contact details to answer the enquiry"
# The activity line that keeps a claimed enquiry's consent until staff say whose it is (a Consent row needs a
# contact, and the claimed contact is not to be touched); its detail is the notice version.
CONSENT_GRANTED = "consent granted"


def _said(value: str | None, limit: int) -> str | None:
    """A claim as stored: single spaces, cut to the column's size, None when empty."""
    return " ".join((value or "").split())[:limit] or None


def _record_claims(enquiry: Enquiry, record: EnquiryRecord, email: str | None) -> None:
    """Keep what the visitor said about themselves on the enquiry, as said (a later write without a detail
    keeps the one said before, as the enquiry's other fields do)."""
    enquiry.claimed_name = _said(record.name, 200) or enquiry.claimed_name
    enquiry.claimed_email = email or enquiry.claimed_email
    enquiry.claimed_phone = _said(record.phone, 64) or enquiry.claimed_phone
    enquiry.claimed_organisation = _said(record.organisation, 200) or enquiry.claimed_organisation


def _add_consent(session: Session, contact: Contact, conversation_id: str, notice_version: str) -> None:
    """The contact's consent in this conversation, once."""
    already = session.scalars(
        select(Consent).where(Consent.contact_id == contact.id, Consent.conversation_id == conversation_id,
                              Consent.purpose == CONSENT_PURPOSE)
    ).first()
    if already is None:
        session.add(Consent(contact=contact, purpose=CONSENT_PURPOSE, granted=True, notice_version=notice_version,
                            conversation_id=conversation_id))


def _contact_from_claims(session: Session, enquiry: Enquiry, email: str, name: str | None = None,
                         domain_of: str | None = None) -> Contact:
    """A new contact from the enquiry's claims; it may join an existing organisation (found by name, or by the
    domain of `domain_of` when staff or an import set that domain), which it never changes. A new organisation
    gets no e-mail domain: only imports and staff set one, so a visitor can't name an organisation for everyone."""
    claimed = enquiry.claimed_organisation
    organisation = find_organisation(session, claimed, domain_of)
    if organisation is None and claimed:
        organisation = Organisation(name=claimed, name_key=organisation_key(claimed))
        session.add(organisation)
    contact = Contact(email=email, name=name or enquiry.claimed_name or email[:200], phone=enquiry.claimed_phone,
                      profile=known_profile(enquiry.profile), language=enquiry.language, organisation=organisation)
    session.add(contact)
    session.flush()
    return contact


def _claimed_consent_logged(session: Session, enquiry: Enquiry) -> bool:
    return session.scalars(select(EnquiryActivity.id).where(
        EnquiryActivity.enquiry_id == enquiry.id, EnquiryActivity.action == CONSENT_GRANTED)).first() is not None


def _link_contact(session: Session, enquiry: Enquiry, record: EnquiryRecord) -> None:
    """Record the claims; create the contact if the address is new, else leave the existing contact alone."""
    email = normalise_email(record.email or "")
    if not email:
        raise ValueError("a contact needs a valid e-mail address")
    if not record.notice_version.strip():
        raise ValueError("consent needs the version of the privacy notice the visitor was shown")
    _record_claims(enquiry, record, email)
    if enquiry.contact_status == "confirmed":
        return  # staff said whose enquiry this is; a retried or later write doesn't undo that
    existing = session.scalars(select(Contact).where(Contact.email == email)).first()
    if existing is None:
        enquiry.contact = _contact_from_claims(session, enquiry, email, domain_of=email)
        enquiry.contact_status = "new"
    elif enquiry.contact_id == existing.id:
        pass  # this conversation created the contact (a retried write): nothing more to do
    else:
        enquiry.contact, enquiry.contact_status = None, "claimed"
    session.flush()
    if enquiry.contact is not None:
        _add_consent(session, enquiry.contact, record.conversation_id, record.notice_version)
    elif not _claimed_consent_logged(session, enquiry):
        session.add(EnquiryActivity(enquiry_id=enquiry.id, action=CONSENT_GRANTED, detail=record.notice_version))


def recent_mails(session: Session, client_key: str, now: datetime | None = None) -> int:
    """Staff e-mails queued in the last hour for the visitor with this client key (any status)."""
    since = (now or utcnow()) - timedelta(hours=1)
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.client_key == client_key, OutboxMessage.created_at >= since))


def _queue_mails(session: Session, enquiry: Enquiry, record: EnquiryRecord, mail_cap: int) -> None:
    """Queue the record's mails not queued yet; beyond `mail_cap` an hour per client key they wait as "held"."""
    queued = {m.kind for m in enquiry.outbox}
    for mail in record.mails:
        if mail.kind in queued:
            continue
        held = bool(mail_cap > 0 and record.client_key and recent_mails(session, record.client_key) >= mail_cap)
        session.add(OutboxMessage(
            enquiry=enquiry, client_key=record.client_key, **asdict(mail),
            status="held" if held else "pending",
            last_error=(f"held: more than {mail_cap} staff e-mails from one client address within an hour; "
                        "Retry sends it") if held else None,
        ))
        session.flush()


def log_enquiry(session: Session, record: EnquiryRecord, mail_cap: int = 0) -> Enquiry:
    """Create or update the conversation's one enquiry (with the visitor's claims, a new contact when the address
    is new, consent) and queue its mails, holding them beyond `mail_cap` per client key and hour (0: no cap).

    Chat input never changes an existing contact or organisation: an address that is already a contact's makes
    the enquiry "claimed", unlinked, for staff to confirm or merge. Idempotent: a retried call changes nothing more.
    """
    enquiry = session.scalars(
        select(Enquiry).where(Enquiry.conversation_id == record.conversation_id)
    ).first()
    created = enquiry is None
    if created:
        enquiry = Enquiry(conversation_id=record.conversation_id)
        session.add(enquiry)
    enquiry.channel = record.channel
    # The description and the need are kept as first given (or as staff edited them); later messages are
    # follow-ups beside them, never over them.
    enquiry.summary = enquiry.summary or record.summary or ""
    enquiry.need = enquiry.need or record.need
    enquiry.question = record.question or enquiry.question
    enquiry.kind = record.kind or enquiry.kind
    if record.reply_due and enquiry.due_at is None:
        enquiry.due_at = datetime.fromisoformat(record.reply_due).astimezone(timezone.utc)
    for text in record.followups[len(enquiry.followups):]:  # idempotent: the record carries all of them
        enquiry.followups.append(EnquiryFollowup(text=text))
    enquiry.language = record.language
    enquiry.profile = known_profile(record.profile) or enquiry.profile
    if record.cluster_id or record.advisor_id:
        enquiry.cluster_id = record.cluster_id
        enquiry.route_score = record.route_score
        enquiry.route_reason = record.route_reason
        enquiry.advisor_id = record.advisor_id
    # A later write (a follow-up, a replay) keeps the status staff set; only a hand-off (which carries its
    # reason; a follow-up to a handed-off enquiry doesn't) moves it.
    if created or (record.status == "handed_off" and record.handoff_reason):
        enquiry.status = record.status
    enquiry.handoff_reason = record.handoff_reason or enquiry.handoff_reason
    enquiry.bot_unsure = enquiry.bot_unsure or record.bot_unsure
    session.flush()
    if record.consent and record.email:
        _link_contact(session, enquiry, record)
    elif record.consent:
        _record_claims(enquiry, record, None)
    _queue_mails(session, enquiry, record, mail_cap)
    session.flush()
    return enquiry


def claimed_contact(session: Session, enquiry: Enquiry) -> Contact | None:
    """The existing contact whose address a "claimed" enquiry gave, if it is still there."""
    if enquiry.contact_status != "claimed" or not enquiry.claimed_email:
        return None
    return session.scalars(select(Contact).where(Contact.email == enquiry.claimed_email)).first()


def _claimed_notice(session: Session, enquiry: Enquiry) -> str | None:
    return session.scalars(select(EnquiryActivity.detail).where(
        EnquiryActivity.enquiry_id == enquiry.id, EnquiryActivity.action == CONSENT_GRANTED)
        .order_by(EnquiryActivity.id)).first()


def _settle(session: Session, enquiry: Enquiry, contact: Contact) -> None:
    """Link the enquiry to the contact staff chose; the consent the visitor gave in the chat becomes theirs."""
    if enquiry.contact_status != "claimed":
        raise ClaimError("only an unconfirmed claim can be confirmed, merged or split off")
    enquiry.contact, enquiry.contact_status = contact, "confirmed"
    session.flush()
    notice = _claimed_notice(session, enquiry)
    if notice:
        _add_consent(session, contact, enquiry.conversation_id, notice)


def confirm_claim(session: Session, enquiry: Enquiry, take_name: bool = False, take_phone: bool = False) -> Contact:
    """Staff checked it: the claimed enquiry is the existing contact's; optionally take the claimed name or phone."""
    contact = claimed_contact(session, enquiry)
    if contact is None:
        raise ClaimError("no contact has the claimed address any more")
    _settle(session, enquiry, contact)
    if take_name and enquiry.claimed_name:
        contact.name = enquiry.claimed_name
    if take_phone and enquiry.claimed_phone:
        contact.phone = enquiry.claimed_phone
    return contact


def merge_claim(session: Session, enquiry: Enquiry, email: str) -> Contact:
    """Staff know whose it is: link the claimed enquiry to the contact with this address (left as it is)."""
    address = normalise_email(email or "")
    contact = session.scalars(select(Contact).where(Contact.email == address)).first() if address else None
    if contact is None:
        raise ClaimError("no contact has that address")
    _settle(session, enquiry, contact)
    return contact


def separate_contact(session: Session, enquiry: Enquiry, email: str, name: str = "") -> Contact:
    """Staff say the visitor is someone else: a new contact (the address staff give) from the enquiry's claims."""
    address = normalise_email(email or "")
    if address is None:
        raise ClaimError("that is not an e-mail address")
    if session.scalars(select(Contact.id).where(Contact.email == address)).first() is not None:
        raise ClaimError(f"{address} is already a contact's address; merge into it instead")
    contact = _contact_from_claims(session, enquiry, address, name=_said(name, 200))
    _settle(session, enquiry, contact)
    return contact


def open_load(session: Session) -> dict[str, int]:
    """Open enquiries per advisor, for choosing the least loaded."""
    rows = session.execute(
        select(Enquiry.advisor_id, func.count())
        .where(Enquiry.status.in_(OPEN_ENQUIRY_STATUSES), Enquiry.advisor_id.is_not(None))
        .group_by(Enquiry.advisor_id)
    )
    return {advisor_id: count for advisor_id, count in rows}


_PROFILE_WORDS = (
    ("private_research_centre", ("private research", "research centre", "research center", "rto")),
    ("public_research_lab", ("public research", "university", "laboratory", "lab")),
    ("researcher", ("researcher", "phd", "scientist", "professor", "postdoc")),
    ("large_company", ("large", "big company", "corporation", "multinational", "group")),
    ("sme", ("sme", "small", "medium", "family business", "pme", "petite entreprise", "moyenne entreprise",
             "kmu", "kleines unternehmen", "mittelständ")),
    ("entrepreneur", ("entrepreneur", "founder", "start-up", "startup", "start up", "self-employed")),
    ("individual", ("individual", "private person", "myself", "idea", "inventor")),
)


def profile_from_text(text: str) -> str | None:
    """The visitor profile named in free text ('we are a small company' → 'sme'), else None."""
    lowered = text.strip().lower().replace("_", " ")
    for profile in PROFILES:
        if lowered == profile.replace("_", " "):
            return profile
    for profile, words in _PROFILE_WORDS:
        if any(re.search(rf"\b{re.escape(w)}", lowered) for w in words):
            return profile
    return None
