"""Answer questions from knowledge/: the entry with its source and review date, or an honest 'not sure'."""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.asks import say
from knowledge.content import Entry
from knowledge.understanding import Reading, read_question

TALK_TO_PERSON = {"title": "Talk to a person", "payload": "/request_human"}


def topic_button(entry: Entry) -> dict[str, str]:
    return {"title": entry.title, "payload": "/ask_question" + json.dumps({"topic": entry.id})}


def cited(entry: Entry, text: str) -> str:
    """The answer followed by its official source as a link and the date it was checked (never the staff note)."""
    checked = f"{entry.checked.day} {entry.checked:%B %Y}"
    return f"{text}\n\nSource: [{entry.source_title}]({entry.source_url}) · checked on {checked}"


def _answered(tracker: Tracker, entry: Entry) -> list[Any]:
    answered = list(tracker.get_slot("answered_topics") or [])
    if entry.id not in answered:
        answered.append(entry.id)
    return [SlotSet("last_topic", entry.id), SlotSet("answered_topics", answered), SlotSet("topic", None)]


def answer_entry(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry) -> list[Any]:
    """Give the entry's answer with its source, and remember it for follow-ups."""
    buttons = [{"title": "Tell me more", "payload": "/tell_me_more"}] if entry.more or entry.related else []
    dispatcher.utter_message(text=cited(entry, entry.answer), buttons=buttons + [TALK_TO_PERSON])
    return _answered(tracker, entry)


def respond(dispatcher: CollectingDispatcher, tracker: Tracker, knowledge) -> tuple[list[Any] | None, Reading]:
    """Answer, or start routing, when the knowledge base is confident (the events), else None;
    with the reading, whose closest topics the caller can offer."""
    text = tracker.latest_message.get("text") or ""
    intent = tracker.latest_message.get("intent", {}).get("name") or ""
    reading = read_question(knowledge, text, intent, tracker.get_slot("last_topic"))
    if reading.kind == "answer":
        return answer_entry(dispatcher, tracker, reading.answer.best.entry), reading
    if reading.kind == "route":
        return [SlotSet("topic", None), SlotSet("project_description", text), FollowupAction("enquiry_form")], reading
    if reading.kind == "out_of_scope" and intent != "nlu_fallback":
        say(dispatcher, "out_of_scope")
        return [SlotSet("topic", None)], reading
    return None, reading


class ActionAnswerQuestion(Action):
    """Answer a question (or a topic the visitor clicked) from the knowledge base, honestly."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        knowledge = services.knowledge()
        entry = knowledge.index.entries.get(tracker.get_slot("topic") or "")
        if entry is not None:
            return answer_entry(dispatcher, tracker, entry)
        events, reading = respond(dispatcher, tracker, knowledge)
        if events is not None:
            return events
        if tracker.latest_message.get("intent", {}).get("name") == "chitchat":
            say(dispatcher, "chitchat")
            return []
        candidates = reading.answer.candidates
        dispatcher.utter_message(
            text="I'm not sure I have the answer to that. Is it one of these topics? "
            "If not, an advisor can answer you.",
            buttons=[topic_button(m.entry) for m in candidates] + [TALK_TO_PERSON],
        )
        return [SlotSet("topic", None)]


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
