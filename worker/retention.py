"""Job: the daily retention pass (members.retention.apply_retention), first when the worker starts."""
from __future__ import annotations

from members.retention import apply_retention
from worker.context import Context

INTERVAL = 24 * 3600.0


def run(context: Context) -> str:
    """Remove or anonymise what is older than RETENTION_DAYS; returns the counts as one line."""
    return "; ".join(apply_retention(context.factory, context.settings.retention_days).lines())
