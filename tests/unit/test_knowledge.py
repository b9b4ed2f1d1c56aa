"""The content files load, cover what the agency must answer, and retrieval and routing use them."""
from __future__ import annotations

import pytest

from firststop.settings import get_settings
from knowledge.content import CLUSTER_IDS, ContentError, load_entries
from knowledge.routing import choose_advisor
from knowledge.store import cached_knowledge

REQUIRED_ENTRIES = {
    "agency-about", "agency-partners", "agency-services", "agency-audience", "agency-figures", "agency-contact",
    "advisor-meeting", "cluster-initiative", "cluster-activities", "cluster-membership", "rd-funding",
    "eu-research-programmes", "research-partner", "technology-transfer", "intellectual-property",
    "startup-business-plan", "startup-financing", "greater-region", "interregional-projects",
    "luxembourg-figures", "privacy", "privacy-erasure",
} | {f"cluster-{c}" for c in CLUSTER_IDS}


@pytest.fixture(scope="module")
def knowledge():
    settings = get_settings()
    return cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)


def test_every_required_topic_has_an_entry_with_source_and_review_date(knowledge):
    entries = {e.id: e for e in knowledge.entries}
    assert REQUIRED_ENTRIES <= set(entries)
    for entry in entries.values():
        assert entry.source and entry.reviewed and entry.language == "en" and len(entry.examples) >= 5


def test_the_seed_is_named_as_source_of_the_agencys_facts(knowledge):
    entries = {e.id: e for e in knowledge.entries}
    assert "seed" in entries["agency-figures"].source.lower() or "2008" in entries["agency-figures"].source


def test_a_broken_content_file_is_reported_clearly(tmp_path):
    (tmp_path / "bad.yml").write_text("entries:\n  - id: x\n    title: T\n")
    with pytest.raises(ContentError, match="bad.yml entry 1: '.*' is missing"):
        load_entries(tmp_path)


@pytest.mark.parametrize("question, entry", [
    ("Can I get money for an R&D project?", "rd-funding"),
    ("what is your phone number", "agency-contact"),
    ("how do I delete my data", "privacy-erasure"),
    ("who are the partners of Luxinnovation", "agency-partners"),
])
def test_questions_find_their_entry(knowledge, question, entry):
    assert knowledge.index.answer(question).best.entry.id == entry


@pytest.mark.parametrize("question", ["find me an apartment in Kirchberg", "who won the football match?"])
def test_off_topic_questions_get_no_answer(knowledge, question):
    assert knowledge.index.answer(question).best is None


def test_a_follow_up_uses_the_previous_topic(knowledge):
    answer = knowledge.index.answer("and for start-ups?", previous="rd-funding")
    assert answer.best is not None and answer.best.entry.id.startswith("startup")


def test_routing_names_the_cluster_and_the_terms_that_decided(knowledge):
    route = knowledge.router.route("We develop anti-corrosion coatings for steel")
    assert route.decision == "cluster" and route.best.cluster.id == "surfmat"
    assert "SurfMat" in route.reason and 0 < route.confidence <= 1


def test_a_vague_description_asks_instead_of_guessing(knowledge):
    assert knowledge.router.route("I have a project").decision == "vague"


def test_a_description_outside_every_cluster_fits_none(knowledge):
    assert knowledge.router.route("We run a family bakery and want to open a second shop in town").decision == "none"


def test_advisor_is_chosen_by_cluster_then_language_then_availability_then_load(knowledge):
    advisors = knowledge.advisors
    surfmat = [a for a in advisors.advisors if "surfmat" in a.clusters]
    assert len(surfmat) >= 2
    german = choose_advisor(advisors, "surfmat", "de", {})
    assert "de" in german.languages
    busy = {german.id: 50}
    other = choose_advisor(advisors, "surfmat", "en", busy)
    assert other.id != german.id or len(surfmat) == 1
    assert choose_advisor(advisors, None, "en", {}).general
