"""SQLAlchemy models of the member database."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, declarative_base, relationship

Base = declarative_base()


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time, aware: SQLite hands times back without their zone, and they were stored as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


ENQUIRY_STATUSES = ("new", "in_progress", "handed_off", "closed")
OPEN_ENQUIRY_STATUSES = ("new", "in_progress", "handed_off")
PROFILES = (
    "sme",
    "large_company",
    "private_research_centre",
    "public_research_lab",
    "researcher",
    "entrepreneur",
    "individual",
)
ORGANISATION_TYPES = (
    "company",
    "start_up",
    "private_research_centre",
    "public_research_lab",
    "university",
    "public_body",
    "association",
    "other",
)
ORGANISATION_SIZES = ("micro", "small", "medium", "large")  # the EU SME definition
CONTACT_SOURCES = ("conversation", "import")  # chat contacts age out; imported members don't
# The sender and handoff/outbox.py move mails through these; "erased": withdrawn on an erasure request.
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "held", "handled", "erased")
# How far the contact on an enquiry can be trusted: chat input is a claim, never a member's record.
#   new: the address was unknown and this conversation created its contact;
#   claimed: the address belongs to an existing contact, which the chat did not touch (staff confirm or merge);
#   confirmed: staff checked the claim and linked the enquiry to that contact.
CONTACT_STATUSES = ("new", "claimed", "confirmed")
# What a conversation's enquiry is about: a project routed to a cluster, a question for a person, a hand-off,
# or a request to see or delete one's data (handled on the console's privacy page).
ENQUIRY_KINDS = ("project", "question", "handoff", "privacy")


def one_of(column: str, values: tuple[str, ...], nullable: bool = True) -> str:
    """SQL for a CHECK constraint: `column` holds one of `values` (or NULL)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IS NULL OR {column} IN ({listed})" if nullable else f"{column} IN ({listed})"


organisation_clusters = Table(
    "organisation_clusters",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("cluster_id", ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True),
)

advisor_clusters = Table(
    "advisor_clusters",
    Base.metadata,
    Column("advisor_id", ForeignKey("advisors.id", ondelete="CASCADE"), primary_key=True),
    Column("cluster_id", ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True),
)


class Cluster(Base):
    """An industry cluster of the cluster initiative (reference data from knowledge/)."""

    __tablename__ = "clusters"
    id: Mapped[str] = Column(String(32), primary_key=True)
    name: Mapped[str] = Column(String(64), nullable=False)
    full_name: Mapped[str] = Column(String(200), nullable=False)
    status: Mapped[str] = Column(String(32), nullable=False)


class Advisor(Base):
    """A member of staff who takes enquiries (reference data from knowledge/)."""

    __tablename__ = "advisors"
    id: Mapped[str] = Column(String(64), primary_key=True)
    name: Mapped[str] = Column(String(200), nullable=False)
    email: Mapped[str] = Column(String(255), nullable=False, unique=True)
    languages: Mapped[str] = Column(String(64), nullable=False, default="en")
    available: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    general: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    clusters = relationship("Cluster", secondary=advisor_clusters)


class Organisation(Base):
    """A company, research centre or other body the agency serves (a member when in a cluster)."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("trim(name) <> ''", name="ck_organisations_name"),
        CheckConstraint(one_of("type", ORGANISATION_TYPES), name="ck_organisations_type"),
        CheckConstraint(one_of("size", ORGANISATION_SIZES), name="ck_organisations_size"),
        CheckConstraint(
            "country IS NULL OR (length(country) = 2 AND upper(country) = country)", name="ck_organisations_country"
        ),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(200), nullable=False)
    name_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    email_domain: Mapped[str | None] = Column(String(255), index=True)
    type: Mapped[str | None] = Column(String(64))
    size: Mapped[str | None] = Column(String(32))
    sector: Mapped[str | None] = Column(String(200))
    country: Mapped[str | None] = Column(String(2))
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    clusters = relationship("Cluster", secondary=organisation_clusters)
    contacts = relationship("Contact", back_populates="organisation")


class Contact(Base):
    """A person who contacted the agency and agreed to their details being stored."""

    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint("email = lower(email) AND email LIKE '%_@_%'", name="ck_contacts_email"),
        CheckConstraint(one_of("profile", PROFILES), name="ck_contacts_profile"),
        CheckConstraint(one_of("source", CONTACT_SOURCES, nullable=False), name="ck_contacts_source"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    email: Mapped[str] = Column(String(255), nullable=False, unique=True)
    name: Mapped[str] = Column(String(200), nullable=False)
    phone: Mapped[str | None] = Column(String(64))
    profile: Mapped[str | None] = Column(String(64))
    language: Mapped[str | None] = Column(String(8))
    organisation_id: Mapped[int | None] = Column(
        ForeignKey("organisations.id", ondelete="SET NULL", name="fk_contacts_organisation_id")
    )
    source: Mapped[str] = Column(String(16), nullable=False, default="conversation", server_default="conversation")
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    organisation = relationship("Organisation", back_populates="contacts")
    enquiries = relationship("Enquiry", back_populates="contact")
    consents = relationship("Consent", back_populates="contact", cascade="all, delete-orphan")


class Consent(Base):
    """What a contact agreed to, when, in which conversation, under which notice version."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("contact_id", "conversation_id", "purpose", name="uq_consents_contact_conversation_purpose"),
        CheckConstraint("trim(purpose) <> ''", name="ck_consents_purpose"),
        CheckConstraint("trim(notice_version) <> ''", name="ck_consents_notice_version"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    contact_id: Mapped[int] = Column(
        ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = Column(String(64), nullable=False)
    granted: Mapped[bool] = Column(Boolean, nullable=False)
    notice_version: Mapped[str] = Column(String(32), nullable=False)
    conversation_id: Mapped[str | None] = Column(String(255))
    recorded_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    contact = relationship("Contact", back_populates="consents")


class Enquiry(Base):
    """One conversation's enquiry: what the visitor wanted, where it was routed, its status."""

    __tablename__ = "enquiries"
    __table_args__ = (
        CheckConstraint(one_of("status", ENQUIRY_STATUSES, nullable=False), name="ck_enquiries_status"),
        CheckConstraint(one_of("profile", PROFILES), name="ck_enquiries_profile"),
        CheckConstraint(one_of("contact_status", CONTACT_STATUSES), name="ck_enquiries_contact_status"),
        CheckConstraint(one_of("kind", ENQUIRY_KINDS), name="ck_enquiries_kind"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    channel: Mapped[str] = Column(String(32), nullable=False, default="rest")
    created_at: Mapped[datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    summary: Mapped[str] = Column(Text, nullable=False, default="")  # the project as the visitor described it
    question: Mapped[str | None] = Column(Text)
    need: Mapped[str | None] = Column(Text)  # what the visitor wants from the advisor, in their words
    kind: Mapped[str | None] = Column(String(16))
    # The reply the visitor was promised: by when, and whether staff took it on (the reminders stop then).
    due_at: Mapped[datetime | None] = Column(DateTime(timezone=True), index=True)
    acknowledged_at: Mapped[datetime | None] = Column(DateTime(timezone=True))
    acknowledged_by: Mapped[int | None] = Column(
        ForeignKey("staff_users.id", ondelete="SET NULL", name="fk_enquiries_acknowledged_by")
    )
    reminded_at: Mapped[datetime | None] = Column(DateTime(timezone=True))  # the advisor was reminded
    escalated_at: Mapped[datetime | None] = Column(DateTime(timezone=True))  # the general inbox was told
    language: Mapped[str] = Column(String(8), nullable=False, default="en")
    profile: Mapped[str | None] = Column(String(64))
    cluster_id: Mapped[str | None] = Column(ForeignKey("clusters.id"), index=True)
    route_score: Mapped[float | None] = Column(Float)
    route_reason: Mapped[str | None] = Column(Text)
    advisor_id: Mapped[str | None] = Column(ForeignKey("advisors.id"), index=True)
    status: Mapped[str] = Column(String(16), nullable=False, default="new", index=True)
    handoff_reason: Mapped[str | None] = Column(String(64))
    bot_unsure: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    contact_id: Mapped[int | None] = Column(
        ForeignKey("contacts.id", ondelete="SET NULL", name="fk_enquiries_contact_id"), index=True
    )
    anonymised_at: Mapped[datetime | None] = Column(DateTime(timezone=True))  # personal text removed
    # What the visitor said about themselves, kept as said: unverified, so it never rewrites a member.
    claimed_name: Mapped[str | None] = Column(String(200))
    claimed_email: Mapped[str | None] = Column(String(255), index=True)
    claimed_phone: Mapped[str | None] = Column(String(64))
    claimed_organisation: Mapped[str | None] = Column(String(200))
    contact_status: Mapped[str | None] = Column(String(16))
    contact = relationship("Contact", back_populates="enquiries")
    cluster = relationship("Cluster")
    advisor = relationship("Advisor")
    outbox = relationship("OutboxMessage", back_populates="enquiry", order_by="OutboxMessage.id")
    followups = relationship("EnquiryFollowup", order_by="EnquiryFollowup.id", cascade="all, delete-orphan")


class EnquiryFollowup(Base):
    """A message the visitor added after the enquiry was logged; kept beside it, never over it."""

    __tablename__ = "enquiry_followups"
    id: Mapped[int] = Column(Integer, primary_key=True)
    enquiry_id: Mapped[int] = Column(ForeignKey("enquiries.id", ondelete="CASCADE"), nullable=False, index=True)
    text: Mapped[str] = Column(Text, nullable=False)
    at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


def new_message_id() -> str:
    """A Message-ID for an outbox mail, in the domain of the address it is sent from (MAIL_FROM), fixed when the
    mail is queued so that any resend carries the same one."""
    from email.utils import parseaddr

    from firststop.settings import get_settings

    domain = parseaddr(get_settings().mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


class OutboxMessage(Base):
    """An e-mail to staff, written with its enquiry and delivered by the hand-off sender."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("enquiry_id", "kind", name="uq_outbox_enquiry_kind"),
        CheckConstraint(one_of("status", OUTBOX_STATUSES, nullable=False), name="ck_outbox_status"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    # NULL for a staff mail about no enquiry (a content review reminder: members.content_store).
    enquiry_id: Mapped[int | None] = Column(ForeignKey("enquiries.id"), index=True)
    kind: Mapped[str] = Column(String(32), nullable=False, default="handoff")
    message_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    to_addr: Mapped[str] = Column(String(255), nullable=False)
    reply_to: Mapped[str | None] = Column(String(255))
    subject: Mapped[str] = Column(String(500), nullable=False)
    body_text: Mapped[str] = Column(Text, nullable=False)
    body_html: Mapped[str] = Column(Text, nullable=False)
    status: Mapped[str] = Column(String(16), nullable=False, default="pending", index=True)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_by: Mapped[str | None] = Column(String(128))
    claimed_at: Mapped[datetime | None] = Column(DateTime(timezone=True))
    last_error: Mapped[str | None] = Column(Text)
    sent_at: Mapped[datetime | None] = Column(DateTime(timezone=True))
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # A keyed hash of the visitor's client address, for the cap on staff e-mails per address and hour.
    client_key: Mapped[str | None] = Column(String(64), index=True)
    enquiry = relationship("Enquiry", back_populates="outbox")


class StaffUser(Base):
    """A console account; passwords are stored hashed."""

    __tablename__ = "staff_users"
    id: Mapped[int] = Column(Integer, primary_key=True)
    email: Mapped[str] = Column(String(255), nullable=False, unique=True)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    role: Mapped[str] = Column(String(16), nullable=False, default="advisor")
    advisor_id: Mapped[str | None] = Column(ForeignKey("advisors.id"))
    must_change_password: Mapped[bool] = Column(Boolean, nullable=False, default=False, server_default=false())
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class StaffSession(Base):
    """A logged-in console session, held on the server so logout, a password change or disabling ends it."""

    __tablename__ = "staff_sessions"
    id: Mapped[str] = Column(String(64), primary_key=True)  # SHA-256 of the token in the cookie
    staff_user_id: Mapped[int] = Column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    seen_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class LoginThrottle(Base):
    """Failed logins per account and client address, so a stranger can't lock an account out everywhere."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = Column(String(64), primary_key=True)  # SHA-256 of account and client address
    failures: Mapped[int] = Column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = Column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


# --- console: review and follow-up ---


class EnquiryNote(Base):
    """An internal note staff wrote on an enquiry; never shown to the visitor."""

    __tablename__ = "enquiry_notes"
    id: Mapped[int] = Column(Integer, primary_key=True)
    enquiry_id: Mapped[int] = Column(ForeignKey("enquiries.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    body: Mapped[str] = Column(Text, nullable=False)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    author = relationship("StaffUser")


class EnquiryTag(Base):
    """A label staff put on an enquiry ("event lead", "call back"), to find it again."""

    __tablename__ = "enquiry_tags"
    enquiry_id: Mapped[int] = Column(ForeignKey("enquiries.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = Column(String(64), primary_key=True, index=True)


class EnquiryReview(Base):
    """Who reviewed what the assistant did in an enquiry's conversation, and when."""

    __tablename__ = "enquiry_reviews"
    enquiry_id: Mapped[int] = Column(ForeignKey("enquiries.id", ondelete="CASCADE"), primary_key=True)
    reviewer_id: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    reviewer = relationship("StaffUser")


class EnquiryActivity(Base):
    """What staff did to an enquiry (assigned it, changed its status, retried its e-mail), for the record."""

    __tablename__ = "enquiry_activity"
    id: Mapped[int] = Column(Integer, primary_key=True)
    enquiry_id: Mapped[int] = Column(ForeignKey("enquiries.id", ondelete="CASCADE"), nullable=False, index=True)
    staff_id: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    action: Mapped[str] = Column(String(32), nullable=False)
    detail: Mapped[str] = Column(Text, nullable=False, default="")
    at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    staff = relationship("StaffUser")


# What staff found wrong in one turn (a visitor message and the bot's reply): the intent was misread, the answer was
# the wrong entry, the proposed cluster was wrong, the answer's content is out of date; or nothing ("ok").
FLAG_KINDS = ("intent", "wrong_answer", "wrong_cluster", "stale", "ok")


class FlaggedMessage(Base):
    """Staff's verdict on one turn, keyed by its visitor message: what went wrong and what would have been right.
    A wrong answer or cluster adds the visitor's words as an example to the right one (`revision_id`); an intent
    (given or implied) makes it NLU training data."""

    __tablename__ = "flagged_messages"
    __table_args__ = (CheckConstraint(one_of("kind", FLAG_KINDS, nullable=False), name="ck_flagged_messages_kind"),)
    id: Mapped[int] = Column(Integer, primary_key=True)
    event_id: Mapped[int] = Column(Integer, nullable=False, unique=True)  # events.id; Rasa owns that table
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    text: Mapped[str] = Column(Text, nullable=False)
    predicted_intent: Mapped[str | None] = Column(String(255))
    confidence: Mapped[float | None] = Column(Float)
    correct_intent: Mapped[str | None] = Column(String(255))  # None: the flag makes no NLU training data
    kind: Mapped[str] = Column(String(16), nullable=False, default="intent", server_default="intent")
    bot_event_id: Mapped[int | None] = Column(Integer)  # the bot's (first) reply to the message
    answered_entry: Mapped[str | None] = Column(String(100), index=True)  # the entry the bot answered with
    correct_entry: Mapped[str | None] = Column(String(100), index=True)  # the entry it should have (or: is stale)
    proposed_cluster: Mapped[str | None] = Column(String(32), index=True)  # the cluster the bot proposed
    correct_cluster: Mapped[str | None] = Column(String(32), index=True)
    note: Mapped[str | None] = Column(String(300))
    revision_id: Mapped[int | None] = Column(  # the content change the flag made
        ForeignKey("content_revisions.id", ondelete="SET NULL", name="fk_flagged_messages_revision_id"))
    flagged_by: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    flagged_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    staff = relationship("StaffUser")
    revision = relationship("ContentRevision")


class ConversationIndex(Base):
    """What the console keeps about each conversation in Rasa's `events` table: its text for search,
    when it ran, and its latest visitor message; refreshed from `events` by console.search."""

    __tablename__ = "conversation_index"
    conversation_id: Mapped[str] = Column(String(255), primary_key=True)
    started_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, index=True)
    last_message_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    last_event_id: Mapped[int] = Column(Integer, nullable=False, index=True)
    visitor_messages: Mapped[int] = Column(Integer, nullable=False, default=0)
    search_text: Mapped[str] = Column(Text, nullable=False, default="")
    # PostgreSQL: to_tsvector('simple', search_text), kept by console.search, GIN-indexed; always NULL on SQLite.
    search_vector: Mapped[str | None] = Column(Text().with_variant(TSVECTOR(), "postgresql"))
    last_visitor_event_id: Mapped[int | None] = Column(Integer)
    last_visitor_text: Mapped[str | None] = Column(Text)
    last_visitor_unanswered: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    # The bot's replies by what they were (their text_key metadata), for the dashboard's honest split.
    answers: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    unsure_replies: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    out_of_scope_replies: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    handed_off: Mapped[bool] = Column(Boolean, nullable=False, default=False, server_default=false())


class UnansweredQuestion(Base):
    """A visitor message the bot could not answer (NLU fallback, or the bot said it was not sure)."""

    __tablename__ = "unanswered_questions"
    event_id: Mapped[int] = Column(Integer, primary_key=True)  # events.id of the visitor's message
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    text: Mapped[str] = Column(Text, nullable=False)
    normalised: Mapped[str] = Column(String(300), nullable=False, index=True)
    asked_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, index=True)


class LowConfidenceMessage(Base):
    """A visitor message the NLU understood with little confidence, for the review queue."""

    __tablename__ = "low_confidence_messages"
    event_id: Mapped[int] = Column(Integer, primary_key=True)  # events.id of the visitor's message
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    text: Mapped[str] = Column(Text, nullable=False)
    intent: Mapped[str | None] = Column(String(255))
    confidence: Mapped[float | None] = Column(Float)
    asked_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, index=True)


class DisabledAccount(Base):
    """A console account an admin disabled: it can no longer log in, and its open sessions end."""

    __tablename__ = "disabled_accounts"
    staff_user_id: Mapped[int] = Column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    disabled_by: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    disabled_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


Index("ix_conversation_index_search", ConversationIndex.search_vector, postgresql_using="gin")
# The inbox pages through enquiries newest first with a keyset on (created_at, id), alone or within one
# status, cluster or advisor, and through the enquiries the bot was unsure about.
Index("ix_enquiries_created_id", Enquiry.created_at, Enquiry.id)
Index("ix_enquiries_updated_id", Enquiry.updated_at, Enquiry.id)
Index("ix_enquiries_status_created", Enquiry.status, Enquiry.created_at, Enquiry.id)
Index("ix_enquiries_cluster_created", Enquiry.cluster_id, Enquiry.created_at, Enquiry.id)
Index("ix_enquiries_advisor_created", Enquiry.advisor_id, Enquiry.created_at, Enquiry.id)
Index("ix_enquiries_unsure_created", Enquiry.created_at, Enquiry.id,
      postgresql_where=Enquiry.bot_unsure.is_(True), sqlite_where=Enquiry.bot_unsure.is_(True))


CONTENT_KINDS = ("entry", "cluster", "advisor", "settings")


class ContentItem(Base):
    """One piece of the assistant's content staff edit in the console: a knowledge entry (with its translations),
    a cluster's vocabulary, an advisor, or the advisors' settings; its text lives in revisions."""

    __tablename__ = "content_items"
    __table_args__ = (
        UniqueConstraint("kind", "key", name="uq_content_items_kind_key"),
        CheckConstraint(one_of("kind", CONTENT_KINDS, nullable=False), name="ck_content_items_kind"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    kind: Mapped[str] = Column(String(16), nullable=False)
    key: Mapped[str] = Column(String(100), nullable=False)  # the entry, cluster or advisor id
    file: Mapped[str | None] = Column(String(100))  # the content file an entry is exported to (funding.yml)
    position: Mapped[int] = Column(Integer, nullable=False, default=0)  # its place in that file
    owner_id: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"), index=True)
    review_by: Mapped[date | None] = Column(Date, index=True)
    reminded_for: Mapped[date | None] = Column(Date)  # the review-by date the owner was last reminded of
    published_revision_id: Mapped[int | None] = Column(ForeignKey("content_revisions.id", use_alter=True,
                                                                  name="fk_content_items_published_revision"))
    owner = relationship("StaffUser", foreign_keys=[owner_id])
    published = relationship("ContentRevision", foreign_keys=[published_revision_id], post_update=True)


class ContentRevision(Base):
    """One version of a content item (the item as a JSON mapping); a draft until it is published."""

    __tablename__ = "content_revisions"
    id: Mapped[int] = Column(Integer, primary_key=True)
    item_id: Mapped[int] = Column(ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False, index=True)
    data: Mapped[str] = Column(Text, nullable=False)
    note: Mapped[str] = Column(String(300), nullable=False, default="")
    created_by: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    published_by: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = Column(DateTime(timezone=True), index=True)
    rolled_back_from: Mapped[int | None] = Column(Integer)  # the older revision this one republished
    author = relationship("StaffUser", foreign_keys=[created_by])
    publisher = relationship("StaffUser", foreign_keys=[published_by])


# --- what visitors and staff say to each other outside the bot (issue 17) ---

FEEDBACK_VOTES = ("up", "down")


class VisitorFeedback(Base):
    """A visitor's thumbs up or down (and optional comment) on one bot message of their conversation."""

    __tablename__ = "visitor_feedback"
    __table_args__ = (
        UniqueConstraint("conversation_id", "event_id", name="uq_visitor_feedback_message"),
        CheckConstraint(one_of("vote", FEEDBACK_VOTES, nullable=False), name="ck_visitor_feedback_vote"),
    )
    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    event_id: Mapped[int] = Column(Integer, nullable=False)  # events.id of the bot message; Rasa owns that table
    text_key: Mapped[str | None] = Column(String(100))  # the catalogue key in the message's metadata
    entry: Mapped[str | None] = Column(String(100), index=True)  # the knowledge entry the message answered with
    vote: Mapped[str] = Column(String(4), nullable=False)
    comment: Mapped[str | None] = Column(Text)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    updated_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class StaffReply(Base):
    """What an advisor wrote to the visitor from the console: mailed through the outbox when the enquiry has an
    address, and shown in the widget when the visitor comes back."""

    __tablename__ = "staff_replies"
    id: Mapped[int] = Column(Integer, primary_key=True)
    enquiry_id: Mapped[int] = Column(ForeignKey("enquiries.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)  # erased with the conversation
    author_id: Mapped[int | None] = Column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    signed: Mapped[str] = Column(String(200), nullable=False)  # the name the visitor sees (the advisor's)
    body: Mapped[str] = Column(Text, nullable=False)
    outbox_id: Mapped[int | None] = Column(ForeignKey("outbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    author = relationship("StaffUser")
    mail = relationship("OutboxMessage")
