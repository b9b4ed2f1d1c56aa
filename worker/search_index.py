"""Job: bring the console's full-text search index up to date with new conversation events
(console.search.catch_up), so console pages never refresh it inside a request."""
from __future__ import annotations

from console import search
from worker.context import Context

INTERVAL = 2.0


def run(context: Context) -> None:
    """Index the messages written since the last round."""
    with context.factory() as session:
        search.catch_up(session)
