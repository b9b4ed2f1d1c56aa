"""A conversation id is not proof of who is typing: no reply reads back the name, e-mail, phone or organisation
the visitor gave in an earlier turn (issue 13, finding 5)."""
from __future__ import annotations

import asyncio
import inspect
import uuid

import pytest
from rasa_sdk import Action, FormValidationAction
from rasa_sdk.executor import CollectingDispatcher

import actions.answers
import actions.asks
import actions.contact
import actions.enquiry
import actions.handoff
from tests.actions.conftest import texts, tracker

VICTIM = {"name": "Victoria Quill", "organisation": "Quillworks Sàrl", "email": "victoria@quillworks.example",
          "phone": "+352 621 000 111"}
COMPLETED = {**VICTIM, "consent": True, "profile": "sme", "advisor_id": "a-general", "enquiry_logged": True,
             "project_description": "we make quills for satellites", "handoff_reason": "visitor_asked"}


def assert_nothing_read_back(replies: list[str]) -> None:
    for reply in replies:
        for value in VICTIM.values():
            assert value.lower() not in reply.lower(), f"{reply!r} reads back {value!r}"


def run(action: Action, slots: dict, **kwargs) -> list[str]:
    dispatcher = CollectingDispatcher()

    asyncio.run(action.run(dispatcher, tracker(slots, **kwargs), {}))
    return texts(dispatcher)


def test_asking_for_a_person_in_a_completed_conversation_does_not_reveal_the_address(actions_db):
    # Someone posting with the victim's conversation id asks for a person: the contact form is already complete,
    # so the hand-off runs at once and says who will reply, and to what.
    replies = run(actions.handoff.ActionHandoff(), COMPLETED)
    assert any("sent your enquiry" in r and "the e-mail address you gave" in r for r in replies), replies
    assert_nothing_read_back(replies)


def test_logging_the_contact_does_not_read_the_details_back(actions_db):
    replies = run(actions.contact.ActionLogContact(), COMPLETED, sender_id=uuid.uuid4().hex)
    assert any("sent your enquiry" in r and "the e-mail address you gave" in r for r in replies), replies
    assert_nothing_read_back(replies)


def test_with_the_database_down_the_reply_reveals_nothing_either(actions_on, tmp_path):
    actions_on(f"sqlite:///{tmp_path / 'no-such-dir' / 'firststop.db'}")  # unreachable: the enquiry is spooled
    for action in (actions.handoff.ActionHandoff(), actions.contact.ActionLogContact()):
        replies = run(action, COMPLETED)
        assert any("kept" in r for r in replies), replies
        assert_nothing_read_back(replies)
    assert list((tmp_path / "var" / "spool").glob("*.json"))


def _every_action() -> list[type[Action]]:
    modules = (actions.answers, actions.asks, actions.contact, actions.enquiry, actions.handoff)
    found = {cls for module in modules for _, cls in inspect.getmembers(module, inspect.isclass)
             if issubclass(cls, Action) and not inspect.isabstract(cls) and not issubclass(cls, FormValidationAction)
             and cls.__module__.startswith("actions.")}
    return sorted(found, key=lambda cls: cls.__name__)


@pytest.mark.parametrize("action", _every_action(), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("message", [("talk to a person", "request_human"), ("what do you know about me?",
                                                                           "nlu_fallback")])
def test_no_action_reads_stored_details_back(actions_db, action, message):
    text, intent = message
    assert_nothing_read_back(run(action(), COMPLETED, text=text, intent=intent))
