"""The REST channel the widget posts to, with input checks: bad input gets a 4xx, never a 500. A turn that
fails on our side (action server or database unreachable) is not saved and is answered 503 with what to do,
so sending it again is safe; a turn that produced no reply gets a short note, never silence. Messages are
rate-limited per client address and per conversation (in this process: each Rasa process counts its own),
and each message carries a keyed hash of its client address (`metadata["client_key"]`) for the actions.

A client may give each message its own id (`message_id`, sent again unchanged when it sends the message
again): a message whose turn was saved already is answered with that turn's replies, not run twice (see
server.tracker_store.RESENT), so sending again after any failure is safe, even one the server got wrong."""
from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
import unicodedata
from asyncio import CancelledError
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request

import bot_texts
from firststop.settings import SettingsError, get_settings, secret_key
from firststop.visitors import RateLimit, client_key, is_conversation_id  # noqa: F401 (imported from here too)
from server.rasa_server import ActionServerUnavailable
from server.tracker_store import RESENT, AlreadyTaken, TrackerStoreUnavailable

log = logging.getLogger(__name__)

JSON_MEDIA_TYPE = "application/json"
LANGUAGES = {"en", "fr", "de", "lb"}
# Visitor-facing texts come from the bot's catalogue (bot_texts/), like everything else the bot says.
SOMETHING_WENT_WRONG = bot_texts.text("channel.something_went_wrong")
NO_REPLY = bot_texts.text("channel.no_reply")
STORE_UNAVAILABLE = bot_texts.text("channel.store_unavailable")
TOO_MANY = bot_texts.text("channel.too_many")
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
TOO_LARGE = "the request is too large: messages are limited to {max_length} characters"


def never_silent(messages: list[dict[str, Any]], sender: str, language: str = "en") -> list[dict[str, Any]]:
    """The bot's replies, or a short note (in the widget's language) when the turn produced none: never silence."""
    return messages or [{"recipient_id": sender, "text": bot_texts.text("channel.no_reply", language)}]


class LanguageCollector(CollectingOutputChannel):
    """Rasa's collector, which drops a bot message's metadata: this one keeps its `language` (from
    bot_texts.message) on each message it makes of it, so the widget can speak the conversation's language."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        language, first = message.get("language"), len(self.messages)
        await super().send_response(recipient_id, message)
        if language in LANGUAGES:
            for sent in self.messages[first:]:
                sent["language"] = language


class InputRejected(ValueError):
    """The request can't be turned into a user message; carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def clean_text(text: str) -> str:
    """Drop control and format characters except line breaks and tabs; normalise to NFC."""
    kept = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C" or c == "\u200d")
    return unicodedata.normalize("NFC", kept).strip()


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a Content-Type is exactly application/json, parameters (such as charset) allowed."""
    return (content_type or "").split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


def parse_request(content_type: str, body: bytes, max_length: int,
                  max_bytes: int = 65_536) -> tuple[str, str, dict[str, Any]]:
    """(sender, text, metadata) from a webhook request, or InputRejected saying what is wrong; metadata holds
    the widget's language and the client's message id when they were given."""
    if not is_json_media_type(content_type):
        raise InputRejected(415, "send JSON with Content-Type: application/json")
    if len(body) > max_bytes:
        raise InputRejected(413, TOO_LARGE.format(max_length=max_length))
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
    if not is_conversation_id(sender):
        raise InputRejected(400, "'sender' must be a random session id: 32 to 128 hex digits (or 22 to 128 "
                                 "letters, digits, '-' or '_')")
    if not isinstance(text, str):
        raise InputRejected(400, "'message' must be a string")
    text = clean_text(text)
    if not text:
        raise InputRejected(400, "the message is empty")
    if len(text) > max_length:
        raise InputRejected(413, f"messages are limited to {max_length} characters")
    message_id = payload.get("message_id")
    if message_id is not None and not (isinstance(message_id, str) and MESSAGE_ID.fullmatch(message_id)):
        raise InputRejected(400, "'message_id' must be 8 to 64 letters, digits, '-' or '_'")
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    language = metadata.get("language")
    checked = {"language": language} if language in LANGUAGES else {}
    return sender, text, checked | ({"message_id": message_id} if message_id else {})


def trusted_networks(entries: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The TRUSTED_PROXIES setting as networks ('10.0.0.5', '10.0.0.0/8', '::1'); SettingsError if one isn't."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise SettingsError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from error
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address (IPv4-mapped IPv6 as IPv4), or None when `text` isn't one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def client_address(peer: str, forwarded_for: Iterable[str], trusted: tuple) -> str:
    """The visitor's address: the direct peer, unless it is a trusted proxy; then the right-most
    X-Forwarded-For address that is not a trusted proxy (entries further left could be made up by anyone).

    An entry that isn't an address stops the walk at the trusted hop that passed it on.
    """
    current = _address(peer)
    if current is None:
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    while any(current in network for network in trusted) and hops:
        previous = _address(hops.pop())
        if previous is None:
            break
        current = previous
    return str(current)


def too_many(wait_seconds: float):
    """The 429 answer: what the visitor can do, and when (Retry-After, also in the body for the widget)."""
    seconds = max(1, math.ceil(wait_seconds))
    return response.json({"error": TOO_MANY, "retry_after": seconds}, status=429, headers={"Retry-After": str(seconds)})


class RestInput(RasaRestInput):
    """Rasa's REST channel (same URL, /webhooks/rest/webhook) with input validation."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("firststop_rest_webhook", __name__)
        settings = get_settings()
        max_length, max_bytes = settings.max_message_length, settings.max_request_bytes
        proxies = trusted_networks(settings.trusted_proxies)
        hash_key = secret_key(settings).encode()  # once per process; refuses to start without a usable key
        per_address = RateLimit(settings.rate_per_address)
        per_conversation = RateLimit(settings.rate_per_conversation)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            address = client_address(request.ip, request.headers.getall("x-forwarded-for", []), proxies)
            visitor = client_key(address, hash_key)
            wait = per_address.wait(visitor)
            if wait:  # every request from an address counts, well-formed or not
                if per_address.first_refusal(visitor):
                    log.warning("client %s over %d requests a minute: refusing", visitor[:12], settings.rate_per_address)
                return too_many(wait)
            per_address.take(visitor)
            try:
                sender, text, metadata = parse_request(
                    request.headers.get("content-type", ""), request.body, max_length, max_bytes)
            except InputRejected as error:
                log.info("request from client %s refused with %d", visitor[:12], error.status)
                return response.json({"error": str(error)}, status=error.status)
            wait = per_conversation.wait(sender)
            if wait:
                if per_conversation.first_refusal(sender):
                    log.warning("conversation %s over %d messages a minute: refusing", sender,
                                settings.rate_per_conversation)
                return too_many(wait)
            per_conversation.take(sender)
            language = metadata.get("language", "en")  # the widget's: what the channel's own notes are written in
            message_id = metadata.pop("message_id", None)
            metadata["client_key"] = visitor
            collector = LanguageCollector()
            RESENT.set(message_id)
            try:
                await on_new_message(UserMessage(
                    text, collector, sender, input_channel=self.name(), metadata=metadata, message_id=message_id))
            except AlreadyTaken as taken:  # sent again, but its turn was saved: the same replies, not a second turn
                log.info("message from %s was taken in already: sending its replies again", sender)
                for reply in taken.replies:
                    await collector.send_response(sender, reply)
            except CancelledError:
                log.error("message from %s timed out", sender)
                return response.json({"error": "the assistant took too long; please try again"}, status=503)
            except TrackerStoreUnavailable:
                log.error("message from %s not taken in: the conversation store is unavailable", sender)
                return response.json({"error": bot_texts.text("channel.store_unavailable", language)}, status=503)
            except ActionServerUnavailable as error:  # the turn was not saved: sending it again is safe
                log.error("message from %s not taken in: %s", sender, error)
                return response.json({"error": bot_texts.text("channel.something_went_wrong", language)}, status=503)
            except Exception:
                log.exception("message from %s failed", sender)
                return response.json({"error": "the assistant is unavailable; please try again"}, status=503)
            return response.json(never_silent(collector.messages, sender, language))

        return webhook
