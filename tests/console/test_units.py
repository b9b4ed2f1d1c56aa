"""The console's pure functions: chart geometry, search indexing of messages, inbox filters and cursors,
NLU export text, CSV cells, week boundaries."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from console import charts, search
from console.dashboard import mondays
from console.inbox import InboxFilter, _cell, decode_cursor, encode_cursor
from console.review import clean_tag, domain_intents, nlu_yaml
from members.transcripts import Message
from tests.console.test_review_units import fold

AT = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, ceiling", [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (23, 25), (180, 200), (4001, 5000)])
def test_axis_ceilings_are_round(value, ceiling):
    assert charts.nice_ceiling(value) == ceiling


def test_stacked_columns_stack_in_proportion():
    chart = charts.stacked_columns("t", ["w1", "w2"], [("a", [2, 0]), ("b", [2, 4])], width=300, height=200)
    a1, b1, b2 = chart.bars  # zero-height bars are left out
    assert a1.height == b1.height == b2.height / 2
    assert b1.y + b1.height == pytest.approx(a1.y)  # b sits on a
    assert a1.x == b1.x < b2.x
    assert chart.legend == (("series-0", "a"), ("series-1", "b"))
    assert [label.text for label in chart.labels if label.css_class == "axis"][-2:] == ["w1", "w2"]


def test_horizontal_bars_longest_is_full_width():
    chart = charts.horizontal_bars("t", [("first question", 4), ("second", 2)], width=300)
    assert chart.bars[0].width == 2 * chart.bars[1].width
    assert chart.bars[0].title == "first question: 4"
    assert charts.horizontal_bars("t", []).empty


def visitor(event_id: int, text: str, intent: str = "ask_question", confidence: float = 0.9) -> Message:
    return Message("visitor", text, AT, intent, confidence, event_id=event_id)


def bot(event_id: int, text: str) -> Message:
    return Message("bot", text, AT, event_id=event_id)


def test_indexing_keeps_words_typed_and_said_but_not_button_payloads():
    state, found = fold([visitor(1, "we make <b>coatings</b>"), bot(2, "SurfMat fits."), visitor(3, "/affirm")])
    assert state["search_text"] == "we make  b coatings /b \nSurfMat fits."
    assert state["visitor_messages"] == 1 and state["last_event_id"] == 3 and found == []


def test_search_words_are_letters_and_digits_only():
    assert search.words("R&D   grants: 2026!") == ["r", "d", "grants", "2026"]
    assert search.words("'; DROP TABLE x; --") == ["drop", "table", "x"]
    assert search.matches("postgresql", "!!") is None


def test_inbox_filter_reads_only_sensible_values():
    flt = InboxFilter.from_args({"status": "handed_off", "unsure": "1", "from": "2026-02-30", "to": "2026-03-01",
                                 "sort": "drop table", "reviewed": "maybe", "q": "  a   b "})
    assert (flt.status, flt.unsure, flt.date_from, flt.date_to, flt.sort, flt.reviewed, flt.q) == (
        "handed_off", True, None, date(2026, 3, 1), "newest", "", "a b")
    assert flt.to_args() == {"status": "handed_off", "unsure": "1", "to": "2026-03-01", "q": "a b"}
    assert InboxFilter.from_args(flt.to_args()) == flt
    assert flt.for_advisor("a-1").advisor == "a-1" and flt.for_advisor(None).advisor == "none"


def test_page_cursors_round_trip():
    assert decode_cursor(encode_cursor(AT, 42)) == (AT, 42)
    naive = datetime(2026, 1, 1, 12, 0, 0, 123456)
    assert decode_cursor(encode_cursor(naive, 7)) == (naive, 7)
    for bad in (None, "", "x", "2026-01-01~x", "yesterday~3"):
        assert decode_cursor(bad) is None


def test_nlu_yaml_groups_by_intent_and_drops_repeats():
    text = nlu_yaml([("greet", "hi\nthere"), ("ask_question", "R&D: money?"), ("greet", "hi  there")], date(2026, 1, 2))
    assert text.splitlines()[2:] == [
        'version: "3.1"', "", "nlu:",
        "- intent: ask_question", "  examples: |", "    - R&D: money?",
        "- intent: greet", "  examples: |", "    - hi there",
    ]
    assert "nlu: []" in nlu_yaml([])


def test_domain_intents_are_the_bots():
    intents = domain_intents()
    assert "ask_question" in intents and "request_human" in intents and "nlu_fallback" not in intents


@pytest.mark.parametrize("value, cell", [("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
                                         ("plain", "plain"), (None, ""), (True, "True"), (0.5, "0.5")])
def test_csv_cells_are_not_formulas(value, cell):
    assert _cell(value) == cell


def test_tags_are_tidied():
    assert clean_tag("  Event   LEAD ") == "event lead"
    assert len(clean_tag("x" * 100)) == 64


def test_mondays_of_the_last_weeks():
    assert mondays(date(2026, 11, 26), 3) == [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    assert mondays(date(2026, 11, 23), 1) == [date(2026, 11, 23)]


@pytest.mark.parametrize("top, ticks", [(5, ["0", "1", "2", "3", "4", "5"]), (2, ["0", "1", "2"]),
                                        (17, ["0", "5", "10", "15", "20"])])
def test_axis_ticks_are_whole_numbers(top, ticks):
    chart = charts.stacked_columns("t", ["w"], [("a", [top])])
    assert [label.text for label in chart.labels if label.anchor == "end"] == ticks
