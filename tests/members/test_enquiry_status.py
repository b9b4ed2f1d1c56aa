"""A status staff set on an enquiry stays when the conversation writes the enquiry again (a follow-up, a retried
write); only a hand-off moves it."""
from __future__ import annotations

from sqlalchemy import select, update

from members import spool
from members.enquiries import EnquiryRecord
from members.models import Enquiry, EnquiryFollowup


def status_and_followups(db, conversation_id: str) -> tuple[str, list[str]]:
    with db() as session:
        row = session.scalars(select(Enquiry).where(Enquiry.conversation_id == conversation_id)).one()
        texts = session.scalars(select(EnquiryFollowup.text).where(EnquiryFollowup.enquiry_id == row.id)
                                .order_by(EnquiryFollowup.id)).all()
        return row.status, list(texts)


def staff_set(db, conversation_id: str, status: str) -> None:
    with db.begin() as session:
        session.execute(update(Enquiry).where(Enquiry.conversation_id == conversation_id).values(status=status))


def test_a_follow_up_keeps_the_status_staff_set(db):
    record = EnquiryRecord(conversation_id="lead-1", summary="Coatings for steel", kind="project", cluster_id="surfmat")
    spool.write_enquiry(db, record)
    staff_set(db, "lead-1", "in_progress")
    record.followups = ["We also coat aluminium"]  # what the action server writes after the enquiry was logged
    spool.write_enquiry(db, record)
    spool.write_enquiry(db, record)  # a retried write
    assert status_and_followups(db, "lead-1") == ("in_progress", ["We also coat aluminium"])


def test_a_follow_up_to_a_hand_off_keeps_the_status_and_a_hand_off_moves_it(db):
    record = EnquiryRecord(conversation_id="lead-2", summary="Coatings for steel", kind="project")
    spool.write_enquiry(db, record)
    staff_set(db, "lead-2", "closed")
    spool.write_enquiry(db, EnquiryRecord(conversation_id="lead-2", summary="Coatings for steel", kind="handoff",
                                          status="handed_off", handoff_reason="visitor_asked"))
    assert status_and_followups(db, "lead-2")[0] == "handed_off"  # the visitor asked for a person: it is open again
    staff_set(db, "lead-2", "in_progress")
    spool.write_enquiry(db, EnquiryRecord(conversation_id="lead-2", summary="Coatings for steel", kind="handoff",
                                          status="handed_off", followups=["Any news?"]))  # notify.add_followup's write
    assert status_and_followups(db, "lead-2") == ("in_progress", ["Any news?"])
