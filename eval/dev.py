"""Development scores for tuning retrieval and routing: k-fold over the content's own examples.

Held-out files in eval/ are never used here; tune on these numbers, report with `make eval`.
"""
from __future__ import annotations

import dataclasses
import sys

from firststop.settings import get_settings
from knowledge import retrieval
from knowledge.content import load_clusters, load_entries
from knowledge.nlp import build_pipeline
from knowledge.retrieval import KnowledgeIndex
from knowledge.routing import Router
from knowledge.store import OFF_TOPIC, load_off_topic, load_synonyms

FOLDS = 5


def fold_of(items, fold: int, keep: bool) -> tuple:
    return tuple(x for i, x in enumerate(items) if (i % FOLDS == fold) != keep)


def answer_rows(entries, nlp, synonyms, off_topic) -> list[tuple[str, str | None, float, float, bool]]:
    """(expected, ranked first, score, coverage, off_topic) for every held-back example in every fold."""
    rows = []
    for fold in range(FOLDS):
        train = [dataclasses.replace(e, examples=fold_of(e.examples, fold, True)) for e in entries]
        index = KnowledgeIndex(train, nlp, synonyms, fold_of(off_topic, fold, True))
        tests = [(e.id, q) for e in entries for q in fold_of(e.examples, fold, False)]
        tests += [("(off topic)", q) for q in fold_of(off_topic, fold, False)]
        for expected, question in tests:
            found = index.search(question)
            top = found.candidates[0] if found.candidates else None
            rows.append((expected, top.entry.id if top else None, top.score if top else 0.0,
                         found.coverage, found.off_topic))
    return rows


def accepted(row, probability: float, coverage: float) -> bool:
    return not row[4] and row[2] >= probability and row[3] >= coverage


def main(argv: list[str]) -> int:
    settings = get_settings()
    clusters = load_clusters(settings.knowledge_dir / "clusters.yml")
    nlp = build_pipeline(clusters)
    entries = load_entries(settings.knowledge_dir / "content")
    rows = answer_rows(entries, nlp, load_synonyms(settings.knowledge_dir / "synonyms.yml"), load_off_topic(OFF_TOPIC))
    inside = [r for r in rows if r[0] != "(off topic)"]
    outside = [r for r in rows if r[0] == "(off topic)"]
    print(f"answers, k-fold on the entries' examples ({len(inside)}) and off-topic examples ({len(outside)})")
    print(f"  ranked first correctly: {sum(r[0] == r[1] for r in inside) / len(inside):.3f}")
    grid = [(p, c) for p in (0.1, 0.15, 0.2, 0.25, 0.3) for c in (0.0, 0.5, 0.7)] if "--grid" in argv else [
        (retrieval.MIN_PROBABILITY, retrieval.MIN_COVERAGE)]
    for p, c in grid:
        hit = sum(r[0] == r[1] and accepted(r, p, c) for r in inside) / len(inside)
        honest = sum(not accepted(r, p, c) for r in outside) / len(outside)
        print(f"  min probability {p:.2f}, min coverage {c:.1f}: hit@1 {hit:.3f}, off-topic not sure {honest:.3f}")
    hits = n = 0
    for fold in range(FOLDS):
        router = Router([dataclasses.replace(c, examples=fold_of(c.examples, fold, True)) for c in clusters], nlp)
        for cluster in clusters:
            for text in fold_of(cluster.examples, fold, False):
                route = router.route(text)
                n += 1
                hits += (route.best.cluster.id if route.best else route.decision) == cluster.id
    print(f"routing, k-fold on the clusters' examples: top-1 {hits / n:.3f} of {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
