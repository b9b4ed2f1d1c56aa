"""Prepare and start FirstStop's processes: pipeline, database, model, then the servers. Used by
`make run`, the tests and the benchmark, so all three run the system the same way."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from firststop.settings import ROOT, SettingsError, get_settings, secret_key

MODEL_INPUTS = ("config.yml", "domain.yml", "bot")
PYTHON = sys.executable
RASA = str(Path(PYTHON).with_name("rasa"))


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


def prepare_database(database_url: str) -> None:
    """Migrate the database to head and load clusters and advisors from knowledge/."""
    from knowledge.content import load_advisors, load_clusters
    from members.db import session_factory
    from members.schema import sync_reference_data, upgrade

    settings = get_settings()
    upgrade(database_url)
    with session_factory(database_url).begin() as session:
        sync_reference_data(
            session,
            load_clusters(settings.knowledge_dir / "clusters.yml"),
            load_advisors(settings.knowledge_dir / "advisors.yml"),
        )


def secure_var_dir(var_dir: Path) -> None:
    """Make var/ (database, key, mails, logs, spool) readable by its owner only, now and for what comes."""
    os.umask(0o077)
    var_dir.mkdir(parents=True, exist_ok=True)
    for path in [var_dir, *var_dir.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & 0o700)


def ensure_admin(database_url: str, password_file: Path) -> str:
    """On first run, create a console admin with a random password, which must be changed at first login;
    returns what to print: the password the first time only, afterwards where it is kept until then."""
    import secrets

    from sqlalchemy import func, select

    from console.cli import upsert_user
    from members.db import session_factory
    from members.models import StaffUser

    with session_factory(database_url)() as session:
        if session.scalar(select(func.count()).select_from(StaffUser)):
            if password_file.exists():
                return f"first-login password in {password_file}"
            return "password as you set it; `make admin` resets it"
    password = secrets.token_urlsafe(12)
    upsert_user(database_url, "admin@example.org", password, "admin", must_change=True)
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(password + "\n")
    return f"{password}, to be changed at first login"


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
    """A process of the stack: how to start it and how to know it is up."""

    name: str
    command: list[str]
    health: str | None = None
    timeout: float = 120.0


def services(model: Path, rasa_port: int = 5005, action_port: int = 5055, console_port: int = 8000,
             smtp_port: int | None = None) -> list[Service]:
    """The processes of a full stack on the given ports."""
    smtp = [Service("mailsink", [PYTHON, "-m", "handoff.mailsink", "--port", str(smtp_port)])] if smtp_port else []
    return smtp + [
        Service("actions", [PYTHON, "-m", "firststop.action_server", "--actions", "actions", "--port", str(action_port)],
                f"http://127.0.0.1:{action_port}/health"),
        # No --cors: firststop.rasa_server sets CORS (and the request size limit) from the Rasa process's own
        # settings, so CORS_ORIGINS given to this process's environment is what Rasa answers.
        Service("rasa", [PYTHON, "-m", "firststop.rasa_server", "run", "--model", str(model),
                         "--interface", "127.0.0.1", "--port", str(rasa_port),
                         "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
                f"http://127.0.0.1:{rasa_port}/webhooks/rest/", timeout=240),
        Service("sender", [PYTHON, "-m", "handoff.sender"]),
        Service("console", [PYTHON, "-m", "gunicorn", "--config", "python:console.gunicorn_conf",
                            "--bind", f"127.0.0.1:{console_port}", "console:create_app()"],
                f"http://127.0.0.1:{console_port}/healthz"),
    ]


@dataclass
class Stack:
    """Running processes, started in order and stopped together."""

    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ready_seconds: dict[str, float] = field(default_factory=dict)

    def start(self, service: Service, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start one service and wait until it is healthy."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{service.name}.log", "ab")
        process = subprocess.Popen(
            service.command, cwd=ROOT, env=base_env({**self.env, **(extra_env or {})}),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes[service.name] = process
        if service.health:
            try:
                self.ready_seconds[service.name] = wait_for(service.health, service.timeout, process)
            except (RuntimeError, TimeoutError) as error:
                raise RuntimeError(f"{service.name} did not start ({error}); see {self.log_dir / service.name}.log") from error
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop one service (and its children)."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)


def main() -> None:  # pragma: no cover - `make run`
    settings = get_settings()
    secure_var_dir(settings.var_dir)
    try:
        secret_key(settings)  # made on first start in var/; in production it must come from the environment
    except SettingsError as error:
        raise SystemExit(f"FirstStop can't start: {error}") from None
    log_dir = settings.var_dir / "log"
    print("• building the spaCy pipeline and the answer index from knowledge/", flush=True)
    build_knowledge()
    print(f"• preparing the database {settings.database_url}", flush=True)
    prepare_database(settings.database_url)
    print("• training the Rasa model if its inputs changed (log: var/log/train.log)", flush=True)
    password = ensure_admin(settings.database_url, settings.var_dir / "admin-password.txt")
    model, trained = train_if_needed(log_dir)
    print(f"  model {model.name}" + (f" trained in {trained:.0f} s" if trained else " (up to date)"), flush=True)
    stack = Stack(log_dir)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        for service in services(model, smtp_port=settings.smtp_port):
            print(f"• starting {service.name} (log: var/log/{service.name}.log)", flush=True)
            stack.start(service)
        print(
            "\nFirstStop is running:\n"
            f"  demo page with the chat widget  {settings.console_url}/\n"
            f"  advisor console                 {settings.console_url}/console  "
            f"(admin@example.org / {password})\n"
            f"  hand-off e-mails (mail sink)    {settings.console_url}/console/mail  and {settings.mail_dir}\n"
            f"  Rasa server                     {settings.rasa_url}/webhooks/rest/webhook\n"
            "Press Ctrl-C to stop everything.",
            flush=True,
        )
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        print(f"stopped because {', '.join(dead)} exited; see var/log/", flush=True)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        stack.stop_all()


if __name__ == "__main__":  # pragma: no cover
    main()
