"""The project's spaCy pipeline: blank English, lookup lemmas, and an EntityRuler built from knowledge/."""
from __future__ import annotations

import re

from knowledge.content import ClusterInfo

TERM_LABELS = {"technologies": "TECH", "sectors": "SECTOR", "problems": "PROBLEM"}

# Words that carry no topic. The pipeline is blank (no pretrained model), so the list is ours.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    please hi hello thanks thank hey tell know want need like get would could may might also
    ok okay yes us let s t 's 're 've 'm 'd 'll n't""".split()
)

_TOKEN = re.compile(r"[a-z0-9][a-z0-9+\-\.]*[a-z0-9+]|[a-z0-9]")


def build_pipeline(clusters: list[ClusterInfo]):
    """Build the pipeline from scratch; needs spacy-lookups-data, no downloaded model."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    patterns = []
    seen: set[tuple] = set()
    for cluster in clusters:
        patterns.append({"label": "CLUSTER", "pattern": [{"LOWER": cluster.name.lower()}], "id": cluster.id})
        for field, label in TERM_LABELS.items():
            for term in getattr(cluster, field):
                tokens = [t for t in nlp(term.lower()) if not t.is_space]
                # Acronyms match as written: the lookup table reads 'ai' as a form of 'have'.
                pattern = [{"LOWER": t.lower_} if len(t.text) <= 3 else {"LEMMA": t.lemma_} for t in tokens]
                key = tuple(tuple(p.items())[0] for p in pattern)
                if not tokens or key in seen or all(t.lemma_ in STOP_WORDS for t in tokens):
                    continue
                seen.add(key)
                patterns.append({"label": label, "pattern": pattern, "id": cluster.id})
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(patterns)
    return nlp


def lemmas(doc) -> list[str]:
    """Content-word lemmas of a parsed text, lower case, stop words and punctuation removed."""
    out = []
    for token in doc:
        lemma = token.lemma_.lower() if token.lemma_ else token.lower_
        for part in _TOKEN.findall(lemma):
            if part not in STOP_WORDS:
                out.append(part)
    return out
