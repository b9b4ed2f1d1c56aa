"""FirstStop settings: the one place configuration is read from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with embedded defaults that run on a fresh machine."""

    var_dir: Path
    database_url: str
    knowledge_dir: Path
    knowledge_cache_dir: Path
    spool_dir: Path
    mail_dir: Path
    rasa_url: str
    console_url: str
    secret_key: str
    secure_cookies: bool
    smtp_host: str
    smtp_port: int
    smtp_security: str  # "none", "starttls" or "ssl"
    smtp_user: str
    smtp_password: str
    smtp_timeout: float
    mail_from: str
    general_inbox: str
    working_days: tuple[int, ...]  # ISO weekdays, Monday = 1
    working_start: time
    working_end: time
    timezone: str
    reply_within_hours: int
    retention_days: int
    max_message_length: int
    privacy_notice_version: str
    send_max_attempts: int
    languages: tuple[str, ...] = field(default=("en", "fr", "de"))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process from the environment."""
    var_dir = Path(_env("FIRSTSTOP_VAR", str(ROOT / "var"))).resolve()
    return Settings(
        var_dir=var_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'firststop.db'}"),
        knowledge_dir=Path(_env("KNOWLEDGE_DIR", str(ROOT / "knowledge"))).resolve(),
        knowledge_cache_dir=Path(_env("KNOWLEDGE_CACHE", str(ROOT / "var" / "cache"))).resolve(),
        spool_dir=var_dir / "spool",
        mail_dir=Path(_env("MAIL_DIR", str(var_dir / "mail"))).resolve(),
        rasa_url=_env("RASA_URL", "http://localhost:5005"),
        console_url=_env("CONSOLE_URL", "http://localhost:8000"),
        secret_key=_env("SECRET_KEY", "dev-only-change-me"),
        secure_cookies=_env("SECURE_COOKIES", "0") == "1",
        smtp_host=_env("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(_env("SMTP_PORT", "8025")),
        smtp_security=_env("SMTP_SECURITY", "none"),
        smtp_user=_env("SMTP_USER", ""),
        smtp_password=_env("SMTP_PASSWORD", ""),
        smtp_timeout=float(_env("SMTP_TIMEOUT", "10")),
        mail_from=_env("MAIL_FROM", "FirstStop assistant <firststop@example.org>"),
        general_inbox=_env("GENERAL_INBOX", "info@example.org"),
        working_days=tuple(int(d) for d in _env("WORKING_DAYS", "1,2,3,4,5").split(",")),
        working_start=_time(_env("WORKING_START", "08:30")),
        working_end=_time(_env("WORKING_END", "17:30")),
        timezone=_env("TIMEZONE", "Europe/Luxembourg"),
        reply_within_hours=int(_env("REPLY_WITHIN_HOURS", "4")),
        retention_days=int(_env("RETENTION_DAYS", "180")),
        max_message_length=int(_env("MAX_MESSAGE_LENGTH", "1000")),
        privacy_notice_version=_env("PRIVACY_NOTICE_VERSION", "2026-11"),
        # Temporary SMTP failures are retried for about two days (backoff 30 s doubling to 15 min).
        send_max_attempts=int(_env("SEND_MAX_ATTEMPTS", "200")),
    )
