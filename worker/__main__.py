"""`python -m worker`: run every job on its interval until SIGTERM or Ctrl-C, which end it after the current job.

One failing round (the database or the SMTP relay away) is logged with the job's name and retried on its next
turn; the other jobs go on."""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType

from worker import content_review, delivery, reminders, retention, search_index, spool
from worker.context import Context

log = logging.getLogger("worker")

# Spool first, so a replayed enquiry's e-mail goes out in the same round.
JOBS: tuple[ModuleType, ...] = (retention, spool, reminders, content_review, delivery, search_index)


@dataclass
class Job:
    """A job's function and when it is next due (monotonic seconds)."""

    name: str
    run: Callable[[Context], object]
    interval: float
    due: float = 0.0


def run_round(context: Context, jobs: Sequence[Job], clock: Callable[[], float] = time.monotonic) -> dict[str, object]:
    """Run every job that is due once; returns each one's outcome (its result, or the error's type)."""
    outcomes: dict[str, object] = {}
    for job in jobs:
        if clock() < job.due:
            continue
        job.due = clock() + job.interval
        try:
            outcomes[job.name] = result = job.run(context)
        except Exception as error:  # noqa: BLE001 - one job's round never stops the worker; the next round retries
            outcomes[job.name] = type(error).__name__
            log.warning("%s round failed: %s", job.name, type(error).__name__, exc_info=True)
            continue
        if result:
            log.info("%s: %s", job.name, result)
    return outcomes


def jobs() -> list[Job]:
    """The worker's jobs, all due now."""
    return [Job(module.__name__.rsplit(".", 1)[-1], module.run, module.INTERVAL) for module in JOBS]


def main(tick: float = 1.0) -> None:
    """Run the jobs until told to stop."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    context = Context.from_settings()
    s = context.settings
    log.info("worker started: delivering to %s:%s", s.smtp_host, s.smtp_port)
    scheduled = jobs()
    while not stopping.is_set():
        run_round(context, scheduled)
        stopping.wait(tick)
    log.info("worker stopped")


if __name__ == "__main__":  # pragma: no cover
    main()
