"""The advisors' pages: the enquiries inbox (and "mine", and "overdue"), its CSV export, a conversation with
everything around it and the actions on its enquiry (including settling what the visitor claimed and acknowledging
its promised reply), and the local mail sink."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from email import message_from_bytes, policy
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
from sqlalchemy import select, update

from console import inbox as inbox_queries
from console import review, search
from handoff.compose import REASONS
from members import enquiries as claims
from members.db import session_factory
from members.models import (
    ENQUIRY_STATUSES,
    Advisor,
    Cluster,
    Enquiry,
    EnquiryReview,
    StaffUser,
    as_utc,
)
from members.transcripts import transcript

bp = Blueprint("views", __name__, url_prefix="/console")
# The hand-off e-mail links to CONSOLE_URL/conversations/<id>; this sends that link to the console page.
links = Blueprint("links", __name__)


def _promise(now: datetime, enquiry: Enquiry | None = None) -> dict:
    """What templates need to show reply promises: the agency's time zone, the due label, the overdue test and,
    for one enquiry, the account that acknowledged it."""
    tz = current_app.config["TIMEZONE"]
    acknowledger = g.db.get(StaffUser, enquiry.acknowledged_by) if enquiry and enquiry.acknowledged_by else None
    return {"timezone": tz, "due_label": lambda e, labelled=True: inbox_queries.due_label(e, now, tz, labelled),
            "is_overdue": lambda e: inbox_queries.is_overdue(e, now), "acknowledger": acknowledger}


def _inbox(flt: inbox_queries.InboxFilter, mine: bool):
    now = datetime.now(timezone.utc)
    size = current_app.config["PAGE_SIZE"]
    page = inbox_queries.page(g.db, flt, size, request.args.get("after"), request.args.get("before"))
    ids = [e.id for e in page.enquiries]
    return render_template(
        "inbox.html", page=page, flt=flt, args=flt.to_args(), mine=mine,
        tags=inbox_queries.tags_of(g.db, ids), reviewed=inbox_queries.reviewed_of(g.db, ids),
        clusters=g.db.scalars(select(Cluster).order_by(Cluster.name)).all(),
        advisors=g.db.scalars(select(Advisor).order_by(Advisor.name)).all(),
        statuses=ENQUIRY_STATUSES, languages=current_app.config["LANGUAGES"], sorts=inbox_queries.SORTS,
        all_tags=review.all_tags(g.db), status_label=review.status_label,
        overdue_count=inbox_queries.overdue_count(g.db, now), **_promise(now),
    )


@bp.route("/")
def inbox():
    """Every enquiry, filtered, searched and sorted as the URL says, one page at a time."""
    return _inbox(inbox_queries.InboxFilter.from_args(request.args), mine=False)


@bp.route("/mine")
def mine():
    """The enquiries of the advisor linked to this account."""
    if not g.user.advisor_id:
        flash("Your account is not linked to an advisor, so nothing is yours; here is every enquiry.")
        return redirect(url_for("views.inbox"))
    flt = inbox_queries.InboxFilter.from_args(request.args).for_advisor(g.user.advisor_id)
    return _inbox(flt, mine=True)


@bp.route("/enquiries.csv")
def export_csv():
    """The filtered enquiries as a CSV file (every page, in the inbox's order)."""
    flt = inbox_queries.InboxFilter.from_args(request.args)
    if request.args.get("mine") and g.user.advisor_id:
        flt = flt.for_advisor(g.user.advisor_id)
    factory = session_factory(current_app.config["DATABASE_URL"])

    def lines():
        # Its own session: the response streams after the request's session is closed.
        with factory() as session:
            yield from inbox_queries.csv_lines(session, flt)

    response = Response(lines(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=enquiries.csv"
    return response


@bp.route("/conversations/<path:conversation_id>")
def conversation(conversation_id: str):
    """The transcript as the visitor saw it, what the NLU made of each visitor message, and the enquiry."""
    enquiry = g.db.scalars(select(Enquiry).where(Enquiry.conversation_id == conversation_id)).first()
    messages = transcript(g.db, conversation_id)
    if enquiry is None and not messages:
        abort(404)
    unsure = search.unanswered_in(conversation_id, messages)
    context = {}
    if enquiry is not None:
        context = {
            "notes": review.notes(g.db, enquiry), "tags": review.tags(g.db, enquiry),
            "activity": review.activity(g.db, enquiry), "review": g.db.get(EnquiryReview, enquiry.id),
            "advisors": g.db.scalars(select(Advisor).order_by(Advisor.name)).all(),
            "claimed_contact": claims.claimed_contact(g.db, enquiry),
        }
    return render_template(
        "conversation.html", enquiry=enquiry, messages=messages, conversation_id=conversation_id,
        flags=review.flags_by_event(g.db, conversation_id), intents=review.domain_intents(), unsure=unsure,
        low=search.LOW_CONFIDENCE, statuses=ENQUIRY_STATUSES, reasons=REASONS, status_label=review.status_label,
        **_promise(datetime.now(timezone.utc), enquiry), **context,
    )


def _change(enquiry_id: int, change: Callable[[Enquiry], None], done: str):
    """Apply one change to an enquiry, commit, and go back to its conversation."""
    enquiry = g.db.get(Enquiry, enquiry_id)
    if enquiry is None:
        abort(404)
    try:
        change(enquiry)
    except (review.ReviewError, claims.ClaimError) as error:
        g.db.rollback()
        flash(f"Not saved: {error}.")
    else:
        g.db.commit()
        flash(done)
    return redirect(url_for("views.conversation", conversation_id=enquiry.conversation_id) + "#enquiry")


@bp.route("/enquiries/<int:enquiry_id>/assign", methods=["POST"])
def assign(enquiry_id: int):
    """Give the enquiry to another advisor."""
    return _change(enquiry_id, lambda e: review.assign(g.db, e, request.form.get("advisor_id", ""), g.user),
                   "Advisor changed.")


@bp.route("/enquiries/<int:enquiry_id>/status", methods=["POST"])
def change_status(enquiry_id: int):
    """Move the enquiry to another status."""
    return _change(enquiry_id, lambda e: review.change_status(g.db, e, request.form.get("status", ""), g.user),
                   "Status changed.")


@bp.route("/enquiries/<int:enquiry_id>/notes", methods=["POST"])
def add_note(enquiry_id: int):
    """Add an internal note."""
    return _change(enquiry_id, lambda e: review.add_note(g.db, e, request.form.get("body", ""), g.user),
                   "Note added.")


@bp.route("/enquiries/<int:enquiry_id>/tags", methods=["POST"])
def add_tag(enquiry_id: int):
    """Add a tag."""
    return _change(enquiry_id, lambda e: review.add_tag(g.db, e, request.form.get("tag", ""), g.user), "Tag added.")


@bp.route("/enquiries/<int:enquiry_id>/tags/remove", methods=["POST"])
def remove_tag(enquiry_id: int):
    """Remove a tag."""
    return _change(enquiry_id, lambda e: review.remove_tag(g.db, e, request.form.get("tag", ""), g.user),
                   "Tag removed.")


def _acknowledge(enquiry: Enquiry) -> None:
    """Record that this account took the enquiry on: the reminders stop. One UPDATE, so two clicks count once."""
    moment = datetime.now(timezone.utc)
    taken = g.db.execute(
        update(Enquiry).where(Enquiry.id == enquiry.id, Enquiry.acknowledged_at.is_(None))
        .values(acknowledged_at=moment, acknowledged_by=g.user.id).execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        g.db.refresh(enquiry)
        raise review.ReviewError(f"it was already acknowledged on {as_utc(enquiry.acknowledged_at):%Y-%m-%d %H:%M} UTC")
    due = inbox_queries.due_label(enquiry, moment, current_app.config["TIMEZONE"])
    review.record(g.db, enquiry, g.user, "acknowledged", f"reply was due {due}" if due else "")


@bp.route("/enquiries/<int:enquiry_id>/acknowledge", methods=["POST"])
def acknowledge(enquiry_id: int):
    """Take the enquiry on (the button on the conversation page): no more reminders about it."""
    return _change(enquiry_id, _acknowledge, "Acknowledged: no more reminders about this enquiry.")


@bp.route("/conversations/<path:conversation_id>/acknowledge", methods=["GET", "POST"])
def acknowledge_conversation(conversation_id: str):
    """The link in reminder and hand-off mails: the enquiry's summary and one Acknowledge button (POST)."""
    enquiry = g.db.scalars(select(Enquiry).where(Enquiry.conversation_id == conversation_id)).first()
    if enquiry is None:
        abort(404)
    if request.method == "POST":
        return _change(enquiry.id, _acknowledge, "Acknowledged: no more reminders about this enquiry.")
    return render_template("acknowledge.html", enquiry=enquiry, status_label=review.status_label,
                           **_promise(datetime.now(timezone.utc), enquiry))


@bp.route("/enquiries/<int:enquiry_id>/review", methods=["POST"])
def set_reviewed(enquiry_id: int):
    """Mark the enquiry reviewed, or withdraw the review."""
    reviewed = request.form.get("reviewed") == "1"
    return _change(enquiry_id, lambda e: review.set_reviewed(g.db, e, reviewed, g.user),
                   "Marked reviewed." if reviewed else "Review withdrawn.")


def _confirm(enquiry: Enquiry) -> None:
    take_name, take_phone = request.form.get("take_name") == "1", request.form.get("take_phone") == "1"
    contact = claims.confirm_claim(g.db, enquiry, take_name=take_name, take_phone=take_phone)
    taken = [what for what, taken in (("name", take_name), ("phone", take_phone)) if taken]
    detail = contact.email + (f" ({' and '.join(taken)} taken from the claim)" if taken else "")
    review.record(g.db, enquiry, g.user, "claim confirmed", detail)


def _merge(enquiry: Enquiry) -> None:
    contact = claims.merge_claim(g.db, enquiry, request.form.get("email", ""))
    review.record(g.db, enquiry, g.user, "claim merged", f"into {contact.email}")


def _separate(enquiry: Enquiry) -> None:
    contact = claims.separate_contact(g.db, enquiry, request.form.get("email", ""), request.form.get("name", ""))
    review.record(g.db, enquiry, g.user, "separate contact", contact.email)


@bp.route("/enquiries/<int:enquiry_id>/claim/confirm", methods=["POST"])
def confirm_claim(enquiry_id: int):
    """The visitor is the contact whose address they gave: link the enquiry (optionally taking name or phone)."""
    return _change(enquiry_id, _confirm, "Confirmed: the enquiry is now the contact's.")


@bp.route("/enquiries/<int:enquiry_id>/claim/merge", methods=["POST"])
def merge_claim(enquiry_id: int):
    """The visitor is another existing contact: link the enquiry to the contact with the address typed."""
    return _change(enquiry_id, _merge, "Merged: the enquiry is now that contact's.")


@bp.route("/enquiries/<int:enquiry_id>/claim/separate", methods=["POST"])
def separate_claim(enquiry_id: int):
    """The visitor is someone new: create a contact from the claims under the address staff give."""
    return _change(enquiry_id, _separate, "A separate contact was created for this enquiry.")


@bp.route("/mail")
def mail():
    """E-mails caught by the local mail sink (`make run`), newest first."""
    directory = Path(current_app.config["MAIL_DIR"])
    files = sorted(directory.glob("*.eml"), reverse=True)[:100] if directory.exists() else []
    mails = []
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        mails.append({"name": path.name, "to": message["To"], "reply_to": message["Reply-To"],
                      "subject": message["Subject"], "body": body.get_content() if body else ""})
    return render_template("mail.html", mails=mails, directory=directory)


@links.route("/conversations/<path:conversation_id>")
def conversation_link(conversation_id: str):
    """The link in hand-off e-mails (CONSOLE_URL/conversations/<id>) opens the console's conversation page."""
    return redirect(url_for("views.conversation", conversation_id=conversation_id))


@links.route("/conversations/<path:conversation_id>/acknowledge")
def acknowledge_link(conversation_id: str):
    """The acknowledge link in staff mails (CONSOLE_URL/conversations/<id>/acknowledge) opens the console's page."""
    return redirect(url_for("views.acknowledge_conversation", conversation_id=conversation_id))
