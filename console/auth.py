"""Staff login: every console page needs a logged-in account; hashed passwords, CSRF tokens on every form,
a lockout after repeated failures, disabled accounts and idle sessions logged out."""
from __future__ import annotations

import functools
import secrets
import time
from datetime import datetime, timedelta, timezone

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.security import check_password_hash

from console.accounts import is_disabled
from members.models import StaffUser, as_utc

bp = Blueprint("auth", __name__, url_prefix="/console")

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
# Pages anyone may open: the login page, the console's CSS, and the public demo page, widget and health check.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
PUBLIC_BLUEPRINTS = frozenset({"public"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Checked against when the e-mail is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = "scrypt:32768:8:1$0000000000000000$" + "0" * 128


@bp.app_template_global()
def csrf_token() -> str:
    """The session's CSRF token, created on first use (a template global, so macros can use it too)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.app_context_processor
def inject() -> dict:
    """Templates see the logged-in account as `current_user`."""
    return {"current_user": g.get("user")}


def is_public(endpoint: str | None) -> bool:
    """Whether a page may be opened without logging in; unknown URLs fall through to the 404 page."""
    if endpoint is None:
        return True
    return endpoint in PUBLIC_ENDPOINTS or endpoint.split(".", 1)[0] in PUBLIC_BLUEPRINTS


def _load_user() -> StaffUser | None:
    user_id = session.get("user_id")
    if not user_id:
        return None
    seen = session.get("seen", 0)
    if time.time() - seen > current_app.config["IDLE_TIMEOUT"].total_seconds():
        session.clear()
        flash("You were logged out after a long time without activity.")
        return None
    user = g.db.get(StaffUser, user_id)
    if user is None or is_disabled(g.db, user):
        session.clear()
        return None
    session["seen"] = int(time.time())
    return user


@bp.before_app_request
def require_login_and_csrf():
    """Default deny: every page except the public ones needs a logged-in account; every POST a CSRF token."""
    g.user = _load_user()
    if g.user is None and not is_public(request.endpoint):
        if request.method in SAFE_METHODS:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("auth.login"))
    if request.method not in SAFE_METHODS:
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, "The form had expired or did not come from this console; please try again.")
    return None


def admin_required(view):
    """Only admins; others get 403."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None or g.user.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str) -> str:
    """Where to go after logging in: only a console path (or a hand-off e-mail's link), never another site."""
    if target.startswith(("/console", "/conversations/")) and "\\" not in target:
        return target
    return url_for("views.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success a fresh session, else a count towards the lockout."""
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        user = g.db.scalars(select(StaffUser).where(StaffUser.email == email)).first()
        now = datetime.now(timezone.utc)
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            flash("Wrong e-mail or password.")
        elif as_utc(user.locked_until) and as_utc(user.locked_until) > now:
            flash("Too many failed attempts: this account is locked for a few minutes.")
        elif check_password_hash(user.password_hash, password):
            if is_disabled(g.db, user):
                flash("This account is disabled; ask an administrator.")
                return render_template("login.html"), 403
            user.failed_logins, user.locked_until = 0, None
            g.db.commit()
            session.clear()  # a fresh session (and CSRF token) on every login
            session["user_id"] = user.id
            session["seen"] = int(time.time())
            return redirect(safe_next(request.args.get("next", "")))
        else:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until, user.failed_logins = now + LOCKOUT, 0
            g.db.commit()
            flash("Wrong e-mail or password.")
        return render_template("login.html"), 401
    if g.get("user") is not None:
        return redirect(url_for("views.inbox"))
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session (a POST with the CSRF token, so no other site can log staff out)."""
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
