"""Fixtures for the fault tests: a FirstStop stack of their own (whose processes they kill and restart), a TCP
proxy between FirstStop and PostgreSQL that can be cut, and a visitor who sends a message again when told to."""
from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from firststop.visits import Turn, firststop_script, reply_text
from handoff import mailsink
from launch import stack as stacks
from members import schema
from members.db import session_factory
from members.models import Contact, Enquiry, EnquiryFollowup, OutboxMessage
from tests.conftest import LIMITS_OFF, RunningStack, free_port, make_database

AGAIN_AFTER = 0.5  # seconds a retrying visitor waits before sending the message again


class TcpProxy:
    """Forwards a loopback port to a target; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.restore()

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, upstream_writer}
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))
        self.writers -= {writer, upstream_writer}

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()  # a reset, as when the database host goes away
        self.writers.clear()

    def restore(self) -> None:
        """Accept and forward connections (again)."""
        if self.server is None:
            self._call(self._listen())

    def cut(self) -> None:
        """Make the target unreachable: close the listening socket and reset every open connection."""
        self._call(self._cut())

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@dataclass
class FaultStack(RunningStack):
    """A stack whose processes a test may kill, restart or cut off."""

    services: dict[str, stacks.Service] = field(default_factory=dict)
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    proxy: TcpProxy | None = None

    def kill(self, name: str) -> None:
        """Kill a process outright (SIGKILL), as a crash would."""
        self.stack.stop(name, signal.SIGKILL)

    def restart(self, name: str) -> None:
        """Start a stopped process again and wait until it is healthy."""
        self.stack.start(self.services[name], self.service_env.get(name))

    def post(self, sender: str, message: str, timeout: float = 30,
             message_id: str | None = None) -> tuple[int, object]:
        """Post a visitor message; returns (HTTP status, decoded JSON body)."""
        try:
            return 200, self.send(sender, message, timeout, message_id)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@dataclass
class VisitLog:
    """What one visitor saw: every reply, and the times they were told to try again."""

    sender: str
    replies: list[str] = field(default_factory=list)
    told_to_retry: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


def say_until_taken(stack: FaultStack, log: VisitLog, turn: Turn, deadline: float) -> str:
    """Send the turn, and send it again with the same message id (as the widget and the visitor do) while the
    server says it wasn't taken."""
    message_id = uuid.uuid4().hex
    while True:
        try:
            status, body = stack.post(log.sender, turn.text, message_id=message_id)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            status, body = 0, {"error": str(error)}
        log.statuses.append(status)
        if status == 200:
            text = reply_text(body)
            log.replies.append(text)
            return text
        assert status == 503, f"{log.sender} got HTTP {status} for {turn.text!r}: {body}"
        log.told_to_retry.append(body.get("error", "") if isinstance(body, dict) else str(body))
        assert time.monotonic() < deadline, f"{log.sender} was still told to try again at {turn.kind}"
        time.sleep(AGAIN_AFTER)


def visit(stack: FaultStack, number: int, sender: str, deadline: float,
          between_turns: float = 0.0) -> VisitLog:
    """A whole FirstStop conversation, through Send and a message after it, retrying what the server didn't take in."""
    log = VisitLog(sender)
    for turn in firststop_script(number):
        text = say_until_taken(stack, log, turn, deadline)
        assert turn.expect is None or turn.expect.lower() in text.lower(), (
            f"{sender} at {turn.kind}: expected {turn.expect!r}, got {text!r}")
        time.sleep(between_turns)
    return log


def visitors_at_once(stack: FaultStack, count: int, prefix: str, deadline: float, between_turns: float,
                     stagger: float = 0.0) -> list[Future]:
    """`count` visitors going through their conversations at once, the n-th starting n × `stagger` seconds
    late; each future's result is that visitor's VisitLog, or raises what went wrong for them."""
    def visitor(number: int) -> VisitLog:
        time.sleep(number * stagger)
        return visit(stack, number, f"{prefix}-{number}-{uuid.uuid4().hex}", deadline, between_turns)

    pool = ThreadPoolExecutor(max_workers=count)
    futures = [pool.submit(visitor, number) for number in range(count)]
    pool.shutdown(wait=False)
    return futures


def records(database_url: str) -> dict[str, int]:
    """How many enquiries, follow-ups, contacts, outbox messages and distinct contact e-mail addresses the member
    database holds."""
    with session_factory(database_url)() as session:
        return {
            "enquiries": session.scalar(select(func.count()).select_from(Enquiry)),
            "followups": session.scalar(select(func.count()).select_from(EnquiryFollowup)),
            "contacts": session.scalar(select(func.count()).select_from(Contact)),
            "outbox": session.scalar(select(func.count()).select_from(OutboxMessage)),
            "emails": session.scalar(select(func.count(func.distinct(Contact.email)))),
        }


def message_ids(stack: RunningStack) -> list[str]:
    """The Message-IDs of the e-mails the SMTP server accepted."""
    return [message["Message-ID"] for _, message in stack.smtp.handler.messages]


@pytest.fixture
def fault_stack(tmp_path, model_path):
    """A factory for a FirstStop stack of the test's own: `fault_stack(kind, proxy=False, smtp=True, env={})`;
    with a proxy, the processes named in `behind_proxy` reach the database through it."""
    started: list[tuple[FaultStack, callable]] = []

    def start(kind: str = "postgresql", proxy: bool = False, smtp: bool = True, env: dict[str, str] | None = None,
              behind_proxy: tuple[str, ...] = ("actions", "rasa", "worker")) -> FaultStack:
        database_url, drop = make_database(kind, tmp_path)
        schema.prepare_database(database_url)
        tcp_proxy = None
        served_url = database_url
        if proxy:
            url = make_url(database_url)
            tcp_proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
            served_url = url.set(host="127.0.0.1", port=tcp_proxy.port).render_as_string(hide_password=False)
        ports = stacks.Ports.free()
        running = stacks.Stack(tmp_path / "log", env=stacks.stack_env(database_url, tmp_path, ports, {
            "CONSOLE_URL": "http://console.test",
            **LIMITS_OFF,  # these stacks take volume from one address; a test may turn a limit on in `env`
            **(env or {}),
        }))
        services = {s.name: s for s in stacks.services(model_path, ports.rasa, ports.actions)
                    if s.name in ("actions", "rasa", "worker")}
        service_env = {name: {"DATABASE_URL": served_url} for name in behind_proxy}
        stack = FaultStack(running, f"http://127.0.0.1:{ports.rasa}", database_url, None, tmp_path,
                           services=services, service_env=service_env, proxy=tcp_proxy)
        started.append((stack, drop))
        if smtp:
            mail_sink(stack, tmp_path / "mail")
        for name in services:
            stack.restart(name)
        return stack

    yield start
    for stack, drop in started:
        stack.stack.stop_all()
        if stack.smtp is not None:
            stack.smtp.stop()
        if stack.proxy is not None:
            stack.proxy.close()
        drop()


def mail_sink(stack: FaultStack, directory: Path):
    """Start the SMTP server on the stack's SMTP port (at start, or later for a test where it was down)."""
    controller, _ = mailsink.start(directory, port=int(stack.stack.env["SMTP_PORT"]))
    stack.smtp = controller
    return controller
