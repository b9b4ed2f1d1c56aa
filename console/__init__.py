"""The advisor console (Flask): login, enquiries, transcripts, hand-offs; also serves the demo page and widget.
May import firststop (settings, visitor helpers), bot_texts, knowledge, members and handoff."""
from __future__ import annotations

import ipaddress
from typing import Any

from flask import Flask, g, render_template, request
from werkzeug.routing import IntegerConverter

from firststop.settings import get_settings, secret_key
from members.db import session_factory

# Console pages may only load the console's own files; nothing may frame them.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
# The largest id the database's integer columns hold (PostgreSQL's integer; SQLite's is wider).
DB_INT_MAX = 2**31 - 1


class DatabaseInteger(IntegerConverter):
    """`<int:...>` in every console URL: a number the database can hold, so a bigger one is a 404, not a 500."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, default: int, lowest: int = 1, highest: int = DB_INT_MAX) -> int:
    """An integer query parameter (a page number, say), clamped to what the database can take."""
    return min(max(lowest, request.args.get(name, default, type=int)), highest)


class TrustedProxies:
    """WSGI middleware: believe X-Forwarded-For only when the direct peer is a configured proxy; the client
    is then the right-most address in the header that is not itself a trusted proxy."""

    def __init__(self, app, proxies: tuple[str, ...]) -> None:
        self.app = app
        self.networks = tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)

    def trusted(self, address: str) -> bool:
        """Whether `address` is one of the configured proxies."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        """Replace REMOTE_ADDR with the client's address when a trusted proxy forwarded the request."""
        peer = environ.get("REMOTE_ADDR", "")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and self.trusted(peer):
            for hop in reversed([part.strip() for part in forwarded.split(",")]):
                if not self.trusted(hop):
                    try:
                        environ["REMOTE_ADDR"] = str(ipaddress.ip_address(hop))
                    except ValueError:  # a garbled hop: stop believing the header there
                        pass
                    break
        return self.app(environ, start_response)


class Config:
    """Console configuration, read from the FirstStop settings."""

    def __init__(self, secret: str | None = None) -> None:
        settings = get_settings()
        self.SECRET_KEY = secret or secret_key(settings)
        self.DATABASE_URL = settings.database_url
        self.SESSION_COOKIE_NAME = "firststop_console"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = settings.secure_cookies
        self.SESSION_IDLE_MINUTES = settings.session_idle_minutes  # 0 turns a limit off
        self.SESSION_MAX_HOURS = settings.session_max_hours
        self.LOGIN_MAX_FAILURES = settings.login_max_failures
        self.LOGIN_LOCKOUT_MINUTES = settings.login_lockout_minutes
        self.TRUSTED_PROXIES = settings.trusted_proxies
        # The first-run admin password `make run` prints while this file exists; removed once it is changed.
        self.ADMIN_PASSWORD_FILE = settings.var_dir / "admin-password.txt"
        self.RASA_URL = settings.rasa_url
        self.MAIL_DIR = settings.mail_dir
        self.LANGUAGES = settings.languages
        self.TIMEZONE = settings.timezone  # the agency's: reply due times are shown in it
        self.CORS_ORIGINS = settings.cors_origins  # pages whose widget may use the public JSON endpoints
        self.RATE_PER_ADDRESS = settings.rate_per_address  # those endpoints' requests per client address a minute
        self.GENERAL_INBOX = settings.general_inbox  # Reply-To of an advisor's reply when the enquiry has no advisor
        self.PAGE_SIZE = 50


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app factory; `config` overrides settings (tests pass their own database)."""
    app = Flask(__name__)
    app.config.from_object(Config((config or {}).get("SECRET_KEY")))
    app.config.update(config or {})
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = TrustedProxies(app.wsgi_app, tuple(app.config["TRUSTED_PROXIES"]))
    app.url_map.converters["int"] = DatabaseInteger  # before any blueprint adds an <int:...> route

    # Registered first so that every other before-request function finds the session.
    @app.before_request
    def open_session() -> None:
        """One database session per request."""
        g.db = session_factory(app.config["DATABASE_URL"])()

    from console import (
        admin,
        auth,
        cli,
        content,
        dashboard,
        handoffs,
        improve,
        people,
        public,
        replies,
        views,
    )

    for blueprint in (public.bp, auth.bp, views.bp, views.links, people.bp, handoffs.bp, improve.bp, dashboard.bp,
                      admin.bp, content.bp, replies.bp):
        app.register_blueprint(blueprint)
    cli.register(app)

    @app.teardown_appcontext
    def close_session(error: BaseException | None) -> None:
        """Roll back what a failed request wrote, and close the session."""
        db = g.pop("db", None)
        if db is not None:
            if error is not None:
                db.rollback()
            db.close()

    @app.after_request
    def security_headers(response):
        """Console pages: no framing, only the console's own files, never cached."""
        if request.path.startswith("/console"):
            response.headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if app.config["SESSION_COOKIE_SECURE"]:  # served over https: browsers must never fall back to http
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    @app.errorhandler(400)
    def bad_request(error):
        """A form without its CSRF token, or another malformed request."""
        return render_template("error.html", message=getattr(error, "description", "Bad request.")), 400

    @app.errorhandler(403)
    def forbidden(error):
        """An advisor on an admin page."""
        return render_template("error.html", message="Only administrators can open this page."), 403

    @app.errorhandler(404)
    def not_found(error):
        """No such page or record."""
        return render_template("error.html", message="Page not found."), 404

    @app.errorhandler(500)
    def server_error(error):
        """Roll back and show a plain page; the details go to the log, not the browser."""
        db = g.get("db")
        if db is not None:
            db.rollback()
        return render_template("error.html", message="Something went wrong; it has been logged."), 500

    return app
