"""A bounded load generator: concurrent scripted conversations against a REST channel, timed per turn."""
from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from firststop.visits import Turn, reply_text


@dataclass
class Sample:
    """One timed exchange."""

    kind: str
    seconds: float
    ok: bool
    status: int
    detail: str = ""


@dataclass
class LevelResult:
    """What one concurrency level measured."""

    concurrency: int
    conversations: int
    wall_seconds: float
    samples: list[Sample] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.wall_seconds if self.wall_seconds else 0.0


def stock_script(number: int) -> list[Turn]:
    """A conversation of the same length for the `rasa init` bot: greetings and moods."""
    return [
        Turn("greet", "hello", "How are you"),
        Turn("mood", "I am sad", "cheer you up"),
        Turn("affirm", "yes", "carry on"),
        Turn("greet", "hey there", "How are you"),
        Turn("mood", "I am great", "carry on"),
        Turn("bot_challenge", "are you a bot?", "I am a bot"),
        Turn("greet", "good morning", "How are you"),
        Turn("mood", "I am unhappy", "cheer you up"),
        Turn("deny", "no", "Bye"),
        Turn("greet", "hi", "How are you"),
        Turn("goodbye", "bye", "Bye"),
    ]


async def exchange(session: aiohttp.ClientSession, url: str, sender: str, turn: Turn, timeout: float) -> Sample:
    """Post one message and time it until the whole reply is read."""
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": turn.text},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            body = await response.read()
            seconds = time.perf_counter() - started
            if response.status != 200:
                return Sample(turn.kind, seconds, False, response.status, body[:200].decode("utf-8", "replace"))
            text = reply_text(json.loads(body))
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        return Sample(turn.kind, time.perf_counter() - started, False, 0, f"{type(error).__name__}: {error}")
    if not text.strip():
        return Sample(turn.kind, seconds, False, 200, "empty reply")
    if turn.expect and turn.expect.lower() not in text.lower():
        return Sample(turn.kind, seconds, False, 200, f"expected {turn.expect!r}, got {text[:160]!r}")
    return Sample(turn.kind, seconds, True, 200)


async def run_level(url: str, script: Callable[[int], list[Turn]], conversations: int, concurrency: int,
                    timeout: float = 60.0, tag: str = "bench") -> LevelResult:
    """Run `conversations` scripted conversations, `concurrency` at a time, each turn waiting for its reply."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(conversations):
        queue.put_nowait(number)
    samples: list[Sample] = []
    run_id = uuid.uuid4().hex  # in each conversation id: FirstStop refuses ids without 128 random bits

    async def visitor(session: aiohttp.ClientSession) -> None:
        while True:
            try:
                number = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            sender = f"{tag}-{run_id}-c{concurrency}-{number}"
            for turn in script(number):
                sample = await exchange(session, url, sender, turn, timeout)
                samples.append(sample)
                if sample.status == 0 or sample.status >= 500:
                    break  # the conversation can't go on; the next one starts

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(visitor(session) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return LevelResult(concurrency, conversations, wall, samples)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(samples: list[Sample]) -> dict[str, dict[str, float]]:
    """p50/p95/p99 in milliseconds per turn kind, and over all turns ('all')."""
    kinds: dict[str, list[float]] = {}
    for sample in samples:
        kinds.setdefault(sample.kind, []).append(sample.seconds)
    kinds["all"] = [s.seconds for s in samples]
    return {
        kind: {"count": len(values), **{f"p{q}": round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)}}
        for kind, values in kinds.items()
    }
