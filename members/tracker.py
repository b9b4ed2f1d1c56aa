"""Rasa's SQL tracker store, pointed at the member database named by DATABASE_URL."""
from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import SQLTrackerStore

from firststop.settings import get_settings


class MemberDatabaseTrackerStore(SQLTrackerStore):
    """Conversations go to the `events` table of the same database as the enquiries."""

    def __init__(self, domain=None, event_broker=None, **kwargs: Any) -> None:
        kwargs.pop("host", None)
        # SQLTrackerStore takes a full URL in `host` as the engine URL.
        super().__init__(domain, host=get_settings().database_url, event_broker=event_broker, **kwargs)
