"""Who can open what: every route needs a login, admins only where it says, CSRF on every form,
hardened cookies, server-side sessions (logout, revocation, idle and absolute lifetime), a lockout per
account and client address that tells nothing, disabled accounts, and integers the database can't hold."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from werkzeug.routing import IntegerConverter

from console import create_app
from console.auth import LOGIN_REFUSED
from firststop.settings import get_settings
from members.models import LoginThrottle, StaffSession, StaffUser
from tests.console.conftest import ADMIN, ADVISOR, csrf_of, login, post

COOKIE = "firststop_console"
BEYOND_ANY_ID = "99999999999999999999"  # more than PostgreSQL's bigint and SQLite's INTEGER hold

# The only pages a visitor may open without logging in; the widget's JSON endpoints (/api/) take a conversation's
# bearer id instead (tests/console/test_replies.py checks that they refuse bad ones).
PUBLIC_PATHS = {"/console/login", "/healthz", "/readyz", "/"}
PUBLIC_PREFIXES = ("/widget/", "/static/", "/api/")


def _is_public(rule) -> bool:
    return rule.rule in PUBLIC_PATHS or rule.rule.startswith(PUBLIC_PREFIXES) or rule.endpoint == "static"


def _example_url(rule) -> str:
    """The rule with made-up values for its arguments (int converters get 1, others 'x')."""
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        values[argument] = 1 if isinstance(converter, IntegerConverter) else "x"
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
    assert ("POST", "/console/enquiries/<int:enquiry_id>/reply") in checked and ("GET", "/console/feedback") in checked


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
    response = login(client, *ADVISOR)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Strict-Transport-Security" not in response.headers  # plain http on a developer's machine

    monkeypatch.setenv("SECURE_COOKIES", "1")
    get_settings.cache_clear()
    try:
        secure_app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test"})
    finally:
        get_settings.cache_clear()
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True
    secure_client = secure_app.test_client()
    response = login(secure_client, *ADVISOR)
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    for page in (response, secure_client.get("/console/login"), secure_client.get("/")):
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_https_console_url_turns_on_secure_cookies_by_default(monkeypatch):
    monkeypatch.setenv("CONSOLE_URL", "https://console.agency.example")
    monkeypatch.delenv("SECURE_COOKIES", raising=False)
    get_settings.cache_clear()
    try:
        assert get_settings().secure_cookies is True
    finally:
        get_settings.cache_clear()


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


def _refusal(response) -> tuple[int, str]:
    return response.status_code, response.get_data(as_text=True)


def test_unknown_account_wrong_password_and_lockout_get_the_same_reply(app, db):
    client = app.test_client()
    unknown = _refusal(login(client, "nobody@example.org", "whatever-password"))
    wrong = _refusal(login(client, ADVISOR[0], "wrong-password"))
    assert unknown[0] == wrong[0] == 401 and LOGIN_REFUSED in wrong[1]
    assert unknown == wrong  # same status, same page, byte for byte
    for _ in range(4):  # five failures in all lock this account from this address
        login(client, ADVISOR[0], "wrong-password")
    locked = _refusal(login(client, *ADVISOR))  # the right password, but locked now
    assert locked == wrong
    assert _refusal(login(client, "nobody@example.org", "whatever-password")) == wrong
    assert "locked" not in locked[1] and "disabled" not in locked[1]

    with db.begin() as session:  # the lockout lapses
        session.execute(update(LoginThrottle).values(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert login(client, *ADVISOR).status_code == 302


def test_the_reply_takes_as_long_for_an_unknown_or_locked_account(app):
    client = app.test_client()
    for _ in range(5):
        login(client, ADMIN[0], "wrong-password")  # lock admin from here, so its replies time the locked path

    # The three kinds are timed in turn, round after round, and each kind's fastest reply is compared: load from
    # elsewhere on the machine only ever adds time, and it adds it to all three alike.
    kinds = {"wrong password": (ADVISOR[0], "wrong-password"), "unknown": ("nobody@example.org", "wrong-password"),
             "locked": (ADMIN[0], ADMIN[1])}
    fastest = dict.fromkeys(kinds, float("inf"))
    for _ in range(7):
        for kind, (email, password) in kinds.items():
            started = time.perf_counter()
            assert login(client, email, password).status_code == 401
            fastest[kind] = min(fastest[kind], (time.perf_counter() - started) * 1000)
    wrong = fastest["wrong password"]
    for kind in ("unknown", "locked"):
        assert wrong / 2.5 < fastest[kind] < wrong * 2.5, (kind, fastest)  # each is one password hash check


def test_failures_from_one_address_do_not_lock_out_another(app):
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for number in range(6):  # a forged X-Forwarded-For does not make each try look like a new client
        login(attacker, ADMIN[0], "guessing", headers={"X-Forwarded-For": f"198.51.100.{number}"})
    assert login(attacker, *ADMIN).status_code == 401  # locked for that address, even with the password
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert login(owner, *ADMIN).status_code == 302  # the admin at their own desk is not locked out


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(app, db_url, tmp_path):
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test",
                      "TRUSTED_PROXIES": ("127.0.0.1",), "ADMIN_PASSWORD_FILE": tmp_path / "none"})
    through_proxy = app.test_client()  # the test client's peer address is 127.0.0.1, the proxy
    for _ in range(5):
        login(through_proxy, ADMIN[0], "guessing", headers={"X-Forwarded-For": "203.0.113.9"})
    assert login(through_proxy, *ADMIN, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 401
    assert login(through_proxy, *ADMIN, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 302

    stranger = app.test_client()  # not the proxy: its header is ignored and the lockout is its own address's
    stranger.environ_base["REMOTE_ADDR"] = "192.0.2.66"
    for number in range(6):
        login(stranger, ADMIN[0], "guessing", headers={"X-Forwarded-For": f"198.51.100.{number}"})
    assert login(stranger, *ADMIN, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 401


def test_logout_ends_the_session(logged_in):
    assert logged_in.get("/console/").status_code == 200
    response = post(logged_in, "/console/logout")
    assert response.headers["Location"] == "/console/login"
    assert logged_in.get("/console/").status_code == 302


def _replay(app, cookie: str):
    """A new browser that sends a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief


def test_a_cookie_replayed_after_logout_is_refused(app, logged_in, db):
    copied = logged_in.get_cookie(COOKIE).value
    assert _replay(app, copied).get("/console/").status_code == 200  # a copy works while the session lives
    post(logged_in, "/console/logout")
    response = _replay(app, copied).get("/console/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/login")
    with db() as session:
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_the_cookie_holds_only_a_random_token(logged_in):
    with logged_in.session_transaction() as session:
        assert set(session) <= {"token", "csrf", "_flashes"} and "user_id" not in session


def test_an_admin_password_reset_ends_the_advisors_sessions(admin, logged_in, db):
    with db() as session:
        advisor_id = session.scalars(select(StaffUser.id).where(StaffUser.email == ADVISOR[0])).one()
    assert logged_in.get("/console/").status_code == 200
    assert post(admin, f"/console/accounts/{advisor_id}/reset").status_code == 200
    assert logged_in.get("/console/").status_code == 302
    assert admin.get("/console/accounts").status_code == 200  # the admin's own session is untouched


def test_changing_your_password_logs_out_your_other_sessions(app, logged_in):
    laptop = app.test_client()
    assert login(laptop, *ADVISOR).status_code == 302
    response = post(logged_in, "/console/password",
                    {"current": ADVISOR[1], "password": "plum orchard at dusk", "repeat": "plum orchard at dusk"})
    assert response.status_code == 302
    assert logged_in.get("/console/").status_code == 200  # the browser that changed it stays logged in
    assert laptop.get("/console/").status_code == 302  # every other session has ended
    assert login(app.test_client(), *ADVISOR).status_code == 401
    assert login(app.test_client(), ADVISOR[0], "plum orchard at dusk").status_code == 302


def test_login_starts_a_fresh_session(client):
    before = csrf_of(client)
    login(client, *ADVISOR)
    assert csrf_of(client) != before  # a token planted before login is worthless after it


def _age_sessions(db, **columns) -> None:
    with db.begin() as session:
        session.execute(update(StaffSession).values(**columns))


def test_idle_sessions_are_logged_out(logged_in, db):
    _age_sessions(db, seen_at=datetime.now(timezone.utc) - timedelta(hours=9))  # the default idle limit is 8 h
    response = logged_in.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert b"without activity" in logged_in.get(response.headers["Location"]).data


def test_a_session_older_than_its_absolute_lifetime_is_refused(logged_in, db):
    _age_sessions(db, created_at=datetime.now(timezone.utc) - timedelta(hours=11, minutes=59))
    assert logged_in.get("/console/").status_code == 200  # busy all day: still within 12 hours
    _age_sessions(db, created_at=datetime.now(timezone.utc) - timedelta(hours=12, minutes=1))
    response = logged_in.get("/console/")  # seen a moment ago, but too old
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_activity_is_written_at_most_once_a_minute(logged_in, db):
    a_while_ago = datetime.now(timezone.utc) - timedelta(seconds=30)
    _age_sessions(db, seen_at=a_while_ago)
    logged_in.get("/console/")
    with db() as session:
        seen = session.scalars(select(StaffSession.seen_at)).one()
    assert abs((seen.replace(tzinfo=timezone.utc) - a_while_ago).total_seconds()) < 1
    _age_sessions(db, seen_at=datetime.now(timezone.utc) - timedelta(minutes=2))
    logged_in.get("/console/")
    with db() as session:
        seen = session.scalars(select(StaffSession.seen_at)).one()
    assert datetime.now(timezone.utc) - seen.replace(tzinfo=timezone.utc) < timedelta(seconds=30)


def test_a_disabled_account_is_logged_out_and_cannot_log_in(admin, logged_in, db):
    with db() as session:
        advisor_id = session.scalars(select(StaffUser.id).where(StaffUser.email == ADVISOR[0])).one()
    copied = logged_in.get_cookie(COOKIE).value
    assert post(admin, f"/console/accounts/{advisor_id}/disable").status_code == 302
    assert logged_in.get("/console/").status_code == 302  # its open session ends
    with db() as session:
        assert session.scalars(select(StaffSession).where(StaffSession.staff_user_id == advisor_id)).all() == []
    response = login(logged_in.application.test_client(), *ADVISOR)
    assert response.status_code == 403 and b"disabled" in response.data
    post(admin, f"/console/accounts/{advisor_id}/enable")
    assert _replay(logged_in.application, copied).get("/console/").status_code == 302  # enabling revives nothing
    assert login(logged_in.application.test_client(), *ADVISOR).status_code == 302


@pytest.mark.parametrize("path", ["/console/no-such-page", "/nowhere"])
def test_unknown_pages_are_404(client, path):
    assert client.get(path).status_code == 404


def test_integers_beyond_the_database_are_404_on_every_int_route(app, admin, seeded):
    int_rules = [r for r in app.url_map.iter_rules()
                 if any(isinstance(c, IntegerConverter) for c in r._converters.values())]
    assert len(int_rules) >= 12
    for rule in int_rules:
        url = rule.build({a: 1 for a in rule.arguments}, append_unknown=False)[1]
        url = url.replace("/1/", f"/{BEYOND_ANY_ID}/") if "/1/" in url else url[:-1] + BEYOND_ANY_ID
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = admin.open(url, method=method, data={"csrf_token": csrf_of(admin)})
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
    assert admin.get(f"/console/contacts/{2**31 - 1}").status_code == 404  # the largest id is still looked up


@pytest.mark.parametrize("url", [
    f"/console/handoffs?page={BEYOND_ANY_ID}", f"/console/contacts?page={BEYOND_ANY_ID}",
    f"/console/organisations?page={BEYOND_ANY_ID}", f"/console/dashboard?weeks={BEYOND_ANY_ID}",
    f"/console/?after=2026-01-01T00:00:00~{BEYOND_ANY_ID}", f"/console/?before=2026-01-01T00:00:00~{BEYOND_ANY_ID}",
    "/console/handoffs?page=-5",
])
def test_integer_query_parameters_beyond_the_database_are_not_errors(admin, seeded, url):
    assert admin.get(url).status_code == 200


def test_a_flag_for_a_message_id_beyond_the_database_is_refused_politely(admin, seeded):
    response = post(admin, "/console/flags", {"event_id": BEYOND_ANY_ID, "intent": "greet"}, follow_redirects=True)
    assert response.status_code == 200 and b"Not flagged" in response.data


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
