"""Train the NLU alone with a config and report intent accuracy per language on tests/data/nlu_dev_languages.yml."""
from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from rasa.core.agent import Agent
from rasa.model_training import train_nlu
from rasa.shared.nlu.training_data.loading import load_data

from actions.language import detected

ROOT = Path(__file__).resolve().parents[2]


def main(config: str = "config.yml", data: str = str(ROOT / "bot" / "nlu")) -> None:
    """Print the training time, then accuracy per language (langid's guess, lb where it isn't sure) and overall."""
    out = tempfile.mkdtemp(prefix="nlu-")
    started = time.monotonic()
    model = train_nlu(config, data, out, domain=str(ROOT / "domain.yml"))
    print(f"trained in {time.monotonic() - started:.1f} s")
    agent = Agent.load(model)
    right, total = Counter(), Counter()
    for example in load_data(str(ROOT / "tests" / "data" / "nlu_dev_languages.yml")).intent_examples:
        text = example.get("text")
        lang = detected(text) or "short"
        parsed = asyncio.run(agent.parse_message(text))
        total[lang] += 1
        ok = parsed["intent"]["name"] == example.get("intent")
        right[lang] += ok
        if not ok:
            print(f"  {example.get('intent'):>16} <- {parsed['intent']['name']:<16} {text}")
    for lang in sorted(total):
        print(f"{lang}: {right[lang]}/{total[lang]} = {right[lang] / total[lang]:.2f}")
    print(f"all: {sum(right.values())}/{sum(total.values())} = {sum(right.values()) / sum(total.values()):.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
