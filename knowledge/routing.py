"""Route an enquiry to an industry cluster and an advisor, with scores and the terms that decided it.

Two kinds of evidence, both from knowledge/clusters.yml: the cluster terms found in the text (in
its language, German compounds split into known parts, a misspelt product or sector read as it; a sector
term weighs most, since the sector a project serves decides its cluster, and a customer's sector or product
outweighs the words of a material or technique cluster, which name the supplier's own trade), and a
classifier over the clusters' examples, descriptions and terms (lemmas and character n-grams, so words in no
list still count) with one class for enquiries that fit no cluster (`outside` in clusters.yml).
"""
from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.content import AdvisorInfo, Advisors, ClusterInfo
from knowledge.luxembourgish import german_reading
from knowledge.nlp import (
    TERM_LABELS,
    TermMatcher,
    build_pipeline,
    cluster_terms,
    fold,
    lemmas,
    split_compound,
    term_patterns,
)

CLUSTERS_FILE = Path(__file__).resolve().parent / "clusters.yml"
ROUTING_LANGUAGES = ("en", "fr", "de")
# Evidence per term found, by kind: the sector served decides over the material or technique used.
TERM_WEIGHTS = {"CLUSTER": 1.5, "SECTOR": 2.5, "PRODUCT": 1.5, "REGULATION": 1.5, "TECH": 1.0, "PROBLEM": 1.0}
# When the text names a sector, the other clusters' scores count this much:
# a supplier to car makers belongs to AutoTec whatever material it works in (the material's cluster
# stays as a second choice).
SECTOR_DAMPING = 0.5
# When it names no sector but another cluster's product, the technique clusters' scores count this much.
PRODUCT_DAMPING = 0.6
# A term inside a longer term of another cluster ('battery' in 'battery recycling') counts this much.
NESTED_WEIGHT = 0.5
# A term found only as part of a German compound counts this much.
COMPOUND_WEIGHT = 0.8
# A word of at least TYPO_LENGTH letters that the lemma table doesn't know, one edit (a letter added, dropped,
# changed or two swapped) from a one-word product or sector term as long, is that term misspelt ('helicoptor');
# it counts this much. Techniques are left out: they are near too many ordinary words ('maternal', 'material').
TYPO_LENGTH = 7
TYPO_WEIGHT = 0.8
# The classifier's probability counts this much; terms as training texts weigh TERM_SAMPLE_WEIGHT.
SIMILARITY_WEIGHT = 2.0
TERM_SAMPLE_WEIGHT = 0.3
TERM_CHUNK = 6
CLASSIFIER_C = 4.0
# A cluster needs at least this much evidence, and more than the 'fits no cluster' class earns.
MIN_SCORE = 0.4
NONE_BIAS = 0.3
# Another cluster with at least this share of the best score is offered as a second choice.
CLOSE_SHARE = 0.45
# A description with fewer telling words than this and no cluster term is vague: ask, don't guess.
VAGUE_WORDS = 2
NONE = "none"
# Words every enquiry uses; they say nothing about the cluster (folded: no accents).
GENERIC_WORDS = frozenset(
    fold(w) for w in """project projects innovation innovative company business firm help support develop
    development product idea new want look work make create build start improve find partner solution
    service research technology technical advice need plan
    projet entreprise societe innovation innovant aide aider soutien developper developpement produit
    idee nouveau vouloir chercher travailler faire creer construire demarrer ameliorer trouver partenaire
    solution service recherche technologie technique conseil besoin plan start-up startup souhaiter
    projekt unternehmen firma innovation innovativ hilfe helfen unterstutzung entwickeln entwicklung
    produkt idee neu wollen suchen arbeiten machen erstellen bauen starten verbessern finden partner
    losung dienstleistung forschung technologie technik beratung bedarf plan fordermittel forderung
    startup start-up mochten""".split()
)
VOWEL_SOUND = "AEIOU"


@dataclass(frozen=True)
class ClusterScore:
    """One cluster's score for an enquiry and the visitor's words that earned it (as written, once each)."""

    cluster: ClusterInfo
    score: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """The routing decision: 'cluster', 'none' (fits no cluster) or 'vague' (ask a question)."""

    decision: str
    ranked: tuple[ClusterScore, ...]
    close: tuple[ClusterInfo, ...] = ()

    @property
    def best(self) -> ClusterScore | None:
        """The chosen cluster's score, when the decision is a cluster."""
        return self.ranked[0] if self.decision == "cluster" else None

    @property
    def terms(self) -> tuple[str, ...]:
        """The chosen cluster's deciding terms as the visitor wrote them ('EV', 'Batteriespeicher')."""
        return self.best.terms if self.best else ()

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
        name = best.cluster.name
        if not best.terms:
            return f"it is close to the projects the {name} cluster handles"
        terms = list(best.terms[:3])
        if len(terms) == 1:
            article = "an" if name[:1].upper() in VOWEL_SOUND else "a"
            return f"{terms[0]} is {article} {name} topic"
        return f"{', '.join(terms[:-1])} and {terms[-1]} are {name} topics"


def _routing_data(path: Path) -> dict:
    """clusters.yml as read, or {} when there is none; parsed once per version of the file (about half a second)."""
    return _parsed(path, path.stat().st_mtime_ns) if path.exists() else {}


@lru_cache(maxsize=2)
def _parsed(path: Path, version: int) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def load_outside(path: Path = CLUSTERS_FILE) -> dict[str, tuple[str, ...]]:
    """Examples of enquiries that fit no cluster, by language (`outside` in clusters.yml)."""
    outside = _routing_data(path).get("outside") or {}
    return {str(lang): tuple(str(x).strip() for x in texts or () if str(x).strip()) for lang, texts in outside.items()}


def load_technique_clusters(path: Path = CLUSTERS_FILE) -> frozenset[str]:
    """Clusters of a material or technique every sector uses (`technique_clusters` in clusters.yml)."""
    return frozenset(str(x) for x in _routing_data(path).get("technique_clusters") or ())


@dataclass(frozen=True)
class _Found:
    """A cluster term found in a text: where, as written, and how much it counts."""

    cluster: str
    label: str
    key: str
    written: str
    start: int
    end: int
    weight: float
    nested: bool = False  # inside a longer term of another cluster ('engine' in 'search engine')


class _Reader:
    """One language's pipeline with a matcher over every cluster term, and the parts compounds split into."""

    def __init__(self, clusters: list[ClusterInfo], nlp) -> None:
        self.nlp = nlp
        self.patterns = term_patterns(clusters, nlp)
        self.matcher = TermMatcher([pattern["norms"] for pattern in self.patterns])
        self.parts: dict[str, tuple[str, str]] = {}
        for pattern in self.patterns:
            if len(pattern["key"]) == 1 and len(pattern["key"][0]) >= 4:
                self.parts[pattern["key"][0]] = (pattern["id"], pattern["label"])
        self.known = frozenset(self.parts)
        self.splits = nlp.lang in ("de", "lb")
        self.misspelt: dict[str, str | None] = {}  # each long term and its forms with one letter dropped
        for word, (_, label) in self.parts.items():
            if len(word) >= TYPO_LENGTH and label in ("PRODUCT", "SECTOR"):
                for form in {word, *_deletions(word)}:
                    self.misspelt[form] = word if self.misspelt.get(form, word) == word else None

    def read(self, text: str) -> tuple[list[_Found], list[str]]:
        """The terms found in `text` and its content words (folded lemmas, compound parts added)."""
        lowered = text.lower()
        original = text if len(text) == len(lowered) else lowered
        doc = self.nlp.make_doc(lowered)
        for name, component in self.nlp.pipeline:
            if name != "cluster_terms":  # the router matches on its own, overlaps included
                doc = component(doc)
        found: list[_Found] = []
        for number, start, end in self.matcher(doc):
            pattern = self.patterns[number]
            span = doc[start:end]
            found.append(_Found(pattern["id"], pattern["label"], " ".join(pattern["key"]),
                                original[span.start_char:span.end_char], start, end, TERM_WEIGHTS[pattern["label"]]))
        words = [fold(w) for w in lemmas(doc)]
        covered = {i for f in found for i in range(f.start, f.end)}
        for token in doc:
            term = None if token.i in covered else self._misspelt(token)
            if term is not None:
                cluster, label = self.parts[term]
                found.append(_Found(cluster, label, term, original[token.idx:token.idx + len(token.text)],
                                    token.i, token.i + 1, TYPO_WEIGHT * TERM_WEIGHTS[label]))
                words.append(term)
        if self.splits:
            covered = {i for f in found for i in range(f.start, f.end)}
            for token in doc:
                if token.i in covered or len(token.text) < 6:
                    continue
                for part in self._compound_parts(token):
                    cluster, label = self.parts[part]
                    written = original[token.idx:token.idx + len(token.text)]
                    found.append(_Found(cluster, label, part, written, token.i, token.i + 1,
                                        COMPOUND_WEIGHT * TERM_WEIGHTS[label]))
                    words.append(part)
        return found, [w for w in words if w not in GENERIC_WORDS]

    def _misspelt(self, token) -> str | None:
        """The one-word product or sector `token` misspells: the only one a single edit away, when the lemma table lacks the word."""
        word = token.norm_
        if len(word) < TYPO_LENGTH or not token.is_alpha or word in self.known or token.lower_ in self._table():
            return None
        terms = {self.misspelt.get(form) for form in {word, *_deletions(word)}} - {None}
        terms = {t for t in terms if _one_edit(word, t)}
        return terms.pop() if len(terms) == 1 else None

    def _table(self):
        return self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup") if "lemmatizer" in self.nlp.pipe_names else {}

    def _compound_parts(self, token) -> list[str]:
        """The known parts of a compound token; a hyphenated one ('LKW-Flotten') part by part."""
        if token.is_alpha:
            return split_compound(token.norm_, self.known) or split_compound(token.text, self.known)
        pieces = [p for p in token.text.split("-") if p.isalpha()] if "-" in token.text else []
        return [part for piece in pieces for part in split_compound(piece, self.known)]


def _deletions(word: str) -> list[str]:
    """`word` with one letter dropped, at each place."""
    return [word[:i] + word[i + 1:] for i in range(len(word))]


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one letter added, dropped or changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _singular(written: str) -> str:
    """A written term compared case-, accent- and plural-insensitively: 'EVs', 'ev' and 'EV' are one."""
    return re.sub(r"(?<=\w)(es|s)$", "", fold(written))


def _weigh(found: list[_Found]) -> list[_Found]:
    """Drop a term inside a longer one of its own cluster; halve one inside another cluster's; repeats count less."""
    kept: list[_Found] = []
    for item in sorted(found, key=lambda f: (-(f.end - f.start), f.start)):
        outer = [k for k in kept if k.start <= item.start and item.end <= k.end and (k.end - k.start) > (item.end - item.start)]
        if any(k.cluster == item.cluster for k in outer):
            continue
        weight = item.weight * (NESTED_WEIGHT if outer else 1.0)
        kept.append(_Found(item.cluster, item.label, item.key, item.written, item.start, item.end, weight, bool(outer)))
    seen: dict[tuple[str, str], int] = defaultdict(int)
    out = []
    for item in sorted(kept, key=lambda f: f.start):
        seen[item.cluster, item.key] += 1
        out.append(_Found(item.cluster, item.label, item.key, item.written, item.start, item.end,
                          item.weight / seen[item.cluster, item.key], item.nested))
    return out


class Router:
    """Scores clusters for a description from the terms found in it and a classifier over the clusters' texts."""

    def __init__(self, clusters: list[ClusterInfo], nlp, outside: Mapping[str, Sequence[str]] | None = None,
                 techniques: Iterable[str] | None = None) -> None:
        """`nlp`: one pipeline or {language: pipeline}; the missing ones of EN, FR and DE are built here.

        `techniques`: the technique clusters (default: clusters.yml's), whose sector words yield to another's.
        """
        pipelines = dict(nlp) if isinstance(nlp, Mapping) else {nlp.lang: nlp}
        for language in ROUTING_LANGUAGES:
            if language not in pipelines:
                pipelines[language] = build_pipeline(clusters, language)
        self.clusters = {c.id: c for c in clusters}
        # Luxembourgish is routed through its German reading (_analyse): no reader of its own.
        self.readers = {language: _Reader(clusters, pipeline) for language, pipeline in pipelines.items()
                        if language in ROUTING_LANGUAGES}
        outside = load_outside() if outside is None else outside
        self.techniques = load_technique_clusters() if techniques is None else frozenset(techniques)
        texts, labels, weights = [], [], []
        for cluster in clusters:
            for language in ROUTING_LANGUAGES:
                vocabulary = cluster.vocabulary.get(language) or {}
                own = cluster_terms(cluster, "en") if language == "en" else [
                    (kind, x) for kind, terms in vocabulary.items() if kind in TERM_LABELS for x in terms]
                words = [x for _, x in own]
                samples = [(x, 1.0) for x in vocabulary.get("examples", ())]
                samples += [(", ".join(words[i:i + TERM_CHUNK]), TERM_SAMPLE_WEIGHT) for i in range(0, len(words), TERM_CHUNK)]
                if language == "en":
                    samples += [(x, 1.0) for x in cluster.examples] + [(cluster.description, 1.0)]
                for text, weight in samples:
                    texts.append((language, text))
                    labels.append(cluster.id)
                    weights.append(weight)
        for language, examples in outside.items():
            for text in examples:
                texts.append((language if language in self.readers else "en", text))
                labels.append(NONE)
                weights.append(1.0)
        analysed = [self._analyse(text, language)[1] for language, text in texts]
        self.words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, ngram_range=(1, 2))
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        features = hstack([self.words.fit_transform(analysed), self.chars.fit_transform(analysed)]).tocsr()
        self.model = LogisticRegression(C=CLASSIFIER_C, max_iter=2000)
        self.model.fit(features, labels, sample_weight=weights)
        self.classes = list(self.model.classes_)

    @property
    def nlp(self):
        """The English pipeline (kept for callers that read `router.nlp`)."""
        return self.readers["en"].nlp

    def _reader(self, language: str) -> _Reader:
        return self.readers.get((language or "en").lower()[:2], self.readers["en"])

    def _analyse(self, text: str, language: str) -> tuple[list[_Found], str]:
        """The terms found in `text` and its words as the classifier reads them. Luxembourgish is read in German
        (knowledge.luxembourgish), as retrieval reads it: 'Camionen' is 'Lastwagen', the words the vocabulary
        knows kept as written."""
        said: dict[str, str] = {}
        if (language or "").lower()[:2] == "lb":
            reader = self.readers["de"]
            text, said = german_reading(text, reader.known)
        else:
            reader = self._reader(language)
        found, words = reader.read(text)
        if said:
            found = [dataclasses.replace(f, written=said.get(f.written.lower(), f.written)) for f in found]
        return found, " ".join(words)

    def probabilities(self, text: str, language: str = "en") -> dict[str, float]:
        """The classifier's probability per cluster id and for 'none'."""
        return self._probabilities(self._analyse(text, language)[1])

    def _probabilities(self, analysed: str) -> dict[str, float]:
        features = hstack([self.words.transform([analysed]), self.chars.transform([analysed])]).tocsr()
        if not features.nnz:
            return {c: 0.0 for c in self.classes}
        return dict(zip(self.classes, self.model.predict_proba(features)[0]))

    def _sectors(self, found: list[_Found]) -> set[str]:
        """The clusters whose sector the text names; a customer's sector decides over the supplier's own trade.

        A sector word inside another cluster's longer term ('drone' in 'drone delivery') names no sector.
        A technique cluster's sector ('foundry', 'software house') is the trade of the firm writing: when the
        text also names a sector another cluster serves ('for car makers', 'for hospitals'), that one decides;
        when it names only another cluster's product ('castings for car engines'), no sector decides.
        """
        sectors = {f.cluster for f in found if f.label == "SECTOR" and not f.nested}
        served = sectors - self.techniques
        if served:
            return served
        if self._products(found):
            return set()  # 'a foundry casting engine parts for cars': the product served, not the trade, decides
        return sectors

    def _products(self, found: list[_Found]) -> set[str]:
        """The clusters, other than technique clusters, whose products the text names ('car doors', 'helicopter')."""
        return {f.cluster for f in found if f.label == "PRODUCT" and f.cluster not in self.techniques and not f.nested}

    def _yielding(self, item: _Found, sectors: set[str]) -> float:
        """A technique cluster's sector word that yields to what another cluster serves counts as a technique ('glass')."""
        if item.label == "SECTOR" and item.cluster in self.techniques and item.cluster not in sectors:
            return TERM_WEIGHTS["TECH"] / TERM_WEIGHTS["SECTOR"]
        return 1.0

    def route(self, text: str, language: str = "en") -> Route:
        """Rank the clusters for `text` (written in `language`) and decide: a cluster, none, or ask for more."""
        found, analysed = self._analyse(text, language)
        found = _weigh(found)
        probability = self._probabilities(analysed)
        scores: dict[str, float] = {c: SIMILARITY_WEIGHT * probability.get(c, 0.0) for c in self.clusters}
        terms: dict[str, list[str]] = defaultdict(list)
        said: dict[str, set[str]] = defaultdict(set)
        sectors = self._sectors(found)
        for item in found:
            scores[item.cluster] += item.weight * self._yielding(item, sectors)
            keys = {item.key, _singular(item.written)}
            if not keys & said[item.cluster]:
                terms[item.cluster].append(item.written)
            said[item.cluster] |= keys
        if sectors:
            scores = {c: s if c in sectors else s * SECTOR_DAMPING for c, s in scores.items()}
        elif self._products(found):  # seals for car doors: the material or technique used yields to what it serves
            scores = {c: s * PRODUCT_DAMPING if c in self.techniques else s for c, s in scores.items()}
        ranked = tuple(sorted((ClusterScore(self.clusters[i], round(s, 3), tuple(terms[i])) for i, s in scores.items()),
                              key=lambda s: (-s.score, s.cluster.id)))
        if not found and len(analysed.split()) < VAGUE_WORDS:
            return Route("vague", ranked)
        best = ranked[0]
        outside = SIMILARITY_WEIGHT * probability.get(NONE, 0.0) + NONE_BIAS
        if best.score < MIN_SCORE or best.score <= outside:
            return Route(NONE, ranked)
        close = tuple(s.cluster for s in ranked[1:] if s.terms and s.score >= max(MIN_SCORE, CLOSE_SHARE * best.score))
        return Route("cluster", ranked, close)


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

