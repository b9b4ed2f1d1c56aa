"""Improve the bot: flag a visitor message with the intent it should have had, list the flags, and export
them as Rasa NLU training data (YAML) ready to add under bot/nlu/."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from console import DB_INT_MAX, review
from members.models import FlaggedMessage

bp = Blueprint("improve", __name__, url_prefix="/console")


@bp.route("/flags", methods=["GET"])
def flags():
    """Every flagged message, newest first, with a link to its conversation."""
    rows = g.db.scalars(
        select(FlaggedMessage).options(joinedload(FlaggedMessage.staff)).order_by(FlaggedMessage.flagged_at.desc())
    ).all()
    return render_template("flags.html", flags=rows)


@bp.route("/flags", methods=["POST"])
def flag():
    """Flag one visitor message (by its event id) with the intent it should have had."""
    conversation_id = request.form.get("conversation_id", "")
    try:
        event_id = int(request.form.get("event_id", ""))
        if not 0 < event_id <= DB_INT_MAX:
            raise ValueError("no such message")
        review.flag_message(g.db, event_id, request.form.get("intent", ""), g.user, review.domain_intents())
    except ValueError as error:  # a malformed event id, or a ReviewError
        g.db.rollback()
        flash(f"Not flagged: {error}.")
        event_id = 0
    else:
        g.db.commit()
        flash("Message flagged; it will be in the next training data export.")
    if conversation_id:
        return redirect(url_for("views.conversation", conversation_id=conversation_id) + f"#m{event_id}")
    return redirect(url_for("improve.flags"))


@bp.route("/flags/<int:flag_id>/delete", methods=["POST"])
def unflag(flag_id: int):
    """Withdraw a flag."""
    found = g.db.get(FlaggedMessage, flag_id)
    if found is None:
        abort(404)
    g.db.delete(found)
    g.db.commit()
    flash("Flag withdrawn.")
    return redirect(url_for("improve.flags"))


@bp.route("/flags/nlu.yml")
def export():
    """The flagged messages as a Rasa NLU YAML file (version 3.1), grouped by their intended intent."""
    rows = g.db.execute(select(FlaggedMessage.correct_intent, FlaggedMessage.text).order_by(FlaggedMessage.id)).all()
    response = Response(review.nlu_yaml(rows), mimetype="application/x-yaml")
    response.headers["Content-Disposition"] = "attachment; filename=flagged_nlu.yml"
    return response
