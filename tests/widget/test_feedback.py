"""Issue 17 items 3-5 in Chromium against the real stack: a visitor's thumbs down (keyboard only, with a comment)
appears in the console's feedback list; the advisor sees the transcript as the visitor saw it (bold rendered,
button titles instead of payloads, visitor HTML inert), replies from the enquiry page, the mail reaches the mail
sink once, and the visitor finds the reply in the widget when they come back."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.accounts import set_account
from handoff import sender
from members.db import session_factory
from members.models import Enquiry, OutboxMessage, VisitorFeedback
from members.seed import add_enquiry
from tests.conftest import eventually
from tests.console.conftest import ADVISOR
from tests.widget.chat import SQLITE_STACK, last_reply, messages, open_and_greet, send_and_wait, session_id
from tests.widget.test_access import serious_violations

pytestmark = [pytest.mark.browser, SQLITE_STACK]

XSS = '<img src=x onerror="alert(1)"><script>alert("typed")</script>'
VISITOR_ADDRESS = "visitor.l2@example.net"


@pytest.fixture
def advisor_page(chromium, site, stack):
    """The console in another browser, logged in as the advisor Julien Marchetti; records dialogs."""
    with session_factory(stack.database_url).begin() as session:
        set_account(session, *ADVISOR, role="advisor")
    context = chromium.new_context(base_url=site.url.rstrip("/"))
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.goto("/console/login")
    tab.get_by_label("E-mail").fill(ADVISOR[0])
    tab.get_by_label("Password").fill(ADVISOR[1])
    tab.get_by_role("button", name="Log in").click()
    expect(tab.get_by_role("heading", name="Enquiries")).to_be_visible()
    yield tab
    context.close()


def _read(stack, query) -> list:
    """The query's values, read in a fresh session (so each poll sees what the other processes wrote)."""
    with session_factory(stack.database_url)() as session:
        return session.scalars(query).all()


def _enquiry_with_address(stack, conversation_id: str) -> None:
    """The visitor left an address (the form is tested elsewhere): the enquiry the console replies on."""
    with session_factory(stack.database_url).begin() as session:
        enquiry = session.scalars(select(Enquiry).where(Enquiry.conversation_id == conversation_id)).first()
        if enquiry is None:
            enquiry = add_enquiry(session, conversation_id, summary="R&D funding")
        enquiry.claimed_email, enquiry.advisor_id, enquiry.contact_status = VISITOR_ADDRESS, "a-surfmat-fr", "claimed"


def test_thumbs_down_reply_and_transcript_end_to_end(page, advisor_page, stack, axe_js):
    open_and_greet(page)
    page.locator("[data-fs=quick-reply]", has_text="Funding for an R&D project").click()  # a bot button's payload
    expect(messages(page, "bot")).to_have_count(2)
    expect(last_reply(page)).to_contain_text("Ministry of the Economy")
    answer = last_reply(page)
    down = answer.locator("[data-fs=vote][data-vote=down]")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(answer.get_by_role("group", name="Was this helpful?")).to_be_visible()

    down.focus()  # keyboard only: Enter on the thumb, type the comment, Enter
    page.keyboard.press("Enter")
    expect(last_reply(page).locator("[data-vote=down]")).to_have_attribute("aria-pressed", "true")
    comment = last_reply(page).get_by_label("What was missing? (optional)")
    expect(comment).to_be_focused()
    assert serious_violations(page, axe_js) == []  # the thumbs and the comment box pass axe-core (WCAG 2.1 AA)
    page.keyboard.type("It doesn't say how much I can get.")
    page.keyboard.press("Enter")
    expect(last_reply(page).get_by_role("status")).to_have_text("Thank you for your feedback.")
    expect(last_reply(page).locator("[data-vote=down]")).to_be_focused()

    conversation = session_id(page)
    # The vote is stored first and its comment a moment later: wait for the comment, not for any row.
    assert eventually(lambda: _read(stack, select(VisitorFeedback.comment).where(
        VisitorFeedback.conversation_id == conversation)) == ["It doesn't say how much I can get."])

    send_and_wait(page, XSS)

    advisor_page.get_by_role("link", name="Feedback").click()
    row = advisor_page.locator("#thumbs-down tbody tr").first
    expect(row).to_contain_text("Ministry of the Economy")
    expect(row).to_contain_text("It doesn't say how much I can get.")

    _enquiry_with_address(stack, conversation)
    row.get_by_role("link").click()
    transcript = advisor_page.get_by_role("region", name="Transcript")
    expect(transcript.locator(".msg-bot strong", has_text="Ministry of the Economy").first).to_be_visible()
    expect(transcript.locator(".clicked .chip", has_text="Funding for an R&D project")).to_have_count(1)
    said = " ".join(transcript.locator(".said").all_inner_texts())  # what the console shows as said
    assert "/ask_question" not in said and "/greet" not in said
    expect(transcript.locator(".msg-visitor .text", has_text='<script>alert("typed")</script>')).to_have_count(1)
    assert transcript.locator("script, img").count() == 0
    expect(transcript.locator(".feedback-down")).to_contain_text("It doesn't say how much I can get.")
    expect(transcript.locator("time").first).to_have_text(re.compile(r"\d\d:\d\d CES?T$"))

    advisor_page.get_by_label(re.compile("Your reply")).fill(
        "Hello, yes: up to 50% of the costs.\nI'll call you on **Monday**.")
    advisor_page.get_by_role("button", name="Send reply").click()
    expect(advisor_page.get_by_role("alert")).to_contain_text("Reply sent")

    mails = eventually(lambda: [m for rcpt, m in stack.smtp.handler.messages if VISITOR_ADDRESS in rcpt], 30)
    assert len(mails) == 1 and mails[0]["Reply-To"] == "julien.marchetti@example.org"
    assert eventually(lambda: _read(stack, select(OutboxMessage.status).where(
        OutboxMessage.to_addr == VISITOR_ADDRESS)) == ["sent"], 30)
    factory = session_factory(stack.database_url)
    connect = sender.smtp_factory("127.0.0.1", stack.smtp.port, "none", "", "", 5)
    assert sender.deliver_due(factory, connect, "firststop@example.org", 8) == {}  # nothing left to send
    assert len([m for rcpt, m in stack.smtp.handler.messages if VISITOR_ADDRESS in rcpt]) == 1  # exactly once

    page.reload()  # the visitor comes back
    staff = messages(page, "staff")
    expect(staff).to_have_count(1)
    expect(staff).to_contain_text("Advisor · Julien Marchetti")
    expect(staff.locator("strong", has_text="Monday")).to_have_count(1)
    page.reload()
    expect(messages(page, "staff")).to_have_count(1)  # shown once, however often they come back
    assert advisor_page.dialogs == []
