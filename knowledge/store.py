"""The loaded knowledge: rebuilt when the published content (in the database, else the files) changes, so edits
need no retraining. The database is reached only through a DatabaseContent passed in (members provides one).

One spaCy pipeline and one answer index per language the bot answers in (EN, FR, DE), and one router
that reads all three; the pipelines are shared, so the cache holds each lemma table once.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.content import Advisors, ClusterInfo, Entry, load_advisors, load_clusters, load_entries
from knowledge.nlp import build_pipeline
from knowledge.retrieval import Answer, KnowledgeIndex, Synonyms
from knowledge.routing import Route, Router, load_outside, load_technique_clusters

NLU_DIR = Path(__file__).resolve().parent.parent / "bot" / "nlu"
# The languages answers are searched in; Luxembourgish questions are read by the German index.
LANGUAGES = ("en", "fr", "de")
SEARCH_LANGUAGE = {"lb": "de"}
log = logging.getLogger(__name__)


def search_language(language: str | None) -> str:
    """The index that reads a question in `language`: its own, German for Luxembourgish, else English."""
    language = (language or "en").lower()[:2]
    language = SEARCH_LANGUAGE.get(language, language)
    return language if language in LANGUAGES else "en"


@dataclass(frozen=True)
class Knowledge:
    """Everything the actions need from knowledge/, built from one version of the files."""

    entries: list[Entry]
    clusters: list[ClusterInfo]
    advisors: Advisors
    indexes: Mapping[str, KnowledgeIndex]
    router: Router

    @property
    def index(self) -> KnowledgeIndex:
        """The English index (for callers that know no language)."""
        return self.indexes["en"]

    def index_for(self, language: str | None) -> KnowledgeIndex:
        """The answer index that reads questions in `language` ("en", "fr", "de"; "lb" reads as "de")."""
        return self.indexes[search_language(language)]

    def answer(self, text: str, language: str | None = "en", previous: str | None = None) -> Answer:
        """The entry answering `text`, written in `language`, or honestly none."""
        return self.index_for(language).answer(text, previous)

    def route(self, text: str, language: str | None = "en") -> Route:
        """The cluster for a project described in `language`."""
        return self.router.route(text, language or "en")

    def cluster(self, cluster_id: str | None) -> ClusterInfo | None:
        """The cluster with this id, or None."""
        return next((c for c in self.clusters if c.id == cluster_id), None)


def content_files(knowledge_dir: Path) -> list[Path]:
    """The files whose change means the knowledge must be reloaded."""
    return sorted(knowledge_dir.glob("content/*.yml")) + sorted(knowledge_dir.glob("content/translations/*.yml")) + [
        knowledge_dir / "clusters.yml",
        knowledge_dir / "advisors.yml",
        knowledge_dir / "synonyms.yml",
    ]


def load_synonyms(path: Path) -> Synonyms:
    """The synonym table, or none if the file is absent."""
    return Synonyms(yaml.safe_load(path.read_text(encoding="utf-8")) or {} if path.exists() else {})


def off_topic_files() -> list[Path]:
    """The NLU files that may hold out_of_scope examples (one per language or topic)."""
    return sorted(NLU_DIR.rglob("*.yml"))


def load_off_topic(path: Path | None = None) -> list[str]:
    """Questions the assistant must not pretend to answer: the NLU's out_of_scope examples, in every
    language (all of bot/nlu unless `path` names one file)."""
    examples: list[str] = []
    for file in [path] if path is not None else off_topic_files():
        if not file.exists():
            continue
        for block in (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if block.get("intent") == "out_of_scope":
                examples += [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
    return list(dict.fromkeys(examples))


class ContentUnavailable(Exception):
    """The database holding the content could not be read just now."""


class DatabaseContent(ABC):
    """Published content kept outside the files: a cheap version stamp and the content itself."""

    @abstractmethod
    def version(self) -> str | None:
        """A stamp that changes whenever the published content does; None when there is none (use the files)."""

    @abstractmethod
    def load(self) -> tuple[str, list[Entry], list[ClusterInfo], Advisors]:
        """A fingerprint of the published content, and its entries, clusters and advisors."""


# The pipelines and the router for the clusters this process built or loaded last, by the clusters' hash: an edit
# of the answers alone then rebuilds only the answer indexes (the pipelines and the router are most of a build).
_by_clusters: dict[str, tuple[dict, Router]] = {}


def _clusters_key(clusters: list[ClusterInfo]) -> str:
    """What the pipelines and the router are built from: the clusters, and clusters.yml's `outside` examples and
    technique clusters (read by the router from the file whatever the clusters' source)."""
    return hashlib.sha256(repr((clusters, load_outside(), sorted(load_technique_clusters()))).encode()).hexdigest()


def _remember_clusters(knowledge: Knowledge) -> None:
    _by_clusters.clear()
    _by_clusters[_clusters_key(knowledge.clusters)] = (
        {language: index.nlp for language, index in knowledge.indexes.items()}, knowledge.router)


def build_knowledge(entries: list[Entry], clusters: list[ClusterInfo], advisors: Advisors,
                    synonyms: Synonyms) -> Knowledge:
    """A pipeline and an answer index per language, and the router, for this content."""
    held = _by_clusters.get(_clusters_key(clusters))
    if held is None:
        pipelines = {language: build_pipeline(clusters, language) for language in LANGUAGES}
        router = Router(clusters, pipelines)
    else:
        pipelines, router = held
    off_topic = load_off_topic()
    knowledge = Knowledge(
        entries=entries,
        clusters=clusters,
        advisors=advisors,
        indexes={language: KnowledgeIndex(entries, pipelines[language], synonyms, off_topic, language)
                 for language in LANGUAGES},
        router=router,
    )
    _remember_clusters(knowledge)
    return knowledge


def load_knowledge(knowledge_dir: Path) -> Knowledge:
    """Read the content files and build the knowledge from them."""
    return build_knowledge(load_entries(knowledge_dir / "content"), load_clusters(knowledge_dir / "clusters.yml"),
                           load_advisors(knowledge_dir / "advisors.yml"), load_synonyms(knowledge_dir / "synonyms.yml"))


def content_hash(knowledge_dir: Path, fingerprint: str = "") -> str:
    """A hash of the content files (or of the database content's `fingerprint` and the synonyms) and of the code
    that builds from them."""
    code = Path(__file__).resolve().parent
    digest = hashlib.sha256(fingerprint.encode())
    files = [knowledge_dir / "synonyms.yml"] if fingerprint else content_files(knowledge_dir)
    for path in files + off_topic_files() + sorted(code.glob("*.py")):
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def trusted_file(path: Path) -> bool:
    """Whether only this process's user could have written `path` (owned by us, and neither it nor its
    folder writable by group or others): a pickle runs code when loaded, so no other file is loaded."""
    for item in (path.parent, path):
        info = item.stat()
        if info.st_uid != os.geteuid() or info.st_mode & 0o022:
            return False
    return True


# The build of each kind ("files", "database") this process holds last, with its cache path: loading the
# pickle takes seconds, and the tests' and the worker's stores ask for the same version again and again.
_held: dict[str, tuple[Path, Knowledge]] = {}


def cached_knowledge(knowledge_dir: Path, cache_dir: Path, content: DatabaseContent | None = None) -> Knowledge:
    """The knowledge for the files as they are (or for the database's published `content`), from the cache when it
    was built before (building fits the retrieval model, a few seconds; loading the cache takes well under one).
    The cache is a pickle, so it is loaded only from a file and folder that nobody else can write."""
    if content is not None:
        fingerprint, entries, clusters, advisors = content.load()
        kind = "database"
        path = cache_dir / f"knowledge-{kind}-{content_hash(knowledge_dir, fingerprint)}.pickle"

        def build() -> Knowledge:
            return build_knowledge(entries, clusters, advisors, load_synonyms(knowledge_dir / "synonyms.yml"))
    else:
        kind = "files"
        path = cache_dir / f"knowledge-{kind}-{content_hash(knowledge_dir)}.pickle"

        def build() -> Knowledge:
            return load_knowledge(knowledge_dir)
    held = _held.get(kind)
    if held is not None and held[0] == path:  # this process loaded or built this very version already
        return held[1]
    knowledge = _load_or_build(path, kind, build)
    _held[kind] = (path, knowledge)
    _remember_clusters(knowledge)
    return knowledge


def _load_or_build(path: Path, kind: str, build) -> Knowledge:
    """The pickle at `path` if it may be trusted, else `build()`, written there (older builds of `kind` removed)."""
    cache_dir = path.parent
    try:
        if not trusted_file(path):
            raise PermissionError("owned by another user or writable by others; not loaded")
        with open(path, "rb") as file:
            return pickle.load(file)
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as error:
        log.warning("rebuilding the knowledge cache %s: %s", path, error)
    knowledge = build()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        cache_dir.chmod(0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
            pickle.dump(knowledge, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as error:  # a folder we may not write: serve the knowledge uncached
        log.warning("could not write the knowledge cache %s: %s", path, error)
        return knowledge
    other = "files" if kind == "database" else "database"
    for old in cache_dir.glob("knowledge-*.pickle"):  # the other kind's stays: the stack and the actions use both
        if old != path and not old.name.startswith(f"knowledge-{other}-"):
            old.unlink(missing_ok=True)
    return knowledge


class KnowledgeStore:
    """Holds the current Knowledge and reloads it when the published content changes: the database's content
    version is read at most every `check_every` seconds; with no content there, the files' times on each use."""

    def __init__(self, knowledge_dir: Path, cache_dir: Path, content: DatabaseContent | None = None,
                 check_every: float = 2.0) -> None:
        self.knowledge_dir = knowledge_dir
        self.cache_dir = cache_dir
        self.content = content
        self.check_every = check_every
        self._lock = threading.Lock()
        self._stamp: tuple = ()
        self._version: str | None = None
        self._checked = float("-inf")
        self._knowledge: Knowledge | None = None

    def _current_stamp(self) -> tuple:
        return tuple((str(p), p.stat().st_mtime_ns) for p in content_files(self.knowledge_dir) if p.exists())

    def _database_version(self) -> str | None:
        """The database's content version, read at most every check_every seconds (the last one in between)."""
        if self.content is None:
            return None
        if time.monotonic() - self._checked < self.check_every:
            return self._version
        try:
            version = self.content.version()
        except ContentUnavailable as error:  # keep answering from what is loaded; the files if nothing is
            log.warning("content version not read (%s); keeping the loaded knowledge", error)
            return self._version
        self._checked = time.monotonic()
        return version

    def get(self) -> Knowledge:
        """The knowledge for the content as it is now."""
        with self._lock:
            version = self._database_version()
            if version is not None:
                if self._knowledge is None or version != self._version:
                    try:
                        self._knowledge = cached_knowledge(self.knowledge_dir, self.cache_dir, self.content)
                        self._version, self._stamp = version, ()
                    except ContentUnavailable as error:
                        log.warning("content not loaded (%s); keeping the loaded knowledge", error)
                if self._knowledge is not None:
                    return self._knowledge
            stamp = self._current_stamp()
            if self._knowledge is None or self._version is not None or stamp != self._stamp:
                self._knowledge = cached_knowledge(self.knowledge_dir, self.cache_dir)
                self._stamp, self._version = stamp, None
            return self._knowledge
