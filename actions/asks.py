"""Speaking from the catalogue (bot_texts/): say() with the message's key in its metadata, the form's questions
(one action per slot) and the bot's simple replies (greeting, thanks...)."""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import bot_texts
from actions import commands
from actions.conversation import answer_language, language, language_events
from actions.language import LANGUAGES, answer_language_asked


def say(dispatcher: CollectingDispatcher, key: str, lang: str = "en", buttons: list[dict] | None = None,
        meta: dict[str, Any] | None = None, **params: Any) -> None:
    """Send the catalogue's message `key` in `lang` (English when missing), its key in the message metadata with
    `meta` beside it (the entry an answer gives, the cluster a proposal names) for the console."""
    dispatcher.utter_message(**bot_texts.message(key, lang, buttons=buttons, **params), **(meta or {}))


def text(key: str, lang: str = "en", **params: Any) -> str:
    """A catalogue text (a button title, a fragment of a message)."""
    return bot_texts.text(key, lang, **params)


def offer_answer_language(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Once per conversation, ask a Luxembourgish visitor whether answers should be in French or German."""
    if language(tracker) == "lb" and tracker.get_slot("answer_language") is None:
        say(dispatcher, "language.answer_choice", "lb")


def language_button(lang: str) -> dict[str, str]:
    """A button that switches the conversation to `lang`, titled in that language."""
    return {"title": text("language.name", lang), "payload": "/switch_language" + json.dumps({"language": lang})}


class SayAction(Action, ABC):
    """Says one catalogue message (what a domain response used to be)."""

    @property
    @abstractmethod
    def key(self) -> str:
        """The catalogue key this action says."""

    def name(self) -> str:
        return f"action_{self.key}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        say(dispatcher, self.key, language(tracker))
        return language_events(tracker)


class ActionGreet(SayAction):
    """The greeting in the conversation's language, with buttons for the other languages."""

    key = "greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        lang = language(tracker)
        buttons = [dict(b) for b in bot_texts.entry("greet", lang).get("buttons") or []]
        others = [language_button(other) for other in LANGUAGES if other != lang]
        say(dispatcher, "greet", lang, buttons=buttons + others)
        offer_answer_language(dispatcher, tracker)
        return language_events(tracker)


class ActionSwitchLanguage(Action):
    """The visitor asked for another language (typed or a button), or, in Luxembourgish, picked the answers'."""

    def name(self) -> str:
        return "action_switch_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        lang = language(tracker)
        said = tracker.latest_message.get("text") or ""
        if lang == "lb" and answer_language_asked(said):
            say(dispatcher, f"language.answers_in.{answer_language(tracker)}", lang)
        else:
            say(dispatcher, "language.switched", lang)
            offer_answer_language(dispatcher, tracker)
        return language_events(tracker)


class ActionGoodbye(SayAction):
    key = "goodbye"


class ActionThank(SayAction):
    """'Thanks' gets 'you're welcome, anything else?'; 'thanks, bye' the goodbye."""

    key = "thank"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        leaving = commands.FAREWELL.search(tracker.latest_message.get("text") or "")
        say(dispatcher, "goodbye" if leaving else "thank", language(tracker))
        return language_events(tracker)


class ActionBotChallenge(SayAction):
    key = "bot_challenge"


class ActionCancel(SayAction):
    """'Cancel' outside a form: nothing to stop, and nothing was sent (a form hears 'cancel' itself)."""

    key = "cancelled"

    def name(self) -> str:
        return "action_cancel"


class AskAction(Action, ABC):
    """Asks for `slot` with its catalogue prompt."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def prompt(self, tracker: Tracker) -> str:
        """The catalogue key of the question (a variant may depend on the conversation)."""
        return f"ask.{self.slot}"

    def params(self, tracker: Tracker) -> dict[str, Any]:
        """The placeholders of the question."""
        return {}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        say(dispatcher, self.prompt(tracker), language(tracker), **self.params(tracker))
        return language_events(tracker)


class ActionAskName(AskAction):
    slot = "name"


class ActionAskOrganisation(AskAction):
    slot = "organisation"


class ActionAskEmail(AskAction):
    slot = "email"


class ActionAskPhone(AskAction):
    slot = "phone"


class ActionAskNeed(AskAction):
    slot = "need"

    def prompt(self, tracker: Tracker) -> str:
        return "ask.need.anonymous" if tracker.get_slot("consent") is False else "ask.need"
