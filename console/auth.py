"""Staff login: every console page needs a logged-in account; server-side sessions (idle and absolute
lifetime, ended by logout, a password change or reset, or disabling), CSRF tokens on every form, a lockout
per account and client address, and a forced password change after a password nobody chose."""
from __future__ import annotations

import functools
import hashlib
import secrets
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
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from console import accounts
from members.models import LoginThrottle, StaffSession, StaffUser, as_utc

bp = Blueprint("auth", __name__, url_prefix="/console")

# Pages anyone may open: the login page, the console's CSS, and the public demo page, widget and health check.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
PUBLIC_BLUEPRINTS = frozenset({"public"})
# What an account that must change its password may still open.
CHANGE_PASSWORD_ENDPOINTS = frozenset({"auth.change_password", "auth.logout"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SEEN_EVERY = timedelta(minutes=1)  # how stale a session's seen_at may get before it is written again
THROTTLE_KEPT = timedelta(days=1)  # failure counts untouched this long are forgotten
# Checked against when the e-mail is unknown, so a wrong address costs what a wrong password does
# (werkzeug's default scrypt parameters; no password matches it).
_DUMMY_HASH = "scrypt:32768:8:1$0000000000000000$" + "0" * 128
# One reply for an unknown account, a wrong password and a locked (account, address): it reveals nothing.
LOGIN_REFUSED = ("Wrong e-mail or password. After several failed attempts, logging in to that account "
                 "from here pauses for a few minutes.")


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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _limit(key: str, unit: str) -> timedelta | None:
    """A lifetime from the config (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS); None when 0 turns it off."""
    amount = current_app.config[key]
    return timedelta(**{unit: amount}) if amount > 0 else None


def start_session(user: StaffUser) -> None:
    """Log `user` in on this browser: a new server-side session whose random token is all the cookie holds."""
    token = secrets.token_urlsafe(32)
    g.db.add(StaffSession(id=_digest(token), staff_user_id=user.id))
    session.clear()  # a fresh cookie and CSRF token on every login
    session["token"] = token
    session["csrf"] = secrets.token_urlsafe(32)


def _end_this_session(message: str | None = None) -> None:
    token = session.get("token")
    if token:
        g.db.execute(delete(StaffSession).where(StaffSession.id == _digest(token)),
                     execution_options={"synchronize_session": False})
        g.db.commit()
    session.clear()
    if message:
        flash(message)


def _load_user() -> StaffUser | None:
    """The account of this request's session, if the session is still alive on the server."""
    token = session.get("token")
    if not isinstance(token, str):  # not logged in (a cookie from before server-side sessions counts as none)
        return None
    row = g.db.get(StaffSession, _digest(token))
    if row is None:  # logged out, revoked, or never issued
        session.clear()
        return None
    now = datetime.now(timezone.utc)
    idle, lifetime = _limit("SESSION_IDLE_MINUTES", "minutes"), _limit("SESSION_MAX_HOURS", "hours")
    if idle is not None and now - as_utc(row.seen_at) > idle:
        _end_this_session("You were logged out after a long time without activity.")
        return None
    if lifetime is not None and now - as_utc(row.created_at) > lifetime:
        _end_this_session("Your session has ended; please log in again.")
        return None
    user = g.db.get(StaffUser, row.staff_user_id)
    if user is None or accounts.is_disabled(g.db, user):
        _end_this_session()
        return None
    if now - as_utc(row.seen_at) > SEEN_EVERY:
        row.seen_at = now
        g.db.commit()
    return user


@bp.before_app_request
def require_login_and_csrf():
    """Default deny: every page except the public ones needs a logged-in account; every POST a CSRF token;
    an account with a password nobody chose sees only the change-password page."""
    g.user = _load_user()
    if g.user is None and not is_public(request.endpoint):
        if request.method in SAFE_METHODS:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("auth.login"))
    # The public blueprint's JSON endpoints take no cookie (a conversation's bearer id is their credential):
    # nothing for a forged cross-site request to ride on, so no CSRF token either.
    if request.method not in SAFE_METHODS and request.blueprint not in PUBLIC_BLUEPRINTS:
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, "The form had expired or did not come from this console; please try again.")
    if (g.user is not None and g.user.must_change_password and not is_public(request.endpoint)
            and request.endpoint not in CHANGE_PASSWORD_ENDPOINTS):
        return redirect(url_for("auth.change_password"))
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


def _throttle_key(email: str) -> str:
    """Failures are counted per account and client address (a hash of both), never per account alone."""
    return _digest(f"{email}|{request.remote_addr}")


def _count_failure(key: str, row: LoginThrottle | None, now: datetime) -> None:
    """One more failure; at the limit the pair is locked out for a while (limits 0 turn the lockout off)."""
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        g.db.add(row)
    limit, minutes = current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCKOUT_MINUTES"]
    row.failures += 1
    row.updated_at = now
    if limit > 0 and minutes > 0 and row.failures >= limit:
        row.locked_until, row.failures = now + timedelta(minutes=minutes), 0
    g.db.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < now - THROTTLE_KEPT),
                 execution_options={"synchronize_session": False})
    try:
        g.db.commit()
    except IntegrityError:  # a concurrent first failure for the same pair created the row; one count is lost
        g.db.rollback()


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success a new server-side session, else a count towards this address's lockout."""
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        user = g.db.scalars(select(StaffUser).where(StaffUser.email == email)).first()
        now = datetime.now(timezone.utc)
        key = _throttle_key(email)
        throttle = g.db.get(LoginThrottle, key)
        locked = throttle is not None and throttle.locked_until is not None and as_utc(throttle.locked_until) > now
        # Exactly one password check on every path, so the answer's timing tells nothing either.
        right = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
        if user is not None and right and not locked:
            if accounts.is_disabled(g.db, user):
                flash("This account is disabled; ask an administrator.")
                return render_template("login.html"), 403
            if throttle is not None:
                g.db.delete(throttle)
            start_session(user)
            g.db.commit()
            return redirect(safe_next(request.args.get("next", "")))
        if not locked:
            _count_failure(key, throttle, now)
        flash(LOGIN_REFUSED)
        return render_template("login.html"), 401
    if g.get("user") is not None:
        return redirect(url_for("views.inbox"))
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    """End this session on the server (a POST with the CSRF token, so no other site can log staff out)."""
    _end_this_session("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """The logged-in person changes their password; every other session of the account ends."""
    if request.method == "POST":
        user = g.user
        new = request.form.get("password", "")
        if new != request.form.get("repeat", ""):
            flash("Not changed: the two new passwords differ.")
            return render_template("change_password.html"), 400
        first_run_file = current_app.config["ADMIN_PASSWORD_FILE"]
        was_first_run = accounts.holds_password_of(first_run_file, user)
        try:
            accounts.change_password(g.db, user, request.form.get("current", ""), new)
        except accounts.AccountError as error:
            g.db.rollback()
            flash(f"Not changed: {error}.")
            return render_template("change_password.html"), 400
        start_session(user)  # this browser stays logged in; every other session has ended
        g.db.commit()
        if was_first_run:  # the launcher prints that password only while the file exists
            first_run_file.unlink(missing_ok=True)
        current_app.logger.info("staff user %s changed their password", user.id)
        flash("Password changed. Every other session of this account has been logged out.")
        return redirect(url_for("views.inbox"))
    return render_template("change_password.html")
