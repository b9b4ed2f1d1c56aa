"""Contacts and organisations: list, search, edit, and the enquiries of each."""
from __future__ import annotations

from sqlalchemy import select

from members.models import Contact, Organisation
from tests.console.conftest import post


def contact_id(db, email: str = "marie@acme.example") -> int:
    with db() as session:
        return session.scalars(select(Contact.id).where(Contact.email == email)).one()


def organisation_id(db, name: str = "Acme Coatings S.A.") -> int:
    with db() as session:
        return session.scalars(select(Organisation.id).where(Organisation.name == name)).one()


def test_contacts_list_and_search(logged_in, seeded, db):
    html = logged_in.get("/console/contacts").get_data(as_text=True)
    assert "Marie Dupont" in html and "Acme Coatings S.A." in html and "(1)" in html
    for query in ("marie", "ACME", "acme.example"):
        assert "Marie Dupont" in logged_in.get(f"/console/contacts?q={query}").get_data(as_text=True), query
    assert "No contacts match." in logged_in.get("/console/contacts?q=zzz").get_data(as_text=True)
    assert "No contacts match." in logged_in.get("/console/contacts?q=%25").get_data(as_text=True)  # % is literal


def test_a_contact_with_enquiries_and_consents_edited(logged_in, seeded, db):
    url = f"/console/contacts/{contact_id(db)}"
    html = logged_in.get(url).get_data(as_text=True)
    assert "anti-corrosion coatings" in html and 'href="/console/conversations/c-coatings"' in html
    response = post(logged_in, url, {"name": "Marie Dupont-Weber", "email": "Marie.Weber@acme.example",
                                     "phone": "+352 123", "profile": "large_company", "language": "fr",
                                     "organisation": "Steelworks Luxembourg"}, follow_redirects=True)
    assert b"Contact saved." in response.data
    with db() as session:
        contact = session.get(Contact, contact_id(db, "marie.weber@acme.example"))
        assert (contact.name, contact.phone, contact.profile) == ("Marie Dupont-Weber", "+352 123", "large_company")
        assert contact.organisation.name == "Steelworks Luxembourg"
    # An existing organisation is found by its name, however it is written.
    post(logged_in, url, {"name": "Marie", "email": "marie.weber@acme.example", "organisation": "ACME coatings sa"})
    with db() as session:
        assert session.get(Contact, contact_id(db, "marie.weber@acme.example")).organisation.name == "Acme Coatings S.A."


def test_contact_edits_that_make_no_sense_are_refused(logged_in, seeded, db):
    with db.begin() as session:
        session.add(Contact(email="paul@example.org", name="Paul"))
    url = f"/console/contacts/{contact_id(db)}"
    for form in ({"name": "", "email": "marie@acme.example"}, {"name": "M", "email": "not-an-address"},
                 {"name": "M", "email": "paul@example.org"}, {"name": "M", "email": "marie@acme.example", "profile": "x"}):
        assert b"Not saved:" in post(logged_in, url, form, follow_redirects=True).data, form
    assert logged_in.get("/console/contacts/999").status_code == 404


def test_organisations_list_search_and_edit(logged_in, seeded, db):
    html = logged_in.get("/console/organisations?q=acme").get_data(as_text=True)
    assert "Acme Coatings S.A." in html and "acme.example" in html
    url = f"/console/organisations/{organisation_id(db)}"
    html = logged_in.get(url).get_data(as_text=True)
    assert "Marie Dupont" in html and "anti-corrosion coatings" in html
    response = post(logged_in, url, {"name": "Acme Surface Coatings", "email_domain": "@Acme.example", "type": "company",
                                     "size": "small", "sector": "coatings", "country": "lu",
                                     "clusters": ["surfmat", "autotec"]}, follow_redirects=True)
    assert b"Organisation saved." in response.data
    with db() as session:
        organisation = session.get(Organisation, organisation_id(db, "Acme Surface Coatings"))
        assert (organisation.email_domain, organisation.country) == ("acme.example", "LU")
        assert sorted(c.id for c in organisation.clusters) == ["autotec", "surfmat"]
    for form in ({"name": "Acme", "country": "Luxembourg"}, {"name": "Acme", "size": "huge"}, {"name": "Acme", "type": "x"},
                 {"name": " "}):
        assert b"Not saved:" in post(logged_in, url, form, follow_redirects=True).data, form
