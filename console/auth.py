"""Staff login: hashed passwords, CSRF tokens on every form, a lockout after repeated failures."""
from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from members.models import StaffUser

bp = Blueprint("auth", __name__, url_prefix="/console")

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.app_context_processor
def inject() -> dict:
    return {"csrf_token": csrf_token, "current_user": g.get("user")}


@bp.before_app_request
def check_csrf_and_load_user() -> None:
    if request.method == "POST":
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, "CSRF token missing or wrong")
    user_id = session.get("user_id")
    g.user = g.db.get(StaffUser, user_id) if user_id else None


def login_required(view):
    """Redirect to the login page unless a staff member is logged in."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """Only admins; others get 403."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if g.user.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        user = g.db.scalars(select(StaffUser).where(StaffUser.email == email)).first()
        now = datetime.now(timezone.utc)
        if user and _aware(user.locked_until) and _aware(user.locked_until) > now:
            flash("Too many failed attempts: this account is locked for a few minutes.")
        elif user and check_password_hash(user.password_hash, password):
            user.failed_logins, user.locked_until = 0, None
            g.db.commit()
            session.clear()
            session["user_id"] = user.id
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/console") else url_for("views.inbox"))
        else:
            if user:
                user.failed_logins += 1
                if user.failed_logins >= MAX_FAILURES:
                    user.locked_until, user.failed_logins = now + LOCKOUT, 0
                g.db.commit()
            flash("Wrong e-mail or password.")
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
