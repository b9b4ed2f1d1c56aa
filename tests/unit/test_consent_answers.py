"""Answers to "may we store your details?" are understood when they say more than yes or no, in each language,
while a correction that starts with "no" stays a correction."""
from __future__ import annotations

import pytest

from actions.commands import yes_or_no


@pytest.mark.parametrize("said", ["yes, you can keep it", "yes, I agree", "I agree", "oui, j'accepte",
                                  "ja, einverstanden", "Ech sinn averstanen"])
def test_consent_given_in_words(said):
    assert yes_or_no(said) is True


@pytest.mark.parametrize("said", ["no, I'd rather not give my details", "no, I don't want to leave my name",
                                  "nein, keine Kontaktdaten", "non, je préfère pas"])
def test_consent_refused_in_words(said):
    assert yes_or_no(said) is False


def test_a_correction_starting_with_no_is_not_a_refusal():
    assert yes_or_no("no, it's more about the recycled material than about logistics") is None
