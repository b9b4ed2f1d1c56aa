"""Staff answering visitors and hearing from them: reply to a visitor from the enquiry page (mailed through the
outbox, shown in the widget), and the visitors' thumbs down on the bot's answers, counted per knowledge entry.
Also the template filters that show a transcript as the visitor saw it (bot formatting, the agency's time zone)."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from console import review
from handoff.reply import MAX_REPLY, ReplyError, recipient, send_reply
from members.models import Enquiry, StaffReply, as_utc
from members.transcripts import Message

log = logging.getLogger(__name__)
bp = Blueprint("replies", __name__, url_prefix="/console")


@bp.app_template_filter("bot_html")
def bot_html(text: str):
    """`{{ m.text|bot_html }}`: a bot message with the widget's formatting, safely."""
    return review.bot_html(text)


@bp.app_template_filter("local_time")
def local_time(moment):
    """`{{ moment|local_time }}`: the time in the agency's zone, labelled."""
    return review.local_time(moment, current_app.config["TIMEZONE"])


def replies_of(enquiry: Enquiry | None) -> list[StaffReply]:
    """The replies staff wrote on an enquiry, oldest first (for the conversation page)."""
    if enquiry is None:
        return []
    return list(g.db.scalars(select(StaffReply).where(StaffReply.enquiry_id == enquiry.id).order_by(StaffReply.id)))


def with_replies(messages: list[Message], replies: list[StaffReply]) -> list[Message]:
    """The transcript with staff replies in it where they were written, as the visitor sees them in the widget."""
    written = [Message("staff", r.body, as_utc(r.created_at), author=r.signed) for r in replies]
    return sorted([*messages, *written], key=lambda m: m.at)


@bp.app_context_processor
def reply_context() -> dict:
    """The conversation page's transcript, feedback and reply form need these."""
    return {"replies_of": replies_of, "reply_recipient": recipient, "max_reply": MAX_REPLY,
            "with_replies": with_replies, "feedback_of": lambda conversation_id: review.feedback_by_event(
                g.db, conversation_id)}


@bp.route("/enquiries/<int:enquiry_id>/reply", methods=["POST"])
def reply(enquiry_id: int):
    """Write to the visitor: recorded on the enquiry, e-mailed once when they left an address, shown in the chat."""
    enquiry = g.db.get(Enquiry, enquiry_id)
    if enquiry is None:
        abort(404)
    try:
        sent = send_reply(g.db, enquiry, g.user, request.form.get("body", ""), current_app.config["GENERAL_INBOX"])
    except ReplyError as error:
        g.db.rollback()
        flash(f"Not sent: {error}.")
    else:
        g.db.commit()
        log.info("enquiry %s: staff reply %s by account %s (%s)", enquiry.id, sent.id, g.user.id,
                 "mailed" if sent.outbox_id else "chat only")
        flash("Reply sent: the visitor will see it in the chat" +
              (" and gets it by e-mail." if sent.outbox_id else "; they left no e-mail address."))
    return redirect(url_for("views.conversation", conversation_id=enquiry.conversation_id) + "#reply")


@bp.route("/feedback")
def feedback():
    """Visitors' thumbs down on the bot's answers, newest first, and the votes per knowledge entry."""
    return render_template("feedback.html", down=review.thumbs_down(g.db), per_entry=review.feedback_per_entry(g.db))
