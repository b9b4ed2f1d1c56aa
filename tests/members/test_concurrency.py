"""Two processes writing the same contact at the same moment produce one contact (and one organisation); the
other conversation claims it."""
from __future__ import annotations

import logging
import multiprocessing

from sqlalchemy import func, select

from members.models import Consent, Contact, Enquiry, Organisation

ROUNDS = 12


def write_same_people(url: str, worker: str, barrier, results) -> None:
    """Run in a separate process: for each round, wait for the other process, then write the same person."""
    from members.db import session_factory
    from members.enquiries import EnquiryRecord
    from members.spool import write_enquiry

    retries = []
    handler = logging.Handler()
    handler.emit = lambda record: retries.append(record.getMessage())
    logging.getLogger("members.spool").addHandler(handler)
    logging.getLogger("members.spool").setLevel(logging.INFO)
    factory = session_factory(url)
    errors = []
    for n in range(ROUNDS):
        # Even rounds: two conversations of the same person; odd rounds: the same conversation twice.
        conversation = f"{worker}-{n}" if n % 2 == 0 else f"shared-{n}"
        record = EnquiryRecord(conversation_id=conversation, summary="coatings", consent=True,
                               notice_version="2026-11", name=f"Person {n}", organisation=f"Company {n} S.A.",
                               email=f"Person.{n}@company{n}.lu")
        barrier.wait(timeout=60)
        try:
            write_enquiry(factory, record)
        except Exception as error:  # noqa: BLE001 - any failure is reported to the test, which fails on it
            errors.append(f"round {n}: {type(error).__name__}: {error}")
    results.put((worker, len(retries), errors))


def test_two_processes_writing_the_same_contact_produce_one_row(db_url, db):
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=write_same_people, args=(db_url, name, barrier, results)) for name in "ab"]
    for process in workers:
        process.start()
    reports = [results.get(timeout=180) for _ in workers]
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert [errors for _, _, errors in reports] == [[], []]

    with db() as session:
        contacts = session.execute(select(Contact.email, func.count()).group_by(Contact.email)).all()
        assert sorted(contacts) == sorted((f"person.{n}@company{n}.lu", 1) for n in range(ROUNDS))
        assert session.scalar(select(func.count()).select_from(Organisation)) == ROUNDS
        assert session.scalar(select(func.count()).select_from(Enquiry)) == ROUNDS // 2 * 2 + ROUNDS // 2
        # The second conversation of a person only claims the contact the first created (chat input is unverified).
        assert session.scalar(select(func.count()).select_from(Consent)) == ROUNDS
        statuses = session.execute(select(Enquiry.contact_status, func.count()).group_by(Enquiry.contact_status)).all()
        assert sorted(statuses) == [("claimed", ROUNDS // 2), ("new", ROUNDS)]
        for contact in session.scalars(select(Contact)):
            n = int(contact.email.split(".")[1].split("@")[0])
            assert len(contact.enquiries) == 1
            assert contact.organisation.name == f"Company {n} S.A."
    retried = sum(count for _, count, _ in reports)
    print(f"{db_url.split(':')[0]}: {ROUNDS} simultaneous rounds, {retried} writes retried after IntegrityError")
