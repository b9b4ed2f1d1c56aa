"""The production shape on one machine (launch.stack.deploy): nginx in front of two Rasa servers and two
action servers sharing the Redis lock store and a PostgreSQL database, the console under gunicorn with two
workers, the worker, and a real SMTP server on loopback, all configured from deploy/firststop.env.example."""
from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass

import pytest

from handoff import mailsink
from launch import stack as stacks
from members import schema
from tests.conftest import LIMITS_OFF, make_database


@dataclass
class Deployed:
    """A running production shape: its processes, ports, database and the mails its SMTP server accepted."""

    stack: stacks.Stack
    ports: stacks.DeployPorts
    database_url: str
    smtp: object

    @property
    def chat_url(self) -> str:
        """The chat channel as visitors reach it: through nginx."""
        return f"http://127.0.0.1:{self.ports.public}/webhooks/rest/webhook"


def redis_answers() -> bool:
    """Whether the machine's Redis (the lock store) answers."""
    redis_cli = shutil.which("redis-cli")
    return bool(redis_cli) and subprocess.run([redis_cli, "ping"], capture_output=True, text=True).stdout.strip() == "PONG"


@pytest.fixture(scope="module")
def deployed(model_path, tmp_path_factory):
    """The shape, started once per test module; limits off because every visitor comes from loopback."""
    if not shutil.which("nginx") and not shutil.which("/usr/sbin/nginx"):
        pytest.skip("nginx is not installed (.ci/run and make deploy-local install nginx-light)")
    if not redis_answers():
        pytest.skip("no Redis server answers on loopback (the lock store)")
    var_dir = tmp_path_factory.mktemp("deploy")
    database_url, drop = make_database("postgresql", var_dir)
    schema.prepare_database(database_url)
    ports = stacks.DeployPorts.free(smtp=False)
    smtp_port = stacks.free_port()
    controller, _ = mailsink.start(var_dir / "mail", port=smtp_port)
    env = {
        **stacks.env_file(stacks.DEPLOY_DIR / "firststop.env.example"),
        **stacks.deploy_env(database_url, var_dir, ports),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
        "CORS_ORIGINS": f"http://127.0.0.1:{ports.public}",
        **LIMITS_OFF,
    }
    try:
        running = stacks.deploy(model_path, var_dir / "run", env, ports)
        try:
            yield Deployed(running, ports, database_url, controller)
        finally:
            running.stop_all()
    finally:
        controller.stop()
        drop()
