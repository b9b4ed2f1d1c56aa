"""The conversation page: the transcript as the visitor saw it with what the NLU understood, the enquiry,
contact, routing and hand-off e-mail; and the follow-up actions on the enquiry."""
from __future__ import annotations

import re

from sqlalchemy import select

from members.models import Enquiry, EnquiryActivity
from tests.console.conftest import XSS, post


def page(client, conversation_id: str) -> str:
    response = client.get(f"/console/conversations/{conversation_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def visitor_blocks(html: str) -> list[str]:
    return re.findall(r'<div class="msg msg-visitor[^"]*"[^>]*>.*?</aside>', html, re.DOTALL)


def test_a_visitor_message_with_markup_is_shown_as_text(logged_in, seeded):
    html = page(logged_in, seeded.xss)
    assert XSS not in html and "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    inbox = logged_in.get("/console/").get_data(as_text=True)
    assert "<script>alert" not in inbox and "&lt;script&gt;alert" in inbox


def test_the_transcript_as_the_visitor_saw_it(logged_in, seeded):
    html = page(logged_in, seeded.coatings)
    assert "we develop anti-corrosion coatings for steel" in html
    # The bot's buttons are shown, and the visitor's click shows the button, not its payload.
    assert '<span class="chip">Yes, that&#39;s right</span>' in html and '<span class="chip">Another cluster</span>' in html
    assert 'clicked <span class="chip">Yes, that&#39;s right</span>' in html
    assert "/affirm" not in re.sub(r'<option[^>]*>.*?</option>', "", html)  # (intent names appear in the flag menus)


def test_intent_entities_and_confidence_beside_each_visitor_message(logged_in, seeded):
    blocks = visitor_blocks(page(logged_in, seeded.coatings))
    assert "intent <b>describe_project</b>" in blocks[0] and "0.93" in blocks[0] and "cluster=surfmat" in blocks[0]
    assert 'class="msg msg-visitor"' in blocks[0]  # confident: not highlighted
    funding = visitor_blocks(page(logged_in, seeded.funding))[0]
    assert 'class="msg msg-visitor low unanswered"' in funding and "0.41" in funding
    assert "low confidence" in funding and "bot could not answer" in funding
    xss = visitor_blocks(page(logged_in, seeded.xss))
    assert "nlu_fallback" in xss[0] and "low" in xss[0].split(">")[0]
    assert "low" not in xss[1].split(">")[0]  # "talk to a person", 0.97


def test_contact_organisation_and_routing(logged_in, seeded):
    html = page(logged_in, seeded.coatings)
    assert "Marie Dupont" in html and "marie@acme.example" in html
    assert re.search(r'href="/console/organisations/\d+">Acme Coatings S.A.</a>', html)
    assert "SurfMat" in html and "82% confidence" in html and "mentions coatings and steel" in html
    assert "Julien Marchetti" in html


def test_the_handoff_email_and_its_delivery_state(logged_in, seeded):
    html = page(logged_in, seeded.xss)
    assert "New enquiry — General — anonymous visitor" in html
    assert '<strong class="status-failed">failed</strong>' in html and "recipient refused" in html
    assert "8 attempts" in html
    assert "The assistant failed to understand the visitor twice in a row." in html  # why it was handed off
    assert ">Retry</button>" in html and ">Mark handled</button>" in html
    assert "No hand-off e-mail for this enquiry." in page(logged_in, seeded.coatings)


def test_a_conversation_without_an_enquiry(logged_in, seeded):
    html = page(logged_in, seeded.chat_only)
    assert "hello" in html and "has no enquiry" in html


def test_an_unknown_conversation_is_404(logged_in, seeded):
    assert logged_in.get("/console/conversations/nobody").status_code == 404


def test_assign_change_status_note_tag_and_review(logged_in, seeded, db):
    url = "/console/enquiries/2"
    assert post(logged_in, f"{url}/assign", {"advisor_id": "a-surfmat-de"}).status_code == 302
    post(logged_in, f"{url}/status", {"status": "in_progress"})
    post(logged_in, f"{url}/notes", {"body": "Called Marie; <b>meeting</b> on Monday."})
    post(logged_in, f"{url}/tags", {"tag": "  Event   Lead "})
    post(logged_in, f"{url}/tags", {"tag": "call back"})
    post(logged_in, f"{url}/tags/remove", {"tag": "call back"})
    response = post(logged_in, f"{url}/review", {"reviewed": "1"}, follow_redirects=True)
    assert b"Marked reviewed." in response.data

    html = page(logged_in, seeded.coatings)
    assert '<option value="a-surfmat-de" selected>Katrin Hoffelt</option>' in html
    assert 'class="status-in_progress">in progress' in html
    assert "Called Marie; &lt;b&gt;meeting&lt;/b&gt; on Monday." in html  # notes are text too
    assert '<span class="tag">event lead' in html and "call back" not in html.split("<h3>Activity</h3>")[0].split("<h3>Tags</h3>")[1]
    assert "reviewed by julien.marchetti@example.org" in html
    with db() as session:
        enquiry = session.get(Enquiry, 2)
        assert (enquiry.advisor_id, enquiry.status) == ("a-surfmat-de", "in_progress")
        log = [(a.action, a.detail) for a in session.scalars(select(EnquiryActivity).order_by(EnquiryActivity.id))]
    assert log == [("assigned", "Katrin Hoffelt"), ("status", "new → in progress"), ("tagged", "event lead"),
                   ("tagged", "call back"), ("untagged", "call back"), ("reviewed", "")]
    assert "julien.marchetti@example.org: assigned — Katrin Hoffelt" in html

    post(logged_in, f"{url}/review", {"reviewed": "0"})
    assert "Mark reviewed</button>" in page(logged_in, seeded.coatings)
    post(logged_in, f"{url}/assign", {"advisor_id": ""})
    with db() as session:
        assert session.get(Enquiry, 2).advisor_id is None


def test_bad_changes_are_refused_with_a_message(logged_in, seeded, db):
    for action, data in (("status", {"status": "lost"}), ("assign", {"advisor_id": "a-nobody"}),
                         ("notes", {"body": "   "}), ("tags", {"tag": ""})):
        response = post(logged_in, f"/console/enquiries/2/{action}", data, follow_redirects=True)
        assert b"Not saved:" in response.data, action
    with db() as session:
        enquiry = session.get(Enquiry, 2)
        assert (enquiry.status, enquiry.advisor_id) == ("new", "a-surfmat-fr")
    assert post(logged_in, "/console/enquiries/999/status", {"status": "closed"}).status_code == 404
