"""Whole conversations through the REST channel for the paths a visitor takes after a cluster proposal (issue 14): a
polite refusal in English or German, at the proposal or at the consent question, logs the project anonymously with
the cluster proposed; a funding question asked with a project, then the visitor's details typed at the proposal, is
answered, routed, logged and mailed to the advisor. Judged by what the visitor was told, the stored enquiry, the
conversation's message metadata and the staff e-mail."""
from __future__ import annotations

import pytest

from tests.integration.test_form_listens import bot_metadata
from tests.integration.test_languages import say

FREIGHT = "We develop tracking software for freight trucks and warehouses"
FREIGHT_DE = "Wir entwickeln eine Tracking-Software für Lkw und Lagerhäuser"


def assert_logged_anonymously_with_logitrace(stack, sender_id: str) -> None:
    """One enquiry, in LogiTrace, with no contact and no e-mail; the console reads the cluster kept."""
    (enquiry,) = stack.enquiries(sender_id)
    assert (enquiry.cluster_id, enquiry.contact, enquiry.kind) == ("logitrace", None, "project")
    assert not enquiry.outbox
    settled = [m for m in bot_metadata(stack, sender_id) if "chosen_cluster" in m]
    assert settled and all(m["chosen_cluster"] == "logitrace" == m["proposed_cluster"] for m in settled)


@pytest.mark.parametrize("widget, project, refusal, told", [
    ("en", FREIGHT, "no thanks, I'll get back to you", "nobody can reply to you from here"),
    ("de", FREIGHT_DE, "Nein danke, ich möchte keine Kontaktdaten angeben", "niemand antworten"),
])
def test_declining_at_the_proposal_logs_the_project_with_the_proposed_cluster(stack, sender_id, widget, project,
                                                                              refusal, told):
    assert "LogiTrace" in say(stack, sender_id, project, widget)
    final = say(stack, sender_id, refusal, widget)
    assert told in final and "LogiTrace" in final
    assert_logged_anonymously_with_logitrace(stack, sender_id)


@pytest.mark.parametrize("widget, project, yes, refusal", [
    ("en", FREIGHT, "yes", "No thank you, I will get back to you later"),
    ("de", FREIGHT_DE, "ja", "Nein danke, ich möchte keine Kontaktdaten angeben"),
])
def test_declining_at_the_consent_question_logs_the_project_with_the_chosen_cluster(stack, sender_id, widget,
                                                                                    project, yes, refusal):
    say(stack, sender_id, project, widget)
    say(stack, sender_id, yes, widget)
    final = say(stack, sender_id, refusal, widget)
    assert "LogiTrace" in final and "info@luxinnovation.lu" in final
    assert_logged_anonymously_with_logitrace(stack, sender_id)


def test_a_funding_question_with_a_project_then_details_at_the_proposal_is_answered_logged_and_mailed(stack,
                                                                                                     sender_id):
    first = say(stack, sender_id, "We are building an AI tool for hospitals; what funding can we get for the R&D?")
    assert "Source:" in first and "BioHealth" in first  # the answer, then the routing
    email = f"anna-{sender_id[:8]}@medai.example"
    assert "may we store" in say(stack, sender_id, f"Anna Schmit, MedAI, {email}").lower()
    assert "your name" in say(stack, sender_id, "yes").lower()  # the address typed earlier is kept
    say(stack, sender_id, "Anna Schmit")
    review = say(stack, sender_id, "MedAI")
    assert "What you need: what funding can we get for the R&D?" in review and "a•••@medai.example" in review
    final = say(stack, sender_id, "/affirm")
    (enquiry,) = stack.enquiries(sender_id)
    assert final.startswith(f"Thank you! I've sent your enquiry to {enquiry.advisor.name}")
    assert (enquiry.cluster_id, enquiry.contact.name, enquiry.contact.email) == ("biohealth", "Anna Schmit", email)
    assert [m.kind for m in enquiry.outbox] == ["enquiry"]
    (mail,) = stack.mails_replying_to(email)
    assert mail["To"] == enquiry.advisor.email
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Anna Schmit" in body and "what funding can we get for the R&D?" in body


def test_a_visitor_who_declined_then_changes_their_mind_reaches_the_routed_advisor(stack, sender_id):
    say(stack, sender_id, FREIGHT)
    say(stack, sender_id, "no thanks, I'll get back to you")
    again = say(stack, sender_id, "Actually, I changed my mind, please have Sven contact me")
    assert "Earlier you preferred not to leave your details" in again  # consent asked again, with the reason
    email = f"jo-{sender_id[:8]}@freight.example"
    for answer in ("yes", "Jo Kim", "Kim Freight", email, "A pilot with our warehouses"):
        say(stack, sender_id, answer)
    final = say(stack, sender_id, "/affirm")
    (enquiry,) = stack.enquiries(sender_id)  # the same enquiry, now with the contact
    assert f"I've sent your enquiry to {enquiry.advisor.name}" in final
    assert (enquiry.cluster_id, enquiry.contact.email, enquiry.need) == ("logitrace", email, "A pilot with our warehouses")
    (mail,) = stack.mails_replying_to(email)
    assert mail["To"] == enquiry.advisor.email
