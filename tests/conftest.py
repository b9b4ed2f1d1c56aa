"""Shared fixtures: databases (SQLite and the machine's PostgreSQL), a real SMTP server on loopback,
and a running FirstStop stack (Rasa server with the trained model, action server, worker) from launch.stack."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from handoff import mailsink
from launch import stack as stacks
from members import schema

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


# Tests that use one of these start servers, train or load the model, or drive Chromium: `make test` runs them,
# `make check` (the fast tier) leaves them out. A test that starts a server itself is marked `full` where it is.
SLOW_FIXTURES = frozenset({"stack", "model_path", "chromium", "fault_stack", "deployed", "site", "relayed_site"})


# `make test` runs the suite on two workers (pytest-xdist, --dist loadgroup). The tests that start stacks of their
# own and break them under load (tests/faults, tests/deploy) run one after another on one worker, in one group: two
# of them at once would compete for the cores their deadlines assume, and the deploy shape shares the machine's Redis.
ONE_AT_A_TIME = ("faults", "deploy")


def pytest_collection_modifyitems(config, items):
    """Mark `full` every test that needs a running part beyond a database (see SLOW_FIXTURES), and put the tests
    that start stacks of their own in one xdist group (ONE_AT_A_TIME)."""
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.full)
        if Path(item.path).parent.name in ONE_AT_A_TIME:
            item.add_marker(pytest.mark.xdist_group("one_at_a_time"))


def _worker_number() -> tuple[int, int]:
    """(this xdist worker's number, how many workers), (0, 1) without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


# The ports the tests' servers take: below Linux's ephemeral range (32768-60999), so no outgoing connection holds
# one, and split between the workers, so two workers starting stacks at once never pick the same port between
# choosing it and binding it. (Linux hands out only odd ports to bind(0) while it can: no parity trick.)
TEST_PORTS = range(20000, 32000)
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on now, from this worker's share of TEST_PORTS, never handed out twice in
    this process."""
    number, count = _worker_number()
    share = len(TEST_PORTS) // count
    for port in range(TEST_PORTS.start + number * share, TEST_PORTS.start + (number + 1) * share):
        if port in _handed_out:
            continue
        _handed_out.add(port)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # taken, or still closing from an earlier run
                continue
        return port
    raise RuntimeError(f"no free port left in this worker's share of {TEST_PORTS}")


@pytest.fixture(scope="session", autouse=True)
def _ports_of_this_worker():
    """The stacks this process starts (launch.stack.Ports.free and the like) take this worker's ports."""
    patch = pytest.MonkeyPatch()
    patch.setattr(stacks, "free_port", free_port)
    yield
    patch.undo()


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


def make_database(kind: str, tmp_path: Path) -> tuple[str, callable]:
    """An empty database of `kind` ('sqlite' or 'postgresql') and a function that closes this process's
    connections to it and removes it; skips the test when there is no PostgreSQL server."""
    try:
        return stacks.make_database(kind, tmp_path, POSTGRES_ADMIN_URL)
    except stacks.NoDatabaseServer as error:
        pytest.skip(str(error))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request) -> str:
    """Each database test runs on SQLite and on PostgreSQL (parametrize `db_kind` indirectly for one of them)."""
    return request.param


@pytest.fixture
def empty_db_url(db_kind, tmp_path):
    """An empty database."""
    url, drop = make_database(db_kind, tmp_path)
    yield url
    drop()


@pytest.fixture(scope="session")
def prepared_database(tmp_path_factory):
    """`prepared_database(kind)`: the URL of a database of that kind as `make run` leaves it on first start
    (migrated to head, clusters and advisors loaded, the content editor's copy of knowledge/), made once per
    session; tests get copies of it (migrating and seeding one per test took minutes)."""
    from members.db import engine_for

    made: dict[str, tuple[str, callable]] = {}

    def template(kind: str) -> str:
        if kind not in made:
            url, drop = make_database(kind, tmp_path_factory.mktemp(f"template-{kind}"))
            made[kind] = (url, drop)
            schema.prepare_database(url)
            stacks.seed_content(url)  # as `make run` does on first start
            engine_for(url).dispose()  # PostgreSQL copies a template only while nobody is connected to it
        return made[kind][0]

    yield template
    for _, drop in made.values():
        drop()


@pytest.fixture
def db_url(db_kind, tmp_path, prepared_database):
    """A database migrated to head with the clusters, advisors and content loaded (a copy of the session's template)."""
    template = prepared_database(db_kind)
    try:
        url, drop = stacks.make_database(db_kind, tmp_path, POSTGRES_ADMIN_URL, template=template)
    except stacks.NoDatabaseServer as error:
        pytest.skip(str(error))
    yield url
    drop()


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

    stack: stacks.Stack
    rasa_url: str
    database_url: str
    smtp: object
    var_dir: Path

    def send(self, sender: str, message: str, timeout: float = 30, message_id: str | None = None) -> list[dict]:
        """Post one visitor message (with the client's id for it, if given) to the REST channel and return the
        bot's messages."""
        body = {"sender": sender, "message": message} | ({"message_id": message_id} if message_id else {})
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json.dumps(body).encode(),
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


@pytest.fixture(scope="session", autouse=True)
def _each_password_hashed_once():
    """In this process each test password is hashed once (scrypt takes 0.2 s a time, and most console tests make
    two accounts); the hash is a real one, salt and all. Logging in still checks it at full cost."""
    import functools

    from console import accounts

    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "hash_password", functools.lru_cache(maxsize=None)(accounts.hash_password))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, driven by Playwright (no browser download): one for the whole session, because
    Playwright's sync API refuses to start while another instance holds the main thread's event loop."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def model_path(tmp_path_factory):
    """The trained model (trained once; reused while config, domain and bot data are unchanged)."""
    stacks.build_knowledge()
    model, _ = stacks.train_if_needed(tmp_path_factory.mktemp("train-log"))
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
    schema.prepare_database(database_url)
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
