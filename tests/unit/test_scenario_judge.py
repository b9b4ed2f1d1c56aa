"""The scenario evaluation's judge (eval/scenarios.py) on made-up outcomes, and the shared visit module's place:
tests and the benchmark share firststop.visits and firststop.proc; tests never import bench/ (issue 18, 2)."""
from __future__ import annotations

import re
from pathlib import Path

from eval.scenarios import Outcome, Played, Scenario, consent_turn, judge

CLUSTERS = {"autotec", "surfmat"}
LEAD = Scenario("lead", "en", ("We make brake pads", "yes", "Carla", "FrictionLab", "carla@example.org", "yes"), {
    "enquiry": True, "mail_to_advisor": True, "cluster": "autotec", "handed_off": False, "contact_stored": True,
    "told": ["AutoTec"], "contact": {"name": "Carla", "organisation": "FrictionLab", "email": "carla@example.org"}})


def stored(**changes) -> dict:
    enquiry = {"kind": "project", "status": "new", "cluster": "autotec", "need": "A meeting",
               "advisor_email": "sven@example.org", "advisor_clusters": {"autotec"}, "claimed": None,
               "contact": {"name": "Carla", "organisation": "FrictionLab", "email": "carla@example.org"},
               "mail_kinds": ["enquiry"]}
    return {**enquiry, **changes}


def mail(**changes) -> dict:
    return {"to": "sven@example.org", "reply_to": "carla@example.org", "subject": "Enquiry", "body": "Name: Carla",
            **changes}


def played(*shown: str) -> Played:
    return Played("c1", sent=list(LEAD.turns), shown=list(shown))


def test_the_consent_answer_is_the_last_yes_or_no_after_the_e_mail():
    assert consent_turn(LEAD.turns) == 5
    assert consent_turn(("I want to speak to a human", "no, I'd rather not")) is None


def test_a_lead_mailed_to_its_advisor_with_the_corrected_details_passes():
    found = Outcome([stored()], [mail()], ["carla@example.org"], {"cluster": "autotec"})
    assert judge(LEAD, played("our AutoTec cluster"), found, CLUSTERS, "info@example.org") == []


def test_each_expectation_that_fails_is_named():
    found = Outcome([stored(cluster=None, contact={"name": "FrictionLab", "organisation": None,
                                                   "email": "carla@example.org"})],
                    [mail(), mail(to="someone@else.example")], ["carla@example.org"], {})
    failures = judge(LEAD, played("a general advisor"), found, CLUSTERS, "info@example.org")
    assert [f.split(":")[0] for f in failures] == [
        "mail_to_advisor", "cluster", "contact name", "contact organisation", "told"]
    assert failures[0] == "mail_to_advisor: expected one e-mail to staff, got 2"


def test_nothing_stored_and_nothing_sent_is_what_a_refusal_expects():
    refusal = Scenario("refusal", "en", LEAD.turns, {"enquiry": False, "mail_to_advisor": False, "cluster": "autotec",
                                                     "handed_off": False, "contact_stored": False, "told": []})
    anonymous = stored(contact=None, mail_kinds=[])
    assert judge(refusal, played(), Outcome([anonymous], [], [], {}), CLUSTERS, "info@example.org") == []
    leaked = judge(refusal, played(), Outcome([anonymous], [], ["carla@example.org"], {}), CLUSTERS, "x@example.org")
    assert leaked == ["contact_stored: expected False, got True"]


def test_tests_share_the_visit_and_proc_modules_and_never_import_bench():
    tests = Path(__file__).resolve().parents[1]
    importing = [str(p.relative_to(tests)) for p in tests.rglob("*.py")
                 if re.search(r"^\s*(from|import)\s+bench\b", p.read_text(encoding="utf-8"), re.M)]
    assert importing == []
