"""Admin pages: console accounts (list, create, reset a password, disable, enable) and privacy requests
(export or erase what the agency holds about a person, with members.privacy)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from console import accounts
from console.auth import admin_required
from members.enquiries import normalise_email
from members.models import Advisor, StaffUser
from members.privacy import erase_person, export_person

bp = Blueprint("admin", __name__, url_prefix="/console")


@bp.route("/accounts")
@admin_required
def account_list():
    """Every console account with its role, advisor and state."""
    users = g.db.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    advisors = {a.id: a.name for a in g.db.scalars(select(Advisor))}
    return render_template("accounts.html", users=users, advisors=advisors, disabled=accounts.disabled_ids(g.db),
                           roles=accounts.ROLES)


def _shown_once(new: accounts.NewPassword, what: str):
    """The new password, in this response only: it is not stored and not put in the session cookie."""
    g.db.commit()
    return render_template("password.html", new=new, what=what)


@bp.route("/accounts", methods=["POST"])
@admin_required
def account_create():
    """A new account with a random password, shown once and changed at first login."""
    try:
        new = accounts.create_account(g.db, request.form.get("email", ""), request.form.get("role", ""))
    except accounts.AccountError as error:
        g.db.rollback()
        flash(f"Not created: {error}.")
        return redirect(url_for("admin.account_list"))
    return _shown_once(new, "created")


def _user(user_id: int) -> StaffUser:
    user = g.db.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/accounts/<int:user_id>/reset", methods=["POST"])
@admin_required
def account_reset(user_id: int):
    """A new random password for the account, shown once: its sessions end and it is changed at next login."""
    return _shown_once(accounts.reset_password(g.db, _user(user_id)), "reset")


@bp.route("/accounts/<int:user_id>/disable", methods=["POST"])
@admin_required
def account_disable(user_id: int):
    """Stop the account from logging in and end its open sessions."""
    user = _user(user_id)
    try:
        accounts.disable(g.db, user, g.user)
    except accounts.AccountError as error:
        g.db.rollback()
        flash(f"Not disabled: {error}.")
    else:
        g.db.commit()
        flash(f"{user.email} is disabled.")
    return redirect(url_for("admin.account_list"))


@bp.route("/accounts/<int:user_id>/enable", methods=["POST"])
@admin_required
def account_enable(user_id: int):
    """Let a disabled account log in again."""
    user = _user(user_id)
    accounts.enable(g.db, user)
    g.db.commit()
    flash(f"{user.email} can log in again.")
    return redirect(url_for("admin.account_list"))


# --- privacy requests ---


def _email() -> str | None:
    email = normalise_email(request.form.get("email", ""))
    if email is None:
        flash("Type the person's e-mail address.")
    return email


@bp.route("/privacy")
@admin_required
def privacy():
    """Export or erase a person's data."""
    return render_template("privacy.html", result=None)


@bp.route("/privacy/export", methods=["POST"])
@admin_required
def privacy_export():
    """Everything held about the person, as a JSON file."""
    email = _email()
    if email is None:
        return redirect(url_for("admin.privacy"))
    data = export_person(g.db, email)
    body = json.dumps(data, default=str, indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename=privacy-export-{date.today().isoformat()}.json"
    return response


@bp.route("/privacy/erase", methods=["POST"])
@admin_required
def privacy_erase():
    """Erase the person, after the admin typed the address a second time to confirm."""
    email = _email()
    if email is None:
        return redirect(url_for("admin.privacy"))
    if normalise_email(request.form.get("confirm", "")) != email:
        flash("Nothing erased: type the same address in both boxes to confirm.")
        return redirect(url_for("admin.privacy"))
    # Also deletes the console's copies of their conversations, and their mails in the mail sink it shows.
    result = erase_person(g.db, email, mail_dir=Path(current_app.config["MAIL_DIR"]))
    g.db.commit()
    return render_template("privacy.html", result=result, email=email)
