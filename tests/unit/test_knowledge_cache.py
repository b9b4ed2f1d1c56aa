"""The knowledge cache keeps one build of the files and one of the database's content side by side (the stack
builds the first at start, the action server answers from the second), each replaced only by its own kind."""
from __future__ import annotations

from firststop.settings import get_settings
from knowledge import store


class Content:
    """A database content source whose published content has `fingerprint`."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint

    def load(self):
        return self.fingerprint, [], [], None


def test_the_files_build_and_the_database_build_do_not_evict_each_other(tmp_path, monkeypatch):
    builds = []
    monkeypatch.setattr(store, "load_knowledge", lambda directory: builds.append("files") or {"from": "files"})
    monkeypatch.setattr(store, "build_knowledge", lambda *a: builds.append("database") or {"from": "database"})
    monkeypatch.setattr(store, "_remember_clusters", lambda knowledge: None)  # these stand-ins have no pipelines
    knowledge_dir = get_settings().knowledge_dir
    assert store.cached_knowledge(knowledge_dir, tmp_path) == {"from": "files"}
    assert store.cached_knowledge(knowledge_dir, tmp_path, Content("v1")) == {"from": "database"}
    assert store.cached_knowledge(knowledge_dir, tmp_path) == {"from": "files"}
    assert store.cached_knowledge(knowledge_dir, tmp_path, Content("v1")) == {"from": "database"}
    assert builds == ["files", "database"]  # the second round came from the cache
    store.cached_knowledge(knowledge_dir, tmp_path, Content("v2"))  # a publish replaces the database build only
    names = sorted(p.name.split("-")[1] for p in tmp_path.glob("knowledge-*.pickle"))
    assert names == ["database", "files"] and builds == ["files", "database", "database"]
