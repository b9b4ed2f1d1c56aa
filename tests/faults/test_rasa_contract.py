"""The Rasa patches hold only on the Rasa they were written for: the server refuses another version or a Rasa
that lacks a patched attribute, and on the trained model the cached graph plan gives exactly what Rasa's own
dask runner gives, for parsing messages and for predicting the next action."""
from __future__ import annotations

import subprocess
from unittest import mock

import pytest

from launch import stack as stacks
from server import rasa_server
from tests.conftest import run_async

MESSAGES = [
    "hello", "How can I get funding for an R&D project?", "We develop anti-corrosion coatings for steel bridges",
    "I want to talk to a person", "Quelles aides pour une start-up ?", "Wir entwickeln Drohnen für die Logistik",
    "Moien, ech hätt eng Fro", "/affirm", "asdkjh qwe", "what are your opening hours",
]


def test_another_rasa_version_is_refused_with_the_reason():
    with pytest.raises(rasa_server.UnsupportedRasa, match=r"Rasa 3\.7\.0 is installed.*3\.6\.x"):
        rasa_server.check_rasa("3.7.0")


def test_a_rasa_without_a_patched_attribute_is_refused_naming_it():
    from rasa.core.processor import MessageProcessor

    with mock.patch.object(MessageProcessor, "_check_for_unseen_features", None):
        with pytest.raises(rasa_server.UnsupportedRasa, match="MessageProcessor._check_for_unseen_features"):
            rasa_server.check_rasa()
    rasa_server.check_rasa()  # the installed Rasa passes


def test_the_server_does_not_start_on_an_unsupported_rasa(tmp_path):
    """`python -m server.rasa_server` exits with the reason before Rasa starts."""
    script = ("import rasa; rasa.__version__ = '3.7.0'; import runpy; "
              "runpy.run_module('server.rasa_server', run_name='__main__')")
    done = subprocess.run([stacks.PYTHON, "-c", script, "run"], capture_output=True, text=True, timeout=120,
                          env=stacks.base_env(), cwd=tmp_path)
    assert done.returncode != 0 and "can't start: Rasa 3.7.0 is installed" in done.stderr


def _comparable(parsed: dict) -> dict:
    return {"intent": parsed["intent"]["name"], "confidence": round(parsed["intent"]["confidence"], 6),
            "entities": [(e["entity"], e["value"]) for e in parsed.get("entities", [])],
            "ranking": [(r["name"], round(r["confidence"], 6)) for r in parsed.get("intent_ranking", [])]}


def test_the_cached_plan_gives_what_rasas_dask_runner_gives_on_the_trained_model(model_path):
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(str(model_path))
    processor = agent.processor

    async def both(message: str):
        parsed = await processor.parse_message(UserMessage(message))
        tracker = DialogueStateTracker.from_events("contract", [ActionExecuted("action_listen"),
                                                                UserUttered(message, parsed["intent"],
                                                                            parsed["entities"], parsed)],
                                                   agent.domain.slots)
        prediction = processor._predict_next_with_tracker(tracker)
        return _comparable(parsed), (prediction.max_confidence_index, [round(p, 6) for p in prediction.probabilities])

    assert DaskGraphRunner.run is not rasa_server.run_graph_in_plan  # this test process has no fixes applied
    by_dask = [run_async(both(m)) for m in MESSAGES]
    with mock.patch.object(DaskGraphRunner, "run", rasa_server.run_graph_in_plan):
        by_plan = [run_async(both(m)) for m in MESSAGES]
    assert by_plan == by_dask
    assert len({parsed["intent"] for parsed, _ in by_dask}) > 3  # the messages exercise several intents
