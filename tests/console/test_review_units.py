"""Pure parts of the review: the search index counts replies by their catalogue key in any language (never by their
wording), and personal details are taken out of what becomes training data or a content example."""
from __future__ import annotations

from datetime import datetime, timezone

from console import search
from console.review import without_personal_data
from members.transcripts import Message

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def visitor(event_id: int, text: str, intent: str = "ask_question", confidence: float = 0.9) -> Message:
    return Message("visitor", text, AT, intent, confidence, event_id=event_id)


def bot(event_id: int, text: str, text_key: str | None) -> Message:
    return Message("bot", text, AT, event_id=event_id, text_key=text_key)


def fold(messages: list[Message]):
    state, found = search.new_state("c", messages[0]), []
    for message in messages:
        state, revealed = search.index_message(state, message)
        found += revealed
    return state, found


def test_not_sure_is_read_from_the_key_in_every_language_and_never_from_the_wording():
    state, found = fold([
        visitor(1, "Förderung für Teleportation?"),
        bot(2, "Ich bin nicht sicher, ob ich die Antwort habe.", "answer.unsure"),
        visitor(3, "et pour les robots ?"),
        bot(4, "Désolé, je n'ai pas compris.", "fallback"),
        bot(5, "Désolé, je n'ai pas compris.", "fallback"),  # the same question: counted once
        visitor(6, "what about grants"),
        bot(7, "I'm not sure what you mean by that, but here is the answer.", "answer.source"),  # an answer
    ])
    assert [(kind, row["event_id"]) for kind, row in found] == [("unanswered", 1), ("unanswered", 3)]
    assert (state["answers"], state["unsure_replies"], state["out_of_scope_replies"], state["handed_off"]) == (
        1, 3, 0, False)


def test_out_of_scope_and_hand_offs_are_counted_apart_from_answers():
    state, _ = fold([
        visitor(1, "what's the weather"), bot(2, "Leider kann ich dabei nicht helfen.", "out_of_scope"),
        visitor(3, "a person please", "request_human"), bot(4, "Gerne.", "handoff.visitor_asked"),
        bot(5, "Danke! Ich habe Ihre Anfrage weitergeleitet.", "logged.mailed"),
    ])
    assert (state["answers"], state["unsure_replies"], state["out_of_scope_replies"], state["handed_off"]) == (
        0, 0, 1, True)


def test_low_confidence_messages_go_to_the_review_queue_but_button_clicks_do_not():
    _, found = fold([visitor(1, "blorf", "greet", 0.31), visitor(2, "/affirm", "affirm", 0.2),
                     visitor(3, "hello", "greet", 0.99)])
    assert [(kind, row["event_id"], row["intent"]) for kind, row in found] == [("low_confidence", 1, "greet")]


def test_personal_details_are_replaced_by_neutral_stand_ins():
    details = {"name": {"Jean-Luc Weber"}, "organisation": {"Stahlwerk Esch S.A."}, "email": set(), "phone": set()}
    text = ("Hi, Jean-Luc here (weber@stahl.lu, 00352 691 234 567) from stahlwerk esch: "
            "can Weber get 500 000 euros in 2026?")
    assert without_personal_data(text, details) == (
        "Hi, Alex here (name@example.org, +352 000 000) from Example Company: can Alex get 500 000 euros in 2026?")
    assert without_personal_data("we make steel for cars", details) == "we make steel for cars"
