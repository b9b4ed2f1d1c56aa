"""A follow-up spooled while the database is down doesn't take the place of the waiting enquiry's staff e-mail:
once the database is back, the advisor is mailed once and the follow-up is kept."""
from __future__ import annotations

from sqlalchemy import select

from handoff.compose import HandoffFacts, handoff_mail
from members import spool
from members.db import engine_for, session_factory
from members.enquiries import EnquiryRecord
from members.models import Enquiry, EnquiryFollowup, OutboxMessage

DOWN = "postgresql+psycopg2://nobody@127.0.0.1:1/nothing"  # nothing listens on port 1


def lead(followups: list[str], mailed: bool) -> EnquiryRecord:
    record = EnquiryRecord(conversation_id="lead-spooled", consent=True, notice_version="2026-11", name="Anna Muller",
                           email="anna.muller@acme-coatings.lu", summary="Coatings for steel", kind="project",
                           followups=followups, reply_due="2026-12-01T15:00:00+00:00" if mailed else None)
    if mailed:  # what notify.submit sends with the enquiry; notify.add_followup's later write carries no mail
        record.mails = [handoff_mail(HandoffFacts(
            conversation_id=record.conversation_id, reason="project", question="Coatings for steel",
            to_addr="advisor@example.org", advisor_name="Advisor", name="Anna Muller", email=record.email,
            consent=True, mail_kind="enquiry"))]
    return record


def test_the_enquiry_mail_survives_a_follow_up_spooled_after_it(db, tmp_path):
    down = session_factory(DOWN)
    assert spool.save(down, lead([], mailed=True), tmp_path) is None
    assert spool.save(down, lead(["We also coat aluminium"], mailed=False), tmp_path) is None
    engine_for(DOWN).dispose()
    assert len(spool.pending(tmp_path)) == 1

    assert spool.replay(db, tmp_path) == 1
    with db() as session:
        enquiry = session.scalars(select(Enquiry).where(Enquiry.conversation_id == "lead-spooled")).one()
        assert session.scalars(select(OutboxMessage.to_addr).where(OutboxMessage.enquiry_id == enquiry.id)).all() == [
            "advisor@example.org"]
        assert session.scalars(select(EnquiryFollowup.text)).all() == ["We also coat aluminium"]
        assert enquiry.due_at is not None
