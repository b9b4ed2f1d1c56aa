"""When a person will answer: working days and hours come from the settings."""
from __future__ import annotations

from datetime import datetime, time, timedelta
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


def describe_reply(now: datetime, working_days: tuple[int, ...], start: time, end: time, tz: str, within_hours: int) -> str:
    """A phrase for the visitor: 'within 4 working hours' or 'on Monday from 08:30'."""
    open_now, when = next_reply(now, working_days, start, end, tz)
    if open_now:
        return f"within {within_hours} working hours"
    local_now = now.astimezone(ZoneInfo(tz))
    if when.date() == local_now.date():
        return f"today from {when:%H:%M}"
    if when.date() == local_now.date() + timedelta(days=1):
        return f"tomorrow from {when:%H:%M}"
    return f"on {when:%A} from {when:%H:%M}"
