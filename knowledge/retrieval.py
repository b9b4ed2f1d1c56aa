"""Find the knowledge entry that answers a question, with a score, or say honestly that none does.

There is one index per language. Each entry's example questions, title and tags (in the index's
language when the entry is translated, and in English too: visitors mix languages, and an entry
without a translation must still be found) are turned into features by the language's spaCy
pipeline (lemmas and the cluster terms marked as entities) plus character n-grams for typos and
word forms the lemma table lacks, and a small logistic regression is fitted on them when the
content is loaded (about a second). A question is answered when the classifier is confident AND
most of its content words are words the knowledge base knows: questions about apartments or
football are 'not sure'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.asking import asked_part
from knowledge.content import Entry
from knowledge.luxembourgish import as_german
from knowledge.nlp import STOP_WORDS, fold, lemmas, split_compound, stop_words
from knowledge.vectors import TfIdf

# Chosen on the content's own example questions (k-fold, `python -m eval.dev`), never on eval/.
MIN_PROBABILITY = 0.12
MIN_COVERAGE = 0.7
ANSWER_WEIGHT = 0.3
TITLE_WEIGHT = 1.0
TAG_WEIGHT = 2.0
# In a French or German index, how much the English texts of a translated entry count.
ENGLISH_WEIGHT = 1.0
NEIGHBOUR_WEIGHT = 0.3
CONTEXT_WEIGHT = 0.4
REGULARISATION = 2.0
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (3, 5)
CHAR_SCALE = 0.7
SOLVER = "liblinear"
CHAR_MIN_DF = 2
# Languages whose unknown compounds are read as their known parts ('Forschungsförderung').
COMPOUNDING = frozenset({"de", "lb"})
# The indexes that Luxembourgish questions are asked of (knowledge.store.SEARCH_LANGUAGE): they read them in German.
READS_LUXEMBOURGISH = frozenset({"de"})
FOLD = True
# Chat filler that names no topic ("I was wondering whether…", "you guys", "wat do u…", "ich möchte wissen"):
# not counted in the coverage, so a visitor's way of asking doesn't make a question 'not sure'.
# Greetings and what is left of a contraction ("we're", "we've", "we'll") name no topic either.
FILLER = frozenset(
    "wonder whether guy folk u ur pls plz thx wat stuff thing kind sort actually exactly really basically maybe "
    "perhaps anyway quick question dear sir madam regard near truc vraiment savoir eigentlich genau wissen "
    "hello hi hey morning afternoon evening bonjour bonsoir hallo moin ungefähr ungefahr re ve ll".split())
# A number or an amount ("12 employees", "500k", "80%") is no word the content must know (nor is a lone letter).
_AMOUNT = re.compile(r"\d[\d.,]*(?:k|m|%|€|eur)?")

_FOLLOW_UP = re.compile(
    r"^\s*(and|what about|how about|same for|also for|et|et pour|et si|aussi pour|und|und für|auch für|wie ist es mit)\b",
    re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@cache
def folded_stop_words(language: str) -> frozenset[str]:
    """The language's stop words without accents: visitors type 'fur' for 'für' and 'apres' for 'après'."""
    return frozenset(fold(w) for w in stop_words(language))


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


def translation(entry: Entry, language: str):
    """The entry's translation into `language`, or None (English, or not translated yet)."""
    if language == entry.language:
        return None
    return (getattr(entry, "translations", None) or {}).get(language)


def entry_documents(entry: Entry, language: str) -> list[tuple[str, float]]:
    """The texts an index in `language` learns `entry` from, with their weights: the examples, title
    and tags (the translation's first, then the English ones), and the answers' sentences, lighter."""
    english = [(x, 1.0) for x in entry.examples] + [(entry.title, TITLE_WEIGHT), (" ".join(entry.tags), TAG_WEIGHT)]
    answers = [entry.answer, entry.more]
    translated = translation(entry, language)
    documents = []
    if translated is not None:
        documents = [(x, 1.0) for x in translated.examples] + [(translated.title, TITLE_WEIGHT)]
        english = [(text, weight * ENGLISH_WEIGHT) for text, weight in english]
        answers += [translated.answer, translated.more]
    sentences = [s for text in answers for s in _SENTENCE.split(text) if s.strip()]
    return documents + english + [(s, ANSWER_WEIGHT) for s in sentences]


class _Without:
    """A set of words less one: a compound is split against the other words the content uses."""

    def __init__(self, words: set[str], left_out: str) -> None:
        self.words, self.left_out = words, left_out

    def __contains__(self, word: object) -> bool:
        return word != self.left_out and word in self.words


class KnowledgeIndex:
    """A classifier over the entries (plus one class of off-topic questions) for one language, built
    once per content version."""

    def __init__(self, entries: list[Entry], nlp, synonyms: Synonyms | None = None,
                 off_topic: list[str] | tuple[str, ...] = (), language: str = "en") -> None:
        self.nlp = nlp
        self.language = language
        self.synonyms = synonyms or Synonyms({})
        self.entries = {e.id: e for e in entries}
        self.ids = [e.id for e in entries]
        self.off_topic_label = len(entries)
        texts, labels, weights = [], [], []
        for label, entry in enumerate(entries):
            for text, weight in entry_documents(entry, language):
                texts.append(text)
                labels.append(label)
                weights.append(weight)
        # An off-topic question that an entry lists as its own example (a referral to another office) is that entry's.
        claimed = {x.strip().lower() for e in entries for x in e.examples + getattr(translation(e, language), "examples", ())}
        off_topic_count = 0
        for text in (t for t in off_topic if t.strip().lower() not in claimed):
            texts.append(text)
            labels.append(self.off_topic_label)
            weights.append(1.0)
            off_topic_count += 1
        read = [self.analyse(t) for t in texts]
        self._known: frozenset[str] = frozenset({w for words, _ in read for w in words if len(w) >= 3})
        analysed = [" ".join(self._compounds(words) + entities) for words, entities in read]
        self.words = TfidfVectorizer(analyzer=self._word_features, sublinear_tf=True)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=CHAR_MIN_DF)
        self.char_scale = CHAR_SCALE
        features = hstack([self.words.fit_transform(analysed),
                           self.char_scale * self.chars.fit_transform(map(self._char_text, texts))]).tocsr()
        self.model = LogisticRegression(C=REGULARISATION, max_iter=1000, solver=SOLVER)
        self.model.fit(features, labels, sample_weight=weights)
        self.features, self.labels = features, np.array(labels)
        self.classes = list(self.model.classes_)
        # The words the content uses, for coverage and typo correction.
        self.vocabulary = TfIdf([{w: 1 for words, _ in read[:len(read) - off_topic_count] for w in words}])

    @staticmethod
    def _word_features(text: str) -> list[str]:
        """Lemmas and entities, plus neighbouring lemma pairs when WORD_NGRAMS asks for them."""
        tokens = text.split()
        if WORD_NGRAMS[1] < 2:
            return tokens
        words = [t for t in tokens if not t.startswith("ent_")]
        return tokens + [f"{a}_{b}" for a, b in zip(words, words[1:])]

    @staticmethod
    def _char_text(text: str) -> str:
        """What the character n-grams are taken from: the text in lower case, without accents."""
        return fold(text) if FOLD else text.lower()

    def lemmas(self, text: str) -> list[str]:
        """Content lemmas of `text`, synonyms read as their canonical word."""
        return self.analyse(text)[0]

    def analyse(self, text: str) -> tuple[list[str], list[str]]:
        """(content lemmas, domain entities): the entities as 'ent_<cluster>' features. Lemmas lose their
        accents (visitors often type without them); a French or German index also drops English stop
        words, since its visitors mix in English."""
        doc = self.nlp(self.synonyms.phrases(text.lower()))
        words = [self.synonyms.words.get(w, w) for w in lemmas(doc)]
        if self.language != "en":
            words = [w for w in words if w not in STOP_WORDS]
        if FOLD:
            stop = folded_stop_words(self.language) if self.language != "en" else frozenset()
            words = [w for w in map(fold, words) if w not in stop]
        return words, [f"ent_{ent.ent_id_}" for ent in doc.ents if ent.ent_id_]

    def _parts(self, word: str) -> list[str]:
        """The known parts of a compound in a compounding language ('forschungsforderung' → ['forschung',
        'forderung']), else []."""
        if self.language not in COMPOUNDING or len(word) < 8 or word.startswith("ent_"):
            return []
        return [p for p in split_compound(word, _Without(self._known, word)) if p != word]

    def _compounds(self, words: list[str]) -> list[str]:
        """`words` followed by the known parts of each compound among them."""
        return words + [p for w in words for p in self._parts(w)]

    def _scores(self, words: list[str], question: str) -> np.ndarray:
        """Per class: the classifier's probability blended with the nearest training text's similarity."""
        x = hstack([self.words.transform([" ".join(self._compounds(words))]),
                    self.char_scale * self.chars.transform([self._char_text(question)])]).tocsr()
        scores = np.zeros(self.off_topic_label + 1)
        scores[self.classes] = self.model.predict_proba(x)[0]
        similarity = (self.features @ x.T).toarray().ravel() / (1 + self.char_scale ** 2)
        nearest = np.zeros(self.off_topic_label + 1)
        np.maximum.at(nearest, self.labels, similarity)
        return (1 - NEIGHBOUR_WEIGHT) * scores + NEIGHBOUR_WEIGHT * nearest

    def search(self, question: str, previous: str | None = None, limit: int = 3) -> Answer:
        """Rank entries for `question`; `previous` is the last answer's entry id, for follow-ups. A Luxembourgish
        question is read in German first (knowledge.luxembourgish), its words the content uses kept as written."""
        if self.language in READS_LUXEMBOURGISH:
            question = as_german(question, self.vocabulary.idf)
        words, entities = self.analyse(question)
        words = self.vocabulary.correct(words)
        if not words:
            return Answer(None, ())
        compounds = {w for w in words if w not in self.vocabulary.idf and self._parts(w)}
        known = [w in self.vocabulary.idf or w in compounds for w in words]
        # An unknown filler word, amount or lone letter doesn't count against the question; a known one counts.
        counted = [k for w, k in zip(words, known) if k or (len(w) > 1 and w not in FILLER and not _AMOUNT.fullmatch(w))]
        coverage = sum(counted) / len(counted) if counted else 1.0
        scores = self._scores(words + entities, question)
        if previous in self.entries and (_FOLLOW_UP.match(question) or len(words) <= 2):
            # A follow-up: the new words lead, the previous topic breaks ties.
            entry = self.entries[previous]
            translated = translation(entry, self.language)
            context = self.lemmas(entry.title + (f" {translated.title}" if translated is not None else ""))
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
        """The best entry if confident and the question is within what the content covers; a message that tells
        its context first ("We're a 20-person firm making X. What share of the costs can the state cover?") is
        answered on the part that asks, when the whole is not."""
        found = _confident(self.search(question, previous))
        asked = asked_part(question) if found.best is None else None
        if asked:
            focused = _confident(self.search(asked, previous))
            if focused.best is not None:
                return focused
        return found


def _confident(found: Answer) -> Answer:
    """`found` with its top candidate as the answer when the classifier is confident and the question's words are
    mostly the content's."""
    top = found.candidates[0] if found.candidates else None
    confident = (top is not None and not found.off_topic and top.score >= MIN_PROBABILITY
                 and found.coverage >= MIN_COVERAGE)
    return Answer(top if confident else None, found.candidates, found.coverage, found.off_topic)
