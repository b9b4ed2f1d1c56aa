"""Full-text search over transcripts: a per-conversation index kept up to date from Rasa's `events` table.

Rasa appends events and never edits them, so the index reads only events newer than what it has
(each conversation remembers its last event id). Rows from different conversations can commit slightly
out of id order, so each refresh re-reads the last RESCAN_MARGIN ids; a conversation skips what it has.
PostgreSQL searches a GIN index over search_vector = to_tsvector('simple', search_text), stored by the refresh
(no stemming: visitors write English, French and German; words match by prefix); SQLite uses LIKE.
A stored vector rather than an expression index: the planner never recomputes to_tsvector row by row.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from members.models import ConversationIndex, LowConfidenceMessage, UnansweredQuestion
from members.transcripts import ANSWER_KEYS, Message, events, message_from_event

RESCAN_MARGIN = 1000
BATCH = 5000
MAX_EVENTS_PER_REFRESH = 20000
MAX_SEARCH_TEXT = 20000
MAX_WORDS = 8
# What a bot reply was, by its catalogue key (the text_key in its metadata, bot_texts/), whatever its language:
# not sure (retrieval found nothing; the NLU fallback's reply), outside the agency's remit, and an enquiry that
# reached a person (logged for an advisor, already with one, a privacy request passed on).
UNSURE_KEYS = frozenset({"answer.unsure", "fallback"})
OUT_OF_SCOPE_KEYS = frozenset({"out_of_scope"})
HANDED_OFF_KEYS = frozenset({"logged.mailed", "logged.queued", "logged.anonymous", "handoff.already", "privacy.done"})
REPLY_COUNTS = {"answers": frozenset(ANSWER_KEYS), "unsure_replies": UNSURE_KEYS,
                "out_of_scope_replies": OUT_OF_SCOPE_KEYS}
LOW_CONFIDENCE = 0.5  # a visitor message understood with less goes to the review queue
TS_CONFIG = literal_column("'simple'::regconfig")

_index = ConversationIndex.__table__
_unanswered = UnansweredQuestion.__table__
_low_confidence = LowConfidenceMessage.__table__
_STATE = [column for column in _index.c if column.name != "search_vector"]  # what index_message folds


def normalise_question(text: str) -> str:
    """The question reduced for counting repeats: lower case, words only, single spaces."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))[:300]


def new_state(conversation_id: str, first: Message) -> dict[str, Any]:
    """The index row of a conversation seen for the first time."""
    return {
        "conversation_id": conversation_id, "started_at": first.at, "last_message_at": first.at,
        "last_event_id": 0, "visitor_messages": 0, "search_text": "", "last_visitor_event_id": None,
        "last_visitor_text": None, "last_visitor_unanswered": False, "handed_off": False,
        **dict.fromkeys(REPLY_COUNTS, 0),
    }


def _count_reply(state: dict[str, Any], text_key: str | None) -> None:
    """Count one bot reply under what its catalogue key says it was."""
    for column, keys in REPLY_COUNTS.items():
        if text_key in keys:
            state[column] += 1
    if text_key in HANDED_OFF_KEYS:
        state["handed_off"] = True


def index_message(state: dict[str, Any], message: Message) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The conversation's index row after one more message, and what it reveals for review: ("unanswered", row)
    for a question the bot could not answer, ("low_confidence", row) for a message the NLU hardly understood."""
    state = {**state, "last_event_id": message.event_id, "last_message_at": message.at}
    found: list[tuple[str, dict[str, Any]]] = []
    text = " ".join(message.text.split())
    if message.speaker == "visitor":
        if not text or text.startswith("/"):  # a button's payload, not words the visitor typed
            return state, found
        state["visitor_messages"] += 1
        state.update(last_visitor_event_id=message.event_id, last_visitor_text=text, last_visitor_unanswered=False)
        if message.intent == "nlu_fallback":
            found.append(("unanswered", _question(state, message.at)))
        elif message.confidence is not None and message.confidence < LOW_CONFIDENCE:
            found.append(("low_confidence", {"event_id": message.event_id, "conversation_id": state["conversation_id"],
                                             "text": text[:2000], "intent": message.intent,
                                             "confidence": message.confidence, "asked_at": message.at}))
    else:
        _count_reply(state, message.text_key)
        if message.text_key in UNSURE_KEYS and state["last_visitor_event_id"] and not state["last_visitor_unanswered"]:
            found.append(("unanswered", _question(state, message.at)))
    if any(kind == "unanswered" for kind, _ in found):
        state["last_visitor_unanswered"] = True
    if text and len(state["search_text"]) < MAX_SEARCH_TEXT:
        # PostgreSQL's parser drops anything that looks like an HTML tag; keep the words inside it.
        searchable = text.replace("<", " ").replace(">", " ")
        state["search_text"] = (state["search_text"] + "\n" + searchable).lstrip("\n")[:MAX_SEARCH_TEXT]
    return state, found


def unanswered_in(conversation_id: str, messages: list[Message]) -> set[int]:
    """Event ids of the visitor messages of one transcript that the bot could not answer (as the index counts them)."""
    found: set[int] = set()
    if messages:
        state = new_state(conversation_id, messages[0])
        for message in messages:
            state, revealed = index_message(state, message)
            found.update(row["event_id"] for kind, row in revealed if kind == "unanswered")
    return found


def _question(state: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "event_id": state["last_visitor_event_id"], "conversation_id": state["conversation_id"],
        "text": state["last_visitor_text"][:2000], "normalised": normalise_question(state["last_visitor_text"]),
        "asked_at": at,
    }


def _apply(session: Session, rows: list) -> None:
    """Fold one batch of events into the index rows of their conversations."""
    by_conversation: dict[str, list[Message]] = defaultdict(list)
    for row in rows:
        message = message_from_event(row.id, row.type_name, row.timestamp, row.data)
        if message is not None:
            by_conversation[row.sender_id].append(message)
    if not by_conversation:
        return
    existing = {
        row.conversation_id: dict(row._mapping)
        for row in session.execute(select(*_STATE).where(_index.c.conversation_id.in_(list(by_conversation))))
    }
    inserts, updates = [], []
    revealed: dict[str, list[dict[str, Any]]] = {"unanswered": [], "low_confidence": []}
    for conversation_id, messages in by_conversation.items():
        before = existing.get(conversation_id)
        state = before or new_state(conversation_id, messages[0])
        for message in messages:
            if message.event_id > state["last_event_id"]:
                state, found = index_message(state, message)
                for kind, row in found:
                    revealed[kind].append(row)
        if before is None:
            inserts.append(state)
        elif state != before:
            updates.append({**state, "key": conversation_id})
    insert_rows, update_rows = insert(_index), update(_index).where(_index.c.conversation_id == bindparam("key"))
    if session.get_bind().dialect.name == "postgresql":
        vector = func.to_tsvector(TS_CONFIG, bindparam("vector_text"))
        insert_rows, update_rows = insert_rows.values(search_vector=vector), update_rows.values(search_vector=vector)
        for row in inserts + updates:
            row["vector_text"] = row["search_text"]
    if inserts:
        session.execute(insert_rows, inserts)
    if updates:
        session.execute(update_rows, updates)
    for table, rows in ((_unanswered, revealed["unanswered"]), (_low_confidence, revealed["low_confidence"])):
        if rows:
            session.execute(insert(table), rows)


def refresh(session: Session, max_events: int = MAX_EVENTS_PER_REFRESH) -> int:
    """Read new visitor and bot messages from `events` into the index; returns how many were read.

    The caller commits. When another request refreshed the same conversations at the same moment,
    this one gives way (rolls back) and the index is still up to date.
    """
    newest = session.scalar(select(func.max(events.c.id)))
    indexed = session.scalar(select(func.max(_index.c.last_event_id))) or 0
    if newest is None or newest <= indexed:
        return 0
    cursor, read = max(0, indexed - RESCAN_MARGIN), 0
    try:
        while read < max_events:
            rows = session.execute(
                select(events.c.id, events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
                .where(events.c.id > cursor, events.c.type_name.in_(("user", "bot")))
                .order_by(events.c.id)
                .limit(min(BATCH, max_events - read))
            ).all()
            if not rows:
                break
            _apply(session, rows)
            cursor, read = rows[-1].id, read + len(rows)
    except IntegrityError:
        session.rollback()
        return 0
    return read


def refresh_all(session: Session) -> int:
    """Refresh until the index has every message, committing after each round (a first build, the CLI)."""
    total = 0
    while True:
        read = refresh(session)
        session.commit()
        total += read
        if read < MAX_EVENTS_PER_REFRESH:
            return total


def catch_up(session: Session) -> None:
    """Refresh the index and commit, before a page reads it (a search, the dashboard)."""
    refresh(session)
    session.commit()


def words(query: str) -> list[str]:
    """The words of a search, lower case, letters and digits only."""
    return re.findall(r"[^\W_]+", query.lower())[:MAX_WORDS]


def matches(dialect: str, query: str) -> ColumnElement | None:
    """A condition on ConversationIndex rows whose transcript contains every word of `query` (as a prefix
    on PostgreSQL); None when the query has no words."""
    terms = words(query)
    if not terms:
        return None
    if dialect == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        return ConversationIndex.search_vector.op("@@")(func.to_tsquery(TS_CONFIG, tsquery))
    return and_(*(ConversationIndex.search_text.ilike(f"%{term}%") for term in terms))


def matching_conversations(dialect: str, query: str):
    """A subquery of the conversation ids whose transcript matches `query`, or None without words."""
    condition = matches(dialect, query)
    if condition is None:
        return None
    return select(ConversationIndex.conversation_id).where(condition)
