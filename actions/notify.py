"""Send an enquiry on: the record with its staff e-mail (same transaction, exactly once), the reply promise the
visitor is told and the console tracks, and what the visitor hears."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import bot_texts
from actions import services
from actions.asks import say, text
from actions.conversation import enquiry_record, language, open_question, transcript
from actions.routes import NO_CLUSTER, chosen_meta, route, route_slots
from handoff import schedule
from handoff.compose import HandoffFacts, handoff_mail
from members.enquiries import EnquiryRecord

log = logging.getLogger(__name__)
# The outbox kind of each enquiry kind's staff e-mail (one per kind and enquiry: a privacy request made after a
# lead in the same conversation is still mailed).
MAIL_KINDS = {"handoff": "handoff", "privacy": "privacy"}


def promise_words(due: datetime, now: datetime, tz: str, within_hours: float, lang: str) -> str:
    """schedule.describe_reply's promise in the visitor's language: 'dans les 4 heures ouvrées, d'ici demain à 09:30'."""
    local_due, local_now = due.astimezone(ZoneInfo(tz)), now.astimezone(ZoneInfo(tz))
    days, clock = (local_due.date() - local_now.date()).days, f"{local_due:%H:%M}"
    weekday = bot_texts.entry("weekdays", lang)["names"][local_due.weekday()]
    if days in (-1, 0, 1):
        by = text(("when.yesterday", "when.today", "when.tomorrow")[days + 1], lang, time=clock)
    elif 1 < days < 7:
        by = text("when.week", lang, weekday=weekday, time=clock)
    else:
        month = bot_texts.entry("months", lang)["names"][local_due.month - 1]
        by = text("when.date", lang, weekday=weekday, day=local_due.day, month=month, time=clock)
    if within_hours == 1:
        return text("promise.within.one", lang, by=by)
    return text("promise.within", lang, hours=f"{within_hours:g}", by=by)


def reply_promise(now: datetime | None = None, lang: str = "en") -> tuple[datetime, str]:
    """(when a person will have replied, the same in words for the visitor in `lang`), from the working hours."""
    s = services.settings()
    now = now or datetime.now(timezone.utc)
    args = (now, s.working_days, s.working_start, s.working_end, s.timezone, s.reply_within_hours)
    due = schedule.reply_due(*args)
    if lang == "en":
        return due, schedule.describe_reply(*args)
    return due, promise_words(due, now, s.timezone, s.reply_within_hours, lang)


def _staff_due(due: datetime) -> str:
    s = services.settings()
    describe = getattr(schedule, "describe_due", None)
    return describe(due, datetime.now(timezone.utc), s.timezone) if describe else due.isoformat()


def _mail(tracker: Tracker, record: EnquiryRecord, reason: str, to_addr: str, to_name: str, due: datetime):
    """The staff e-mail for this enquiry: kind "handoff" for a hand-off, "privacy" for a privacy request, "enquiry"
    for every other one."""
    knowledge, settings = services.knowledge(), services.settings()
    cluster = knowledge.cluster(record.cluster_id)
    entries = knowledge.index.entries
    return handoff_mail(HandoffFacts(
        conversation_id=tracker.sender_id, reason=reason, question=record.need or record.question or record.summary,
        to_addr=to_addr, advisor_name=to_name, name=record.name, email=record.email, phone=record.phone,
        organisation=record.organisation, profile=record.profile, consent=True,
        cluster_name=f"{cluster.name} ({cluster.full_name})" if cluster else None, confidence=record.route_score,
        route_reason=record.route_reason,
        answered=tuple(entries[t].title for t in tracker.get_slot("answered_topics") or [] if t in entries),
        transcript=transcript(tracker), console_url=settings.console_url, language=record.language,
        need=record.need, summary=record.summary, reply_due=_staff_due(due),
        mail_kind=MAIL_KINDS.get(record.kind or "", "enquiry"),
    ))


def unsettled_cluster_meta(tracker: Tracker, cluster_id: str | None) -> dict[str, Any]:
    """The console's chosen/proposed cluster for the message that logs the enquiry, when no earlier message settled
    the cluster (the visitor declined to be put in touch at the proposal: the proposed cluster is the one kept)."""
    if any(e.get("event") == "bot" and "chosen_cluster" in (e.get("metadata") or {}) for e in tracker.events):
        return {}
    return chosen_meta(tracker, cluster_id or NO_CLUSTER)


def route_anonymous(tracker: Tracker, record: EnquiryRecord) -> None:
    """An enquiry nobody can reply to that was never routed (a hand-off whose visitor then declined to leave details)
    gets the cluster and advisor of what the visitor wrote, so the visitor can be told who has it; a cluster the
    visitor declined ('none of these') stays declined."""
    if record.cluster_id or tracker.get_slot("cluster") == NO_CLUSTER or tracker.get_slot("route_cluster"):
        return
    said = tracker.get_slot("project_description") or open_question(tracker)
    found = route(said, language(tracker))
    if found.best is None:
        return
    slots = route_slots(found, tracker)
    record.cluster_id, record.advisor_id = found.best.cluster.id, slots["advisor_id"]
    record.route_score, record.route_reason = slots["route_score"], slots["route_reason"]


def submit(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, reason: str, **overrides: Any) -> list[Any]:
    """Log the conversation's enquiry of `kind` once; with contact details, mail its advisor (a privacy request:
    the general inbox) and tell the visitor who replies by when; without, say honestly that nobody can."""
    settings, knowledge = services.settings(), services.knowledge()
    lang = language(tracker)
    record = enquiry_record(tracker, settings.privacy_notice_version, kind=kind, **overrides)
    if kind == "privacy":
        record.summary = record.need or record.question or ""
    reachable = bool(record.consent and record.email)
    if not reachable and kind != "privacy":
        route_anonymous(tracker, record)
    advisor = next((a for a in knowledge.advisors.advisors if a.id == record.advisor_id), None)
    if advisor is None:
        advisor = next(a for a in knowledge.advisors.advisors if a.general)
        record.advisor_id = advisor.id
    due, when = reply_promise(lang=lang)
    if reachable:
        record.reply_due = due.isoformat()
        to_addr, to_name = ((settings.general_inbox, "privacy team") if kind == "privacy"
                            else (advisor.email, advisor.name))
        record.mails = [_mail(tracker, record, reason, to_addr, to_name, due)]
    saved = services.save_enquiry(record)
    log.info("enquiry %s kind=%s mailed=%s saved=%s", tracker.sender_id, kind, reachable, saved is not None)
    who = text("privacy.team", lang) if kind == "privacy" else advisor.name
    if not reachable and (record.cluster_id or kind == "project"):  # the visitor is told who has it, honestly
        cluster = knowledge.cluster(record.cluster_id)
        where = text("route.where.cluster", lang, cluster=cluster.name) if cluster else text("route.where.general", lang)
        say(dispatcher, "logged.anonymous.routed", lang, advisor=advisor.name, where=where,
            agency_contact=text("agency_contact", lang), meta=unsettled_cluster_meta(tracker, record.cluster_id))
    elif not reachable:
        say(dispatcher, "logged.anonymous", lang, agency_contact=text("agency_contact", lang))
    elif saved is None:
        say(dispatcher, "logged.queued", lang, advisor=who)
    elif kind == "privacy":
        say(dispatcher, "privacy.done", lang, email=record.email, when=when)
    else:
        say(dispatcher, "logged.mailed", lang, advisor=who, email=record.email, when=when)
    return [SlotSet("enquiry_logged", True), SlotSet("handoff_requested", False), SlotSet("review", None),
            SlotSet("enquiry_kind", kind)]


def log_anonymously(tracker: Tracker, routed: dict[str, Any]) -> None:
    """Log the conversation's routed project without personal details and send nothing (`routed`: this turn's
    description and routing slots, not yet on the tracker); details given later complete the same enquiry."""
    record = enquiry_record(
        tracker, services.settings().privacy_notice_version, kind="project", summary=routed["project_description"],
        cluster_id=routed.get("route_cluster"), route_score=routed.get("route_score"),
        route_reason=routed.get("route_reason"), advisor_id=routed.get("advisor_id"), need=routed.get("need"),
        consent=False, name=None, organisation=None, email=None, phone=None)
    saved = services.save_enquiry(record)
    log.info("enquiry %s logged anonymously saved=%s", tracker.sender_id, saved is not None)


def add_followup(tracker: Tracker) -> None:
    """Write the enquiry again with its follow-ups (log_enquiry appends the new ones; nothing is mailed again)."""
    kind = tracker.get_slot("enquiry_kind") or "project"
    record = enquiry_record(tracker, services.settings().privacy_notice_version, kind=kind,
                            status="handed_off" if kind == "handoff" else "new")
    services.save_enquiry(record)
    log.info("enquiry %s follow-up %d added", tracker.sender_id, len(record.followups))
