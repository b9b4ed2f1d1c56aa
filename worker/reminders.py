"""Job: queue the reply-time reminders and escalations that are due (handoff.reminders.remind_due)."""
from __future__ import annotations

from handoff.reminders import ReminderPolicy, remind_due
from handoff.sender import now
from worker.context import Context

INTERVAL = 30.0


def run(context: Context) -> dict[str, int]:
    """Queue each overdue enquiry's reminder or escalation once; returns counts by kind."""
    return remind_due(context.factory, ReminderPolicy.from_settings(context.settings), now())
