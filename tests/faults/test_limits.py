"""The chat channel's rate limits, on a stack of its own with the limits ON and loopback as a trusted proxy:
a flood from one address is mostly refused with 429 (the left of X-Forwarded-For, which anyone can write,
doesn't help), one conversation can't be flooded from many addresses, and a normal visitor forwarded from
another address is still answered; the actions get a keyed hash of the client address, not the address."""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid

from sqlalchemy import select

from firststop.visits import firststop_script, reply_text
from members.db import session_factory
from members.transcripts import events
from server.channel import TOO_MANY

PER_ADDRESS, PER_CONVERSATION = 20, 15
LIMITS_ON = {"RATE_PER_ADDRESS": str(PER_ADDRESS), "RATE_PER_CONVERSATION": str(PER_CONVERSATION),
             "TRUSTED_PROXIES": "127.0.0.1"}


def post(stack, sender: str, message: str, forwarded_for: str | None = None) -> tuple[int, object, dict]:
    """Post a message as if through the proxy in front of Rasa; (status, JSON body, headers)."""
    headers = {"Content-Type": "application/json"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    request = urllib.request.Request(f"{stack.rasa_url}/webhooks/rest/webhook",
                                     json.dumps({"sender": sender, "message": message}).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.load(reply), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def assert_refused_politely(status: int, body, headers: dict) -> None:
    assert status == 429, (status, body)
    assert body["error"] == TOO_MANY and body["retry_after"] >= 1
    assert int(headers["Retry-After"]) == body["retry_after"]


def test_a_flood_is_refused_and_a_normal_visitor_is_still_answered(fault_stack):
    stack = fault_stack("sqlite", env=LIMITS_ON)

    # 100 messages from one client, each claiming a different origin on the left of X-Forwarded-For.
    flood = [post(stack, uuid.uuid4().hex, "hello", f"10.66.{n}.1, 198.51.100.9") for n in range(100)]
    answered = [reply for reply in flood if reply[0] == 200]
    refused = [reply for reply in flood if reply[0] != 200]
    assert len(refused) >= 60, f"only {len(refused)} of 100 flood messages refused"
    assert PER_ADDRESS <= len(answered) <= PER_ADDRESS + 10
    for reply in refused:
        assert_refused_politely(*reply)

    # A visitor behind the same proxy, from another address, goes through the whole conversation.
    visitor = uuid.uuid4().hex
    for turn in firststop_script(0):
        status, body, _ = post(stack, visitor, turn.text, "203.0.113.7")
        assert status == 200, f"{turn.kind}: HTTP {status} {body}"
        assert turn.expect.lower() in reply_text(body).lower(), f"{turn.kind}: {body}"

    # The actions got a keyed hash of the visitor's address, not the proxy's, and never the address itself.
    key = (stack.var_dir / "secret-key").read_text().strip().encode()
    with session_factory(stack.database_url)() as session:
        stored = [json.loads(data) for data in session.scalars(
            select(events.c.data).where(events.c.sender_id == visitor, events.c.type_name == "user"))]
    assert stored and {event["metadata"]["client_key"] for event in stored} == {
        hmac.new(key, b"203.0.113.7", hashlib.sha256).hexdigest()}
    assert not any("203.0.113.7" in json.dumps(event) for event in stored)

    # One conversation can't be flooded either, even from many addresses.
    target = uuid.uuid4().hex
    replies = [post(stack, target, "hello", f"198.18.0.{n}") for n in range(40)]
    refused = [reply for reply in replies if reply[0] != 200]
    assert len(refused) >= 40 - PER_CONVERSATION - 5
    for reply in refused:
        assert_refused_politely(*reply)
