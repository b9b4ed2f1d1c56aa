"""The Rasa HTTP API is not open: only the REST channel the widget posts to and the health routes answer,
and every FirstStop server listens on loopback only."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from firststop import proc

# Rasa's HTTP API (`rasa run --enable-api`) and the channels FirstStop doesn't use.
CLOSED = [
    ("GET", "/status"),
    ("GET", "/version"),
    ("GET", "/domain"),
    ("POST", "/model/parse"),
    ("POST", "/model/train"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
    ("POST", "/model/test/intents"),
    ("POST", "/model/test/stories"),
    ("POST", "/model/predict"),
    ("GET", "/conversations/visitor-1/tracker"),
    ("POST", "/conversations/visitor-1/tracker/events"),
    ("PUT", "/conversations/visitor-1/tracker/events"),
    ("GET", "/conversations/visitor-1/story"),
    ("POST", "/conversations/visitor-1/messages"),
    ("POST", "/conversations/visitor-1/execute"),
    ("POST", "/conversations/visitor-1/trigger_intent"),
    ("POST", "/conversations/visitor-1/predict"),
    ("POST", "/webhooks/rasa/webhook"),
    ("POST", "/webhooks/callback/webhook"),
    ("GET", "/socket.io/"),
    ("POST", "/webhooks/socketio/webhook"),
]


def request(url: str, method: str, payload: dict | None = None) -> int:
    data = json.dumps(payload or {}).encode() if method in ("POST", "PUT") else None
    headers = {"Content-Type": "application/json"} if data else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=20) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("method, path", CLOSED, ids=[f"{m} {p}" for m, p in CLOSED])
def test_the_rasa_api_does_not_answer(stack, method, path):
    assert request(f"{stack.rasa_url}{path}", method, {"text": "hello", "sender": "x"}) == 404


def test_only_the_channel_and_health_routes_answer(stack, sender_id):
    assert request(f"{stack.rasa_url}/", "GET") == 200  # Rasa's "hello" health route
    assert request(f"{stack.rasa_url}/webhooks/rest/", "GET") == 200
    assert request(f"{stack.rasa_url}/webhooks/rest/webhook", "POST", {"sender": sender_id, "message": "hi"}) == 200


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket of the process tree, from /proc/net/tcp{,6}."""
    inodes = set()
    for member in proc.tree(pid):
        fd_dir = Path(f"/proc/{member}/fd")
        for fd in fd_dir.iterdir() if fd_dir.exists() else []:
            try:
                target = str(fd.readlink())
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                found.add((address, int(port, 16)))
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc/net/tcp writes them


@pytest.mark.parametrize("name", ["rasa", "actions"])
def test_the_servers_listen_on_loopback_only(stack, name):
    process = stack.stack.processes[name]
    addresses = listening_addresses(process.pid)
    port = urlsplit(stack.rasa_url if name == "rasa" else stack.stack.env["ACTION_SERVER_URL"]).port
    assert port in {p for _, p in addresses}, f"{name} isn't listening on its port {port}: {addresses}"
    assert {address for address, _ in addresses} <= LOOPBACK, f"{name} listens beyond loopback: {addresses}"
