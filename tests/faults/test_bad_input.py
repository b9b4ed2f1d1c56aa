"""Bad input to the REST channel, against the running stack: each request gets a clear reply or a 4xx with
a reason, never a 5xx or a hang, and the server stays healthy afterwards."""
from __future__ import annotations

import http.client
import json
import uuid
from urllib.parse import urlsplit

import pytest

JSON = "application/json"
OK = (200,)
MAX = 1000  # MAX_MESSAGE_LENGTH's default


def fresh() -> str:
    """A new conversation id, as the widget makes them."""
    return uuid.uuid4().hex


def body(message=None, sender="__fresh__", **extra) -> bytes:
    """A JSON request body; sender '__fresh__' becomes a new conversation id."""
    payload = dict(extra)
    if sender is not None:
        payload["sender"] = fresh() if sender == "__fresh__" else sender
    if message is not None:
        payload["message"] = message
    return json.dumps(payload).encode()


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


# (case, content type, raw body, statuses a correct server may answer)
CASES = [
    ("empty body", JSON, b"", (400,)),
    ("empty object", JSON, b"{}", (400,)),
    ("missing sender", JSON, body("hello", sender=None), (400,)),
    ("null sender", JSON, b'{"sender": null, "message": "hello"}', (400,)),
    ("numeric sender", JSON, b'{"sender": 42, "message": "hello"}', (400,)),
    ("empty sender", JSON, body("hello", sender=""), (400,)),
    ("sender of 200 characters", JSON, body("hello", sender="a" * 200), (400,)),
    ("sender with a path", JSON, body("hello", sender="../../etc/passwd"), (400,)),
    ("sender with SQL", JSON, body("hello", sender="1' OR '1'='1"), (400,)),
    ("sender with a newline", JSON, body("hello", sender="abc\r\nSet-Cookie: x=1"), (400,)),
    ("sender with a trailing newline", JSON, body("hello", sender=fresh() + "\n"), (400,)),
    ("short sender", JSON, body("hello", sender="abc123"), (400,)),
    ("guessable sender", JSON, body("hello", sender="visitor-1"), (400,)),
    ("sender of 31 hex digits", JSON, body("hello", sender=fresh()[:31]), (400,)),
    ("sender of one repeated digit", JSON, body("hello", sender="0" * 32), (400,)),
    ("missing message", JSON, body(None), (400,)),
    ("null message", JSON, body(None, text="hello") .replace(b'"text"', b'"message": null, "text"'), (400,)),
    ("numeric message", JSON, body(12345), (400,)),
    ("list message", JSON, body(["hello"]), (400,)),
    ("object message", JSON, body({"text": "hello"}), (400,)),
    ("empty message", JSON, body(""), (400,)),
    ("whitespace message", JSON, body(" \n\t  "), (400,)),
    ("only control characters", JSON, body("\x00\x01\x02\x7f"), (400,)),
    ("100 KB message", JSON, body("a" * 100_000), (413,)),
    ("one character too long", JSON, body("a" * (MAX + 1)), (413,)),
    ("exactly the limit", JSON, body("word " * (MAX // 5)), OK),
    ("one long word", JSON, body("x" * 999), OK),
    ("invalid UTF-8", JSON, b'{"sender": "%s", "message": "caf\xe9 \xff\xfe"}' % fresh().encode(), (400,)),
    ("Latin-1 body", JSON, f'{{"sender": "{fresh()}", "message": "café"}}'.encode("latin-1"), (400,)),
    ("UTF-16 body", JSON, f'{{"sender": "{fresh()}", "message": "hello"}}'.encode("utf-16"), (400,)),
    ("not JSON", JSON, b"hello there", (400,)),
    ("truncated JSON", JSON, b'{"sender": "%s", "message": "hel' % fresh().encode(), (400,)),
    ("JSON array", JSON, b'["abc", "hello"]', (400,)),
    ("JSON string", JSON, b'"hello"', (400,)),
    ("JSON null", JSON, b"null", (400,)),
    ("deeply nested JSON", JSON, nested(20_000), (400, 413)),
    ("text/plain", "text/plain", body("hello"), (415,)),
    ("form encoded", "application/x-www-form-urlencoded", b"sender=abc&message=hello", (415,)),
    ("multipart", "multipart/form-data; boundary=x", b"--x\r\n\r\nhello\r\n--x--", (415,)),
    ("no content type", None, body("hello"), (415,)),
    ("JSON only in a parameter", "text/plain; x=application/json", body("hello"), (415,)),
    ("JSON as a subtype suffix", "application/json-seq", body("hello"), (415,)),
    ("JSON with charset", "application/json; charset=utf-8", body("hello"), OK),
    ("NUL inside the text", JSON, body("hel\x00lo"), OK),
    ("terminal escape codes", JSON, body("\x1b[31mred\x1b[0m text"), OK),
    ("HTML", JSON, body("<b>bold</b> <i>claim</i>"), OK),
    ("script tag", JSON, body("<script>alert('x')</script>"), OK),
    ("img onerror", JSON, body('<img src=x onerror="alert(1)">'), OK),
    ("SQL injection", JSON, body("'; DROP TABLE events; --"), OK),
    ("SQL tautology", JSON, body("1 OR 1=1; SELECT * FROM contacts"), OK),
    ("emoji", JSON, body("👋 hello 🚀"), OK),
    ("emoji only", JSON, body("🙂"), OK),
    ("emoji ZWJ sequence", JSON, body("👩‍🔬 researcher here"), OK),
    ("Arabic (right-to-left)", JSON, body("مرحبا، أريد تمويلا لمشروع بحث"), OK),
    ("Hebrew with bidi override", JSON, body("\u202eשלום hello\u202c"), OK),
    ("lone surrogate escape", JSON, b'{"sender": "%s", "message": "hi \\ud800 there"}' % fresh().encode(), OK),
    ("escaped NUL", JSON, b'{"sender": "%s", "message": "hi\\u0000"}' % fresh().encode(), OK),
    ("non-characters only", JSON, body("\ufffe\uffff"), (400,)),
    ("JSON in the text", JSON, body('{"sender": "other", "message": "/restart"}'), OK),
    ("intent payload", JSON, body("/request_human"), OK),
    ("payload with broken JSON", JSON, body('/inform{"profile": '), OK),
    ("payload with unknown intent", JSON, body("/no_such_intent"), OK),
    ("payload with odd entities", JSON, body('/inform{"profile": ["a", {"b": null}]}'), OK),
    ("restart command", JSON, body("/restart"), OK),
    ("500 line breaks", JSON, body("\n" * 500 + "hello"), OK),
    ("unknown language", JSON, body("hello", metadata={"language": "xx"}), OK),
    ("metadata not an object", JSON, body("hello", metadata="en"), OK),
    ("extra fields", JSON, body("hello", role="admin", input_channel="socketio"), OK),
    ("duplicate keys", JSON, b'{"sender": "%s", "message": "one", "message": "hello"}' % fresh().encode(), OK),
]


def post(url: str, content_type: str | None, raw: bytes, method: str = "POST", timeout: float = 30):
    """Send exactly these bytes; returns (status, decoded body or None)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {"Content-Type": content_type} if content_type else {}
    try:
        connection.request(method, parts.path, body=raw, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, None


@pytest.mark.parametrize("case, content_type, raw, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_reply_or_a_4xx(stack, case, content_type, raw, expected):
    status, data = post(f"{stack.rasa_url}/webhooks/rest/webhook", content_type, raw)
    assert status in expected, f"{case}: HTTP {status} {data!r}"
    if status == 200:
        assert isinstance(data, list) and data, f"{case}: an empty reply leaves the visitor waiting"
        texts = " ".join(m.get("text") or "" for m in data)
        assert texts.strip(), f"{case}: no text in {data!r}"
        assert "<script" not in texts and "onerror" not in texts
    else:
        assert isinstance(data, dict) and data.get("error"), f"{case}: a 4xx must say why: {data!r}"
    assert post(f"{stack.rasa_url}/webhooks/rest/", None, b"", method="GET")[0] == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_on_the_webhook_are_refused(stack, method):
    status, _ = post(f"{stack.rasa_url}/webhooks/rest/webhook", JSON, body("hello"), method=method)
    assert status in (404, 405)


def test_the_server_is_healthy_after_the_bad_input(stack, sender_id):
    assert "R&D funding" in stack.say(sender_id, "hello")
    assert "Source:" in stack.say(sender_id, "Can I get money for an R&D project?")
