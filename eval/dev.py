"""Development scores for tuning retrieval and routing: k-fold over the content's own examples, per language.

Held-out files in eval/ are never used here; tune on these numbers, report with `make eval`.
`--grid` scores a grid of thresholds; `--languages fr,de` limits the languages.
`--tuning` scores the tuning set in eval/tuning/ (questions and enquiries written apart from the
content, and Luxembourgish messages) the way eval/run.py scores the held-out files, with the whole pipeline (the
trained Rasa model's intent, then retrieval or routing) when a model for the current bot data is in models/;
`--misses` lists what it missed.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import yaml

from server.action_server import block_tensorflow

if "--tuning" not in sys.argv:  # the tuning set's whole-pipeline rows load the Rasa model, which needs TensorFlow
    block_tensorflow()  # before spaCy is imported: its thinc would import TensorFlow for nothing (seconds, 450 MB)

from actions.language import next_language  # noqa: E402
from eval.run import (  # noqa: E402
    SUBSETS,
    TARGETS,
    bot_handling,
    held_out,
    parse_with_model,
    print_misses,
    score_answers,
    score_pipeline,
    score_routing,
)
from firststop.settings import get_settings  # noqa: E402
from knowledge import retrieval  # noqa: E402
from knowledge.content import load_clusters, load_entries  # noqa: E402
from knowledge.nlp import build_pipeline  # noqa: E402
from knowledge.retrieval import KnowledgeIndex, translation  # noqa: E402
from knowledge.routing import Router  # noqa: E402
from knowledge.store import LANGUAGES, cached_knowledge, load_off_topic, load_synonyms  # noqa: E402

FOLDS = 5
OFF_TOPIC_LABEL = "(off topic)"
TUNING = Path(__file__).resolve().parent / "tuning"
# The languages of the tuning set: the answer languages, and Luxembourgish (read by the German index).
TUNING_LANGUAGES = (*LANGUAGES, "lb")
# The conversation's language a Luxembourgish message is read in before it (it must become, or stay, the expected).
BEFORE = ("fr", "de")


def fold_of(items, fold: int, keep: bool) -> tuple:
    """The items of fold `fold` (keep=False) or all the others (keep=True)."""
    return tuple(x for i, x in enumerate(items) if (i % FOLDS == fold) != keep)


def _fold_entry(entry, language: str, fold: int):
    """`entry` with the examples in `language` of fold `fold` held back (the English ones stay for FR and DE)."""
    if language == entry.language:
        return dataclasses.replace(entry, examples=fold_of(entry.examples, fold, True))
    translated = translation(entry, language)
    if translated is None:
        return entry
    kept = dataclasses.replace(translated, examples=fold_of(translated.examples, fold, True))
    return dataclasses.replace(entry, translations={**entry.translations, language: kept})


def _examples(entry, language: str) -> tuple[str, ...]:
    if language == entry.language:
        return entry.examples
    translated = translation(entry, language)
    return translated.examples if translated is not None else ()


def answer_rows(entries, nlp, synonyms, off_topic, language: str = "en") -> list[tuple[str, str | None, float, float, bool]]:
    """(expected, ranked first, score, coverage, off_topic) for every held-back example in every fold."""
    rows = []
    for fold in range(FOLDS):
        train = [_fold_entry(e, language, fold) for e in entries]
        index = KnowledgeIndex(train, nlp, synonyms, fold_of(off_topic, fold, True), language)
        tests = [(e.id, q) for e in entries for q in fold_of(_examples(e, language), fold, False)]
        tests += [(OFF_TOPIC_LABEL, q) for q in fold_of(off_topic, fold, False)]
        for expected, question in tests:
            found = index.search(question)
            top = found.candidates[0] if found.candidates else None
            rows.append((expected, top.entry.id if top else None, top.score if top else 0.0,
                         found.coverage, found.off_topic))
    return rows


def accepted(row, probability: float, coverage: float) -> bool:
    """Whether the index would give the row's top entry as its answer at these thresholds."""
    return not row[4] and row[2] >= probability and row[3] >= coverage


def print_answers(language: str, rows, grid: bool) -> None:
    """hit@1 and honest 'not sure' for the current thresholds (or a grid of them)."""
    inside = [r for r in rows if r[0] != OFF_TOPIC_LABEL]
    outside = [r for r in rows if r[0] == OFF_TOPIC_LABEL]
    print(f"{language.upper()} answers, k-fold on the entries' {language} examples ({len(inside)})"
          f" and off-topic examples ({len(outside)})")
    if not inside:
        print("  no examples in this language yet")
        return
    print(f"  ranked first correctly: {sum(r[0] == r[1] for r in inside) / len(inside):.3f}")
    thresholds = [(p, c) for p in (0.1, 0.15, 0.2, 0.25, 0.3) for c in (0.0, 0.5, 0.7)] if grid else [
        (retrieval.MIN_PROBABILITY, retrieval.MIN_COVERAGE)]
    for p, c in thresholds:
        hit = sum(r[0] == r[1] and accepted(r, p, c) for r in inside) / len(inside)
        honest = sum(not accepted(r, p, c) for r in outside) / len(outside) if outside else float("nan")
        print(f"  min probability {p:.2f}, min coverage {c:.1f}: hit@1 {hit:.3f}, off-topic not sure {honest:.3f}")


def _cell(value) -> str:
    """A figure as the tuning table shows it: rates to three places, counts as they are, '-' for none."""
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _line(label: str, values: dict, target: str = "") -> str:
    """One row of the tuning table: a value per language."""
    cells = "".join(f"{_cell(v):>11}" for v in values.values())
    return f"  {label:<26}{cells}" + (f"    target {target}" if target else "")


def luxembourgish_tuning() -> list[dict]:
    """The Luxembourgish tuning messages (eval/tuning/lb.yml): text, language, intent, and entry or cluster."""
    return (yaml.safe_load((TUNING / "lb.yml").read_text(encoding="utf-8")) or {}).get("messages") or []


def tuning_data(language: str) -> dict:
    """One language's tuning set in held_out's shape; the Luxembourgish messages' questions and projects become its
    questions and enquiries (the rest are scored on their language and intent only)."""
    if language != "lb":
        return held_out(language, f"tuning/{language}.yml", f"tuning/{language}.yml")
    messages = luxembourgish_tuning()
    return {"questions": [{"text": m["text"], "expect": m["entry"]} for m in messages if m.get("entry")],
            "out_of_scope": [],
            "enquiries": [{"text": m["text"], "expect": m["cluster"]} for m in messages if m.get("cluster")],
            "messages": messages}


def language_right(message: dict) -> bool:
    """Whether the conversation's language after the message is the expected one, from each of BEFORE
    ('keep': too short to tell, it stays)."""
    return all(next_language(before, message["text"]) == (before if message["language"] == "keep"
                                                          else message["language"]) for before in BEFORE)


def print_tuning(languages: tuple[str, ...], show_misses: bool) -> None:
    """Answer and routing figures per language on eval/tuning/<language>.yml, beside the issues' targets."""
    settings = get_settings()
    knowledge = cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)
    data = {x: tuning_data(x) for x in languages}
    answers = {x: score_answers(knowledge, data[x], x) for x in languages}
    routing = {x: score_routing(knowledge, data[x]["enquiries"], x) for x in languages}
    print(f"{'Tuning set (eval/tuning/)':<28}" + "".join(f"{x.upper():>11}" for x in languages))
    print(_line("questions", {x: answers[x].questions for x in languages}))
    print(_line("hit@1", {x: answers[x].hit1 for x in languages}, f">= {TARGETS['hit@1']:.2f}"))
    print(_line("hit@3", {x: answers[x].hit3 for x in languages}, f">= {TARGETS['hit@3']:.2f}"))
    print(_line("off-topic 'not sure'", {x: answers[x].not_sure_rate for x in languages},
                f">= {TARGETS['not sure']:.2f}"))
    print(_line("enquiries", {x: routing[x].enquiries for x in languages}))
    print(_line("top-1", {x: routing[x].top1 for x in languages},
                ", ".join(f"{x.upper()} >= {t:.2f}" for x, t in TARGETS["top-1"].items() if x in languages)))
    print(_line("top-2", {x: routing[x].top2 for x in languages}))
    print(_line("'no cluster' precision", {x: routing[x].none_precision for x in languages},
                f">= {TARGETS['none precision']:.2f}"))
    print(_line("'no cluster' recall", {x: routing[x].none_recall for x in languages}))
    for tag in SUBSETS:
        subsets = {x: [e for e in data[x]["enquiries"] if tag in (e.get("tags") or ())] for x in languages}
        scores = {x: score_routing(knowledge, subsets[x], x) if subsets[x] else None for x in languages}
        print(_line(f"'{tag}' top-1 (of n)", {x: None if s is None else f"{s.top1:.3f} ({s.enquiries})"
                                              for x, s in scores.items()}))
    messages = {x: data[x].get("messages") for x in languages}
    if any(messages.values()):
        print(_line("messages", {x: len(m) if m else None for x, m in messages.items()}))
        print(_line("language set or kept", {x: sum(map(language_right, m)) / len(m) if m else None
                                             for x, m in messages.items()}))
    print_pipeline(knowledge, data, languages, show_misses)
    if show_misses:
        print_misses(languages, answers, routing)
        for language, message in ((x, m) for x in languages for m in messages[x] or () if not language_right(m)):
            print(f"  {language} language miss: {message['text']!r}: expected {message['language']},"
                  f" got {', '.join(next_language(b, message['text']) for b in BEFORE)} from {', '.join(BEFORE)}")


def print_pipeline(knowledge, data: dict, languages: tuple[str, ...], show_misses: bool) -> None:
    """The whole pipeline's rows (the trained model's intent, then retrieval or routing, as the actions do):
    the NLU's question-vs-project split is where a visitor loses most, and the k-fold figures can't show it."""
    texts = [t for x in languages for t in [q["text"] for q in data[x]["questions"]] + data[x]["out_of_scope"]
             + [e["text"] for e in data[x]["enquiries"]] + [m["text"] for m in data[x].get("messages") or ()]]
    intents = parse_with_model(list(dict.fromkeys(texts)))
    if not intents:
        print("  whole pipeline: no trained model for the current bot data (train it first, see eval/run.py)")
        return
    pipeline = {x: score_pipeline(knowledge, data[x], intents, x) for x in languages}
    print("Whole pipeline (Rasa NLU intent, then retrieval or routing)")
    print(_line("questions, right entry", {x: pipeline[x]["hit@1"] for x in languages}))
    print(_line("projects, routed correctly", {x: pipeline[x]["routed"] for x in languages}))
    messages = {x: data[x].get("messages") for x in languages}
    if any(messages.values()):
        print(_line("messages' intent", {x: sum(intents[m["text"]] == m["intent"] for m in ms) / len(ms) if ms else None
                                         for x, ms in messages.items()}, f"LB >= {TARGETS['lb']:.2f}"))
    if show_misses:
        for x in languages:
            print_pipeline_misses(knowledge, data[x], intents, x)
            for m in messages[x] or ():
                if intents[m["text"]] != m["intent"]:
                    print(f"  {x} intent miss: {m['text']!r}: expected {m['intent']}, NLU {intents[m['text']]}")


def print_pipeline_misses(knowledge, data: dict, intents: dict[str, str], language: str) -> None:
    """Each question and enquiry the whole pipeline mishandles, judged by score_pipeline one item at a time."""
    for key, rate in (("questions", "hit@1"), ("enquiries", "routed")):
        for item in data[key]:
            alone = {"questions": [], "out_of_scope": [], "enquiries": [], key: [item]}
            if not score_pipeline(knowledge, alone, intents, language)[rate]:
                kind, entry, cluster = bot_handling(knowledge, item["text"], intents[item["text"]], language)
                print(f"  {language} pipeline miss: {item['text']!r}: expected {item['expect']},"
                      f" NLU {intents[item['text']]} → {kind} {entry or ''} {cluster or ''}")


def main(argv: list[str]) -> int:
    """Print the k-fold figures per language, or with `--tuning` the tuning set's."""
    settings = get_settings()
    languages = TUNING_LANGUAGES if "--tuning" in argv else LANGUAGES
    if "--languages" in argv:
        languages = tuple(argv[argv.index("--languages") + 1].split(","))
    if "--tuning" in argv:
        print_tuning(languages, "--misses" in argv)
        return 0
    clusters = load_clusters(settings.knowledge_dir / "clusters.yml")
    pipelines = {language: build_pipeline(clusters, language) for language in languages}
    entries = load_entries(settings.knowledge_dir / "content")
    synonyms, off_topic = load_synonyms(settings.knowledge_dir / "synonyms.yml"), load_off_topic()
    for language in languages:
        print_answers(language, answer_rows(entries, pipelines[language], synonyms, off_topic, language),
                      "--grid" in argv)
    hits = n = 0
    for fold in range(FOLDS):
        router = Router([dataclasses.replace(c, examples=fold_of(c.examples, fold, True)) for c in clusters],
                        pipelines)
        for cluster in clusters:
            for text in fold_of(cluster.examples, fold, False):
                route = router.route(text)
                n += 1
                hits += (route.best.cluster.id if route.best else route.decision) == cluster.id
    print(f"EN routing, k-fold on the clusters' examples: top-1 {hits / n:.3f} of {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
