"""What staff do to an enquiry (assign, status, notes, tags, review) and to the bot (review a turn: a misread intent,
a wrong answer, a wrong cluster or stale content, which adds examples to the content and NLU training data without
personal details), and what visitors say of the bot's answers (thumbs up or down). Every change to an enquiry is
kept in its activity log."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml
from markupsafe import Markup, escape
from sqlalchemy import case, delete, exists, func, select
from sqlalchemy.orm import Session

from firststop.settings import ROOT
from knowledge.content import ContentError
from knowledge.store import search_language
from members import content_store
from members.models import (
    ENQUIRY_STATUSES,
    Advisor,
    Cluster,
    ContentItem,
    ContentRevision,
    Enquiry,
    EnquiryActivity,
    EnquiryNote,
    EnquiryReview,
    EnquiryTag,
    FlaggedMessage,
    LowConfidenceMessage,
    StaffUser,
    UnansweredQuestion,
    VisitorFeedback,
    as_utc,
)
from members.transcripts import ANSWER_KEYS, Message, events, find_bot_message, message_from_event

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


FLAG_LABELS = {
    "wrong_answer": "wrong answer",
    "wrong_cluster": "wrong cluster",
    "stale": "stale content",
    "intent": "misunderstood intent",
    "ok": "nothing wrong",
}
# The intent a visitor message has when the right reply is an entry's answer, or a cluster's routing.
IMPLIED_INTENTS = {"wrong_answer": "ask_question", "wrong_cluster": "describe_project"}
PROPOSAL_KEYS = ("ask.cluster.proposed", "ask.cluster.proposed_close")
PERSONAL_SLOTS = ("name", "organisation", "email", "phone")  # what the contact form asks the visitor
MAX_FLAG_NOTE = 300


@dataclass(frozen=True)
class Reply:
    """One bot message answering a turn, and the knowledge entry it gave (for an answer)."""

    message: Message
    entry: str | None


@dataclass(frozen=True)
class Turn:
    """A visitor message and the bot's replies to it, with what the conversation's slots said at the end of it."""

    conversation_id: str
    visitor: Message
    replies: tuple[Reply, ...]
    language: str  # the conversation's language then (en, fr, de, lb)
    proposed_cluster: str | None  # the cluster the bot proposed in its reply, if it proposed one
    personal: tuple[str, ...]  # what the visitor gave in the contact form during the conversation

    @property
    def typed(self) -> bool:
        """Words the visitor typed (a button click sends a payload, which is no example of anything)."""
        text = self.visitor.text.strip()
        return bool(text) and not text.startswith("/")

    @property
    def answered_entry(self) -> str | None:
        """The entry the bot answered with, if it gave one."""
        return next((reply.entry for reply in self.replies if reply.entry), None)


def read_turn(session: Session, event_id: int) -> Turn | None:
    """The turn that the visitor message in `events` row `event_id` began; None if that row is no visitor message."""
    row = session.execute(select(events.c.sender_id, events.c.type_name).where(events.c.id == event_id)).first()
    if row is None or row.type_name != "user":
        return None
    rows = session.execute(
        select(events.c.id, events.c.type_name, events.c.timestamp, events.c.data)
        .where(events.c.sender_id == row.sender_id, events.c.type_name.in_(("user", "bot", "slot", "action")))
        .order_by(events.c.id)
    ).all()
    slots: dict[str, object] = {}  # as they were at the end of the turn
    personal: list[str] = []  # over the whole conversation: the contact form usually comes later
    visitor, replies, pending, ended = None, [], [], False
    for event_row in rows:
        data = json.loads(event_row.data or "{}")
        if event_row.type_name == "slot":
            if data.get("name") in PERSONAL_SLOTS and isinstance(data.get("value"), str):
                personal.append(data["value"])
            if not ended:
                slots[data.get("name")] = data.get("value")
            continue
        if ended:
            continue
        if event_row.type_name in ("action", "user"):
            replies, pending = _with_entries(replies, pending, slots.get("last_topic")), []
        if event_row.type_name == "user":
            if visitor is not None:  # the visitor's next message ends the turn
                ended = True
                continue
            if event_row.id == event_id:
                visitor = message_from_event(event_row.id, "user", event_row.timestamp, event_row.data)
            language = (data.get("metadata") or {}).get("language")
            if language and "language" not in slots:
                slots["language"] = language
        elif event_row.type_name == "bot" and visitor is not None:
            message = message_from_event(event_row.id, "bot", event_row.timestamp, event_row.data)
            if message is not None:
                entry = (data.get("metadata") or {}).get("entry")
                replies.append(Reply(message, entry if isinstance(entry, str) else None))
                if entry is None and message.text_key in ANSWER_KEYS:
                    pending.append(len(replies) - 1)
    replies = _with_entries(replies, pending, slots.get("last_topic"))
    if visitor is None:
        return None
    keys = {reply.message.text_key for reply in replies}
    proposed = slots.get("route_cluster") if keys & set(PROPOSAL_KEYS) else None
    language = slots.get("language") if isinstance(slots.get("language"), str) else "en"
    return Turn(row.sender_id, visitor, tuple(replies), language, proposed if isinstance(proposed, str) else None,
                tuple(personal))


def _with_entries(replies: list[Reply], pending: list[int], topic) -> list[Reply]:
    """The replies with the answers at `pending` given the `last_topic` their action left (its slot events come
    before or after its messages, so it is read when the action is over)."""
    return [Reply(reply.message, topic if isinstance(topic, str) else None) if index in pending else reply
            for index, reply in enumerate(replies)]


def turn_of_bot_message(session: Session, bot_event_id: int) -> int | None:
    """The visitor message (its event id) that the bot message `bot_event_id` answered."""
    sender = select(events.c.sender_id).where(events.c.id == bot_event_id).scalar_subquery()
    return session.scalar(select(func.max(events.c.id)).where(
        events.c.sender_id == sender, events.c.type_name == "user", events.c.id < bot_event_id))


# --- personal data out of training data and content examples ---

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?:\+|\b00)\d[\d\s./()-]{5,}\d|\b\d(?:[\s./-]?\d){7,}\b")  # +/00 numbers, or 8+ digits
PLACEHOLDERS = {"email": "name@example.org", "phone": "+352 000 000", "name": "Alex", "organisation": "Example Company"}
LEGAL_FORMS = re.compile(r"[\s,]+(s\.?a\.?r\.?l\.?|s\.?a\.?|gmbh|ltd\.?|sàrl|asbl|ag|inc\.?)$", re.IGNORECASE)


def personal_details(session: Session, turn: Turn) -> dict[str, set[str]]:
    """What the visitor said about themselves in the conversation: the contact form's answers, the enquiry's claims
    and its contact (name, organisation, e-mail, phone), by kind."""
    found: dict[str, set[str]] = {kind: set() for kind in PLACEHOLDERS}
    enquiry = session.scalars(select(Enquiry).where(Enquiry.conversation_id == turn.conversation_id)).first()
    if enquiry is not None:
        contact = enquiry.contact
        for kind, value in (("name", enquiry.claimed_name), ("organisation", enquiry.claimed_organisation),
                            ("email", enquiry.claimed_email), ("phone", enquiry.claimed_phone),
                            ("name", contact and contact.name), ("email", contact and contact.email),
                            ("phone", contact and contact.phone),
                            ("organisation", contact and contact.organisation and contact.organisation.name)):
            if value:
                found[kind].add(value)
    for value in turn.personal:
        kind = "email" if EMAIL.fullmatch(value.strip()) else "phone" if PHONE.fullmatch(value.strip()) else "name"
        found[kind].add(value)
    return found


def _variants(kind: str, value: str) -> list[str]:
    """The ways a detail can appear in a message: whole; a name's parts too; an organisation without its legal form."""
    value = " ".join(value.split())
    variants = [value]
    if kind == "name":
        parts = value.split()
        variants += [part for word in parts for part in [word, *word.split("-")] if len(part) >= 3]
    elif kind == "organisation":
        variants.append(LEGAL_FORMS.sub("", value))
    return [v for v in variants if len(v) >= 2]


def without_personal_data(text: str, details: dict[str, set[str]]) -> str:
    """`text` with e-mail addresses, phone numbers and the details the visitor gave replaced by neutral stand-ins
    ('name@example.org', 'Alex', 'Example Company'), so it can be training data or a content example."""
    text = EMAIL.sub(PLACEHOLDERS["email"], text)
    text = PHONE.sub(PLACEHOLDERS["phone"], text)
    found = sorted({(v, kind) for kind in ("organisation", "name") for value in details.get(kind, ())
                    for v in _variants(kind, value)}, key=lambda item: -len(item[0]))
    for variant, kind in found:
        text = re.sub(rf"(?<!\w){re.escape(variant)}(?!\w)", PLACEHOLDERS[kind], text, flags=re.IGNORECASE)
    return " ".join(text.split())


# --- flags ---


def _flag(session: Session, turn: Turn, kind: str, staff: StaffUser, **verdict) -> FlaggedMessage:
    """Record staff's verdict on the turn, replacing an earlier one (an earlier content change stays: its history
    has it, and a rollback there undoes it)."""
    flag = session.scalars(select(FlaggedMessage).where(FlaggedMessage.event_id == turn.visitor.event_id)).first()
    if flag is None:
        flag = FlaggedMessage(event_id=turn.visitor.event_id, conversation_id=turn.conversation_id)
        session.add(flag)
    flag.text = " ".join(turn.visitor.text.split())
    flag.predicted_intent, flag.confidence = turn.visitor.intent, turn.visitor.confidence
    flag.bot_event_id = turn.replies[0].message.event_id if turn.replies else None
    flag.answered_entry, flag.proposed_cluster = turn.answered_entry, turn.proposed_cluster
    fields = {"correct_intent": None, "correct_entry": None, "correct_cluster": None, "note": None, "revision_id": None}
    fields.update(verdict)
    for name, value in fields.items():
        setattr(flag, name, value)
    flag.kind, flag.flagged_by = kind, staff.id
    session.flush()
    return flag


def _typed_text(turn: Turn) -> str:
    if not turn.typed:
        raise ReviewError("a button click can't be training data; flag a message the visitor typed")
    return " ".join(turn.visitor.text.split())


def flag_message(session: Session, event_id: int, correct_intent: str, staff: StaffUser,
                 intents: Iterable[str]) -> FlaggedMessage:
    """Record that the visitor message in `events` row `event_id` should have had `correct_intent`."""
    if correct_intent not in set(intents):
        raise ReviewError("choose one of the bot's intents")
    turn = read_turn(session, event_id)
    if turn is None:
        raise ReviewError("that is not a visitor message")
    _typed_text(turn)
    return _flag(session, turn, "intent", staff, correct_intent=correct_intent)


def _content_item(session: Session, kind: str, key: str) -> ContentItem:
    item = session.scalars(select(ContentItem).where(ContentItem.kind == kind, ContentItem.key == key)).first()
    if item is None or item.published is None:
        what = "entry" if kind == "entry" else "cluster"
        raise ReviewError(f"no published {what} '{key}' in the content store (import the content first)")
    return item


def _examples(data: dict, kind: str, language: str) -> list:
    """The list of examples in an item's mapping that the index reading `language` learns from (a translation's
    when the entry has one in that language; a cluster's vocabulary for that language)."""
    language = search_language(language)
    if language == "en":
        return data.setdefault("examples", [])
    if kind == "entry":
        translation = (data.get("translations") or {}).get(language)
        return translation.setdefault("examples", []) if translation else data.setdefault("examples", [])
    return data.setdefault("vocabulary", {}).setdefault(language, {}).setdefault("examples", [])


def add_example(session: Session, kind: str, key: str, language: str, text: str, staff: StaffUser,
                note: str) -> ContentRevision | None:
    """Publish the entry or cluster again with `text` as one more example (the running assistant picks it up within
    seconds, no retraining); None when it already is one."""
    item = _content_item(session, kind, key)
    data = content_store.revision_data(item.published)
    examples = _examples(data, kind, language)
    if text.casefold() in {str(example).casefold() for example in examples}:
        return None
    examples.append(text)
    return _republish(session, item, data, staff, note, "the example could not be published")


def mark_stale(session: Session, key: str, staff: StaffUser, note: str, today: date) -> ContentRevision:
    """Mark an entry as awaiting review (published, so the content pages list it) and due for review today, so its
    owner is reminded."""
    item = _content_item(session, "entry", key)
    data = content_store.revision_data(item.published)
    if item.review_by is None or item.review_by > today:
        item.review_by = today
    data["needs_review"] = True
    return _republish(session, item, data, staff, note, "the entry could not be marked")


def _republish(session: Session, item: ContentItem, data: dict, staff: StaffUser, note: str,
               failure: str) -> ContentRevision:
    """Save `data` as the item's new revision and publish it; a publish the checks refuse raises ReviewError."""
    revision = content_store.save_draft(session, item, data, staff, note)
    try:
        content_store.publish(session, revision, staff)
    except ContentError as error:
        raise ReviewError(f"{failure}: {error}") from error
    return revision


def entry_choices(session: Session) -> list[tuple[str, str]]:
    """(entry id, English title) of every published entry, by title: what a wrong answer can be corrected to."""
    rows = session.execute(select(ContentItem.key, ContentRevision.data)
                           .join(ContentRevision, ContentRevision.id == ContentItem.published_revision_id)
                           .where(ContentItem.kind == "entry")).all()
    return sorted(((key, str(json.loads(data).get("title") or key)) for key, data in rows), key=lambda c: c[1].lower())


def _note(text: str) -> str:
    note = " ".join((text or "").split())
    if len(note) > MAX_FLAG_NOTE:
        raise ReviewError(f"a note can be at most {MAX_FLAG_NOTE} characters")
    return note


def review_turn(session: Session, event_id: int, kind: str, staff: StaffUser, *, entry: str = "", cluster: str = "",
                intent: str = "", note: str = "", intents: Iterable[str] = (), today: date | None = None
                ) -> FlaggedMessage:
    """Flag one turn as what went wrong in it and put it right where that can be done without a developer: a wrong
    answer adds the visitor's words (without personal details) to the right entry's examples, a wrong cluster to the
    right cluster's, stale content marks the entry for review; each also feeds the NLU export."""
    turn = read_turn(session, event_id)
    if turn is None:
        raise ReviewError("that is not a visitor message")
    note = _note(note)
    by = f"review of conversation {turn.conversation_id}, message {event_id}"
    if kind == "intent":
        return flag_message(session, event_id, intent, staff, intents)
    if kind == "ok":
        return _flag(session, turn, kind, staff, note=note or None)
    if kind == "stale":
        entry = entry or turn.answered_entry or ""
        if not entry:
            raise ReviewError("choose the entry whose content is out of date")
        revision = mark_stale(session, entry, staff, f"flagged stale in {by}" + (f": {note}" if note else ""),
                              today or date.today())
        return _flag(session, turn, kind, staff, correct_entry=entry, note=note or None, revision_id=revision.id)
    if kind == "wrong_answer":
        if not entry:
            raise ReviewError("choose the entry that should have answered")
        content_kind, key, field = "entry", entry, "correct_entry"
    elif kind == "wrong_cluster":
        if session.get(Cluster, cluster or "") is None:
            raise ReviewError("choose the cluster the project belongs to")
        content_kind, key, field = "cluster", cluster, "correct_cluster"
    else:
        raise ReviewError("choose what went wrong")
    example = without_personal_data(_typed_text(turn), personal_details(session, turn))
    revision = add_example(session, content_kind, key, turn.language, example, staff, f"example from {by}")
    return _flag(session, turn, kind, staff, correct_intent=IMPLIED_INTENTS[kind], note=note or None,
                 revision_id=revision.id if revision else None, **{field: key})


def flags_by_event(session: Session, conversation_id: str) -> dict[int, FlaggedMessage]:
    """The flags on one conversation's messages, by event id."""
    flags = session.scalars(select(FlaggedMessage).where(FlaggedMessage.conversation_id == conversation_id))
    return {flag.event_id: flag for flag in flags}


def training_examples(session: Session) -> list[tuple[str, str]]:
    """(intent, text) of every flag that names or implies an intent, oldest first, each text without the personal
    details its visitor gave."""
    flags = session.scalars(select(FlaggedMessage).where(FlaggedMessage.correct_intent.is_not(None))
                            .order_by(FlaggedMessage.id)).all()
    details: dict[str, dict[str, set[str]]] = {}
    examples = []
    for flag in flags:
        if flag.conversation_id not in details:
            turn = read_turn(session, flag.event_id)
            details[flag.conversation_id] = personal_details(session, turn) if turn else {}
        examples.append((flag.correct_intent, without_personal_data(flag.text, details[flag.conversation_id])))
    return examples


def nlu_yaml(examples: Iterable[tuple[str, str]], today: date | None = None) -> str:
    """Rasa NLU training data (YAML, version 3.1) from (intent, text) pairs, ready to add under bot/nlu/."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for intent, text in examples:
        line = " ".join(text.split())
        if line and line not in by_intent[intent]:
            by_intent[intent].append(line)
    lines = [
        f"# Visitor messages flagged in the FirstStop console ({(today or date.today()).isoformat()}), personal details"
        " (e-mail addresses, phone numbers, the names visitors gave) replaced.",
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


# --- the review queue ---


@dataclass(frozen=True)
class QueueItem:
    """A turn waiting for review: its visitor message, why it is in the queue, and when."""

    event_id: int
    conversation_id: str
    text: str
    reasons: tuple[str, ...]  # "not sure", "low confidence", "thumbs down"
    at: datetime
    detail: str = ""  # the NLU's reading, or the visitor's comment


QUEUE_REASONS = {"unsure": "not sure", "low": "low confidence", "down": "thumbs down"}


def _not_flagged(column):
    return ~exists().where(FlaggedMessage.event_id == column)


def review_queue(session: Session, reason: str | None = None, limit: int = 100) -> list[QueueItem]:
    """The newest turns nobody has reviewed yet that the bot could not answer ("not sure", fallback), understood
    with low confidence, or whose answer the visitor gave a thumbs down; a turn with several reasons is listed once."""
    found: list[QueueItem] = []
    if reason in (None, "unsure"):
        rows = session.scalars(select(UnansweredQuestion).where(_not_flagged(UnansweredQuestion.event_id))
                               .order_by(UnansweredQuestion.asked_at.desc()).limit(limit))
        found += [QueueItem(q.event_id, q.conversation_id, q.text, ("not sure",), as_utc(q.asked_at)) for q in rows]
    if reason in (None, "low"):
        rows = session.scalars(select(LowConfidenceMessage).where(_not_flagged(LowConfidenceMessage.event_id))
                               .order_by(LowConfidenceMessage.asked_at.desc()).limit(limit))
        found += [QueueItem(m.event_id, m.conversation_id, m.text, ("low confidence",), as_utc(m.asked_at),
                            f"{m.intent or '?'} {m.confidence or 0:.2f}") for m in rows]
    if reason in (None, "down"):
        found += _thumbs_down_turns(session, limit)
    merged: dict[int, QueueItem] = {}
    for item in sorted(found, key=lambda i: i.at, reverse=True):
        before = merged.get(item.event_id)
        merged[item.event_id] = item if before is None else QueueItem(
            before.event_id, before.conversation_id, before.text, before.reasons + item.reasons, before.at,
            " · ".join(d for d in (before.detail, item.detail) if d))
    return list(merged.values())[:limit]


def _thumbs_down_turns(session: Session, limit: int) -> list[QueueItem]:
    """The turns whose bot reply got a thumbs down, not yet reviewed."""
    items = []
    for feedback in session.scalars(select(VisitorFeedback).where(VisitorFeedback.vote == "down")
                                    .order_by(VisitorFeedback.updated_at.desc()).limit(limit)):
        event_id = turn_of_bot_message(session, feedback.event_id)
        if event_id is None or session.scalar(select(FlaggedMessage.id).where(FlaggedMessage.event_id == event_id)):
            continue
        data = session.scalar(select(events.c.data).where(events.c.id == event_id))
        text = " ".join((json.loads(data or "{}").get("text") or "").split())
        items.append(QueueItem(event_id, feedback.conversation_id, text, ("thumbs down",), as_utc(feedback.updated_at),
                               f"“{feedback.comment}”" if feedback.comment else ""))
    return items


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
