"""Contacts and organisations: list, search, edit, and the enquiries of each."""
from __future__ import annotations

from collections.abc import Mapping

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
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from console import int_arg
from members.enquiries import find_organisation, normalise_email, organisation_key
from members.models import (
    ORGANISATION_SIZES,
    ORGANISATION_TYPES,
    PROFILES,
    Cluster,
    Contact,
    Enquiry,
    Organisation,
)

bp = Blueprint("people", __name__, url_prefix="/console")


class EditError(ValueError):
    """The edit can't be saved as typed."""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page_number() -> int:
    return int_arg("page", 1)


def update_contact(session: Session, contact: Contact, form: Mapping[str, str]) -> None:
    """Apply the contact form: name, e-mail, phone, profile, language and organisation (found or created)."""
    name = " ".join(form.get("name", "").split())
    email = normalise_email(form.get("email", ""))
    if not name:
        raise EditError("the name is empty")
    if email is None:
        raise EditError("that is not an e-mail address")
    other = session.scalars(select(Contact).where(Contact.email == email, Contact.id != contact.id)).first()
    if other is not None:
        raise EditError(f"{email} is already the address of another contact")
    profile = form.get("profile", "")
    if profile and profile not in PROFILES:
        raise EditError("unknown profile")
    contact.name, contact.email = name[:200], email
    contact.phone = form.get("phone", "").strip()[:64] or None
    contact.profile = profile or None
    contact.language = form.get("language", "").strip()[:8] or None
    organisation_name = " ".join(form.get("organisation", "").split())
    if not organisation_name:
        contact.organisation = None
    else:
        organisation = find_organisation(session, organisation_name, None)
        if organisation is None:
            organisation = Organisation(name=organisation_name[:200], name_key=organisation_key(organisation_name))
            session.add(organisation)
        contact.organisation = organisation


def update_organisation(session: Session, organisation: Organisation, form: Mapping[str, str],
                        cluster_ids: list[str]) -> None:
    """Apply the organisation form: name, e-mail domain, type, size, sector, country and clusters."""
    name = " ".join(form.get("name", "").split())
    if not name:
        raise EditError("the name is empty")
    key = organisation_key(name)
    clash = session.scalars(
        select(Organisation).where(Organisation.name_key == key, Organisation.id != organisation.id)
    ).first()
    if clash is not None:
        raise EditError(f"another organisation is already called {clash.name}")
    country = form.get("country", "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise EditError("the country is a two-letter code such as LU")
    kind, size = form.get("type", ""), form.get("size", "")
    if kind and kind not in ORGANISATION_TYPES:
        raise EditError("unknown type of organisation")
    if size and size not in ORGANISATION_SIZES:
        raise EditError("unknown size")
    organisation.name, organisation.name_key = name[:200], key
    organisation.email_domain = form.get("email_domain", "").strip().lower().lstrip("@")[:255] or None
    organisation.type, organisation.size = kind or None, size or None
    organisation.sector = form.get("sector", "").strip()[:200] or None
    organisation.country = country or None
    organisation.clusters = list(session.scalars(select(Cluster).where(Cluster.id.in_(cluster_ids))))


@bp.route("/contacts")
def contacts():
    """Contacts, alphabetically, searched by name, e-mail or organisation."""
    q = request.args.get("q", "").strip()[:200]
    size, number = current_app.config["PAGE_SIZE"], _page_number()
    enquiries = (
        select(func.count(Enquiry.id)).where(Enquiry.contact_id == Contact.id).correlate(Contact).scalar_subquery()
    )
    query = select(Contact, enquiries).outerjoin(Organisation, Organisation.id == Contact.organisation_id)
    if q:
        pattern = _like(q)
        query = query.where(or_(Contact.name.ilike(pattern, escape="\\"), Contact.email.ilike(pattern, escape="\\"),
                                Organisation.name.ilike(pattern, escape="\\")))
    total = g.db.scalar(select(func.count()).select_from(query.subquery()))
    rows = g.db.execute(
        query.options(joinedload(Contact.organisation)).order_by(Contact.name, Contact.id)
        .offset((number - 1) * size).limit(size)
    ).all()
    return render_template("contacts.html", rows=rows, q=q, page=number, size=size, total=total)


@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
def contact(contact_id: int):
    """One contact: edit their details; their enquiries and consents, and chats that claimed their address."""
    person = g.db.get(Contact, contact_id)
    if person is None:
        abort(404)
    if request.method == "POST":
        try:
            update_contact(g.db, person, request.form)
        except EditError as error:
            g.db.rollback()
            flash(f"Not saved: {error}.")
        else:
            g.db.commit()
            flash("Contact saved.")
        return redirect(url_for("people.contact", contact_id=contact_id))
    enquiries = g.db.scalars(
        select(Enquiry).where(Enquiry.contact_id == person.id).order_by(Enquiry.created_at.desc())
    ).all()
    claims = g.db.scalars(
        select(Enquiry).where(Enquiry.claimed_email == person.email, Enquiry.contact_status == "claimed")
        .order_by(Enquiry.created_at.desc())
    ).all()
    return render_template("contact.html", contact=person, enquiries=enquiries, claims=claims, profiles=PROFILES)


@bp.route("/organisations")
def organisations():
    """Organisations, alphabetically, searched by name or e-mail domain."""
    q = request.args.get("q", "").strip()[:200]
    size, number = current_app.config["PAGE_SIZE"], _page_number()
    contacts_count = (
        select(func.count(Contact.id)).where(Contact.organisation_id == Organisation.id)
        .correlate(Organisation).scalar_subquery()
    )
    query = select(Organisation, contacts_count)
    if q:
        pattern = _like(q)
        query = query.where(or_(Organisation.name.ilike(pattern, escape="\\"),
                                Organisation.email_domain.ilike(pattern, escape="\\")))
    total = g.db.scalar(select(func.count()).select_from(query.subquery()))
    rows = g.db.execute(query.order_by(Organisation.name, Organisation.id).offset((number - 1) * size).limit(size)).all()
    return render_template("organisations.html", rows=rows, q=q, page=number, size=size, total=total)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def organisation(organisation_id: int):
    """One organisation: edit it; its contacts and their enquiries."""
    body = g.db.get(Organisation, organisation_id)
    if body is None:
        abort(404)
    if request.method == "POST":
        try:
            update_organisation(g.db, body, request.form, request.form.getlist("clusters"))
        except EditError as error:
            g.db.rollback()
            flash(f"Not saved: {error}.")
        else:
            g.db.commit()
            flash("Organisation saved.")
        return redirect(url_for("people.organisation", organisation_id=organisation_id))
    enquiries = g.db.scalars(
        select(Enquiry).join(Contact, Contact.id == Enquiry.contact_id)
        .where(Contact.organisation_id == body.id).order_by(Enquiry.created_at.desc())
        .options(joinedload(Enquiry.contact))
    ).all()
    clusters = g.db.scalars(select(Cluster).order_by(Cluster.name)).all()
    return render_template("organisation.html", organisation=body, enquiries=enquiries, clusters=clusters,
                           chosen={c.id for c in body.clusters}, types=ORGANISATION_TYPES, sizes=ORGANISATION_SIZES)
