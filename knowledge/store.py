"""The loaded knowledge: rebuilt when a content file changes, so edits need no retraining."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from knowledge.content import Advisors, ClusterInfo, Entry, load_advisors, load_clusters, load_entries
from knowledge.nlp import build_pipeline, load_pipeline
from knowledge.retrieval import KnowledgeIndex
from knowledge.routing import Router


@dataclass(frozen=True)
class Knowledge:
    """Everything the actions need from knowledge/, built from one version of the files."""

    entries: list[Entry]
    clusters: list[ClusterInfo]
    advisors: Advisors
    index: KnowledgeIndex
    router: Router

    def cluster(self, cluster_id: str | None) -> ClusterInfo | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)


def content_files(knowledge_dir: Path) -> list[Path]:
    """The files whose change means the knowledge must be reloaded."""
    return sorted(knowledge_dir.glob("content/*.yml")) + [
        knowledge_dir / "clusters.yml",
        knowledge_dir / "advisors.yml",
    ]


def load_knowledge(knowledge_dir: Path, nlp=None) -> Knowledge:
    """Read the content files and build the index and the router."""
    clusters = load_clusters(knowledge_dir / "clusters.yml")
    nlp = nlp or build_pipeline(clusters)
    entries = load_entries(knowledge_dir / "content")
    return Knowledge(
        entries=entries,
        clusters=clusters,
        advisors=load_advisors(knowledge_dir / "advisors.yml"),
        index=KnowledgeIndex(entries, nlp),
        router=Router(clusters, nlp),
    )


class KnowledgeStore:
    """Holds the current Knowledge and reloads it when a content file's modification time changes."""

    def __init__(self, knowledge_dir: Path, nlp_dir: Path) -> None:
        self.knowledge_dir = knowledge_dir
        self.nlp_dir = nlp_dir
        self._lock = threading.Lock()
        self._stamp: tuple = ()
        self._knowledge: Knowledge | None = None
        self._nlp = None

    def _current_stamp(self) -> tuple:
        return tuple((str(p), p.stat().st_mtime_ns) for p in content_files(self.knowledge_dir) if p.exists())

    def get(self) -> Knowledge:
        """The knowledge for the files as they are now."""
        stamp = self._current_stamp()
        with self._lock:
            if self._knowledge is None or stamp != self._stamp:
                clusters_changed = any(
                    s not in self._stamp for s in stamp if s[0].endswith("clusters.yml")
                )
                if self._nlp is None and (self.nlp_dir / "config.cfg").exists():
                    self._nlp = load_pipeline(self.nlp_dir)
                elif self._nlp is None or clusters_changed:
                    self._nlp = None  # rebuilt below with the new cluster vocabulary
                self._knowledge = load_knowledge(self.knowledge_dir, self._nlp)
                self._nlp = self._knowledge.index.nlp
                self._stamp = stamp
            return self._knowledge
