"""Print answer and routing accuracy per language on the held-out files in eval/ (never used for
training or tuning), beside the issues' targets; `--misses` also lists what was missed, for someone
who is not tuning."""
from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from actions.answers import answer_to_project_message
from actions.privacy import ERASURE_TOPIC
from firststop.settings import get_settings
from knowledge.content import stale_translations
from knowledge.store import Knowledge, cached_knowledge
from knowledge.understanding import HANDOFF_INTENTS, QUESTION_INTENTS, read_question

HERE = Path(__file__).resolve().parent
# Language, its questions file, its enquiries file (the French and German files hold both).
LANGUAGES = (("en", "questions.yml", "enquiries.yml"), ("fr", "fr.yml", "fr.yml"), ("de", "de.yml", "de.yml"))
# Issue 16 for answers and English routing, issue 15 for French and German routing and Luxembourgish understanding.
TARGETS = {"hit@1": 0.92, "hit@3": 0.98, "not sure": 0.90, "none precision": 0.85,
           "top-1": {"en": 0.92, "fr": 0.90, "de": 0.90}, "lb": 0.85}
SUBSETS = ("unusual", "sector")


@dataclass(frozen=True)
class AnswerScores:
    """Answer retrieval on one language's held-out questions."""

    questions: int
    hit1: float
    hit3: float
    out_of_scope: int
    not_sure_rate: float | None
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    false_answers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RoutingScores:
    """Routing on one language's held-out enquiries."""

    enquiries: int
    top1: float
    top2: float
    none_precision: float
    none_recall: float
    per_cluster: dict[str, tuple[int, int]]
    misses: list[tuple[str, str, str]] = field(default_factory=list)


def score_answers(knowledge: Knowledge, data: dict, language: str = "en") -> AnswerScores:
    """hit@1 and hit@3 of the expected entry; share of out-of-scope questions answered 'not sure'."""
    questions, outside = data.get("questions") or [], data.get("out_of_scope") or []
    hit1 = hit3 = 0
    misses = []
    for item in questions:
        answer = knowledge.answer(item["text"], language)
        ranked = [m.entry.id for m in answer.candidates]
        best = answer.best.entry.id if answer.best else None
        hit1 += best == item["expect"]
        hit3 += item["expect"] in ranked[:3]
        if best != item["expect"]:
            misses.append((item["text"], item["expect"], best or "(not sure)"))
    false_answers = []
    for text in outside:
        answer = knowledge.answer(text, language)
        if answer.best is not None:
            false_answers.append((text, answer.best.entry.id))
    n, m = len(questions) or 1, len(outside)
    return AnswerScores(len(questions), hit1 / n, hit3 / n, m, 1 - len(false_answers) / m if m else None,
                        misses, false_answers)


def score_routing(knowledge: Knowledge, items: list[dict], language: str = "en") -> RoutingScores:
    """Top-1 and top-2 cluster accuracy, and precision/recall of 'no cluster'."""
    top1 = top2 = predicted_none = correct_none = true_none = 0
    per_cluster: dict[str, list[int]] = {}
    misses = []
    for item in items:
        route = knowledge.route(item["text"], language)
        expect = item["expect"]
        predicted = route.best.cluster.id if route.best else "none"
        ranked = [s.cluster.id for s in route.ranked]
        ok1 = predicted == expect
        ok2 = ok1 or (expect != "none" and expect in ranked[:2] and predicted != "none")
        top1 += ok1
        top2 += ok2
        true_none += expect == "none"
        predicted_none += predicted == "none"
        correct_none += predicted == "none" and expect == "none"
        counts = per_cluster.setdefault(expect, [0, 0])
        counts[0] += ok1
        counts[1] += 1
        if not ok1:
            misses.append((item["text"], expect, f"{predicted} ({route.decision})"))
    n = len(items) or 1
    return RoutingScores(
        len(items), top1 / n, top2 / n,
        correct_none / predicted_none if predicted_none else 0.0,
        correct_none / true_none if true_none else 0.0,
        {k: (v[0], v[1]) for k, v in sorted(per_cluster.items())}, misses,
    )


def parse_with_model(texts: list[str]) -> dict[str, str]:
    """Intent of each text according to the trained Rasa model (the newest in models/)."""
    import asyncio
    import logging

    import structlog
    from rasa.core.agent import Agent

    from firststop.settings import ROOT
    from launch.stack import model_fingerprint

    model = ROOT / "models" / f"firststop-{model_fingerprint()}.tar.gz"
    if not model.exists():
        return {}
    logging.getLogger("rasa").setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    agent = Agent.load(str(model))

    async def parse_all() -> dict[str, str]:
        return {t: (await agent.parse_message(t))["intent"]["name"] for t in texts}

    return asyncio.run(parse_all())


def bot_handling(knowledge: Knowledge, text: str, intent: str, language: str = "en") -> tuple[str, str | None, str | None]:
    """What the bot does with `text` given its NLU intent, as (kind, entry answered, cluster routed to): 'answer',
    'route', 'answer_and_route' (a question asked with the visitor's project: both), 'handoff', 'honest' or
    'other' — the same decisions as the actions make."""
    if intent in QUESTION_INTENTS:
        reading = read_question(knowledge, text, intent, language=language)
        entry = reading.answer.best.entry.id if reading.kind in ("answer", "answer_and_route") else None
        cluster = reading.route.best.cluster.id if reading.routes else None
        return (reading.kind if entry or cluster else "honest"), entry, cluster
    if intent == "describe_project":  # the enquiry form routes it and answers what it asks (answer_question_part)
        route = knowledge.route(text, language)
        answer = answer_to_project_message(knowledge, text, language)
        cluster = route.best.cluster.id if route.best else None
        return ("answer_and_route" if answer else "route"), answer.best.entry.id if answer else None, cluster
    if intent in HANDOFF_INTENTS:
        return "handoff", None, None
    if intent == "privacy_request":  # action_privacy answers with the erasure entry
        return "answer", ERASURE_TOPIC, None
    return "other", None, None


def score_pipeline(knowledge: Knowledge, data: dict, intents: dict[str, str], language: str) -> dict[str, float | None]:
    """What a visitor gets: the NLU's intent first, then retrieval or routing, as the actions do.

    A question about a cluster that the bot treats as a project routed to that cluster, and a
    question about meeting an advisor that the bot hands to a person, count as well handled; so does a project
    that fits no cluster answered with a referral to the office that can help (referral-* entries).
    """
    def rate(hits: int, items: list) -> float | None:
        return hits / len(items) if items else None

    answered = 0
    for q in data["questions"]:
        kind, entry, cluster = bot_handling(knowledge, q["text"], intents[q["text"]], language)
        answered += (entry is not None and entry == q["expect"]) or (
            kind == "route" and q["expect"] == f"cluster-{cluster}") or (
            kind == "handoff" and q["expect"] == "advisor-meeting")
    honest = sum(bot_handling(knowledge, t, intents[t], language)[0] in ("honest", "other")
                 for t in data["out_of_scope"])
    routed = 0
    for item in data["enquiries"]:
        kind, entry, cluster = bot_handling(knowledge, item["text"], intents[item["text"]], language)
        routed += (kind in ("route", "answer_and_route") and (cluster or "none") == item["expect"]) or (
            item["expect"] == "none" and (kind == "honest" or kind == "answer" and entry.startswith("referral-")))
    return {"hit@1": rate(answered, data["questions"]), "not sure": rate(honest, data["out_of_scope"]),
            "routed": rate(routed, data["enquiries"])}


def luxembourgish_messages() -> list[dict]:
    """The held-out Luxembourgish messages, each with the intent the visitor means."""
    return (yaml.safe_load((HERE / "lb.yml").read_text(encoding="utf-8")) or {}).get("messages", [])


def held_out(language: str, questions_file: str, enquiries_file: str) -> dict:
    """One language's held-out questions, out-of-scope questions and enquiries."""
    questions = yaml.safe_load((HERE / questions_file).read_text(encoding="utf-8")) or {}
    enquiries = questions if enquiries_file == questions_file else (
        yaml.safe_load((HERE / enquiries_file).read_text(encoding="utf-8")) or {})
    return {"questions": questions.get("questions") or [], "out_of_scope": questions.get("out_of_scope") or [],
            "enquiries": enquiries.get("enquiries") or []}


def _cell(value) -> str:
    if value is None:
        return "     -"
    return f"{value:6.3f}" if isinstance(value, float) else f"{value:6d}"


def _row(label: str, values: list, target: str = "") -> str:
    return f"  {label:<28}" + "  ".join(_cell(v) for v in values) + (f"    target {target}" if target else "")


def print_misses(languages, answers, routing) -> None:
    """Each question answered wrongly, each off-topic question answered, each enquiry routed wrongly."""
    for language in languages:
        for text, expect, got in answers[language].misses:
            print(f"  {language} answer miss: {text!r}: expected {expect}, got {got}")
        for text, got in answers[language].false_answers:
            print(f"  {language} answered out-of-scope: {text!r} → {got}")
        for text, expect, got in routing[language].misses:
            print(f"  {language} routing miss: {text!r}: expected {expect}, got {got}")


def main(argv: list[str]) -> int:
    """Score every language and print the table; `--misses` lists the misses too."""
    warnings.filterwarnings("ignore")  # Rasa's and TensorFlow's deprecation notices are not ours to show
    show_misses = "--misses" in argv
    started = time.monotonic()
    settings = get_settings()
    knowledge = cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)
    data = {language: held_out(language, q, e) for language, q, e in LANGUAGES}
    languages = [language for language, _, _ in LANGUAGES]
    answers = {language: score_answers(knowledge, data[language], language) for language in languages}
    routing = {language: score_routing(knowledge, data[language]["enquiries"], language) for language in languages}
    luxembourgish = luxembourgish_messages()
    texts = [t for d in data.values() for t in [q["text"] for q in d["questions"]] + d["out_of_scope"]
             + [e["text"] for e in d["enquiries"]]] + [m["text"] for m in luxembourgish]
    intents = parse_with_model(list(dict.fromkeys(texts)))
    top1_target = ", ".join(f"{lang.upper()} ≥ {t:.2f}" for lang, t in TARGETS["top-1"].items())

    print(f"{'':30}" + "  ".join(f"{lang.upper():>6}" for lang in languages))
    print("Answering (eval/questions.yml, fr.yml, de.yml: held out)")
    print(_row("questions", [answers[x].questions for x in languages]))
    print(_row("hit@1", [answers[x].hit1 for x in languages], f"≥ {TARGETS['hit@1']:.2f}"))
    print(_row("hit@3", [answers[x].hit3 for x in languages], f"≥ {TARGETS['hit@3']:.2f}"))
    print(_row("out-of-scope questions", [answers[x].out_of_scope for x in languages]))
    print(_row("honest 'not sure'", [answers[x].not_sure_rate for x in languages], f"≥ {TARGETS['not sure']:.2f}"))
    print("Routing (eval/enquiries.yml, fr.yml, de.yml: held out)")
    print(_row("enquiries", [routing[x].enquiries for x in languages]))
    print(_row("top-1", [routing[x].top1 for x in languages], top1_target))
    print(_row("top-2", [routing[x].top2 for x in languages]))
    print(_row("'no cluster' precision", [routing[x].none_precision for x in languages],
               f"≥ {TARGETS['none precision']:.2f}"))
    print(_row("'no cluster' recall", [routing[x].none_recall for x in languages]))
    for language in languages:
        print(f"  {language.upper()} per cluster  " + ", ".join(
            f"{k} {a}/{b}" for k, (a, b) in routing[language].per_cluster.items()))
    for tag in SUBSETS:
        subset = [e for e in data["en"]["enquiries"] if tag in (e.get("tags") or ())]
        scores = score_routing(knowledge, subset, "en")
        print(_row(f"EN '{tag}' ({scores.enquiries}) top-1", [scores.top1], f"≥ {TARGETS['top-1']['en']:.2f}"))
    print("Translations (knowledge/content/translations)")
    stale = Counter(language for _, language in stale_translations(knowledge.entries))
    translated = Counter(language for e in knowledge.entries for language in getattr(e, "translations", {}) or {})
    print(_row(f"translated (of {len(knowledge.entries)})", [len(knowledge.entries)] + [
        translated[x] for x in languages[1:]], f"{len(knowledge.entries)} each"))
    print(_row("stale", [0] + [stale[x] for x in languages[1:]], "0"))
    if not intents:
        print("Whole pipeline: no trained model for the current bot data (run `make run` or `make test` first)")
    else:
        pipeline = {x: score_pipeline(knowledge, data[x], intents, x) for x in languages}
        print("Whole pipeline (Rasa NLU intent, then retrieval or routing), as a visitor gets it")
        print(_row("questions, right entry", [pipeline[x]["hit@1"] for x in languages]))
        print(_row("out-of-scope, honest", [pipeline[x]["not sure"] for x in languages]))
        print(_row("projects, routed correctly", [pipeline[x]["routed"] for x in languages]))
        understood = sum(intents[m["text"]] == m["expect"] for m in luxembourgish)
        print(f"Luxembourgish (eval/lb.yml: held out): {understood} of {len(luxembourgish)} messages understood "
              f"(Rasa NLU intent), {understood / (len(luxembourgish) or 1):.3f}, target ≥ {TARGETS['lb']:.2f}")
    if show_misses:
        print_misses(languages, answers, routing)
    print(f"({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
