"""The enquiries inbox: every filter, transcript search, sorting, keyset pages, "mine", and the CSV export."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from members.seed import add_enquiry
from tests.console.conftest import post

LINK = re.compile(r'href="/console/conversations/([^"#]+)"')


def listed(response) -> list[str]:
    """The conversation ids of the enquiries listed, in order."""
    assert response.status_code == 200
    return LINK.findall(response.get_data(as_text=True))


@pytest.mark.parametrize("query, expected", [
    ("", ["c-coatings", "c-xss", "c-funding"]),  # newest first; the XSS enquiry was written before c-coatings
    ("status=handed_off", ["c-xss"]),
    ("status=in_progress", ["c-funding"]),
    ("cluster=surfmat", ["c-coatings"]),
    ("advisor=a-surfmat-fr", ["c-coatings"]),
    ("advisor=none", ["c-funding"]),
    ("language=de", ["c-funding"]),
    ("unsure=1", ["c-xss", "c-funding"]),
    ("cluster=surfmat&status=closed", []),
    ("status=nonsense", ["c-coatings", "c-xss", "c-funding"]),  # an unknown status is ignored, not an error
])
def test_filters(logged_in, seeded, query, expected):
    assert sorted(listed(logged_in.get(f"/console/?{query}"))) == sorted(expected)


def test_newest_first_and_other_orders(logged_in, seeded):
    assert listed(logged_in.get("/console/"))[-1] == "c-funding"  # ten days old
    assert listed(logged_in.get("/console/?sort=oldest"))[0] == "c-funding"
    post(logged_in, "/console/enquiries/3/status", {"status": "closed"})  # touches c-funding
    assert listed(logged_in.get("/console/?sort=updated"))[0] == "c-funding"


def test_date_range(logged_in, seeded):
    today = date.today()
    around_ten_days = f"from={(today - timedelta(days=11)).isoformat()}&to={(today - timedelta(days=9)).isoformat()}"
    assert listed(logged_in.get(f"/console/?{around_ten_days}")) == ["c-funding"]
    assert sorted(listed(logged_in.get(f"/console/?from={today.isoformat()}"))) == ["c-coatings", "c-xss"]
    assert sorted(listed(logged_in.get(f"/console/?to={today.isoformat()}"))) == ["c-coatings", "c-funding", "c-xss"]
    assert len(listed(logged_in.get("/console/?from=not-a-date"))) == 3


@pytest.mark.parametrize("words, expected", [
    ("corrosion", ["c-coatings"]),  # what the visitor typed
    ("Marchetti", ["c-coatings"]),  # what the bot said
    ("teleportation prototype", ["c-funding"]),  # every word must be there
    ("teleportation coatings", []),
    ("teleport", ["c-funding"]),  # the start of a word is enough
    ("script", ["c-xss"]),
    ("!!!", ["c-coatings", "c-xss", "c-funding"]),  # nothing to search for: everything
])
def test_full_text_search_over_transcripts(logged_in, seeded, words, expected):
    assert sorted(listed(logged_in.get("/console/", query_string={"q": words}))) == sorted(expected)


def test_search_finds_messages_written_after_the_first_search(logged_in, seeded, db):
    from members.seed import add_events, user_event
    from tests.console.conftest import index_round

    assert listed(logged_in.get("/console/?q=hydrogen")) == []
    with db.begin() as session:
        add_events(session, [user_event(seeded.coatings, "and hydrogen storage tanks", "describe_project", 0.8)])
    assert listed(logged_in.get("/console/?q=hydrogen")) == []  # a page never writes the index: the worker does
    index_round(db)
    assert listed(logged_in.get("/console/?q=hydrogen")) == ["c-coatings"]


def test_search_combines_with_filters(logged_in, seeded):
    assert listed(logged_in.get("/console/?q=talk&status=handed_off")) == ["c-xss"]
    assert listed(logged_in.get("/console/?q=talk&status=new")) == []


def test_tag_and_review_filters(logged_in, seeded):
    post(logged_in, "/console/enquiries/2/tags", {"tag": "Event lead"})
    post(logged_in, "/console/enquiries/2/review", {"reviewed": "1"})
    assert listed(logged_in.get("/console/?tag=event+lead")) == ["c-coatings"]
    assert listed(logged_in.get("/console/?reviewed=yes")) == ["c-coatings"]
    assert sorted(listed(logged_in.get("/console/?reviewed=no"))) == ["c-funding", "c-xss"]
    page = logged_in.get("/console/").get_data(as_text=True)
    assert '<span class="tag">event lead</span>' in page and "reviewed</span>" in page


def test_mine_shows_the_enquiries_of_the_accounts_advisor(logged_in, admin, seeded):
    assert listed(logged_in.get("/console/mine")) == ["c-coatings"]
    assert listed(logged_in.get("/console/mine?status=closed")) == []
    response = admin.get("/console/mine", follow_redirects=True)  # the admin account is no advisor
    assert b"not linked to an advisor" in response.data and len(listed(response)) == 3


def _many(db, count: int, status: str = "new") -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with db.begin() as session:
        for n in range(count):
            # Pairs share a timestamp, so the pages must break ties by id.
            add_enquiry(session, f"bulk-{status}-{n:03d}", summary=f"bulk enquiry {n}", status=status,
                        created_at=start + timedelta(minutes=n // 2))


def _walk(client, url: str) -> tuple[list[str], list[str]]:
    """Follow Next links to the end, then Previous links back; returns the ids seen each way."""
    forward, pages = [], []
    while url:
        page = client.get(url).get_data(as_text=True)
        ids = LINK.findall(page)
        assert len(ids) <= 50
        forward += ids
        pages.append(ids)
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    backward = []
    prev = re.search(r'rel="prev" href="([^"]+)"', page)
    while prev:
        page = client.get(prev.group(1).replace("&amp;", "&")).get_data(as_text=True)
        backward = LINK.findall(page) + backward
        prev = re.search(r'rel="prev" href="([^"]+)"', page)
    return forward, pages[-1] + backward if len(pages) > 1 else forward


def test_pages_walk_every_enquiry_once_in_order_both_ways(logged_in, seeded, db):
    _many(db, 120)
    forward, both = _walk(logged_in, "/console/")
    assert len(forward) == 123 and len(set(forward)) == 123
    bulk = [i for i in forward if i.startswith("bulk")]
    assert bulk == sorted(bulk, reverse=True)  # newest first, ties by id, across page boundaries
    assert sorted(both) == sorted(forward)
    assert b"(123)" in logged_in.get("/console/").data


def test_pages_within_a_filter_and_oldest_first(logged_in, seeded, db):
    _many(db, 70, status="closed")
    forward, _ = _walk(logged_in, "/console/?status=closed&sort=oldest")
    assert forward == [f"bulk-closed-{n:03d}" for n in range(70)]


def test_a_malformed_page_cursor_shows_the_first_page(logged_in, seeded):
    assert listed(logged_in.get("/console/?after=garbage")) == listed(logged_in.get("/console/"))


def test_csv_export_of_the_filtered_enquiries(logged_in, seeded, db):
    response = logged_in.get("/console/enquiries.csv?cluster=surfmat")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["conversation_id"] == "c-coatings" and rows[0]["contact_email"] == "marie@acme.example"
    assert rows[0]["organisation"] == "Acme Coatings S.A." and rows[0]["advisor"] == "Julien Marchetti"
    everything = list(csv.DictReader(io.StringIO(logged_in.get("/console/enquiries.csv").get_data(as_text=True))))
    assert [r["conversation_id"] for r in everything] == ["c-coatings", "c-xss", "c-funding"]
    searched = logged_in.get("/console/enquiries.csv?q=teleportation").get_data(as_text=True)
    assert [r["conversation_id"] for r in csv.DictReader(io.StringIO(searched))] == ["c-funding"]
    mine = logged_in.get("/console/enquiries.csv?mine=1").get_data(as_text=True)
    assert [r["conversation_id"] for r in csv.DictReader(io.StringIO(mine))] == ["c-coatings"]


def test_csv_cells_never_run_as_spreadsheet_formulas(logged_in, seeded, db):
    with db.begin() as session:
        add_enquiry(session, "c-formula", summary='=HYPERLINK("http://evil.example","click")')
    rows = list(csv.DictReader(io.StringIO(logged_in.get("/console/enquiries.csv").get_data(as_text=True))))
    summary = next(r["summary"] for r in rows if r["conversation_id"] == "c-formula")
    assert summary.startswith("'=HYPERLINK")


def test_the_csv_link_keeps_the_filter(logged_in, seeded):
    page = logged_in.get("/console/?cluster=surfmat&unsure=1").get_data(as_text=True)
    link = re.search(r'href="(/console/enquiries\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "cluster=surfmat" in link and "unsure=1" in link


def test_a_search_counts_its_matches_up_to_a_cap(logged_in, seeded, monkeypatch):
    from console import inbox

    assert b"Enquiries <small>(3)</small>" in logged_in.get("/console/?q=that").data
    monkeypatch.setattr(inbox, "SEARCH_COUNT_CAP", 2)
    response = logged_in.get("/console/?q=that")
    assert b"Enquiries <small>(2+)</small>" in response.data and len(listed(response)) == 3
    assert b"Enquiries <small>(3)</small>" in logged_in.get("/console/").data  # no search: an exact count


def test_a_luxembourgish_conversation_is_found_by_its_language(logged_in, seeded, db):
    with db.begin() as session:
        add_enquiry(session, "c-moien", summary="Mir sichen Hëllef fir en Innovatiounsprojet", language="lb")
    page = logged_in.get("/console/").get_data(as_text=True)
    assert '<option value="lb" >lb</option>' in page
    assert listed(logged_in.get("/console/?language=lb")) == ["c-moien"]
