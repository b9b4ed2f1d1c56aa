"""Nothing a visitor reads carries editorial notes: answers, prompts and responses are clean, and staff notes stay
staff-only; a French or German answer names its source in its own language."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.answers import cited
from firststop.settings import get_settings
from knowledge.content import SOURCES, TRANSLATION_LANGUAGES, load_entries, source_in, source_translations

ROOT = Path(__file__).resolve().parents[2]
# What editors write to each other, never to a visitor (issue 16: "to be checked by staff", "seed document", ...).
MARKERS = re.compile(
    r"to be checked|to check|assumption|seed document|\(seed|project issue|issues? \d|general knowledge|"
    r"\bTODO\b|\bFIXME\b|\bTBC\b|staff:|staff note|staff_note|needs review|from memory|not confirmed|"
    r"not in the seed|data protection officer should",
    re.IGNORECASE,
)


def _entries():
    return load_entries(get_settings().knowledge_dir / "content")


def _strings(node, skip=("payload",)):
    """Every string in a YAML tree, except the values of keys in `skip` (button payloads are not read)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in skip:
                yield from _strings(value, skip)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, skip)


def _visitor_texts():
    for entry in _entries():
        for part, text in (("title", entry.title), ("answer", cited(entry, entry.answer)),
                           ("more", cited(entry, entry.more) if entry.more else "")):
            yield f"entry {entry.id} {part}", text
        for language in TRANSLATION_LANGUAGES:
            yield f"entry {entry.id} source ({language})", " ".join(source_in(entry, language))
    for catalogue in sorted((ROOT / "bot_texts").glob("*.yml")):  # every text the bot says, per language
        for key, value in yaml.safe_load(catalogue.read_text(encoding="utf-8")).items():
            for text in _strings(value):
                yield f"{catalogue.stem} {key}", text
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for key, variants in (domain.get("responses") or {}).items():
        for text in _strings(variants):
            yield f"response {key}", text


@pytest.mark.parametrize("where, text", list(_visitor_texts()), ids=lambda v: v if len(v) < 60 else "")
def test_no_visitor_facing_text_contains_an_editorial_note(where, text):
    found = MARKERS.search(text)
    assert found is None, f"{where}: editorial note {found.group(0)!r} in visitor text"


def test_the_markers_catch_what_the_old_content_showed_visitors():
    old = ("Source: Seed document (Luxinnovation presentation, February 2008); details are general knowledge "
           "— to be checked by staff", "FirstStop data-handling design (project issues 3 and 4)",
           "who may join and how are an assumption — to be checked by staff")
    assert all(MARKERS.search(text) for text in old)


def test_the_visitor_sees_the_source_as_a_link_and_the_check_date():
    for entry in _entries():
        reply = cited(entry, entry.answer)
        assert reply.startswith(entry.answer)
        assert reply.endswith(f"Source: [{entry.source_title}]({entry.source_url}) · checked on 1 December 2026")


def test_every_source_is_named_in_french_and_german():
    """Each entry's source has a French and a German title in knowledge/sources.yml, and every source there is one
    an entry gives (a title staff changed would otherwise silently show the English)."""
    entries, sources = _entries(), source_translations(SOURCES)
    missing = sorted({entry.source_title for entry in entries
                      if set(sources.get(entry.source_title, {})) != set(TRANSLATION_LANGUAGES)})
    assert missing == [], f"sources without a French and a German title: {missing}"
    assert set(sources) <= {entry.source_title for entry in entries}


def test_a_french_or_german_answer_links_the_source_in_its_language():
    entry = next(e for e in _entries() if e.source_title == "Guichet.lu: Financial aid for research and development projects (R&D)")
    title, url = source_in(entry, "fr")
    assert title.startswith("Guichet.lu : Aides") and url.startswith("https://guichet.public.lu/fr/")
    title, url = source_in(entry, "de")
    assert "Forschungs- und Entwicklungsprojekte" in title and url.startswith("https://guichet.public.lu/de/")
    assert source_in(entry, "en") == (entry.source_title, entry.source_url)
    fnr = next(e for e in _entries() if e.source_url == "https://www.fnr.lu/")
    assert source_in(fnr, "de") == ("Nationaler Forschungsfonds (FNR)", "https://www.fnr.lu/")  # no German page


def test_staff_notes_never_reach_the_visitor():
    for entry in _entries():
        if entry.staff_note:
            for text in (cited(entry, entry.answer), cited(entry, entry.more), entry.title):
                assert entry.staff_note not in text, entry.id


def test_current_answers_state_no_2007_figures_as_if_current():
    """History may be told in `more` as history; the first answer a visitor reads states no 2007 result or headcount."""
    for entry in _entries():
        assert "2007" not in entry.answer, entry.id
        assert not re.search(r"\b21 staff", entry.answer + entry.more), entry.id
