"""`make bench`: start FirstStop and a stock `rasa init` bot on free ports, drive both with the same bounded
load (1, 10 and 50 concurrent conversations), and print throughput, latency, CPU, memory, model load and
training time side by side. Also writes var/bench/last.json."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench.load import (
    LevelResult,
    latency_summary,
    run_level,
    stock_script,
)
from firststop import proc
from firststop.settings import ROOT
from firststop.visits import firststop_script
from launch import stack as stacks
from members import schema

BENCH_DIR = ROOT / "var" / "bench"
STOCK_DIR = BENCH_DIR / "stock"
DEFAULT_LEVELS = "1:4,10:20,50:50"  # concurrency:conversations
LOADING = re.compile(r"Loading model")
UP = re.compile(r"Rasa server is up and running")


class LogWatch(threading.Thread):
    """Notes when marker lines first appear in a log file (seconds after the watch started)."""

    def __init__(self, path: Path, markers: dict[str, re.Pattern]) -> None:
        super().__init__(daemon=True)
        self.path, self.markers = path, markers
        self.offset = path.stat().st_size if path.exists() else 0
        self.started = time.monotonic()
        self.seen: dict[str, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        buffer = ""
        while not self.done.is_set() and len(self.seen) < len(self.markers):
            if self.path.exists():
                with open(self.path, "rb") as log:
                    log.seek(self.offset)
                    chunk = log.read()
                self.offset += len(chunk)
                buffer += chunk.decode("utf-8", "replace")
                for name, pattern in self.markers.items():
                    if name not in self.seen and pattern.search(buffer):
                        self.seen[name] = time.monotonic() - self.started
                buffer = buffer[-2000:]
            time.sleep(0.05)


@dataclass
class BotResult:
    """Everything measured for one bot."""

    name: str
    tag: str
    short: str = ""
    levels: list[dict] = field(default_factory=list)
    startup: dict[str, float | None] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    pss_mb: dict[str, float] = field(default_factory=dict)
    largest_process_rss_mb: dict[str, float] = field(default_factory=dict)
    training_seconds: float | None = None
    training_note: str = ""
    checks: dict[str, object] = field(default_factory=dict)


def parse_levels(text: str) -> list[tuple[int, int]]:
    """'1:4,10:20' → [(1, 4), (10, 20)] (concurrency, conversations)."""
    levels = []
    for part in text.split(","):
        concurrency, _, conversations = part.partition(":")
        levels.append((int(concurrency), int(conversations or concurrency)))
    return levels


def start_watched(stack: stacks.Stack, service: stacks.Service) -> dict[str, float | None]:
    """Start a Rasa server and time it: to the 'Loading model' line, to 'up and running', to healthy."""
    watch = LogWatch(stack.log_dir / f"{service.name}.log", {"loading": LOADING, "up": UP})
    watch.start()
    stack.start(service)
    healthy = time.monotonic() - watch.started
    time.sleep(0.2)
    watch.done.set()
    loading, up = watch.seen.get("loading"), watch.seen.get("up")
    return {
        "start_to_healthy_s": round(healthy, 2),
        "start_to_loading_line_s": round(loading, 2) if loading is not None else None,
        "loading_line_to_up_s": round(up - loading, 2) if loading is not None and up is not None else None,
    }


@dataclass
class Target:
    """A running bot under test: where visitors post, how its conversations go, which processes to measure."""

    result: BotResult
    url: str
    script: Callable[[int], list]
    pids: dict[str, int]

    def memory(self, moment: str) -> None:
        """Record RSS and PSS of each process tree (PSS splits shared pages between Sanic workers)."""
        for role, pid in self.pids.items():
            self.result.rss_mb[f"{role}_{moment}"] = round(proc.rss_mb(pid), 1)
            self.result.pss_mb[f"{role}_{moment}"] = round(proc.pss_mb(pid), 1)
            largest = max(proc.process_rss_mb(member) for member in proc.tree(pid))
            self.result.largest_process_rss_mb[f"{role}_{moment}"] = round(largest, 1)


def measure_level(target: Target, concurrency: int, conversations: int) -> dict:
    """Run one level against one bot, with CPU per message for each of its processes."""
    name = target.result.name
    before = {role: proc.cpu_seconds(pid) for role, pid in target.pids.items()}
    level: LevelResult = asyncio.run(run_level(target.url, target.script, conversations, concurrency,
                                               tag=f"bench-{target.result.tag}"))
    after = {role: proc.cpu_seconds(pid) for role, pid in target.pids.items()}
    messages = max(1, level.messages)
    errors = level.errors
    measured = {
        "concurrency": concurrency,
        "conversations": conversations,
        "messages": level.messages,
        "wall_s": round(level.wall_seconds, 2),
        "messages_per_s": round(level.messages_per_second, 2),
        "errors": len(errors),
        "error_examples": sorted({f"{e.kind}: {e.status} {e.detail}" for e in errors})[:5],
        "latency_ms": latency_summary(level.samples),
        "cpu_ms_per_message": {role: round((after[role] - before[role]) * 1000 / messages, 1) for role in target.pids},
        "load_average": round(proc.load_average()[0], 2),
    }
    print(f"  {name}: {concurrency:>2} concurrent × {conversations} conversations: "
          f"{level.messages} messages in {level.wall_seconds:.1f} s = {level.messages_per_second:.1f}/s, "
          f"p95 {measured['latency_ms']['all']['p95']:.0f} ms, {len(errors)} errors", flush=True)
    for example in measured["error_examples"]:
        print(f"    error: {example}", flush=True)
    return measured


def firststop_training(log_dir: Path) -> tuple[float, str]:
    """Cold training time of the FirstStop model (empty Rasa cache), measured once per model fingerprint."""
    record = BENCH_DIR / f"firststop-train-{stacks.model_fingerprint()}.json"
    if record.exists():
        data = json.loads(record.read_text())
        return data["seconds"], f"measured {data['when']} (cold cache); cached by model fingerprint"
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        with open(log_dir / "train-cold.log", "w") as log:
            subprocess.run(
                [stacks.RASA, "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "bot",
                 "--out", out, "--fixed-model-name", "cold"],
                cwd=ROOT, env=stacks.base_env({"RASA_CACHE_DIRECTORY": str(Path(out) / "cache")}),
                stdout=log, stderr=subprocess.STDOUT, check=True,
            )
        seconds = round(time.monotonic() - started, 1)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    record.write_text(json.dumps({"seconds": seconds, "when": when}))
    return seconds, "measured now (cold cache)"


def stock_bot(log_dir: Path) -> tuple[Path, float, str]:
    """The stock `rasa init` bot, created and trained once in var/bench/stock; returns its model and training time."""
    record = STOCK_DIR / "bench-train.json"
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz")) if STOCK_DIR.exists() else []
    if record.exists() and models:
        data = json.loads(record.read_text())
        return models[-1], data["seconds"], f"measured {data['when']} by `rasa init`; cached in {STOCK_DIR}"
    shutil.rmtree(STOCK_DIR, ignore_errors=True)
    STOCK_DIR.mkdir(parents=True)
    print(f"• creating and training the stock bot with `rasa init --no-prompt` in {STOCK_DIR} "
          "(TensorFlow; a few minutes, once)", flush=True)
    started = time.monotonic()
    with open(log_dir / "stock-init.log", "w") as log:
        subprocess.run([stacks.RASA, "init", "--no-prompt", "--init-dir", str(STOCK_DIR)], cwd=STOCK_DIR,
                       env=stacks.base_env(), stdout=log, stderr=subprocess.STDOUT, check=True)
    seconds = round(time.monotonic() - started, 1)
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    if not models:
        raise SystemExit(f"rasa init produced no model; see {log_dir / 'stock-init.log'}")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    record.write_text(json.dumps({"seconds": seconds, "when": when}))
    return models[-1], seconds, "measured now by `rasa init` (includes writing the project files)"


def firststop_checks(database_url: str, conversations: int, timeout: float = 60) -> dict[str, object]:
    """After the load: one enquiry and one contact per conversation, and every hand-off e-mail sent once."""
    from sqlalchemy import func, select

    from members.db import session_factory
    from members.models import Contact, Enquiry, OutboxMessage

    factory = session_factory(database_url)
    deadline = time.monotonic() + timeout
    while True:
        with factory() as session:
            statuses = dict(session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
            enquiries = session.scalar(select(func.count()).select_from(Enquiry))
            handed_off = session.scalar(select(func.count()).select_from(Enquiry).where(Enquiry.status == "handed_off"))
            contacts = session.scalar(select(func.count()).select_from(Contact))
        if not statuses.get("pending") and not statuses.get("sending") or time.monotonic() > deadline:
            break
        time.sleep(1)
    return {"conversations": conversations, "enquiries": enquiries, "handed_off": handed_off,
            "contacts": contacts, "outbox": statuses}


# The load comes from one address: the limits that protect staff from a flood are off, explicitly.
LIMITS_OFF = {"RATE_PER_ADDRESS": "0", "RATE_PER_CONVERSATION": "0", "STAFF_MAILS_PER_ADDRESS_HOUR": "0"}


def scratch_database(use_sqlite: bool, run_dir: Path) -> tuple[str, Callable[[], None]]:
    """A database made for the run (launch.stack.make_database), or exit saying there is no PostgreSQL."""
    try:
        return stacks.make_database("sqlite" if use_sqlite else "postgresql", run_dir)
    except stacks.NoDatabaseServer as error:
        raise SystemExit(f"{error}; run the benchmark with --sqlite") from None


@contextmanager
def firststop_running(workers: int, use_sqlite: bool, run_dir: Path, extra_env: dict[str, str],
                      endpoints: str | None = None, model_path: str | None = None) -> Iterator[tuple[Target, str]]:
    """The full FirstStop stack (PostgreSQL or SQLite database made for the run) on free ports, started and timed;
    with several Sanic workers, the Rasa server locks conversations in Redis."""
    name = "FirstStop" if workers == 1 else f"FirstStop, {workers} workers"
    result = BotResult(name, f"firststop-w{workers}", "FS" if workers == 1 else f"FS {workers}w")
    run_dir = run_dir / result.tag
    log_dir = run_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    if workers > 1:
        extra_env = {**extra_env, "SANIC_WORKERS": str(workers), "LOCK_STORE": "redis"}
    stacks.build_knowledge()
    model, trained = stacks.train_if_needed(log_dir)
    result.training_seconds, result.training_note = firststop_training(log_dir)
    if trained:
        result.checks["trained_for_this_run_s"] = round(trained, 1)
    if model_path:
        model = Path(model_path).resolve()
        result.training_note += f"; this run served another model, {model}"
    database_url, drop = scratch_database(use_sqlite, run_dir)
    print(f"• {name} on {database_url.split('@')[-1]}, model {model.name}", flush=True)
    ports = stacks.Ports.free()
    stack = stacks.Stack(log_dir, env=stacks.stack_env(database_url, run_dir, ports, {
        "CONSOLE_URL": "http://console.bench", **LIMITS_OFF, **extra_env}))
    try:
        schema.prepare_database(database_url)
        for service in stacks.services(model, ports.rasa, ports.actions, smtp_port=ports.smtp):
            if endpoints:
                service.command = [endpoints if part == "endpoints.yml" else part for part in service.command]
            if service.name == "rasa":
                result.startup = start_watched(stack, service)
            elif service.name in ("mailsink", "actions", "worker"):
                stack.start(service)
        result.startup["actions_start_to_healthy_s"] = round(stack.ready_seconds["actions"], 2)
        pids = {"rasa": stack.processes["rasa"].pid, "actions": stack.processes["actions"].pid}
        target = Target(result, f"http://127.0.0.1:{ports.rasa}/webhooks/rest/webhook", firststop_script, pids)
        target.memory("idle")
        yield target, database_url
        target.memory("after_load")
    finally:
        stack.stop_all()
        drop()


@contextmanager
def deploy_running(run_dir: Path, extra_env: dict[str, str]) -> Iterator[tuple[Target, str]]:
    """The production shape (launch.stack.deploy: nginx, 2 Rasa servers, 2 action servers, Redis lock store,
    console, worker) on a PostgreSQL database made for the run; visitors post through nginx."""
    result = BotResult("FirstStop behind nginx, 2+2 servers", "deploy", "nginx 2+2")
    run_dir = run_dir / result.tag
    database_url, drop = scratch_database(False, run_dir)
    try:
        model, _ = stacks.prepare(database_url, run_dir / "log")
        ports = stacks.DeployPorts.free()
        env = stacks.deploy_env(database_url, run_dir, ports, {"SECRET_KEY": secrets.token_urlsafe(48),
                                                               **LIMITS_OFF, **extra_env})
        print(f"• {result.name}, model {model.name}", flush=True)
        stack = stacks.deploy(model, run_dir / "run", env, ports)
        try:
            result.startup = {"start_to_healthy_s": round(stack.ready_seconds.get("rasa-1", 0), 2)}
            target = Target(result, f"http://127.0.0.1:{ports.public}/webhooks/rest/webhook", firststop_script,
                            {name: process.pid for name, process in stack.processes.items()})
            target.memory("idle")
            yield target, database_url
            target.memory("after_load")
        finally:
            stack.stop_all()
    finally:
        drop()


def run_deploy(levels: list[tuple[int, int]], extra_env: dict[str, str], out: Path) -> None:
    """`--deploy`: the same load against one Rasa server and through nginx in front of two; messages/s, p95 and
    the memory of every process of the production shape."""
    with tempfile.TemporaryDirectory(prefix="run-", dir=BENCH_DIR) as tmp, ExitStack() as running:
        run_dir = Path(tmp)
        single, single_db = running.enter_context(firststop_running(1, False, run_dir, extra_env))
        balanced, balanced_db = running.enter_context(deploy_running(run_dir, extra_env))
        for concurrency, conversations in levels:
            for target in (single, balanced):
                target.result.levels.append(measure_level(target, concurrency, conversations))
        conversations = sum(c for _, c in levels)
        single.result.checks.update(firststop_checks(single_db, conversations))
        balanced.result.checks.update(firststop_checks(balanced_db, conversations))
        running.close()
    lines = [f"{'':<28}{'one Rasa server':>24}{'nginx, 2 Rasa + 2 actions':>30}"]
    for a, b in zip(single.result.levels, balanced.result.levels):
        cells = [f"{lv['messages_per_s']:.1f} msg/s, p95 {lv['latency_ms']['all']['p95']:.0f} ms" for lv in (a, b)]
        label = f"{a['concurrency']} concurrent (errors {a['errors']}/{b['errors']})"
        lines.append(f"{label:<28}{cells[0]:>24}{cells[1]:>30}")
    lines += ["", "memory after the load, MB RSS (PSS) per process of the production shape:"]
    for role in balanced.pids:
        lines.append(f"  {role:<12} {balanced.result.rss_mb[f'{role}_after_load']:>7.0f} "
                     f"({balanced.result.pss_mb[f'{role}_after_load']:.0f})")
    for target in (single, balanced):
        checks = target.result.checks
        lines.append(f"{target.result.name}: {checks['conversations']} conversations → {checks['enquiries']} enquiries, "
                     f"{checks['contacts']} contacts, outbox {checks['outbox']}")
    out.write_text(json.dumps({"single": single.result.__dict__, "deploy": balanced.result.__dict__}, indent=1))
    print("\n" + "\n".join(lines) + f"\nfull results in {out}")


@contextmanager
def stock_running(run_dir: Path) -> Iterator[Target]:
    """The stock `rasa init` bot (in-memory tracker store, no action server) on a free port, started and timed."""
    result = BotResult("stock rasa init", "stock", "stock")
    log_dir = run_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    model, result.training_seconds, result.training_note = stock_bot(log_dir)
    port = stacks.free_port()
    service = stacks.Service(
        "stock-rasa",
        [stacks.RASA, "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port),
         "--credentials", str(STOCK_DIR / "credentials.yml"), "--endpoints", str(STOCK_DIR / "endpoints.yml")],
        f"http://127.0.0.1:{port}/webhooks/rest/", timeout=300,
    )
    print(f"• stock bot, model {model.name}", flush=True)
    stack = stacks.Stack(log_dir)
    try:
        result.startup = start_watched(stack, service)
        target = Target(result, f"http://127.0.0.1:{port}/webhooks/rest/webhook", stock_script,
                        {"rasa": stack.processes["stock-rasa"].pid})
        target.memory("idle")
        yield target
        target.memory("after_load")
    finally:
        stack.stop_all()


def _fmt(value, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _ratio(first, second) -> str:
    return "—" if not first or not second else f"{first / second:.2f}×"


def _level(result: dict | None, concurrency: int) -> dict | None:
    return next((lv for lv in result["levels"] if lv["concurrency"] == concurrency), None) if result else None


def metric_rows(variants: list[dict], stock: dict | None) -> list[tuple[str, list, int]]:
    """(label, value per bot with the stock bot last, digits) for the summary table."""
    bots = variants + [stock]

    def per_bot(get) -> list:
        values = []
        for bot in bots:
            try:
                values.append(get(bot) if bot else None)
            except (KeyError, TypeError):
                values.append(None)
        return values

    rows = []
    for lv in variants[0]["levels"]:
        c = lv["concurrency"]
        rows.append((f"messages/s at {c} concurrent", per_bot(lambda b, c=c: _level(b, c)["messages_per_s"]), 1))
    for lv in variants[0]["levels"]:
        c = lv["concurrency"]
        for q in ("p50", "p95", "p99"):
            rows.append((f"{q} latency at {c} concurrent (ms)",
                         per_bot(lambda b, c=c, q=q: _level(b, c)["latency_ms"]["all"][q]), 0))
    for lv in variants[0]["levels"]:
        c = lv["concurrency"]
        rows.append((f"Rasa CPU ms/message at {c} concurrent",
                     per_bot(lambda b, c=c: _level(b, c)["cpu_ms_per_message"]["rasa"]), 1))
        rows.append((f"action server CPU ms/message at {c}",
                     per_bot(lambda b, c=c: _level(b, c)["cpu_ms_per_message"]["actions"]), 1))
    rows += [
        ("errors (all levels)", per_bot(lambda b: sum(lv["errors"] for lv in b["levels"])), 0),
        ("Rasa RSS, all processes, after load (MB)", per_bot(lambda b: b["rss_mb"]["rasa_after_load"]), 0),
        ("Rasa RSS, largest process (MB)", per_bot(lambda b: b["largest_process_rss_mb"]["rasa_after_load"]), 0),
        ("Rasa PSS, all processes, after load (MB)", per_bot(lambda b: b["pss_mb"]["rasa_after_load"]), 0),
        ("action server RSS after load (MB)", per_bot(lambda b: b["rss_mb"]["actions_after_load"]), 0),
        ("Rasa start → healthy (s)", per_bot(lambda b: b["startup"]["start_to_healthy_s"]), 1),
        ("Rasa start → 'Loading model' line (s)", per_bot(lambda b: b["startup"]["start_to_loading_line_s"]), 1),
        ("'Loading model' → 'up and running' (s)", per_bot(lambda b: b["startup"]["loading_line_to_up_s"]), 1),
        ("action server start → healthy (s)", per_bot(lambda b: b["startup"]["actions_start_to_healthy_s"]), 1),
        ("training time (s)", per_bot(lambda b: b["training_seconds"]), 1),
    ]
    return rows


def render(report: dict) -> str:
    """The benchmark as plain-text tables."""
    variants, stock = report["firststop"], report.get("stock")
    title = (
        f"FirstStop benchmark — {report['when']} — {report['cpus']} CPUs — load average before "
        f"{report['load_average_before'][0]:.2f}, after {report['load_average_after'][0]:.2f} — database "
        f"{report['database']}"
    )
    names = [v["short"] for v in variants] + ["stock"]
    ratio_names = [f"{v['short']}/stock" for v in variants]
    rows = metric_rows(variants, stock)
    width = max(len(label) for label, _, _ in rows)
    column = max(11, *(len(n) + 2 for n in names + ratio_names))
    lines = [title, "", f"{'':<{width}}" + "".join(f"{n:>{column}}" for n in names + ratio_names)]
    for label, values, digits in rows:
        cells = [_fmt(v, digits) for v in values] + [_ratio(v, values[-1]) for v in values[:-1]]
        lines.append(f"{label:<{width}}" + "".join(f"{c:>{column}}" for c in cells))
    for result in variants + ([stock] if stock else []):
        lines += ["", f"{result['name']}: latency per turn type, ms (p50 / p95 / p99)"]
        lines.append(f"{'turn':<14}" + "".join(f"{str(lv['concurrency']) + ' concurrent':>22}"
                                               for lv in result["levels"]))
        for kind in result["levels"][0]["latency_ms"]:
            cells = ""
            for lv in result["levels"]:
                s = lv["latency_ms"].get(kind)
                cell = "{p50:.0f} / {p95:.0f} / {p99:.0f}".format(**s) if s else "—"
                cells += f"{cell:>22}"
            lines.append(f"{kind:<14}{cells}")
    lines += ["", f"FirstStop training: {variants[0]['training_note']}"]
    if stock:
        lines.append(f"stock training: {stock['training_note']}")
    for variant in variants:
        checks = variant["checks"]
        lines.append(
            f"{variant['name']}, data after the load: {checks.get('conversations')} conversations → "
            f"{checks.get('enquiries')} enquiries ({checks.get('handed_off')} handed off), {checks.get('contacts')} "
            f"contacts, outbox {checks.get('outbox')}"
        )
    lines += ["", "targets (issue 9), per FirstStop configuration:"]
    lines += [f"  {'met    ' if ok else 'NOT met'}  {text}" for text, ok in report["targets"]]
    return "\n".join(lines)


def targets(variants: list[dict], stock: dict | None) -> list[tuple[str, bool]]:
    """The issue's targets, checked for each FirstStop configuration against this run."""
    found = []
    for fs in variants:
        name = fs["name"]
        if stock:
            for lv in fs["levels"]:
                theirs = _level(stock, lv["concurrency"])
                if theirs and lv["concurrency"] > 1:
                    found.append((f"{name}: throughput ≥ 2× stock at {lv['concurrency']} concurrent: "
                                  f"{lv['messages_per_s']:.1f} vs {theirs['messages_per_s']:.1f} messages/s",
                                  lv["messages_per_s"] >= 2 * theirs["messages_per_s"]))
            mine, theirs = _level(fs, 10), _level(stock, 10)
            if mine and theirs:
                a, b = mine["latency_ms"]["all"]["p95"], theirs["latency_ms"]["all"]["p95"]
                found.append((f"{name}: p95 at 10 concurrent ≤ half of stock: {a:.0f} vs {b:.0f} ms", a <= b / 2))
        healthy = fs["startup"]["start_to_healthy_s"]
        found.append((f"{name}: model load < 15 s: Rasa start → healthy {healthy:.1f} s", healthy < 15))
        rss, largest, pss = (fs["rss_mb"]["rasa_after_load"], fs["largest_process_rss_mb"]["rasa_after_load"],
                             fs["pss_mb"]["rasa_after_load"])
        found.append((f"{name}: Rasa server RSS < 1 GB: {rss:.0f} MB over its processes "
                      f"(largest process {largest:.0f} MB, PSS {pss:.0f} MB)", rss < 1024))
        errors = sum(lv["errors"] for lv in fs["levels"])
        found.append((f"{name}: every turn answered as expected: {errors} errors", errors == 0))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="FirstStop on SQLite instead of a PostgreSQL database")
    parser.add_argument("--levels", default=DEFAULT_LEVELS, help=f"concurrency:conversations,… (default {DEFAULT_LEVELS})")
    parser.add_argument("--skip-stock", action="store_true", help="don't run the stock bot")
    parser.add_argument("--rasa-workers", default="1",
                        help="FirstStop configurations to run, by Sanic workers of the Rasa server (default 1: the "
                        "default set-up; 1,2 adds two workers sharing the Redis lock store)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the FirstStop processes (for measuring a lever)")
    parser.add_argument("--endpoints", help="another endpoints file for FirstStop's Rasa server (for measuring a lever)")
    parser.add_argument("--model", help="another trained FirstStop model, e.g. from another config (for measuring a lever)")
    parser.add_argument("--deploy", action="store_true",
                        help="the production shape: nginx in front of 2 Rasa and 2 action servers, against one server")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    levels = parse_levels(args.levels)
    extra_env = dict(item.split("=", 1) for item in args.env)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if args.deploy:
        run_deploy(levels, extra_env, Path(args.out or BENCH_DIR / "deploy.json"))
        return
    args.out = args.out or str(BENCH_DIR / "last.json")
    endpoints = args.endpoints and str(Path(args.endpoints).resolve())
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    load_before = proc.load_average()
    with tempfile.TemporaryDirectory(prefix="run-", dir=BENCH_DIR) as tmp, ExitStack() as running:
        run_dir = Path(tmp)
        variants: list[tuple[Target, str]] = [
            running.enter_context(firststop_running(int(w), args.sqlite, run_dir, extra_env, endpoints, args.model))
            for w in args.rasa_workers.split(",")
        ]
        stock = None if args.skip_stock else running.enter_context(stock_running(run_dir))
        # Level by level, one bot after the other, so all meet the same load from the rest of the machine.
        for concurrency, conversations in levels:
            for target in [t for t, _ in variants] + ([stock] if stock else []):
                target.result.levels.append(measure_level(target, concurrency, conversations))
        for target, database_url in variants:
            target.result.checks.update(firststop_checks(database_url, sum(c for _, c in levels)))
        running.close()
        report = {
            "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_average_before": load_before, "load_average_after": proc.load_average(),
            "database": "sqlite" if args.sqlite else "postgresql",
            "extra_env": extra_env, "endpoints": args.endpoints or "endpoints.yml", "model": args.model,
            "levels": args.levels,
            "firststop": [t.result.__dict__ for t, _ in variants], "stock": stock.result.__dict__ if stock else None,
        }
        report["targets"] = targets(report["firststop"], report["stock"])
        report["total_seconds"] = round(time.monotonic() - started, 1)
        Path(args.out).write_text(json.dumps(report, indent=1))
        print()
        print(render(report))
        print(f"\nbench took {report['total_seconds']:.0f} s; full results in {args.out}")


if __name__ == "__main__":
    main()
