"""Job: mail each owner of content overdue for review, once per review-by date (members.content_store)."""
from __future__ import annotations

from handoff.sender import now
from members.content_store import remind_overdue
from worker.context import Context

INTERVAL = 300.0


def run(context: Context) -> int:
    """Queue the review reminders that are due; returns how many."""
    return remind_overdue(context.factory, now().date(), context.settings.console_url)
