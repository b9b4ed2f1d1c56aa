"""The advisors' pages: enquiries inbox, a conversation with its transcript, the local mail sink."""
from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from flask import Blueprint, abort, current_app, g, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from console.auth import login_required
from members.models import ENQUIRY_STATUSES, Cluster, Enquiry
from members.transcripts import transcript

bp = Blueprint("views", __name__, url_prefix="/console")


@bp.route("/")
@login_required
def inbox():
    """Enquiries, newest first, filtered by status and cluster."""
    query = select(Enquiry).options(joinedload(Enquiry.contact), joinedload(Enquiry.advisor))
    status = request.args.get("status", "")
    cluster = request.args.get("cluster", "")
    if status in ENQUIRY_STATUSES:
        query = query.where(Enquiry.status == status)
    if cluster:
        query = query.where(Enquiry.cluster_id == cluster)
    page = max(1, request.args.get("page", 1, type=int))
    size = current_app.config["PAGE_SIZE"]
    total = g.db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    enquiries = g.db.scalars(
        query.order_by(Enquiry.created_at.desc(), Enquiry.id.desc()).offset((page - 1) * size).limit(size)
    ).unique().all()
    clusters = g.db.scalars(select(Cluster).order_by(Cluster.name)).all()
    return render_template("inbox.html", enquiries=enquiries, clusters=clusters, statuses=ENQUIRY_STATUSES,
                           status=status, cluster=cluster, page=page, total=total, size=size)


@bp.route("/conversations/<path:conversation_id>")
@login_required
def conversation(conversation_id: str):
    """The transcript as the visitor saw it, with intent and confidence beside each visitor message."""
    enquiry = g.db.scalars(select(Enquiry).where(Enquiry.conversation_id == conversation_id)).first()
    messages = transcript(g.db, conversation_id)
    if enquiry is None and not messages:
        abort(404)
    return render_template("conversation.html", enquiry=enquiry, messages=messages, conversation_id=conversation_id)


@bp.route("/mail")
@login_required
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
