"""deploy/ is what production runs: the nginx template renders to a configuration nginx accepts, the systemd
units pass `systemd-analyze verify`, the example environment file is complete and holds no usable secret, and
the readiness checks the balancer and the launcher use answer 503 without the database."""
from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from console import create_app
from firststop.settings import ROOT
from launch import stack as stacks

DOWN = "postgresql+psycopg2://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1
UNITS = sorted((stacks.DEPLOY_DIR / "systemd").glob("*.service"))


def test_the_nginx_template_renders_to_a_configuration_nginx_accepts(tmp_path):
    nginx = shutil.which("nginx") or (shutil.which("/usr/sbin/nginx"))
    if not nginx:
        pytest.skip("nginx is not installed (.ci/run installs nginx-light)")
    ports = stacks.DeployPorts.free()
    config = stacks.nginx_config(ports, tmp_path)
    text = config.read_text()
    assert "{{" not in text and all(f"127.0.0.1:{port} max_fails" in text for port in ports.rasa + ports.actions)
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_template_field_without_a_value_is_refused():
    with pytest.raises(KeyError, match="listen"):
        stacks.render_template("listen {{ listen }};", {})


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_systemd_units_verify(tmp_path):
    assert {u.name for u in UNITS} >= {"firststop-rasa@.service", "firststop-actions@.service",
                                       "firststop-console.service", "firststop-worker.service"}
    for unit in UNITS:  # as installed in /opt/firststop; here the checkout stands in for it
        name = unit.name.replace("@.", "@5005.")
        (tmp_path / name).write_text(unit.read_text().replace("/opt/firststop", str(ROOT)))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(map(str, tmp_path.iterdir()))],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_example_environment_is_production_and_has_no_secret():
    env = stacks.env_file(stacks.DEPLOY_DIR / "firststop.env.example")
    assert env["FIRSTSTOP_ENV"] == "production" and env["SECRET_KEY"] == ""
    assert env["LOCK_STORE"] == "redis" and env["DATABASE_URL"].startswith("postgresql")
    for name in ("CONSOLE_URL", "CORS_ORIGINS", "TRUSTED_PROXIES", "SMTP_HOST", "SMTP_PORT", "ACTION_SERVER_URL"):
        assert env[name], name


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_the_console_is_not_ready_without_its_database(db_url):
    assert create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t"}).test_client().get("/readyz").status_code == 200
    down = create_app({"DATABASE_URL": DOWN, "TESTING": True, "SECRET_KEY": "t"}).test_client()
    assert down.get("/healthz").status_code == 200 and down.get("/readyz").status_code == 503


@pytest.mark.full  # starts a server itself
def test_an_action_server_without_its_database_is_alive_but_not_ready(tmp_path):
    port = stacks.free_port()
    running = stacks.Stack(tmp_path / "log", env={"DATABASE_URL": DOWN, "FIRSTSTOP_VAR": str(tmp_path)})
    service = stacks.action_server("actions", port)
    running.start(stacks.Service(service.name, service.command, f"http://127.0.0.1:{port}/health"))
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=10)
        assert refused.value.code == 503
    finally:
        running.stop_all()
