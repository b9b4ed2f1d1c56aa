"""Importing existing members from CSV: dry run, all-or-nothing real run, line numbers, idempotence, updates."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from firststop.settings import ROOT
from members.importer import ImportFileError, import_members
from members.models import Contact, Organisation, organisation_clusters
from tests.members.conftest import DATA, count, enquiry

LANGUAGES = ("en", "fr", "de")
REJECTED = {5, 6, 7, 8, 12, 13, 14}


def totals(factory) -> tuple[int, int, int]:
    with factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Organisation)),
            session.scalar(select(func.count()).select_from(Contact)),
            session.scalar(select(func.count()).select_from(organisation_clusters)),
        )


def rejected_lines(plan) -> dict[int, str]:
    return {r.line: "; ".join(r.reasons) for r in plan.rejected}


def test_dry_run_reports_what_it_would_do_and_why_lines_are_rejected(db):
    plan = import_members(db, (DATA / "members_mixed.csv").read_bytes(), LANGUAGES, dry_run=True)
    assert totals(db) == (0, 0, 0)
    reasons = rejected_lines(plan)
    assert set(reasons) == REJECTED
    assert "size 'huge' is not one of micro, small, medium, large" in reasons[5]
    assert "country 'XX'" in reasons[6]
    assert "cluster 'nanotech' is unknown" in reasons[7] and "'eva(at)epsilon.de' is not an e-mail" in reasons[7]
    assert "size 'small' differs from line 2 ('medium')" in reasons[8]
    assert "contact_email is empty" in reasons[12]
    assert "free-mail domain" in reasons[13]
    assert "also on line 2 with different details" in reasons[14]
    report = "\n".join(plan.lines(dry_run=True))
    assert 'line 2: would create organisation "ACME Coatings S.A."' in report
    assert "line 3: would create contact paul.weber@acme-coatings.lu" in report
    # The quoted sector spans lines 9 and 10, so Zeta Research is on line 11.
    assert 'line 9: would create organisation "Kappa Labs"' in report and "sector Materials and coatings" in report
    assert 'line 11: would create organisation "Zeta Research"' in report
    assert "line 14: rejected: contact_email anna.muller@acme-coatings.lu is also on line 2" in report
    assert "organisations: 4 new, 0 updated, 0 unchanged; contacts: 4 new" in report
    assert report.endswith("Dry run: nothing was written.")


def test_a_real_run_with_a_bad_line_writes_nothing(db):
    plan = import_members(db, (DATA / "members_mixed.csv").read_bytes(), LANGUAGES)
    assert not plan.written
    assert set(rejected_lines(plan)) == REJECTED
    assert totals(db) == (0, 0, 0)
    assert "Nothing was written" in plan.lines(dry_run=False)[-1]
    assert "line 2: would create organisation" in "\n".join(plan.lines(dry_run=False))


def test_a_real_run_imports_organisations_contacts_and_memberships_once(db):
    data = (DATA / "members_good.csv").read_bytes()
    plan = import_members(db, data, LANGUAGES)
    assert plan.written and not plan.rejected
    assert totals(db) == (4, 4, 5)
    with db() as session:
        acme = session.scalars(select(Organisation).where(Organisation.name_key == "acme coatings")).one()
        assert (acme.name, acme.type, acme.size, acme.country, acme.email_domain) == (
            "ACME Coatings S.A.", "company", "medium", "LU", "acme-coatings.lu")
        assert sorted(c.id for c in acme.clusters) == ["aerospace", "surfmat"]
        assert sorted(c.email for c in acme.contacts) == ["anna.muller@acme-coatings.lu", "paul.weber@acme-coatings.lu"]
        anna = session.scalars(select(Contact).where(Contact.email == "anna.muller@acme-coatings.lu")).one()
        assert (anna.name, anna.phone, anna.profile, anna.language, anna.source) == (
            "Anna Muller", "+352 26 12 34 56", "sme", "fr", "import")
        orbital = session.scalars(select(Organisation).where(Organisation.name_key == "orbital parts")).one()
        assert (orbital.type, orbital.country) == ("start_up", "LU")

    again = import_members(db, data, LANGUAGES)
    assert totals(db) == (4, 4, 5)
    assert [c.action for c in again.changes] == ["unchanged"] * 8
    assert "organisations: 0 new, 0 updated, 4 unchanged; contacts: 0 new, 0 updated, 4 unchanged" in "\n".join(
        again.lines(dry_run=False))


def test_an_import_updates_what_the_chat_already_recorded(db):
    enquiry(db, "chat-1", email="Lea@orbital.lu", name="Léa", organisation="Orbital Parts")
    assert totals(db) == (1, 1, 0)
    plan = import_members(db, (DATA / "members_good.csv").read_bytes(), LANGUAGES)
    assert plan.written
    assert totals(db) == (4, 4, 5)  # the chat's organisation and contact were recognised, not duplicated
    report = "\n".join(plan.lines(dry_run=False))
    assert 'line 4: updated organisation "Orbital Parts SARL": name Orbital Parts → Orbital Parts SARL' in report
    assert "line 4: updated contact lea@orbital.lu: name Léa → Lea Schmit" in report
    with db() as session:
        lea = session.scalars(select(Contact).where(Contact.email == "lea@orbital.lu")).one()
        assert lea.source == "conversation" and lea.organisation.size == "small"

    moved = (DATA / "members_good.csv").read_text().replace(
        "Zeta Research,public research lab,,Materials", "Zeta Research,public research lab,medium,Materials"
    ).replace("Paul Weber,paul.weber@acme-coatings.lu", "Paul Weber,paul.weber@acme-coatings.lu").replace(
        "Orbital Parts SARL,start-up,small,Space components,Luxembourg,orbital.lu,aerospace",
        "Orbital Parts SARL,start-up,small,Space components,Luxembourg,orbital.lu,aerospace;autotec")
    plan = import_members(db, moved.encode(), LANGUAGES, dry_run=True)
    assert [(c.line, c.label, c.details) for c in plan.changes if c.action == "update"] == [
        (4, '"Orbital Parts SARL"', ("clusters +autotec",)),
        (5, '"Zeta Research"', ("size (empty) → medium",)),
    ]


def test_excel_style_files_with_semicolons_and_a_byte_order_mark_are_read(db):
    text = "\ufeffOrganisation;Clusters;Contact Name;Contact Email\nAcme;surfmat, aerospace;Anna;anna@acme.lu\n"
    plan = import_members(db, text.encode("utf-8"), LANGUAGES)
    assert plan.written
    assert totals(db) == (1, 1, 2)


@pytest.mark.parametrize("data, message", [
    (b"organisation,website\nAcme,acme.lu\n", "unknown columns website"),
    (b"name,contact_email\nAcme,a@acme.lu\n", "unknown columns name"),
    (b"contact_email\na@acme.lu\n", "no 'organisation' column"),
    ("organisation\nSoci\u00e9t\u00e9\n".encode("latin-1"), "not UTF-8"),
    (b"", "empty"),
])
def test_files_that_cannot_be_read_are_refused_whole(db, data, message):
    with pytest.raises(ImportFileError, match=message):
        import_members(db, data, LANGUAGES, dry_run=True)
    assert count(db, Organisation) == 0


def test_the_command_line_dry_run_and_real_run(db_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": db_url, "FIRSTSTOP_VAR": str(tmp_path), "PYTHONPATH": str(ROOT)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "members", *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120, check=False)

    mixed = run("import", str(DATA / "members_mixed.csv"), "--dry-run")
    assert mixed.returncode == 1, mixed.stderr
    assert "line 5: rejected: size 'huge'" in mixed.stdout
    good = run("import", str(DATA / "members_good.csv"))
    assert good.returncode == 0, good.stderr
    assert "contacts: 4 new" in good.stdout
    missing = run("import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_the_sample_members_file_imports_cleanly(db):
    plan = import_members(db, (ROOT / "knowledge" / "sample_members.csv").read_bytes(), LANGUAGES)
    assert plan.written and not plan.rejected
    assert totals(db) == (8, 9, 10)
