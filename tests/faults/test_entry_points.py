"""The Rasa and action server entry points: the faster action-reply check gives Rasa's verdict and error, and
the action server runs the project's language pipeline without TensorFlow."""
from __future__ import annotations

import subprocess
import sys

import pytest
from jsonschema import ValidationError, validate

from firststop import launcher
from firststop.rasa_server import action_reply_is_valid, validate_action_result

SLOT = {"event": "slot", "timestamp": None, "name": "name", "value": "Jane Doe"}
VALID = [
    {},
    {"events": [], "responses": []},
    {"events": [SLOT, {"event": "active_loop", "name": "contact_form"}, {"event": "followup", "name": "x"}],
     "responses": [{"text": "Hi", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]},
    {"events": [{"event": "action_execution_rejected", "name": "contact_form"}, {"event": "reset_slots"},
                {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 0.9},
                                                             "entities": [{"entity": "topic", "value": "x"}]}},
                {"event": "bot", "text": "Hello", "metadata": {"a": 1}}, {"event": "restart"}]},
    {"events": [{"event": "slot", "name": "answered_topics", "value": ["a", "b"], "timestamp": 1.5}]},
]
INVALID = [
    [],
    "events",
    {"events": "slot"},
    {"events": [None]},
    {"events": [{"name": "x", "value": 1}]},  # no event type
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": 42}]},
    {"events": [{"event": ["slot"]}]},
    {"events": [{"event": "slot", "name": "x"}]},  # a slot without a value
    {"events": [{"event": "slot", "name": 7, "value": 1}]},
    {"events": [SLOT, {"event": "slot", "value": 1}]},
    {"events": [{**SLOT, "timestamp": "yesterday"}]},
    {"events": [{**SLOT, "metadata": "x"}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"value": "x"}]}}]},
    {"events": [{"event": "entities", "entities": "x"}]},
    {"responses": "Hello"},
    {"responses": ["Hello"]},
]


def jsonschema_says_valid(reply) -> bool:
    from rasa.core.actions.action import RemoteAction

    try:
        validate(reply, RemoteAction.action_response_format_spec())
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("reply", VALID + INVALID)
def test_the_faster_check_gives_rasas_verdict(reply):
    assert action_reply_is_valid(reply) == jsonschema_says_valid(reply)


@pytest.mark.parametrize("reply", INVALID)
def test_an_invalid_reply_gets_rasas_error(reply):
    from rasa.core.actions.action import RemoteAction

    with pytest.raises(ValidationError) as ours:
        validate_action_result(None, reply)
    with pytest.raises(ValidationError) as rasas:
        RemoteAction("action_x", None)._validate_action_result(reply)
    assert ours.value.message == rasas.value.message


def test_the_action_server_loads_the_knowledge_without_tensorflow():
    code = (
        "import sys; from firststop.action_server import block_tensorflow, load_knowledge; "
        "block_tensorflow(); load_knowledge(); import spacy, thinc.compat; "
        "assert sys.modules['tensorflow'] is None and not thinc.compat.has_tensorflow; "
        "from actions import services; assert services.knowledge().router; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], env=launcher.base_env(), capture_output=True, text=True,
                            timeout=120, cwd=launcher.ROOT)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]
