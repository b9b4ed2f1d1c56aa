"""An advisor's reply to a visitor, written in the console: recorded on the enquiry (staff_replies, which the widget
shows when the visitor comes back) and, when the enquiry has a contact address, mailed through the outbox once
(kind "reply-<id>": the outbox's unique (enquiry_id, kind) is the backstop), Reply-To the advisor or the general
inbox. Wording around the advisor's text comes from the bot's catalogue (bot_texts/), in the visitor's language."""
from __future__ import annotations

from datetime import datetime, timezone
from html import escape

from sqlalchemy import update
from sqlalchemy.orm import Session

import bot_texts
from handoff.compose import single_line
from members.models import Advisor, Enquiry, EnquiryActivity, OutboxMessage, StaffReply, StaffUser, new_message_id

MAX_REPLY = 5000


class ReplyError(ValueError):
    """The reply can't be sent as written (empty, too long, an anonymised enquiry)."""


def recipient(enquiry: Enquiry) -> str | None:
    """The visitor's address: their contact's, else the one they gave in the chat (with consent); None if none."""
    if enquiry.anonymised_at is not None:
        return None
    return (enquiry.contact.email if enquiry.contact else None) or enquiry.claimed_email or None


def signature(session: Session, staff: StaffUser) -> str:
    """The name the visitor sees under the reply: the advisor linked to the account, else the account's address."""
    advisor = session.get(Advisor, staff.advisor_id) if staff.advisor_id else None
    return advisor.name if advisor else staff.email


def reply_to(enquiry: Enquiry, general_inbox: str) -> str:
    """Where the visitor's answer goes: the enquiry's advisor, or the general inbox when it has none."""
    return enquiry.advisor.email if enquiry.advisor else general_inbox


def body_text(reply: StaffReply, language: str) -> str:
    """The plain-text part: the advisor's words as written, their name, and how to answer."""
    return f"{reply.body}\n\n{reply.signed}\n\n{bot_texts.text('reply.footer', language)}\n"


def body_html(reply: StaffReply, language: str) -> str:
    """The HTML part; the advisor's text is escaped, its line breaks kept."""
    paragraphs = "".join(f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in reply.body.split("\n\n"))
    return (f"<html><body>{paragraphs}<p>{escape(reply.signed)}</p>"
            f"<p><small>{escape(bot_texts.text('reply.footer', language))}</small></p></body></html>")


def reply_mail(reply: StaffReply, enquiry: Enquiry, to_addr: str, answer_to: str) -> OutboxMessage:
    """The outbox row for one reply, with its Message-ID fixed now so any resend carries the same one."""
    language = enquiry.language or "en"
    return OutboxMessage(
        enquiry_id=enquiry.id, kind=f"reply-{reply.id}", message_id=new_message_id(),
        to_addr=single_line(to_addr), reply_to=single_line(answer_to),
        subject=single_line(bot_texts.text("reply.subject", language, advisor=reply.signed)),
        body_text=body_text(reply, language), body_html=body_html(reply, language),
    )


def send_reply(session: Session, enquiry: Enquiry, staff: StaffUser, body: str, general_inbox: str) -> StaffReply:
    """Record the reply on the enquiry and, when the visitor left an address, queue its e-mail, in the caller's
    transaction (commit once: both or neither); the enquiry counts as acknowledged."""
    body = "\n".join(line.rstrip() for line in (body or "").strip().splitlines())
    if not body:
        raise ReplyError("the reply is empty")
    if len(body) > MAX_REPLY:
        raise ReplyError(f"a reply can be at most {MAX_REPLY} characters")
    if enquiry.anonymised_at is not None:
        raise ReplyError("the enquiry was anonymised: there is nobody to reply to")
    reply = StaffReply(enquiry_id=enquiry.id, conversation_id=enquiry.conversation_id, author_id=staff.id,
                       signed=single_line(signature(session, staff))[:200], body=body)
    session.add(reply)
    session.flush()
    to_addr = recipient(enquiry)
    if to_addr:
        mail = reply_mail(reply, enquiry, to_addr, reply_to(enquiry, general_inbox))
        session.add(mail)
        session.flush()
        reply.outbox_id = mail.id
    detail = "e-mailed and shown in the chat" if to_addr else "shown in the chat only (no e-mail address)"
    session.add(EnquiryActivity(enquiry_id=enquiry.id, staff_id=staff.id, action="replied", detail=detail))
    # A reply keeps the promise: no reminder or escalation about this enquiry any more (one UPDATE, as the
    # console's Acknowledge button does, so an earlier acknowledgement stays as it was).
    session.execute(
        update(Enquiry).where(Enquiry.id == enquiry.id, Enquiry.acknowledged_at.is_(None))
        .values(acknowledged_at=datetime.now(timezone.utc), acknowledged_by=staff.id)
        .execution_options(synchronize_session=False)
    )
    return reply
