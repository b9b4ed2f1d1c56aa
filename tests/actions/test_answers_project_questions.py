"""A message the NLU took for a project description still gets the answer to what it asks (issue 16)."""
from __future__ import annotations

import pytest

from actions.answers import answer_to_project_message
from firststop.settings import get_settings
from knowledge.store import cached_knowledge


@pytest.fixture(scope="module")
def knowledge():
    settings = get_settings()
    return cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)


@pytest.mark.parametrize("said, entry", [
    ("do software royalties get a tax break", "ip-tax-regime"),  # a question as a whole, one part
    ("We build drones and we'd like to know what funding we can get", "rd-funding"),  # asked inside a sentence
    ("We make coatings for steel. How much R&D aid can an SME get?", "rdi-aid-amounts"),  # its question part
])
def test_what_a_project_message_asks_is_answered(knowledge, said, entry):
    assert answer_to_project_message(knowledge, said).best.entry.id == entry


@pytest.mark.parametrize("said", [
    "We develop anti-corrosion coatings for steel",  # asks nothing: routed only
    "We build satellites, who should I contact?",  # whom to contact: the routing answers
])
def test_a_project_that_asks_nothing_the_routing_does_not_answer_gets_no_answer(knowledge, said):
    assert answer_to_project_message(knowledge, said) is None
