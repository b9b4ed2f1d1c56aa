"""Find the knowledge entry that answers a question, with a score, or say honestly that none does.

Each entry's example questions, title and tags are turned into features by the project's spaCy
pipeline (lemmas and the domain entities of the EntityRuler) plus character n-grams for typos,
and a small logistic regression is fitted on them when the content is loaded (well under a
second). A question is answered when the classifier is confident AND most of its content words
are words the knowledge base knows: questions about apartments or football are 'not sure'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.content import Entry
from knowledge.nlp import lemmas
from knowledge.vectors import TfIdf

# Chosen on the content's own example questions (k-fold, `python -m eval.dev`), never on eval/.
MIN_PROBABILITY = 0.15
MIN_COVERAGE = 0.7
ANSWER_WEIGHT = 0.3
NEIGHBOUR_WEIGHT = 0.3
CONTEXT_WEIGHT = 0.4

_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|same for|also for)\b", re.I)


class Synonyms:
    """Variant words and phrases read as a canonical word (knowledge/synonyms.yml)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.words: dict[str, str] = {}
        phrases: dict[str, str] = {}
        for canonical, variants in table.items():
            for variant in variants:
                variant = str(variant).lower()
                (phrases if re.search(r"[\s-]", variant) else self.words)[variant] = canonical
        ordered = sorted(phrases, key=len, reverse=True)
        self._pattern = re.compile(r"\b(" + "|".join(map(re.escape, ordered)) + r")\b") if ordered else None
        self._phrases = phrases

    def phrases(self, text: str) -> str:
        """`text` with multi-word variants replaced by their canonical word."""
        return self._pattern.sub(lambda m: self._phrases[m.group(1)], text) if self._pattern else text


@dataclass(frozen=True)
class Match:
    """An entry with its score and the query words it matched on."""

    entry: Entry
    score: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """What retrieval found: the best match when confident, and the runners-up."""

    best: Match | None
    candidates: tuple[Match, ...]
    coverage: float = 0.0
    off_topic: bool = False

    @property
    def out_of_scope(self) -> bool:
        """Closer to the off-topic examples than to any entry, with few words the content uses."""
        return self.off_topic and self.coverage < MIN_COVERAGE


class KnowledgeIndex:
    """A classifier over the entries (plus one class of off-topic questions), built once per content version."""

    def __init__(self, entries: list[Entry], nlp, synonyms: Synonyms | None = None,
                 off_topic: list[str] | tuple[str, ...] = ()) -> None:
        self.nlp = nlp
        self.synonyms = synonyms or Synonyms({})
        self.entries = {e.id: e for e in entries}
        self.ids = [e.id for e in entries]
        self.off_topic_label = len(entries)
        texts, labels, weights = [], [], []
        for label, entry in enumerate(entries):
            sentences = [t for t in re.split(r"(?<=[.!?])\s+", f"{entry.answer} {entry.more}") if t.strip()]
            documents = [(x, 1.0) for x in entry.examples] + [(entry.title, 1.0), (" ".join(entry.tags), 1.0)]
            for text, weight in documents + [(t, ANSWER_WEIGHT) for t in sentences]:
                texts.append(text)
                labels.append(label)
                weights.append(weight)
        # An off-topic question that an entry lists as its own example (a referral to another office) is that entry's.
        claimed = {x.strip().lower() for entry in entries for x in entry.examples}
        for text in (t for t in off_topic if t.strip().lower() not in claimed):
            texts.append(text)
            labels.append(self.off_topic_label)
            weights.append(1.0)
        analysed = [" ".join(words + entities) for words, entities in map(self.analyse, texts)]
        self.words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        features = hstack([self.words.fit_transform(analysed),
                           self.chars.fit_transform(t.lower() for t in texts)]).tocsr()
        self.model = LogisticRegression(C=5.0, max_iter=1000)
        self.model.fit(features, labels, sample_weight=weights)
        self.features, self.labels = features, np.array(labels)
        self.classes = list(self.model.classes_)
        # The words the content uses, for coverage and typo correction.
        known = [w for entry in entries for text in (entry.title, entry.answer, entry.more, *entry.tags, *entry.examples)
                 for w in self.lemmas(text)]
        self.vocabulary = TfIdf([{w: 1 for w in known}])

    def lemmas(self, text: str) -> list[str]:
        """Content lemmas of `text`, synonyms read as their canonical word."""
        return self.analyse(text)[0]

    def analyse(self, text: str) -> tuple[list[str], list[str]]:
        """(content lemmas, domain entities): the entities as 'ent_<cluster>' features."""
        doc = self.nlp(self.synonyms.phrases(text.lower()))
        words = [self.synonyms.words.get(w, w) for w in lemmas(doc)]
        return words, [f"ent_{ent.ent_id_}" for ent in doc.ents if ent.ent_id_]

    def _scores(self, words: list[str], question: str) -> np.ndarray:
        """Per class: the classifier's probability blended with the nearest training text's similarity."""
        x = hstack([self.words.transform([" ".join(words)]), self.chars.transform([question.lower()])]).tocsr()
        scores = np.zeros(self.off_topic_label + 1)
        scores[self.classes] = self.model.predict_proba(x)[0]
        similarity = (self.features @ x.T).toarray().ravel() / 2
        nearest = np.zeros(self.off_topic_label + 1)
        np.maximum.at(nearest, self.labels, similarity)
        return (1 - NEIGHBOUR_WEIGHT) * scores + NEIGHBOUR_WEIGHT * nearest

    def search(self, question: str, previous: str | None = None, limit: int = 3) -> Answer:
        """Rank entries for `question`; `previous` is the last answer's entry id, for follow-ups."""
        words, entities = self.analyse(question)
        words = self.vocabulary.correct(words)
        if not words:
            return Answer(None, ())
        coverage = sum(w in self.vocabulary.idf for w in words) / len(words)
        scores = self._scores(words + entities, question)
        if previous in self.entries and (_FOLLOW_UP.match(question) or len(words) <= 2):
            # A follow-up: the new words lead, the previous topic breaks ties.
            context = self.lemmas(self.entries[previous].title)
            scores = (1 - CONTEXT_WEIGHT) * scores + CONTEXT_WEIGHT * self._scores(words + entities + context, question)
        off_topic = bool(scores.argmax() == self.off_topic_label)
        order = [i for i in np.argsort(-scores) if i != self.off_topic_label][:limit]
        candidates = tuple(
            Match(self.entries[self.ids[i]], round(float(scores[i]), 4),
                  tuple(w for w in dict.fromkeys(words) if w in self.words.vocabulary_))
            for i in order
        )
        return Answer(None, candidates, round(coverage, 3), off_topic)

    def answer(self, question: str, previous: str | None = None) -> Answer:
        """The best entry if confident and the question is within what the content covers."""
        found = self.search(question, previous)
        top = found.candidates[0] if found.candidates else None
        confident = (top is not None and not found.off_topic and top.score >= MIN_PROBABILITY
                     and found.coverage >= MIN_COVERAGE)
        return Answer(top if confident else None, found.candidates, found.coverage, found.off_topic)
