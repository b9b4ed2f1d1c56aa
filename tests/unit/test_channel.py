"""The REST channel's input checks: bad input is refused with a clear 4xx, good input is cleaned; client
addresses, their keyed hash and the rate limits."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from firststop.settings import SettingsError
from server.channel import (
    InputRejected,
    RateLimit,
    clean_text,
    client_address,
    client_key,
    is_conversation_id,
    is_json_media_type,
    parse_request,
    trusted_networks,
)

JSON = "application/json"
SENDER = "0f3c9a7be21d4c6f8a5e9b0d7c3f1a2e"


def body(**payload) -> bytes:
    return json.dumps(payload).encode()


def test_a_good_message_is_accepted_with_its_language():
    assert parse_request(JSON, body(sender=SENDER, message=" hello ", metadata={"language": "fr"}), 1000) == (
        SENDER, "hello", {"language": "fr"})


def test_a_client_message_id_is_kept_to_recognise_the_message_sent_again():
    assert parse_request(JSON, body(sender=SENDER, message="yes", message_id="9c1d0e2f7a3b4c5d"), 1000) == (
        SENDER, "yes", {"message_id": "9c1d0e2f7a3b4c5d"})


@pytest.mark.parametrize("content_type, raw, status", [
    ("text/plain", body(sender=SENDER, message="hi"), 415),
    ("text/plain; x=application/json", body(sender=SENDER, message="hi"), 415),
    ("application/json-patch+json", body(sender=SENDER, message="hi"), 415),
    ("multipart/form-data; boundary=application/json", body(sender=SENDER, message="hi"), 415),
    (JSON, b"\xff\xfe not utf-8", 400),
    (JSON, b"{not json", 400),
    (JSON, b"[1, 2]", 400),
    (JSON, body(message="hi"), 400),
    (JSON, body(sender="../etc/passwd", message="hi"), 400),
    (JSON, body(sender=SENDER, message=""), 400),
    (JSON, body(sender=SENDER, message="\u0000\u0007"), 400),
    (JSON, body(sender=SENDER, message=42), 400),
    (JSON, body(sender=SENDER, message="x" * 1001), 413),
    (JSON, body(sender=SENDER, message="hi", padding="x" * 70_000), 413),
    (JSON, body(sender=SENDER, message="hi", message_id="short"), 400),
    (JSON, body(sender=SENDER, message="hi", message_id="x" * 65), 400),
    (JSON, body(sender=SENDER, message="hi", message_id="../../etc/passwd"), 400),
    (JSON, body(sender=SENDER, message="hi", message_id=12345678), 400),
])
def test_bad_input_gets_a_clear_status(content_type, raw, status):
    with pytest.raises(InputRejected) as error:
        parse_request(content_type, raw, 1000)
    assert error.value.status == status and str(error.value)


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON ; charset=UTF-8", " application/json"])
def test_json_with_parameters_is_json(content_type):
    assert is_json_media_type(content_type)


@pytest.mark.parametrize("content_type", [
    None, "", "text/plain; x=application/json", "text/application/json", "application/jsonx", "application/json5"])
def test_only_the_json_media_type_is_json(content_type):
    assert not is_json_media_type(content_type)


# A random id as the widget makes one (fixed, so that every test worker collects the same test ids).
HEX = "3f9c2a7be41d4c8e9b06d5a1f27e8c43"
OTHER_HEX = "b7d14e09a2c64f58813e6a9d0c25f7b1"


@pytest.mark.parametrize("sender", [
    HEX, HEX.upper(), HEX * 4,  # 32 and 128 hex digits
    "Yp3Vq8_zK1-mN0tRb7wXcA", "Yp3Vq8_zK1-mN0tRb7wXcAYp3Vq8_zK1-mN0tRb7wXcA",  # 22 and 44 base64url
])
def test_random_ids_are_conversation_ids(sender):
    assert is_conversation_id(sender)


@pytest.mark.parametrize("sender", [
    None, 42, "", "abc123", "visitor-1", "a" * 200,
    HEX[:31],  # 124 bits
    HEX[:24],  # hex that happens to be long enough for base64 but holds 96 bits
    HEX * 4 + "a",  # 129 characters
    HEX + "\n",  # `$` would let a trailing newline through
    "\n" + HEX,
    HEX[:16] + ".:" + OTHER_HEX[:16],
    "0" * 32, "ab" * 16, "0123456" * 5, "abcdefg" * 4,  # too few distinct characters
    "spool-3-" + HEX[:8],
])
def test_short_made_up_or_padded_ids_are_refused(sender):
    assert not is_conversation_id(sender)
    with pytest.raises(InputRejected) as error:
        parse_request(JSON, json.dumps({"sender": sender, "message": "hi"}).encode(), 1000)
    assert error.value.status == 400


def test_control_characters_are_removed_but_text_and_emoji_kept():
    assert clean_text("he\u0000llo 👋 שלום\n") == "hello 👋 שלום"


PROXIES = trusted_networks(["127.0.0.1", "10.0.0.0/8", "::1"])


@pytest.mark.parametrize("peer, forwarded, address", [
    ("203.0.113.5", [], "203.0.113.5"),
    ("203.0.113.5", ["198.51.100.1"], "203.0.113.5"),  # not from a trusted proxy: the header is ignored
    ("127.0.0.1", [], "127.0.0.1"),
    ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
    ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the left part is the visitor's to make up
    ("127.0.0.1", ["6.6.6.6", "198.51.100.1, 10.1.2.3"], "198.51.100.1"),  # through two trusted proxies
    ("127.0.0.1", ["10.1.2.3, 10.4.5.6"], "10.1.2.3"),  # only proxies: the farthest one
    ("127.0.0.1", ["198.51.100.1, not-an-address"], "127.0.0.1"),  # garbage stops the walk
    ("::1", ["2001:db8::7"], "2001:db8::7"),
    ("::ffff:127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
])
def test_the_client_address_believes_x_forwarded_for_only_from_trusted_proxies(peer, forwarded, address):
    assert client_address(peer, forwarded, PROXIES) == address


def test_a_bad_trusted_proxy_setting_is_refused_at_start():
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        trusted_networks(["10.0.0.0/8", "proxy.local"])


def test_the_client_key_is_the_agreed_hmac_of_the_address():
    key = client_key("198.51.100.1", b"k" * 48)
    assert key == hmac.new(b"k" * 48, b"198.51.100.1", "sha256").hexdigest() and len(key) == 64
    assert key != hashlib.sha256(b"198.51.100.1").hexdigest() and key != client_key("198.51.100.2", b"k" * 48)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limit_allows_a_minute_s_worth_then_refuses_until_it_refills():
    clock = Clock()
    limit = RateLimit(6, clock=clock)
    for _ in range(6):
        assert limit.wait("a") == 0
        limit.take("a")
    assert limit.wait("a") == pytest.approx(10.0)  # one message every 10 s
    assert limit.first_refusal("a") and not limit.first_refusal("a")
    assert limit.wait("b") == 0  # other keys are not affected
    clock.now += 10
    assert limit.wait("a") == 0
    limit.take("a")
    assert limit.first_refusal("a")  # it sent in between: a new run of refusals is logged again


def test_a_rate_limit_of_zero_is_off():
    limit = RateLimit(0)
    for _ in range(1000):
        assert limit.wait("a") == 0
        limit.take("a")
    assert not limit.buckets


def test_the_rate_limit_memory_is_bounded():
    limit = RateLimit(5, max_keys=100)
    for n in range(10_000):
        limit.take(f"client-{n}")
    assert len(limit.buckets) == 100 and "client-9999" in limit.buckets


def test_cors_origins_are_matched_exactly_even_with_regex_characters():
    from sanic_cors.core import try_match_any

    from server.rasa_server import exact_origins

    origins = exact_origins(("http://[::1]:8000", "https://www.agency.lu"))
    assert try_match_any("http://[::1]:8000", origins) and try_match_any("https://WWW.agency.lu", origins)
    for stranger in ("http://:8000", "https://www.agency.lu.evil.example", "https://wwwxagency.lu", "null"):
        assert not try_match_any(stranger, origins), stranger


def test_rasa_s_log_fields_with_message_text_are_withheld():
    from server.rasa_server import withhold_visitor_text

    withhold = withhold_visitor_text(lambda logger, method, event: event)
    event = withhold(None, "warning", {"event": "message.parsing.failed", "user_text": "/x my secret", "sender_id": "a"})
    assert event == {"event": "message.parsing.failed", "user_text": "<withheld, 12 characters>", "sender_id": "a"}


def test_an_ipv6_client_counts_as_its_slash_64():
    key = b"k" * 48
    assert client_key("2001:db8:1:2::1", key) == client_key("2001:db8:1:2:ffff::9", key)
    assert client_key("2001:db8:1:2::1", key) != client_key("2001:db8:1:3::1", key)
    assert client_key("::ffff:198.51.100.1", key) != client_key("::ffff:198.51.100.2", key)  # IPv4-mapped: per address


def test_each_reply_carries_the_language_it_was_written_in_for_the_widget():
    from server.channel import LanguageCollector
    from tests.conftest import run_async

    collector = LanguageCollector()
    run_async(collector.send_response("v", {"text": "Hallo", "buttons": [{"title": "Ja", "payload": "/affirm"}],
                                            "language": "de", "text_key": "greet"}))
    run_async(collector.send_response("v", {"text": "odd", "language": "<script>"}))
    assert [m.get("language") for m in collector.messages] == ["de", None]
    assert collector.messages[0]["text"] == "Hallo" and "text_key" not in collector.messages[0]
