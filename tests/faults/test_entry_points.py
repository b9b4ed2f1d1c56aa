"""The Rasa and action server entry points: the faster action-reply check gives Rasa's verdict and error, the
model graph runs each needed node once after its inputs, action calls reuse their connection and survive a
restarted action server, and the action server runs the project's language pipeline without TensorFlow."""
from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest
from jsonschema import ValidationError, validate

from firststop.settings import ROOT
from launch import stack as stacks
from server.rasa_server import action_reply_is_valid, kept_session, run_graph_in_plan, validate_action_result
from tests.conftest import free_port, run_async

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


@pytest.mark.full  # starts a server itself
def test_the_action_server_loads_the_knowledge_without_tensorflow():
    code = (
        "import sys; from server.action_server import block_tensorflow, load_knowledge; "
        "block_tensorflow(); load_knowledge(); import spacy, thinc.compat; "
        "assert sys.modules['tensorflow'] is None and not thinc.compat.has_tensorflow; "
        "from actions import services; assert services.knowledge().router; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], env=stacks.base_env(), capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-2000:]


def test_the_graph_runs_each_needed_node_once_after_its_inputs():
    needs = {"tokens": {"text": "__message__"}, "words": {"tokens": "tokens"}, "chars": {"tokens": "tokens"},
             "intent": {"words": "words", "chars": "chars"}, "unused": {"tokens": "tokens"}}
    calls = []

    def node(name):
        def call(*inputs):
            calls.append(name)
            return name, f"{name}({', '.join(str(value) for _, value in inputs)})"
        return call

    runner = SimpleNamespace(
        _graph_schema=SimpleNamespace(nodes={n: SimpleNamespace(needs=x) for n, x in needs.items()},
                                      target_names=["intent"]),
        _instantiated_nodes={name: node(name) for name in needs},
    )
    for _ in range(2):  # the second run uses the cached plan
        calls.clear()
        result = run_graph_in_plan(runner, inputs={"__message__": "hi"})
        assert result == {"intent": "intent(words(tokens(hi)), chars(tokens(hi)))"}
        assert sorted(calls) == ["chars", "intent", "tokens", "words"] and calls[0] == "tokens"
    assert run_graph_in_plan(runner, {"__message__": "hi"}, targets=["words"]) == {"words": "words(tokens(hi))"}


def test_action_calls_reuse_their_connection_and_survive_a_restarted_action_server(monkeypatch):
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    monkeypatch.setattr(EndpointConfig, "session", kept_session)
    port, connections = free_port(), []

    async def action(request):
        connections.append(request.transport.get_extra_info("peername")[1])  # the client's port
        return web.json_response({"events": [], "received": (await request.json())["next_action"]})

    async def action_server() -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/webhook", action)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    async def scenario() -> list:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        server = await action_server()
        replies = [await endpoint.request(json={"next_action": f"a{n}"}) for n in range(3)]
        await server.cleanup()  # the action server stops and starts again
        server = await action_server()
        replies.append(await endpoint.request(json={"next_action": "after restart"}))
        await server.cleanup()
        await endpoint._firststop_session[1].close()
        return replies

    replies = run_async(scenario())
    assert [reply["received"] for reply in replies] == ["a0", "a1", "a2", "after restart"]
    assert len(set(connections[:3])) == 1 and connections[3] != connections[0]
