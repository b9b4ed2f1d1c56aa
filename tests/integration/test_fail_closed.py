"""Fail closed: no usable default secret, owner-only files, no pickle loaded from where others could write,
an action server beyond loopback only with a token, and the console under gunicorn without leaks in its logs."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from firststop.settings import ROOT, SettingsError, get_settings, secret_key
from launch import stack as stacks
from tests.conftest import eventually, free_port


@pytest.fixture
def settings_from(monkeypatch, tmp_path):
    """Settings built from the given environment (and var/ in a temporary folder)."""

    def build(**env):
        for name in ("SECRET_KEY", "FIRSTSTOP_ENV", "CONSOLE_URL", "SECURE_COOKIES"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("FIRSTSTOP_VAR", str(tmp_path / "var"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return get_settings()

    yield build
    get_settings.cache_clear()


def test_make_run_makes_a_random_key_once_and_keeps_it_owner_only(settings_from):
    settings = settings_from()
    key = secret_key(settings)
    path = settings.var_dir / "secret-key"
    assert len(key) >= 32 and key != "dev-only-change-me"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(settings) == key  # the same key on every start, so sessions survive a restart
    assert secret_key(settings_from()) == key


def test_another_machine_gets_another_key(settings_from, tmp_path):
    first = secret_key(settings_from())
    assert secret_key(settings_from(FIRSTSTOP_VAR=str(tmp_path / "other"))) != first


@pytest.mark.parametrize("env", [{"FIRSTSTOP_ENV": "production"}, {"CONSOLE_URL": "https://firststop.example.lu"}])
def test_production_refuses_to_run_without_a_key_and_says_how_to_set_one(settings_from, env):
    settings = settings_from(**env)
    assert settings.production
    with pytest.raises(SettingsError, match="SECRET_KEY") as raised:
        secret_key(settings)
    assert "secrets.token_urlsafe" in str(raised.value)
    assert not (settings.var_dir / "secret-key").exists()  # no file fallback in production


def test_a_weak_key_is_refused_even_outside_production(settings_from):
    with pytest.raises(SettingsError, match="too short"):
        secret_key(settings_from(SECRET_KEY="changeme"))


def test_a_strong_key_from_the_environment_is_used_in_production(settings_from):
    strong = "k" * 20 + "9f8e7d6c5b4a3210"
    assert secret_key(settings_from(FIRSTSTOP_ENV="production", SECRET_KEY=strong)) == strong


def test_https_console_means_secure_cookies(settings_from):
    assert settings_from(CONSOLE_URL="https://firststop.example.lu").secure_cookies
    assert not settings_from().secure_cookies


def test_the_console_does_not_start_in_production_without_a_key(settings_from):
    from console import create_app

    settings_from(FIRSTSTOP_ENV="production")
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        create_app()


def test_the_launcher_refuses_to_start_anything_in_production_without_a_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(FIRSTSTOP_ENV="production", FIRSTSTOP_VAR=str(tmp_path / "var"), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "launch.launcher"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "export SECRET_KEY=" in result.stderr
    assert "starting" not in result.stdout and not (tmp_path / "var" / "log").exists()


def test_var_is_owner_only_and_so_is_everything_made_in_it_later(tmp_path):
    var = tmp_path / "var"
    (var / "mail").mkdir(parents=True)
    (var / "mail" / "old.eml").write_text("From: someone\n")
    os.chmod(var / "mail" / "old.eml", 0o644)
    script = (
        "import sys; from pathlib import Path; from launch.launcher import secure_var_dir\n"
        "var = Path(sys.argv[1]); secure_var_dir(var)\n"
        "(var / 'log').mkdir(); (var / 'log' / 'rasa.log').write_text('x'); (var / 'firststop.db').write_bytes(b'')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(var)], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    for path in [var, *var.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


class _Planted:
    """A pickle that, when loaded, leaves a file behind: proof that loading it ran code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_knowledge_cache_others_could_have_written_is_never_loaded(tmp_path):
    from knowledge.store import cached_knowledge, content_hash

    settings = get_settings()
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)  # a folder anyone may write to
    planted = cache / f"knowledge-files-{content_hash(settings.knowledge_dir)}.pickle"
    marker = tmp_path / "pwned"
    planted.write_bytes(pickle.dumps(_Planted(str(marker))))
    knowledge = cached_knowledge(settings.knowledge_dir, cache)
    assert not marker.exists()
    assert knowledge.entries  # built afresh from the content files instead
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700  # and the folder is ours alone from now on


def test_an_action_server_beyond_loopback_refuses_to_start_without_a_token(tmp_path):
    env = {**stacks.base_env(), "SANIC_HOST": "0.0.0.0", "ACTION_SERVER_TOKEN": ""}
    result = subprocess.run([sys.executable, "-m", "server.action_server", "--actions", "actions",
                             "--port", str(free_port())], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and "ACTION_SERVER_TOKEN" in result.stderr


@pytest.mark.full  # starts a server itself
def test_an_action_server_with_a_token_refuses_calls_without_it_and_never_echoes_a_tracker(tmp_path):
    port = free_port()
    stack = stacks.Stack(tmp_path / "log", env={"ACTION_SERVER_TOKEN": "a-shared-token-of-some-length"})
    service = next(s for s in stacks.services(ROOT / "models" / "unused", action_port=port) if s.name == "actions")
    stack.start(service)
    try:
        # A malformed call whose tracker carries a visitor's address: the failure must not send it back.
        call = {"next_action": "action_log_contact", "sender_id": "x", "tracker": {"slots": {"email": "anna@x.lu"}}}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/webhook", data=json.dumps(call).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401
        request.add_header("X-FirstStop-Token", "a-shared-token-of-some-length")
        with pytest.raises(urllib.error.HTTPError) as failed:  # past the token check: the call itself fails
            urllib.request.urlopen(request, timeout=10)
        assert failed.value.code == 500
        assert "anna@x.lu" not in failed.value.read().decode()
        assert "anna@x.lu" not in (tmp_path / "log" / "actions.log").read_text()
    finally:
        stack.stop_all()


@pytest.mark.full  # starts a server itself
def test_the_console_runs_under_gunicorn_without_a_version_banner_or_query_strings_in_its_log(tmp_path):
    from members.schema import upgrade

    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    upgrade(database_url)
    port = free_port()
    stack = stacks.Stack(tmp_path / "log", env={"DATABASE_URL": database_url, "FIRSTSTOP_VAR": str(tmp_path)})
    service = next(s for s in stacks.services(ROOT / "models" / "unused", console_port=port) if s.name == "console")
    assert "gunicorn" in service.command
    stack.start(service)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            server = response.headers.get("Server", "")
        assert not any(c.isdigit() for c in server) and "Werkzeug" not in server and "Python" not in server
        urllib.request.urlopen(f"http://127.0.0.1:{port}/console/login?next=/console/search%3Fq%3DAnna-Marker",
                               timeout=10).close()
        log = tmp_path / "log" / "console.log"
        assert eventually(lambda: "/console/login" in log.read_text())
        assert "Anna-Marker" not in log.read_text()
    finally:
        stack.stop_all()
        shutil.rmtree(tmp_path / "log", ignore_errors=True)
