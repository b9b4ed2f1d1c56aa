"""SQLAlchemy models of the member database."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship

Base = declarative_base()


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(timezone.utc)


ENQUIRY_STATUSES = ("new", "in_progress", "handed_off", "closed")
PROFILES = (
    "sme",
    "large_company",
    "private_research_centre",
    "public_research_lab",
    "researcher",
    "entrepreneur",
    "individual",
)

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
    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(200), nullable=False)
    name_key: Mapped[str] = Column(String(200), nullable=False, unique=True)
    email_domain: Mapped[Optional[str]] = Column(String(255), index=True)
    type: Mapped[Optional[str]] = Column(String(64))
    size: Mapped[Optional[str]] = Column(String(32))
    sector: Mapped[Optional[str]] = Column(String(200))
    country: Mapped[Optional[str]] = Column(String(2))
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    clusters = relationship("Cluster", secondary=organisation_clusters)
    contacts = relationship("Contact", back_populates="organisation")


class Contact(Base):
    """A person who contacted the agency and agreed to their details being stored."""

    __tablename__ = "contacts"
    id: Mapped[int] = Column(Integer, primary_key=True)
    email: Mapped[str] = Column(String(255), nullable=False, unique=True)
    name: Mapped[str] = Column(String(200), nullable=False)
    phone: Mapped[Optional[str]] = Column(String(64))
    profile: Mapped[Optional[str]] = Column(String(64))
    language: Mapped[Optional[str]] = Column(String(8))
    organisation_id: Mapped[Optional[int]] = Column(ForeignKey("organisations.id"))
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
    id: Mapped[int] = Column(Integer, primary_key=True)
    contact_id: Mapped[int] = Column(
        ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    purpose: Mapped[str] = Column(String(64), nullable=False)
    granted: Mapped[bool] = Column(Boolean, nullable=False)
    notice_version: Mapped[str] = Column(String(32), nullable=False)
    conversation_id: Mapped[Optional[str]] = Column(String(255))
    recorded_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    contact = relationship("Contact", back_populates="consents")


class Enquiry(Base):
    """One conversation's enquiry: what the visitor wanted, where it was routed, its status."""

    __tablename__ = "enquiries"
    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    channel: Mapped[str] = Column(String(32), nullable=False, default="rest")
    created_at: Mapped[datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
    summary: Mapped[str] = Column(Text, nullable=False, default="")
    question: Mapped[Optional[str]] = Column(Text)
    language: Mapped[str] = Column(String(8), nullable=False, default="en")
    profile: Mapped[Optional[str]] = Column(String(64))
    cluster_id: Mapped[Optional[str]] = Column(ForeignKey("clusters.id"), index=True)
    route_score: Mapped[Optional[float]] = Column(Float)
    route_reason: Mapped[Optional[str]] = Column(Text)
    advisor_id: Mapped[Optional[str]] = Column(ForeignKey("advisors.id"), index=True)
    status: Mapped[str] = Column(String(16), nullable=False, default="new", index=True)
    handoff_reason: Mapped[Optional[str]] = Column(String(64))
    bot_unsure: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    contact_id: Mapped[Optional[int]] = Column(ForeignKey("contacts.id"), index=True)
    contact = relationship("Contact", back_populates="enquiries")
    cluster = relationship("Cluster")
    advisor = relationship("Advisor")
    outbox = relationship("OutboxMessage", back_populates="enquiry", order_by="OutboxMessage.id")


class OutboxMessage(Base):
    """An e-mail to staff, written with its enquiry and delivered by the hand-off sender."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("enquiry_id", "kind", name="uq_outbox_enquiry_kind"),)
    id: Mapped[int] = Column(Integer, primary_key=True)
    enquiry_id: Mapped[int] = Column(ForeignKey("enquiries.id"), nullable=False, index=True)
    kind: Mapped[str] = Column(String(32), nullable=False, default="handoff")
    message_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    to_addr: Mapped[str] = Column(String(255), nullable=False)
    reply_to: Mapped[Optional[str]] = Column(String(255))
    subject: Mapped[str] = Column(String(500), nullable=False)
    body_text: Mapped[str] = Column(Text, nullable=False)
    body_html: Mapped[str] = Column(Text, nullable=False)
    status: Mapped[str] = Column(String(16), nullable=False, default="pending", index=True)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    claimed_by: Mapped[Optional[str]] = Column(String(128))
    claimed_at: Mapped[Optional[datetime]] = Column(DateTime(timezone=True))
    last_error: Mapped[Optional[str]] = Column(Text)
    sent_at: Mapped[Optional[datetime]] = Column(DateTime(timezone=True))
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    enquiry = relationship("Enquiry", back_populates="outbox")


class StaffUser(Base):
    """A console account; passwords are stored hashed."""

    __tablename__ = "staff_users"
    id: Mapped[int] = Column(Integer, primary_key=True)
    email: Mapped[str] = Column(String(255), nullable=False, unique=True)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    role: Mapped[str] = Column(String(16), nullable=False, default="advisor")
    advisor_id: Mapped[Optional[str]] = Column(ForeignKey("advisors.id"))
    failed_logins: Mapped[int] = Column(Integer, nullable=False, default=0)
    locked_until: Mapped[Optional[datetime]] = Column(DateTime(timezone=True))
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
