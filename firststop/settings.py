"""FirstStop settings: the one place configuration is read from the environment."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import time
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(RuntimeError):
    """The configuration can't be used as it is; the message says what to set."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _origin(url: str) -> str:
    """'https://host:8000/path' → 'https://host:8000'."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


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
    production: bool  # FIRSTSTOP_ENV=production or an https CONSOLE_URL: no embedded secret, https cookies
    secret_key_env: str  # SECRET_KEY as given; use secret_key(), which also knows var/secret-key
    secure_cookies: bool
    session_idle_minutes: int
    session_max_hours: int
    login_max_failures: int
    login_lockout_minutes: int
    # Limits; 0 turns one off (the benchmark and the tests that need volume do so explicitly).
    rate_per_address: int  # chat messages per client address per minute
    rate_per_conversation: int  # chat messages per conversation per minute
    staff_mails_per_address_hour: int  # beyond it enquiries are logged but their e-mails held for staff
    max_request_bytes: int
    cors_origins: tuple[str, ...]  # origins whose pages may talk to the chat channel
    trusted_proxies: tuple[str, ...]  # addresses whose X-Forwarded-For is believed
    action_server_token: str  # required by the action server when it listens beyond loopback
    console_workers: int  # gunicorn worker processes for the console
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
    remind_general_after_hours: int  # working hours after an unacknowledged reply's due time: the general inbox is told
    retention_days: int
    max_message_length: int
    privacy_notice_version: str
    send_max_attempts: int
    languages: tuple[str, ...] = field(default=("en", "fr", "de", "lb"))  # conversations, contacts, the inbox filter


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process from the environment."""
    var_dir = Path(_env("FIRSTSTOP_VAR", str(ROOT / "var"))).resolve()
    console_url = _env("CONSOLE_URL", "http://localhost:8000")
    production = _env("FIRSTSTOP_ENV", "development") == "production" or console_url.startswith("https://")
    return Settings(
        var_dir=var_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'firststop.db'}"),
        knowledge_dir=Path(_env("KNOWLEDGE_DIR", str(ROOT / "knowledge"))).resolve(),
        knowledge_cache_dir=Path(_env("KNOWLEDGE_CACHE", str(ROOT / "var" / "cache"))).resolve(),
        spool_dir=var_dir / "spool",
        mail_dir=Path(_env("MAIL_DIR", str(var_dir / "mail"))).resolve(),
        rasa_url=_env("RASA_URL", "http://localhost:5005"),
        console_url=console_url,
        production=production,
        secret_key_env=_env("SECRET_KEY", ""),
        secure_cookies=_env("SECURE_COOKIES", "1" if console_url.startswith("https://") else "0") == "1",
        session_idle_minutes=int(_env("SESSION_IDLE_MINUTES", "480")),
        session_max_hours=int(_env("SESSION_MAX_HOURS", "12")),
        login_max_failures=int(_env("LOGIN_MAX_FAILURES", "5")),
        login_lockout_minutes=int(_env("LOGIN_LOCKOUT_MINUTES", "15")),
        rate_per_address=int(_env("RATE_PER_ADDRESS", "60")),
        rate_per_conversation=int(_env("RATE_PER_CONVERSATION", "20")),
        staff_mails_per_address_hour=int(_env("STAFF_MAILS_PER_ADDRESS_HOUR", "5")),
        max_request_bytes=int(_env("MAX_REQUEST_BYTES", "65536")),
        cors_origins=_list(_env("CORS_ORIGINS", _origin(console_url))),
        trusted_proxies=_list(_env("TRUSTED_PROXIES", "")),
        action_server_token=_env("ACTION_SERVER_TOKEN", ""),
        console_workers=int(_env("CONSOLE_WORKERS", "2")),
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
        remind_general_after_hours=int(_env("REMIND_GENERAL_AFTER_HOURS", "4")),
        retention_days=int(_env("RETENTION_DAYS", "180")),
        max_message_length=int(_env("MAX_MESSAGE_LENGTH", "1000")),
        privacy_notice_version=_env("PRIVACY_NOTICE_VERSION", "2026-11"),
        # Temporary SMTP failures are retried for about two days (backoff 30 s doubling to 15 min).
        send_max_attempts=int(_env("SEND_MAX_ATTEMPTS", "200")),
    )


def secret_key(settings: Settings | None = None) -> str:
    """The key that signs console sessions (and keys the client-address hashes); never a known default.

    SECRET_KEY from the environment when set. In production it must be set and strong, or this refuses.
    Otherwise (`make run` on one machine) a random key made on first use and kept in var/secret-key,
    readable by its owner only.
    """
    settings = settings or get_settings()
    given = settings.secret_key_env
    if given and len(given) >= MIN_SECRET_KEY_LENGTH:
        return given
    how = (f"set SECRET_KEY to at least {MIN_SECRET_KEY_LENGTH} random characters, for example with\n"
           "  export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')")
    if given:
        raise SettingsError(f"SECRET_KEY is too short to be safe: {how}")
    if settings.production:
        raise SettingsError(f"FirstStop is configured for production and has no SECRET_KEY: {how}")
    path = settings.var_dir / "secret-key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        settings.var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_urlsafe(48)
        try:  # created owner-only in one step; if another process won the race, read its key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(key + "\n")
        except FileExistsError:
            key = path.read_text().strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(f"{path} holds no usable key: delete it to have a new one made, or {how}")
    return key
