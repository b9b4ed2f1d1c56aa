"""Form and wording leftovers (issue 14): the whom-to-contact reply names the agency's contact once, in every
language; a name never switches the conversation's language (typed where the form asks for a name or an
organisation, or a short correction that is mostly a name); a correction of one part of the name changes only that
part, and a correction's own words are never kept as the name. Built the way rasa_sdk tests its forms: a Tracker
and a CollectingDispatcher, no server."""
from __future__ import annotations

import time
import uuid

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.commands import command
from actions.contact import ValidateContactForm
from actions.conversation import language, language_events
from actions.enquiry import ValidateEnquiryForm
from actions.language import detected, next_language
from tests.actions.conftest import texts, tracker
from tests.actions.test_listening_form import run, step

LEAD = {"project_description": "We recycle plastic waste into new packaging material", "cluster": "ecodev",
        "route_cluster": "ecodev", "advisor_name": "Nadia Thillmann", "advisor_id": "a-ecodev", "language": "en",
        "consent": True}
DETAILS = {"name": "Jane Smith", "organisation": "GreenLoop SA", "email": "jane@greenloop.example"}


def spoken(lang: str) -> list[dict]:
    """The events of a conversation whose language is already `lang`."""
    return [{"event": "slot", "name": "language", "value": lang}]


# 1. The whom-to-contact reply

@pytest.mark.parametrize("said, lang", [
    ("We develop software for satellite antennas. Who should I contact?", "en"),
    ("Nous développons un logiciel pour des antennes de satellites. Qui contacter ?", "fr"),
    ("Wer ist bei Ihnen für Satellitenantennen zuständig? Wir entwickeln Software dafür.", "de"),
    ("Wer ist bei Ihnen für Satellitenantennen zuständig? Wir entwickeln Software dafür.", "lb"),
])
def test_the_whom_to_contact_reply_gives_the_agency_contact_once(actions_db, said, lang):
    asking = tracker({"language": lang}, said, "describe_project", events=spoken(lang))
    dispatcher = CollectingDispatcher()
    ValidateEnquiryForm().validate_project_description(said, dispatcher, asking, {})
    (told,) = [m for m in dispatcher.messages if m["text_key"] == "route.who_to_contact"]
    assert told["language"] == lang and "info@luxinnovation.lu" in told["text"]
    assert told["text"].count("Luxinnovation") == 1, told["text"]  # not 'reach Luxinnovation directly: You can reach…'


# 2. Names never switch the language

@pytest.mark.parametrize("said", ["Sorry, I meant Anna Kleine", "sorry I meant Anna Kleine, Klein Logistik GmbH",
                                  "Correction: Jürgen Müller Bau GmbH", "Jürgen Schmidt Müller Bau GmbH",
                                  "Oops, I meant Hans-Peter Schneider"])
def test_a_short_message_that_is_mostly_a_name_keeps_the_language(said):
    assert detected(said) is None
    assert next_language("en", said) == "en" and next_language("fr", said) == "fr"


@pytest.mark.parametrize("said, lang", [
    ("Désolé, je voulais dire Anna Kleine", "fr"), ("Entschuldigung, ich meinte John Smith", "de"),
    ("Unterstützung für EIC Accelerator Antrag", "de"), ("Wie lautet Ihre E-Mail-Adresse?", "de"),
])
def test_a_short_message_with_a_name_in_it_still_sets_the_language_its_other_words_are_in(said, lang):
    assert next_language("en" if lang != "en" else "de", said) == lang


@pytest.mark.parametrize("slot, said", [
    ("name", "Jürgen Schmidt-Müller von der Müller Maschinenbau GmbH"),
    ("organisation", "Müller Maschinenbau und Söhne GmbH aus Trier"),
    ("organisation", "Société Générale des Eaux et de l'Assainissement"),
])
def test_what_is_typed_where_a_name_is_asked_never_changes_the_language(actions_db, slot, said):
    assert detected(said) is not None  # read alone, it is in a language
    asked = step("contact_form", slot, said, {**LEAD, **{f: v for f, v in DETAILS.items() if f == "name" != slot}})
    assert language(asked) == "en" and not language_events(asked)
    run(ValidateContactForm(), asked)
    # The next step's question, once the form asks for something else, is still in the conversation's language.
    latest = {"text": said, "intent": {"name": "inform"}, "entities": [], "metadata": {"language": "en"}}
    events = [{"event": "slot", "name": "requested_slot", "value": slot},
              {"event": "user", "timestamp": time.time(), "text": said, "parse_data": latest, "metadata": {}},
              {"event": "slot", "name": "requested_slot", "value": "email"}]
    later = Tracker(uuid.uuid4().hex, {**LEAD, "requested_slot": "email"}, latest, events, False, None,
                    {"name": "contact_form"}, None)
    assert language(later) == "en"


def test_a_name_correction_typed_at_a_later_step_is_answered_in_the_conversations_language(actions_db):
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", "organisation",
                                                           "Sorry, I meant Anna Kleine", {**LEAD, "name": "Anna Klein"}))
    assert slots["name"] == "Anna Kleine" and slots["requested_slot"] == "organisation"
    assert texts(dispatcher) == ["Thanks, I've changed your name."]


# 3. Corrections in the contact form

@pytest.mark.parametrize("at, said, name", [
    ("organisation", "my last name is actually Smyth", "Jane Smyth"),
    ("email", "sorry, my surname is Smyth", "Jane Smyth"),
    ("review", "my first name is actually Jayne", "Jayne Smith"),
    ("need", "mon nom de famille est en fait Smyth", "Jane Smyth"),
    ("need", "mein Nachname ist eigentlich Smyth", "Jane Smyth"),
])
def test_a_correction_of_the_last_or_first_name_changes_only_that_part(actions_db, at, said, name):
    filled = {**LEAD, **{f: v for f, v in DETAILS.items() if ValidateContactForm.steps.index(f)
                         < ValidateContactForm.steps.index(at)}, **({"need": "Funding"} if at == "review" else {})}
    slots, _, _ = run(ValidateContactForm(), step("contact_form", at, said, filled))
    assert slots["name"] == name and slots[at] is None and slots["requested_slot"] == at
    assert slots.get("organisation", filled.get("organisation")) == filled.get("organisation")  # no 'my last'


@pytest.mark.parametrize("said", ["Correction - John Smith", "Correction: John Smith", "Typo: John Smith"])
def test_a_labelled_correction_at_the_name_step_keeps_only_the_name(actions_db, said):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "name", said, LEAD))
    assert slots["name"] == "John Smith" and slots.get("organisation") is None


def test_a_labelled_correction_after_the_name_step_corrects_the_name(actions_db):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "organisation", "Correction - John Smith",
                                                  {**LEAD, "name": "Jon Smith"}))
    assert slots["name"] == "John Smith" and slots["organisation"] is None and slots["requested_slot"] == "organisation"


@pytest.mark.parametrize("said", ["sorry, it should be jon@example.org", "sorry, it's jon@example.org",
                                  "oops, I meant jon@example.org"])
def test_an_address_typed_as_a_correction_at_the_name_step_is_the_email_and_the_name_is_asked_again(actions_db, said):
    slots, _, dispatcher = run(ValidateContactForm(), step("contact_form", "name", said, LEAD))
    assert slots["email"] == "jon@example.org" and slots["name"] is None and slots["requested_slot"] == "name"
    assert texts(dispatcher) == ["Thanks, I've noted your e-mail."]


def test_an_address_typed_as_a_correction_at_the_email_step_is_the_email(actions_db):
    slots, _, _ = run(ValidateContactForm(), step("contact_form", "email", "sorry, it should be jon@example.org",
                                                  {**LEAD, "name": "Jon", "organisation": "Acme"}))
    assert slots["email"] == "jon@example.org" and slots.get("name", "Jon") == "Jon"


@pytest.mark.parametrize("said, kind, field", [("Correction - my e-mail is wrong", "change", "email"),
                                               ("Correction: the cluster should be AeroSpace", "reroute", "cluster")])
def test_a_labelled_correction_that_says_what_it_corrects_is_read_as_that(said, kind, field):
    found = command(said)
    assert (found.kind, found.field) == (kind, field)
