"""Speaking from the catalogue (bot_texts/): say() with the message's key in its metadata, the form's questions
(one action per slot) and the bot's simple replies (greeting, thanks...)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import bot_texts
from actions.conversation import language


def say(dispatcher: CollectingDispatcher, key: str, lang: str = "en", buttons: list[dict] | None = None,
        **params: Any) -> None:
    """Send the catalogue's message `key` in `lang` (English when missing), its key in the message metadata."""
    dispatcher.utter_message(**bot_texts.message(key, lang, buttons=buttons, **params))


def text(key: str, lang: str = "en", **params: Any) -> str:
    """A catalogue text (a button title, a fragment of a message)."""
    return bot_texts.text(key, lang, **params)


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
        return []


class ActionGreet(SayAction):
    key = "greet"


class ActionGoodbye(SayAction):
    key = "goodbye"


class ActionThank(SayAction):
    key = "thank"


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
        return []


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
