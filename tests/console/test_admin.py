"""Admins manage accounts (pages and `flask` commands) and privacy requests; a password nobody chose must be
changed at first login, and weak passwords are refused everywhere."""
from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from members.models import Contact, ConversationIndex, StaffUser
from members.transcripts import events
from tests.console.conftest import ADMIN, ADVISOR, login, post


def shown_password(response) -> str:
    assert response.status_code == 200
    return re.search(r'<p class="password"><code>([^<]+)</code>', response.get_data(as_text=True)).group(1)


def change_password(client, current: str, new: str, repeat: str | None = None):
    """Submit the change-password form."""
    return post(client, "/console/password", {"current": current, "password": new, "repeat": repeat or new})


def must_change(db, email: str) -> bool:
    with db() as session:
        return session.scalars(select(StaffUser.must_change_password).where(StaffUser.email == email)).one()


def test_create_an_account_whose_password_is_shown_once(admin, app, db):
    response = post(admin, "/console/accounts", {"email": "Katrin.Hoffelt@example.org", "role": "advisor"})
    password = shown_password(response)
    assert len(password) >= 16
    assert password not in admin.get("/console/accounts").get_data(as_text=True)
    with admin.session_transaction() as session:
        assert password not in json.dumps(dict(session))  # never in the cookie
    client = app.test_client()
    assert login(client, "katrin.hoffelt@example.org", password).status_code == 302
    assert change_password(client, password, "katrin's own long passphrase").status_code == 302
    assert client.get("/console/mine").status_code == 200  # linked to the advisor of that address, so not redirected
    with db() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.email == "katrin.hoffelt@example.org")).one()
        assert (user.role, user.advisor_id) == ("advisor", "a-surfmat-de")
        assert password not in user.password_hash
    response = post(admin, "/console/accounts", {"email": "katrin.hoffelt@example.org", "role": "advisor"},
                    follow_redirects=True)
    assert b"already has an account" in response.data
    response = post(admin, "/console/accounts", {"email": "x@example.org", "role": "owner"}, follow_redirects=True)
    assert b"Not created: role must be one of advisor, admin" in response.data


def test_reset_a_password(admin, app, db):
    with db() as session:
        advisor_id = session.scalars(select(StaffUser.id).where(StaffUser.email == ADVISOR[0])).one()
    password = shown_password(post(admin, f"/console/accounts/{advisor_id}/reset"))
    assert login(app.test_client(), *ADVISOR).status_code == 401
    assert login(app.test_client(), ADVISOR[0], password).status_code == 302
    assert must_change(db, ADVISOR[0])  # a password the admin saw is changed at the next login


def test_a_password_nobody_chose_must_be_changed_before_any_page_opens(admin, app, db, seeded):
    password = shown_password(post(admin, "/console/accounts", {"email": "new.admin@example.org", "role": "admin"}))
    client = app.test_client()
    assert login(client, "new.admin@example.org", password).status_code == 302
    for page in ("/console/", "/console/mine", "/console/handoffs", "/console/accounts", "/console/contacts/1",
                 f"/conversations/{seeded.coatings}", "/console/enquiries.csv"):
        opened = client.get(page)
        assert opened.status_code == 302 and opened.headers["Location"] == "/console/password", page
    response = post(client, "/console/enquiries/1/notes", {"body": "written with a password nobody chose"})
    assert response.headers["Location"] == "/console/password"  # a form, too, goes only to the change page
    assert b"Choose your own" in client.get("/console/password").data
    assert change_password(client, password, "a passphrase of my own").headers["Location"] == "/console/"
    assert not must_change(db, "new.admin@example.org")
    assert client.get("/console/accounts").status_code == 200
    assert b"written with a password nobody chose" not in client.get(f"/console/conversations/{seeded.xss}").data


def test_weak_passwords_are_refused_in_the_console(logged_in, app):
    for weak, reason in [("short-1", "at least 12 characters"),
                         ("QwertyUIOP123", "most common passwords"),
                         ("Julien.Marchetti", "own e-mail address"),
                         (ADVISOR[0].upper(), "own e-mail address")]:
        response = change_password(logged_in, ADVISOR[1], weak)
        assert response.status_code == 400 and reason in response.get_data(as_text=True), weak
    response = change_password(logged_in, ADVISOR[1], "plum orchard at dusk", "plum orchard at dawn")
    assert response.status_code == 400 and b"the two new passwords differ" in response.data
    response = change_password(logged_in, "not my password", "plum orchard at dusk")
    assert response.status_code == 400 and b"current password is wrong" in response.data
    assert login(app.test_client(), *ADVISOR).status_code == 302  # nothing was changed


def test_the_first_run_password_file_goes_once_the_admin_changes_it(app, admin, logged_in):
    first_run = app.config["ADMIN_PASSWORD_FILE"]
    first_run.write_text(ADMIN[1] + "\n")
    assert change_password(logged_in, ADVISOR[1], "an advisor's passphrase").status_code == 302
    assert first_run.exists()  # someone else's change leaves the admin's first password alone
    assert change_password(admin, ADMIN[1], "the admin's passphrase").status_code == 302
    assert not first_run.exists()  # `make run` stops printing a password that no longer works


def test_an_admin_cannot_disable_their_own_account(admin, db):
    with db() as session:
        admin_id = session.scalars(select(StaffUser.id).where(StaffUser.email == ADMIN[0])).one()
    response = post(admin, f"/console/accounts/{admin_id}/disable", follow_redirects=True)
    assert b"you can&#39;t disable your own account" in response.data
    assert admin.get("/console/accounts").status_code == 200


def test_cli_create_user(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "Boss@Example.org", "--role", "admin", "--password", "a-long-password"])
    assert result.exit_code == 0 and "account boss@example.org (admin) ready" in result.output
    client = app.test_client()
    assert login(client, "boss@example.org", "a-long-password").status_code == 302
    assert client.get("/console/").status_code == 200  # a password the person typed need not be changed
    assert not must_change(db, "boss@example.org")
    for weak, reason in [("short", "at least 12 characters"), ("Password1234", "most common passwords"),
                         ("xavier.personne@example.org", "own e-mail address"),
                         ("Xavier.Personne", "own e-mail address")]:
        result = runner.invoke(args=["create-user", "xavier.personne@example.org", "--password", weak])
        assert result.exit_code != 0 and reason in result.output, weak
    with db() as session:
        assert session.scalars(select(StaffUser).where(StaffUser.email == "xavier.personne@example.org")).first() is None


def test_cli_create_user_ends_the_accounts_sessions_and_retires_the_first_run_password(app, admin):
    first_run = app.config["ADMIN_PASSWORD_FILE"]
    first_run.write_text(ADMIN[1] + "\n")
    result = app.test_cli_runner().invoke(args=["create-user", ADMIN[0], "--role", "admin",
                                                "--password", "typed at the terminal"])
    assert result.exit_code == 0
    assert admin.get("/console/").status_code == 302  # the old password's session has ended
    assert not first_run.exists()


def test_cli_create_advisor_accounts(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-advisor-accounts"])
    assert result.exit_code == 0
    made = dict(line.split("\t") for line in result.output.splitlines() if "\t" in line)
    with db() as session:
        advisors = session.scalar(select(func.count()).select_from(StaffUser).where(StaffUser.advisor_id.is_not(None)))
    assert len(made) == advisors - 1  # julien.marchetti already had one
    assert ADVISOR[0] not in made
    email, password = next(iter(made.items()))
    assert must_change(db, email)
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    assert client.get("/console/mine").headers["Location"] == "/console/password"
    assert change_password(client, password, "an advisor's own passphrase").status_code == 302
    assert client.get("/console/mine").status_code == 200  # linked to their advisor, so "mine" works
    again = runner.invoke(args=["create-advisor-accounts"])
    assert "every advisor already has an account" in again.output


def test_cli_refreshes_the_search_index(app, seeded, db):
    result = app.test_cli_runner().invoke(args=["refresh-search-index"])
    assert result.exit_code == 0 and "search index up to date" in result.output
    with db() as session:
        assert session.scalar(select(func.count()).select_from(ConversationIndex)) == 4


def test_privacy_export_and_erase(admin, seeded, db):
    page = admin.get("/console/privacy").get_data(as_text=True)
    assert "Export a person" in page and "not installed" not in page
    response = post(admin, "/console/privacy/export", {"email": "Marie@acme.example"})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    export = json.loads(response.data)
    assert export["contact"]["name"] == "Marie Dupont" and seeded.coatings in json.dumps(export)

    admin.get("/console/?q=corrosion")  # the search index now holds a copy of her conversation
    response = post(admin, "/console/privacy/erase", {"email": "marie@acme.example", "confirm": "someone@else.org"},
                    follow_redirects=True)
    assert b"Nothing erased" in response.data
    response = post(admin, "/console/privacy/erase", {"email": "marie@acme.example", "confirm": "MARIE@acme.example"})
    assert response.status_code == 200 and "Erased marie@acme.example" in response.get_data(as_text=True)
    with db() as session:
        assert session.scalars(select(Contact).where(Contact.email == "marie@acme.example")).first() is None
        assert session.scalar(select(func.count()).select_from(events).where(events.c.sender_id == seeded.coatings)) == 0
        assert session.get(ConversationIndex, seeded.coatings) is None
    assert "c-coatings" not in admin.get("/console/?q=corrosion").get_data(as_text=True)


