"""The enquiries inbox as queries: filters read from the URL, sorting, keyset pages, and CSV rows.

Pages are keyset pages on (sort column, id): the next page starts after the last row shown, so the
thousandth page costs what the first does, on the indexes migration 0002_console adds.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import exists, func, select, tuple_
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql import Select

from console import DB_INT_MAX, search
from handoff.schedule import describe_due
from members.models import (
    ENQUIRY_STATUSES,
    OPEN_ENQUIRY_STATUSES,
    Advisor,
    Cluster,
    Contact,
    Enquiry,
    EnquiryReview,
    EnquiryTag,
    Organisation,
    as_utc,
)

# name: (column, newest first?)
# A search can match half the conversations; counting all of them would cost more than finding the page.
SEARCH_COUNT_CAP = 1000
SORTS = {
    "newest": (Enquiry.created_at, True),
    "oldest": (Enquiry.created_at, False),
    "updated": (Enquiry.updated_at, True),
}
UNASSIGNED = "none"


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class InboxFilter:
    """What the advisor asked to see; every field comes from the URL and is checked on the way in."""

    status: str = ""
    cluster: str = ""
    advisor: str = ""  # an advisor id, or "none" for unassigned enquiries
    language: str = ""
    unsure: bool = False
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    tag: str = ""
    reviewed: str = ""  # "", "yes" or "no"
    overdue: bool = False  # the reply promised is late: due time passed, not acknowledged, still open
    sort: str = "newest"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxFilter:
        """Read the filter from query-string arguments, dropping values that make no sense."""
        return cls(
            status=args.get("status", "") if args.get("status") in ENQUIRY_STATUSES else "",
            cluster=args.get("cluster", "")[:32],
            advisor=args.get("advisor", "")[:64],
            language=args.get("language", "")[:8],
            unsure=args.get("unsure") in ("1", "on", "yes", "true"),
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
            q=" ".join(args.get("q", "").split())[:200],
            tag=args.get("tag", "").strip().lower()[:64],
            reviewed=args.get("reviewed", "") if args.get("reviewed") in ("yes", "no") else "",
            overdue=args.get("overdue") in ("1", "on", "yes", "true"),
            sort=args.get("sort", "") if args.get("sort") in SORTS else "newest",
        )

    def to_args(self) -> dict[str, str]:
        """The filter as query-string arguments (empty ones left out), for links and the CSV export."""
        args = {
            "status": self.status, "cluster": self.cluster, "advisor": self.advisor, "language": self.language,
            "unsure": "1" if self.unsure else "", "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "", "q": self.q, "tag": self.tag,
            "reviewed": self.reviewed, "overdue": "1" if self.overdue else "", "sort": "" if self.sort == "newest" else self.sort,
        }
        return {k: v for k, v in args.items() if v}

    def for_advisor(self, advisor_id: str | None) -> InboxFilter:
        """The same filter limited to one advisor's enquiries (the "mine" view)."""
        return replace(self, advisor=advisor_id or UNASSIGNED)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def overdue_conditions(now: datetime) -> list:
    """Open enquiries whose promised reply time has passed without anyone acknowledging them."""
    return [Enquiry.due_at < now, Enquiry.acknowledged_at.is_(None), Enquiry.status.in_(OPEN_ENQUIRY_STATUSES)]


def is_overdue(enquiry: Enquiry, now: datetime) -> bool:
    """The same test as overdue_conditions, for one enquiry already loaded."""
    return (enquiry.due_at is not None and as_utc(enquiry.due_at) < now and enquiry.acknowledged_at is None
            and enquiry.status in OPEN_ENQUIRY_STATUSES)


def due_label(enquiry: Enquiry, now: datetime, tz: str, labelled: bool = True) -> str:
    """The reply's due time in the agency's time zone, labelled ('14:30 today (Europe/Luxembourg)'), or ''."""
    return describe_due(as_utc(enquiry.due_at), now, tz, labelled) if enquiry.due_at is not None else ""


def overdue_count(session: Session, now: datetime) -> int:
    """How many enquiries are overdue now (the inbox's "Overdue" link)."""
    return session.scalar(select(func.count()).select_from(Enquiry).where(*overdue_conditions(now))) or 0


def conditions(flt: InboxFilter, dialect: str) -> list:
    """The WHERE conditions of a filter."""
    where = []
    if flt.overdue:
        where.extend(overdue_conditions(datetime.now(timezone.utc)))
    if flt.status:
        where.append(Enquiry.status == flt.status)
    if flt.cluster:
        where.append(Enquiry.cluster_id == flt.cluster)
    if flt.advisor == UNASSIGNED:
        where.append(Enquiry.advisor_id.is_(None))
    elif flt.advisor:
        where.append(Enquiry.advisor_id == flt.advisor)
    if flt.language:
        where.append(Enquiry.language == flt.language)
    if flt.unsure:
        where.append(Enquiry.bot_unsure.is_(True))
    if flt.date_from:
        where.append(Enquiry.created_at >= _start_of(flt.date_from))
    if flt.date_to:
        where.append(Enquiry.created_at < _start_of(flt.date_to + timedelta(days=1)))
    if flt.tag:
        where.append(Enquiry.id.in_(select(EnquiryTag.enquiry_id).where(EnquiryTag.tag == flt.tag)))
    if flt.reviewed:
        reviewed = exists().where(EnquiryReview.enquiry_id == Enquiry.id)
        where.append(reviewed if flt.reviewed == "yes" else ~reviewed)
    matching = search.matching_conversations(dialect, flt.q)
    if matching is not None:
        where.append(Enquiry.conversation_id.in_(matching))
    return where


def enquiries_query(flt: InboxFilter, dialect: str) -> Select:
    """The filtered enquiries, unordered."""
    return select(Enquiry).where(*conditions(flt, dialect))


def count(session: Session, flt: InboxFilter, cap: int | None = None) -> int:
    """How many enquiries match the filter; with a cap, at most cap + 1 (meaning "more than cap")."""
    dialect = session.get_bind().dialect.name
    matching = select(Enquiry.id).where(*conditions(flt, dialect))
    if cap is not None:
        matching = matching.limit(cap + 1)
    return session.scalar(select(func.count()).select_from(matching.subquery())) or 0


def encode_cursor(value: datetime, enquiry_id: int) -> str:
    """A page boundary as text for the URL."""
    return f"{value.isoformat()}~{enquiry_id}"


def decode_cursor(text: str | None) -> tuple[datetime, int] | None:
    """The page boundary from the URL, or None if it is missing or malformed."""
    if not text or "~" not in text:
        return None
    moment, _, number = text.rpartition("~")
    try:
        boundary = datetime.fromisoformat(moment), int(number)
    except ValueError:
        return None
    return boundary if 0 <= boundary[1] <= DB_INT_MAX else None  # an id the database can't hold is malformed


@dataclass
class Page:
    """One page of the inbox and where the neighbouring pages start."""

    enquiries: list[Enquiry]
    total: int
    after: str | None  # cursor of the next page
    before: str | None  # cursor of the previous page
    total_capped: bool = False  # `total` is a lower bound: a search matched more than SEARCH_COUNT_CAP

    @property
    def total_text(self) -> str:
        """The count as shown: '12,345', or '1,000+' for a search that matched more."""
        return f"{self.total:,}+" if self.total_capped else f"{self.total:,}"


def page(session: Session, flt: InboxFilter, size: int, after: str | None = None, before: str | None = None) -> Page:
    """The page after `after` (or before `before`), `size` enquiries long, in the filter's order."""
    dialect = session.get_bind().dialect.name
    column, descending = SORTS[flt.sort]
    key = tuple_(column, Enquiry.id)
    query = enquiries_query(flt, dialect).options(
        joinedload(Enquiry.contact).joinedload(Contact.organisation), joinedload(Enquiry.advisor),
        joinedload(Enquiry.cluster),
    )
    backwards = decode_cursor(before) is not None and decode_cursor(after) is None
    boundary = decode_cursor(before if backwards else after)
    if boundary is not None:
        bound = tuple_(*boundary)
        # Forward in a newest-first list means smaller keys; going back flips both.
        query = query.where(key < bound if descending != backwards else key > bound)
    newest_first = descending != backwards
    order = (column.desc(), Enquiry.id.desc()) if newest_first else (column.asc(), Enquiry.id.asc())
    rows = list(session.scalars(query.order_by(*order).limit(size + 1)).unique())
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    first = encode_cursor(getattr(rows[0], column.key), rows[0].id) if rows else None
    last = encode_cursor(getattr(rows[-1], column.key), rows[-1].id) if rows else None
    cap = SEARCH_COUNT_CAP if search.words(flt.q) else None
    total = count(session, flt, cap)
    capped = cap is not None and total > cap
    total = min(total, cap) if capped else total
    if backwards:
        return Page(rows, total, after=last, before=first if more else None, total_capped=capped)
    return Page(rows, total, after=last if more else None, before=first if boundary else None, total_capped=capped)


def tags_of(session: Session, enquiry_ids: list[int]) -> dict[int, list[str]]:
    """The tags of each enquiry on a page."""
    tags: dict[int, list[str]] = {}
    if enquiry_ids:
        rows = session.execute(
            select(EnquiryTag.enquiry_id, EnquiryTag.tag).where(EnquiryTag.enquiry_id.in_(enquiry_ids)).order_by(EnquiryTag.tag)
        )
        for enquiry_id, tag in rows:
            tags.setdefault(enquiry_id, []).append(tag)
    return tags


def reviewed_of(session: Session, enquiry_ids: list[int]) -> set[int]:
    """Which enquiries on a page have been reviewed."""
    if not enquiry_ids:
        return set()
    return set(session.scalars(select(EnquiryReview.enquiry_id).where(EnquiryReview.enquiry_id.in_(enquiry_ids))))


CSV_COLUMNS = (
    "created_at", "conversation_id", "status", "cluster", "advisor", "language", "profile", "bot_unsure",
    "handoff_reason", "contact_name", "contact_email", "organisation", "summary", "question", "route_score",
    "route_reason",
)


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(session: Session, flt: InboxFilter) -> Iterator[str]:
    """The filtered enquiries as CSV text, a header then one line per enquiry, streamed in the inbox's order."""
    dialect = session.get_bind().dialect.name
    column, descending = SORTS[flt.sort]
    query = (
        select(
            Enquiry.created_at, Enquiry.conversation_id, Enquiry.status, Cluster.name, Advisor.name, Enquiry.language,
            Enquiry.profile, Enquiry.bot_unsure, Enquiry.handoff_reason, Contact.name, Contact.email,
            Organisation.name, Enquiry.summary, Enquiry.question, Enquiry.route_score, Enquiry.route_reason,
        )
        .outerjoin(Cluster, Cluster.id == Enquiry.cluster_id)
        .outerjoin(Advisor, Advisor.id == Enquiry.advisor_id)
        .outerjoin(Contact, Contact.id == Enquiry.contact_id)
        .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
        .where(*conditions(flt, dialect))
        .order_by(column.desc() if descending else column.asc(), Enquiry.id.desc() if descending else Enquiry.id.asc())
        .execution_options(yield_per=1000)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in session.execute(query):
        writer.writerow([_cell(v) for v in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
