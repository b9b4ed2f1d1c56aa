"""The whole widget in real Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a fake Rasa server.

Skipped when Playwright or Chromium is missing. Set FIRSTSTOP_AXE_JS to the path of axe.min.js (axe-core)
to run the accessibility check too.
"""

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FAKE_SERVER = Path(__file__).resolve().parent.parent / "fake_rasa.mjs"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and shutil.which("node")), reason="needs Debian's chromium and node"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def servers():
    """Start the fake Rasa server and the demo site; yield (site_url, rasa_url)."""
    rasa_port, site_port = _free_port(), _free_port()
    proc = subprocess.Popen(["node", str(FAKE_SERVER), str(rasa_port), str(site_port)], stdout=subprocess.PIPE)
    site, rasa = f"http://127.0.0.1:{site_port}/", f"http://127.0.0.1:{rasa_port}"
    deadline = time.time() + 10
    while True:
        try:
            urllib.request.urlopen(site, timeout=1).read()
            break
        except OSError:
            if time.time() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)
    yield site, rasa
    proc.terminate()
    proc.wait(timeout=5)


def _control(rasa: str, what: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{rasa}/__{what}", method="POST"), timeout=5).read()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, servers):
    """A fresh visitor (empty storage) on the demo page, widget closed; fails on any page error."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(servers[0])
    pg.wait_for_selector("[data-fs=launcher]", state="visible")
    yield pg
    context.close()
    assert not errors


def messages(pg, role=None):
    selector = "[data-fs=message]" + (f"[data-role={role}]" if role else "")
    return pg.locator(selector)


def open_and_greet(pg):
    pg.click("[data-fs=launcher]")
    sync_api.expect(messages(pg, "bot")).to_have_count(1)


def send(pg, text):
    pg.fill("[data-fs=input]", text)
    pg.press("[data-fs=input]", "Enter")


def test_greeting_comes_after_the_privacy_notice(page):
    open_and_greet(page)
    notice = page.locator("[data-fs=privacy-notice]")
    sync_api.expect(notice).to_contain_text("This chat is stored to answer you.")
    sync_api.expect(messages(page, "bot").first).to_contain_text("FirstStop")
    # The notice comes before the transcript in reading order.
    assert page.evaluate(
        "document.querySelector('[data-fs=privacy-notice]').compareDocumentPosition("
        "document.querySelector('[data-fs=message]')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )


def test_send_a_message_and_see_the_reply(page):
    open_and_greet(page)
    send(page, "Can I get money for an R&D project?")
    sync_api.expect(messages(page, "user").last).to_contain_text("Can I get money for an R&D project?")
    sync_api.expect(messages(page, "bot").last).to_contain_text("You said: Can I get money")
    sync_api.expect(page.locator("[data-fs=typing]")).to_be_hidden()
    assert page.locator("[data-fs=message] time").count() == 3


def test_quick_reply_sends_its_payload_and_disappears(page):
    open_and_greet(page)
    replies = page.locator("[data-fs=quick-reply]")
    sync_api.expect(replies).to_have_count(3)
    replies.first.click()
    sync_api.expect(messages(page, "user").last).to_contain_text("Funding for R&D")
    sync_api.expect(messages(page, "bot").last).to_contain_text("R&D projects")
    # The new bot message brings its own buttons; typing instead of clicking hides them.
    sync_api.expect(replies).to_have_count(2)
    assert page.locator("[data-fs=input]").is_editable()
    send(page, "something else")
    sync_api.expect(messages(page, "user").last).to_contain_text("something else")
    sync_api.expect(page.locator("[data-fs=quick-replies]")).to_be_hidden()


def test_links_in_bot_messages_are_safe_links(page):
    open_and_greet(page)
    page.click("[data-fs=privacy-link]")
    sync_api.expect(messages(page, "user").last).to_contain_text("How is my data used?")
    link = messages(page, "bot").last.locator("a", has_text="privacy notice")
    sync_api.expect(link).to_have_attribute("href", "https://www.luxinnovation.lu/privacy-policy/")
    sync_api.expect(messages(page, "bot").last.locator("a[href^='mailto:']")).to_have_count(1)


def test_reload_keeps_session_and_history(page):
    open_and_greet(page)
    send(page, "remember me")
    sync_api.expect(messages(page, "bot")).to_have_count(2)
    session = page.evaluate("localStorage.getItem('firststop:session')")
    assert len(session) == 32
    page.reload()
    sync_api.expect(messages(page)).to_have_count(3)
    sync_api.expect(messages(page, "user")).to_contain_text("remember me")
    assert page.evaluate("localStorage.getItem('firststop:session')") == session
    # The panel was open: it stays open after navigation, without taking the page's focus.
    sync_api.expect(page.locator("[data-fs=panel]")).to_be_visible()
    send(page, "still here")
    sync_api.expect(messages(page, "bot").last).to_contain_text("You said: still here")


def test_server_down_then_up(page, servers):
    open_and_greet(page)
    _control(servers[1], "down")
    try:
        send(page, "are you there?")
        retry = page.locator("[data-fs=retry]")
        sync_api.expect(retry).to_be_visible(timeout=10000)
        sync_api.expect(messages(page, "error")).to_contain_text("couldn't reach the assistant")
        sync_api.expect(messages(page, "user").last).to_contain_text("Not sent")
    finally:
        _control(servers[1], "up")
    retry.click()
    sync_api.expect(messages(page, "bot").last).to_contain_text("You said: are you there?")
    sync_api.expect(messages(page, "error")).to_have_count(0)
    sync_api.expect(messages(page, "user")).to_have_count(1)
    sync_api.expect(messages(page, "user").last).not_to_contain_text("Not sent")


def test_no_server_at_first_open_is_shown_gracefully(page, servers):
    _control(servers[1], "down")
    try:
        page.click("[data-fs=launcher]")
        sync_api.expect(page.locator("[data-fs=retry]")).to_be_visible(timeout=10000)
    finally:
        _control(servers[1], "up")
    page.click("[data-fs=retry]")
    sync_api.expect(messages(page, "bot")).to_have_count(1)


def test_xss_payload_is_shown_as_text_and_not_run(page):
    open_and_greet(page)
    send(page, "xss <img src=x onerror=window.__xss=9>")
    sync_api.expect(messages(page, "bot")).to_have_count(3)
    log = page.locator("[data-fs=log]")
    sync_api.expect(log).to_contain_text('<img src=x onerror="window.__xss=1">')
    sync_api.expect(log).to_contain_text("<script>window.__xss=2</script>")
    assert page.evaluate("window.__xss") is None
    assert log.locator("img, script, b").count() == 0
    assert log.locator("a[href^='javascript']").count() == 0
    page.get_by_text("click me").click()
    assert page.evaluate("window.__xss") is None


def test_too_long_input_is_refused_and_not_sent(page):
    open_and_greet(page)
    page.fill("[data-fs=input]", "x" * 1001)
    sync_api.expect(page.locator("[data-fs=counter]")).to_have_text("1001 / 1000")
    page.click("[data-fs=send]")
    sync_api.expect(page.locator("[data-fs=input-error]")).to_contain_text("the limit is 1000")
    sync_api.expect(messages(page, "user")).to_have_count(0)
    assert page.input_value("[data-fs=input]") == "x" * 1001


def test_talk_to_a_person_shows_a_staff_message(page):
    open_and_greet(page)
    page.click("[data-fs=talk-to-person]")
    staff = messages(page, "staff")
    sync_api.expect(staff).to_contain_text("Anna")
    bot_bg = messages(page, "bot").last.locator(".fs-bubble").evaluate("e => getComputedStyle(e).backgroundColor")
    staff_bg = staff.locator(".fs-bubble").evaluate("e => getComputedStyle(e).backgroundColor")
    assert bot_bg != staff_bg


def test_restart_starts_a_new_session(page):
    open_and_greet(page)
    send(page, "first conversation")
    sync_api.expect(messages(page, "bot")).to_have_count(2)
    old = page.evaluate("localStorage.getItem('firststop:session')")
    page.click("[data-fs=restart]")
    sync_api.expect(messages(page)).to_have_count(1)
    sync_api.expect(messages(page, "bot")).to_contain_text("FirstStop")
    new = page.evaluate("localStorage.getItem('firststop:session')")
    assert new != old and len(new) == 32
    assert page.evaluate(f"localStorage.getItem('firststop:history:{old}')") is None


def test_keyboard_only(page):
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.fs") == "launcher":
            break
    launcher = page.locator("[data-fs=launcher]")
    sync_api.expect(launcher).to_be_focused()
    sync_api.expect(launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    sync_api.expect(launcher).to_have_attribute("aria-expanded", "true")
    sync_api.expect(page.locator("[data-fs=input]")).to_be_focused()
    sync_api.expect(messages(page, "bot")).to_have_count(1)
    page.keyboard.type("typed with the keyboard")
    page.keyboard.press("Enter")
    sync_api.expect(messages(page, "bot").last).to_contain_text("typed with the keyboard")
    page.keyboard.press("Escape")
    sync_api.expect(page.locator("[data-fs=panel]")).to_be_hidden()
    sync_api.expect(launcher).to_be_focused()
    outline = launcher.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"


def test_unread_badge_when_reply_arrives_closed(page):
    open_and_greet(page)
    send(page, "delay")
    page.keyboard.press("Escape")
    badge = page.locator("[data-fs=badge]")
    sync_api.expect(badge).to_have_text("1", timeout=5000)
    sync_api.expect(page.locator("[data-fs=launcher]")).to_have_attribute("aria-label", re.compile("1 unread"))
    page.click("[data-fs=launcher]")
    sync_api.expect(badge).to_be_hidden()


def test_phone_viewport_is_full_screen(browser, servers):
    context = browser.new_context(viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.goto(servers[0])
    pg.click("[data-fs=launcher]")
    sync_api.expect(messages(pg, "bot")).to_have_count(1)
    box = pg.locator("[data-fs=panel]").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 700}
    pg.click("[data-fs=close]")
    sync_api.expect(pg.locator("[data-fs=launcher]")).to_be_focused()
    context.close()


@pytest.mark.skipif(not os.environ.get("FIRSTSTOP_AXE_JS"), reason="set FIRSTSTOP_AXE_JS to axe.min.js")
def test_no_serious_accessibility_violations(page):
    open_and_greet(page)
    send(page, "hello")
    sync_api.expect(messages(page, "bot")).to_have_count(2)
    page.add_script_tag(path=os.environ["FIRSTSTOP_AXE_JS"])
    result = page.evaluate(
        "axe.run(document.getElementById('fs-root'), {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    serious = [(v["id"], v["impact"]) for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
