"""The REST channel the widget posts to, with input checks: bad input gets a 4xx, never a 500. A turn that
fails on our side (action server or database unreachable) is not saved and is answered 503 with what to do,
so sending it again is safe; a turn that produced no reply gets a short note, never silence. Messages are
rate-limited per client address and per conversation (in this process: each Rasa process counts its own),
and each message carries a keyed hash of its client address (`metadata["client_key"]`) for the actions."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import math
import re
import time
import unicodedata
from asyncio import CancelledError
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request

import bot_texts
from firststop.rasa_server import ActionServerUnavailable, TrackerStoreUnavailable
from firststop.settings import SettingsError, get_settings, secret_key

log = logging.getLogger(__name__)

# A conversation id is a bearer token: it must be able to hold 128 random bits (the widget makes 32 hex digits).
HEX_ID = re.compile(r"[0-9a-fA-F]{32,128}")
BASE64_ID = re.compile(r"[A-Za-z0-9_-]{22,128}")
ONLY_HEX = re.compile(r"[0-9a-fA-F]+")
MIN_DISTINCT_SENDER_CHARACTERS = 8
JSON_MEDIA_TYPE = "application/json"
LANGUAGES = {"en", "fr", "de"}
# Visitor-facing texts come from the bot's catalogue (bot_texts/), like everything else the bot says.
SOMETHING_WENT_WRONG = bot_texts.text("channel.something_went_wrong")
NO_REPLY = bot_texts.text("channel.no_reply")
STORE_UNAVAILABLE = bot_texts.text("channel.store_unavailable")
TOO_MANY = bot_texts.text("channel.too_many")
TOO_LARGE = "the request is too large: messages are limited to {max_length} characters"


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


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a Content-Type is exactly application/json, parameters (such as charset) allowed."""
    return (content_type or "").split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


def is_conversation_id(sender: object) -> bool:
    """Whether `sender` can be an unguessable conversation id: 32–128 hex digits or 22–128 URL-safe base64
    characters (128 bits or more), the whole string, and not an obviously made-up one."""
    if not isinstance(sender, str):
        return False
    if ONLY_HEX.fullmatch(sender):  # hex holds 4 bits a character: 32 of them at least
        random_enough = HEX_ID.fullmatch(sender) is not None
    else:
        random_enough = BASE64_ID.fullmatch(sender) is not None
    return random_enough and len(set(sender)) >= MIN_DISTINCT_SENDER_CHARACTERS


def parse_request(content_type: str, body: bytes, max_length: int,
                  max_bytes: int = 65_536) -> tuple[str, str, dict[str, Any]]:
    """(sender, text, metadata) from a webhook request, or InputRejected saying what is wrong."""
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
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    language = metadata.get("language") if metadata.get("language") in LANGUAGES else "en"
    return sender, text, {"language": language}


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


def client_key(address: str, key: bytes) -> str:
    """The keyed hash (hex HMAC-SHA256) the actions get instead of the client address. An IPv6 client counts as
    its /64, the block one subscriber gets, so moving within it escapes neither the rate limits nor the mail cap."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.version == 6 and parsed.ipv4_mapped is None:
        address = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


class RateLimit:
    """A token bucket per key: `per_minute` messages a minute, in bursts of up to that many.

    Memory is bounded: beyond `max_keys` the least recently seen keys are dropped (a key unseen for a
    minute has a full bucket anyway, so dropping it changes nothing). In-process: each Rasa process counts
    its own messages.
    """

    def __init__(self, per_minute: int, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self.max_keys = max_keys
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.refusing: set[str] = set()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def _tokens(self, key: str, now: float) -> float:
        tokens, stamp = self.buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - stamp) * self.per_second)

    def wait(self, key: str) -> float:
        """Seconds until `key` may send (0: now), without taking anything."""
        if not self.enabled:
            return 0.0
        tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.per_second

    def take(self, key: str) -> None:
        """Count one message from `key`."""
        if not self.enabled:
            return
        now = self.clock()
        self.buckets[key] = (self._tokens(key, now) - 1, now)
        self.buckets.move_to_end(key)
        self.refusing.discard(key)
        while len(self.buckets) > self.max_keys:
            self.refusing.discard(self.buckets.popitem(last=False)[0])

    def first_refusal(self, key: str) -> bool:
        """Note that `key` was refused; True only for the first refusal since it last sent (log that one)."""
        first = key not in self.refusing
        self.refusing.add(key)
        return first


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
            metadata["client_key"] = visitor
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
