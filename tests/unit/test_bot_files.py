"""The bot's files agree: the domain's actions are exactly the registered ones; the data validates."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[2]


def test_domain_actions_and_registered_actions_are_the_same_set():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain["actions"]) == set(executor.actions)


def test_rasa_data_validate_reports_no_warnings():
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [str(Path(os.sys.executable).with_name("rasa")), "data", "validate", "--data", "bot", "--domain",
         "domain.yml", "--config", "config.yml", "--fail-on-warnings"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "UserWarning" in line]
    assert result.returncode == 0 and not warnings, "\n".join(warnings) or result.stdout[-2000:]
