"""The dashboard: enquiries per cluster per week; conversations answered, not sure, out of scope and handed off
(from the bot's replies' catalogue keys, in any language); the questions it most often could not answer, as
server-drawn SVG charts with their numbers beside them; answer quality per entry (visitors' thumbs and staff's
flags) and routing corrections per cluster (visitors choosing another cluster, staff's flags)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, g, render_template, request
from sqlalchemy import String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from console import charts, review
from members.enquiries import VISITOR_CHOSE_CLUSTER, VISITOR_CORRECTED_ROUTING
from members.models import (
    Cluster,
    ConversationIndex,
    Enquiry,
    FlaggedMessage,
    UnansweredQuestion,
    VisitorFeedback,
)

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


# Each conversation counts once, under the first of these that happened in it.
OUTCOMES = ("handed off", "not sure", "out of scope", "answered", "other")
OUTCOME_NAMES = {
    "answered": "answered by the bot",
    "not sure": "bot not sure",
    "out of scope": "out of scope",
    "handed off": "handed off to a person",
    "other": "no question answered",
}
# How the actions record on the enquiry that the visitor chose or named another cluster than the one proposed.
VISITOR_REROUTED = (VISITOR_CHOSE_CLUSTER, VISITOR_CORRECTED_ROUTING)


def outcome():
    """A conversation's outcome from its replies' counts: an enquiry reached a person; else the bot said it was not
    sure or did not understand at least once; else it said a question was outside its remit; else it answered."""
    index = ConversationIndex
    return case((index.handed_off.is_(True), "handed off"), (index.unsure_replies > 0, "not sure"),
                (index.out_of_scope_replies > 0, "out of scope"), (index.answers > 0, "answered"), else_="other")


def outcomes_per_week(session: Session, since: date) -> dict[tuple[str, str], int]:
    """{(week's Monday, outcome): conversations} for conversations started since `since`."""
    week, kind = week_start(ConversationIndex.started_at), outcome()
    rows = session.execute(select(week, kind, func.count()).where(ConversationIndex.started_at >= _midnight(since))
                           .group_by(week, kind))
    return {(w, k): n for w, k, n in rows}


def replies_since(session: Session, since: date) -> tuple[int, int, int]:
    """(answers from an entry, 'not sure' replies, out-of-scope replies) in conversations started since `since`."""
    index = ConversationIndex
    row = session.execute(select(func.coalesce(func.sum(index.answers), 0),
                                 func.coalesce(func.sum(index.unsure_replies), 0),
                                 func.coalesce(func.sum(index.out_of_scope_replies), 0))
                          .where(index.started_at >= _midnight(since))).one()
    return int(row[0]), int(row[1]), int(row[2])


def answer_quality(session: Session, since: date) -> list[dict]:
    """Per knowledge entry since `since`: visitors' thumbs up and down, and staff's flags (answered when another
    entry was right, missed when it was the right one, stale); the entries with the most complaints first."""
    rows: dict[str, dict] = defaultdict(lambda: {"up": 0, "down": 0, "wrong": 0, "missed": 0, "stale": 0})
    down = func.sum(case((VisitorFeedback.vote == "down", 1), else_=0))
    for entry, total, downs in session.execute(
            select(VisitorFeedback.entry, func.count(), down).where(
                VisitorFeedback.entry.is_not(None), VisitorFeedback.created_at >= _midnight(since))
            .group_by(VisitorFeedback.entry)):
        rows[entry].update(up=int(total) - int(downs), down=int(downs))
    recent = FlaggedMessage.flagged_at >= _midnight(since)
    for column, name, kinds in ((FlaggedMessage.answered_entry, "wrong", ("wrong_answer",)),
                                (FlaggedMessage.correct_entry, "missed", ("wrong_answer",)),
                                (FlaggedMessage.correct_entry, "stale", ("stale",))):
        for entry, n in session.execute(select(column, func.count()).where(
                recent, column.is_not(None), FlaggedMessage.kind.in_(kinds)).group_by(column)):
            rows[entry][name] = int(n)
    titles = dict(review.entry_choices(session))
    found = [{"entry": entry, "title": titles.get(entry, entry), **counts} for entry, counts in rows.items()]
    return sorted(found, key=lambda r: (-(r["down"] + r["wrong"] + r["missed"] + r["stale"]), r["entry"]))


def routing_corrections(session: Session, since: date) -> list[dict]:
    """Per cluster since `since`: enquiries routed to it, visitors who chose it over the cluster proposed, and
    staff's flags of a wrong cluster (proposed it wrongly; should have been it); clusters with none left out."""
    rows: dict[str, dict] = defaultdict(lambda: {"enquiries": 0, "visitor_chose": 0, "flagged_from": 0,
                                                 "flagged_to": 0})
    chose = func.sum(case((Enquiry.route_reason.in_(VISITOR_REROUTED), 1), else_=0))
    for cluster, total, chosen in session.execute(
            select(Enquiry.cluster_id, func.count(), chose).where(
                Enquiry.cluster_id.is_not(None), Enquiry.created_at >= _midnight(since)).group_by(Enquiry.cluster_id)):
        rows[cluster].update(enquiries=int(total), visitor_chose=int(chosen or 0))
    recent = (FlaggedMessage.flagged_at >= _midnight(since)) & (FlaggedMessage.kind == "wrong_cluster")
    for column, name in ((FlaggedMessage.proposed_cluster, "flagged_from"), (FlaggedMessage.correct_cluster,
                                                                              "flagged_to")):
        for cluster, n in session.execute(select(column, func.count()).where(recent, column.is_not(None))
                                          .group_by(column)):
            rows[cluster][name] = int(n)
    names = {c.id: c.name for c in session.scalars(select(Cluster))}
    return sorted(({"cluster": names.get(c, c), **counts} for c, counts in rows.items()),
                  key=lambda r: (-(r["visitor_chose"] + r["flagged_from"] + r["flagged_to"]), r["cluster"]))


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

    split = outcomes_per_week(g.db, since)
    outcome_series = [(OUTCOME_NAMES[o], [split.get((w, o), 0) for w in labels]) for o in OUTCOMES]
    split_chart = charts.stacked_columns("Conversations by what the bot did, per week", short, outcome_series)
    outcome_totals = [(name, sum(values)) for name, values in outcome_series]

    unanswered = top_unanswered(g.db, since)
    unanswered_chart = charts.horizontal_bars("Questions the bot could not answer, most asked first", unanswered)
    return render_template(
        "dashboard.html", weeks=weeks, periods=PERIODS, since=since,
        cluster_chart=cluster_chart, cluster_table=list(zip(labels, *[v for _, v in cluster_series])),
        cluster_names=[n for n, _ in cluster_series],
        split_chart=split_chart, split_table=list(zip(labels, *[v for _, v in outcome_series])),
        outcome_names=[n for n, _ in outcome_series], outcome_totals=outcome_totals,
        total_conversations=sum(n for _, n in outcome_totals), replies=replies_since(g.db, since),
        unanswered_chart=unanswered_chart, unanswered=unanswered,
        quality=answer_quality(g.db, since), routing=routing_corrections(g.db, since),
    )
