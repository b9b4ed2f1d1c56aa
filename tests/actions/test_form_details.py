"""The form keeps exactly what the visitor said (issue 14, the remaining kinds of failure): several details in one
message each go to their own field, a correction of an earlier field at a later step changes that field and asks the
step again, a visitor who wants no contact still has the routed project logged anonymously, a request for a person
mid-form is one, and the console can read which entry answered and which cluster was proposed. Built the way
rasa_sdk tests its forms: a Tracker and a CollectingDispatcher, no server."""
from __future__ import annotations

import asyncio
import time

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.answers import ActionAnswerQuestion
from actions.contact import ActionLogContact, ValidateContactForm
from actions.details import read_details
from actions.enquiry import ValidateEnquiryForm
from actions.routes import choose_cluster, propose
from knowledge.asking import question_part
from knowledge.understanding import project_part
from members.db import session_factory
from members.models import Enquiry
from tests.actions.conftest import texts, tracker
from tests.actions.test_listening_form import LEAD, run, step

DETAILS = {**LEAD, "name": "Jane Doe", "organisation": "Acme SA", "email": "jane@acme.lu"}


def followups(events: list[dict]) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


@pytest.mark.parametrize("slot", ["name", "organisation"])
def test_several_details_in_one_message_each_go_to_their_own_field(actions_db, slot):
    said = "I'm Luc Hoffmann from SkyDrop, luc@example.lu"
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", slot, said, LEAD))
    assert (slots["name"], slots["organisation"], slots["email"]) == ("Luc Hoffmann", "SkyDrop", "luc@example.lu")
    assert slots["requested_slot"] == "need"  # the form skips what it already has
    assert "noted" in texts(dispatcher)[0]


@pytest.mark.parametrize("said, name, organisation", [
    ("Luc Hoffmann, SkyDrop, luc@example.lu", "Luc Hoffmann", "SkyDrop"),
    ("Je suis Marie Dupont de NovaCell, marie@novacell.lu", "Marie Dupont", "NovaCell"),
    ("Ich bin Jonas Becker von GreenGrid, jonas@greengrid.de", "Jonas Becker", "GreenGrid"),
])
def test_an_email_address_is_never_stored_as_the_name(actions_db, said, name, organisation):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "name", said, LEAD))
    assert (slots["name"], slots["organisation"]) == (name, organisation) and "@" in slots["email"]


def test_details_given_before_the_form_asked_are_kept_once_consent_is_given(actions_db):
    earlier = {"event": "user", "timestamp": time.time(), "text": "Hi, I'm Luc Hoffmann from SkyDrop, luc@example.lu. "
               "We build drones for medical deliveries", "parse_data": {}, "metadata": {}}
    consenting = step("contact_form", "consent", "yes", {"advisor_name": "Marc Weber"})
    consenting.events.insert(0, earlier)
    slots, _, _ = run(ValidateContactForm(), consenting)
    assert slots["consent"] is True and slots["requested_slot"] == "need"
    assert (slots["name"], slots["organisation"], slots["email"]) == ("Luc Hoffmann", "SkyDrop", "luc@example.lu")


def test_details_typed_as_the_consent_answer_give_consent_and_the_details(actions_db):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "consent",
                                                  "yes, Luc Hoffmann from SkyDrop, luc@example.lu", {}))
    assert slots["consent"] is True and slots["email"] == "luc@example.lu" and slots["name"] == "Luc Hoffmann"


@pytest.mark.parametrize("at, said, field, value", [
    ("email", "sorry, typo - my name is John Muller", "name", "John Muller"),
    ("need", "my e-mail is actually paul.kieffer@example.org", "email", "paul.kieffer@example.org"),
    ("email", "the company is called Klein Logistics, not Klein Transports", "organisation", "Klein Logistics"),
    ("need", "pardon, mon e-mail c'est paul.kieffer@example.org", "email", "paul.kieffer@example.org"),
    ("need", "Entschuldigung, meine E-Mail ist paul.kieffer@example.org", "email", "paul.kieffer@example.org"),
    ("review", "sorry, my name is John Muller", "name", "John Muller"),
    ("review", "die Firma heißt Klein Logistics, nicht Klein Transports", "organisation", "Klein Logistics"),
])
def test_a_correction_of_an_earlier_field_changes_it_and_asks_the_current_step_again(actions_db, at, said, field,
                                                                                      value):
    filled = {**DETAILS, **({"need": "Funding for a pilot"} if at == "review" else {})}
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", at, said, filled))
    assert slots[field] == value and slots[at] is None and slots["requested_slot"] == at
    assert "changed your" in texts(dispatcher)[0] or "modifié" in texts(dispatcher)[0] or "geändert" in \
        texts(dispatcher)[0]


@pytest.mark.parametrize("said", ["I mistyped my e-mail", "mon e-mail est faux", "meine E-Mail ist falsch"])
def test_saying_an_earlier_field_is_wrong_asks_it_again(actions_db, said):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "need", said, DETAILS))
    assert slots["email"] is None and slots["need"] is None and slots["requested_slot"] == "email"


def test_a_need_that_mentions_no_detail_is_kept_as_the_need(actions_db):
    said = "We need 500 000 euros for a pilot line"
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "need", said, DETAILS))
    assert slots["need"] == said and "email" not in slots  # unchanged


@pytest.mark.parametrize("said", ["En fait oui, d'accord", "actually yes", "Eigentlich ja"])
def test_a_yes_after_refusing_consent_asks_consent_again(actions_db, said):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "need", said, {**LEAD, "consent": False}))
    assert slots["consent"] is None and slots["need"] is None and slots["requested_slot"] == "consent"


@pytest.mark.parametrize("slot, said", [("name", "yes please"), ("name", "Ja, gerne"), ("organisation", "yes"),
                                        ("organisation", "claire.weber@aerocoat")])
def test_a_yes_typed_at_the_name_or_organisation_step_is_not_kept(actions_db, slot, said):
    lead = {**LEAD, "consent": True, **({"name": "Jane Doe"} if slot == "organisation" else {})}
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", slot, said, lead))
    assert slots[slot] is None and any("Please" in t or "Bitte" in t for t in texts(dispatcher))


@pytest.mark.parametrize("said, field", [("+352 621 123 456", "phone"), ("tom.weber@example.lu", "email")])
def test_a_message_that_is_only_a_number_or_an_address_at_the_need_step_is_that_detail(actions_db, said, field):
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", "need", said, DETAILS))
    assert slots[field] == said and slots["need"] is None  # kept as the detail; the need is asked again
    assert any("noted" in t or "changed" in t for t in texts(dispatcher))


@pytest.mark.parametrize("said", ["No thanks, I don't want to be contacted", "I'll contact them myself, thanks",
                                  "no thanks", "Je ne veux pas être contacté", "Ich möchte nicht kontaktiert werden"])
def test_declining_contact_at_the_proposal_logs_the_routed_project_anonymously(actions_db, said):
    slots, events, _ = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said, LEAD))
    assert slots["cluster"] == "aerospace" and slots["consent"] is False and slots["requested_slot"] is None
    assert followups(events) == ["action_log_contact"]


def test_the_anonymous_routed_enquiry_keeps_its_cluster_and_tells_who_has_it(actions_db):
    declined = tracker({**LEAD, "consent": False, "need": "none"}, "No thanks, I don't want to be contacted", "deny")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionLogContact().run(dispatcher, declined, {}))
    (told,) = texts(dispatcher)
    assert "nobody can reply to you from here" in told and "our AeroSpace cluster" in told
    assert "info@luxinnovation.lu" in told
    with session_factory(actions_db)() as session:
        enquiry = session.scalars(select(Enquiry).where(Enquiry.conversation_id == declined.sender_id)).one()
        assert enquiry.cluster_id == "aerospace" and enquiry.contact is None and not enquiry.outbox


def test_refusing_contact_in_the_contact_form_keeps_no_details_and_asks_nothing_more(actions_db):
    slots, _, dispatcher = run(ValidateContactForm(), step(
        "contact_form", "email", "actually, I don't want to be contacted", DETAILS))
    assert slots["consent"] is False and slots["name"] is None and slots["organisation"] is None
    assert slots["need"] == "none" and slots["requested_slot"] is None
    assert "won't store" in texts(dispatcher)[0]


def test_who_should_i_contact_logs_the_routed_project_and_gives_the_general_contact(actions_db):
    said = "We develop software for satellite antennas. Who should I contact?"
    asking = tracker({}, said, "describe_project")
    dispatcher = CollectingDispatcher()
    slots = ValidateEnquiryForm().validate_project_description(said, dispatcher, asking, {})
    assert slots["route_cluster"] == "aerospace"
    assert any("info@luxinnovation.lu" in t for t in texts(dispatcher))
    with session_factory(actions_db)() as session:
        enquiry = session.scalars(select(Enquiry).where(Enquiry.conversation_id == asking.sender_id)).one()
        assert enquiry.cluster_id == "aerospace" and enquiry.contact is None and not enquiry.outbox


@pytest.mark.parametrize("said", ["Actually, can I just talk to a person?", "En fait, est-ce que je peux parler à "
                                  "une personne ?", "Eigentlich, kann ich einfach mit einem Menschen sprechen?"])
@pytest.mark.parametrize("slot", ["name", "need", "review"])
def test_asking_for_a_person_mid_form_is_a_hand_off_never_a_question(actions_db, said, slot):
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", slot, said, DETAILS, "ask_question"))
    assert slots["handoff_requested"] is True and slots[slot] is None
    assert "Source:" not in " ".join(texts(dispatcher))


@pytest.mark.parametrize("said, question, project", [
    ("We're developing a diagnostic test for sepsis; what funding could we get?", "what funding could we get?",
     "We're developing a diagnostic test for sepsis"),
    ("Nous développons un test de diagnostic pour la septicémie. Quels financements pouvons-nous obtenir ?",
     "Quels financements pouvons-nous obtenir ?", "Nous développons un test de diagnostic pour la septicémie."),
    ("Wir entwickeln einen Diagnosetest für Sepsis – welche Förderung können wir bekommen?",
     "welche Förderung können wir bekommen?", "Wir entwickeln einen Diagnosetest für Sepsis"),
])
def test_a_message_with_a_question_and_a_project_is_split_into_both(said, question, project):
    assert question_part(said) == question and project_part(said) == project


def test_a_question_with_a_project_gets_the_answer_and_the_routing(actions_db):
    said = "We're developing a diagnostic test for sepsis; what funding could we get?"
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker({}, said, "ask_question"), {}))
    assert "Source:" in texts(dispatcher)[0] and dispatcher.messages[0]["entry"]
    assert {"event": "followup", "name": "enquiry_form", "timestamp": None} in events
    assert {e["name"]: e["value"] for e in events if e.get("event") == "slot"}["project_description"] == said


def test_the_proposal_and_a_picked_cluster_carry_what_the_console_reads(actions_db):
    dispatcher = CollectingDispatcher()
    propose(dispatcher, tracker({"route_cluster": "aerospace", "advisor_name": "Marc Weber"}, "x", "describe_project"))
    assert dispatcher.messages[0]["proposed_cluster"] == "aerospace"
    dispatcher = CollectingDispatcher()
    picked = tracker({"route_cluster": "aerospace"}, '/inform{"cluster":"infocom"}', "inform")
    assert choose_cluster('/inform{"cluster":"infocom"}', dispatcher, picked)["cluster"] == "infocom"
    message = dispatcher.messages[0]
    assert (message["chosen_cluster"], message["proposed_cluster"], message["cluster_overridden"]) == \
        ("infocom", "aerospace", True)


@pytest.mark.parametrize("said", ["I'm looking for funding for a pilot line", "Jane Doe", "Paul Person",
                                  "we need 500 000 euros", "Stop & Go Logistics SA"])
def test_ordinary_answers_carry_no_details(said):
    assert read_details(said, "need").found == {}
