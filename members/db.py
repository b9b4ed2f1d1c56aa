"""Engines and sessions for the member database (SQLite by default, PostgreSQL in production)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def describe_error(error: BaseException) -> str:
    """What a log may say about a failure: the exception's type (and the driver's, or an HTTP status), plus the
    first line of a connection failure's message. Never the rest: a database error's text carries the SQL
    parameters (visitor text, addresses) and an action server's error reply carries the whole tracker."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    described = type(error).__name__
    original = getattr(error, "orig", None)
    if original is not None:
        described += f" ({type(original).__module__}.{type(original).__name__})"
        message = str(original).strip()
        if message and isinstance(error, (OperationalError, InterfaceError)) and not getattr(error, "statement", None):
            described += ": " + message.splitlines()[0][:200]
    status = getattr(error, "status", None)
    if isinstance(status, int):
        described += f" (HTTP {status})"
    return described


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout because Rasa writes the same file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=5)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine per database URL per process."""
    return make_engine(url)


def session_factory(url: str) -> sessionmaker[Session]:
    """A sessionmaker bound to the database at `url`."""
    return sessionmaker(engine_for(url), future=True, expire_on_commit=False)


def reachable(url: str, timeout: float = 2.0) -> bool:
    """Whether the database answers a trivial query now (readiness checks: a process without it takes no traffic)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine_for(url).connect() as connection:
            connection.execute(text("SELECT 1"), execution_options={"timeout": timeout})
    except DBAPIError:
        return False
    return True
