"""The one way to start a FirstStop stack: prepare it (knowledge, database, model), start its processes on given
ports with a given environment, restart or stop them. Used by `make run`, `make deploy-local`, the tests and the
benchmark; the production shape (nginx in front of two Rasa servers and two action servers) is `deploy()`."""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from firststop.settings import ROOT, get_settings

MODEL_INPUTS = ("config.yml", "domain.yml", "bot")
PYTHON = sys.executable
RASA = str(Path(PYTHON).with_name("rasa"))
DEPLOY_DIR = ROOT / "deploy"
# A PostgreSQL server on which scratch databases (tests, benchmark) may be created and dropped.
SCRATCH_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


class NoDatabaseServer(RuntimeError):
    """There is no PostgreSQL server to make a scratch database on."""


class StartFailed(RuntimeError):
    """A process of the stack exited or did not become healthy in time; the message names its log."""


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every FirstStop process runs with."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=str(ROOT),
        TF_CPP_MIN_LOG_LEVEL="3",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    env.setdefault("ACTION_SERVER_TOKEN", "")
    env.update(extra or {})
    # endpoints.yml's lock store: in memory for one Rasa process, Redis when it runs several Sanic workers.
    several_workers = env.get("SANIC_WORKERS", "1").strip() not in ("", "1")
    env.setdefault("LOCK_STORE", "redis" if several_workers else "in_memory")
    env.setdefault("REDIS_HOST", "127.0.0.1")
    env.setdefault("REDIS_PORT", "6379")
    env.setdefault("REDIS_DB", "1")
    return env


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Preparing: knowledge, database, model.

def model_fingerprint() -> str:
    """A hash of everything `rasa train` reads; a model named after it needs no retraining."""
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        path = ROOT / name
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def train_if_needed(log_dir: Path) -> tuple[Path, float | None]:
    """Train the Rasa model only when its inputs changed; returns the model and the training time."""
    models = ROOT / "models"
    model = models / f"firststop-{model_fingerprint()}.tar.gz"
    if model.exists():
        return model, None
    models.mkdir(exist_ok=True)
    with open(models / ".training", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process (a second test worker) may be training this very model
        if model.exists():
            return model, None
        log_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(log_dir / "train.log", "w") as log:
            result = subprocess.run(
                [RASA, "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "bot",
                 "--out", str(models), "--fixed-model-name", model.name.removesuffix(".tar.gz")],
                cwd=ROOT, env=base_env(), stdout=log, stderr=subprocess.STDOUT,
            )
    if result.returncode != 0 or not model.exists():
        raise SystemExit(f"rasa train failed; see {log_dir / 'train.log'}")
    return model, time.monotonic() - started


def build_knowledge() -> None:
    """Build the spaCy pipeline and the retrieval model from knowledge/ into the cache the actions load."""
    from knowledge.store import cached_knowledge

    settings = get_settings()
    cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)


def seed_content(database_url: str) -> int:
    """On first start, copy knowledge/'s files into the database the console edits (then the assistant answers
    from the database); returns the items created, 0 when it already held content."""
    from members.content_store import seed_if_empty
    from members.db import session_factory

    with session_factory(database_url).begin() as session:
        return seed_if_empty(session, get_settings().knowledge_dir)


def prepare(database_url: str, log_dir: Path) -> tuple[Path, float | None]:
    """Everything a stack needs before its processes start: the knowledge cache, the migrated database with its
    reference data, and the trained model (returned, with the training time if it had to be trained)."""
    from members.schema import prepare_database

    build_knowledge()
    prepare_database(database_url)
    seed_content(database_url)
    return train_if_needed(log_dir)


def make_database(kind: str, directory: Path, admin_url: str = SCRATCH_POSTGRES_URL,
                  template: str | None = None) -> tuple[str, Callable[[], None]]:
    """A new scratch database of `kind` ('sqlite' in `directory`, or 'postgresql' on `admin_url`'s server), empty or
    a copy of the `template` database of the same kind (which nothing may be connected to), and a function that
    closes this process's connections to it and removes it. Raises NoDatabaseServer."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from members.db import engine_for

    if kind == "sqlite":
        path = directory / "firststop.db"
        if template:
            shutil.copyfile(make_url(template).database, path)
        url = f"sqlite:///{path}"
        return url, lambda: engine_for(url).dispose()
    name = f"firststop_test_{uuid.uuid4().hex[:10]}"

    def admin(statement: str) -> None:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    try:
        admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{make_url(template).database}"' if template else ""))
    except OperationalError as error:
        raise NoDatabaseServer(f"no PostgreSQL server at {admin_url}: {error.orig}") from None

    def drop() -> None:
        engine_for(url).dispose()
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    return url, drop


# Running: processes on ports.

def wait_for(url: str, timeout: float, process: subprocess.Popen | None = None) -> float:
    """Poll `url` until it answers 2xx; returns seconds waited. Fails early if the process died."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 300:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Service:
    """A process of the stack: how to start it and how to know it is up (and ready for traffic)."""

    name: str
    command: list[str]
    health: str | None = None
    timeout: float = 120.0
    env: dict[str, str] = field(default_factory=dict)  # this process's own additions to the stack's environment


@dataclass
class Ports:
    """Where one stack's processes listen."""

    rasa: int = 5005
    actions: int = 5055
    console: int = 8000
    smtp: int | None = None

    @classmethod
    def free(cls, smtp: bool = True) -> Ports:
        """Free ports for everything (a test's or the benchmark's own stack)."""
        return cls(free_port(), free_port(), free_port(), free_port() if smtp else None)


def action_server(name: str, port: int) -> Service:
    """An action server on loopback, ready once the knowledge is loaded and the database answers."""
    return Service(name, [PYTHON, "-m", "server.action_server", "--actions", "actions", "--port", str(port)],
                   f"http://127.0.0.1:{port}/ready")


def rasa_server(name: str, model: Path, port: int, interface: str = "127.0.0.1") -> Service:
    """A Rasa server with the model; its port opens once the model is loaded."""
    # No --cors: server.rasa_server sets CORS (and the request size limit) from the Rasa process's own
    # settings, so CORS_ORIGINS given to this process's environment is what Rasa answers.
    return Service(name, [PYTHON, "-m", "server.rasa_server", "run", "--model", str(model),
                          "--interface", interface, "--port", str(port),
                          "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
                   f"http://127.0.0.1:{port}/webhooks/rest/", timeout=240)


def console_server(port: int, workers: int | None = None) -> Service:
    """The console under gunicorn (console/gunicorn_conf.py), ready once its database answers."""
    return Service("console", [PYTHON, "-m", "gunicorn", "--config", "python:console.gunicorn_conf",
                               "--bind", f"127.0.0.1:{port}", "console:create_app()"],
                   f"http://127.0.0.1:{port}/readyz", env={"CONSOLE_WORKERS": str(workers)} if workers else {})


def worker() -> Service:
    """The background worker (outbox, reminders, spool, retention, search index)."""
    return Service("worker", [PYTHON, "-m", "worker"])


def services(model: Path, rasa_port: int = 5005, action_port: int = 5055, console_port: int = 8000,
             smtp_port: int | None = None) -> list[Service]:
    """The processes of a full one-machine stack on the given ports, in start order."""
    smtp = [Service("mailsink", [PYTHON, "-m", "handoff.mailsink", "--port", str(smtp_port)])] if smtp_port else []
    return smtp + [action_server("actions", action_port), rasa_server("rasa", model, rasa_port), worker(),
                   console_server(console_port)]


def stack_env(database_url: str, var_dir: Path, ports: Ports, extra: dict[str, str] | None = None,
              action_url: str | None = None) -> dict[str, str]:
    """The environment shared by a stack's processes: its database, var/, ports and mail relay."""
    env = {"DATABASE_URL": database_url, "FIRSTSTOP_VAR": str(var_dir),
           "ACTION_SERVER_URL": action_url or f"http://127.0.0.1:{ports.actions}/webhook",
           "RASA_URL": f"http://127.0.0.1:{ports.rasa}"}
    if ports.smtp:
        env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(ports.smtp))
    return {**env, **(extra or {})}


@dataclass
class Stack:
    """Running processes, started in order, restarted by name and stopped together."""

    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ready_seconds: dict[str, float] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)

    def start(self, service: Service, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start one service and wait until it is healthy."""
        self.services[service.name] = service
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{service.name}.log", "ab")
        process = subprocess.Popen(
            service.command, cwd=ROOT, env=base_env({**self.env, **service.env, **(extra_env or {})}),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        self.processes[service.name] = process
        if service.health:
            try:
                self.ready_seconds[service.name] = wait_for(service.health, service.timeout, process)
            except (RuntimeError, TimeoutError) as error:
                raise StartFailed(f"{service.name} did not start ({error}); see {self.log_dir / service.name}.log") from error
        return process

    def start_all(self, services: Iterable[Service], only: Iterable[str] | None = None) -> Stack:
        """Start the services (those named in `only`, when given) in order; returns the stack."""
        wanted = None if only is None else set(only)
        for service in services:
            if wanted is None or service.name in wanted:
                self.start(service)
        return self

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Stop one service (and its children): `sig` first (SIGTERM lets it finish its requests), then SIGKILL."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self, name: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """Stop a service gracefully if it runs, then start it again and wait until it is ready."""
        self.stop(name)
        return self.start(self.services[name], extra_env)

    def alive(self) -> bool:
        """Whether every process started is still running."""
        return all(p.poll() is None for p in self.processes.values())

    def stop_all(self) -> None:
        """Stop every service, the last started first."""
        for name in reversed(list(self.processes)):
            self.stop(name)


def start(model: Path, log_dir: Path, env: dict[str, str], ports: Ports, only: Iterable[str] | None = None) -> Stack:
    """Start a one-machine stack (the parts named in `only`, by default all) and return it; on failure, whatever
    was started is stopped again."""
    stack = Stack(log_dir, env=env)
    try:
        return stack.start_all(services(model, ports.rasa, ports.actions, ports.console, ports.smtp), only)
    except BaseException:
        stack.stop_all()
        raise


# The production shape on one machine: nginx in front of two Rasa servers and two action servers.

@dataclass
class DeployPorts:
    """Where the parts of the production shape listen (nginx's `public` port is the only one visitors use)."""

    public: int = 8080
    actions_balancer: int = 5050  # nginx, loopback only: the Rasa servers' way to the action servers
    rasa: tuple[int, ...] = (5005, 5006)
    actions: tuple[int, ...] = (5055, 5056)
    console: int = 8000
    smtp: int | None = None

    @classmethod
    def free(cls, servers: int = 2, smtp: bool = True) -> DeployPorts:
        """Free ports for everything, with `servers` Rasa servers and as many action servers."""
        return cls(free_port(), free_port(), tuple(free_port() for _ in range(servers)),
                   tuple(free_port() for _ in range(servers)), free_port(), free_port() if smtp else None)


TEMPLATE_FIELD = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def render_template(template: str, values: dict[str, str]) -> str:
    """Fill the `{{ name }}` fields of a deploy/ template; a field without a value is an error."""
    missing = sorted({name for name in TEMPLATE_FIELD.findall(template) if name not in values})
    if missing:
        raise KeyError(f"no value for template fields {', '.join(missing)}")
    return TEMPLATE_FIELD.sub(lambda match: str(values[match.group(1)]), template)


def nginx_config(ports: DeployPorts, run_dir: Path, host: str = "127.0.0.1") -> Path:
    """deploy/nginx.conf.template filled with these ports, written to run_dir/nginx.conf (nginx's prefix)."""
    upstream = "max_fails=1 fail_timeout=5s"  # passive check: a refused or failed request takes a server out 5 s
    values = {
        "run_dir": str(run_dir),
        "listen": f"{host}:{ports.public}",
        "actions_listen": f"127.0.0.1:{ports.actions_balancer}",
        "rasa_servers": " ".join(f"server 127.0.0.1:{port} {upstream};" for port in ports.rasa),
        "action_servers": " ".join(f"server 127.0.0.1:{port} {upstream};" for port in ports.actions),
        "console_server": f"server 127.0.0.1:{ports.console};",
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "nginx.conf"
    path.write_text(render_template((DEPLOY_DIR / "nginx.conf.template").read_text(), values))
    return path


def nginx_binary() -> str:
    """Debian's nginx (`apt-get install nginx-light`); StartFailed when it isn't installed."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not found:
        raise StartFailed("nginx is not installed: apt-get install -y nginx-light (make deploy-local does)")
    return found


def nginx(config: Path, public_port: int) -> Service:
    """nginx in the foreground with the rendered configuration."""
    return Service("nginx", [nginx_binary(), "-p", str(config.parent), "-c", str(config), "-g", "daemon off;"],
                   f"http://127.0.0.1:{public_port}/healthz")


def deploy_services(model: Path, ports: DeployPorts, config: Path, console_workers: int = 2) -> list[Service]:
    """The production shape's processes, in start order: mail sink (when local), action servers, Rasa servers
    (reaching the action servers through nginx), the worker, the console, then nginx in front."""
    smtp = [Service("mailsink", [PYTHON, "-m", "handoff.mailsink", "--port", str(ports.smtp)])] if ports.smtp else []
    actions = [action_server(f"actions-{n}", port) for n, port in enumerate(ports.actions, 1)]
    rasa = [rasa_server(f"rasa-{n}", model, port) for n, port in enumerate(ports.rasa, 1)]
    return smtp + actions + rasa + [worker(), console_server(ports.console, console_workers),
                                    nginx(config, ports.public)]


def deploy_env(database_url: str, var_dir: Path, ports: DeployPorts, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The production shape's shared environment: the Redis lock store, the action servers behind nginx, nginx as
    the only trusted proxy, and the public address as the chat and console URL."""
    public = f"http://127.0.0.1:{ports.public}"
    env = stack_env(database_url, var_dir, Ports(ports.public, ports.actions_balancer, ports.console, ports.smtp),
                    action_url=f"http://127.0.0.1:{ports.actions_balancer}/webhook")
    env.update(LOCK_STORE="redis", TRUSTED_PROXIES="127.0.0.1", RASA_URL=public)
    env.setdefault("CONSOLE_URL", public)
    return {**env, **(extra or {})}


def deploy(model: Path, run_dir: Path, env: dict[str, str], ports: DeployPorts, console_workers: int = 2) -> Stack:
    """Start the production shape on one machine (nginx configuration rendered into `run_dir`) and return it."""
    config = nginx_config(ports, run_dir)
    stack = Stack(run_dir / "log", env=env)
    try:
        return stack.start_all(deploy_services(model, ports, config, console_workers))
    except BaseException:
        stack.stop_all()
        raise


def env_file(path: Path) -> dict[str, str]:
    """NAME=VALUE lines of an environment file (as systemd's EnvironmentFile reads them; # starts a comment)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().strip('"')
    return values
