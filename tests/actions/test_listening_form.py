"""The form listens (issue 14): at a free-text step the text is the answer unless it is an explicit command;
'go back', 'change X' and correction sentences work at any step and are never stored as data. Built the way
rasa_sdk tests its own forms: a Tracker and a CollectingDispatcher, no server."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.commands import command
from actions.contact import ValidateContactForm
from actions.enquiry import ValidateEnquiryForm
from tests.actions.conftest import texts

CONTACT_SLOTS = ["consent", "cluster", "name", "organisation", "email", "phone", "need", "review"]
DOMAIN = {"forms": {"contact_form": {"required_slots": CONTACT_SLOTS},
                    "enquiry_form": {"required_slots": ["project_description", "cluster"]}},
          "slots": {}}
LEAD = {"consent": True, "project_description": "We build antennas for satellites", "cluster": "aerospace",
        "route_cluster": "aerospace", "advisor_name": "Marc Weber", "advisor_id": "a-aerospace"}


def step(form: str, slot: str, said: str, slots: dict, intent: str = "inform") -> Tracker:
    """The tracker the validation action gets after the visitor typed `said` while `slot` was asked."""
    latest = {"text": said, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
              "metadata": {"language": "en"}}
    events = [{"event": "user", "timestamp": time.time(), "text": said, "parse_data": latest, "metadata": {}},
              {"event": "slot", "name": slot, "value": said}]
    all_slots = {**slots, slot: said, "requested_slot": slot}
    return Tracker(uuid.uuid4().hex, all_slots, latest, events, False, None, {"name": form}, None)


def run(form, tracker: Tracker) -> tuple[dict, list[dict], CollectingDispatcher]:
    """(the slots set, all events, what the visitor was told)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(form.run(dispatcher, tracker, DOMAIN))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, events, dispatcher


@pytest.mark.parametrize("slot, said, intent", [
    ("name", "Paul Person", "request_human"),
    ("name", "Cancellara", "cancel"),
    ("organisation", "Stop & Go Logistics SA", "cancel"),
    ("email", "person.jane@acme.lu", "request_human"),
    ("organisation", "Talk2Me Sàrl", "request_human"),
])
def test_an_answer_the_classifier_takes_for_a_command_is_kept_as_the_answer(actions_db, slot, said, intent):
    slots, events, _ = run(ValidateContactForm(), step("contact_form", slot, said, LEAD, intent))
    assert slots[slot] == said
    assert slots["requested_slot"] != None and not [e for e in events if e.get("event") == "followup"]  # noqa: E711


@pytest.mark.parametrize("said", ["cancel", "Stop", "annuler", "abbrechen"])
def test_cancel_typed_as_a_whole_message_ends_the_form_without_storing_it(actions_db, said):
    slots, events, dispatcher = run(ValidateContactForm(), step("contact_form", "name", said, LEAD, "inform"))
    assert slots["name"] is None and slots["requested_slot"] is None
    assert {"event": "followup", "name": "action_listen", "timestamp": None} in events
    assert "stopped there" in texts(dispatcher)[0]


def test_talk_to_a_person_in_the_contact_form_keeps_the_form_in_hand_off_mode(actions_db):
    filled = {**LEAD, "name": "Jane Doe"}
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", "organisation", "talk to a person", filled))
    assert slots["organisation"] is None and slots["handoff_requested"] is True
    assert slots["requested_slot"] == "organisation" and "person will take this" in texts(dispatcher)[0]


def test_talk_to_a_person_in_the_enquiry_form_starts_the_hand_off(actions_db):
    slots, events, _ = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", "I want to talk to a person", LEAD))
    assert slots["requested_slot"] is None and slots["cluster"] is None
    assert {"event": "followup", "name": "action_start_handoff", "timestamp": None} in events


def test_go_back_reasks_the_previous_answer(actions_db):
    filled = {**LEAD, "name": "Jane Doe", "organisation": "Acme SA"}
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "email", "go back", filled))
    assert slots["email"] is None and slots["organisation"] is None and slots["requested_slot"] == "organisation"


def test_change_my_email_at_the_review_asks_for_it_again(actions_db):
    filled = {**LEAD, "name": "Jane Doe", "organisation": "Acme SA", "email": "jane@acme.lu", "need": "funding"}
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "review", "change my e-mail", filled))
    assert slots["email"] is None and slots["review"] is None and slots["requested_slot"] == "email"


def test_a_change_button_at_the_review_asks_for_that_field(actions_db):
    filled = {**LEAD, "name": "Jane Doe", "organisation": "Acme SA", "email": "jane@acme.lu", "need": "funding"}
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "review", '/inform{"field":"name"}', filled))
    assert slots["name"] is None and slots["requested_slot"] == "name"


def test_a_correction_sentence_reroutes_and_is_never_stored_as_the_answer(actions_db):
    said = "wait, I made a mistake, the cluster should be AeroSpace"
    slots, _, dispatcher = run(ValidateContactForm(),
                               step("contact_form", "organisation", said, {**LEAD, "cluster": "infocom",
                                                                           "name": "Jane Doe"}))
    assert slots["organisation"] is None and slots["cluster"] == "aerospace"
    assert slots["requested_slot"] == "organisation"
    assert "AeroSpace" in texts(dispatcher)[0]


def test_no_its_more_about_x_than_y_reroutes_at_the_cluster_step(actions_db):
    said = "no, it's more about the recycled material than about logistics"
    slots, _, dispatcher = run(ValidateEnquiryForm(), step(
        "enquiry_form", "cluster", said, {"project_description": "battery recycling logistics",
                                          "route_cluster": "logitrace"}))
    assert slots["cluster"] == "ecodev", texts(dispatcher)
    assert "more about" not in str(slots.get("project_description"))


def test_a_correction_with_the_new_value_takes_it(actions_db):
    filled = {**LEAD, "name": "Jane Doe", "organisation": "Acme SA", "email": "jane@acme.lu"}
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "need", "my e-mail should be jane.doe@acme.lu", filled))
    assert slots["email"] == "jane.doe@acme.lu" and slots["need"] is None


def test_consent_is_asked_once_and_a_refusal_asks_no_personal_details(actions_db):
    form = ValidateContactForm()
    assert asyncio.run(form.required_slots(CONTACT_SLOTS, CollectingDispatcher(), Tracker(
        "x", {"consent": False}, {}, [], False, None, {}, None), DOMAIN)) == ["need"]
    assert "consent" not in asyncio.run(form.required_slots(CONTACT_SLOTS, CollectingDispatcher(), Tracker(
        "x", {"consent": True}, {}, [], False, None, {}, None), DOMAIN))


def test_prefer_not_to_say_is_accepted_on_the_anonymous_path(actions_db):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "need", "I'd rather not say", {"consent": False}))
    assert slots["need"] == "none" and slots["requested_slot"] is None


def test_a_question_at_a_detail_step_is_answered_and_the_step_asked_again(actions_db):
    slots, _, dispatcher = run(ValidateContactForm(), step(
        "contact_form", "name", "Can I get money for an R&D project?", LEAD, "ask_question"))
    assert slots["name"] is None and slots["requested_slot"] == "name"
    assert "Source:" in texts(dispatcher)[0]


def test_none_of_these_i_just_had_questions_ends_the_enquiry_form(actions_db):
    slots, _, dispatcher = run(ValidateEnquiryForm(), step(
        "enquiry_form", "cluster", "None of these, I just had questions. Thanks.", LEAD, "not_helpful"))
    assert slots["requested_slot"] is None and slots["cluster"] is None
    assert "Ask me anything" in texts(dispatcher)[0] and "advisor" not in texts(dispatcher)[0]


def test_every_message_carries_its_catalogue_key(actions_db):
    _, _, dispatcher = run(ValidateContactForm(), step("contact_form", "email", "not an address", LEAD))
    assert [m["text_key"] for m in dispatcher.messages] == ["invalid.email"]


@pytest.mark.parametrize("said", ["Jane Stopford", "Backhaus GmbH", "Changeworks Ltd", "person@acme.lu", "Noé"])
def test_ordinary_answers_are_not_commands(said):
    assert command(said) is None


@pytest.mark.parametrize("said, kept", [("yes", True), ("/affirm", True),
                                        ("no thanks", False), ("/deny", False), ("oui", True)])
def test_consent_typed_or_clicked_is_checked(actions_db, said, kept):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "consent", said, {"advisor_name": "Marc"}))
    assert slots["consent"] is kept


def test_consent_given_after_a_refusal_asks_for_the_need_again(actions_db):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "consent", "yes", {"need": "none",
                                                                                   "consent_asked_again": True}))
    assert slots["consent"] is True and slots["need"] is None
