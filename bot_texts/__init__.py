"""The catalogue of everything the bot says, one YAML file per language, read by key; pure (imports only yaml)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


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


def text(key: str, language: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The text for `key`, with its {placeholders} filled from `params`."""
    return entry(key, language)["text"].format(**params)


def message(key: str, language: str = DEFAULT_LANGUAGE, buttons: list[dict] | None = None,
            **params: Any) -> dict[str, Any]:
    """A bot message: text, buttons (the entry's, or those given) and the key, which the console reads."""
    found = entry(key, language)
    return {"text": found["text"].format(**params), "buttons": buttons if buttons is not None else
            list(found.get("buttons") or []), "text_key": key, "language": language}
