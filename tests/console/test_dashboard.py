"""The dashboard draws its three charts as SVG from the database, with the numbers beside them; it tells answered, not
sure, out of scope and handed off apart by the replies' catalogue keys, and shows answer quality per entry and
routing corrections per cluster."""
from __future__ import annotations

import re
import time

from members.models import FlaggedMessage, VisitorFeedback
from members.seed import add_enquiry, add_events, bot_event, user_event
from tests.console.conftest import XSS, index_round
from tests.console.turns import answered_turn


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


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_answered_not_sure_out_of_scope_and_handed_off_are_told_apart_in_any_language(logged_in, db):
    now = time.time()
    with db.begin() as session:
        answered_turn(session, "c-answered", "how do I apply", "rd-funding", at=now - 60)
        add_events(session, [
            user_event("c-unsure", "Förderung für Teleportation?", "ask_question", 0.6, at=now - 50),
            bot_event("c-unsure", "Ich bin nicht sicher, ob ich die Antwort habe.", at=now - 49,
                metadata={"text_key": "answer.unsure"}),
            user_event("c-off", "quel temps fait-il demain ?", "out_of_scope", 0.9, at=now - 40),
            bot_event("c-off", "Désolé, cela dépasse ce que je peux faire.", at=now - 39, metadata={"text_key": "out_of_scope"}),
            user_event("c-hello", "moien", "greet", 0.9, at=now - 30),
            bot_event("c-hello", "Moien!", at=now - 29, metadata={"text_key": "greet"}),
        ])
        answered_turn(session, "c-handed", "can someone call me", "advisor-meeting", at=now - 20)
        add_events(session, [bot_event("c-handed", "Merci ! J'ai transmis votre demande.", at=now - 10,
            metadata={"text_key": "logged.mailed"})])
    index_round(db)
    html = logged_in.get("/console/dashboard").get_data(as_text=True)
    assert ("5 conversations: 1 handed off to a person (20%), 1 bot not sure (20%), 1 out of scope (20%), "
            "1 answered by the bot (20%), 1 no question answered (20%).") in text_of(html)
    assert "Replies: 2 answers from an entry, 1 “not sure”, 1 out of scope." in text_of(html)
    bars = svg_titles(html, "split")
    assert sorted(t.split(": ", 1)[1] for t in bars) == [
        "answered by the bot 1", "bot not sure 1", "handed off to a person 1", "no question answered 1",
        "out of scope 1"]


def test_answer_quality_per_entry_and_routing_corrections_per_cluster(logged_in, db):
    with db.begin() as session:
        session.add_all([
            VisitorFeedback(conversation_id="c-a", event_id=1, vote="down", entry="rd-funding", text_key="answer.source"),
            VisitorFeedback(conversation_id="c-b", event_id=2, vote="up", entry="rd-funding", text_key="answer.source"),
            VisitorFeedback(conversation_id="c-c", event_id=3, vote="up", entry="agency-contact"),
            FlaggedMessage(event_id=10, conversation_id="c-d", text="who pays", kind="wrong_answer",
                           answered_entry="rd-funding", correct_entry="rdi-aid-amounts", correct_intent="ask_question"),
            FlaggedMessage(event_id=11, conversation_id="c-e", text="old rates", kind="stale",
                           correct_entry="rdi-aid-amounts"),
            FlaggedMessage(event_id=12, conversation_id="c-f", text="implants", kind="wrong_cluster",
                           proposed_cluster="surfmat", correct_cluster="biohealth"),
        ])
        add_enquiry(session, "c-g", cluster_id="biohealth", route_reason="the visitor chose this cluster")
        add_enquiry(session, "c-h", cluster_id="surfmat", route_reason="mentions coatings")
    html = logged_in.get("/console/dashboard").get_data(as_text=True)
    quality = re.findall(r"<tr><td>[^<]*<code>([^<]+)</code></td>((?:<td>\d+</td>)+)</tr>",
                         html.split('id="quality"')[1].split("</section>")[0])
    rows = {entry: [int(n) for n in re.findall(r"\d+", cells)] for entry, cells in quality}
    assert rows == {"rd-funding": [1, 1, 1, 0, 0], "rdi-aid-amounts": [0, 0, 0, 1, 1], "agency-contact": [1, 0, 0, 0, 0]}
    assert [entry for entry, _ in quality][-1] == "agency-contact"  # no complaints: last
    routing = html.split('id="routing"')[1].split("</section>")[0]
    cells = dict((name, [int(n) for n in re.findall(r"<td>(\d+)</td>", rest)])
                 for name, rest in re.findall(r"<tr><td>([A-Za-z]+)</td>(.*?)</tr>", routing))
    assert cells == {"BioHealth": [1, 1, 0, 1], "SurfMat": [1, 0, 1, 0]}


def test_questions_the_bot_could_not_answer_most_asked_first(logged_in, seeded, db):
    now = time.time()
    with db.begin() as session:
        for n in range(3):
            add_events(session, [
                user_event(f"c-again-{n}", "Can I get money for a quantum teleportation prototype?", "ask_question", 0.3,
                           at=now - 50 + n),
                bot_event(f"c-again-{n}", "I'm not sure I have the answer to that.", at=now - 49 + n,
                    metadata={"text_key": "answer.unsure"}),
            ])
    index_round(db)
    html = logged_in.get("/console/dashboard").get_data(as_text=True)
    bars = svg_titles(html, "unanswered")
    # Asked three times here and once in the seeded conversations, counted together (case and punctuation aside);
    # besides it, the seeded XSS attempt the bot did not understand.
    assert bars[0] in ("can I get money for a quantum teleportation prototype: 4",
                       "Can I get money for a quantum teleportation prototype?: 4")
    assert len(bars) == 2 and bars[1].endswith(": 1")
    assert "<script>" not in html and "&lt;script&gt;" in html  # the XSS attempt is in this chart, as text
    assert XSS not in html


def test_periods_and_an_empty_dashboard(logged_in):
    html = logged_in.get("/console/dashboard?weeks=4").get_data(as_text=True)
    assert 'aria-current="page">4 weeks' in html
    assert html.count("No data for this period.") == 3
    assert "0 conversations" in html
    assert logged_in.get("/console/dashboard?weeks=7").status_code == 200  # falls back to 12 weeks
