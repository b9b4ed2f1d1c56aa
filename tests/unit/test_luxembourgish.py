"""Luxembourgish questions are read in German by the German index (issue 15): the lexicon's words in German, the
Luxembourgish function words left out; German, French and English come through untouched."""
from __future__ import annotations

import gzip
import json
from importlib.resources import files

import pytest

from firststop.settings import get_settings
from knowledge.luxembourgish import MIN_SCORE, as_german, german_word, lexicon, score
from knowledge.nlp import fold
from knowledge.store import cached_knowledge

# Lexicon forms that are German words too, with the same meaning or one this domain never asks about.
SAME_IN_GERMAN = {"mensch", "inkubatoren", "inkubatore", "patenter", "schwatzen", "laschen"}


@pytest.fixture(scope="module")
def knowledge():
    settings = get_settings()
    return cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)


@pytest.mark.parametrize("said, read", [
    ("Wéi kann ech e Projet finanzéieren?", "kann projekt finanzieren?"),
    ("Wou kréien ech Hëllef fir eng Firma ze grënnen?", "bekommen hilfe Firma gründen?"),
    ("Gëtt et Subventiounen fir Fuerschung?", "subvention forschung?"),
    ("Wéi kann ech meng Donneeen laschen", "kann daten löschen"),  # typed without accents
])
def test_a_luxembourgish_question_is_read_in_german(said, read):
    assert as_german(said) == read


def test_a_compound_is_read_from_its_parts():
    assert german_word("Innovatiounsprojet") == "innovationsprojekt"
    assert german_word("Fuerschungsbäihëllef") == "forschungsbeihilfe"
    assert german_word("Fuerschungspartner") == "forschungspartner"
    assert german_word("Kirchberg") is None


def test_a_hyphenated_word_is_read_whole_or_part_by_part():
    assert as_german("Kann ech e Rendez-vous mat engem Beroder kréien?") == "Kann termin berater bekommen?"
    assert as_german("Wéi kréien ech eng Finanzéierung fir e F&E-Projet?") == "bekommen finanzierung F&E-projekt?"


@pytest.mark.parametrize("said", [
    "super, merci fir d'Informatiounen",  # '-ioun': French and German write '-ion'
    "Mir wëllen eis Produktioun digitaliseieren",  # '-éieren' typed without the accents
    "Jo, dat wier flott",
    "Wien steet hannert der Agence?",
])
def test_luxembourgish_spellings_and_words_without_accents_read_as_luxembourgish(said):
    assert score(said) >= MIN_SCORE


@pytest.mark.parametrize("said", [
    "Wir feiern unsere neue Produktion", "Merci pour les informations", "Nous organisons des événements",
    "Which ministries are your partners?",
])
def test_german_french_and_english_spellings_are_no_luxembourgish_evidence(said):
    assert score(said) <= 0


def test_words_the_content_uses_are_kept_as_written():
    assert as_german("Ech sichen e Member vum Cluster", known={"member"}) == "suchen Member Cluster"


@pytest.mark.parametrize("said", [
    "Wie kann ich ein Projekt finanzieren?", "Wir arbeiten eng mit der Universität zusammen",
    "Comment financer un projet de recherche ?", "We build star trackers for small satellites",
])
def test_german_french_and_english_come_through_untouched(said):
    assert as_german(said) == said


def test_no_lexicon_form_is_a_german_word_of_another_meaning():
    table = json.loads(gzip.decompress((files("spacy_lookups_data") / "data" / "de_lemma_lookup.json.gz").read_bytes()))
    german = {fold(w) for w in table} | {fold(w) for w in table.values() if isinstance(w, str)}
    assert {form for form in lexicon().german if form in german} <= SAME_IN_GERMAN


@pytest.mark.parametrize("question, entry", [
    ("Wou kann ech eng Demande fir eng Subventioun areechen?", "rdi-aid-application"),
    ("Ech wëll datt Dir all meng Donnéeën läscht", "privacy-erasure"),
])
def test_a_luxembourgish_question_finds_its_entry(knowledge, question, entry):
    answer = knowledge.answer(question, "lb")
    assert answer.best is not None and answer.best.entry.id == entry
