"""The action server's shared services, created on first use (nothing happens at import time)."""
from __future__ import annotations

import logging
from functools import lru_cache

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from firststop.settings import Settings, get_settings
from knowledge.store import Knowledge, KnowledgeStore
from members import spool
from members.db import session_factory
from members.enquiries import open_load

log = logging.getLogger(__name__)


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def _store() -> KnowledgeStore:
    from members.content_store import ContentSource

    s = get_settings()
    return KnowledgeStore(s.knowledge_dir, s.knowledge_cache_dir, ContentSource(s.database_url))


def knowledge() -> Knowledge:
    """The current knowledge; content edits are picked up on the next call."""
    return _store().get()


def database() -> sessionmaker[Session]:
    return session_factory(get_settings().database_url)


def advisor_load() -> dict[str, int]:
    """Open enquiries per advisor; empty (so availability decides) when the database is down."""
    try:
        with database()() as session:
            return open_load(session)
    except DBAPIError as error:
        log.warning("could not read advisor load: %s", error)
        return {}


def save_enquiry(record) -> int | None:
    """Write the enquiry now, or keep it in the spool until the database is back (None); its staff e-mails beyond
    the hourly cap for the visitor's client address are held for staff to release."""
    s = get_settings()
    return spool.save(database(), record, s.spool_dir, mail_cap=s.staff_mails_per_address_hour)
