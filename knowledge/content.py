"""Load and check the agency's content files: knowledge entries, their sources in French and German, clusters and
advisors."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

CLUSTER_IDS = ("surfmat", "infocom", "aerospace", "logitrace", "biohealth", "ecodev", "autotec")
TRANSLATION_LANGUAGES = ("fr", "de")
TRANSLATION_FIELDS = frozenset({"id", "translates", "title", "answer", "more", "examples"})
SOURCES = Path(__file__).resolve().with_name("sources.yml")


class ContentError(ValueError):
    """A content file is missing a field or has a wrong value."""


@dataclass(frozen=True)
class Translation:
    """An entry written in another language, and the version of the English text it was made from."""

    language: str
    title: str
    answer: str
    more: str
    examples: tuple[str, ...]
    translates: str


def text_version(title: str, answer: str, more: str) -> str:
    """A short fingerprint of an entry's visitor-facing text: a translation records the one it was made from."""
    return hashlib.sha256("\n".join([title, answer, more]).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Entry:
    """One answer of the knowledge base, in English, with its translations by language code."""

    id: str
    title: str
    answer: str
    examples: tuple[str, ...]
    tags: tuple[str, ...]
    cluster: str | None
    related: tuple[str, ...]
    more: str
    source_title: str
    source_url: str
    checked: dt.date
    staff_note: str
    needs_review: bool
    language: str
    translations: Mapping[str, Translation] = field(default_factory=dict, hash=False)

    @property
    def version(self) -> str:
        """The version of the English title, answer and more that translations must match."""
        return text_version(self.title, self.answer, self.more)

    def stale(self, language: str) -> bool:
        """True when a translation exists in `language` but was made from an older English text."""
        translation = self.translations.get(language)
        return translation is not None and translation.translates != self.version

    def in_language(self, language: str) -> tuple[str, str, str, bool]:
        """Title, answer and more in `language` (a stale translation included), or the English and fell_back=True."""
        translation = self.translations.get(language)
        if translation is not None:
            return translation.title, translation.answer, translation.more, False
        return self.title, self.answer, self.more, language != self.language


@dataclass(frozen=True)
class ClusterInfo:
    """One industry cluster and the vocabulary that routes enquiries to it."""

    id: str
    name: str
    full_name: str
    status: str
    description: str
    technologies: tuple[str, ...]
    sectors: tuple[str, ...]
    problems: tuple[str, ...]
    examples: tuple[str, ...]
    # language → kind (technologies, products, sectors, …, examples) → strings; routing's, see clusters.yml
    vocabulary: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class AdvisorInfo:
    """A member of staff as described in knowledge/advisors.yml."""

    id: str
    name: str
    email: str
    clusters: tuple[str, ...]
    languages: tuple[str, ...]
    available: bool
    general: bool


@dataclass(frozen=True)
class Advisors:
    """The advisor list and the general inbox."""

    general_inbox: str
    advisors: tuple[AdvisorInfo, ...]
    sample_data: bool


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping at the top")
    return data


def _require(item: dict, key: str, where: str):
    value = item.get(key)
    if value in (None, "", []):
        raise ContentError(f"{where}: '{key}' is missing")
    return value


def _strings(value, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ContentError(f"{where}: '{key}' must be a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _date(item: dict, key: str, where: str) -> dt.date:
    value = _require(item, key, where)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as error:
        raise ContentError(f"{where}: '{key}' must be a date YYYY-MM-DD") from error


def _source(item: dict, where: str) -> tuple[str, str]:
    """The official page an entry is based on: a title and an https address, both required."""
    source = _require(item, "source", where)
    if not isinstance(source, dict):
        raise ContentError(f"{where}: 'source' must be a mapping with 'title' and 'url'")
    title = str(_require(source, "title", f"{where} source")).strip()
    url = str(_require(source, "url", f"{where} source")).strip()
    if not re.fullmatch(r"https://[^\s/]+\.[^\s/]+(/\S*)?", url):
        raise ContentError(f"{where}: source 'url' must be an https:// address")
    return title, url


@cache
def source_translations(path: Path = SOURCES) -> dict[str, dict[str, tuple[str, str | None]]]:
    """The sources' French and German (title, address or None), by English source title (knowledge/sources.yml),
    read and checked once."""
    data = _read(path) if path.exists() else {}
    sources: dict[str, dict[str, tuple[str, str | None]]] = {}
    for english, languages in data.items():
        where = f"{path.name}: {english!r}"
        if not isinstance(languages, dict) or set(languages) - set(TRANSLATION_LANGUAGES):
            raise ContentError(f"{where}: give 'fr' and/or 'de', each with a 'title' and an optional 'url'")
        sources[str(english)] = {}
        for language, source in languages.items():
            title = str(_require(source, "title", f"{where} {language}")).strip()
            url = source.get("url")
            if url is not None and not str(url).startswith("https://"):
                raise ContentError(f"{where} {language}: 'url' must be an https:// address")
            sources[str(english)][language] = (title, url)
    return sources


def source_in(entry: Entry, language: str) -> tuple[str, str]:
    """The entry's source (title, address) as a `language` answer shows it: from knowledge/sources.yml where it
    has one, else as the entry gives it."""
    title, url = source_translations().get(entry.source_title, {}).get(language, (entry.source_title, None))
    return title, url or entry.source_url


def parse_entry(item: dict, where: str) -> Entry:
    """One English entry from its mapping (a content file's item, or a revision in the database)."""
    if "reviewed" in item:
        raise ContentError(f"{where}: 'reviewed' is replaced by 'checked' (and a source title and url)")
    cluster = item.get("cluster")
    if cluster is not None and cluster not in CLUSTER_IDS:
        raise ContentError(f"{where}: unknown cluster '{cluster}'")
    needs_review = item.get("needs_review", False)
    if not isinstance(needs_review, bool):
        raise ContentError(f"{where}: 'needs_review' must be true or false")
    source_title, source_url = _source(item, where)
    return Entry(
        id=str(_require(item, "id", where)),
        title=str(_require(item, "title", where)).strip(),
        answer=str(_require(item, "answer", where)).strip(),
        examples=_strings(_require(item, "examples", where), where, "examples"),
        tags=_strings(item.get("tags"), where, "tags"),
        cluster=cluster,
        related=_strings(item.get("related"), where, "related"),
        more=str(item.get("more") or "").strip(),
        source_title=source_title,
        source_url=source_url,
        checked=_date(item, "checked", where),
        staff_note=str(item.get("staff_note") or "").strip(),
        needs_review=needs_review,
        language=str(item.get("language") or "en"),
    )


def parse_translation(item: dict, language: str, source: Entry, where: str) -> Translation:
    """One translation of `source` from its mapping, checked against the English entry."""
    unknown = sorted(set(item) - TRANSLATION_FIELDS)
    if unknown:  # a translation carries visitor-facing text only: no staff notes, sources or tags
        raise ContentError(f"{where}: unknown fields {', '.join(unknown)} (allowed: {', '.join(sorted(TRANSLATION_FIELDS))})")
    translates = _require(item, "translates", where)
    if not isinstance(translates, str) or not re.fullmatch(r"[0-9a-f]{8}", translates):
        raise ContentError(f"{where}: 'translates' must be the English entry's version in quotes, e.g. '{source.version}'")
    more = str(item.get("more") or "").strip()
    if source.more and not more:
        raise ContentError(f"{where}: 'more' is missing (the English entry has one)")
    if more and not source.more:
        raise ContentError(f"{where}: 'more' given but the English entry has none")
    return Translation(
        language=language,
        title=str(_require(item, "title", where)).strip(),
        answer=str(_require(item, "answer", where)).strip(),
        more=more,
        examples=_strings(_require(item, "examples", where), where, "examples"),
        translates=translates,
    )


def load_translations(translations_dir: Path, entries: list[Entry]) -> dict[str, dict[str, Translation]]:
    """Read `translations_dir/*.yml` into {entry id: {language: Translation}}, checked against the English entries."""
    by_id = {e.id: e for e in entries}
    found: dict[str, dict[str, Translation]] = {}
    for path in sorted(translations_dir.glob("*.yml")):
        data = _read(path)
        language = data.get("language")
        if language not in TRANSLATION_LANGUAGES:
            raise ContentError(f"{path.name}: unknown language {language!r} (allowed: {', '.join(TRANSLATION_LANGUAGES)})")
        for index, item in enumerate(data.get("entries") or []):
            where = f"translations/{path.name} entry {index + 1}"
            if not isinstance(item, dict):
                raise ContentError(f"{where}: expected a mapping")
            entry_id = str(_require(item, "id", where))
            if entry_id not in by_id:
                raise ContentError(f"{where}: no English entry with id '{entry_id}'")
            translation = parse_translation(item, language, by_id[entry_id], where)
            if language in found.get(entry_id, {}):
                raise ContentError(f"{where}: duplicate {language} translation of '{entry_id}'")
            found.setdefault(entry_id, {})[language] = translation
    return found


def stale_translations(entries: list[Entry]) -> list[tuple[str, str]]:
    """(entry id, language) for every translation made from an older English text, for eval and the console."""
    return sorted((e.id, language) for e in entries for language in e.translations if e.stale(language))


def validate_entries(entries: list[Entry]) -> None:
    """Refuse a set of entries retrieval can't use: duplicate ids, or related ids that name no entry."""
    ids = [e.id for e in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ContentError(f"duplicate entry ids: {', '.join(duplicates)}")
    known = set(ids)
    for entry in entries:
        missing = [r for r in entry.related if r not in known]
        if missing:
            raise ContentError(f"entry {entry.id}: related ids not found: {', '.join(missing)}")


def load_entries(content_dir: Path) -> list[Entry]:
    """Read every knowledge entry under `content_dir` and its translations; ids must be unique and links resolvable."""
    entries: list[Entry] = []
    for path in sorted(content_dir.glob("*.yml")):
        for index, item in enumerate(_read(path).get("entries") or []):
            entries.append(parse_entry(item, f"{path.name} entry {index + 1}"))
    validate_entries(entries)
    translations = load_translations(content_dir / "translations", entries)
    return [replace(e, translations=translations.get(e.id, {})) for e in entries]


def awaiting_review(entries: list[Entry]) -> list[Entry]:
    """The entries whose facts staff must still confirm against their source (for the console), oldest check first."""
    return sorted((e for e in entries if e.needs_review), key=lambda e: (e.checked, e.id))


def parse_cluster(item: dict, where: str) -> ClusterInfo:
    """One cluster and its routing vocabulary from its mapping."""
    return ClusterInfo(
        id=str(_require(item, "id", where)),
        name=str(_require(item, "name", where)),
        full_name=str(_require(item, "full_name", where)),
        status=str(_require(item, "status", where)),
        description=str(_require(item, "description", where)).strip(),
        technologies=_strings(item.get("technologies"), where, "technologies"),
        sectors=_strings(item.get("sectors"), where, "sectors"),
        problems=_strings(item.get("problems"), where, "problems"),
        examples=_strings(item.get("examples"), where, "examples"),
        vocabulary={str(lang): {str(kind): _strings(v, where, f"vocabulary {lang} {kind}") for kind, v in kinds.items()}
                    for lang, kinds in (item.get("vocabulary") or {}).items()},
    )


def validate_clusters(clusters: list[ClusterInfo], where: str = "clusters") -> None:
    """Refuse a cluster list that is not exactly the agency's clusters."""
    if sorted(c.id for c in clusters) != sorted(CLUSTER_IDS):
        raise ContentError(f"{where}: expected exactly the clusters {', '.join(CLUSTER_IDS)}")


def load_clusters(path: Path) -> list[ClusterInfo]:
    """Read the clusters and their routing vocabulary."""
    clusters = [parse_cluster(item, f"{path.name} cluster {index + 1}")
                for index, item in enumerate(_read(path).get("clusters") or [])]
    validate_clusters(clusters, path.name)
    return clusters


def parse_advisor(item: dict, where: str) -> AdvisorInfo:
    """One advisor from its mapping; its clusters must exist."""
    clusters = _strings(item.get("clusters"), where, "clusters")
    unknown = [c for c in clusters if c not in CLUSTER_IDS]
    if unknown:
        raise ContentError(f"{where}: unknown clusters {', '.join(unknown)}")
    return AdvisorInfo(
        id=str(_require(item, "id", where)),
        name=str(_require(item, "name", where)),
        email=str(_require(item, "email", where)).lower(),
        clusters=clusters,
        languages=_strings(item.get("languages"), where, "languages") or ("en",),
        available=bool(item.get("available", True)),
        general=bool(item.get("general", False)),
    )


def validate_advisors(advisors: list[AdvisorInfo], where: str = "advisors") -> None:
    """Refuse an advisor list without exactly one general advisor, or with a duplicate id."""
    ids = [a.id for a in advisors]
    if len(set(ids)) != len(ids):
        raise ContentError(f"{where}: duplicate advisor ids")
    if sum(a.general for a in advisors) != 1:
        raise ContentError(f"{where}: exactly one advisor must be general: true")


def load_advisors(path: Path) -> Advisors:
    """Read the advisors; exactly one general advisor takes enquiries that fit no cluster."""
    data = _read(path)
    advisors = [parse_advisor(item, f"{path.name} advisor {index + 1}")
                for index, item in enumerate(data.get("advisors") or [])]
    validate_advisors(advisors, path.name)
    return Advisors(
        general_inbox=str(_require(data, "general_inbox", path.name)),
        advisors=tuple(advisors),
        sample_data=bool(data.get("sample_data", False)),
    )
