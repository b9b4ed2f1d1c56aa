"""Safety seen from the browser: message text never runs as HTML, the length limit holds on both sides,
session ids are unguessable and accepted by the server, and no one can read a conversation from the server."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from server.channel import is_conversation_id
from tests.widget.chat import (
    SQLITE_STACK,
    Visitor,
    ask,
    last_reply,
    messages,
    open_and_greet,
    pick,
    send,
    send_and_wait,
    session_id,
)

pytestmark = [pytest.mark.browser, SQLITE_STACK]

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    """POST straight to the server, as any client could; returns (status, JSON body)."""
    request = urllib.request.Request(url, body, {"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def assert_nothing_ran(page) -> None:
    """No element was made from message text (the `visitor` fixture also fails on any dialog)."""
    log = page.locator("[data-fs=log]")
    assert log.locator("img, script, iframe, object").count() == 0
    assert page.locator("#fs-root script, #fs-root img").count() == 0


def test_html_typed_by_the_visitor_is_shown_as_text_and_not_run(page):
    open_and_greet(page)
    send_and_wait(page, IMG)
    send_and_wait(page, SCRIPT)
    users = messages(page, "user").locator(".fs-bubble")
    expect(users).to_have_text([IMG, SCRIPT])
    assert_nothing_ran(page)
    page.reload()  # and from the stored transcript
    expect(messages(page, "user").locator(".fs-bubble")).to_have_text([IMG, SCRIPT])
    assert_nothing_ran(page)


def test_html_typed_into_the_form_is_not_run_nor_read_back(page):
    """HTML typed as a name or organisation runs nowhere, and the thank-you reads no detail back (issue 13, 5)."""
    open_and_greet(page)
    pick(page, "Describe my project", "Tell me about your project")
    ask(page, "We develop anti-corrosion coatings for steel", "SurfMat")
    pick(page, "Yes, SurfMat", "may we store your name")
    pick(page, "Yes, store my details", "What is your name?")
    ask(page, IMG, "Which organisation")
    ask(page, SCRIPT, "Which e-mail address")
    ask(page, "xss-test@example.org", "help you with")
    ask(page, "Advice on funding", "Here is what I'll send")
    for said in (IMG, SCRIPT, "xss-test@"):  # the review reads the details back masked, never whole
        expect(last_reply(page)).not_to_contain_text(said)
    assert_nothing_ran(page)
    pick(page, "Send", "Thank you!")
    expect(last_reply(page)).not_to_contain_text(IMG)
    assert_nothing_ran(page)
    page.reload()
    expect(last_reply(page)).to_contain_text("the e-mail address you gave")
    assert_nothing_ran(page)


def test_too_long_input_is_refused_in_the_widget(page):
    open_and_greet(page)
    page.fill("[data-fs=input]", "x" * 1001)
    expect(page.locator("[data-fs=counter]")).to_have_text("1001 / 1000")
    page.click("[data-fs=send]")
    expect(page.locator("[data-fs=input-error]")).to_have_text(
        "Your message has 1001 characters; the limit is 1000. Please shorten it.")
    expect(page.locator("[data-fs=input]")).to_have_attribute("aria-invalid", "true")
    expect(messages(page, "user")).to_have_count(0)
    assert page.input_value("[data-fs=input]") == "x" * 1001  # kept for the visitor to shorten


def test_widget_and_server_count_characters_the_same_way(page):
    """1000 emoji are 2000 UTF-16 units: both sides count 1000 characters and accept them."""
    open_and_greet(page)
    send_and_wait(page, "\U0001F680" * 1000)
    expect(messages(page, "user")).to_have_count(1)
    expect(messages(page, "error")).to_have_count(0)
    expect(page.locator("[data-fs=input-error]")).to_have_text("")


def test_the_server_refuses_too_long_input(stack, sender_id):
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    status, body = post(url, json.dumps({"sender": sender_id, "message": "x" * 1001}).encode())
    assert (status, body) == (413, {"error": "messages are limited to 1000 characters"})
    status, replies = post(url, json.dumps({"sender": sender_id, "message": "\U0001F680" * 1000}).encode())
    assert status == 200 and replies


def test_a_too_long_message_that_reaches_the_server_is_shown_as_refused(visitor, site):
    """A page that sets maxLength above the server's limit: the server's 413 is shown, with no Retry."""
    # The documented way to set options before the module loads; the demo page's own init() then only warns.
    visitor.context.add_init_script("window.FirstStopSettings = {maxLength: 2000}")
    page = visitor.open_page(site.url)
    open_and_greet(page)
    send(page, "x" * 1001)
    expect(messages(page, "error")).to_have_text("The assistant couldn't accept this message. Please shorten or rephrase it.")
    expect(messages(page, "user").last).to_contain_text("Not sent")
    expect(page.locator("[data-fs=retry]")).to_have_count(0)


def test_session_ids_are_random_128_bit_and_accepted_by_the_server(chromium, site):
    ids = set()
    for _ in range(3):
        visitor = Visitor(chromium)
        page = visitor.open_page(site.url)
        open_and_greet(page)  # the server accepted this session id: the greeting came back
        ids.add(session_id(page))
        visitor.context.close()
    assert len(ids) == 3
    for sid in ids:
        assert re.fullmatch(r"[0-9a-f]{32}", sid)
        assert is_conversation_id(sid)


def test_no_one_can_read_a_conversation_from_the_server(page, site):
    open_and_greet(page)
    ask(page, "Can I get money for an R&D project?", "Ministry of the Economy")
    sid = session_id(page)
    for path in (f"/conversations/{sid}/tracker", f"/conversations/{sid}/messages", "/status"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(site.rasa_url + path, timeout=10)
        assert refused.value.code in (401, 403, 404, 405)


def test_the_site_serves_the_widget_but_not_its_tests_or_dev_packages(site):
    for path in ("widget/firststop.js", "widget/firststop.css", "widget/src/widget.js"):
        with urllib.request.urlopen(site.url + path, timeout=10) as response:
            assert response.status == 200
    for path in ("widget/node_modules/axe-core/axe.min.js", "widget/package.json", "widget/tests/storage.test.mjs",
                 "widget/README.md", "widget/size.mjs"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(site.url + path, timeout=10)
        assert refused.value.code == 404, path
