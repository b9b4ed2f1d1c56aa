"""The REST channel the widget posts to, with input checks: bad input gets a 4xx, never a 500. A turn that
fails on our side (action server or database unreachable) is not saved and is answered 503 with what to do,
so sending it again is safe; a turn that produced no reply gets a short note, never silence."""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request

from firststop.rasa_server import ActionServerUnavailable, TrackerStoreUnavailable
from firststop.settings import get_settings

log = logging.getLogger(__name__)

SENDER = re.compile(r"^[A-Za-z0-9_\-.:]{1,128}$")
LANGUAGES = {"en", "fr", "de"}
SOMETHING_WENT_WRONG = "Sorry, something went wrong on our side — please try again."
NO_REPLY = "Sorry, I have no answer to that. You can ask me a question, describe your project, or ask for a person."
STORE_UNAVAILABLE = (
    "We can't reach our records just now, so your message wasn't taken in. "
    "Please send it again in a minute; nothing you told us before is lost."
)


def never_silent(messages: list[dict[str, Any]], sender: str) -> list[dict[str, Any]]:
    """The bot's replies, or a short note when the turn produced none (e.g. '/restart'): never silence."""
    return messages or [{"recipient_id": sender, "text": NO_REPLY}]


class InputRejected(ValueError):
    """The request can't be turned into a user message; carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def clean_text(text: str) -> str:
    """Drop control and format characters except line breaks and tabs; normalise to NFC."""
    kept = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C" or c == "\u200d")
    return unicodedata.normalize("NFC", kept).strip()


def parse_request(content_type: str, body: bytes, max_length: int) -> tuple[str, str, dict[str, Any]]:
    """(sender, text, metadata) from a webhook request, or InputRejected saying what is wrong."""
    if "application/json" not in (content_type or "").lower():
        raise InputRejected(415, "send JSON with Content-Type: application/json")
    if len(body) > max(64_000, max_length * 8):
        raise InputRejected(413, f"messages are limited to {max_length} characters")
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputRejected(400, "the request is not valid UTF-8") from error
    except ValueError as error:
        raise InputRejected(400, "the request body is not valid JSON") from error
    except RecursionError as error:
        raise InputRejected(400, "the request body is nested too deeply") from error
    if not isinstance(payload, dict):
        raise InputRejected(400, "the request body must be a JSON object")
    sender, text = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not SENDER.match(sender):
        raise InputRejected(400, "'sender' must be a session id of letters, digits, '-' or '_'")
    if not isinstance(text, str):
        raise InputRejected(400, "'message' must be a string")
    text = clean_text(text)
    if not text:
        raise InputRejected(400, "the message is empty")
    if len(text) > max_length:
        raise InputRejected(413, f"messages are limited to {max_length} characters")
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    language = metadata.get("language") if metadata.get("language") in LANGUAGES else "en"
    return sender, text, {"language": language}


class RestInput(RasaRestInput):
    """Rasa's REST channel (same URL, /webhooks/rest/webhook) with input validation."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("firststop_rest_webhook", __name__)
        max_length = get_settings().max_message_length

        @webhook.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            try:
                sender, text, metadata = parse_request(request.headers.get("content-type", ""), request.body, max_length)
            except InputRejected as error:
                return response.json({"error": str(error)}, status=error.status)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except CancelledError:
                log.error("message from %s timed out", sender)
                return response.json({"error": "the assistant took too long; please try again"}, status=503)
            except TrackerStoreUnavailable:
                log.error("message from %s not taken in: the conversation store is unavailable", sender)
                return response.json({"error": STORE_UNAVAILABLE}, status=503)
            except ActionServerUnavailable as error:  # the turn was not saved: sending it again is safe
                log.error("message from %s not taken in: %s", sender, error)
                return response.json({"error": SOMETHING_WENT_WRONG}, status=503)
            except Exception:
                log.exception("message from %s failed", sender)
                return response.json({"error": "the assistant is unavailable; please try again"}, status=503)
            return response.json(never_silent(collector.messages, sender))

        return webhook
