"""When a person will answer: working days and hours come from the settings."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def next_reply(now: datetime, working_days: tuple[int, ...], start: time, end: time, tz: str) -> tuple[bool, datetime]:
    """(open now?, when a person starts on it): now if within working hours, else the next opening."""
    local = now.astimezone(ZoneInfo(tz))
    if local.isoweekday() in working_days and start <= local.time() < end:
        return True, local
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    for _ in range(8):
        if day.isoweekday() in working_days:
            break
        day += timedelta(days=1)
    return False, datetime.combine(day, start, tzinfo=ZoneInfo(tz))


def reply_due(
    now: datetime, working_days: tuple[int, ...], start: time, end: time, tz: str, within_hours: float
) -> datetime:
    """The moment `within_hours` working hours after `now` (counted in the agency's time zone; nights and closed
    days don't count), in UTC, as the database stores times."""
    if not working_days or start >= end:
        raise ValueError("working hours are empty: set WORKING_DAYS, WORKING_START and WORKING_END")
    zone = ZoneInfo(tz)
    _, cursor = next_reply(now, working_days, start, end, tz)
    left = timedelta(hours=within_hours)
    while True:
        # Working hours are wall-clock hours: a DST change at night doesn't stretch or shorten a working day.
        closing = datetime.combine(cursor.date(), end, tzinfo=zone)
        today = closing.replace(tzinfo=None) - cursor.replace(tzinfo=None)
        if left <= today:
            moment = datetime.combine(cursor.date(), (cursor.replace(tzinfo=None) + left).time(), tzinfo=zone)
            return moment.astimezone(timezone.utc)
        left -= today
        _, cursor = next_reply(closing, working_days, start, end, tz)


def _when(due: datetime, now: datetime, tz: str) -> str:
    """'14:30 today', '09:30 tomorrow', '16:00 yesterday', 'Tuesday 12:30' this week, else with the date."""
    local_due, local_now = due.astimezone(ZoneInfo(tz)), now.astimezone(ZoneInfo(tz))
    days = (local_due.date() - local_now.date()).days
    if days in (-1, 0, 1):
        return f"{local_due:%H:%M} {('yesterday', 'today', 'tomorrow')[days + 1]}"
    if 1 < days < 7:
        return f"{local_due:%A %H:%M}"
    return f"{local_due:%A} {local_due.day} {local_due:%B %H:%M}"


def describe_reply(now: datetime, working_days: tuple[int, ...], start: time, end: time, tz: str, within_hours: float) -> str:
    """The promise reply_due keeps, in words: 'within 4 working hours, by 14:30 today' or '…, by Tuesday 12:30'."""
    due = reply_due(now, working_days, start, end, tz, within_hours)
    unit = "working hour" if within_hours == 1 else "working hours"
    return f"within {within_hours:g} {unit}, by {_when(due, now, tz)}"


def describe_due(due: datetime, now: datetime, tz: str, labelled: bool = True) -> str:
    """A due time for staff, in the agency's time zone: 'Tuesday 12:30 (Europe/Luxembourg)', or without the
    label where a heading gives the zone."""
    return f"{_when(due, now, tz)} ({tz})" if labelled else _when(due, now, tz)
