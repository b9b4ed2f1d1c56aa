"""The reply-time promise in the console: due times in the agency's zone, the overdue view, one-click acknowledge
(button and mail link), and the reminders stopping once someone took the enquiry on."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handoff.reminders import ReminderPolicy, acknowledge_link, remind_due
from members.models import Enquiry, EnquiryActivity, StaffUser
from members.seed import add_enquiry
from tests.console.conftest import ADVISOR, csrf_of, post

NOW = datetime.now(timezone.utc)
POLICY = ReminderPolicy((1, 2, 3, 4, 5, 6, 7), time(0, 0), time(23, 59), "Europe/Luxembourg", 4,
                        "info@example.org", "http://localhost")


@pytest.fixture
def promised(app, db) -> dict[str, str]:
    """Enquiries with a promised reply: late, late but acknowledged, late but closed, not due yet, none."""
    rows = {
        "late": {"due_at": NOW - timedelta(hours=2), "summary": "late coatings lead"},
        "acked": {"due_at": NOW - timedelta(hours=2), "acknowledged_at": NOW - timedelta(hours=3),
                  "summary": "acknowledged lead"},
        "closed": {"due_at": NOW - timedelta(hours=2), "status": "closed", "summary": "closed lead"},
        "future": {"due_at": NOW + timedelta(hours=3), "summary": "fresh lead"},
        "none": {"summary": "anonymous question"},
    }
    with db.begin() as session:
        for name, fields in rows.items():
            add_enquiry(session, f"c-{name}", cluster_id="surfmat", advisor_id="a-surfmat-fr", **fields)
    return {name: f"c-{name}" for name in rows}


def rows_of(html: str) -> list[str]:
    return re.findall(r"<tr>.*?</tr>", html, re.S)


def test_inbox_shows_due_times_in_the_agency_zone_and_the_overdue_view(logged_in, promised):
    html = logged_in.get("/console/").get_data(as_text=True)
    assert "Reply due (Europe/Luxembourg)" in html and "1 overdue" in html
    late = next(r for r in rows_of(html) if "late coatings lead" in r)
    local = (NOW - timedelta(hours=2)).astimezone(ZoneInfo("Europe/Luxembourg"))
    assert f"{local:%H:%M}" in late and "overdue" in late
    overdue = logged_in.get("/console/?overdue=1").get_data(as_text=True)
    listed = [r for r in rows_of(overdue) if "lead" in r or "question" in r]
    assert len(listed) == 1 and "late coatings lead" in listed[0]
    assert "late coatings lead" in logged_in.get("/console/mine?overdue=1").get_data(as_text=True)


def test_acknowledge_button_is_one_click_logged_and_counts_once(logged_in, promised, db):
    url = f"/console/conversations/{promised['late']}"
    page = logged_in.get(url).get_data(as_text=True)
    assert "Reply due" in page and "(Europe/Luxembourg)" in page and "overdue" in page and "Acknowledge" in page
    with db() as session:
        enquiry_id = session.scalars(select(Enquiry.id).where(Enquiry.conversation_id == promised["late"])).one()
    assert logged_in.post(f"/console/enquiries/{enquiry_id}/acknowledge").status_code == 400  # no CSRF token
    page = post(logged_in, f"/console/enquiries/{enquiry_id}/acknowledge", follow_redirects=True).get_data(as_text=True)
    assert "Acknowledged: no more reminders" in page and f"by {ADVISOR[0]}" in page
    assert "Acknowledge: I&#39;m on it" not in page and "I'm on it" not in page
    post(logged_in, f"/console/enquiries/{enquiry_id}/acknowledge")  # a second click (another tab)
    with db() as session:
        enquiry = session.get(Enquiry, enquiry_id)
        assert enquiry.acknowledged_at is not None
        assert session.get(StaffUser, enquiry.acknowledged_by).email == ADVISOR[0]
        actions = list(session.scalars(select(EnquiryActivity.action).where(EnquiryActivity.enquiry_id == enquiry_id)))
        assert actions == ["acknowledged"]
    assert "No enquiry is overdue." in logged_in.get("/console/").get_data(as_text=True)


def test_the_mail_link_asks_for_a_login_then_shows_the_summary_and_one_button(client, promised, db):
    link = acknowledge_link("", promised["late"])
    assert link == f"/conversations/{promised['late']}/acknowledge"
    response = client.get(link)
    assert response.headers["Location"].startswith("/console/login?next=/conversations/")
    response = post(client, response.headers["Location"], {"email": ADVISOR[0], "password": ADVISOR[1]})
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Acknowledge this enquiry" in page and "late coatings lead" in page
    assert page.count('type="submit">Acknowledge') == 1
    with db() as session:
        assert session.scalars(select(Enquiry).where(Enquiry.conversation_id == promised["late"])).one().acknowledged_at is None
    console_url = f"/console/conversations/{promised['late']}/acknowledge"
    assert client.post(console_url).status_code == 400  # a POST from elsewhere (no CSRF token) changes nothing
    page = client.post(console_url, data={"csrf_token": csrf_of(client)}, follow_redirects=True).get_data(as_text=True)
    assert "Acknowledged: no more reminders" in page
    assert client.get("/console/conversations/c-nobody/acknowledge").status_code == 404


def test_acknowledging_in_the_console_stops_the_reminders(logged_in, promised, db):
    with db() as session:
        late = session.scalars(select(Enquiry.id).where(Enquiry.conversation_id == promised["late"])).one()
        future = session.scalars(select(Enquiry.id).where(Enquiry.conversation_id == promised["future"])).one()
    post(logged_in, f"/console/enquiries/{late}/acknowledge")
    assert remind_due(db, POLICY, NOW + timedelta(hours=4)) == {"reminder": 1}  # only "future", now late
    with db() as session:
        assert session.get(Enquiry, late).reminded_at is None and session.get(Enquiry, future).reminded_at is not None
