"""The knowledge editor in Chromium against a real Rasa stack: an admin edits an answer and publishes it, and a
visitor's next question gets the new text (no retraining, no restart); the translations are flagged stale; a
rollback from the history restores the old answer."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from members.models import ContentItem
from tests.conftest import eventually
from tests.console.conftest import ADMIN, console_on_stack

pytestmark = pytest.mark.browser
QUESTION = "Can I get money for an R&D project?"
NEW_ANSWER = "From this week, R&D grants are explained by our new funding desk, room 42."


@pytest.fixture
def editor_url(stack, tmp_path):
    """The console on the stack's own database (seeded from knowledge/, as on first start), with an admin."""
    yield from console_on_stack(stack, tmp_path, ADMIN, "admin")


def _visitor_reply(stack) -> str:
    """What a new visitor is told when they ask the question."""
    return stack.say(uuid.uuid4().hex, QUESTION, timeout=120)


def _reply_that(stack, wanted) -> str:
    """The first visitor reply for which `wanted(reply)` holds (polling, as the action server reloads), or ''."""
    def check() -> str:
        reply = _visitor_reply(stack)
        return reply if wanted(reply) else ""
    return eventually(check, timeout=60)


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_an_edit_published_in_the_console_reaches_visitors_and_a_rollback_restores_it(chromium, stack,  # noqa: F811
                                                                                       editor_url):
    url, factory = editor_url
    with factory() as session:
        item = session.scalars(select(ContentItem).where(ContentItem.kind == "entry",
                                                         ContentItem.key == "rd-funding")).one()
        seeded_revision = item.published_revision_id
    assert "Ministry of the Economy" in _reply_that(stack, lambda reply: "Ministry of the Economy" in reply)

    context = chromium.new_context(base_url=url)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/console/")
        page.get_by_label("E-mail").fill(ADMIN[0])
        page.get_by_label("Password").fill(ADMIN[1])
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="Content").first.click()
        page.locator("table.list").get_by_role("link", name="rd-funding", exact=True).click()
        expect(page.locator("#stale-fr")).to_have_count(0)
        page.get_by_label("answer (en)").fill(NEW_ANSWER)
        page.get_by_label("What changed").fill("new funding desk")
        page.get_by_role("button", name="Save and publish").click()
        expect(page.get_by_role("alert")).to_contain_text("published; the assistant answers with it within seconds")

        assert NEW_ANSWER in _reply_that(stack, lambda reply: NEW_ANSWER in reply)

        # its French and German translations were made from the old English: flagged in the editor and the list
        expect(page.locator("#stale-fr")).to_be_visible()
        expect(page.locator("#stale-de")).to_be_visible()
        page.get_by_role("link", name="← Content").click()
        expect(page.locator("li.stale", has_text="rd-funding")).to_have_count(2)

        page.locator("table.list").get_by_role("link", name="rd-funding", exact=True).click()
        page.locator(f"#r{seeded_revision}").get_by_role("button", name="Roll back to this").click()
        expect(page.get_by_role("alert")).to_contain_text(f"Revision {seeded_revision} published again")
        expect(page.locator("#stale-fr")).to_have_count(0)
    finally:
        context.close()
    restored = _reply_that(stack, lambda reply: NEW_ANSWER not in reply)
    assert "Ministry of the Economy" in restored
