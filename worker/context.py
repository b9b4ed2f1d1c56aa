"""What every job of the worker is given: the settings and a session factory on the member database."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from firststop.settings import Settings, get_settings
from members.db import session_factory


@dataclass(frozen=True)
class Context:
    """The settings and the database, built once per worker process."""

    settings: Settings
    factory: sessionmaker[Session]

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Context:
        """The context for these settings (by default the process's own)."""
        settings = settings or get_settings()
        return cls(settings, session_factory(settings.database_url))
