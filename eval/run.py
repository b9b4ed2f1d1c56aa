"""Print answer and routing accuracy on the held-out files in eval/ (never used for training or tuning)."""
from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import yaml

from firststop.settings import get_settings
from knowledge.store import Knowledge, cached_knowledge
from knowledge.understanding import HANDOFF_INTENTS, QUESTION_INTENTS, read_question

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class AnswerScores:
    questions: int
    hit1: float
    hit3: float
    out_of_scope: int
    not_sure_rate: float
    misses: list[tuple[str, str, str]]
    false_answers: list[tuple[str, str]]


@dataclass(frozen=True)
class RoutingScores:
    enquiries: int
    top1: float
    top2: float
    none_precision: float
    none_recall: float
    per_cluster: dict[str, tuple[int, int]]
    misses: list[tuple[str, str, str]]


def score_answers(knowledge: Knowledge, data: dict) -> AnswerScores:
    """hit@1 and hit@3 of the expected entry; share of out-of-scope questions answered 'not sure'."""
    hit1 = hit3 = 0
    misses = []
    for item in data["questions"]:
        answer = knowledge.index.answer(item["text"])
        ranked = [m.entry.id for m in answer.candidates]
        best = answer.best.entry.id if answer.best else None
        hit1 += best == item["expect"]
        hit3 += item["expect"] in ranked[:3]
        if best != item["expect"]:
            misses.append((item["text"], item["expect"], best or "(not sure)"))
    false_answers = []
    for text in data["out_of_scope"]:
        answer = knowledge.index.answer(text)
        if answer.best is not None:
            false_answers.append((text, answer.best.entry.id))
    n, m = len(data["questions"]), len(data["out_of_scope"])
    return AnswerScores(n, hit1 / n, hit3 / n, m, 1 - len(false_answers) / m, misses, false_answers)


def score_routing(knowledge: Knowledge, data: dict) -> RoutingScores:
    """Top-1 and top-2 cluster accuracy, and precision/recall of 'no cluster'."""
    top1 = top2 = predicted_none = correct_none = true_none = 0
    per_cluster: dict[str, list[int]] = {}
    misses = []
    for item in data["enquiries"]:
        route = knowledge.router.route(item["text"])
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
    n = len(data["enquiries"])
    return RoutingScores(
        n, top1 / n, top2 / n,
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

    from firststop.launcher import ROOT, model_fingerprint

    model = ROOT / "models" / f"firststop-{model_fingerprint()}.tar.gz"
    if not model.exists():
        return {}
    logging.getLogger("rasa").setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    agent = Agent.load(str(model))

    async def parse_all() -> dict[str, str]:
        return {t: (await agent.parse_message(t))["intent"]["name"] for t in texts}

    return asyncio.run(parse_all())


def bot_handling(knowledge: Knowledge, text: str, intent: str) -> tuple[str, str | None]:
    """What the bot does with `text` given its NLU intent: ('answer', entry id), ('route', cluster or
    None), ('handoff', None) or ('honest', None) — the same decisions as the actions make."""
    if intent in QUESTION_INTENTS:
        reading = read_question(knowledge, text, intent)
        if reading.kind == "answer":
            return "answer", reading.answer.best.entry.id
        if reading.kind == "route":
            return "route", reading.route.best.cluster.id
        return "honest", None
    if intent == "describe_project":
        route = knowledge.router.route(text)
        return "route", route.best.cluster.id if route.best else None
    if intent in HANDOFF_INTENTS:
        return "handoff", None
    return "other", None


def score_pipeline(knowledge: Knowledge, questions: dict, enquiries: dict) -> dict[str, float] | None:
    """What a visitor gets: the NLU's intent first, then retrieval or routing, as the actions do.

    A question about a cluster that the bot treats as a project routed to that cluster, and a
    question about meeting an advisor that the bot hands to a person, count as well handled.
    """
    texts = [q["text"] for q in questions["questions"]] + questions["out_of_scope"]
    texts += [e["text"] for e in enquiries["enquiries"]]
    intents = parse_with_model(texts)
    if not intents:
        return None
    answered = 0
    for q in questions["questions"]:
        kind, target = bot_handling(knowledge, q["text"], intents[q["text"]])
        answered += (kind == "answer" and target == q["expect"]) or (
            kind == "route" and q["expect"] == f"cluster-{target}") or (
            kind == "handoff" and q["expect"] == "advisor-meeting")
    honest = sum(bot_handling(knowledge, t, intents[t])[0] in ("honest", "other") for t in questions["out_of_scope"])
    routed = 0
    for item in enquiries["enquiries"]:
        kind, target = bot_handling(knowledge, item["text"], intents[item["text"]])
        routed += (kind == "route" and (target or "none") == item["expect"]) or (
            item["expect"] == "none" and kind == "honest")
    return {
        "hit@1": answered / len(questions["questions"]),
        "not sure": honest / len(questions["out_of_scope"]),
        "routed": routed / len(enquiries["enquiries"]),
    }


def main(argv: list[str]) -> int:
    warnings.filterwarnings("ignore")  # Rasa's and TensorFlow's deprecation notices are not ours to show
    verbose = "-v" in argv
    started = time.monotonic()
    settings = get_settings()
    knowledge = cached_knowledge(settings.knowledge_dir, settings.knowledge_cache_dir)
    questions = yaml.safe_load((HERE / "questions.yml").read_text())
    enquiries = yaml.safe_load((HERE / "enquiries.yml").read_text())
    answers = score_answers(knowledge, questions)
    routing = score_routing(knowledge, enquiries)
    pipeline = score_pipeline(knowledge, questions, enquiries)
    print("Answering (eval/questions.yml, held out)")
    print(f"  questions            {answers.questions}")
    print(f"  hit@1                {answers.hit1:.3f}   (target ≥ 0.90)")
    print(f"  hit@3                {answers.hit3:.3f}")
    print(f"  out-of-scope         {answers.out_of_scope}")
    print(f"  honest 'not sure'    {answers.not_sure_rate:.3f}   (target ≥ 0.90)")
    print("Routing (eval/enquiries.yml, held out)")
    print(f"  enquiries            {routing.enquiries}")
    print(f"  top-1                {routing.top1:.3f}   (target ≥ 0.90)")
    print(f"  top-2                {routing.top2:.3f}")
    print(f"  'no cluster' precision {routing.none_precision:.3f}, recall {routing.none_recall:.3f}")
    print("  per cluster          " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in routing.per_cluster.items()))
    if pipeline is None:
        print("Whole pipeline: no trained model for the current bot data (run `make run` or `make test` first)")
    else:
        print("Whole pipeline (Rasa NLU intent, then retrieval or routing), as a visitor gets it")
        print(f"  questions answered with the right entry   {pipeline['hit@1']:.3f}")
        print(f"  out-of-scope handled honestly             {pipeline['not sure']:.3f}")
        print(f"  project descriptions routed correctly     {pipeline['routed']:.3f}")
    if verbose:
        for text, expect, got in answers.misses:
            print(f"  answer miss: {text!r}: expected {expect}, got {got}")
        for text, got in answers.false_answers:
            print(f"  answered out-of-scope: {text!r} → {got}")
        for text, expect, got in routing.misses:
            print(f"  routing miss: {text!r}: expected {expect}, got {got}")
    print(f"({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
