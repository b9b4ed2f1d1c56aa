"""The widget's own words follow the conversation's language, not only the page's: a visitor who writes German on
the English demo page gets a German interface, said to screen readers (lang), kept after a reload and sent with
the next message."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.widget.chat import SQLITE_STACK, ask, last_reply, messages, open_and_greet, send
from tests.widget.test_access import serious_violations

pytestmark = [pytest.mark.browser, SQLITE_STACK]

GERMAN_PROJECT = "Wir entwickeln Leichtbauteile für Flugzeuge und suchen Fördermittel für unser Projekt"


def expect_interface(page: Page, lang: str, placeholder: str, send_label: str, talk: str) -> None:
    """The text box, the Send button and the header speak `lang`, and the widget says so to screen readers."""
    expect(page.locator("[data-fs=input]")).to_have_attribute("placeholder", placeholder)
    expect(page.locator("[data-fs=send]")).to_have_accessible_name(send_label)
    expect(page.locator("[data-fs=talk-to-person]")).to_have_text(talk)
    expect(page.locator("[data-fs=root]")).to_have_attribute("lang", lang)


def posted(page: Page, text: str):
    """Wait for the widget to post the visitor's message `text` to Rasa; returns the request (send inside `with`)."""
    return page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/webhooks/rest/webhook")
                               and (r.post_data_json or {}).get("message") == text)


def test_writing_german_on_an_english_page_turns_the_widget_german(page, axe_js):
    open_and_greet(page)
    expect_interface(page, "en", "Ask a question…", "Send", "Talk to a person")

    with posted(page, GERMAN_PROJECT) as first:
        ask(page, GERMAN_PROJECT, "AeroSpace")
    assert first.value.post_data_json["metadata"] == {"language": "en"}  # nothing said German yet
    expect_interface(page, "de", "Stellen Sie eine Frage…", "Senden", "Mit einer Person sprechen")
    # Each entry keeps the language it was shown in: a screen reader reads the English greeting as English.
    expect(messages(page, "bot").first).to_have_attribute("lang", "en")
    expect(last_reply(page)).to_have_attribute("lang", "de")
    expect(last_reply(page).get_by_role("button", name="Hilfreich", exact=True)).to_be_visible()
    assert serious_violations(page, axe_js) == []  # valid lang attributes, WCAG 2.1 AA

    page.reload()  # the conversation's language is kept with its transcript
    expect(last_reply(page)).to_contain_text("AeroSpace")
    expect_interface(page, "de", "Stellen Sie eine Frage…", "Senden", "Mit einer Person sprechen")
    with posted(page, "Ja") as answer:
        send(page, "Ja")
    assert answer.value.post_data_json["metadata"] == {"language": "de"}
    expect(messages(page, "user").last).to_have_attribute("lang", "de")


def test_a_language_button_turns_the_interface_french(page):
    open_and_greet(page)
    page.locator("[data-fs=quick-reply]", has_text="Français").click()
    expect(messages(page, "bot")).to_have_count(2)
    expect_interface(page, "fr", "Posez une question…", "Envoyer", "Parler à une personne")
    expect(page.locator("[data-fs=privacy-notice]")).to_contain_text("Cette discussion est enregistrée")
