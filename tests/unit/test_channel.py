"""The REST channel's input checks: bad input is refused with a clear 4xx, good input is cleaned."""
from __future__ import annotations

import json

import pytest

from firststop.channel import InputRejected, clean_text, parse_request

JSON = "application/json"


def body(**payload) -> bytes:
    return json.dumps(payload).encode()


def test_a_good_message_is_accepted_with_its_language():
    assert parse_request(JSON, body(sender="abc123", message=" hello ", metadata={"language": "fr"}), 1000) == (
        "abc123", "hello", {"language": "fr"})


@pytest.mark.parametrize("content_type, raw, status", [
    ("text/plain", body(sender="a", message="hi"), 415),
    (JSON, b"\xff\xfe not utf-8", 400),
    (JSON, b"{not json", 400),
    (JSON, b"[1, 2]", 400),
    (JSON, body(message="hi"), 400),
    (JSON, body(sender="../etc/passwd", message="hi"), 400),
    (JSON, body(sender="a", message=""), 400),
    (JSON, body(sender="a", message="\u0000\u0007"), 400),
    (JSON, body(sender="a", message=42), 400),
    (JSON, body(sender="a", message="x" * 1001), 413),
])
def test_bad_input_gets_a_clear_status(content_type, raw, status):
    with pytest.raises(InputRejected) as error:
        parse_request(content_type, raw, 1000)
    assert error.value.status == status and str(error.value)


def test_control_characters_are_removed_but_text_and_emoji_kept():
    assert clean_text("he\u0000llo 👋 שלום\n") == "hello 👋 שלום"
