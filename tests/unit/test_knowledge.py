"""The content files load, cover what the agency must answer, and retrieval and routing use them."""
from __future__ import annotations

import datetime as dt

import pytest

from firststop.settings import get_settings
from knowledge.asking import indirect_question, is_question
from knowledge.content import CLUSTER_IDS, ContentError, awaiting_review, load_entries
from knowledge.routing import choose_advisor
from knowledge.store import cached_knowledge
from knowledge.understanding import read_question

# The catalogue of topics shared by the content and the held-out evaluation (issue 16).
REQUIRED_ENTRIES = {
    "agency-about", "agency-partners", "agency-services", "agency-audience", "agency-figures", "agency-contact",
    "agency-opening-hours", "agency-events", "advisor-meeting",
    "cluster-initiative", "cluster-activities", "cluster-membership",
    "rd-funding", "rdi-aid-amounts", "rdi-aid-application", "young-innovative-enterprise",
    "sme-performance-programmes", "sme-packages", "ip-tax-regime", "public-loans",
    "startup-financing", "fit-4-start", "incubators", "startup-business-plan", "business-permit",
    "eu-research-programmes", "eurostars", "eic", "enterprise-europe-network", "greater-region",
    "interregional-projects",
    "research-centres", "fnr-company-schemes", "research-partner", "technology-transfer", "intellectual-property",
    "luxembourg-figures", "privacy", "privacy-erasure",
    "referral-tax", "referral-housing", "referral-employment", "referral-company-formalities",
} | {f"cluster-{c}" for c in CLUSTER_IDS}

@pytest.fixture(scope="module")
def knowledge():
    settings = get_settings()
    return cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)


def test_the_catalogue_is_exactly_the_shared_topic_list(knowledge):
    assert {e.id for e in knowledge.entries} == REQUIRED_ENTRIES


def test_every_entry_has_an_official_source_a_check_date_and_varied_examples(knowledge):
    for entry in knowledge.entries:
        assert entry.source_title and entry.source_url.startswith("https://"), entry.id
        assert entry.checked == dt.date(2026, 12, 1), entry.id
        assert isinstance(entry.needs_review, bool) and entry.language == "en", entry.id
        assert len(entry.examples) >= 8, entry.id
        assert any(len(x.split()) <= 3 for x in entry.examples), f"{entry.id}: no short phrasing"


def test_answers_are_concise(knowledge):
    for entry in knowledge.entries:
        assert len(entry.answer.split()) <= 95 and len(entry.more.split()) <= 155, entry.id


def test_entries_written_from_memory_await_staff_review(knowledge):
    waiting = awaiting_review(knowledge.entries)
    assert {e.id for e in waiting} == {e.id for e in knowledge.entries if e.needs_review}
    assert "rdi-aid-amounts" in {e.id for e in waiting}  # the intensities must be confirmed by staff


ENTRY = """entries:
  - id: x
    title: T
    answer: A
    examples: [q]
{source}
{checked}
"""
SOURCE = "    source: {title: Guichet.lu, url: 'https://guichet.public.lu/en.html'}"


@pytest.mark.parametrize("source, checked, error", [
    ("", "    checked: 2026-12-01", "'source' is missing"),
    ("    source: Seed document, 2008", "    checked: 2026-12-01", "'source' must be a mapping"),
    ("    source: {title: Guichet.lu}", "    checked: 2026-12-01", "'url' is missing"),
    ("    source: {url: 'https://guichet.public.lu'}", "    checked: 2026-12-01", "'title' is missing"),
    ("    source: {title: Guichet.lu, url: 'http://guichet.public.lu'}", "    checked: 2026-12-01", "https://"),
    (SOURCE, "", "'checked' is missing"),
    (SOURCE, "    checked: last week", "'checked' must be a date"),
    (SOURCE, "    checked: 2026-12-01\n    reviewed: 2026-11-26", "'reviewed' is replaced"),
    (SOURCE, "    checked: 2026-12-01\n    needs_review: maybe", "'needs_review' must be true or false"),
])
def test_an_entry_without_a_source_link_or_check_date_is_refused(tmp_path, source, checked, error):
    (tmp_path / "bad.yml").write_text(ENTRY.format(source=source, checked=checked))
    with pytest.raises(ContentError, match=error):
        load_entries(tmp_path)


def test_a_complete_entry_loads_with_its_staff_fields(tmp_path):
    (tmp_path / "ok.yml").write_text(ENTRY.format(source=SOURCE, checked="    checked: 2026-12-01")
                                     + "    staff_note: from memory\n    needs_review: true\n")
    (entry,) = load_entries(tmp_path)
    assert (entry.source_title, entry.source_url, entry.checked, entry.staff_note, entry.needs_review) == (
        "Guichet.lu", "https://guichet.public.lu/en.html", dt.date(2026, 12, 1), "from memory", True)


def test_a_broken_content_file_is_reported_clearly(tmp_path):
    (tmp_path / "bad.yml").write_text("entries:\n  - id: x\n    title: T\n")
    with pytest.raises(ContentError, match="bad.yml entry 1: '.*' is missing"):
        load_entries(tmp_path)


@pytest.mark.parametrize("question, entry", [
    ("Can I get money for an R&D project?", "rd-funding"),
    ("what is your phone number", "agency-contact"),
    ("how do I delete my data", "privacy-erasure"),
    ("who are the partners of Luxinnovation", "agency-partners"),
    # what a new visitor asked in issue 16 and got "I'm not sure" or a wrong answer for
    ("how much can I get?", "rdi-aid-amounts"),
    ("What is Fit 4 Start?", "fit-4-start"),
    ("Can SNCI give us a loan?", "public-loans"),
    ("horizon europe deadline", "eu-research-programmes"),
    ("opening hours", "agency-opening-hours"),
    ("Can I get the SME Package Digital?", "sme-packages"),
    ("is there a tax incentive for R&D?", "ip-tax-regime"),
    ("how many people work here?", "agency-figures"),
])
def test_questions_find_their_entry(knowledge, question, entry):
    assert knowledge.index.answer(question).best.entry.id == entry


def test_the_staff_question_gets_no_2007_headcount(knowledge):
    answer = knowledge.index.answer("how many people work here?").best.entry
    assert "21" not in answer.answer and "annual report" in answer.answer


@pytest.mark.parametrize("question, entry", [
    ("can you find me an apartment in Kirchberg?", "referral-housing"),
    ("how do I fill in my personal tax return?", "referral-tax"),
    ("I need a work permit", "referral-employment"),
    ("which legal form should I choose for my company?", "referral-company-formalities"),
])
def test_questions_for_other_offices_get_a_pointer_even_when_the_nlu_says_out_of_scope(knowledge, question, entry):
    reading = read_question(knowledge, question, "out_of_scope")
    assert reading.kind == "answer" and reading.answer.best.entry.id == entry


@pytest.mark.parametrize("question", ["who won the football match?", "what's the weather like tomorrow?"])
def test_off_topic_questions_get_no_answer(knowledge, question):
    assert knowledge.index.answer(question).best is None
    assert read_question(knowledge, question, "out_of_scope").kind == "out_of_scope"


def test_a_follow_up_uses_the_previous_topic(knowledge):
    answer = knowledge.index.answer("and for start-ups?", previous="rd-funding")
    assert answer.best is not None
    assert answer.best.entry.id in {"startup-financing", "young-innovative-enterprise", "fit-4-start",
                                    "startup-business-plan"}


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


@pytest.mark.parametrize("said", ["Water treatment that removes micropollutants from hospital effluent",
                                  "Satellite images that map floods for insurers"])
def test_a_statement_about_a_project_is_routed_not_answered(knowledge, said):
    reading = read_question(knowledge, said, "ask_question")
    assert reading.kind == "route" and reading.route.best is not None


@pytest.mark.parametrize("said", ["I need a doctor", "my wifi isn't working", "What is the EcoDev cluster?"])
def test_what_only_resembles_a_project_is_not_routed(knowledge, said):
    assert read_question(knowledge, said, "ask_question").kind != "route"


@pytest.mark.parametrize("said, asked", [
    ("We build drones and we'd like to know what funding we can get", "what funding we can get"),
    ("nous faisons des capteurs et j'aimerais savoir si une aide existe", "si une aide existe"),
    ("Wir bauen Drohnen und ich frage mich, ob es Förderung gibt", "ob es Förderung gibt"),
    ("We build drones for farmers", None),
])
def test_a_question_asked_inside_a_sentence_is_found(said, asked):
    assert indirect_question(said) == asked
    assert is_question(said) is (asked is not None)
