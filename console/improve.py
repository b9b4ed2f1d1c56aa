"""Improve the bot: the review queue (turns the bot was not sure about, understood with low confidence, or whose
answer got a thumbs down), one turn's review (wrong answer, wrong cluster, stale content, misunderstood intent, or
nothing wrong), the list of flags, and their export as Rasa NLU training data without personal details."""
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
from members.models import Cluster, FlaggedMessage

bp = Blueprint("improve", __name__, url_prefix="/console")


@bp.route("/review")
def queue():
    """The turns waiting for review, newest first; ?reason=unsure, low or down shows one kind."""
    reason = request.args.get("reason")
    reason = reason if reason in review.QUEUE_REASONS else None
    return render_template("review_queue.html", items=review.review_queue(g.db, reason), reason=reason,
                           reasons=review.QUEUE_REASONS)


@bp.route("/review/turns/<int:event_id>")
def turn(event_id: int):
    """One turn as the visitor saw it, what the bot understood and answered, and the review form."""
    found = review.read_turn(g.db, event_id)
    if found is None:
        abort(404)
    flag = g.db.scalars(select(FlaggedMessage).options(joinedload(FlaggedMessage.revision))
                        .where(FlaggedMessage.event_id == event_id)).first()
    return render_template(
        "review_turn.html", turn=found, flag=flag, labels=review.FLAG_LABELS, entries=review.entry_choices(g.db),
        clusters=g.db.scalars(select(Cluster).order_by(Cluster.name)).all(), intents=review.domain_intents(),
        votes=review.feedback_by_event(g.db, found.conversation_id), max_note=review.MAX_FLAG_NOTE)


DONE = {
    "wrong_answer": "Flagged as a wrong answer: the visitor's words are now an example of the right entry, published; "
                    "the assistant uses it within seconds.",
    "wrong_cluster": "Flagged as a wrong cluster: the visitor's words are now an example of the right cluster, "
                     "published; routing uses it within seconds.",
    "stale": "Flagged as stale content: the entry is marked for review and its owner is reminded.",
    "intent": "Flagged as a misunderstood intent; it will be in the next training data export.",
    "ok": "Marked as nothing wrong; the turn has left the queue.",
}


@bp.route("/review/turns/<int:event_id>/flag", methods=["POST"])
def review_turn(event_id: int):
    """Record what went wrong in the turn, and put it right in the content where that applies."""
    kind = request.form.get("kind", "")
    try:
        flag = review.review_turn(
            g.db, event_id, kind, g.user, entry=request.form.get("entry", ""),
            cluster=request.form.get("cluster", ""), intent=request.form.get("intent", ""),
            note=request.form.get("note", ""), intents=review.domain_intents())
    except review.ReviewError as error:
        g.db.rollback()
        flash(f"Not flagged: {error}.")
    else:
        g.db.commit()
        unchanged = kind in ("wrong_answer", "wrong_cluster") and flag.revision_id is None
        flash("Flagged; the visitor's words were already an example there, so the content is unchanged."
              if unchanged else DONE[kind])
    return redirect(url_for("improve.turn", event_id=event_id))


@bp.route("/flags", methods=["GET"])
def flags():
    """Every flag, newest first, with what was wrong, what is right and the content change it made."""
    rows = g.db.scalars(
        select(FlaggedMessage).options(joinedload(FlaggedMessage.staff), joinedload(FlaggedMessage.revision))
        .order_by(FlaggedMessage.flagged_at.desc(), FlaggedMessage.id.desc())
    ).all()
    return render_template("flags.html", flags=rows, labels=review.FLAG_LABELS)


@bp.route("/flags", methods=["POST"])
def flag():
    """Flag one visitor message (by its event id) with the intent it should have had (the conversation page's form)."""
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
    """Withdraw a flag (a content change it made stays; the content history rolls it back)."""
    found = g.db.get(FlaggedMessage, flag_id)
    if found is None:
        abort(404)
    g.db.delete(found)
    g.db.commit()
    flash("Flag withdrawn." + (" The example it added stays in the content; roll it back from the entry's history "
                               "if it should go." if found.revision_id else ""))
    return redirect(url_for("improve.flags"))


@bp.route("/flags/nlu.yml")
def export():
    """The flags that name or imply an intent as a Rasa NLU YAML file (version 3.1), without personal details."""
    response = Response(review.nlu_yaml(review.training_examples(g.db)), mimetype="application/x-yaml")
    response.headers["Content-Disposition"] = "attachment; filename=flagged_nlu.yml"
    return response
