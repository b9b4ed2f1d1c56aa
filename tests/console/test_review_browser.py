"""Review in Chromium against a real Rasa stack: the bot answers a question with the wrong entry and the visitor gives
it a thumbs down, which puts the turn in the review queue; an advisor flags it as a wrong answer and picks the right
entry; the entry then has the visitor's words as an example, published, and the next visitor asking them gets that
entry's answer (no retraining, no restart)."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console import review
from members import content_store
from members.models import ContentItem
from members.transcripts import text_hash
from tests.conftest import eventually
from tests.console.conftest import ADVISOR, console_on_stack

pytestmark = pytest.mark.browser
QUESTION = "what is the dress code for your events"  # answered with the agency's address
RIGHT_ENTRY = "agency-events"
COMMENT = "I asked about the dress code"


@pytest.fixture
def console_url(stack, tmp_path):
    """The console on the stack's own database (content seeded from knowledge/, as on first start), with an advisor."""
    yield from console_on_stack(stack, tmp_path, ADVISOR, "advisor")


def entry_data(factory) -> dict:
    """The right entry as published now."""
    with factory() as session:
        item = session.scalars(select(ContentItem).where(ContentItem.kind == "entry",
                                                         ContentItem.key == RIGHT_ENTRY)).one()
        return content_store.revision_data(item.published)


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_a_wrong_answer_flagged_in_the_console_becomes_the_next_answer(chromium, stack, console_url):
    url, factory = console_url
    answer_start = entry_data(factory)["answer"].split(".")[0][:40]
    sender = uuid.uuid4().hex
    first = stack.send(sender, QUESTION, timeout=120)[0]["text"]
    assert answer_start not in first  # another entry's answer
    with factory.begin() as session:  # what the widget's thumbs down sends
        review.record_feedback(session, sender, 0, text_hash(first), "down", COMMENT)

    context = chromium.new_context(base_url=url)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/console/review")
        page.get_by_label("E-mail").fill(ADVISOR[0])
        page.get_by_label("Password").fill(ADVISOR[1])
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        row = page.locator("#queue tr", has_text=QUESTION)
        expect(row).to_contain_text("thumbs down")
        expect(row).to_contain_text(COMMENT)
        row.get_by_role("link", name=QUESTION).click()
        expect(page.locator("#visitor-text")).to_have_text(QUESTION)
        page.get_by_label("Should have answered with").select_option(RIGHT_ENTRY)
        page.get_by_role("button", name="Flag wrong answer").click()
        expect(page.get_by_role("alert")).to_contain_text("now an example of the right entry, published")
        expect(page.locator("#verdict")).to_contain_text(f"Should have answered with {RIGHT_ENTRY}")
        page.get_by_role("link", name="← Review queue").click()
        expect(page.locator("#queue tr", has_text=QUESTION)).to_have_count(0)  # reviewed: out of the queue
    finally:
        context.close()

    assert QUESTION in entry_data(factory)["examples"]
    # The action server reloads the published content within seconds; a new visitor's question now finds the entry.
    again = eventually(lambda: (lambda reply: reply if answer_start in reply else "")(
        stack.say(uuid.uuid4().hex, QUESTION, timeout=120)), timeout=90)
    assert answer_start in again

