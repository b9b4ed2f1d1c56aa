"""The visitor's language (issue 15 items 1-3): the widget's to start with, a confident detection on a long enough
message, an explicit switch (typed or a button), kept for the conversation; every reply from the catalogue in that
language, answers from the entry's translation (or saying there is none), Luxembourgish with French or German
answers offered once. rasa_sdk Trackers and a CollectingDispatcher, no server."""
from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import uuid
from datetime import datetime, timezone

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import bot_texts
from actions import services
from actions.answers import answer_entry
from actions.asks import ActionAskName, ActionGreet, ActionSwitchLanguage
from actions.contact import ValidateContactForm
from actions.conversation import answer_language, language, language_events
from actions.language import asked_for, detected, next_language
from actions.notify import promise_words
from knowledge.content import source_in
from tests.actions.conftest import texts

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def db_kind() -> str:
    """SQLite only: these tests read the knowledge, not the database."""
    return "sqlite"


def user(text: str, widget: str | None = None, intent: str = "inform") -> dict:
    """A visitor message as the tracker holds it (the widget's language in its metadata, when it sent one)."""
    metadata = {"language": widget} if widget else {}
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], "metadata": metadata}
    return {"event": "user", "timestamp": time.time(), "text": text, "parse_data": parse, "metadata": metadata}


def conversation(*said: str, widget: str | None = None, slots: dict | None = None, events: list | None = None,
                 intent: str = "inform", loop: str | None = None) -> Tracker:
    """The tracker after the visitor said each of `said` in turn (the last one is the latest message)."""
    history = [*(events or []), *(user(s, widget, intent) for s in said)]
    latest = history[-1]["parse_data"]
    return Tracker(uuid.uuid4().hex, dict(slots or {}), latest, history, False, None, {"name": loop} if loop else {},
                   None)


# Detection and switching (pure)

@pytest.mark.parametrize("short", ["hello", "Moien", "merci", "Danke", "oui", "Paul Person", "Orbit SARL",
                                   "paul.person@orbit.example", "/affirm", "Gudde Moien", "Äddi", "Merci villmools",
                                   "Jo, gär", "Moien Dir"])
def test_short_messages_never_flip_the_language(short):
    assert detected(short) is None
    assert next_language("fr", short) == "fr" and next_language("lb", short) == "lb"


@pytest.mark.parametrize("said, lang", [
    ("Bonjour, nous développons un logiciel de cybersécurité, quelles aides existent ?", "fr"),
    ("Wir entwickeln Leichtbauteile für Flugzeuge und suchen Fördermittel", "de"),
    ("Moien, mir sichen Hëllef fir en Innovatiounsprojet", "lb"),
    ("We build star trackers for small satellites", "en"),
])
def test_a_long_enough_message_sets_the_language_it_is_written_in(said, lang):
    assert next_language("en" if lang != "en" else "de", said) == lang


@pytest.mark.parametrize("said", [
    "Ech hätt gär mat engem Beroder geschwat", "Kann ech meng Daten hei läschen loossen?",
    "Mir bauen kleng Satellitte fir d'Äerdbeobachtung", "Wat kascht en Dossier bei Iech",
    "Wéi kann ech e Projet finanzéieren?", "Wou kréien ech Hëllef fir eng Firma ze grënnen?",
])
def test_luxembourgish_that_langid_reads_as_german_or_french_is_luxembourgish(said):
    assert detected(said) == "lb"
    assert next_language("de", said) == next_language("fr", said) == next_language("en", said) == "lb"


@pytest.mark.parametrize("said, lang", [
    ("Wir arbeiten eng mit der Universität zusammen", "de"),
    ("Wir verarbeiten Eisen und Stahl für die Autoindustrie", "de"),
    ("Moien, ich suche Förderung für mein Projekt", "de"),
    ("Gibt es eine Förderung für Startups in Luxemburg?", "de"),
    ("Joyeux Noël à toute l'équipe de Luxinnovation", "fr"),
    ("Demande de prêt pour une entreprise innovante", "fr"),
    ("Nous cherchons un financement pour un projet de recherche", "fr"),
    ("Is there any funding for a project in Luxembourg?", "en"),
])
def test_german_french_and_english_are_never_taken_for_luxembourgish(said, lang):
    assert detected(said) == lang and next_language("en", said) == lang


def test_german_read_in_a_luxembourgish_conversation_keeps_it_luxembourgish():
    assert next_language("lb", "Wir entwickeln Leichtbauteile für Flugzeuge und suchen Fördermittel") == "lb"


@pytest.mark.parametrize("said, lang", [
    ("in English, please", "en"), ("auf Deutsch bitte", "de"), ("en français", "fr"), ("Sprechen Sie Deutsch?", "de"),
    ("Kënnt Dir mir op Lëtzebuergesch äntweren?", "lb"), ("parlez-vous français ?", "fr"),
    ("Kënnt Dir dat w.e.g. op Englesch soen?", "en"), ("kennt dir et op franseisch erklären", "fr"),
    ('/switch_language{"language":"lb"}', "lb"),
])
def test_the_visitor_can_ask_for_a_language(said, lang):
    assert asked_for(said) == lang and next_language("en", said) == lang


def test_a_sentence_that_only_names_a_language_is_not_a_switch():
    assert asked_for("We sell German machine tools to French car makers") is None


# The conversation's language, kept

def test_the_widget_language_starts_the_conversation_and_short_answers_keep_it():
    assert language(conversation("hello", widget="de")) == "de"
    assert language(conversation("Bonjour, nous développons un logiciel de cybersécurité", "oui", "Paul Person",
                                 widget="en")) == "fr"


def test_a_switch_is_kept_for_the_rest_of_the_conversation_and_recorded_in_its_slot():
    tracker = conversation("Wir entwickeln Leichtbauteile für Flugzeuge und suchen Fördermittel", "in English, please",
                           "yes", "Anna Muller", widget="de")
    assert language(tracker) == "en"
    assert {"event": "slot", "name": "language", "value": "en", "timestamp": None} in language_events(tracker)


def test_the_slot_is_where_the_language_lives_between_turns():
    earlier = [{"event": "slot", "name": "language", "value": "fr"}]
    assert language(conversation("ok", widget="en", events=earlier, slots={"language": "fr"})) == "fr"


# Replies in the visitor's language

def test_the_catalogues_say_everything_english_says_with_the_same_placeholders():
    english = bot_texts.catalogue("en")
    for lang in ("fr", "de", "lb"):
        other = bot_texts.catalogue(lang)
        assert set(english) - set(other) == set(), lang
        for key, entry in english.items():
            if "text" in entry:
                assert set(PLACEHOLDER.findall(entry["text"])) == set(PLACEHOLDER.findall(other[key]["text"])), key
                assert len(entry.get("buttons") or []) == len(other[key].get("buttons") or []), key
            else:
                assert len(entry["names"]) == len(other[key]["names"]), key


def test_a_french_visitor_is_greeted_in_french_with_buttons_for_the_other_languages():
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionGreet().run(dispatcher, conversation("bonjour", widget="fr"), {}))
    (greeting,) = dispatcher.messages
    assert greeting["text"].startswith("Bonjour !") and greeting["language"] == "fr"
    titles = [b["title"] for b in greeting["buttons"]]
    assert {"Décrire mon projet", "English", "Deutsch", "Lëtzebuergesch"} <= set(titles) and "Français" not in titles
    assert any(e["name"] == "language" and e["value"] == "fr" for e in events)


def test_a_luxembourgish_greeting_is_answered_in_luxembourgish_and_the_answer_language_offered_once():
    dispatcher = CollectingDispatcher()
    tracker = conversation("Moien, mir sichen Hëllef fir en Innovatiounsprojet", widget="en")
    events = asyncio.run(ActionGreet().run(dispatcher, tracker, {}))
    assert texts(dispatcher) == [bot_texts.text("greet", "lb"), "Soll ech op Franséisch oder op Däitsch äntweren?"]
    assert {(e["name"], e["value"]) for e in events} == {("language", "lb"), ("answer_language", "de")}
    later = conversation("moien", events=[*tracker.events, *events],
                         slots={"language": "lb", "answer_language": "de"})
    again = CollectingDispatcher()
    asyncio.run(ActionGreet().run(again, later, {}))
    assert len(again.messages) == 1  # offered once


def test_a_luxembourgish_visitor_picks_french_answers_and_the_interface_stays_luxembourgish():
    earlier = [{"event": "slot", "name": "language", "value": "lb"},
               {"event": "slot", "name": "answer_language", "value": "de"}]
    tracker = conversation("op Franséisch", events=earlier, slots={"language": "lb", "answer_language": "de"},
                           intent="switch_language")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSwitchLanguage().run(dispatcher, tracker, {}))
    assert (language(tracker), answer_language(tracker)) == ("lb", "fr")
    assert texts(dispatcher) == ["Gutt, ech ginn Iech d'Äntwerten op Franséisch."]


def test_switching_says_so_in_the_new_language():
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSwitchLanguage().run(dispatcher, conversation("auf Deutsch bitte", widget="en"), {}))
    assert texts(dispatcher) == ["Gern, ich schreibe ab jetzt auf Deutsch."]


def test_a_switch_typed_in_the_form_is_not_taken_as_the_name_and_the_step_is_asked_again(actions_db):
    said = "auf Deutsch bitte"
    slots = {"consent": True, "name": said, "requested_slot": "name"}
    events = [user("Wir entwickeln Leichtbauteile für Flugzeuge", "en"), user(said, "en"),
              {"event": "slot", "name": "name", "value": said}]  # the form's mapping took the text as the name
    tracker = Tracker(uuid.uuid4().hex, slots, user(said, "en")["parse_data"], events, False, None,
                      {"name": "contact_form"}, None)
    dispatcher = CollectingDispatcher()
    domain = {"forms": {"contact_form": {"required_slots": ["consent", "name"]}}, "slots": {}}
    result = asyncio.run(ValidateContactForm().run(dispatcher, tracker, domain))
    set_slots = {e["name"]: e["value"] for e in result if e.get("event") == "slot"}
    assert set_slots["name"] is None and language(tracker) == "de"  # the step's question then records the slot
    assert texts(dispatcher) == ["Gern, ich schreibe ab jetzt auf Deutsch."]
    asked = CollectingDispatcher()
    events = asyncio.run(ActionAskName().run(asked, tracker, {}))
    assert texts(asked) == ["Wie heißen Sie?"] and ("language", "de") in {(e["name"], e["value"]) for e in events}


def _entry(with_french: bool):
    entry = next(e for e in services.knowledge().entries if "fr" in e.translations)
    return entry if with_french else dataclasses.replace(entry, translations={})


def test_a_french_visitor_gets_the_french_text_of_an_answer(actions_db):
    entry = _entry(with_french=True)
    dispatcher = CollectingDispatcher()
    answer_entry(dispatcher, conversation("quelles aides existent pour un projet de R&D ?", widget="fr"), entry)
    (answer,) = texts(dispatcher)
    assert answer.startswith(entry.translations["fr"].answer) and "Source :" in answer and "vérifié le" in answer
    title, url = source_in(entry, "fr")
    assert f"[{title}]({url})" in answer and title != entry.source_title  # the source named in French


def test_a_luxembourgish_visitor_is_asked_for_french_or_german_after_the_first_answer(actions_db):
    """The choice comes last, so that its buttons are the ones the widget shows; the answer is in German until then."""
    entry = _entry(with_french=True)
    dispatcher = CollectingDispatcher()
    answer_entry(dispatcher, conversation("Wéi kann ech e Projet finanzéieren?", slots={"language": "lb"}), entry)
    assert [m.get("text_key") for m in dispatcher.messages] == ["answer.source", "language.answer_choice"]
    assert dispatcher.messages[0]["text"].startswith(entry.in_language("de")[1])
    assert [b["payload"] for b in dispatcher.messages[-1]["buttons"]] == [
        '/switch_language{"answer_language":"fr"}', '/switch_language{"answer_language":"de"}']


def test_an_answer_with_no_translation_says_so_in_the_visitors_language_and_shows_the_english(actions_db):
    entry = _entry(with_french=False)
    dispatcher = CollectingDispatcher()
    answer_entry(dispatcher, conversation("quelles aides existent pour un projet de R&D ?", widget="fr"), entry)
    note, answer = texts(dispatcher)
    assert note == "Cette réponse n'existe pas encore en français ; la voici en anglais."
    assert answer.startswith(entry.answer)
    assert [m["text_key"] for m in dispatcher.messages] == ["answer.untranslated", "answer.source"]


def test_the_reply_promise_is_worded_in_the_visitors_language():
    now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)  # a Tuesday
    due = datetime(2026, 12, 2, 8, 30, tzinfo=timezone.utc)
    assert promise_words(due, now, "Europe/Luxembourg", 4, "fr") == "dans les 4 heures ouvrées, d'ici demain à 09:30"
    assert promise_words(due, now, "Europe/Luxembourg", 4, "de") == "innerhalb von 4 Arbeitsstunden, bis morgen um 09:30"
    assert promise_words(due, now, "Europe/Luxembourg", 4, "lb") == "bannent 4 Aarbechtsstonnen, bis muer um 09:30"
