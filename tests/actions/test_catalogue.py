"""Every visitor-facing text is in the catalogue (issue 15, item 1): each key the code says exists in English,
other languages fall back to English, and each message carries its key for the console."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from rasa_sdk.executor import CollectingDispatcher

import bot_texts
from actions.asks import say

ROOT = Path(__file__).resolve().parents[2]
SAID = re.compile(r"\b(?:say\(dispatcher,|text\()\s*f?\"([\w.{}]+)\"")


def keys_in_code() -> set[str]:
    found = set()
    for path in [*(ROOT / "actions").glob("*.py"), ROOT / "server" / "channel.py"]:
        found |= set(SAID.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_code_says_only_keys_the_catalogue_has():
    keys = keys_in_code()
    assert len(keys) > 40
    english = bot_texts.catalogue("en")
    fixed = {k for k in keys if "{" not in k}
    assert fixed - english.keys() == set()
    for pattern in keys - fixed:  # f"handoff.{reason}", f"ask.{self.slot}", f"field.{field}"
        prefix = pattern.split("{")[0]
        assert any(k.startswith(prefix) for k in english), pattern


def test_no_bot_text_is_left_in_the_domain_or_in_code():
    assert "responses" not in (ROOT / "domain.yml").read_text(encoding="utf-8")
    assert not (ROOT / "actions" / "prompts.yml").exists()
    for path in (ROOT / "actions").glob("*.py"):
        assert "utter_message(text=" not in path.read_text(encoding="utf-8"), path.name


def test_a_missing_language_falls_back_to_english_and_the_key_travels_in_the_metadata():
    dispatcher = CollectingDispatcher()
    say(dispatcher, "ask.name", "pt")  # no Portuguese catalogue
    (message,) = dispatcher.messages
    assert message["text"] == bot_texts.text("ask.name") and message["text_key"] == "ask.name"


def test_an_unknown_key_is_an_error_not_silence():
    with pytest.raises(bot_texts.UnknownText):
        bot_texts.text("no.such.key")


@pytest.mark.parametrize("value, expected", [
    ("hôpitaux", " : vous avez parlé d'hôpitaux"), ("énergie solaire", " : vous avez parlé d'énergie solaire"),
    ("logiciel", " : vous avez parlé de logiciel"),
])
def test_french_elides_de_before_a_vowel_where_a_placeholder_follows_it(value, expected):
    assert bot_texts.text("route.because", "fr", terms=value) == expected
    assert bot_texts.message("route.because", "fr", terms=value)["text"] == expected
    assert "d'InfoCom" in bot_texts.text("ask.cluster.proposed_close", "fr", cluster="BioHealth", full_name="…",
                                         because="", runner_up="InfoCom", runner_up_full_name="…", advisor="Anna")
    assert bot_texts.text("route.because", "en", terms="hospitals") == ": you mentioned hospitals"


SENTENCE = re.compile(r"^[^\W\d_a-z].*[.!?]$", re.S)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _runs(said: str, size: int = 3) -> list[tuple[str, ...]]:
    words = re.findall(r"\w+", said.lower())
    return [tuple(words[i:i + size]) for i in range(len(words) - size + 1)]


@pytest.mark.parametrize("lang", ["en", "fr", "de", "lb"])
def test_a_placeholder_filled_with_a_whole_sentence_starts_a_sentence_and_its_frame_says_nothing_twice(lang):
    catalogue = {k: v for k, v in bot_texts.catalogue(lang).items() if isinstance(v, dict) and "text" in v}
    sentences = {k for k, v in catalogue.items() if "{" not in v["text"] and SENTENCE.match(v["text"])}
    framed = [(k, v["text"], n) for k, v in catalogue.items() for n in PLACEHOLDER.findall(v["text"]) if n in sentences]
    assert len(framed) >= 5  # agency_contact in the anonymous, declined and whom-to-contact replies
    for key, template, name in framed:
        before = template.split("{" + name + "}")[0].rstrip()
        assert not before or before[-1] in ".!?\n", (key, before[-30:])  # never 'directly: You can reach …'
        filled = bot_texts.text(key, lang, **{n: bot_texts.text(n, lang) if n in sentences else "X"
                                              for n in PLACEHOLDER.findall(template)})
        runs = _runs(filled)
        assert len(runs) == len(set(runs)), (key, filled)
