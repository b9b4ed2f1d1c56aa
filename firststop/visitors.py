"""Who a visitor is, without Rasa: the unguessable conversation id they must present, the keyed hash of their client
address, and an in-process rate limit per key. Stdlib only, so the console uses them without loading Rasa."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import time
from collections import OrderedDict
from collections.abc import Callable

# A conversation id is a bearer token: it must be able to hold 128 random bits (the widget makes 32 hex digits).
HEX_ID = re.compile(r"[0-9a-fA-F]{32,128}")
BASE64_ID = re.compile(r"[A-Za-z0-9_-]{22,128}")
ONLY_HEX = re.compile(r"[0-9a-fA-F]+")
MIN_DISTINCT_SENDER_CHARACTERS = 8


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
