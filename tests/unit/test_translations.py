"""Knowledge entries in French and German: loaded beside the English, English shown when one is missing, and
a translation flagged out of date as soon as its English source changes (issue 15 item 4)."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from firststop.settings import get_settings
from knowledge.content import ContentError, load_entries, stale_translations
from knowledge.store import content_hash
from tests.unit.test_visitor_text import MARKERS

CONTENT = get_settings().knowledge_dir / "content"
SHIPPED = sorted((CONTENT / "translations").glob("*.yml"))

ENGLISH = """entries:
  - id: rd-funding
    title: National funding for R&D
    answer: >-
      Companies can get **grants** from the
      Ministry of the Economy.
    more: Apply before you start.
    examples: ["can I get money for R&D?"]
    source: {title: Guichet.lu, url: 'https://guichet.public.lu/en.html'}
    checked: 2026-12-01
    staff_note: check the law of 6 June 2025
  - id: agency-contact
    title: How to reach us
    answer: Phone +352 43 62 63-1.
    examples: ["phone number?"]
    source: {title: Luxinnovation, url: 'https://www.luxinnovation.lu'}
    checked: 2026-12-01
"""
FRENCH = """language: fr
entries:
  - id: rd-funding
    translates: '{version}'
    title: Aides nationales à la R&D
    answer: >-
      Les entreprises peuvent obtenir des **subventions**
      du ministère de l'Économie.
    more: Déposez la demande avant de commencer.
    examples: ["aide R&D ?", "subvention pour un prototype"]
"""
RD_FUNDING_VERSION = hashlib.sha256(
    "\n".join(["National funding for R&D", "Companies can get **grants** from the Ministry of the Economy.",
               "Apply before you start."]).encode()).hexdigest()[:8]


def _content(tmp_path: Path, english: str = ENGLISH, **translations: str) -> Path:
    """A content folder with the English entries and one translation file per language given."""
    (tmp_path / "en.yml").write_text(english, encoding="utf-8")
    (tmp_path / "translations").mkdir(exist_ok=True)
    for language, text in translations.items():
        (tmp_path / "translations" / f"{language}.yml").write_text(text, encoding="utf-8")
    return tmp_path


def _by_id(content_dir: Path) -> dict:
    return {e.id: e for e in load_entries(content_dir)}


def test_the_version_is_a_fingerprint_of_the_english_text_as_loaded(tmp_path):
    entry = _by_id(_content(tmp_path))["rd-funding"]
    assert entry.version == RD_FUNDING_VERSION
    assert entry.translations == {} and not entry.stale("fr")


def test_a_translation_is_shown_in_its_language_and_the_english_elsewhere(tmp_path):
    entries = _by_id(_content(tmp_path, fr=FRENCH.format(version=RD_FUNDING_VERSION)))
    rd = entries["rd-funding"]
    french = rd.translations["fr"]
    assert (french.language, french.translates, french.examples) == (
        "fr", RD_FUNDING_VERSION, ("aide R&D ?", "subvention pour un prototype"))
    assert rd.in_language("fr") == ("Aides nationales à la R&D",
                                    "Les entreprises peuvent obtenir des **subventions** du ministère de l'Économie.",
                                    "Déposez la demande avant de commencer.", False)
    assert rd.in_language("en") == (rd.title, rd.answer, rd.more, False)
    # no German yet, and no French for the other entry: the English, saying so
    assert rd.in_language("de") == (rd.title, rd.answer, rd.more, True)
    contact = entries["agency-contact"]
    assert contact.in_language("fr") == (contact.title, contact.answer, "", True)
    assert not rd.stale("fr") and stale_translations(list(entries.values())) == []


def test_a_translation_is_flagged_stale_once_its_english_answer_changes(tmp_path):
    content = _content(tmp_path, fr=FRENCH.format(version=RD_FUNDING_VERSION))
    assert stale_translations(load_entries(content)) == []
    _content(tmp_path, ENGLISH.replace("Ministry of the Economy.", "Ministry of the Economy, up to 80%."))
    entries = load_entries(content)
    rd = next(e for e in entries if e.id == "rd-funding")
    assert rd.stale("fr") and not rd.stale("de")
    assert stale_translations(entries) == [("rd-funding", "fr")]
    # a stale translation is still the one shown (it is flagged for staff, in eval and the console)
    assert rd.in_language("fr")[1].startswith("Les entreprises") and rd.in_language("fr")[3] is False


def test_a_changed_staff_note_or_example_does_not_make_a_translation_stale(tmp_path):
    english = ENGLISH.replace("check the law of 6 June 2025", "checked again").replace(
        '["can I get money for R&D?"]', '["R&D grant?", "can I get money for R&D?"]')
    assert stale_translations(load_entries(_content(tmp_path, english, fr=FRENCH.format(version=RD_FUNDING_VERSION)))) == []


def test_editing_a_translation_reloads_the_knowledge(tmp_path):
    (tmp_path / "content").mkdir()
    content = _content(tmp_path / "content", fr=FRENCH.format(version=RD_FUNDING_VERSION))
    before = content_hash(tmp_path)
    (content / "translations" / "fr.yml").write_text(
        FRENCH.format(version=RD_FUNDING_VERSION).replace("Aides nationales", "Aide nationale"), encoding="utf-8")
    assert content_hash(tmp_path) != before


@pytest.mark.parametrize("french, error", [
    (FRENCH.replace("id: rd-funding", "id: rd-fundng"), r"fr.yml entry 1: no English entry with id 'rd-fundng'"),
    (FRENCH.replace("language: fr", "language: lb"), r"fr.yml: unknown language 'lb' \(allowed: fr, de\)"),
    (FRENCH.replace("language: fr\n", ""), r"fr.yml: unknown language None"),
    (FRENCH.replace("    title: Aides nationales à la R&D\n", ""), r"fr.yml entry 1: 'title' is missing"),
    (re.sub(r"    answer: >-\n(      .*\n)+", "", FRENCH), r"fr.yml entry 1: 'answer' is missing"),
    (FRENCH.replace("    more: Déposez la demande avant de commencer.\n", ""),
     r"fr.yml entry 1: 'more' is missing \(the English entry has one\)"),
    (FRENCH.replace('    examples: ["aide R&D ?", "subvention pour un prototype"]\n', ""),
     r"fr.yml entry 1: 'examples' is missing"),
    (FRENCH.replace("    translates: '{version}'\n", ""), r"fr.yml entry 1: 'translates' is missing"),
    (FRENCH.replace("'{version}'", "12345670"), r"'translates' must be the English entry's version in quotes"),
    (FRENCH + "    staff_note: vérifier la loi\n", r"fr.yml entry 1: unknown fields staff_note"),
    (FRENCH + FRENCH.split("entries:\n")[1], r"fr.yml entry 2: duplicate fr translation of 'rd-funding'"),
], ids=["unknown id", "unknown language", "no language", "no title", "no answer", "no more", "no examples",
        "no version", "unquoted version", "staff note", "duplicate id"])
def test_a_wrong_translation_file_is_refused_with_the_reason(tmp_path, french, error):
    content = _content(tmp_path, fr=french.replace("{version}", RD_FUNDING_VERSION))
    with pytest.raises(ContentError, match=error):
        load_entries(content)


def test_more_is_refused_where_the_english_has_none(tmp_path):
    french = """language: fr
entries:
  - id: agency-contact
    translates: '{version}'
    title: Nous contacter
    answer: Téléphone +352 43 62 63-1.
    more: Venez nous voir.
    examples: ["téléphone ?"]
"""
    version = _by_id(_content(tmp_path))["agency-contact"].version
    with pytest.raises(ContentError, match="'more' given but the English entry has none"):
        load_entries(_content(tmp_path, fr=french.format(version=version)))


def test_the_same_entry_may_be_translated_once_per_language(tmp_path):
    german = FRENCH.replace("language: fr", "language: de")
    rd = _by_id(_content(tmp_path, fr=FRENCH.format(version=RD_FUNDING_VERSION),
                         de=german.format(version=RD_FUNDING_VERSION)))["rd-funding"]
    assert sorted(rd.translations) == ["de", "fr"]


# The files the agency ships: every entry written in each language, from the English as it is now.

def _numbers(text: str) -> list[str]:
    """The figures in a text, whatever the separators (680,000 = 680 000 = 680.000); not the 2 of CO2 or 50ter."""
    return sorted(re.sub(r"[.,\s]", "", n) for n in re.findall(r"(?<![^\W\d_])\d+(?:[.,\s]\d+)*(?![^\W\d_])", text))


LINK = re.compile(r"\]\((\S+?)\)")


@pytest.fixture(scope="module")
def shipped():
    return load_entries(CONTENT)


def test_there_is_a_french_translation_file():
    assert CONTENT / "translations" / "fr.yml" in SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_entry_is_translated_from_the_current_english(shipped, path):
    language = path.stem
    assert {e.id for e in shipped if language in e.translations} == {e.id for e in shipped}
    assert [s for s in stale_translations(shipped) if s[1] == language] == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_translations_keep_the_facts_links_and_emphasis_of_the_english(shipped, path):
    language = path.stem
    for entry in shipped:
        translation = entry.translations.get(language)
        if translation is None:
            continue
        for english, text, part in ((entry.answer, translation.answer, "answer"),
                                    (entry.more, translation.more, "more")):
            assert _numbers(text) == _numbers(english), f"{entry.id} {part}: figures differ"
            assert LINK.findall(text) == LINK.findall(english), f"{entry.id} {part}: links differ"
            assert text.count("**") == english.count("**"), f"{entry.id} {part}: bold differs"
        for text in (translation.title, translation.answer, translation.more):
            found = MARKERS.search(text)
            assert found is None, f"{entry.id}: editorial note {found.group(0)!r}"
            assert not entry.staff_note or entry.staff_note not in text, entry.id


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_translations_have_varied_examples_of_their_own(shipped, path):
    language = path.stem
    for entry in shipped:
        translation = entry.translations.get(language)
        if translation is None:
            continue
        assert len(translation.examples) >= 8, entry.id
        assert any(len(x.split()) <= 3 for x in translation.examples), f"{entry.id}: no short phrasing"
        copied = set(translation.examples) & set(entry.examples)  # programme names (Eurostars, SNCI) may repeat
        assert len(copied) * 2 < len(translation.examples), f"{entry.id}: English examples copied: {sorted(copied)}"
