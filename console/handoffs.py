"""The hand-offs page: every hand-off e-mail by delivery state, with its last error; retry, release or mark handled."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from console import int_arg, review
from handoff import outbox
from members.models import Enquiry, OutboxMessage

bp = Blueprint("handoffs", __name__, url_prefix="/console")


@bp.app_template_global()
def outbox_states() -> dict[str, tuple[str, ...]]:
    """Which mails each console action applies to (a template global, so the `mail_actions` macro sees it)."""
    return {"retryable": outbox.RETRYABLE, "handleable": outbox.HANDLEABLE, "releasable": outbox.RELEASABLE}


@bp.route("/handoffs")
def handoffs():
    """Hand-off e-mails in one state (failed first by default), newest first."""
    counts = outbox.counts(g.db)
    status = request.args.get("status", "")
    if status != "all" and status not in counts:
        status = "failed" if counts.get("failed") else "all"
    number = int_arg("page", 1)
    size = current_app.config["PAGE_SIZE"]
    query = select(OutboxMessage)
    if status != "all":
        query = query.where(OutboxMessage.status == status)
    total = g.db.scalar(select(func.count()).select_from(query.subquery()))
    messages = g.db.scalars(
        query.options(joinedload(OutboxMessage.enquiry).joinedload(Enquiry.advisor))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .offset((number - 1) * size).limit(size)
    ).all()
    return render_template("handoffs.html", messages=messages, counts=counts, status=status, page=number,
                           size=size, total=total)


def _act(message_id: int, action, done: str, refused: str, log: str):
    message = g.db.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if action(g.db, message_id):
        if message.enquiry is not None:  # a content review reminder belongs to no enquiry
            review.record(g.db, message.enquiry, g.user, log, message.to_addr)
        g.db.commit()
        flash(done)
    else:
        g.db.rollback()
        flash(refused)
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/console/") else url_for("handoffs.handoffs"))


@bp.route("/handoffs/<int:message_id>/retry", methods=["POST"])
def retry(message_id: int):
    """Send the e-mail again now (same Message-ID)."""
    return _act(message_id, outbox.retry, "The e-mail is queued and will be sent within seconds.",
                "That e-mail is being sent or was already sent; nothing changed.", "hand-off e-mail retried")


@bp.route("/handoffs/<int:message_id>/release", methods=["POST"])
def release(message_id: int):
    """Send a held e-mail now: staff judged it is not a flood."""
    return _act(message_id, outbox.release, "Released; the e-mail will be sent within seconds.",
                "That e-mail is not held any more; nothing changed.", "hand-off e-mail released")


@bp.route("/handoffs/<int:message_id>/handled", methods=["POST"])
def handled(message_id: int):
    """Stop trying: a person took care of the enquiry another way."""
    return _act(message_id, outbox.mark_handled, "Marked handled; it will not be sent.",
                "That e-mail is being sent or was already sent; nothing changed.", "hand-off e-mail marked handled")
