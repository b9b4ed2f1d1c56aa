"""Job: write the enquiries spooled while the database was unreachable (members.spool.replay)."""
from __future__ import annotations

from members import spool
from worker.context import Context

INTERVAL = 2.0


def run(context: Context) -> int:
    """Replay the spool; returns how many enquiries were written."""
    return spool.replay(context.factory, context.settings.spool_dir)
