"""The visitor's answer to a cluster proposal and to the consent question, in whole sentences (issue 14): a polite
refusal in EN, FR or DE logs the project anonymously with the cluster proposed; a longer "yes" (or contact details)
takes the proposal; words that route nowhere leave the proposal standing; "go back" from consent shows it again.
Built the way rasa_sdk tests its own forms: a Tracker and a CollectingDispatcher, no server."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.answers import ActionAnswerQuestion
from actions.contact import ActionLogContact, ValidateContactForm, need_in
from actions.enquiry import ValidateEnquiryForm
from members.db import session_factory
from members.models import Enquiry
from tests.actions.conftest import texts, tracker
from tests.actions.test_listening_form import CONTACT_SLOTS, DOMAIN, run, step

PROPOSED = {"project_description": "We develop tracking software for freight trucks and warehouses",
            "route_cluster": "logitrace", "advisor_name": "Sven Reuterlinck", "advisor_id": "a-logitrace",
            "language": "en"}
REFUSALS = ["no thanks, I'll get back to you", "No thank you, I will get back to you later",
            "Nein danke, ich möchte keine Kontaktdaten angeben", "Nein, ich möchte keine Kontaktdaten angeben",
            "Non merci, je reviendrai vers vous", "Non merci, je ne veux pas donner mes coordonnées"]
FOLLOWUP_LOG = {"event": "followup", "name": "action_log_contact", "timestamp": None}


@pytest.mark.parametrize("said", REFUSALS)
def test_declining_at_the_proposal_keeps_the_proposed_cluster_for_the_anonymous_enquiry(actions_db, said):
    slots, events, _ = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said, PROPOSED, "deny"))
    assert (slots["cluster"], slots["consent"], slots["requested_slot"]) == ("logitrace", False, None)
    assert FOLLOWUP_LOG in events


@pytest.mark.parametrize("said", REFUSALS)
def test_declining_at_the_consent_question_is_a_refusal(actions_db, said):
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", "consent", said,
                                                           {**PROPOSED, "cluster": "logitrace"}, "deny"))
    assert slots["consent"] is False and slots.get("cluster", "logitrace") == "logitrace"
    assert dispatcher.messages[0]["text_key"] == "consent.refused"


@pytest.mark.parametrize("said", ["Anna Klein", "Urban Metals GmbH"])
def test_a_name_typed_at_the_consent_question_is_no_yes_and_the_question_is_asked_again_saying_why(actions_db, said):
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", "consent", said,
                                                           {**PROPOSED, "cluster": "logitrace"}, "inform"))
    assert slots["consent"] is None and slots["requested_slot"] == "consent"
    assert [m["text_key"] for m in dispatcher.messages][:1] == ["consent.unanswered"]
    assert dispatcher.messages[0]["text"] == "Before I note anything, I need your yes or no to this:"


@pytest.mark.parametrize("said", ["no thanks, I'll get back to you", "Nein danke, ich möchte keine Kontaktdaten angeben"])
def test_the_anonymous_enquiry_is_stored_with_the_cluster_and_the_visitor_is_told_who_has_it(actions_db, said):
    slots, _, _ = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said, PROPOSED, "deny"))
    logging = tracker({**PROPOSED, **{k: v for k, v in slots.items() if k != "requested_slot"}}, said, "deny")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionLogContact().run(dispatcher, logging, {}))
    (told,) = dispatcher.messages
    assert told["text_key"] == "logged.anonymous.routed" and "LogiTrace" in told["text"]
    assert (told["chosen_cluster"], told["proposed_cluster"], told["cluster_overridden"]) == \
        ("logitrace", "logitrace", False)
    with session_factory(actions_db)() as session:
        (enquiry,) = session.scalars(select(Enquiry).where(Enquiry.conversation_id == logging.sender_id)).all()
        assert (enquiry.cluster_id, enquiry.contact_id, enquiry.kind) == ("logitrace", None, "project")


@pytest.mark.parametrize("said", ["Yes, I'd like to talk to her about funding", "Great, please put me in touch with him",
                                  "Yes, that's right. I'm Anna Schmit from MedAI, anna@medai.example",
                                  "Anna Schmit, MedAI, anna@medai.example", "Ja, gerne, das passt"])
def test_a_longer_yes_or_contact_details_take_the_proposal(actions_db, said):
    slots, _, dispatcher = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said, PROPOSED, "affirm"))
    assert slots["cluster"] == "logitrace" and slots.get("route_cluster", "logitrace") == "logitrace"
    assert dispatcher.messages[0]["chosen_cluster"] == "logitrace"


@pytest.mark.parametrize("said", ["hmm I am not sure what you mean", "what does that involve exactly"])
def test_words_that_route_nowhere_leave_the_proposal_standing(actions_db, said):
    slots, _, dispatcher = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said, PROPOSED, "inform"))
    assert slots["cluster"] is None and slots.get("route_cluster", "logitrace") == "logitrace"
    assert texts(dispatcher) == ["Sorry, I didn't catch that."]


def test_a_correction_that_routes_still_reroutes(actions_db):
    said = "no, it's more about recycled plastics and biodegradable packaging"
    slots, _, _ = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said, PROPOSED, "deny"))
    assert slots["cluster"] == "ecodev"


def test_go_back_from_consent_shows_the_proposal_again(actions_db):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "consent", "go back",
                                                  {**PROPOSED, "cluster": "logitrace"}))
    assert slots["cluster"] is None and slots["requested_slot"] == "cluster"
    back = tracker({**PROPOSED, "cluster": None, "consent": None}, "go back", "deny")
    assert asyncio.run(ValidateContactForm().required_slots(CONTACT_SLOTS, CollectingDispatcher(), back, DOMAIN)) == \
        ["cluster", "consent"]


def test_go_back_from_the_name_asks_consent_again(actions_db):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "name", "go back",
                                                  {**PROPOSED, "cluster": "logitrace", "consent": True}))
    assert slots["consent"] is None and slots["requested_slot"] == "consent"


@pytest.mark.parametrize("description, need", [
    ("We are building an AI tool for hospitals; what funding can we get for the R&D?",
     "what funding can we get for the R&D?"),
    ("Our startup makes sensors and we are looking for funding", "looking for funding"),
    ("We work on AI for hospitals and we'd like to know what funding we can get for the R&D",
     "what funding we can get for the R&D"),
    ("We build drones for bridge inspection", None),
])
def test_the_need_read_from_a_description_is_what_the_visitor_wrote(description, need):
    assert need_in(description) == need


@pytest.mark.parametrize("said, cluster, consent", [("yes", "logitrace", None), ("no thanks", "logitrace", False)])
def test_the_answer_to_the_proposal_shown_again_is_checked_never_stored_as_typed(actions_db, said, cluster, consent):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "cluster", said, PROPOSED))
    assert slots["cluster"] == cluster and slots.get("consent") is consent


@pytest.mark.parametrize("said, intent", [
    ("How can we finance the R&D of our AI tool for hospitals?", "out_of_scope"),
    ("Hi, we are a startup working on AI software for hospitals and we'd like to know what funding we can get for "
     "the R&D", "describe_project"),
])
def test_a_funding_question_inside_a_project_sentence_is_answered_and_routed(actions_db, said, intent):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker({}, said, intent), {}))
    assert "Source:" in texts(dispatcher)[0]
    assert {"event": "followup", "name": "enquiry_form", "timestamp": None} in events


@pytest.mark.parametrize("said", ["Is there funding for drones?", "Can we get funding for R&D?"])
def test_a_question_that_tells_of_no_project_of_ones_own_is_only_answered(actions_db, said):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker({}, said, "ask_question"), {}))
    assert "Source:" in texts(dispatcher)[0]
    assert not [e for e in events if e.get("event") == "followup"]


@pytest.mark.parametrize("said", ["Thanks, but I'd rather contact them myself.", "Not for now, thank you",
                                  "No need, thanks", "thanks, bye", "Merci, au revoir !", "ok danke, tschüss"])
def test_other_polite_refusals_at_the_proposal_are_refusals_never_corrections(actions_db, said):
    slots, events, _ = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said, PROPOSED, "thank"))
    assert (slots["cluster"], slots["consent"]) == ("logitrace", False) and FOLLOWUP_LOG in events
