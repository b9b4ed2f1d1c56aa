"""Public pages: the demo agency page with the chat widget, the widget's files, and a health check."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, send_from_directory

from firststop.settings import ROOT
from members.db import reachable

bp = Blueprint("public", __name__)
WIDGET_DIR = ROOT / "web_widget"
WIDGET_FILE = re.compile(r"firststop\.(js|css)|src/[a-z0-9_]+\.js")


@bp.route("/")
def demo():
    """A page that looks like the agency's site, with the widget embedded by one script tag."""
    page = (WIDGET_DIR / "demo.html").read_text(encoding="utf-8")
    return page.replace("http://localhost:5005", current_app.config["RASA_URL"])


@bp.route("/widget/<path:filename>")
def widget(filename: str):
    """The widget's own files only: not its tests, README or node_modules (axe-core for the tests)."""
    if not WIDGET_FILE.fullmatch(filename):
        abort(404)
    return send_from_directory(WIDGET_DIR, filename, max_age=300)


@bp.route("/healthz")
def healthz():
    """Liveness: the process answers."""
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    """Readiness for the load balancer and the launcher: 503 while the database does not answer."""
    if not reachable(current_app.config["DATABASE_URL"]):
        return {"status": "database unreachable"}, 503
    return {"status": "ready"}
