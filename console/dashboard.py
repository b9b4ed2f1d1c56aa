"""The dashboard: enquiries per cluster per week, conversations the bot answered vs handed off, and the
questions it most often could not answer, as server-drawn SVG charts with their numbers beside them."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, g, render_template, request
from sqlalchemy import String, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from console import charts
from members.models import Cluster, ConversationIndex, Enquiry, UnansweredQuestion

bp = Blueprint("dashboard", __name__, url_prefix="/console")
PERIODS = (4, 12, 26, 52)


class week_start(FunctionElement):
    """The Monday (UTC) of a timestamp's week, as 'YYYY-MM-DD' text, on SQLite and PostgreSQL."""

    type = String()
    name = "week_start"
    inherit_cache = True


@compiles(week_start, "postgresql")
def _week_start_pg(element, compiler, **kw):
    return f"to_char(date_trunc('week', {compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


@compiles(week_start)
def _week_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


def mondays(today: date, weeks: int) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first, ending with this week's."""
    this_week = today - timedelta(days=today.weekday())
    return [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def enquiries_per_cluster_week(session: Session, since: date) -> dict[tuple[str, str | None], int]:
    """{(week's Monday 'YYYY-MM-DD', cluster id or None): enquiries} for enquiries created since `since`."""
    week = week_start(Enquiry.created_at)
    rows = session.execute(
        select(week, Enquiry.cluster_id, func.count())
        .where(Enquiry.created_at >= _midnight(since))
        .group_by(week, Enquiry.cluster_id)
    )
    return {(w, cluster): n for w, cluster, n in rows}


def handed_off_condition():
    """An enquiry that went to a person: the bot handed it off (whatever its status now)."""
    return or_(Enquiry.handoff_reason.is_not(None), Enquiry.status == "handed_off")


def answered_vs_handed_off(session: Session, since: date) -> dict[str, tuple[int, int]]:
    """{week: (conversations, of which handed off)} for conversations started since `since`."""
    week = week_start(ConversationIndex.started_at)
    rows = session.execute(
        select(week, func.count(), func.count(case((handed_off_condition(), 1))))
        .select_from(ConversationIndex)
        .outerjoin(Enquiry, Enquiry.conversation_id == ConversationIndex.conversation_id)
        .where(ConversationIndex.started_at >= _midnight(since))
        .group_by(week)
    )
    return {w: (total, handed) for w, total, handed in rows}


def top_unanswered(session: Session, since: date, limit: int = 10) -> list[tuple[str, int]]:
    """The questions the bot could not answer, most asked first: (one way it was worded, times asked)."""
    times = func.count().label("times")
    rows = session.execute(
        select(func.min(UnansweredQuestion.text), times)
        .where(UnansweredQuestion.asked_at >= _midnight(since))
        .group_by(UnansweredQuestion.normalised)
        .order_by(times.desc(), func.min(UnansweredQuestion.text))
        .limit(limit)
    )
    return [(text, n) for text, n in rows]


@bp.route("/dashboard")
def dashboard():
    """The three charts for the chosen period (4, 12, 26 or 52 weeks)."""
    weeks = request.args.get("weeks", 12, type=int)
    weeks = weeks if weeks in PERIODS else 12
    monday_list = mondays(date.today(), weeks)
    since = monday_list[0]
    labels = [m.isoformat() for m in monday_list]
    names = {c.id: c.name for c in g.db.scalars(select(Cluster).order_by(Cluster.name))}

    per_cluster = enquiries_per_cluster_week(g.db, since)
    cluster_ids = sorted({c for _, c in per_cluster}, key=lambda c: (c is None, names.get(c, c or "")))
    cluster_series = [
        (names.get(c, c) if c else "no cluster", [per_cluster.get((w, c), 0) for w in labels]) for c in cluster_ids
    ]
    short = [m.strftime("%d %b") for m in monday_list]
    cluster_chart = charts.stacked_columns("Enquiries per cluster per week", short, cluster_series)

    split = answered_vs_handed_off(g.db, since)
    answered = [split.get(w, (0, 0))[0] - split.get(w, (0, 0))[1] for w in labels]
    handed = [split.get(w, (0, 0))[1] for w in labels]
    split_chart = charts.stacked_columns(
        "Conversations answered by the bot vs handed off, per week", short,
        [("answered by the bot", answered), ("handed off to a person", handed)],
    )
    total_conversations, total_handed = sum(answered) + sum(handed), sum(handed)

    unanswered = top_unanswered(g.db, since)
    unanswered_chart = charts.horizontal_bars("Questions the bot could not answer, most asked first", unanswered)
    return render_template(
        "dashboard.html", weeks=weeks, periods=PERIODS, since=since,
        cluster_chart=cluster_chart, cluster_table=list(zip(labels, *[v for _, v in cluster_series])),
        cluster_names=[n for n, _ in cluster_series],
        split_chart=split_chart, split_table=list(zip(labels, answered, handed)),
        total_conversations=total_conversations, total_handed=total_handed,
        unanswered_chart=unanswered_chart, unanswered=unanswered,
    )
