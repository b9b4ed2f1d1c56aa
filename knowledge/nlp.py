"""The project's spaCy pipelines (EN, FR, DE, LB): blank language, lookup lemmas, the cluster terms of knowledge/ as
entities."""
from __future__ import annotations

import re
import unicodedata
from functools import cache

from spacy.language import Language
from spacy.tokens import Span

from knowledge.content import ClusterInfo

# Term kinds in clusters.yml and the entity label each one gets.
# In this order a term listed under two kinds gets the first one (the sector served weighs most).
TERM_LABELS = {
    "sectors": "SECTOR", "products": "PRODUCT", "regulations": "REGULATION",
    "technologies": "TECH", "processes": "TECH", "acronyms": "TECH", "problems": "PROBLEM",
}
LANGUAGES = ("en", "fr", "de", "lb")
# Where a language's vocabulary comes from: Luxembourgish visitors write many German words.
VOCABULARY_LANGUAGES = {"en": ("en",), "fr": ("fr", "en"), "de": ("de", "en"), "lb": ("lb", "de", "en")}

# Words that carry no topic. The English pipeline is blank (no pretrained model), so the list is ours.
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
# Greetings and politeness the language's own stop list lacks.
_EXTRA_STOP_WORDS = {
    "fr": "bonjour bonsoir salut merci svp stp oui non madame monsieur voilà ok okay".split(),
    "de": "hallo moin servus danke bitte ja nein guten tag frau herr ok okay".split(),
    "lb": ("moien äddi merci villmools jo nee w.e.g. w.e.g wgl ok okay en gär gären vill mol wëll wëlls wëllen hätt gutt "
           "sidd mengem mengen ärem ären eisem").split(),
}

_TOKEN = re.compile(r"[a-z0-9][a-z0-9+\-\.]*[a-z0-9+]|[a-z0-9]")
_WORD = re.compile(r"[^\W_][\w+\-\.]*[\w+]|[^\W_]")


@cache
def stop_words(language: str) -> frozenset[str]:
    """The stop words of a pipeline language (English: ours; others: spaCy's plus greetings)."""
    if language == "en":
        return STOP_WORDS
    from spacy.util import get_lang_class

    words = set(get_lang_class(language).Defaults.stop_words)
    if language == "lb":
        words |= set(get_lang_class("de").Defaults.stop_words) | set(_EXTRA_STOP_WORDS["de"])
    return frozenset(w.lower() for w in words | set(_EXTRA_STOP_WORDS.get(language, ())))


def has_lemmas(language: str) -> bool:
    """Whether spacy-lookups-data ships a lemma lookup table for `language`."""
    from importlib.resources import files

    return (files("spacy_lookups_data") / "data" / f"{language}_lemma_lookup.json.gz").is_file()


def pipeline_language(language: str) -> str:
    """The pipeline that reads `language`: en, fr, de, or lb (German when lb has no lemma table)."""
    language = (language or "en").lower()[:2]
    if language == "lb":
        return "lb" if has_lemmas("lb") else "de"
    return language if language in LANGUAGES else "en"


def fold(text: str) -> str:
    """Lower case without accents: 'Cybersécurité' → 'cybersecurite'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")


class RoutingNorms:
    """Sets each token's NORM to the form terms are matched on: words of up to three letters as
    written (acronyms: the lookup table reads 'ai' as a form of 'have'), longer ones as their
    lemma's lemma without accents ('coatings' → 'coating' → 'coat', as the term 'coating' itself).

    German and Luxembourgish tables key nouns capitalised while the text arrives lower-cased, so
    'anlagen' is also looked up as 'Anlagen'; in English and French a plural in -s the table lacks
    reads as its singular. build_pipeline hands over the lemma table.
    """

    def __init__(self) -> None:
        self.table = None
        self.nouns = False
        self.plurals = False

    def _lookup(self, word: str) -> str:
        lemma = self.table.get(word) if self.table is not None else None
        if lemma is None and self.nouns and word.islower():
            lemma = self.table.get(word.capitalize())
        if lemma is None and self.plurals and len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            lemma = self.table.get(word[:-1], word[:-1])  # a plural the table lacks ('drivetrains', 'depots')
        if isinstance(lemma, list):
            lemma = lemma[0] if lemma else None
        return lemma.lower() if lemma else word

    def __call__(self, doc):
        for token in doc:
            if self.nouns and token.lemma_ == token.text and token.text.islower():
                token.lemma_ = self._lookup(token.text)
            if len(token.text) <= 3:
                token.norm_ = fold(token.lower_)
            else:
                token.norm_ = fold(self._lookup(token.lemma_.lower() or token.lower_))
        return doc


@Language.factory("routing_norms")
def make_routing_norms(nlp, name):
    """The component; build_pipeline hands it the lemma table."""
    return RoutingNorms()


def cluster_terms(cluster: ClusterInfo, language: str) -> list[tuple[str, str]]:
    """(kind, term) pairs the pipeline for `language` recognises for `cluster`, own language first.

    Within a language the `vocabulary` kinds come first, in TERM_LABELS order, then the original
    English keys, so a term listed again as a sector or product gets that kind's weight.
    """
    vocabulary = getattr(cluster, "vocabulary", None) or {}
    pairs: list[tuple[str, str]] = []
    for source in VOCABULARY_LANGUAGES[pipeline_language(language)]:
        kinds = vocabulary.get(source) or {}
        for kind in sorted((k for k in kinds if k in TERM_LABELS), key=list(TERM_LABELS).index):
            pairs += [(kind, term) for term in kinds[kind]]
        if source == "en":
            pairs += [(kind, term) for kind in ("technologies", "sectors", "problems") for term in getattr(cluster, kind)]
    return pairs


def term_patterns(clusters: list[ClusterInfo], nlp) -> list[dict]:
    """One phrase per cluster term in the pipeline's language, with its cluster, label, kind and matching key.

    The key is the term's NORMs (see RoutingNorms); a key is kept once, for the first cluster that lists it.
    """
    stop = stop_words(nlp.lang)
    pairs = [(cluster, "cluster", cluster.name) for cluster in clusters]
    pairs += [(cluster, kind, term) for cluster in clusters for kind, term in cluster_terms(cluster, nlp.lang)]
    with nlp.select_pipes(enable=[name for name in ("lemmatizer", "routing_norms") if name in nlp.pipe_names]):
        docs = list(nlp.pipe(term.lower() for _, _, term in pairs))
    patterns = []
    seen: set[tuple] = set()
    for (cluster, kind, term), doc in zip(pairs, docs):
        tokens = [t for t in doc if not t.is_space]
        key = tuple(t.norm_ for t in tokens)
        if not tokens or key in seen or all(t.norm_ in stop or t.lower_ in stop for t in tokens):
            continue
        seen.add(key)
        patterns.append({"label": TERM_LABELS.get(kind, "CLUSTER"), "phrase": term.lower(), "id": cluster.id,
                         "kind": kind, "key": key, "norms": tuple(t.norm_ for t in doc)})
    return patterns


class TermMatcher:
    """Every occurrence of a cluster term in a doc, overlaps included: a term is the tuple of its tokens' NORMs.

    Plain dicts where spaCy's PhraseMatcher keeps a Doc per term: the knowledge cache pickles about 12,000 terms,
    and unpickling as many Docs took seconds in every process that loads the knowledge.
    """

    def __init__(self, keys: list[tuple[str, ...]]) -> None:
        self.numbers: dict[tuple[str, ...], int] = {}
        for number, key in enumerate(keys):
            self.numbers.setdefault(key, number)
        self.longest = max(map(len, self.numbers), default=0)

    def __call__(self, doc) -> list[tuple[int, int, int]]:
        """(term number, start, end) for every term in `doc`, by start then length."""
        norms = [token.norm_ for token in doc]
        found = []
        for start in range(len(norms)):
            for end in range(start + 1, min(start + self.longest, len(norms)) + 1):
                number = self.numbers.get(tuple(norms[start:end]))
                if number is not None:
                    found.append((number, start, end))
        return found


class ClusterTerms:
    """Marks the cluster terms in a doc as entities (label: the term's kind; ent_id: its cluster): the longest
    first, then the earliest, none overlapping, as spaCy's EntityRuler would. build_pipeline hands over the terms."""

    def __init__(self) -> None:
        self.matcher = TermMatcher([])
        self.labels: list[str] = []
        self.clusters: list[str] = []

    def set_terms(self, patterns: list[dict]) -> None:
        self.matcher = TermMatcher([p["norms"] for p in patterns])
        self.labels = [p["label"] for p in patterns]
        self.clusters = [p["id"] for p in patterns]

    def __call__(self, doc):
        taken: set[int] = set()
        entities = []
        for number, start, end in sorted(self.matcher(doc), key=lambda m: (m[1] - m[2], m[1])):
            if taken.isdisjoint(range(start, end)):
                taken.update(range(start, end))
                entities.append(Span(doc, start, end, label=self.labels[number], span_id=self.clusters[number]))
        doc.ents = sorted(entities, key=lambda span: span.start)
        return doc


@Language.factory("cluster_terms")
def make_cluster_terms(nlp, name):
    """The component; build_pipeline hands it the terms."""
    return ClusterTerms()


def french_token_match(text: str):
    """spaCy's French token_match, kept by reference: the tokenizer pickles a compiled pattern by its source, so
    loading the knowledge cache compiled that pattern (thousands of Unicode classes) a second time, 4 s a process."""
    from spacy.lang.fr.tokenizer_exceptions import TOKEN_MATCH

    return TOKEN_MATCH(text)


def build_pipeline(clusters: list[ClusterInfo], language: str = "en"):
    """Build the pipeline for `language` ("en", "fr", "de", "lb") from scratch; needs spacy-lookups-data only."""
    import spacy

    language = pipeline_language(language)
    nlp = spacy.blank(language)
    if language == "fr":
        nlp.tokenizer.token_match = french_token_match
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("routing_norms")
    nlp.initialize()
    norms = nlp.get_pipe("routing_norms")
    norms.table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    norms.nouns = language in ("de", "lb")
    norms.plurals = language in ("en", "fr")
    nlp.add_pipe("cluster_terms").set_terms(term_patterns(clusters, nlp))
    return nlp


_LINKS = ("", "s", "es", "n", "en", "e")
# Plural and case endings a word the lemma table lacks may carry ('Stahlwerke', 'Mehrwegkisten').
_ENDINGS = ("en", "e", "n", "s", "es", "er", "ern")


def known_form(word: str, known, shortest: int = 4) -> str | None:
    """`word` if known, else `word` without a plural or case ending if that is known, else None."""
    if word in known:
        return word
    return next((word[:-len(e)] for e in _ENDINGS
                 if word.endswith(e) and len(word) - len(e) >= shortest and word[:-len(e)] in known), None)


def split_compound(word: str, known: set[str] | frozenset[str], shortest: int = 3) -> list[str]:
    """The known parts of a German compound: 'windkraftanlage' → ['windkraft'], 'batteriespeicher' → ['batterie', 'speicher'].

    Takes the longest known last part (the head, also with a plural or case ending: 'kisten' for
    'kiste'), then splits what is left the same way, allowing a linking 's', 'es', 'n', 'en' or 'e'
    (Fugen-s) between parts; without a known head, the longest known first part followed by at least
    `shortest` more letters. [] when no part is known.
    """
    word = fold(word)
    whole = known_form(word, known)
    if whole is not None:
        return [whole]
    for cut in range(1, len(word) - shortest + 1):
        rest = word[:cut]
        head = known_form(word[cut:], known)
        if head is None or len(rest) < shortest:
            continue
        for link in _LINKS:
            if rest.endswith(link) and len(rest) - len(link) >= shortest:
                parts = split_compound(rest[: len(rest) - len(link)], known, shortest)
                if parts:
                    return parts + [head]
        return [head]
    for cut in range(len(word) - shortest, shortest - 1, -1):
        first = word[:cut]
        if first in known:
            rest = word[cut:]
            for link in _LINKS:
                if link and rest.startswith(link) and len(rest) - len(link) >= shortest:
                    tail = split_compound(rest[len(link):], known, shortest)
                    if tail:
                        return [first] + tail
            return [first] + (split_compound(rest, known, shortest) if len(rest) > shortest else [])
    return []


def lemmas(doc) -> list[str]:
    """Content-word lemmas of a parsed text, lower case, stop words and punctuation removed."""
    language = doc.lang_
    stop = stop_words(language) if language in LANGUAGES else STOP_WORDS
    token_re = _TOKEN if language == "en" else _WORD
    out = []
    for token in doc:
        lemma = token.lemma_.lower() if token.lemma_ else token.lower_
        for part in token_re.findall(lemma):
            if part not in stop:
                out.append(part)
    return out
