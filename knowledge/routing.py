"""Route an enquiry to an industry cluster and an advisor, with scores and the terms that decided it."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from knowledge.content import AdvisorInfo, Advisors, ClusterInfo
from knowledge.nlp import lemmas
from knowledge.vectors import TfIdf, cosine, features

TERM_WEIGHTS = {"CLUSTER": 1.5, "TECH": 1.0, "PROBLEM": 1.0, "SECTOR": 0.7}
SIMILARITY_WEIGHT = 2.0
# A cluster needs at least this much evidence; below it the enquiry fits no cluster.
MIN_SCORE = 0.55
# A description with fewer telling words than this and no cluster term is vague: ask, don't guess.
VAGUE_WORDS = 2
# Words every enquiry uses; they say nothing about the cluster.
GENERIC_WORDS = frozenset(
    """project projects innovation innovative company business firm help support develop development
    product idea new want look work make create build start improve find partner solution service
    research technology technical advice need plan""".split()
)


@dataclass(frozen=True)
class ClusterScore:
    """One cluster's score for an enquiry and the visitor's words that earned it."""

    cluster: ClusterInfo
    score: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """The routing decision: 'cluster', 'none' (fits no cluster) or 'vague' (ask a question)."""

    decision: str
    ranked: tuple[ClusterScore, ...]

    @property
    def best(self) -> ClusterScore | None:
        return self.ranked[0] if self.decision == "cluster" else None

    @property
    def confidence(self) -> float:
        """Share of the evidence that went to the chosen cluster, 0 to 1."""
        if not self.best:
            return 0.0
        total = sum(s.score for s in self.ranked) or 1.0
        return round(self.best.score / total, 2)

    @property
    def reason(self) -> str:
        """One line a visitor can read: 'coatings and corrosion are SurfMat topics'."""
        best = self.best
        if not best:
            return "it doesn't match any of our clusters' topics"
        if not best.terms:
            return f"it is close to the projects the {best.cluster.name} cluster handles"
        terms = list(best.terms[:3])
        said = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " and " + terms[-1]
        verb = "is a" if len(terms) == 1 else "are"
        noun = "topic" if len(terms) == 1 else "topics"
        return f"{said} {verb} {best.cluster.name} {noun}"


class Router:
    """Scores clusters for a description using the pipeline's EntityRuler and TF-IDF similarity."""

    def __init__(self, clusters: list[ClusterInfo], nlp) -> None:
        self.nlp = nlp
        self.clusters = {c.id: c for c in clusters}
        docs = {}
        for c in clusters:
            text = " ".join((c.description,) + c.examples + c.technologies + c.sectors + c.problems)
            docs[c.id] = features(lemmas(nlp(text.lower())))
        self.tfidf = TfIdf(list(docs.values()))
        self.vectors = {i: self.tfidf.vector(d) for i, d in docs.items()}

    def route(self, text: str) -> Route:
        """Rank the clusters for `text` and decide: a cluster, none, or ask for more."""
        doc = self.nlp(text.lower())
        words = [w for w in lemmas(doc) if w not in GENERIC_WORDS]
        scores: dict[str, float] = defaultdict(float)
        terms: dict[str, list[str]] = defaultdict(list)
        seen: Counter = Counter()
        for ent in doc.ents:
            if ent.ent_id_ not in self.clusters:
                continue
            seen[ent.ent_id_, ent.lemma_] += 1
            scores[ent.ent_id_] += TERM_WEIGHTS.get(ent.label_, 0.5) / seen[ent.ent_id_, ent.lemma_]
            if ent.text not in terms[ent.ent_id_]:
                terms[ent.ent_id_].append(ent.text)
        query = self.tfidf.vector(features(self.tfidf.correct(words)))
        for cluster_id, vector in self.vectors.items():
            scores[cluster_id] += SIMILARITY_WEIGHT * cosine(query, vector)
        ranked = tuple(
            sorted(
                (ClusterScore(self.clusters[i], round(s, 3), tuple(terms[i])) for i, s in scores.items()),
                key=lambda s: (-s.score, s.cluster.id),
            )
        )
        if not any(terms.values()) and len(words) < VAGUE_WORDS:
            return Route("vague", ranked)
        return Route("cluster" if ranked and ranked[0].score >= MIN_SCORE else "none", ranked)


def choose_advisor(
    advisors: Advisors, cluster_id: str | None, language: str, open_load: Mapping[str, int]
) -> AdvisorInfo:
    """Pick by cluster, then language, then availability, then fewest open enquiries."""
    general = next(a for a in advisors.advisors if a.general)
    candidates: Iterable[AdvisorInfo] = [a for a in advisors.advisors if cluster_id in a.clusters]
    candidates = list(candidates) or [general]
    return min(
        candidates,
        key=lambda a: (language not in a.languages, not a.available, open_load.get(a.id, 0), a.id),
    )
