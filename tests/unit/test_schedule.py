"""The reply-time promise: due moments in working hours and the words the visitor is told."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from handoff.schedule import describe_due, describe_reply, reply_due

LU = ZoneInfo("Europe/Luxembourg")
HOURS = ((1, 2, 3, 4, 5), time(8, 30), time(17, 30), "Europe/Luxembourg")


def due(now: datetime, within: float = 4) -> datetime:
    return reply_due(now, *HOURS, within)


def words(now: datetime, within: float = 4) -> str:
    return describe_reply(now, *HOURS, within)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LU)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2026, 11, 24, 10, 30), local(2026, 11, 24, 14, 30)),  # Tuesday morning: same day
        (local(2026, 11, 24, 13, 30), local(2026, 11, 24, 17, 30)),  # ends exactly at closing
        (local(2026, 11, 24, 15, 30), local(2026, 11, 25, 10, 30)),  # 2 h today, 2 h tomorrow
        (local(2026, 11, 24, 20, 0), local(2026, 11, 25, 12, 30)),  # evening: counts from next opening
        (local(2026, 11, 25, 6, 0), local(2026, 11, 25, 12, 30)),  # before opening
        (local(2026, 11, 27, 16, 30), local(2026, 11, 30, 11, 30)),  # Friday afternoon: over the weekend
        (local(2026, 11, 28, 11, 0), local(2026, 11, 30, 12, 30)),  # Saturday
        (local(2026, 11, 24, 17, 30), local(2026, 11, 25, 12, 30)),  # at closing time: already closed
    ],
)
def test_due_counts_only_working_hours(now, expected):
    assert due(now) == expected


def test_due_spans_several_days_and_accepts_any_zone_for_now():
    # 20 working hours from Thursday 09:00 (UTC given): Thu 8.5 h, Fri 9 h, Mon 2.5 h → Monday 11:00.
    assert due(datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc), 20) == local(2026, 11, 30, 11, 0)


def test_dst_changes_do_not_shift_working_hours():
    # Friday 16:00 + 4 working hours is Monday 11:00 local, whatever the clocks did over the weekend.
    spring = due(local(2026, 3, 27, 16, 0))  # the clocks go forward on 29 March: CET → CEST
    assert spring == local(2026, 3, 30, 11, 0) == datetime(2026, 3, 30, 9, 0, tzinfo=timezone.utc)
    autumn = due(local(2026, 10, 23, 16, 0))  # the clocks go back on 25 October: CEST → CET
    assert autumn == local(2026, 10, 26, 11, 0) == datetime(2026, 10, 26, 10, 0, tzinfo=timezone.utc)


def test_due_is_in_utc_as_the_database_stores_times():
    assert due(local(2026, 11, 24, 10, 30)).utcoffset().total_seconds() == 0


def test_words_say_the_same_moment():
    assert words(local(2026, 11, 24, 10, 30)) == "within 4 working hours, by 14:30 today"
    assert words(local(2026, 11, 24, 15, 30)) == "within 4 working hours, by 10:30 tomorrow"
    assert words(local(2026, 11, 27, 19, 0)) == "within 4 working hours, by Monday 12:30"
    assert words(local(2026, 11, 24, 10, 30), 1) == "within 1 working hour, by 11:30 today"
    assert words(local(2026, 11, 20, 10, 30), 60) == "within 60 working hours, by Monday 30 November 16:30"


def test_due_for_staff_is_labelled_with_the_zone():
    now = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
    assert describe_due(due(now), now, "Europe/Luxembourg") == "14:00 today (Europe/Luxembourg)"
    later = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
    assert describe_due(due(now), later, "Europe/Luxembourg") == "14:00 yesterday (Europe/Luxembourg)"
    # Past days never read as this week's: the date is given.
    assert describe_due(due(now), later + timedelta(days=3), "Europe/Luxembourg") == (
        "Tuesday 24 November 14:00 (Europe/Luxembourg)")


def test_empty_working_hours_are_refused():
    with pytest.raises(ValueError):
        reply_due(local(2026, 11, 24, 10, 0), (), time(8, 30), time(17, 30), "Europe/Luxembourg", 4)
