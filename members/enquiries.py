"""Write a conversation's enquiry and contact exactly once, recognising returning people and organisations."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from members.models import (
    OPEN_ENQUIRY_STATUSES,
    PROFILES,
    Consent,
    Contact,
    Enquiry,
    Organisation,
    OutboxMessage,
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

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> EnquiryRecord:
        mails = [MailDraft(**m) for m in data.pop("mails", [])]
        return cls(**data, mails=mails)


def find_organisation(session: Session, name: str | None, email: str | None) -> Organisation | None:
    """An existing organisation with this name, or else one whose e-mail domain matches."""
    if name:
        found = session.scalars(select(Organisation).where(Organisation.name_key == organisation_key(name))).first()
        if found:
            return found
    domain = email.rsplit("@", 1)[1] if email and "@" in email else None
    if domain and domain not in PUBLIC_MAIL_DOMAINS:
        return session.scalars(select(Organisation).where(Organisation.email_domain == domain)).first()
    return None


def _upsert_contact(session: Session, record: EnquiryRecord) -> Contact:
    email = normalise_email(record.email or "")
    if not email:
        raise ValueError("a contact needs a valid e-mail address")
    if not record.notice_version.strip():
        raise ValueError("consent needs the version of the privacy notice the visitor was shown")
    contact = session.scalars(select(Contact).where(Contact.email == email)).first()
    organisation = find_organisation(session, record.organisation, email)
    if organisation is None and record.organisation:
        domain = email.rsplit("@", 1)[1]
        organisation = Organisation(
            name=record.organisation.strip(),
            name_key=organisation_key(record.organisation),
            email_domain=None if domain in PUBLIC_MAIL_DOMAINS else domain,
        )
        session.add(organisation)
    if contact is None:
        contact = Contact(email=email, name=(record.name or "").strip() or email)
        session.add(contact)
    if record.name:
        contact.name = record.name.strip()
    contact.phone = record.phone or contact.phone
    contact.profile = known_profile(record.profile) or contact.profile
    contact.language = record.language
    if organisation is not None:
        contact.organisation = organisation
    session.flush()
    already = session.scalars(
        select(Consent).where(Consent.contact_id == contact.id, Consent.conversation_id == record.conversation_id)
    ).first()
    if already is None:
        session.add(
            Consent(
                contact=contact,
                purpose="store contact details to answer the enquiry",
                granted=True,
                notice_version=record.notice_version,
                conversation_id=record.conversation_id,
            )
        )
    return contact


def log_enquiry(session: Session, record: EnquiryRecord) -> Enquiry:
    """Create or update the conversation's one enquiry (and contact, with consent) and queue its mails.

    Idempotent: a retried call for the same conversation changes nothing more.
    """
    enquiry = session.scalars(
        select(Enquiry).where(Enquiry.conversation_id == record.conversation_id)
    ).first()
    if enquiry is None:
        enquiry = Enquiry(conversation_id=record.conversation_id)
        session.add(enquiry)
    enquiry.channel = record.channel
    enquiry.summary = record.summary or enquiry.summary or ""
    enquiry.question = record.question or enquiry.question
    enquiry.language = record.language
    enquiry.profile = known_profile(record.profile) or enquiry.profile
    if record.cluster_id or record.advisor_id:
        enquiry.cluster_id = record.cluster_id
        enquiry.route_score = record.route_score
        enquiry.route_reason = record.route_reason
        enquiry.advisor_id = record.advisor_id
    if enquiry.status not in ("handed_off", "closed") or record.status == "handed_off":
        enquiry.status = record.status
    enquiry.handoff_reason = record.handoff_reason or enquiry.handoff_reason
    enquiry.bot_unsure = enquiry.bot_unsure or record.bot_unsure
    if record.consent and record.email:
        enquiry.contact = _upsert_contact(session, record)
    session.flush()
    queued = {m.kind for m in enquiry.outbox}
    for mail in record.mails:
        if mail.kind not in queued:
            session.add(OutboxMessage(enquiry=enquiry, **asdict(mail)))
    session.flush()
    return enquiry


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
    ("sme", ("sme", "small", "medium", "family business")),
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
