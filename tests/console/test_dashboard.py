"""The dashboard draws its three charts as SVG from the database, with the numbers beside them."""
from __future__ import annotations

import re
import time

from members.seed import add_events, bot_event, user_event
from tests.console.conftest import XSS, index_round


def svg_titles(html: str, chart_id: str) -> list[str]:
    """The tooltips of the bars of one chart."""
    svg = re.search(rf'<svg[^>]*aria-labelledby="{chart_id}-title".*?</svg>', html, re.DOTALL).group(0)
    return re.findall(r"<rect [^>]*><title>(.*?)</title></rect>", svg)


def test_enquiries_per_cluster_per_week(logged_in, seeded):
    html = logged_in.get("/console/dashboard").get_data(as_text=True)
    bars = svg_titles(html, "clusters")
    assert len(bars) == 3  # SurfMat this week, no cluster this week, InfoCom ten days ago
    assert any(t.endswith("SurfMat 1") for t in bars) and any(t.endswith("InfoCom 1") for t in bars)
    assert any(t.endswith("no cluster 1") for t in bars)
    assert '<span class="key">' in html and "SurfMat" in html


def test_share_answered_by_the_bot_vs_handed_off(logged_in, seeded):
    html = logged_in.get("/console/dashboard").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "4 conversations: 3 answered by the bot (75%), 1 handed off to a person (25%)." in text
    bars = svg_titles(html, "split")
    assert sum(int(t.rsplit(" ", 1)[1]) for t in bars if "answered by the bot" in t) == 3
    assert sum(int(t.rsplit(" ", 1)[1]) for t in bars if "handed off" in t) == 1


def test_questions_the_bot_could_not_answer_most_asked_first(logged_in, seeded, db):
    now = time.time()
    with db.begin() as session:
        for n in range(2):
            add_events(session, [
                user_event(f"c-again-{n}", "Can I get money for a quantum teleportation prototype?", "ask_question", 0.3,
                           at=now - 50 + n),
                bot_event(f"c-again-{n}", "I'm not sure I have the answer to that.", at=now - 49 + n),
            ])
    index_round(db)
    html = logged_in.get("/console/dashboard").get_data(as_text=True)
    bars = svg_titles(html, "unanswered")
    # Two wordings of one question, asked three times, counted together under one of the wordings.
    assert bars[0] in ("can I get money for a quantum teleportation prototype: 3",
                       "Can I get money for a quantum teleportation prototype?: 3")
    assert len(bars) == 2 and bars[1].endswith(": 1")
    assert "<script>" not in html and "&lt;script&gt;" in html  # the XSS attempt is in this chart, as text
    assert XSS not in html


def test_periods_and_an_empty_dashboard(logged_in):
    html = logged_in.get("/console/dashboard?weeks=4").get_data(as_text=True)
    assert 'aria-current="page">4 weeks' in html
    assert html.count("No data for this period.") == 3
    assert "0 conversations" in html
    assert logged_in.get("/console/dashboard?weeks=7").status_code == 200  # falls back to 12 weeks
