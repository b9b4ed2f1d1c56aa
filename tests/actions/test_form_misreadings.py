"""Three misreadings seen in whole conversations (issue 14): a name typed with its organisation at the name step is
split into both; a question typed at the cluster proposal is answered and the proposal asked again; after the
enquiry is logged, a question the classifier takes for a project is answered, and only project-like text is added
as a follow-up. Built the way rasa_sdk tests its forms: a Tracker and a CollectingDispatcher, no server."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerQuestion
from actions.contact import ActionAskCluster, ValidateContactForm, fields_typed
from actions.enquiry import ValidateEnquiryForm
from tests.actions.conftest import tracker
from tests.actions.test_listening_form import LEAD, run, step

PROPOSED = {"project_description": "We develop tracking software for freight trucks and warehouses",
            "route_cluster": "logitrace", "advisor_name": "Sven Reuterlinck", "advisor_id": "a-logitrace-autotec"}
LOGGED = {**PROPOSED, "cluster": "logitrace", "consent": False, "need": "none", "enquiry_logged": True,
          "enquiry_kind": "project"}


def keys(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text_key") for m in dispatcher.messages]


@pytest.mark.parametrize("said, name, organisation", [
    ("Jane Doe from Acme Coatings", "Jane Doe", "Acme Coatings"),
    ("Jane Doe, Acme Coatings SA", "Jane Doe", "Acme Coatings SA"),
    ("Jean Dupont de la société Solartec", "Jean Dupont", "Solartec"),
    ("Jonas Becker von der Leicht GmbH", "Jonas Becker", "Leicht GmbH"),
])
def test_a_name_typed_with_its_organisation_fills_both_and_the_form_skips_the_organisation(actions_db, said, name,
                                                                                          organisation):
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", "name", said, LEAD))
    assert (slots["name"], slots["organisation"], slots["requested_slot"]) == (name, organisation, "email")
    assert keys(dispatcher) == ["form.noted"]


@pytest.mark.parametrize("said, fields", [
    ("Jane Doe, CEO of Acme", {"name": "Jane Doe", "organisation": "Acme"}),
    ("Jean Dupont de l'entreprise Solartec", {"name": "Jean Dupont", "organisation": "Solartec"}),
    ("Luc Hoffmann, SkyDrop, luc@example.lu", {"name": "Luc Hoffmann", "organisation": "SkyDrop",
                                               "email": "luc@example.lu"}),
])
def test_the_organisation_after_a_name_is_read_in_each_language(said, fields):
    assert fields_typed("name", said) == fields


@pytest.mark.parametrize("said", ["Jane Doe", "Charles de Gaulle", "Jean Dupont de la Fontaine", "Ursula von der Leyen",
                                  "Dr. Jane Doe", "Jane Doe, CEO", "Jane Doe from Luxembourg", "Jane Doe, thanks",
                                  "Paul Person"])
def test_a_name_with_no_organisation_in_it_is_kept_whole(said):
    assert fields_typed("name", said) is None  # checked as typed by validate_name


@pytest.mark.parametrize("form, slots", [("enquiry_form", PROPOSED), ("contact_form", {**PROPOSED, "consent": True})])
@pytest.mark.parametrize("said, lang", [("what funding is there for this?", "en"),
                                        ("Quelles aides existent pour cela ?", "fr"),
                                        ("Welche Förderung gibt es dafür?", "de")])
def test_a_question_at_the_proposal_is_answered_and_the_proposal_asked_again(actions_db, form, slots, said, lang):
    validation = ValidateEnquiryForm() if form == "enquiry_form" else ValidateContactForm()
    answered, events, dispatcher = run(validation, step(form, "cluster", said, {**slots, "language": lang}))
    assert keys(dispatcher)[-1] == "answer.source" and dispatcher.messages[-1]["entry"] == "rd-funding"
    assert answered["cluster"] is None and answered.get("requested_slot", "cluster") == "cluster"  # asked again
    assert answered["last_topic"] == "rd-funding" and not [e for e in events if e.get("event") == "followup"]


@pytest.mark.parametrize("said, lang", [("how long does it take?", "en"), ("combien de temps ça prend ?", "fr")])
def test_a_question_at_the_proposal_nobody_here_can_answer_is_said_so_honestly(actions_db, said, lang):
    answered, _, dispatcher = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said,
                                                              {**PROPOSED, "language": lang}))
    assert keys(dispatcher) == ["answer.unsure.in_form"]
    assert answered["cluster"] is None and answered.get("requested_slot", "cluster") == "cluster"


def test_a_question_whose_words_the_router_knows_is_still_a_question(actions_db):
    """'application' routes to InfoCom (an app); asked at the proposal, it is a question about applying."""
    answered, _, dispatcher = run(ValidateEnquiryForm(), step("enquiry_form", "cluster",
                                                              "how long does the application take?", PROPOSED))
    assert keys(dispatcher) == ["answer.source"]
    assert answered["cluster"] is None and "route_cluster" not in answered  # the proposal stands, asked again


@pytest.mark.parametrize("said, outcome", [
    ("Is it InfoCom or more like EcoDev?", None),  # a correction, never a question to answer: both are offered
    ("Can you put me in touch with him?", "route.chosen"),
    ("yes", "route.chosen"),
])
def test_words_about_the_proposal_still_answer_it(actions_db, said, outcome):
    slots, _, dispatcher = run(ValidateEnquiryForm(), step("enquiry_form", "cluster", said, PROPOSED))
    assert keys(dispatcher) == ([outcome] if outcome else [])
    if outcome is None:  # asked again: the proposal with the two the visitor named
        assert (slots["cluster"], slots["route_cluster"], slots["route_runner_up"]) == (None, "infocom", "ecodev")
        asked = CollectingDispatcher()
        asyncio.run(ActionAskCluster().run(asked, step("enquiry_form", "cluster", said, {**PROPOSED, **slots}), {}))
        (proposal,) = asked.messages
        assert proposal["text_key"] == "ask.cluster.proposed_close" and "you mentioned" not in proposal["text"]
        assert [b["payload"] for b in proposal["buttons"]][:2] == ["/affirm", '/inform{"cluster": "ecodev"}']


@pytest.mark.parametrize("said, lang", [("what kind of support do you give to such projects?", "en"),
                                        ("Quel accompagnement proposez-vous à ce type de projet ?", "fr"),
                                        ("Welche Art von Unterstützung bieten Sie für solche Projekte an?", "de")])
def test_after_an_anonymous_enquiry_a_question_read_as_a_project_is_answered(actions_db, said, lang):
    dispatcher = CollectingDispatcher()
    asked = tracker({**LOGGED, "language": lang}, said, "describe_project")
    asked.latest_message["metadata"]["language"] = lang
    events = asyncio.run(ActionAnswerQuestion().run(dispatcher, asked, {}))
    assert keys(dispatcher) == ["answer.source"] and dispatcher.messages[0]["entry"] == "agency-services"
    assert "logged.followup" not in keys(dispatcher)
    assert {"event": "slot", "timestamp": None, "name": "last_topic", "value": "agency-services"} in events


@pytest.mark.parametrize("said", ["We have also started a pilot with a hospital in Esch",
                                  "Nous avons aussi lancé un pilote avec un hôpital à Esch"])
def test_after_an_anonymous_enquiry_more_about_the_project_is_a_follow_up(actions_db, said):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker({**LOGGED}, said, "describe_project"), {}))
    assert keys(dispatcher) == ["logged.followup"]
    assert {"event": "slot", "timestamp": None, "name": "followups", "value": [said]} in events
