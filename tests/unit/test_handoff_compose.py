"""The hand-off e-mail says who and what, and when a person will answer."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timezone

from handoff.compose import HandoffFacts, Turn, handoff_mail, single_line
from handoff.schedule import describe_reply

FACTS = HandoffFacts(
    conversation_id="c1", reason="visitor_asked", question="Can we get funding for a satellite antenna?",
    to_addr="advisor@example.org", advisor_name="Anna", name="Jane <b>Doe</b>", email="jane@acme.example",
    organisation="Acme", profile="sme", consent=True, cluster_name="AeroSpace", confidence=0.8,
    route_reason="satellite is an AeroSpace topic", answered=("R&D funding",),
    transcript=(Turn("visitor", "<script>x</script>", "10:00"), Turn("bot", "Hello", "10:00")),
    console_url="http://console.example",
)


def test_subject_recipient_and_reply_to():
    mail = handoff_mail(FACTS)
    assert mail.subject == "New enquiry — AeroSpace — Acme"
    assert mail.to_addr == "advisor@example.org" and mail.reply_to == "jane@acme.example"
    assert mail.message_id.startswith("<") and mail.message_id.endswith(">")


def test_header_values_are_one_line_whatever_the_caller_passes():
    # Whatever reaches the facts (a form that forgot to clean, a future caller), no header can be injected.
    facts = replace(FACTS, organisation="Acme\r\nBcc: everyone@example.org\x00\u2028\u202e", name="Jane\nDoe",
                    cluster_name="Aero\r\nSpace", email=" jane@acme.example\n")
    mail = handoff_mail(facts)
    assert mail.subject == "New enquiry — Aero Space — Acme Bcc: everyone@example.org"
    assert mail.reply_to == "jane@acme.example"
    assert handoff_mail(replace(facts, organisation="\r\n", name=None)).subject.endswith("— anonymous visitor")
    assert single_line("  Orbit\u0085\tSARL \x7f") == "Orbit SARL"
    assert single_line("Mi\u200cnoo") == "Mi\u200cnoo"  # a Persian name's zero-width non-joiner stays


def test_body_has_everything_needed_and_html_is_escaped():
    mail = handoff_mail(FACTS)
    for text in ("Can we get funding", "Jane <b>Doe</b>", "AeroSpace (confidence 80%)", "R&D funding",
                 "http://console.example/conversations/c1", "<script>x</script>"):
        assert text in mail.body_text
    assert "<script>" not in mail.body_html and "&lt;script&gt;" in mail.body_html


def test_reply_time_inside_and_outside_working_hours():
    days, start, end, tz = (1, 2, 3, 4, 5), time(8, 30), time(17, 30), "Europe/Luxembourg"
    tuesday_noon = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=timezone.utc)
    assert describe_reply(tuesday_noon, days, start, end, tz, 4) == "within 4 working hours, by 16:00 today"
    assert describe_reply(friday_evening, days, start, end, tz, 4) == "within 4 working hours, by Monday 12:30"


def test_the_mail_says_the_need_once_and_leaves_out_what_the_visitor_did_not_give():
    facts = replace(FACTS, question="Find funding for a pilot line", need="Find funding for a pilot line",
                    phone=None, profile=None)
    mail = handoff_mail(facts)
    assert "Open question" not in mail.body_text and "Open question" not in mail.body_html
    assert mail.body_text.count("Find funding for a pilot line") == 1
    assert "Phone:" not in mail.body_text and "Profile:" not in mail.body_text
    assert "Name: Jane <b>Doe</b>" in mail.body_text and "E-mail: jane@acme.example" in mail.body_text
    asked = handoff_mail(replace(facts, question="Is there a deadline?"))
    assert "Open question: Is there a deadline?" in asked.body_text
