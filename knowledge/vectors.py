"""Sparse TF-IDF vectors over lemmas, for retrieval."""
from __future__ import annotations

import difflib
import math
from collections import Counter

Vector = dict[str, float]


def features(words: list[str]) -> Counter:
    """Unigrams plus bigrams, so 'business plan' outranks 'business' and 'plan' apart."""
    counts = Counter(words)
    counts.update(f"{a}_{b}" for a, b in zip(words, words[1:]))
    return counts


def cosine(a: Vector, b: Vector) -> float:
    """Cosine of two normalised vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


class TfIdf:
    """Inverse document frequencies of a fixed set of documents, and vectors weighted by them."""

    def __init__(self, documents: list[Counter]) -> None:
        frequency: Counter = Counter()
        for document in documents:
            frequency.update(document.keys())
        n = len(documents) or 1
        self.idf = {f: math.log((1 + n) / (1 + df)) + 1.0 for f, df in frequency.items()}
        self.vocabulary = sorted(f for f in self.idf if "_" not in f and len(f) >= 4)

    def vector(self, counts: Counter) -> Vector:
        """Sublinear TF times IDF, normalised to length 1; unknown features count for nothing."""
        raw = {f: (1 + math.log(c)) * self.idf.get(f, 0.0) for f, c in counts.items() if c > 0}
        length = math.sqrt(sum(v * v for v in raw.values())) or 1.0
        return {f: v / length for f, v in raw.items() if v}

    def correct(self, words: list[str]) -> list[str]:
        """Replace unknown words by a close known one ('buisness' → 'business')."""
        fixed = []
        for word in words:
            if word in self.idf or len(word) < 4:
                fixed.append(word)
                continue
            close = difflib.get_close_matches(word, self.vocabulary, n=1, cutoff=0.8)
            fixed.append(close[0] if close else word)
        return fixed
