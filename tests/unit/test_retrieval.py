"""Answers are found in the visitor's language: one index per language, built once per content version."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from firststop.settings import get_settings
from knowledge import store
from knowledge.retrieval import KnowledgeIndex
from knowledge.store import KnowledgeStore, cached_knowledge, load_off_topic, load_synonyms
from knowledge.understanding import read_question


@pytest.fixture(scope="module")
def knowledge():
    settings = get_settings()
    return cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)


@pytest.mark.parametrize("language, question, entry", [
    ("fr", "Quels sont vos horaires, vous êtes ouverts le samedi ?", "agency-opening-hours"),
    ("fr", "Combien peut-on toucher comme aide pour un projet de recherche quand on est une PME ?", "rdi-aid-amounts"),
    ("fr", "je voudrais que vous effaciez toutes mes données personnelles", "privacy-erasure"),
    ("de", "Wann haben Sie geöffnet?", "agency-opening-hours"),
    ("de", "Welche Förderung gibt es für ein Forschungsprojekt in unserem Betrieb?", "rd-funding"),
    ("de", "Bitte löschen Sie alle meine gespeicherten Daten", "privacy-erasure"),
])
def test_a_question_in_french_or_german_finds_its_entry(knowledge, language, question, entry):
    assert knowledge.answer(question, language).best.entry.id == entry
    assert read_question(knowledge, question, "ask_question", language=language).answer.best.entry.id == entry


def test_luxembourgish_questions_are_read_by_the_german_index(knowledge):
    assert knowledge.index_for("lb") is knowledge.index_for("de")
    assert knowledge.index_for("xx") is knowledge.index is knowledge.index_for("en")


def test_an_untranslated_entry_is_found_from_french(knowledge):
    settings = get_settings()
    entries = [dataclasses.replace(e, translations={}) if e.id == "fit-4-start" else e for e in knowledge.entries]
    index = KnowledgeIndex(entries, knowledge.index_for("fr").nlp, load_synonyms(settings.knowledge_dir / "synonyms.yml"),
                           load_off_topic(), "fr")
    assert index.answer("c'est quoi le programme Fit 4 Start ?").best.entry.id == "fit-4-start"


def test_off_topic_questions_in_french_and_german_get_no_answer(knowledge):
    assert knowledge.answer("qui a gagné le match de foot hier soir ?", "fr").best is None
    assert knowledge.answer("Wie wird das Wetter morgen?", "de").best is None


def _small_knowledge_dir(tmp_path: Path, keep: set[str]) -> Path:
    """A copy of knowledge/ whose content holds only the entries `keep` (and their translations)."""
    source = get_settings().knowledge_dir
    target = tmp_path / "knowledge"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for path in list((target / "content").glob("*.yml")) + list((target / "content" / "translations").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["entries"] = [e for e in data.get("entries") or [] if e["id"] in keep]
        for entry in data["entries"]:
            entry.pop("related", None)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def test_each_language_index_is_built_once_per_content_version(tmp_path, monkeypatch):
    built = []

    def counting_index(entries, nlp, synonyms, off_topic, language):
        built.append(language)
        return KnowledgeIndex(entries, nlp, synonyms, off_topic, language)

    monkeypatch.setattr(store, "KnowledgeIndex", counting_index)
    knowledge_dir = _small_knowledge_dir(tmp_path, {"agency-opening-hours", "privacy-erasure", "fit-4-start"})
    cache = tmp_path / "cache"
    first = KnowledgeStore(knowledge_dir, cache)
    knowledge = first.get()
    assert sorted(built) == ["de", "en", "fr"]
    assert first.get() is knowledge and first.get().index_for("fr") is knowledge.index_for("fr")
    assert KnowledgeStore(knowledge_dir, cache).get().index_for("de").language == "de"  # from the cache
    assert sorted(built) == ["de", "en", "fr"]

    french = knowledge_dir / "content" / "translations" / "fr.yml"
    french.write_text(french.read_text(encoding="utf-8") + "# edited by staff\n", encoding="utf-8")
    assert first.get() is not knowledge
    assert sorted(built) == ["de", "de", "en", "en", "fr", "fr"]


@pytest.mark.parametrize("said, entry", [
    ("Good afternoon, I'm the CTO of a company making hydraulic pumps for cranes. We plan a project with the university"
     " on predictive maintenance and I'd like to know what share of the costs the state could cover", "rdi-aid-amounts"),
    ("Our firm of 12 people repairs lifts and escalators across the country. Where do we submit the application for"
     " R&D aid?", "rdi-aid-application"),
])
def test_a_long_message_is_answered_on_the_part_that_asks(knowledge, said, entry):
    assert knowledge.answer(said).best.entry.id == entry


def test_greetings_and_contractions_do_not_count_against_a_question(knowledge):
    assert knowledge.answer("hello, we're wondering how much R&D aid we can get").best.entry.id == "rdi-aid-amounts"
