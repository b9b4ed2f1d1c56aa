"""The advisor console (Flask): login, enquiries, transcripts, hand-offs; also serves the demo page and widget."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, g, render_template, request

from firststop.settings import get_settings, secret_key
from members.db import session_factory

# Console pages may only load the console's own files; nothing may frame them.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


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
        self.IDLE_TIMEOUT = timedelta(hours=8)
        self.RASA_URL = settings.rasa_url
        self.MAIL_DIR = settings.mail_dir
        self.LANGUAGES = settings.languages
        self.PAGE_SIZE = 50


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app factory; `config` overrides settings (tests pass their own database)."""
    app = Flask(__name__)
    app.config.from_object(Config((config or {}).get("SECRET_KEY")))
    app.config.update(config or {})

    # Registered first so that every other before-request function finds the session.
    @app.before_request
    def open_session() -> None:
        """One database session per request."""
        g.db = session_factory(app.config["DATABASE_URL"])()

    from console import (
        admin,
        auth,
        cli,
        dashboard,
        handoffs,
        improve,
        people,
        public,
        views,
    )

    for blueprint in (public.bp, auth.bp, views.bp, views.links, people.bp, handoffs.bp, improve.bp, dashboard.bp,
                      admin.bp):
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
