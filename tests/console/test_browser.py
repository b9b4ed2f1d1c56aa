"""The console in Debian's Chromium: log in, filter, search, open a transcript, add a note, flag a message and
export it; a visitor's XSS attempt is shown as text and runs nothing."""
from __future__ import annotations

import threading

import pytest
import yaml
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.conftest import free_port
from tests.console.conftest import ADVISOR, XSS

pytestmark = pytest.mark.browser


@pytest.fixture
def console_url(app, seeded):
    """The console served by werkzeug on a free port, in a thread, with the seeded conversations."""
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(chromium, console_url):
    """A fresh browser tab that records any dialog a script opens (and dismisses it)."""
    context = chromium.new_context(base_url=console_url, accept_downloads=True)
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def log_in(page) -> None:
    page.goto("/console/")
    expect(page).to_have_url("/console/login?next=/console/")
    page.get_by_label("E-mail").fill(ADVISOR[0])
    page.get_by_label("Password").fill(ADVISOR[1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enquiries")).to_be_visible()


def test_log_in_filter_open_note_flag_and_export(page, tmp_path):
    log_in(page)
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Cluster").select_option(label="SurfMat")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Marie Dupont, Acme Coatings S.A.")

    page.get_by_label("Search transcripts").fill("teleportation")
    page.get_by_label("Cluster").select_option(label="any")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("quantum teleportation prototype funding")
    page.get_by_label("Search transcripts").fill("")
    page.get_by_label("Cluster").select_option(label="SurfMat")
    page.get_by_role("button", name="Filter").click()

    page.get_by_role("link", name="we develop anti-corrosion coatings for steel").click()
    transcript = page.get_by_role("region", name="Transcript")
    expect(transcript).to_contain_text("we develop anti-corrosion coatings for steel")
    expect(transcript.locator(".nlu").first).to_contain_text("intent describe_project 0.93")
    expect(transcript.locator(".chip", has_text="Another cluster")).to_be_visible()  # the bot's buttons

    page.get_by_label("Add a note (staff only)").fill("Called Marie, meeting on Monday.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("alert")).to_have_text("Note added.")
    expect(page.locator(".note .text")).to_have_text("Called Marie, meeting on Monday.")

    first = transcript.locator(".msg-visitor").first
    first.get_by_label("Should have been").select_option("ask_question")
    first.get_by_role("button", name="Flag").click()
    expect(page.get_by_role("alert")).to_contain_text("Message flagged")
    expect(transcript.locator(".msg-visitor").first.locator(".flagged")).to_have_text("flagged: should be ask_question")

    page.get_by_role("link", name="Improve the bot").click()
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export as Rasa NLU YAML").click()
    exported = yaml.safe_load(download.value.path().read_text(encoding="utf-8"))
    assert exported["version"] == "3.1"
    assert exported["nlu"] == [{"intent": "ask_question", "examples": "- we develop anti-corrosion coatings for steel\n"}]
    assert page.dialogs == []


def test_a_visitors_xss_attempt_is_shown_as_text(page):
    log_in(page)
    page.get_by_label("Bot was unsure").check()
    page.get_by_role("button", name="Filter").click()
    link = page.locator("table.list tbody a", has_text='<script>alert("xss")</script>')
    expect(link).to_have_count(1)
    link.click()
    message = page.locator(".msg-visitor .text").first
    expect(message).to_have_text(XSS)
    assert page.locator(".transcript script, .transcript img").count() == 0
    expect(page.locator(".card dd", has_text='<img src=x onerror="alert(1)">')).to_have_count(1)  # the summary too
    page.wait_for_timeout(500)
    assert page.dialogs == []


def test_dashboard_charts_render(page):
    log_in(page)
    page.get_by_role("link", name="Dashboard").click()
    charts = page.locator("figure.chart > svg")
    expect(charts).to_have_count(3)
    box = charts.first.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert page.locator("figure.chart > svg rect").count() >= 6
    assert page.dialogs == []


def test_log_out(page):
    log_in(page)
    page.get_by_role("button", name=f"Log out {ADVISOR[0]}").click()
    expect(page.get_by_role("alert")).to_have_text("You are logged out.")
    page.goto("/console/handoffs")
    expect(page).to_have_url("/console/login?next=/console/handoffs")
