"""Two conversation failures (issue 14): a visitor who wants only to know whom to contact, without leaving details,
has the project routed, logged anonymously with its cluster and is told the cluster and advisor (EN, DE; in one
message, refusing first, or after the proposal); a correction of the visitor's name never re-routes the project,
only a sentence about the project does. Built the way rasa_sdk tests its own forms: a Tracker and a
CollectingDispatcher, no server."""
from __future__ import annotations

import asyncio
import time

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.commands import command
from actions.contact import ActionLogContact, ValidateContactForm
from actions.enquiry import ValidateEnquiryForm
from actions.handoff import ActionHandoff, ActionStartHandoff
from actions.privacy import ActionPrivacy
from members.db import session_factory
from members.models import Enquiry
from tests.actions.conftest import texts, tracker
from tests.actions.test_listening_form import DOMAIN, run, step

LOG = {"event": "followup", "name": "action_log_contact", "timestamp": None}
ANONYMOUS_PROJECTS = [
    ("We make seat frames for car makers. I don't want to leave my details, just tell me who to talk to", "en"),
    ("We are an automotive supplier making brake components. Who should I contact? I don't want to leave my details.",
     "en"),
    ("Hi, I'd like to stay anonymous. We produce wiring harnesses for cars.", "en"),
    ("Wer ist bei Ihnen für Automobilzulieferer zuständig? Ich möchte keine Daten hinterlassen", "de"),
    ("Wir stellen Sitzgestelle für Autohersteller her. Ich möchte anonym bleiben.", "de"),
]


def said_before(text: str, lang: str = "en") -> dict:
    """An earlier visitor message, as the tracker's events hold it."""
    return {"event": "user", "timestamp": time.time(), "text": text, "metadata": {"language": lang},
            "parse_data": {"text": text, "intent": {"name": "privacy_request"}}}


def logged(actions_db, slots: dict, said: str, lang: str) -> tuple[list[str], Enquiry]:
    """What the visitor is told when action_log_contact runs on `slots`, and the enquiry it stored."""
    logging = tracker({"language": lang, **{k: v for k, v in slots.items() if k != "requested_slot"}}, said, "deny")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionLogContact().run(dispatcher, logging, {}))
    with session_factory(actions_db)() as session:
        (enquiry,) = session.scalars(select(Enquiry).where(Enquiry.conversation_id == logging.sender_id)).all()
        session.expunge(enquiry)
    return texts(dispatcher), enquiry


def activated(said: str, lang: str, intent: str = "describe_project", events: list | None = None):
    """The enquiry form activated by `said` (the message that starts it is the description)."""
    started = tracker({"language": lang}, said, intent, events=events)
    started.latest_message["metadata"]["language"] = lang
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ValidateEnquiryForm().run(dispatcher, started, DOMAIN))
    return {e["name"]: e["value"] for e in result if e.get("event") == "slot"}, result, dispatcher


@pytest.mark.parametrize("said, lang", ANONYMOUS_PROJECTS)
def test_a_project_told_with_the_wish_to_leave_no_details_is_routed_and_logged_with_its_cluster(actions_db, said,
                                                                                                 lang):
    slots, events, _ = activated(said, lang)
    assert (slots["cluster"], slots["consent"], slots["route_cluster"]) == ("autotec", False, "autotec")
    assert LOG in events and "form_followup" not in slots and slots["requested_slot"] is None
    told, enquiry = logged(actions_db, slots, said, lang)
    assert "AutoTec" in told[-1] and "Sven Reuterlinck" in told[-1] and "info@luxinnovation.lu" in told[-1]
    assert (enquiry.cluster_id, enquiry.contact_id, enquiry.claimed_name, enquiry.kind) == \
        ("autotec", None, None, "project")


@pytest.mark.parametrize("first, project, lang", [
    ("I don't want to leave any details, I only want to know who to contact", "We make seat frames for car makers",
     "en"),
    ("Ich möchte anonym bleiben und keine Daten hinterlassen", "Wir entwickeln Bremssysteme für die Automobilindustrie",
     "de"),
])
def test_refusing_details_first_then_telling_the_project_routes_it_anonymously(actions_db, first, project, lang):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionPrivacy().run(dispatcher, tracker({"language": lang}, first, "privacy_request"), {}))
    assert [m["text_key"] for m in dispatcher.messages] == ["consent.refused", "ask.project_description"]
    assert not [e for e in events if e.get("name") == "privacy_said"]
    slots, events, _ = activated(project, lang, events=[said_before(first, lang)])
    assert (slots["cluster"], slots["consent"]) == ("autotec", False) and LOG in events


def test_a_privacy_request_is_still_one(actions_db):
    dispatcher = CollectingDispatcher()
    said = "Please delete my data, I don't want to be contacted again"
    asyncio.run(ActionPrivacy().run(dispatcher, tracker({}, said, "privacy_request"), {}))
    assert dispatcher.messages[-1]["text_key"] == "privacy.offer"


@pytest.mark.parametrize("said", ["Wir sind ein Automobilzulieferer. Wer ist bei Ihnen zuständig? Ich möchte anonym "
                                  "bleiben.", "We make brake pads for car makers, I'd like to stay anonymous"])
def test_a_confidential_reading_of_an_anonymous_project_routes_it_instead_of_asking_for_details(actions_db, said):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionStartHandoff().run(dispatcher, tracker({}, said, "confidential"), {}))
    assert {"event": "followup", "name": "enquiry_form", "timestamp": None} in events
    assert {"event": "slot", "name": "project_description", "value": said, "timestamp": None} in events


@pytest.mark.parametrize("said, lang", [("no, I'd rather not leave my details, just tell me who to contact", "en"),
                                        ("Nein danke, nur den Namen der Ansprechperson bitte", "de")])
def test_declining_details_at_the_consent_question_keeps_the_cluster(actions_db, said, lang):
    lead = {"project_description": "We make seat frames for car makers", "route_cluster": "autotec",
            "cluster": "autotec", "advisor_name": "Sven Reuterlinck", "advisor_id": "a-logitrace-autotec",
            "language": lang}
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "consent", said, lead, "privacy_request"))
    assert slots["consent"] is False and slots.get("cluster", "autotec") == "autotec"


def test_an_anonymous_hand_off_is_routed_on_what_the_visitor_wrote(actions_db):
    slots = {"handoff_requested": True, "handoff_reason": "confidential", "consent": False, "need": "none"}
    earlier = [said_before("We make seat frames for car makers and want to discuss a confidential project")]
    handing = tracker(slots, "no", "deny", events=earlier)
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, handing, {}))
    assert dispatcher.messages[-1]["text_key"] == "logged.anonymous.routed" and "AutoTec" in texts(dispatcher)[-1]
    with session_factory(actions_db)() as session:
        (enquiry,) = session.scalars(select(Enquiry).where(Enquiry.conversation_id == handing.sender_id)).all()
        assert (enquiry.cluster_id, enquiry.contact_id) == ("autotec", None)


@pytest.mark.parametrize("phrase", ["I want to know who handles my data", "I need to know who to contact for funding"])
def test_asking_whom_to_contact_is_no_refusal(phrase):
    assert command(phrase) is None or command(phrase).kind != "no_contact"


ECODEV = {"project_description": "We recycle plastic waste into new packaging material", "cluster": "ecodev",
          "route_cluster": "ecodev", "route_runner_up": "surfmat", "advisor_name": "Nadia Thillmann",
          "advisor_id": "a-ecodev", "language": "en", "consent": True}
FILLED = {"name": "Jon Smith", "organisation": "GreenLoop SA", "email": "jon@greenloop.example", "need": "Funding"}
STEPS = ("name", "organisation", "email", "need", "review")
CORRECTIONS = ["sorry, my name is actually John Smith", "I mistyped my name, it's John Smith",
               "correction: name is John Smith", "Sorry, it should be John Smith", "sorry, I meant John Smith",
               "sorry it's John Smith, not Jon Smith", "wait, my name is wrong, it's John Smith",
               "my name is misspelled, it should be John Smith", "sorry, that should have been John Smith"]


@pytest.mark.parametrize("said", CORRECTIONS)
@pytest.mark.parametrize("at", STEPS)
def test_a_name_correction_never_reroutes(actions_db, said, at):
    slots = {**ECODEV, **{f: FILLED[f] for f in STEPS[:STEPS.index(at)] if f in FILLED}}
    changed, _, _ = run(ValidateContactForm(), step("contact_form", at, said, slots))
    assert changed.get("cluster", "ecodev") == "ecodev" and changed.get("route_cluster", "ecodev") == "ecodev"
    if at in ("name", "organisation") or (at != "need" and "name" in said):  # the name the visitor gave is kept
        assert changed.get("name") == "John Smith", changed


@pytest.mark.parametrize("description", [
    "We recycle plastic waste into new packaging material", "Energy efficiency software for office buildings",
    "We build water treatment units that remove micropollutants", "We install solar panels on industrial roofs"])
def test_the_ecodev_descriptions_route_to_ecodev(actions_db, description):
    from actions.routes import route

    assert route(description, "en").best.cluster.id == "ecodev"


def test_a_sentence_about_the_project_still_reroutes(actions_db):
    said = "Sorry, it should be about anti-corrosion coatings for steel bridges"
    changed, _, _ = run(ValidateContactForm(), step("contact_form", "email", said, {**ECODEV, "name": "Jon Smith",
                                                                                    "organisation": "GreenLoop SA"}))
    assert changed["cluster"] == "surfmat"
