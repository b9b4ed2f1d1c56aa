"""What staff do to an enquiry (assign, status, notes, tags, review) and to the bot (flag a misread message,
export the flags as Rasa NLU training data), and what visitors say of the bot's answers (thumbs up or down).
Every change to an enquiry is kept in its activity log."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml
from markupsafe import Markup, escape
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from firststop.settings import ROOT
from members.models import (
    ENQUIRY_STATUSES,
    Advisor,
    Enquiry,
    EnquiryActivity,
    EnquiryNote,
    EnquiryReview,
    EnquiryTag,
    FlaggedMessage,
    StaffUser,
    VisitorFeedback,
    as_utc,
)
from members.transcripts import events, find_bot_message

MAX_NOTE = 5000
MAX_TAG = 64
MAX_FEEDBACK_COMMENT = 500


class ReviewError(ValueError):
    """The change can't be made as asked (unknown advisor, status or intent, empty note...)."""


def status_label(status: str) -> str:
    """'handed_off' → 'handed off'."""
    return status.replace("_", " ")


def record(session: Session, enquiry: Enquiry, staff: StaffUser | None, action: str, detail: str = "") -> None:
    """Add a line to the enquiry's activity log."""
    session.add(EnquiryActivity(enquiry_id=enquiry.id, staff_id=staff.id if staff else None, action=action,
                                detail=detail))


def assign(session: Session, enquiry: Enquiry, advisor_id: str, staff: StaffUser) -> None:
    """Give the enquiry to another advisor ('' leaves it unassigned)."""
    advisor = session.get(Advisor, advisor_id) if advisor_id else None
    if advisor_id and advisor is None:
        raise ReviewError("unknown advisor")
    if enquiry.advisor_id == (advisor.id if advisor else None):
        return
    enquiry.advisor_id = advisor.id if advisor else None
    record(session, enquiry, staff, "assigned", advisor.name if advisor else "nobody")


def change_status(session: Session, enquiry: Enquiry, status: str, staff: StaffUser) -> None:
    """Move the enquiry to another status (new, in progress, handed off, closed)."""
    if status not in ENQUIRY_STATUSES:
        raise ReviewError("unknown status")
    if enquiry.status != status:
        record(session, enquiry, staff, "status", f"{status_label(enquiry.status)} → {status_label(status)}")
        enquiry.status = status


def add_note(session: Session, enquiry: Enquiry, body: str, staff: StaffUser) -> EnquiryNote:
    """Keep an internal note on the enquiry."""
    body = body.strip()
    if not body:
        raise ReviewError("the note is empty")
    if len(body) > MAX_NOTE:
        raise ReviewError(f"a note can be at most {MAX_NOTE} characters")
    note = EnquiryNote(enquiry_id=enquiry.id, author_id=staff.id, body=body)
    session.add(note)
    return note


def clean_tag(text: str) -> str:
    """A tag as stored: lower case, single spaces, at most 64 characters."""
    return " ".join(text.lower().split())[:MAX_TAG]


def add_tag(session: Session, enquiry: Enquiry, text: str, staff: StaffUser) -> None:
    """Label the enquiry (a tag it already has is left alone)."""
    tag = clean_tag(text)
    if not tag:
        raise ReviewError("the tag is empty")
    if session.get(EnquiryTag, (enquiry.id, tag)) is None:
        session.add(EnquiryTag(enquiry_id=enquiry.id, tag=tag))
        record(session, enquiry, staff, "tagged", tag)


def remove_tag(session: Session, enquiry: Enquiry, tag: str, staff: StaffUser) -> None:
    """Take a label off the enquiry."""
    result = session.execute(delete(EnquiryTag).where(EnquiryTag.enquiry_id == enquiry.id, EnquiryTag.tag == tag))
    if result.rowcount:
        record(session, enquiry, staff, "untagged", tag)


def set_reviewed(session: Session, enquiry: Enquiry, reviewed: bool, staff: StaffUser) -> None:
    """Mark the enquiry's conversation as reviewed by this member of staff, or not reviewed any more."""
    existing = session.get(EnquiryReview, enquiry.id)
    if reviewed and existing is None:
        session.add(EnquiryReview(enquiry_id=enquiry.id, reviewer_id=staff.id))
        record(session, enquiry, staff, "reviewed")
    elif not reviewed and existing is not None:
        session.delete(existing)
        record(session, enquiry, staff, "review withdrawn")


def tags(session: Session, enquiry: Enquiry) -> list[str]:
    """The enquiry's tags, alphabetically."""
    return list(session.scalars(select(EnquiryTag.tag).where(EnquiryTag.enquiry_id == enquiry.id).order_by(EnquiryTag.tag)))


def notes(session: Session, enquiry: Enquiry) -> list[EnquiryNote]:
    """The enquiry's notes, oldest first."""
    return list(session.scalars(select(EnquiryNote).where(EnquiryNote.enquiry_id == enquiry.id).order_by(EnquiryNote.id)))


def activity(session: Session, enquiry: Enquiry) -> list[EnquiryActivity]:
    """The enquiry's activity log, oldest first."""
    return list(session.scalars(
        select(EnquiryActivity).where(EnquiryActivity.enquiry_id == enquiry.id).order_by(EnquiryActivity.id)
    ))


def all_tags(session: Session) -> list[str]:
    """Every tag in use, for the inbox's filter."""
    return list(session.scalars(select(EnquiryTag.tag).distinct().order_by(EnquiryTag.tag)))


# --- improving the bot ---


def domain_intents(domain_file=ROOT / "domain.yml") -> list[str]:
    """The intents the bot knows (domain.yml), the only ones a flag may name."""
    with open(domain_file, encoding="utf-8") as handle:
        domain = yaml.safe_load(handle) or {}
    names = []
    for intent in domain.get("intents") or []:
        names.append(next(iter(intent)) if isinstance(intent, dict) else str(intent))
    return names


def flag_message(session: Session, event_id: int, correct_intent: str, staff: StaffUser,
                 intents: Iterable[str]) -> FlaggedMessage:
    """Record that the visitor message in `events` row `event_id` should have had `correct_intent`."""
    if correct_intent not in set(intents):
        raise ReviewError("choose one of the bot's intents")
    row = session.execute(
        select(events.c.sender_id, events.c.type_name, events.c.data).where(events.c.id == event_id)
    ).first()
    if row is None or row.type_name != "user":
        raise ReviewError("that is not a visitor message")
    event = json.loads(row.data or "{}")
    text = " ".join((event.get("text") or "").split())
    if not text or text.startswith("/"):
        raise ReviewError("a button click can't be training data; flag a message the visitor typed")
    intent = (event.get("parse_data") or {}).get("intent") or {}
    flag = session.scalars(select(FlaggedMessage).where(FlaggedMessage.event_id == event_id)).first()
    if flag is None:
        flag = FlaggedMessage(event_id=event_id, conversation_id=row.sender_id, text=text)
        session.add(flag)
    flag.predicted_intent, flag.confidence = intent.get("name"), intent.get("confidence")
    flag.correct_intent, flag.flagged_by = correct_intent, staff.id
    session.flush()
    return flag


def flags_by_event(session: Session, conversation_id: str) -> dict[int, FlaggedMessage]:
    """The flags on one conversation's messages, by event id."""
    flags = session.scalars(select(FlaggedMessage).where(FlaggedMessage.conversation_id == conversation_id))
    return {flag.event_id: flag for flag in flags}


def nlu_yaml(examples: Iterable[tuple[str, str]], today: date | None = None) -> str:
    """Rasa NLU training data (YAML, version 3.1) from (intent, text) pairs, ready to add under bot/nlu/."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for intent, text in examples:
        line = " ".join(text.split())
        if line and line not in by_intent[intent]:
            by_intent[intent].append(line)
    lines = [
        f"# Visitor messages flagged in the FirstStop console ({(today or date.today()).isoformat()}).",
        "# Check them, add this file under bot/nlu/ and retrain.",
        'version: "3.1"',
        "",
        "nlu:",
    ]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in by_intent[intent]]
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"


# --- visitors' feedback on the bot's answers ---


class FeedbackError(ValueError):
    """The feedback can't be taken: no such bot message in that conversation, an unknown vote, a long comment."""


def record_feedback(session: Session, conversation_id: str, index: int, digest: str, vote: str | None,
                    comment: str = "") -> VisitorFeedback | None:
    """Keep the visitor's vote ('up', 'down'; None withdraws it) and comment on one bot message of their
    conversation, found by its place and text hash as the widget names it; a second vote replaces the first."""
    if vote not in ("up", "down", None):
        raise FeedbackError("vote must be 'up', 'down' or null")
    comment = " ".join((comment or "").split())
    if len(comment) > MAX_FEEDBACK_COMMENT:
        raise FeedbackError(f"a comment can be at most {MAX_FEEDBACK_COMMENT} characters")
    message = find_bot_message(session, conversation_id, index, digest)
    if message is None:
        raise FeedbackError("no such bot message in this conversation")
    feedback = session.scalars(select(VisitorFeedback).where(
        VisitorFeedback.conversation_id == conversation_id, VisitorFeedback.event_id == message.event_id)).first()
    if vote is None:
        if feedback is not None:
            session.delete(feedback)
        return None
    if feedback is None:
        feedback = VisitorFeedback(conversation_id=conversation_id, event_id=message.event_id)
        session.add(feedback)
    feedback.vote, feedback.comment = vote, comment or None
    feedback.text_key, feedback.entry = message.text_key, message.entry
    session.flush()
    return feedback


def feedback_per_entry(session: Session) -> list[tuple[str | None, int, int]]:
    """(entry, thumbs up, thumbs down) per knowledge entry (None: messages that gave no entry's answer),
    the most thumbs down first."""
    down = func.sum(case((VisitorFeedback.vote == "down", 1), else_=0))
    rows = session.execute(
        select(VisitorFeedback.entry, func.count() - down, down).group_by(VisitorFeedback.entry)
        .order_by(down.desc(), VisitorFeedback.entry)
    ).all()
    return [(entry, int(up), int(down)) for entry, up, down in rows]


def thumbs_down(session: Session, limit: int = 100) -> list[tuple[VisitorFeedback, str]]:
    """The latest thumbs down, each with the bot's message as the visitor saw it."""
    rows = session.execute(
        select(VisitorFeedback, events.c.data).join(events, events.c.id == VisitorFeedback.event_id, isouter=True)
        .where(VisitorFeedback.vote == "down").order_by(VisitorFeedback.updated_at.desc(), VisitorFeedback.id.desc())
        .limit(limit)
    ).all()
    return [(feedback, json.loads(data or "{}").get("text") or "") for feedback, data in rows]


def feedback_by_event(session: Session, conversation_id: str) -> dict[int, VisitorFeedback]:
    """The visitor's votes on one conversation's bot messages, by event id."""
    rows = session.scalars(select(VisitorFeedback).where(VisitorFeedback.conversation_id == conversation_id))
    return {feedback.event_id: feedback for feedback in rows}


# --- transcripts as the visitor saw them ---

# The widget's rules (web_widget/src/format.js): [label](url) | **bold** | *italic* | a bare URL.
INLINE = re.compile(r"\[([^\]\n]+)\]\(\s*([^()\s]+(?:\([^()\s]*\)[^()\s]*)*)\s*\)|\*\*(?=\S)(.*?\S)\*\*"
                    r"|\*(?=[^\s*])([^*]*?[^\s*])\*|\bhttps?://[^\s<>\"'`]+")
NOT_IN_A_URL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def https_href(url: str) -> str | None:
    """The URL if it is an absolute https one without spaces or control characters, else None."""
    if NOT_IN_A_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() == "https" and parts.hostname else None


def _link(href: str, inner: str) -> str:
    return f'<a href="{escape(href)}" rel="noopener noreferrer" target="_blank">{inner}</a>'


def _bare_url(text: str) -> str:
    """A bare URL without the punctuation that ends the sentence around it (and an unmatched closing bracket)."""
    text = text.rstrip(".,;:!?")
    while text.endswith(")") and text.count("(") < text.count(")"):
        text = text[:-1].rstrip(".,;:!?")
    return text


def _inline(text: str, depth: int, links: bool = True) -> str:
    """One line of bot text as HTML: everything escaped first, then bold, italic and https links."""
    out, pos, scan = [], 0, 0
    while (match := INLINE.search(text, scan)) is not None:
        whole, label, url, bold, italic = match.group(0), *match.groups()
        scan = match.end()
        if label:
            inner = _inline(label, depth + 1, links=False)
            href = https_href(url) if links else None
            html = _link(href, inner) if href else inner
        elif bold or italic:
            if depth > 2:
                continue
            tag = "strong" if bold else "em"
            html = f"<{tag}>{_inline(bold or italic, depth + 1, links)}</{tag}>"
        else:
            whole = _bare_url(whole)
            href = https_href(whole) if links else None
            if not href:
                continue
            html, scan = _link(href, str(escape(whole))), match.start() + len(whole)
        out += [str(escape(text[pos:match.start()])), html]
        pos = match.start() + len(whole)
    out.append(str(escape(text[pos:])))
    return "".join(out)


def bot_html(text: str) -> Markup:
    """A bot message as the widget shows it, as safe HTML: line breaks, bold, italic, https links only
    (rel=noopener); every other character is text."""
    return Markup("<br>".join(_inline(line, 0) for line in re.split(r"\r\n?|\n", text or "")))


def local_time(moment: datetime | None, zone: str) -> Markup:
    """A stored time in the agency's time zone, labelled with the zone ('2026-03-02 14:05 CET'), as <time>."""
    if moment is None:
        return Markup("—")
    local = as_utc(moment).astimezone(ZoneInfo(zone))
    return Markup(f'<time datetime="{escape(as_utc(moment).isoformat())}" title="{escape(zone)}">'
                  f'{local:%Y-%m-%d %H:%M} {escape(local.tzname() or zone)}</time>')
