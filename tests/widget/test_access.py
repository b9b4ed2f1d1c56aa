"""Keyboard-only use, the phone layout and an automated WCAG 2.1 A/AA check (axe-core) of the widget."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.widget.chat import (
    SQLITE_STACK,
    Visitor,
    ask,
    last_reply,
    messages,
    open_and_greet,
)

pytestmark = [pytest.mark.browser, SQLITE_STACK]

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def focused(page) -> str:
    """The focused element's test hook and text, as 'hook: text'."""
    return page.evaluate("(e => `${e.dataset.fs || e.tagName}: ${e.textContent}`)(document.activeElement)")


def tab_to(page, hook: str, text: str = "", key: str = "Tab", limit: int = 30) -> None:
    """Press Tab (or Shift+Tab) until the element with data-fs=`hook` (and `text`, if given) has the focus."""
    for _ in range(limit):
        here = focused(page)
        if here == f"{hook}: {text}" if text else here.startswith(f"{hook}: "):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached [data-fs={hook}] {text}; focus is on {focused(page)}")


def test_keyboard_only(page):
    launcher = page.locator("[data-fs=launcher]")
    tab_to(page, "launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert launcher.evaluate("e => getComputedStyle(e).outlineStyle") != "none"  # focus is visible
    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.locator("[data-fs=input]")).to_be_focused()
    expect(messages(page, "bot")).to_have_count(1)
    page.keyboard.type("Can I get money for an R&D project?")
    page.keyboard.press("Enter")
    expect(last_reply(page)).to_contain_text("Ministry of the Economy")
    # A quick reply, reached and pressed from the keyboard.
    tab_to(page, "quick-reply", "Tell me more", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(messages(page, "user").last).to_contain_text("Tell me more")
    expect(last_reply(page)).to_contain_text("Eligible costs")  # the entry's "more", not its answer again
    # Shift+Enter is a new line, not a send.
    page.locator("[data-fs=input]").focus()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(page.locator("[data-fs=input]")).to_have_value("first line\nsecond line")
    page.keyboard.press("Escape")
    expect(page.locator("[data-fs=panel]")).to_be_hidden()
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[data-fs=input]")).to_be_focused()
    expect(page.locator("[data-fs=input]")).to_have_value("first line\nsecond line")  # the draft is kept


def test_phone_viewport_is_full_screen(chromium, site):
    visitor = Visitor(chromium, viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True)
    try:
        page = visitor.open_page(site.url)
        page.tap("[data-fs=launcher]")
        expect(messages(page, "bot")).to_have_count(1)
        assert page.locator("[data-fs=panel]").bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 700}
        ask(page, "Can I get money for an R&D project?", "Ministry of the Economy")
        answer = last_reply(page).bounding_box()
        assert answer["x"] >= 0 and answer["x"] + answer["width"] <= 375  # nothing wider than the phone
        assert page.evaluate("document.querySelector('.fs-scroll').scrollWidth <= 375")
        page.tap("[data-fs=close]")
        expect(page.locator("[data-fs=panel]")).to_be_hidden()
        expect(page.locator("[data-fs=launcher]")).to_be_visible()
        expect(page.locator("[data-fs=launcher]")).to_be_focused()
        assert visitor.errors == []
    finally:
        visitor.context.close()


def serious_violations(page, axe_js, context: str = "#fs-root") -> list[tuple[str, str, list[str]]]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations in `context`: (rule, impact, elements)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    result = page.evaluate(
        "([context, tags]) => axe.run(context, {runOnly: {type: 'tag', values: tags}})", [context, WCAG_21_AA])
    return [(v["id"], v["impact"], [n["html"][:120] for n in v["nodes"]])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violations(page, axe_js):
    assert serious_violations(page, axe_js) == []  # closed: the launcher alone
    open_and_greet(page)
    ask(page, "How can I contact you?", "Hauts-Fourneaux")  # links, bold text, quick replies
    page.fill("[data-fs=input]", "x" * 1001)
    page.click("[data-fs=send]")  # the counter and the error message
    expect(page.locator("[data-fs=input-error]")).not_to_be_empty()
    assert serious_violations(page, axe_js) == []


def test_no_serious_accessibility_violations_when_the_server_is_down(relayed_page, relay, axe_js):
    open_and_greet(relayed_page)
    relay.cut()
    relayed_page.fill("[data-fs=input]", "Can I get money for an R&D project?")
    relayed_page.press("[data-fs=input]", "Enter")
    expect(relayed_page.locator("[data-fs=retry]")).to_be_visible()
    assert serious_violations(relayed_page, axe_js) == []


def test_no_serious_accessibility_violations_on_a_phone(chromium, site, axe_js):
    visitor = Visitor(chromium, viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True)
    try:
        page = visitor.open_page(site.url)
        open_and_greet(page)
        assert serious_violations(page, axe_js) == []
    finally:
        visitor.context.close()
