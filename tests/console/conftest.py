"""Console fixtures: the app on a migrated database (SQLite and PostgreSQL), staff accounts, logged-in
clients, and a few conversations seeded as Rasa writes them."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from console import create_app
from console.accounts import set_account
from firststop.settings import get_settings
from members.models import Contact, Organisation, OutboxMessage
from members.seed import (
    action_event,
    add_enquiry,
    add_events,
    bot_event,
    user_event,
)
from worker import search_index
from worker.context import Context

ADMIN = ("admin@example.org", "admin-password-1")
ADVISOR = ("julien.marchetti@example.org", "advisor-password-1")  # the advisor a-surfmat-fr in knowledge/
XSS = '<script>alert("xss")</script><img src=x onerror="alert(1)">'


@dataclass
class Seeded:
    """What the `seeded` fixture wrote, for assertions."""

    xss: str = "c-xss"
    coatings: str = "c-coatings"
    funding: str = "c-funding"
    chat_only: str = "c-chat-only"


@pytest.fixture
def app(db_url, db, tmp_path):
    """The console on a migrated database with the advisors loaded."""
    with db.begin() as session:
        set_account(session, *ADMIN, role="admin")
        set_account(session, *ADVISOR, role="advisor")
    return create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test", "MAIL_DIR": tmp_path / "mail",
                       "ADMIN_PASSWORD_FILE": tmp_path / "admin-password.txt"})


@pytest.fixture
def client(app):
    """A browser that is not logged in."""
    return app.test_client()


def csrf_of(client) -> str:
    """The CSRF token of the client's session, as a page with a form would put it in the session."""
    for page in (None, "/console/login", "/console/"):
        if page:
            client.get(page)
        with client.session_transaction() as session:
            if "csrf" in session:
                return session["csrf"]
    raise AssertionError("no page gave the session a CSRF token")


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a form the way the console's pages do, with the session's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_of(client)}, **kwargs)


def login(client, email: str, password: str, **kwargs):
    """Submit the login form (keyword arguments, such as headers, go to the request)."""
    return post(client, "/console/login", {"email": email, "password": password}, **kwargs)


@pytest.fixture
def logged_in(app):
    """A client logged in as an advisor (linked to the advisor a-surfmat-fr)."""
    client = app.test_client()
    assert login(client, *ADVISOR).status_code == 302
    return client


@pytest.fixture
def admin(app):
    """A client logged in as an admin."""
    client = app.test_client()
    assert login(client, *ADMIN).status_code == 302
    return client


@pytest.fixture
def seeded(app, db) -> Seeded:
    """Four conversations: an XSS attempt handed off with a failed e-mail, a routed project with a contact,
    a question the bot was unsure about (ten days ago), and a chat that left no enquiry."""
    names = Seeded()
    now = time.time()
    with db.begin() as session:
        x = names.xss
        add_events(session, [
            action_event(x, "action_session_start", now - 300),
            user_event(x, XSS, "nlu_fallback", 0.12, at=now - 299),
            bot_event(x, "Sorry, I didn't understand that. You can ask me about R&D funding.", at=now - 298,
                      metadata={"text_key": "fallback"}),
            user_event(x, "talk to a person", "request_human", 0.97, at=now - 297),
            bot_event(x, "Anne Schmitz-Lorang will answer you.", at=now - 296),
        ])
        enquiry = add_enquiry(session, x, summary=XSS, status="handed_off", bot_unsure=True, advisor_id="a-general",
                              handoff_reason="not_understood")
        session.add(OutboxMessage(
            enquiry=enquiry, kind="handoff", message_id="<xss@firststop.test>", to_addr="anne.schmitz-lorang@example.org",
            subject="New enquiry — General — anonymous visitor", body_text="Transcript:\n" + XSS, body_html="<p></p>",
            status="failed", attempts=8, last_error="recipient refused: {'anne.schmitz-lorang@example.org': (550, b'no such user')}",
        ))

        c = names.coatings
        add_events(session, [
            user_event(c, "we develop anti-corrosion coatings for steel", "describe_project", 0.93,
                       [("cluster", "surfmat")], at=now - 200),
            bot_event(c, "That sounds like Materials & Manufacturing. Is that right?",
                      [("Yes, that's right", "/affirm"), ("Another cluster", "/deny")], at=now - 199),
            user_event(c, "/affirm", "affirm", 1.0, at=now - 198),
            bot_event(c, "Julien Marchetti advises that cluster.", at=now - 197),
        ])
        acme = Organisation(name="Acme Coatings S.A.", name_key="acme coatings", email_domain="acme.example")
        marie = Contact(email="marie@acme.example", name="Marie Dupont", organisation=acme, profile="sme")
        session.add_all([acme, marie])
        add_enquiry(session, c, summary="we develop anti-corrosion coatings for steel", cluster_id="surfmat",
                    advisor_id="a-surfmat-fr", route_score=0.82, route_reason="mentions coatings and steel",
                    contact=marie, language="fr", profile="sme")

        f = names.funding
        ten_days_ago = now - 10 * 86400
        add_events(session, [
            user_event(f, "can I get money for a quantum teleportation prototype", "ask_question", 0.41, at=ten_days_ago),
            bot_event(f, "I'm not sure I have the answer to that. Is it one of these topics?",
                      [("Talk to a person", "/request_human")], at=ten_days_ago + 1,
                      metadata={"text_key": "answer.unsure"}),
        ])
        add_enquiry(session, f, summary="quantum teleportation prototype funding", status="in_progress",
                    bot_unsure=True, cluster_id="infocom", language="de",
                    created_at=datetime.now(timezone.utc) - timedelta(days=10))

        o = names.chat_only
        add_events(session, [
            user_event(o, "hello", "greet", 0.99, at=now - 100),
            bot_event(o, "Hello! I can answer questions about innovation and R&D funding.", at=now - 99),
        ])
    index_round(db)
    return names


def index_round(db) -> None:
    """What the background worker's search-index job does each round (console pages no longer do it)."""
    search_index.run(Context(get_settings(), db))


def console_on_stack(stack, tmp_path, account: tuple[str, str], role: str):
    """Serve the console on the stack's own database (content seeded from knowledge/, as on first start) with the
    account, in a thread; yields (URL, session factory) for the fixtures of the browser tests."""
    import threading

    from werkzeug.serving import make_server

    from members import content_store
    from members.db import session_factory
    from tests.conftest import free_port

    factory = session_factory(stack.database_url)
    with factory.begin() as session:
        set_account(session, *account, role=role)
        content_store.seed_if_empty(session, get_settings().knowledge_dir)
    app = create_app({"DATABASE_URL": stack.database_url, "TESTING": True, "SECRET_KEY": "test",
                      "ADMIN_PASSWORD_FILE": tmp_path / "admin-password.txt"})
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", factory
    server.shutdown()
    thread.join(timeout=10)
