"""The chat channel's edges on the shared stack: CORS answers only the configured origins, an oversized body
is refused on its headers (413 at once, Rasa's memory unchanged), a message sent again with its id is answered
once, and Rasa's log never holds what a visitor wrote, even the messages Rasa can't parse."""
from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest

from firststop import proc
from firststop.visits import firststop_script, split_at

WEBHOOK = "/webhooks/rest/webhook"


def cors_headers(url: str, origin: str, method: str = "OPTIONS") -> dict[str, str]:
    """The response headers for a request from a page at `origin` (a preflight by default)."""
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "content-type"}
    data = None
    if method == "POST":
        headers = {"Origin": origin, "Content-Type": "application/json"}
        data = json.dumps({"sender": uuid.uuid4().hex, "message": "hello"}).encode()
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return {k.lower(): v for k, v in reply.headers.items()}
    except urllib.error.HTTPError as error:
        return {k.lower(): v for k, v in error.headers.items()}


def test_cors_answers_the_demo_page_and_no_other_origin(stack, demo_origins):
    url = f"{stack.rasa_url}{WEBHOOK}"
    for origin in demo_origins:
        assert cors_headers(url, origin).get("access-control-allow-origin") == origin
        assert cors_headers(url, origin, "POST").get("access-control-allow-origin") == origin
    for stranger in ("http://evil.example", "null", demo_origins[0] + ".evil.example", "http://127.0.0.1:1"):
        assert "access-control-allow-origin" not in cors_headers(url, stranger), stranger
        assert "access-control-allow-origin" not in cors_headers(url, stranger, "POST"), stranger


def oversized_request(rasa_url: str, declared: int) -> tuple[float, bytes]:
    """Send headers declaring a `declared`-byte body, then only a few bytes of it; (seconds, response)."""
    parts = urlsplit(rasa_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as connection:
        started = time.monotonic()
        connection.sendall((f"POST {WEBHOOK} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                            f"Content-Length: {declared}\r\n\r\n").encode() + b'{"sender": "')
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        return time.monotonic() - started, received


def test_a_message_sent_again_with_its_id_is_answered_once(stack):
    """A client that didn't get the reply to "yes" (it was lost, or the server wrongly said it wasn't taken)
    sends it again with the same id: the same reply, not the answer to the next question."""
    sender = uuid.uuid4().hex
    before, rest = split_at(firststop_script(0), "confirm")
    for turn in before:
        stack.say(sender, turn.text)
    confirm, consent = rest[0], rest[1]
    message_id = uuid.uuid4().hex
    first = stack.send(sender, confirm.text, message_id=message_id)
    again = stack.send(sender, confirm.text, message_id=message_id)
    assert confirm.expect in first[-1]["text"].lower()
    assert again == first
    assert consent.expect in stack.say(sender, consent.text).lower()  # a new message goes on from there


def test_an_oversized_body_is_refused_on_its_headers(stack):
    rasa = stack.stack.processes["rasa"].pid
    before = proc.process_rss_mb(rasa)
    for _ in range(4):
        seconds, received = oversized_request(stack.rasa_url, 95 * 1024 * 1024)
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), received[:300]
        assert "limited to" in json.loads(body)["error"]
        assert seconds < 5, f"the 413 took {seconds:.1f} s: the server waited for the body"
    assert proc.process_rss_mb(rasa) - before < 30
    assert stack.say(uuid.uuid4().hex, "hello")  # and it still answers


@pytest.mark.parametrize("kind, template", [
    ("plain text", "my secret is {marker}\nsecond line {marker}"),
    ("unknown intent", "/{marker}"),
    ("broken entities", '/inform{{"profile": "{marker}\n'),
    ("unknown entity", '/inform{{"{marker}": "x"}}'),
    ("bad confidence", "/greet@{marker}"),
    ("trailing text", "/greet{{}} {marker}\n{marker}"),
])
def test_rasa_s_log_never_holds_what_the_visitor_wrote(stack, kind, template):
    marker = f"zq{uuid.uuid4().hex[:12]}"
    assert stack.send(uuid.uuid4().hex, template.format(marker=marker))  # answered: the turn went through Rasa
    log = (stack.var_dir / "log" / "rasa.log").read_text(errors="replace")
    assert marker not in log, f"{kind}: the visitor's text is in rasa.log"


def test_what_rasa_could_not_parse_is_still_noted_without_the_text(stack):
    marker = f"zq{uuid.uuid4().hex[:12]}"
    log_file = stack.var_dir / "log" / "rasa.log"
    noted = "(unknown intent); message withheld"
    before = log_file.read_text(errors="replace").count(noted)
    stack.send(uuid.uuid4().hex, f"/greet@{marker}")  # another kind first: Rasa drops a repeat of the last line
    stack.send(uuid.uuid4().hex, f"/{marker}")
    log = log_file.read_text(errors="replace")
    assert log.count(noted) > before and marker not in log
