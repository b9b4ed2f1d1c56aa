"""The advisor console (Flask): login, enquiries, transcripts, hand-offs; also serves the demo page and widget."""
from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template

from firststop.settings import get_settings
from members.db import session_factory


class Config:
    """Console configuration, read from the FirstStop settings."""

    def __init__(self) -> None:
        settings = get_settings()
        self.SECRET_KEY = settings.secret_key
        self.DATABASE_URL = settings.database_url
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = settings.secure_cookies
        self.RASA_URL = settings.rasa_url
        self.MAIL_DIR = settings.mail_dir
        self.PAGE_SIZE = 50


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The app factory; `config` overrides settings (tests pass their own database)."""
    app = Flask(__name__)
    app.config.from_object(Config())
    app.config.update(config or {})

    from console import auth, cli, public, views

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    cli.register(app)

    @app.before_request
    def open_session() -> None:
        g.db = session_factory(app.config["DATABASE_URL"])()

    @app.teardown_appcontext
    def close_session(error: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            if error is not None:
                db.rollback()
            db.close()

    @app.errorhandler(404)
    def not_found(error):
        return render_template("error.html", message="Page not found."), 404

    @app.errorhandler(500)
    def server_error(error):
        db = g.get("db")
        if db is not None:
            db.rollback()
        return render_template("error.html", message="Something went wrong; it has been logged."), 500

    return app
