"""Find the knowledge entry that answers a question: TF-IDF over lemmas, typo-tolerant, with a score."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from knowledge.content import Entry
from knowledge.nlp import lemmas
from knowledge.vectors import TfIdf, cosine, features

# Below this score the bot says it is not sure and offers the closest topics instead.
# Chosen on the entries' own example questions (leave-one-out), never on eval/.
ANSWER_THRESHOLD = 0.30

_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|same for|also for)\b", re.I)


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


class KnowledgeIndex:
    """An index of the entries, built once per content version; searching is pure."""

    def __init__(self, entries: list[Entry], nlp) -> None:
        self.nlp = nlp
        self.entries = {e.id: e for e in entries}
        profiles: dict[str, Counter] = {}
        examples: dict[str, list[Counter]] = {}
        for entry in entries:
            title = self.words(entry.title)
            tags = [w for tag in entry.tags for w in self.words(tag)]
            questions = [self.words(x) for x in entry.examples]
            profile: Counter = Counter()
            weighted = [(title, 2.0), (tags, 2.0), (self.words(entry.answer), 0.5)]
            for words, weight in weighted + [(q, 1.0) for q in questions]:
                for feature, count in features(words).items():
                    profile[feature] += weight * count
            profiles[entry.id] = profile
            examples[entry.id] = [features(q) for q in questions] + [features(title + tags)]
        self.tfidf = TfIdf(list(profiles.values()))
        self.profiles = {i: self.tfidf.vector(p) for i, p in profiles.items()}
        self.examples = {i: [self.tfidf.vector(x) for x in xs] for i, xs in examples.items()}

    def words(self, text: str) -> list[str]:
        """Content lemmas of `text`."""
        return lemmas(self.nlp(text.lower()))

    def search(self, question: str, previous: str | None = None, limit: int = 3) -> list[Match]:
        """Rank entries for `question`; `previous` is the entry id of the last answer, for follow-ups."""
        words = self.tfidf.correct(self.words(question))
        counts = features(words)
        if previous in self.entries and (_FOLLOW_UP.match(question) or len(words) <= 2):
            for word in self.words(self.entries[previous].title):
                counts[word] += 0.5
        query = self.tfidf.vector(counts)
        if not query:
            return []
        matches = []
        for entry_id, entry in self.entries.items():
            best_example = max(cosine(query, x) for x in self.examples[entry_id])
            score = 0.55 * best_example + 0.45 * cosine(query, self.profiles[entry_id])
            if score > 0:
                terms = tuple(w for w in dict.fromkeys(words) if w in self.profiles[entry_id])
                matches.append(Match(entry, round(score, 4), terms))
        matches.sort(key=lambda m: (-m.score, m.entry.id))
        return matches[:limit]

    def answer(self, question: str, previous: str | None = None) -> Answer:
        """The best entry if it clears the threshold, with the runners-up either way."""
        matches = self.search(question, previous)
        best = matches[0] if matches and matches[0].score >= ANSWER_THRESHOLD else None
        return Answer(best=best, candidates=tuple(matches))
