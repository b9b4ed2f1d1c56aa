"""Public pages: the demo agency page with the chat widget, the widget's files, a health check, and the widget's
JSON endpoints (feedback on the bot's answers, advisors' replies). Those need no login: the conversation id, a
128-bit bearer id, is the credential; they set no cookie, allow only the configured origins (CORS) and are
rate-limited per client address."""
from __future__ import annotations

import logging
import re
from datetime import timezone

from flask import Blueprint, abort, current_app, g, jsonify, request, send_from_directory
from sqlalchemy import select

from console import review
from firststop.settings import ROOT
from firststop.visitors import RateLimit, client_key, is_conversation_id
from members.db import reachable
from members.models import StaffReply, as_utc

log = logging.getLogger(__name__)
bp = Blueprint("public", __name__)
WIDGET_DIR = ROOT / "web_widget"
WIDGET_FILE = re.compile(r"firststop\.(js|css)|src/[a-z0-9_]+\.js")
MAX_FEEDBACK_BYTES = 4096


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


# --- the widget's endpoints ---


def _limiter() -> RateLimit:
    """This process's per-address limit on the widget's endpoints (RATE_PER_ADDRESS a minute; 0 turns it off)."""
    limiter = current_app.extensions.get("firststop_api_limit")
    if limiter is None:
        limiter = current_app.extensions["firststop_api_limit"] = RateLimit(current_app.config["RATE_PER_ADDRESS"])
    return limiter


def _refusal(status: int, error: str, **headers: str):
    return jsonify({"error": error}), status, headers


@bp.before_request
def api_limits():
    """The widget's endpoints: preflights answered here, and every request counted per client address."""
    if not request.path.startswith("/api/"):
        return None
    if request.method == "OPTIONS":
        return "", 204
    limiter = _limiter()
    visitor = client_key(request.remote_addr or "", current_app.config["SECRET_KEY"].encode())
    wait = limiter.wait(visitor)
    if wait:
        if limiter.first_refusal(visitor):
            log.warning("api: client %s over %d requests a minute: refusing", visitor[:12],
                        current_app.config["RATE_PER_ADDRESS"])
        seconds = str(max(1, int(wait + 0.999)))
        return _refusal(429, "too many requests; wait a moment", **{"Retry-After": seconds})
    limiter.take(visitor)
    return None


@bp.after_request
def api_cors(response):
    """Only the configured origins' pages may read the widget's endpoints, never with credentials."""
    if request.path.startswith("/api/"):
        origin = request.headers.get("Origin")
        response.headers.add("Vary", "Origin")
        if origin and origin in current_app.config["CORS_ORIGINS"]:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Set-Cookie", None)  # a bearer id is the credential; no cookie is ever set
    return response


@bp.route("/api/feedback", methods=["POST", "OPTIONS"])
def feedback():
    """A visitor's thumbs up or down (or null to withdraw it), with an optional comment, on one bot message:
    {"conversation", "index", "hash", "vote", "comment"}; 204 when kept."""
    if request.content_length and request.content_length > MAX_FEEDBACK_BYTES:
        return _refusal(413, "the request is too large")
    data = request.get_json(silent=True) if request.mimetype == "application/json" else None
    if not isinstance(data, dict):
        return _refusal(400, "send a JSON object with Content-Type: application/json")
    conversation, index, digest = data.get("conversation"), data.get("index"), data.get("hash")
    if not is_conversation_id(conversation):
        return _refusal(400, "'conversation' must be the chat's random session id")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 100_000:
        return _refusal(400, "'index' must be the message's place among the bot's messages")
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{8}", digest):
        return _refusal(400, "'hash' must be the message's text hash (8 hex digits)")
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        return _refusal(400, "'comment' must be a string")
    try:
        kept = review.record_feedback(g.db, conversation, index, digest, data.get("vote"), comment)
    except review.FeedbackError as error:
        g.db.rollback()
        status = 404 if "no such" in str(error) else 400
        return _refusal(status, str(error))
    g.db.commit()
    log.info("feedback on conversation %s: %s", conversation, kept.vote if kept else "withdrawn")
    return "", 204


@bp.route("/api/conversations/<conversation_id>/replies", methods=["GET", "OPTIONS"])
def replies(conversation_id: str):
    """What advisors wrote to the visitor of this conversation from the console, oldest first."""
    if not is_conversation_id(conversation_id):
        return _refusal(400, "not a conversation id")
    rows = g.db.scalars(select(StaffReply).where(StaffReply.conversation_id == conversation_id)
                        .order_by(StaffReply.id)).all()
    return jsonify({"replies": [
        {"id": r.id, "from": r.signed, "text": r.body,
         "at": as_utc(r.created_at).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")} for r in rows
    ]})
