"""Answer questions from knowledge/: the entry with its source and review date, or an honest 'not sure'."""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from knowledge.content import Entry

TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/request_human"}


def topic_button(entry: Entry) -> dict[str, str]:
    return {"title": entry.title, "payload": "/ask_question" + json.dumps({"topic": entry.id})}


def cited(entry: Entry, text: str) -> str:
    """The answer followed by where it comes from and when it was last checked."""
    return f"{text}\n\nSource: {entry.source} · last reviewed {entry.reviewed:%d %B %Y}"


def _answered(tracker: Tracker, entry: Entry) -> list[Any]:
    answered = list(tracker.get_slot("answered_topics") or [])
    if entry.id not in answered:
        answered.append(entry.id)
    return [SlotSet("last_topic", entry.id), SlotSet("answered_topics", answered), SlotSet("topic", None)]


class ActionAnswerQuestion(Action):
    """Answer the visitor's question, or a topic they clicked, from the knowledge base."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        knowledge = services.knowledge()
        topic = tracker.get_slot("topic")
        entry = knowledge.index.entries.get(topic) if topic else None
        if entry is None:
            answer = knowledge.index.answer(tracker.latest_message.get("text") or "", tracker.get_slot("last_topic"))
            if answer.best is None:
                buttons = [topic_button(m.entry) for m in answer.candidates]
                dispatcher.utter_message(
                    text="I'm not sure I have the answer to that. Is it one of these topics? "
                    "If not, an advisor can answer you.",
                    buttons=buttons + [TALK_TO_PERSON],
                )
                return [SlotSet("topic", None)]
            entry = answer.best.entry
        buttons = [{"title": "Tell me more", "payload": "/tell_me_more"}] if entry.more or entry.related else []
        dispatcher.utter_message(text=cited(entry, entry.answer), buttons=buttons + [TALK_TO_PERSON])
        return _answered(tracker, entry)


class ActionTellMore(Action):
    """Follow up on the last answer: its longer text, then related topics."""

    def name(self) -> str:
        return "action_tell_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        index = services.knowledge().index
        entry = index.entries.get(tracker.get_slot("last_topic") or "")
        if entry is None:
            dispatcher.utter_message(
                text="More about what? Ask me a question about innovation, R&D funding or our clusters.",
            )
            return []
        related = [index.entries[r] for r in entry.related if r in index.entries]
        buttons = [topic_button(r) for r in related] + [TALK_TO_PERSON]
        if entry.more:
            dispatcher.utter_message(text=cited(entry, entry.more), buttons=buttons)
        else:
            dispatcher.utter_message(text=f"Related to “{entry.title}”, you may want to read:", buttons=buttons)
        return []
