"""'Thanks' keeps the conversation open; 'thanks, bye' closes it (issue 14: a leaving visitor was asked for more)."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

import bot_texts
from actions.asks import ActionThank
from tests.actions.conftest import texts, tracker
from tests.conftest import run_async


def thanked(said: str, lang: str = "en") -> str:
    dispatcher = CollectingDispatcher()
    visitor = tracker({}, said, "thank")
    visitor.latest_message["metadata"]["language"] = lang  # the widget's language (the page's)
    run_async(ActionThank().run(dispatcher, visitor, {}))
    return " ".join(texts(dispatcher))


@pytest.mark.parametrize("said", ["thanks", "Thank you, that helps", "great, thanks a lot"])
def test_thanks_alone_gets_youre_welcome_and_an_offer_of_more(said):
    assert thanked(said) == bot_texts.text("thank", "en")


@pytest.mark.parametrize("said, lang", [("thanks, bye", "en"), ("Thank you, have a nice day!", "en"),
                                        ("merci, au revoir", "fr"), ("Merci beaucoup, bonne journée", "fr"),
                                        ("Danke, tschüss!", "de"), ("Vielen Dank und auf Wiedersehen", "de"),
                                        ("Merci, äddi", "lb")])
def test_thanks_with_a_farewell_gets_the_goodbye_in_the_conversations_language(said, lang):
    assert thanked(said, lang) == bot_texts.text("goodbye", lang)
