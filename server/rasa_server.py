"""FirstStop's Rasa server entry point: `rasa` (same arguments) with the changes below applied before it starts.

1. Rasa checks every action-server reply with `jsonschema.validate`, which checks the schema and builds a
   validator on each call (RasaHQ/rasa#11717): about 20 ms of CPU per custom action on this machine, more
   than the rest of the call. The validators are built once, and each event is checked against its own
   type's branch of the schema's `oneOf`; replies get the same verdict and the same error as before.
2. (No patch.) When the member database can't be read or written, Rasa's FailSafeTrackerStore would carry on
   with a blank in-memory tracker; server.tracker_store raises an error it lets through instead.
3. When the action server can't be reached, Rasa drops the action's events, saves the turn and goes on
   without them: a visitor who sends the message again lands in another state (a completed form whose
   enquiry was never logged). Here the turn is abandoned unsaved, the REST channel says so, and sending
   the message again replays the whole turn; the actions' database writes are idempotent.
4. Rasa opens a new HTTP session, and so a new TCP connection, for every custom action call, and encodes
   the tracker with the standard json module. Here each endpoint keeps one session per event loop whose
   idle connections are reused for a while (shorter than the action server's own keep-alive, so Rasa
   never sends on a connection the server is closing), and encodes with ujson (a Rasa dependency).
5. Rasa runs its model graph (NLU, then policies) through dask for every message, working out again each
   time which nodes the targets need and in which order. Here that plan is worked out once per list of
   targets and the nodes are called in it directly: the same nodes with the same inputs.
6. The Sanic app is set up from the settings, whatever the command line says: CORS answers only the
   configured origins (CORS_ORIGINS, by default the console's, which serves the demo page), and a body
   larger than MAX_REQUEST_BYTES is refused with 413 on its headers, before Sanic buffers any of it (its
   default limit is 100 MB).
7. Rasa's own log lines don't carry what visitors wrote: the structured log fields that hold message text
   are withheld, and the warnings Rasa raises while parsing a visitor's "/intent{...}" message (which quote
   the whole message) are replaced by one line without it.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import re
from functools import lru_cache
from typing import Any

from members.db import describe_error

KEEPALIVE_SECONDS = 2.0  # idle connections to an endpoint are kept this long (Sanic closes them after 5 s)

log = logging.getLogger(__name__)


class ActionServerUnavailable(BaseException):
    """A custom action could not be run; the turn is abandoned unsaved.

    A BaseException, like asyncio.CancelledError, so that the `except Exception` with which Rasa's
    processor swallows action errors lets it through to the REST channel.
    """


@lru_cache(maxsize=1)
def action_reply_validators():
    """Validators for Rasa's action reply schema, built once: (for the whole reply, for the reply with its
    events only checked to be a list, for each event type).

    The schema checks each event against a `oneOf` of 23 branches told apart by `"event": {"const": …}`,
    so an event of type X is valid exactly when it is valid against the branch for X: checking that one
    branch gives the same answer about twenty times faster.
    """
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)  # Draft 2020-12 (`const` needs draft 6 or later)
    validator_class.check_schema(schema)
    event_schema = schema["properties"]["events"]["items"]
    reply_outline = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
    common = {key: value for key, value in event_schema.items() if key != "oneOf"}
    by_type = {
        branch["properties"]["event"]["const"]: validator_class({**common, "oneOf": [branch]})
        for branch in event_schema["oneOf"]
    }
    return validator_class(schema), validator_class(reply_outline), by_type


def action_reply_is_valid(result: Any) -> bool:
    """Whether an action server reply matches Rasa's schema (the same answer as validating the whole schema)."""
    _, outline, by_type = action_reply_validators()
    if not outline.is_valid(result):
        return False
    for event in result.get("events") or []:
        name = event.get("event") if isinstance(event, dict) else None
        validator = by_type.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with validators built once (same verdict, same error message)."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    if action_reply_is_valid(result):
        return True
    error = best_match(action_reply_validators()[0].iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def run_or_abandon(run):
    """Wrap RemoteAction.run: a rejection stays a rejection (normal form flow), any other failure abandons the turn."""
    from rasa.core.actions.action import ActionExecutionRejection

    async def run_remote_action(self, output_channel, nlg, tracker, domain):
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # asyncio.TimeoutError and aiohttp's errors included
            log.error("custom action %s failed, abandoning the turn of %s: %s", self.name(), tracker.sender_id,
                      describe_error(error))
            raise ActionServerUnavailable(f"{self.name()}: {describe_error(error)}") from error

    run_remote_action.patched = True
    return run_remote_action


class KeptSession:
    """`async with` an endpoint's open session, which stays open afterwards for the next request."""

    def __init__(self, session) -> None:
        self.session = session

    async def __aenter__(self):
        return self.session

    async def __aexit__(self, *exc_info) -> None:
        return None


def kept_session(self) -> KeptSession:
    """EndpointConfig.session that reuses one session (and its connections) per endpoint and event loop."""
    import aiohttp
    import ujson
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    kept = getattr(self, "_firststop_session", None)
    if kept is None or kept[0] is not loop or kept[1].closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            json_serialize=ujson.dumps,
        )
        kept = self._firststop_session = (loop, session)
    return KeptSession(kept[1])


def graph_plan(schema, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """The nodes the targets need, each after the nodes it needs: (node, names of its inputs)."""
    plan: list[tuple[str, tuple[str, ...]]] = []
    planned: set[str] = set()

    def visit(name: str) -> None:
        if name in planned or name not in schema.nodes:  # planned already, or a run input
            return
        planned.add(name)
        needs = tuple(schema.nodes[name].needs.values())
        for need in needs:
            visit(need)
        plan.append((name, needs))

    for target in targets:
        visit(target)
    return plan


def run_graph_in_plan(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
    """DaskGraphRunner.run without dask: each needed node once, in a plan cached per list of targets."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = tuple(targets or self._graph_schema.target_names)
    plans = self.__dict__.setdefault("_firststop_plans", {})
    plan = plans.get(run_targets)
    if plan is None:
        plan = plans[run_targets] = graph_plan(self._graph_schema, run_targets)
    outputs = {name: (name, value) for name, value in (inputs or {}).items()}
    try:
        for name, needs in plan:
            if name in outputs:  # an input given for a node replaces it, as in dask
                continue
            # A node gets (name, output) of each input; a name it can't resolve is passed as is (as dask does).
            outputs[name] = self._instantiated_nodes[name](*(outputs.get(need, need) for need in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(outputs[target] for target in run_targets)


# Structured log fields in which Rasa puts message text, slot values or whole events (rasa.utils.log_utils).
VISITOR_TEXT_FIELDS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
    "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response", "slot_candidates",
    "rasa_event", "rasa_events", "tracker_states", "current_states", "old_states", "successes",
    "current_entity", "next_entity", "states", "entity", "token_text", "user_message", "json_message",
})
_parsing_visitor_message: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "firststop_parsing_visitor_message", default=None)


def withhold_visitor_text(anonymizer):
    """Wrap Rasa's structlog anonymizer: fields that may hold visitor text are replaced by their length."""

    def withhold(logger, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict = anonymizer(logger, method, event_dict)
        for name in VISITOR_TEXT_FIELDS & event_dict.keys():
            value = event_dict[name]
            event_dict[name] = f"<withheld, {len(value)} characters>" if isinstance(value, str) else "<withheld>"
        return event_dict

    return withhold


def parsing_visitor_message(function):
    """Mark the call as parsing a visitor's message, so the warnings it raises don't quote the message."""

    @functools.wraps(function)
    def marked(*args, **kwargs):
        token = _parsing_visitor_message.set(function.__qualname__)
        try:
            return function(*args, **kwargs)
        finally:
            _parsing_visitor_message.reset(token)

    marked.patched = True
    return marked


def warning_without_visitor_text(raise_warning):
    """Wrap rasa.shared.utils.io.raise_warning: inside the parsing of a visitor message, a warning (which
    quotes the message) becomes one line naming what was not understood, without the message."""

    def raise_warning_or_note(message, category=None, docs=None, **kwargs) -> None:
        where = _parsing_visitor_message.get()
        if where is None:
            return raise_warning(message, category, docs, **kwargs)
        log.warning("%s: part of a visitor's message was not understood as an intent payload (%s); "
                    "message withheld", where, _warning_kind(str(message)))
        return None

    raise_warning_or_note.patched = True
    return raise_warning_or_note


def _warning_kind(message: str) -> str:
    """What a Rasa parsing warning was about, without the parts of it that quote the visitor."""
    for kind, pattern in (("trailing text", r"Failed to interpret some parts"),
                          ("unknown intent", r"Expected the intent|Parsed an intent"),
                          ("entities not a JSON object", r"json object"),
                          ("unknown entity", r"Expected entities|Parsed an entity"),
                          ("bad confidence", r"confidence")):
        if re.search(pattern, message):
            return kind
    return "arguments"


class RequestTooLarge:
    """The 413 answer for a body over the limit, in the channel's format, sent before the body is read."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def __call__(self, request, exception):
        from sanic import response

        from server.channel import TOO_LARGE

        return response.json({"error": TOO_LARGE.format(max_length=self.max_length)}, status=413)


def exact_origins(origins: tuple[str, ...]) -> list:
    """CORS origins for sanic_cors, each matched exactly ('*' stays a wildcard): sanic_cors takes a string
    with '?', ']' or '*' for a regular expression, which an IPv6 origin such as http://[::1]:8000 has."""
    return [origin if origin == "*" else re.compile(re.escape(origin.rstrip("/")) + r"\Z", re.IGNORECASE)
            for origin in origins]


def configured_from_settings(configure_app):
    """Wrap rasa.core.run.configure_app: CORS origins and the request size limit come from the settings."""
    from sanic.exceptions import PayloadTooLarge

    from firststop.settings import get_settings

    signature = inspect.signature(configure_app)

    @functools.wraps(configure_app)
    def configure_app_from_settings(*args, **kwargs):
        settings = get_settings()
        call = signature.bind(*args, **kwargs)
        call.arguments["cors"] = exact_origins(settings.cors_origins)
        app = configure_app(*call.args, **call.kwargs)
        app.config.REQUEST_MAX_SIZE = settings.max_request_bytes
        app.error_handler.add(PayloadTooLarge, RequestTooLarge(settings.max_message_length))
        log.info("CORS origins %s; requests over %d bytes refused",
                 ", ".join(settings.cors_origins) or "(none)", settings.max_request_bytes)
        return app

    configure_app_from_settings.patched = True
    return configure_app_from_settings


SUPPORTED_RASA = "3.6."
# Every Rasa attribute the fixes replace or rely on, as (module, dotted attribute); the fixes were written
# against Rasa 3.6 and are refused on a Rasa where any of these is gone.
RELIED_ON = (
    ("rasa.core.actions.action", "RemoteAction.run"),
    ("rasa.core.actions.action", "RemoteAction._validate_action_result"),
    ("rasa.core.actions.action", "RemoteAction.action_response_format_spec"),
    ("rasa.core.actions.action", "ActionExecutionRejection"),
    ("rasa.core.tracker_store", "FailSafeTrackerStore.retrieve"),
    ("rasa.utils.endpoints", "EndpointConfig.session"),
    ("rasa.engine.runner.dask", "DaskGraphRunner.run"),
    ("rasa.engine.exceptions", "GraphRunError"),
    ("rasa.core.run", "configure_app"),
    ("rasa.utils.log_utils", "_anonymizer"),
    ("rasa.shared.utils.io", "raise_warning"),
    ("rasa.shared.core.training_data.story_reader.yaml_story_reader", "YAMLStoryReader.unpack_regex_message"),
    ("rasa.core.processor", "MessageProcessor._check_for_unseen_features"),
)
# Instance attributes run_graph_in_plan reads, set in DaskGraphRunner.__init__.
DASK_RUNNER_ATTRIBUTES = ("self._graph_schema", "self._instantiated_nodes")


class UnsupportedRasa(RuntimeError):
    """The installed Rasa is not one the fixes were written for."""


def check_rasa(version: str | None = None) -> None:
    """Raise UnsupportedRasa unless Rasa is 3.6 and has every attribute the fixes replace or rely on."""
    import importlib

    import rasa
    from rasa.engine.runner.dask import DaskGraphRunner

    version = version or rasa.__version__
    if not version.startswith(SUPPORTED_RASA):
        raise UnsupportedRasa(f"Rasa {version} is installed; FirstStop's fixes (server/rasa_server.py) are written "
                              f"for Rasa {SUPPORTED_RASA}x: install requirements.txt")
    missing = []
    for module, path in RELIED_ON:
        found = importlib.import_module(module)
        for name in path.split("."):
            found = getattr(found, name, None)
        if found is None:
            missing.append(f"{module}.{path}")
    init = inspect.getsource(DaskGraphRunner.__init__)
    missing += [f"DaskGraphRunner.__init__ setting {a}" for a in DASK_RUNNER_ATTRIBUTES if a not in init]
    if missing:
        raise UnsupportedRasa(f"Rasa {version} lacks what FirstStop's fixes replace: {', '.join(missing)}")


def apply_fixes() -> None:
    """Check the installed Rasa (check_rasa), then patch its classes in this process (inherited by forked
    Sanic workers)."""
    check_rasa()
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.utils.endpoints import EndpointConfig

    action_reply_validators()
    RemoteAction._validate_action_result = validate_action_result
    if not getattr(RemoteAction.run, "patched", False):
        RemoteAction.run = run_or_abandon(RemoteAction.run)
    EndpointConfig.session = kept_session
    DaskGraphRunner.run = run_graph_in_plan
    apply_server_settings()


def apply_server_settings() -> None:
    """Patch how `rasa run` sets up its app and its logs: CORS and size limit from the settings, no visitor text."""
    import rasa.core.run
    import rasa.shared.utils.io
    import rasa.utils.log_utils
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    if getattr(rasa.core.run.configure_app, "patched", False):
        return
    rasa.core.run.configure_app = configured_from_settings(rasa.core.run.configure_app)
    rasa.utils.log_utils._anonymizer = withhold_visitor_text(rasa.utils.log_utils._anonymizer)
    rasa.shared.utils.io.raise_warning = warning_without_visitor_text(rasa.shared.utils.io.raise_warning)
    YAMLStoryReader.unpack_regex_message = staticmethod(parsing_visitor_message(YAMLStoryReader.unpack_regex_message))
    MessageProcessor._check_for_unseen_features = parsing_visitor_message(MessageProcessor._check_for_unseen_features)


def main() -> None:
    """Run the `rasa` command line with the fixes applied."""
    # Through the package, not `__main__`: the REST channel catches server.rasa_server's exceptions.
    from server import rasa_server  # noqa: PLW0406 - the package module, not this `__main__` copy

    try:
        rasa_server.apply_fixes()
    except rasa_server.UnsupportedRasa as error:
        raise SystemExit(f"FirstStop's Rasa server can't start: {error}") from None
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
