"""Answer questions from knowledge/: the entry with its source and review date, or an honest 'not sure'; a
message that also describes a project gets the answer and the routing; after the enquiry, a follow-up."""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import bot_texts
from actions import services
from actions.asks import offer_answer_language, say, text
from actions.conversation import answer_language, language, language_events
from actions.notify import add_followup
from knowledge.asking import indirect_question, question_part
from knowledge.content import Entry, source_in
from knowledge.retrieval import Answer
from knowledge.understanding import Reading, asks_something, asks_who_to_contact, read_question

# Messages that are not something to add to a logged enquiry.
NOT_A_FOLLOWUP = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "chitchat", "tell_me_more",
                  "out_of_scope", "cancel"}


def talk_to_person(lang: str) -> dict[str, str]:
    """The button that asks for a person."""
    return {"title": text("button.talk_to_person", lang), "payload": "/request_human"}


def topic_button(entry: Entry, lang: str = "en") -> dict[str, str]:
    """A button that asks for one knowledge entry, titled in `lang` (English when it has no translation)."""
    return {"title": entry.in_language(lang)[0], "payload": "/ask_question" + json.dumps({"topic": entry.id})}


def checked_on(entry: Entry, lang: str = "en") -> str:
    """'3 November 2026', '3 novembre 2026', '3. November 2026'."""
    month = bot_texts.entry("months", lang)["names"][entry.checked.month - 1]
    return text("date", lang, day=entry.checked.day, month=month, year=entry.checked.year)


def source_fields(entry: Entry, lang: str, written: str) -> dict[str, str]:
    """The fields of "answer.source" besides the answer: the official source as the `written` answer shows it (in
    its language where the source has that page) and the date it was checked, in the interface's `lang`."""
    title, url = source_in(entry, written)
    return {"source_title": title, "source_url": url, "checked": checked_on(entry, lang)}


def cited(entry: Entry, answer: str, lang: str = "en") -> str:
    """The answer followed by its official source as a link and the date it was checked (never the staff note)."""
    return text("answer.source", lang, answer=answer, **source_fields(entry, lang, lang))


def say_entry(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry, part: str,
              buttons: list[dict]) -> None:
    """Say the entry's answer (`part` "answer" or "more") in the visitor's answer language with its source; when it
    has no translation, first say so in the visitor's language, then give the English. A Luxembourgish visitor is
    asked after the first answer (in German) whether answers should be in French or German: last, so that the
    choice's buttons are the ones the widget shows."""
    lang, written = language(tracker), answer_language(tracker)
    _, answer, more, fell_back = entry.in_language(written)
    if fell_back:
        say(dispatcher, "answer.untranslated", lang, in_language=text(f"language.in.{written}", lang))
    say(dispatcher, "answer.source", lang, buttons=buttons, meta={"entry": entry.id},
        answer=answer if part == "answer" else more, **source_fields(entry, lang, written))
    offer_answer_language(dispatcher, tracker)


def answer_slots(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry) -> dict[str, Any]:
    """Give the entry's answer with its source; the slots that remember it for follow-ups."""
    lang = language(tracker)
    buttons = [{"title": text("button.tell_me_more", lang), "payload": "/tell_me_more"}] if entry.more or entry.related else []
    say_entry(dispatcher, tracker, entry, "answer", buttons + [talk_to_person(lang)])
    answered = list(tracker.get_slot("answered_topics") or [])
    if entry.id not in answered:
        answered.append(entry.id)
    return {"last_topic": entry.id, "answered_topics": answered, "topic": None}


def answer_entry(dispatcher: CollectingDispatcher, tracker: Tracker, entry: Entry) -> list[Any]:
    """answer_slots as events."""
    return [SlotSet(k, v) for k, v in answer_slots(dispatcher, tracker, entry).items()]


def asked_in(description: str) -> str | None:
    """The question a message that also says something else asks, directly ('We make X. Which funding exists?') or
    inside a sentence ('… and we'd like to know what funding we can get'), else None."""
    return question_part(description or "") or indirect_question(description or "")


def answer_to_project_message(knowledge, description: str, lang: str = "en",
                              last_topic: str | None = None) -> Answer | None:
    """The confident answer to what a message routed as a project asks: its question part ('We make X. Which funding
    exists?'), the question inside a sentence ('… and we'd like to know what funding we can get'), or the whole
    message when it is a question itself ('do software royalties get a tax break?', which the NLU may take for a
    project); None when it asks nothing the knowledge base answers, or asks whom to contact (routing answers that)."""
    asked = asked_in(description) or (description if asks_something(description or "") else None)
    if not asked or asks_who_to_contact(asked):
        return None
    answer = knowledge.answer(asked, lang, last_topic)
    return answer if answer.best is not None else None


def answer_question_part(dispatcher: CollectingDispatcher, tracker: Tracker, description: str) -> dict[str, Any]:
    """Answer the question a project description also asks, if the knowledge base can (the slots it sets)."""
    answer = answer_to_project_message(services.knowledge(), description, language(tracker),
                                       tracker.get_slot("last_topic"))
    return answer_slots(dispatcher, tracker, answer.best.entry) if answer else {}


def start_enquiry(dispatcher: CollectingDispatcher, tracker: Tracker, description: str,
                  answered: dict[str, Any] | None = None) -> list[Any]:
    """Route a project description in the enquiry form, answering the question it also asks (`answered`: the slots
    of the answer already given to it)."""
    if answered is None:
        answered = answer_question_part(dispatcher, tracker, description)
    slots = {"topic": None, **answered, "project_description": description}
    return [SlotSet(k, v) for k, v in slots.items()] + [FollowupAction("enquiry_form")]


def note_followup(dispatcher: CollectingDispatcher, tracker: Tracker, announce: bool = False) -> list[Any]:
    """After the enquiry is logged, a message that adds to it is kept as a follow-up (never over the description);
    `announce` tells the visitor so (a question that was answered is kept quietly)."""
    said = (tracker.latest_message.get("text") or "").strip()
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if not tracker.get_slot("enquiry_logged") or not said or said.startswith("/") or intent in NOT_A_FOLLOWUP:
        return []
    followups = [*(tracker.get_slot("followups") or []), " ".join(said.split())[:1000]]
    tracker.slots["followups"] = followups
    add_followup(tracker)
    if announce:
        say(dispatcher, "logged.followup", language(tracker), advisor=tracker.get_slot("advisor_name") or
            text("route.where.general", language(tracker)))
    return [SlotSet("followups", followups)]


def respond(dispatcher: CollectingDispatcher, tracker: Tracker, knowledge) -> tuple[list[Any] | None, Reading]:
    """Answer, or start routing, when the knowledge base is confident (the events), else None;
    with the reading, whose closest topics the caller can offer."""
    said = tracker.latest_message.get("text") or ""
    intent = tracker.latest_message.get("intent", {}).get("name") or ""
    reading = read_question(knowledge, said, intent, tracker.get_slot("last_topic"), language=language(tracker))
    if reading.kind == "answer":
        return answer_entry(dispatcher, tracker, reading.answer.best.entry), reading
    if reading.routes:
        answered = answer_slots(dispatcher, tracker, reading.answer.best.entry) if reading.kind == "answer_and_route" \
            else None
        if tracker.get_slot("enquiry_logged"):  # more about the project already sent: a follow-up
            return [SlotSet(k, v) for k, v in (answered or {}).items()] + note_followup(dispatcher, tracker,
                                                                                        announce=True), reading
        return start_enquiry(dispatcher, tracker, said, answered), reading
    if reading.kind == "out_of_scope" and intent != "nlu_fallback":
        say(dispatcher, "out_of_scope", language(tracker))
        return [SlotSet("topic", None)], reading
    return None, reading


class ActionAnswerQuestion(Action):
    """Answer a question (or a topic the visitor clicked) from the knowledge base, honestly; route a project."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        knowledge, lang = services.knowledge(), language(tracker)
        intent = tracker.latest_message.get("intent", {}).get("name")
        entry = knowledge.index.entries.get(tracker.get_slot("topic") or "")
        kept = language_events(tracker)
        if entry is not None:
            return answer_entry(dispatcher, tracker, entry) + kept
        said = tracker.latest_message.get("text") or ""
        if tracker.get_slot("enquiry_logged") and intent in ("describe_project", "inform") and not asks_something(said):
            return note_followup(dispatcher, tracker, announce=True) + kept  # a question is read (and answered) below
        events, reading = respond(dispatcher, tracker, knowledge)
        if events is not None:
            return (events if reading.routes else events + note_followup(dispatcher, tracker)) + kept
        if intent == "chitchat":
            say(dispatcher, "chitchat", lang)
            return kept
        buttons = [topic_button(m.entry, answer_language(tracker)) for m in reading.answer.candidates]
        say(dispatcher, "answer.unsure", lang, buttons=buttons + [talk_to_person(lang)])
        return [SlotSet("topic", None)] + note_followup(dispatcher, tracker) + kept


class ActionTellMore(Action):
    """Follow up on the last answer: its longer text, then related topics."""

    def name(self) -> str:
        return "action_tell_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[Any]:
        index, lang = services.knowledge().index, language(tracker)
        entry = index.entries.get(tracker.get_slot("last_topic") or "")
        if entry is None:
            say(dispatcher, "answer.more_about_what", lang)
            return []
        related = [index.entries[r] for r in entry.related if r in index.entries]
        buttons = [topic_button(r, answer_language(tracker)) for r in related] + [talk_to_person(lang)]
        if entry.more:
            say_entry(dispatcher, tracker, entry, "more", buttons)
        else:
            say(dispatcher, "answer.related", lang, buttons=buttons, title=entry.in_language(answer_language(tracker))[0])
        return language_events(tracker)
