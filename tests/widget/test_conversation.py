"""The widget in Chromium talking to the real bot: replies, quick replies, links, history, hand-off, restart."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.widget.chat import (
    GREETING,
    SQLITE_STACK,
    ask,
    last_reply,
    messages,
    open_and_greet,
    pick,
    send,
    session_id,
)

pytestmark = [pytest.mark.browser, SQLITE_STACK]


def test_greeting_comes_after_the_privacy_notice_with_quick_replies(page):
    open_and_greet(page)
    expect(page.locator("[data-fs=privacy-notice]")).to_contain_text("This chat is stored to answer you.")
    assert page.evaluate(
        "document.querySelector('[data-fs=privacy-notice]').compareDocumentPosition("
        "document.querySelector('[data-fs=message]')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    expect(page.locator("[data-fs=quick-reply]")).to_have_text(
        ["Funding for an R&D project", "Starting an innovative business", "Describe my project", "Talk to a person",
         "Français", "Deutsch", "Lëtzebuergesch"])  # and a switch to each other language
    expect(messages(page, "user")).to_have_count(0)  # the greeting is asked for with a hidden /greet


def test_send_a_message_and_see_the_bots_answer(page):
    open_and_greet(page)
    ask(page, "Can I get money for an R&D project?", "Ministry of the Economy")
    expect(messages(page, "user").last).to_have_text(
        "You: Can I get money for an R&D project?" + messages(page, "user").last.locator(".fs-meta").inner_text())
    expect(last_reply(page)).to_contain_text("Source:")
    expect(last_reply(page).locator("strong", has_text="Ministry of the Economy")).to_have_count(1)
    expect(page.locator("[data-fs=typing]")).to_be_hidden()
    expect(page.locator("[data-fs=message] time")).to_have_count(3)


def test_quick_reply_sends_its_payload_and_the_buttons_go_away(page):
    open_and_greet(page)
    pick(page, "Describe my project", "Tell me about your project or company")
    expect(page.locator("[data-fs=quick-replies]")).to_be_hidden()
    expect(page.locator("[data-fs=input]")).to_be_editable()
    ask(page, "We develop anti-corrosion coatings for steel", "SurfMat")
    expect(page.locator("[data-fs=quick-reply]").first).to_have_text(
        "Yes, SurfMat (Surface Engineering and New Materials)")
    # Typing instead of clicking hides the buttons too.
    send(page, "yes")
    expect(messages(page, "user").last).to_contain_text("yes")
    expect(last_reply(page)).to_contain_text("may we store your name")


def test_privacy_link_gets_the_privacy_answer(page):
    open_and_greet(page)
    page.click("[data-fs=privacy-link]")
    expect(messages(page, "user").last).to_contain_text("How is my data used?")
    expect(last_reply(page)).to_contain_text("This assistant stores the conversation")
    expect(last_reply(page).locator("strong", has_text="consent")).to_have_count(1)


def test_links_in_answers_are_real_links(page):
    open_and_greet(page)
    ask(page, "How can I contact you?", "Hauts-Fourneaux")
    answer = last_reply(page)
    expect(answer.get_by_role("link", name="luxinnovation.lu", exact=True)).to_have_attribute(
        "href", re.compile(r"^https://www\.luxinnovation\.lu/?$"))
    expect(answer.locator("a", has_text="info@luxinnovation.lu")).to_have_attribute(
        "href", "mailto:info@luxinnovation.lu")
    expect(answer).not_to_contain_text("](")  # no markdown left over


def test_reload_keeps_the_session_the_history_and_the_conversation(page):
    open_and_greet(page)
    pick(page, "Describe my project", "Tell me about your project or company")
    session = session_id(page)
    page.reload()
    expect(messages(page)).to_have_count(3)
    expect(messages(page, "user")).to_contain_text("Describe my project")
    expect(last_reply(page)).to_contain_text("Tell me about your project or company")
    assert session_id(page) == session
    expect(page.locator("[data-fs=panel]")).to_be_visible()  # it was open: it stays open
    # The bot is still in the middle of the same conversation: it routes the project it asked for.
    ask(page, "We develop anti-corrosion coatings for steel", "SurfMat")
    expect(messages(page, "bot").filter(has_text=GREETING)).to_have_count(1)


def test_talk_to_a_person_starts_the_hand_off(page):
    open_and_greet(page)
    page.click("[data-fs=talk-to-person]")
    expect(messages(page, "user").last).to_contain_text("Talk to a person")
    expect(last_reply(page)).to_contain_text("may we store your name, organisation and e-mail address")
    expect(messages(page, "bot").filter(has_text="pass you to one of our advisors")).to_have_count(1)
    expect(page.locator("[data-fs=quick-reply]")).to_have_text(
        ["Yes, store my details", "No, stay anonymous", "How is my data used?"])
    pick(page, "Yes, store my details", "What is your name?")


def test_restart_starts_a_new_session(page):
    open_and_greet(page)
    pick(page, "Describe my project", "Tell me about your project or company")
    old = session_id(page)
    page.click("[data-fs=restart]")
    expect(messages(page)).to_have_count(1)
    expect(last_reply(page)).to_contain_text(GREETING)
    new = session_id(page)
    assert new != old and len(new) == 32
    assert page.evaluate(f"localStorage.getItem('firststop:history:{old}')") is None
    # The new conversation starts from scratch: no project description is expected any more.
    ask(page, "Can I get money for an R&D project?", "Ministry of the Economy")
