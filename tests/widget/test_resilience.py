"""The widget when the server is unreachable or slow, or its reply is lost: the message is kept, Retry delivers
it once, nothing is lost.

The widget talks to the real Rasa server through a relay (tests/widget/relay.py) that the test cuts, restores
or slows down, so the shared Rasa server keeps running for the other tests.
"""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from firststop.visits import firststop_script
from server.channel import TOO_MANY
from tests.widget.chat import (
    GREETING,
    SQLITE_STACK,
    ask,
    last_reply,
    messages,
    open_and_greet,
    send,
)

pytestmark = [pytest.mark.browser, SQLITE_STACK]

QUESTION = "Can I get money for an R&D project?"


def test_server_down_then_up_the_message_is_kept_and_retry_delivers_it(relayed_page, relay):
    page = relayed_page
    open_and_greet(page)
    relay.cut()
    send(page, QUESTION)
    expect(messages(page, "error")).to_contain_text("We couldn't reach the assistant. Your message is kept")
    expect(messages(page, "user").last).to_contain_text("Not sent")
    expect(page.locator("[data-fs=input]")).to_have_value("")
    relay.restore()
    page.click("[data-fs=retry]")
    expect(last_reply(page)).to_contain_text("Ministry of the Economy")
    expect(messages(page, "error")).to_have_count(0)
    expect(messages(page, "user")).to_have_count(1)
    expect(messages(page, "user").last).not_to_contain_text("Not sent")
    expect(page.locator("[data-fs=input]")).to_be_focused()
    # Delivered once: one question, one answer.
    expect(messages(page, "bot").filter(has_text="Ministry of the Economy")).to_have_count(1)


def test_a_reply_lost_on_the_way_is_not_answered_twice(relayed_page, relay):
    """The server took "yes" in (the cluster proposal accepted) but the network lost its reply: Retry shows the
    consent question it had asked, not the answer to "yes" to it (the form's next step)."""
    page = relayed_page
    open_and_greet(page)
    project = next(turn for turn in firststop_script(0) if turn.kind == "project")
    ask(page, project.text, project.expect)
    relay.lose_replies = True
    send(page, "yes")
    expect(page.locator("[data-fs=retry]")).to_be_visible()
    relay.lose_replies = False
    page.click("[data-fs=retry]")
    expect(last_reply(page)).to_contain_text("may we store", ignore_case=True)
    expect(messages(page, "error")).to_have_count(0)
    expect(messages(page, "bot").filter(has_text="What is your name")).to_have_count(0)


def test_a_failed_message_survives_a_reload(relayed_page, relay):
    page = relayed_page
    open_and_greet(page)
    relay.cut()
    send(page, QUESTION)
    expect(page.locator("[data-fs=retry]")).to_be_visible()
    page.reload()
    expect(messages(page, "user").last).to_contain_text(QUESTION)
    expect(messages(page, "user").last).to_contain_text("Not sent")
    relay.restore()
    page.click("[data-fs=retry]")
    expect(last_reply(page)).to_contain_text("Ministry of the Economy")


def test_no_server_at_first_open_then_retry_gets_the_greeting(relayed_page, relay):
    page = relayed_page
    relay.cut()
    page.click("[data-fs=launcher]")
    expect(page.locator("[data-fs=retry]")).to_be_visible()
    expect(messages(page, "bot")).to_have_count(0)
    relay.restore()
    page.click("[data-fs=retry]")
    expect(messages(page, "bot")).to_have_count(1)
    expect(last_reply(page)).to_contain_text(GREETING)


def test_slow_server_says_so_and_a_reply_to_a_closed_panel_is_counted_unread(relayed_page, relay):
    page = relayed_page
    open_and_greet(page)
    relay.delay = 9.5  # the widget says it is slow after 8 s and gives up after 20 s
    send(page, QUESTION)
    typing = page.locator("[data-fs=typing]")
    expect(typing).to_be_visible()
    expect(typing).to_contain_text("This is taking longer than usual", timeout=9_000)
    page.keyboard.press("Escape")
    expect(page.locator("[data-fs=panel]")).to_be_hidden()
    badge = page.locator("[data-fs=badge]")
    expect(badge).to_have_text("1", timeout=15_000)
    expect(page.locator("[data-fs=launcher]")).to_have_attribute("aria-label", "Open chat with FirstStop (1 unread)")
    page.click("[data-fs=launcher]")
    expect(badge).to_be_hidden()
    expect(last_reply(page)).to_contain_text("Ministry of the Economy")
    expect(typing).to_be_hidden()
    expect(messages(page, "error")).to_have_count(0)


def test_too_many_messages_says_so_and_retry_delivers_the_message(page, site):
    """A 429 from the chat channel (the body it sends) is shown as such, with Retry; nothing is lost."""
    refused = []

    def busy(route):
        if route.request.method != "POST":
            return route.continue_()
        refused.append(route.request.post_data_json)
        return route.fulfill(status=429, content_type="application/json",
                             headers={"Retry-After": "3", "Access-Control-Allow-Origin": site.url.rstrip("/")},
                             body=json.dumps({"error": TOO_MANY, "retry_after": 3}))

    open_and_greet(page)
    page.route("**/webhooks/rest/webhook", busy)
    send(page, QUESTION)
    expect(messages(page, "error")).to_contain_text("Too many messages at once")
    expect(messages(page, "error")).not_to_contain_text("couldn't reach")
    expect(messages(page, "user").last).to_contain_text("Not sent")
    assert len(refused) == 1  # not retried on its own while the server is refusing
    page.unroute("**/webhooks/rest/webhook")
    page.click("[data-fs=retry]")
    expect(last_reply(page)).to_contain_text("Ministry of the Economy")
    expect(messages(page, "error")).to_have_count(0)
