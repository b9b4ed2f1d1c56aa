"""The soak test (`make soak`, and part of `make test`): 50 visitors talk to FirstStop through nginx at once while one Rasa server and
then one action server are killed and restarted. Every conversation ends with one enquiry, one contact and
one e-mail; no visitor sees an error they aren't told to retry (a 502/503/504, retried as the widget does);
each conversation's turns were processed one at a time (the Redis lock store), in the order sent.

SOAK_SECONDS (default 60) sets how long the conversations are spread over; SOAK_VISITORS (default 50)."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from members.db import session_factory
from members.models import Enquiry
from members.transcripts import events
from tests.conftest import eventually

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS") or "60")
VISITORS = int(os.environ.get("SOAK_VISITORS", "50"))
RETRY_STATUSES = (502, 503, 504)  # what the widget retries (web_widget/src/transport.js)
RETRY_AFTER = 0.8  # seconds, the widget's first retry delay
TURNS = 8  # about how many turns a conversation takes, to spread it over the soak

pytestmark = pytest.mark.skipif("SOAK_SECONDS" not in os.environ,
                                reason="the soak test runs when SOAK_SECONDS is set: `make test`, `make soak`")


@dataclass
class Visit:
    """What one visitor sent and saw."""

    sender: str
    email: str
    sent: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    done: bool = False


def post(url: str, sender: str, text: str) -> tuple[int, object]:
    """One chat message as the widget posts it; (status, body), status 0 when the connection failed."""
    request = urllib.request.Request(url, json.dumps({"sender": sender, "message": text}).encode(),
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=90) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        return 0, str(error)


def say(url: str, visit: Visit, text: str, deadline: float) -> str:
    """Send a message until it is taken, retrying what the widget retries; any other answer fails the visit."""
    while True:
        status, body = post(url, visit.sender, text)
        if status == 200:
            reply = "\n".join([m.get("text") or "" for m in body] +
                              [b.get("title", "") for m in body for b in m.get("buttons") or []])
            visit.sent.append(text)
            visit.replies.append(reply)
            return reply
        assert status in RETRY_STATUSES or status == 0, f"{visit.sender} got an unexplained {status}: {body}"
        visit.retried.append(status)
        assert time.monotonic() < deadline, f"{visit.sender} was still told to retry at {text!r}"
        time.sleep(RETRY_AFTER)


def talk_to_a_person(url: str, number: int, pause: float, deadline: float) -> Visit:
    """THE visitor's script: asks for a person and answers the contact form (consent, name, organisation,
    e-mail, what they need, then Send on the review), whatever order the bot asks in. Tolerant by design: update
    the answers here when the form changes."""
    visit = Visit(uuid.uuid4().hex, f"visitor.{number}.{uuid.uuid4().hex[:8]}@soak-test.example")
    answers = [  # (words in the bot's question, the visitor's answer), first match wins
        (("here is what i'll send", "shall i send"), "/affirm"),  # the review (it names every field): Send
        (("may we store", "store your", "keep your details"), "yes"),
        (("help you with", "what would you like", "what do you need", "the advisor know", "what is it about"),
         "Advice on funding for a coatings R&D project"),
        (("e-mail", "email"), visit.email),
        (("your name", "what's your name", "what is your name"), "Jane Soak"),
        (("organisation", "company"), "Acme Coatings SA"),
    ]
    done = ("i've sent your enquiry", "will reply to the e-mail address you gave")
    reply = say(url, visit, "Hello", deadline)
    reply = say(url, visit, "I'd like to talk to a person", deadline)
    for _ in range(14):
        time.sleep(pause)
        lowered = reply.lower()
        if visit.email in visit.sent and any(marker in lowered for marker in done):
            visit.done = True
            return visit
        answer = next((text for words, text in answers if any(w in lowered for w in words)), "yes")
        reply = say(url, visit, answer, deadline)
    raise AssertionError(f"{visit.sender} never got the hand-off; the bot said: {visit.replies}")


def chaos(deployed, at: list[tuple[float, str]], started: float, log: list[str], stop: threading.Event) -> None:
    """Kill each named process outright at its moment (seconds after `started`), then start it again."""
    for moment, name in at:
        if stop.wait(max(0.0, started + moment - time.monotonic())):
            return
        deployed.stack.stop(name, signal.SIGKILL)
        log.append(f"{time.monotonic() - started:.1f}s killed {name}")
        deployed.stack.start(deployed.stack.services[name])
        log.append(f"{time.monotonic() - started:.1f}s {name} ready again")


def turns_in_order(database_url: str, visit: Visit) -> list[str]:
    """The problems with the conversation's events: a user message before the previous turn ended (two turns
    at once), or messages not in the order the visitor sent them (a retried message may appear twice)."""
    with session_factory(database_url)() as session:
        rows = session.execute(select(events.c.type_name, events.c.action_name, events.c.data)
                               .where(events.c.sender_id == visit.sender).order_by(events.c.id)).all()
    problems, texts, listening = [], [], True
    for row in rows:
        if row.type_name == "user":
            if not listening:
                problems.append("a message was processed while the previous turn was still running")
            texts.append(json.loads(row.data).get("text"))
            listening = False
        elif row.type_name == "action" and row.action_name == "action_listen":
            listening = True
    deduplicated = [t for n, t in enumerate(texts) if n == 0 or t != texts[n - 1]]
    if deduplicated != visit.sent:
        problems.append(f"turns {deduplicated} are not the messages sent, in order: {visit.sent}")
    return problems


def test_fifty_conversations_survive_losing_a_rasa_server_and_an_action_server(deployed):
    started = time.monotonic()
    deadline = started + SOAK_SECONDS + 240
    pause = SOAK_SECONDS * 0.7 / TURNS
    stagger = SOAK_SECONDS * 0.2 / VISITORS
    chaos_log: list[str] = []
    stop = threading.Event()
    killer = threading.Thread(target=chaos, args=(deployed, [(SOAK_SECONDS * 0.3, "rasa-1"),
                                                             (SOAK_SECONDS * 0.6, "actions-1")],
                                                  started, chaos_log, stop), daemon=True)
    killer.start()

    def visitor(number: int) -> Visit:
        time.sleep(number * stagger)
        return talk_to_a_person(deployed.chat_url, number, pause, deadline)

    with ThreadPoolExecutor(max_workers=VISITORS) as pool:
        futures = [pool.submit(visitor, number) for number in range(VISITORS)]
        visits, failures = [], []
        for future in futures:
            try:
                visits.append(future.result())
            except AssertionError as error:
                failures.append(str(error))
    killer.join(timeout=300)
    stop.set()
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} visitors failed ({chaos_log}); first: {failures[0]}"
    assert len(chaos_log) == 4, f"the kills did not all happen during the conversations: {chaos_log}"
    retried = sum(len(v.retried) for v in visits)
    print(f"soak: {VISITORS} conversations, {sum(len(v.sent) for v in visits)} messages in {elapsed:.0f} s, "
          f"{retried} retries; {chaos_log}")

    by_email = {v.email: v for v in visits}
    mails = eventually(lambda: len(deployed.smtp.handler.messages) >= VISITORS and deployed.smtp.handler.messages, 120)
    replying_to = [m["Reply-To"] for _, m in deployed.smtp.handler.messages]
    assert sorted(a for a in replying_to if a in by_email) == sorted(by_email), "not exactly one e-mail each"
    assert mails and len(deployed.smtp.handler.messages) == VISITORS
    with session_factory(deployed.database_url)() as session:
        for visit in visits:
            enquiries = session.scalars(select(Enquiry).where(Enquiry.conversation_id == visit.sender)).all()
            assert len(enquiries) == 1, f"{visit.sender} has {len(enquiries)} enquiries"
            assert enquiries[0].contact is not None and enquiries[0].contact.email == visit.email
    problems = {v.sender: p for v in visits if (p := turns_in_order(deployed.database_url, v))}
    assert not problems, problems
