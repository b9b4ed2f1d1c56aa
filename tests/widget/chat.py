"""What a visitor does and sees in the widget, in the words of the tests (via its data-fs hooks)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

# The widget tests talk to Rasa; the tracker store's database (SQLite or PostgreSQL) makes no difference
# to what the visitor sees, so they run once, on the SQLite stack.
SQLITE_STACK = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)

GREETING = "Hello! I'm FirstStop"


class Visitor:
    """A fresh visitor (empty storage) in one browser context; collects page errors and dialogs."""

    def __init__(self, browser: Browser, **context_options) -> None:
        self.context = browser.new_context(**context_options)
        self.errors: list[str] = []
        self.dialogs: list[str] = []

    def open_page(self, url: str) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url)
        page.wait_for_selector("[data-fs=launcher]", state="visible")
        return page


def messages(page: Page, role: str | None = None) -> Locator:
    """Transcript entries, optionally of one role: bot, user, staff or error."""
    return page.locator("[data-fs=message]" + (f"[data-role={role}]" if role else ""))


def last_reply(page: Page) -> Locator:
    return messages(page, "bot").last


def open_and_greet(page: Page) -> None:
    """Open the panel and wait for the bot's greeting."""
    page.click("[data-fs=launcher]")
    expect(messages(page, "bot").first).to_contain_text(GREETING)


def send(page: Page, text: str) -> None:
    """Type a message and press Enter."""
    page.fill("[data-fs=input]", text)
    page.press("[data-fs=input]", "Enter")


def send_and_wait(page: Page, text: str) -> None:
    """Send a message and wait for whatever the bot answers."""
    before = messages(page, "bot").count()
    send(page, text)
    page.wait_for_function(
        "n => document.querySelectorAll('[data-fs=message][data-role=bot]').length > n", arg=before, timeout=20_000)
    expect(page.locator("[data-fs=typing]")).to_be_hidden()


def ask(page: Page, text: str, reply: str) -> None:
    """Send a message and wait until the bot's last message contains `reply`."""
    send(page, text)
    expect(last_reply(page)).to_contain_text(reply)


def pick(page: Page, title: str, reply: str) -> None:
    """Click the quick reply `title` and wait until the bot's last message contains `reply`."""
    page.locator("[data-fs=quick-reply]", has_text=title).click()
    expect(messages(page, "user").last).to_contain_text(title)
    expect(last_reply(page)).to_contain_text(reply)


def session_id(page: Page) -> str:
    return page.evaluate("localStorage.getItem('firststop:session')")
