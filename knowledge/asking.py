"""How a message asks: the question words of EN, FR, DE and LB, questions put as statements ("we'd like to know …"),
and the question inside a longer message. Pure; retrieval answers a message on the part that asks, and
understanding reads what a message asks and what it tells with these."""
from __future__ import annotations

import re

_ASKING = (r"what|which|how|can|could|is|are|do|does|where|who|whom|when|should|may|will|"
           r"quel(?:le)?s?|comment|combien|est-ce|puis-je|pouvons-nous|peut-on|o[ùu]|qui|quand|y a-t-il|existe-t-il|"
           r"was|welche[rsmn]?|wie|wo|wer|wen|wann|k[öo]nnen|kann|gibt es|gibt's|wat|w[ée]i|wou|w[ée]ini")
QUESTION_START = re.compile(rf"^(?:and |but |so |et |mais |alors |und |aber |also )?(?:{_ASKING})\b", re.I)
# A question put as a statement: "we were wondering if there is a grant", "we'd like to know what funding we can
# get", "j'aimerais savoir si…", "ich frage mich, ob…".
INDIRECT_QUESTION = re.compile(
    r"\b(?:wonder(?:ing)? (?:if|whether)|(?:would|'d) like to know|want to know|(?:need|want) to find out|"
    r"tell (?:me|us)(?= (?:what|which|how|whether|if)\b)|"
    r"je me demand\w* (?:si|comment|quel)|(?:j'|nous )?(?:aimerais|voudrais|aimerions|voudrions) savoir|"
    r"ich frage mich|wir fragen uns|(?:ich|wir) (?:würden?|möchten?) gerne? wissen)\b,?", re.I)
# Where a message that describes a project and asks something splits: after a sentence or a semicolon, at a dash,
# or at a comma before a question word ("We make X, which funding exists?").
_SPLIT = re.compile(rf"(?<=[.!?;])\s+|\s+[;:–—-]\s+|,\s*(?=(?:and |but |so |et |mais |und |aber )?(?:{_ASKING})\b)", re.I)


def message_parts(text: str) -> list[str]:
    """A message cut where it turns from telling to asking (sentences, semicolons, dashes, a comma before a question word)."""
    return [p.strip() for p in _SPLIT.split(text) if p and p.strip()]


def is_question(part: str) -> bool:
    """A part of a message that asks something."""
    return part.rstrip().endswith("?") or bool(QUESTION_START.match(part.strip())) or bool(
        INDIRECT_QUESTION.search(part))


def indirect_question(text: str) -> str | None:
    """What a sentence asks indirectly ('… and we'd like to know what funding we can get' → 'what funding we can
    get'), else None."""
    found = INDIRECT_QUESTION.search(text or "")
    asked = text[found.end():].strip(" ,.:") if found else ""
    return asked or None


def question_part(text: str) -> str | None:
    """The question inside a message that also says something else ('We make X. Which funding exists?')."""
    parts = message_parts(text)
    questions = [p for p in parts if is_question(p)]
    return questions[-1] if questions and len(parts) > 1 else None


def asked_part(question: str) -> str | None:
    """The part of a longer message that asks ('… and I'd like to know what share the state covers' → 'what share
    the state covers'; 'We make X. Which funding exists?' → 'Which funding exists?'), else None."""
    part = question_part(question) or question
    asked = indirect_question(part) or (part if part != question else None)
    return asked if asked and asked.strip() != question.strip() else None
