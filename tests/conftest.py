"""Shared fixtures: databases (SQLite and the machine's PostgreSQL), a real SMTP server on loopback,
and a running FirstStop stack (Rasa server with the trained model, action server, worker) from firststop.stack."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from firststop import launcher
from firststop import stack as stacks
from handoff import mailsink

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def run_async(coroutine):
    """Run a coroutine to completion in a thread of its own: the main thread may hold Playwright's
    event loop (a browser fixture still open when pytest reorders tests), where asyncio.run() refuses."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def eventually(check, timeout: float = 15):
    """The value of `check()` once it is truthy (polling), or its last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


free_port = stacks.free_port


def make_database(kind: str, tmp_path: Path) -> tuple[str, callable]:
    """An empty database of `kind` ('sqlite' or 'postgresql') and a function that closes this process's
    connections to it and removes it; skips the test when there is no PostgreSQL server."""
    try:
        return stacks.make_database(kind, tmp_path, POSTGRES_ADMIN_URL)
    except stacks.NoDatabaseServer as error:
        pytest.skip(str(error))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    """An empty database, once on SQLite and once on PostgreSQL."""
    url, drop = make_database(request.param, tmp_path)
    yield url
    drop()


@pytest.fixture
def db_url(empty_db_url):
    """A database migrated to head with the clusters and advisors loaded."""
    launcher.prepare_database(empty_db_url)
    return empty_db_url


@pytest.fixture
def db(db_url):
    """A session factory on the prepared database."""
    from members.db import session_factory

    return session_factory(db_url)


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server (aiosmtpd) on loopback; `.handler.messages` holds what it accepted."""
    port = free_port()
    controller, handler = mailsink.start(tmp_path / "mail", port=port)
    controller.port = port
    yield controller
    controller.stop()


@dataclass
class RunningStack:
    """A FirstStop stack started for the tests."""

    stack: launcher.Stack
    rasa_url: str
    database_url: str
    smtp: object
    var_dir: Path

    def send(self, sender: str, message: str, timeout: float = 30) -> list[dict]:
        """Post one visitor message to the REST channel and return the bot's messages."""
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json.dumps({"sender": sender, "message": message}).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)

    def say(self, sender: str, message: str, timeout: float = 30) -> str:
        """Send a message and return the bot's texts joined, for assertions."""
        return "\n".join(m.get("text", "") for m in self.send(sender, message, timeout))

    def enquiries(self, sender: str) -> list:
        """The conversation's enquiries, with their contact (and its organisation), mails and advisor loaded."""
        from sqlalchemy import select

        from members.db import session_factory
        from members.models import Enquiry

        with session_factory(self.database_url)() as session:
            rows = session.scalars(select(Enquiry).where(Enquiry.conversation_id == sender).order_by(Enquiry.id)).all()
            for row in rows:
                _ = (row.outbox, row.advisor, row.contact and row.contact.organisation)  # load before the session closes
            return rows

    def wait_for_mail(self, count: int = 1, timeout: float = 20) -> list:
        """(recipients, message) pairs the SMTP server accepted, once there are at least `count`."""
        eventually(lambda: len(self.smtp.handler.messages) >= count, timeout)
        return self.smtp.handler.messages

    def mails_replying_to(self, address: str, timeout: float = 30) -> list:
        """The e-mails with Reply-To `address`, waiting for the first one to arrive."""
        return eventually(lambda: [m for _, m in self.smtp.handler.messages if m["Reply-To"] == address], timeout)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory):
    """The trained model (trained once; reused while config, domain and bot data are unchanged)."""
    launcher.build_knowledge()
    model, _ = launcher.train_if_needed(tmp_path_factory.mktemp("train-log"))
    return model


# The shared stack takes volume from one address (loopback): its limits are off, explicitly.
LIMITS_OFF = {"RATE_PER_ADDRESS": "0", "RATE_PER_CONVERSATION": "0", "STAFF_MAILS_PER_ADDRESS_HOUR": "0"}


@pytest.fixture(scope="session")
def demo_origins() -> tuple[str, str]:
    """Origins the widget tests serve the demo page from (straight to Rasa, and through a relay): the
    shared stack's Rasa server allows them (CORS_ORIGINS), as a production one allows the agency's site."""
    return f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def stack(request, model_path, tmp_path_factory, demo_origins):
    """Rasa server + action server + worker on free ports, with a real SMTP server on loopback."""
    var_dir = tmp_path_factory.mktemp(f"stack-{request.param}")
    database_url, drop = make_database(request.param, var_dir)
    launcher.prepare_database(database_url)
    ports = stacks.Ports.free()
    controller, handler = mailsink.start(var_dir / "mail", port=ports.smtp)
    env = stacks.stack_env(database_url, var_dir, ports, {
        "CONSOLE_URL": "http://console.test", "CORS_ORIGINS": ",".join(demo_origins), **LIMITS_OFF})
    try:
        running = stacks.start(model_path, var_dir / "log", env, ports, only=("actions", "rasa", "worker"))
        try:
            yield RunningStack(running, f"http://127.0.0.1:{ports.rasa}", database_url, controller, var_dir)
        finally:
            running.stop_all()
    finally:
        controller.stop()
        drop()


@pytest.fixture
def sender_id() -> str:
    """A new conversation id, as the widget makes them (32 random hex digits)."""
    return uuid.uuid4().hex
