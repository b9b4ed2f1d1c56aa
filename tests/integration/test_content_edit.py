"""Editing a content file changes the bot's answer after a reload, with no retraining."""
from __future__ import annotations

import shutil
import uuid

import pytest

from firststop.settings import get_settings
from launch import stack as stacks
from members import schema
from tests.conftest import RunningStack


@pytest.fixture
def own_knowledge_stack(model_path, tmp_path, empty_db_url):
    """A Rasa server and an action server reading a copy of knowledge/ that the test may edit (on a database
    whose content editor was never seeded, so the files are the content)."""
    db_url = empty_db_url
    schema.prepare_database(db_url)
    knowledge = tmp_path / "knowledge"
    shutil.copytree(get_settings().knowledge_dir, knowledge, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    ports = stacks.Ports.free(smtp=False)
    env = stacks.stack_env(db_url, tmp_path, ports, {"KNOWLEDGE_DIR": str(knowledge),
                                                     "KNOWLEDGE_CACHE": str(tmp_path / "cache")})
    stack = stacks.start(model_path, tmp_path / "log", env, ports, only=("actions", "rasa"))
    try:
        yield RunningStack(stack, f"http://127.0.0.1:{ports.rasa}", db_url, None, tmp_path), knowledge
    finally:
        stack.stop_all()


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_an_edited_answer_is_given_without_retraining(own_knowledge_stack):
    stack, knowledge = own_knowledge_stack
    sender = uuid.uuid4().hex
    assert "5, avenue des Hauts-Fourneaux" in stack.say(sender, "what is your postal address?", timeout=120)
    path = knowledge / "content" / "agency.yml"
    path.write_text(path.read_text().replace("5, avenue des Hauts-Fourneaux", "42, avenue de la Gare"))
    reply = stack.say(sender, "what is your postal address?", timeout=120)
    assert "42, avenue de la Gare" in reply and "Alcide" not in reply.split("Source:")[0]
