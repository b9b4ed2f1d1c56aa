"""The catalogue of everything the bot says, one YAML file per language, read by key; pure (imports only yaml)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
DEFAULT_LANGUAGE = "en"
# French elides "de" and "que" before a vowel or a mute h: where a placeholder follows them, its value decides
# ('vous avez parlé de {terms}' with 'hôpitaux' reads "vous avez parlé d'hôpitaux", '… de {advisor}' with 'Anna'
# "d'Anna").
_ELIDED = re.compile(r"\b(de|que) \{(\w+)\}", re.I)
_VOWEL = re.compile(r"[aeiouyhàâäéèêëîïôöûüAEIOUYHÀÂÉÈÊÎÔÛ]")


class UnknownText(KeyError):
    """The code asked for a key that no catalogue holds."""


@lru_cache(maxsize=8)
def catalogue(language: str) -> dict[str, dict[str, Any]]:
    """The entries of one language ({} when there is no file for it), read once."""
    path = HERE / f"{language}.yml"
    if language != Path(language).name or not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def entry(key: str, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The entry for `key` in `language`, else in English; UnknownText if neither has it."""
    found = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key)
    if found is None:
        raise UnknownText(key)
    return found


def fill(template: str, language: str, params: dict[str, Any]) -> str:
    """`template` with its {placeholders} filled from `params`, elided where French needs it."""
    if language == "fr":
        def elide(found: re.Match) -> str:
            word, value = found.group(1), str(params.get(found.group(2), ""))
            return f"{word[:-1]}'{{{found.group(2)}}}" if _VOWEL.match(value) else found.group(0)
        template = _ELIDED.sub(elide, template)
    return template.format(**params)


def text(key: str, language: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The text for `key`, with its {placeholders} filled from `params`."""
    return fill(entry(key, language)["text"], language, params)


def message(key: str, language: str = DEFAULT_LANGUAGE, buttons: list[dict] | None = None,
            **params: Any) -> dict[str, Any]:
    """A bot message: text, buttons (the entry's, or those given) and the key, which the console reads."""
    found = entry(key, language)
    return {"text": fill(found["text"], language, params), "buttons": buttons if buttons is not None else
            list(found.get("buttons") or []), "text_key": key, "language": language}
