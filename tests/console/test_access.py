"""Who can open what: every route needs a login, admins only where it says, CSRF on every form,
hardened cookies, lockout, logout, disabled accounts."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from console import create_app
from firststop.settings import get_settings
from members.models import StaffUser
from tests.console.conftest import ADVISOR, csrf_of, login, post

# The only pages a visitor may open without logging in.
PUBLIC_PATHS = {"/console/login", "/healthz", "/"}
PUBLIC_PREFIXES = ("/widget/", "/static/")


def _is_public(rule) -> bool:
    return rule.rule in PUBLIC_PATHS or rule.rule.startswith(PUBLIC_PREFIXES) or rule.endpoint == "static"


def _example_url(rule) -> str:
    """The rule with made-up values for its arguments (int converters get 1, others 'x')."""
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        values[argument] = 1 if type(converter).__name__ == "IntegerConverter" else "x"
    return rule.build(values, append_unknown=False)[1]


def _goes_to_login(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and response.headers["Location"].startswith("/console/login")


def test_every_route_needs_a_login(app, client, seeded):
    checked = []
    for rule in app.url_map.iter_rules():
        if _is_public(rule):
            continue
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url)
            else:  # even with a valid CSRF token, a logged-out POST changes nothing
                response = client.open(url, method=method, data={"csrf_token": csrf_of(client)})
            assert _goes_to_login(response), f"{method} {rule.rule} answered {response.status_code} without a login"
            checked.append((method, rule.rule))
    assert len(checked) >= 35, checked  # the enumeration really covered the console
    assert ("GET", "/console/enquiries.csv") in checked and ("GET", "/console/flags/nlu.yml") in checked
    assert ("GET", "/conversations/<path:conversation_id>") in checked


def test_public_pages_stay_public(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/console/login").status_code == 200
    assert client.get("/static/console.css").status_code == 200


def test_admin_pages_are_forbidden_to_advisors(app, logged_in, admin):
    admin_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert len(admin_rules) >= 8
    for rule in admin_rules:
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = logged_in.open(url, method=method, data={"csrf_token": csrf_of(logged_in)})
            assert response.status_code == 403, f"{method} {rule.rule}"
    assert admin.get("/console/accounts").status_code == 200
    assert b"Accounts" not in logged_in.get("/console/").data  # advisors don't see the admin links


def test_login_redirects_back_only_within_the_console(client):
    response = client.get("/console/conversations/abc?x=1")
    assert response.headers["Location"] == "/console/login?next=/console/conversations/abc?x%3D1"
    response = post(client, "/console/login?next=/console/handoffs", {"email": ADVISOR[0], "password": ADVISOR[1]})
    assert response.headers["Location"] == "/console/handoffs"
    post(client, "/console/logout")
    for evil in ("https://evil.example/", "//evil.example/console", "/\\evil.example"):
        response = post(client, f"/console/login?next={evil}", {"email": ADVISOR[0], "password": ADVISOR[1]})
        assert response.headers["Location"] == "/console/", evil
        post(client, "/console/logout")


def test_the_handoff_email_link_opens_the_conversation_after_login(client, seeded):
    response = client.get(f"/conversations/{seeded.coatings}")
    assert response.headers["Location"].startswith("/console/login?next=/conversations/")
    response = post(client, response.headers["Location"], {"email": ADVISOR[0], "password": ADVISOR[1]})
    assert response.headers["Location"] == f"/conversations/{seeded.coatings}"
    response = client.get(response.headers["Location"], follow_redirects=True)
    assert b"anti-corrosion coatings" in response.data


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(app, db_url, monkeypatch):
    client = app.test_client()
    cookie = login(client, *ADVISOR).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    monkeypatch.setenv("SECURE_COOKIES", "1")
    get_settings.cache_clear()
    try:
        secure_app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test"})
    finally:
        get_settings.cache_clear()
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True
    cookie = login(secure_app.test_client(), *ADVISOR).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_console_pages_forbid_framing_and_foreign_scripts(logged_in):
    response = logged_in.get("/console/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_every_form_needs_the_csrf_token(logged_in, seeded, db):
    response = logged_in.post("/console/enquiries/1/notes", data={"body": "forged"})
    assert response.status_code == 400
    response = logged_in.post("/console/enquiries/1/notes", data={"body": "forged", "csrf_token": "guess"})
    assert response.status_code == 400
    response = logged_in.post("/console/logout")
    assert response.status_code == 400  # a forged logout does nothing either
    assert logged_in.get("/console/").status_code == 200
    client = logged_in.application.test_client()
    assert client.post("/console/login", data={"email": ADVISOR[0], "password": ADVISOR[1]}).status_code == 400


def test_wrong_password_then_lockout_after_five_failures(client, db):
    for _ in range(4):
        response = login(client, ADVISOR[0], "wrong-password")
        assert response.status_code == 401 and b"Wrong e-mail or password" in response.data
    response = login(client, ADVISOR[0], "wrong-password")
    response = login(client, *ADVISOR)  # right password, but locked now
    assert response.status_code == 401 and b"locked" in response.data
    with db.begin() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.email == ADVISOR[0])).one()
        user.locked_until = user.locked_until - timedelta(minutes=6)
    assert login(client, *ADVISOR).status_code == 302
    assert login(client, "nobody@example.org", "whatever-password").status_code == 401


def test_logout_ends_the_session(logged_in):
    assert logged_in.get("/console/").status_code == 200
    response = post(logged_in, "/console/logout")
    assert response.headers["Location"] == "/console/login"
    assert logged_in.get("/console/").status_code == 302


def test_login_starts_a_fresh_session(client):
    before = csrf_of(client)
    login(client, *ADVISOR)
    assert csrf_of(client) != before  # a token planted before login is worthless after it


def test_idle_sessions_are_logged_out(logged_in):
    with logged_in.session_transaction() as session:
        session["seen"] = int(time.time()) - 9 * 3600
    response = logged_in.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_a_disabled_account_is_logged_out_and_cannot_log_in(admin, logged_in, db):
    with db() as session:
        advisor_id = session.scalars(select(StaffUser.id).where(StaffUser.email == ADVISOR[0])).one()
    assert post(admin, f"/console/accounts/{advisor_id}/disable").status_code == 302
    assert logged_in.get("/console/").status_code == 302  # its open session ends
    response = login(logged_in.application.test_client(), *ADVISOR)
    assert response.status_code == 403 and b"disabled" in response.data
    post(admin, f"/console/accounts/{advisor_id}/enable")
    assert login(logged_in.application.test_client(), *ADVISOR).status_code == 302


@pytest.mark.parametrize("path", ["/console/no-such-page", "/nowhere"])
def test_unknown_pages_are_404(client, path):
    assert client.get(path).status_code == 404


def test_an_error_rolls_back_and_shows_a_plain_page(db_url, db, seeded):
    from flask import g

    from members.models import EnquiryNote

    failing = create_app({"DATABASE_URL": db_url, "SECRET_KEY": "test", "PROPAGATE_EXCEPTIONS": False})

    @failing.route("/console/half-written", methods=["POST"])
    def half_written():
        g.db.add(EnquiryNote(enquiry_id=1, body="written before the failure"))
        g.db.flush()
        raise RuntimeError("something broke after the write")

    client = failing.test_client()
    login(client, *ADVISOR)
    response = post(client, "/console/half-written")
    assert response.status_code == 500 and b"Something went wrong" in response.data
    assert b"something broke" not in response.data
    with db() as session:
        assert session.scalars(select(EnquiryNote)).all() == []
    assert client.get("/console/").status_code == 200  # the next request gets a fresh session
