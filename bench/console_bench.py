"""Console speed with 100,000 conversations in PostgreSQL: the inbox's first, a filtered and a deep page, and
transcript search, timed through the Flask test client (median of a few runs).

`run(database_url)` seeds an empty, migrated-or-not PostgreSQL database and returns the figures;
`python -m bench.console_bench` does it on a temporary database and prints them.
"""
from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, text

from console import create_app, search
from console.accounts import set_account
from console.inbox import encode_cursor
from launch import stack as stacks
from members import schema
from members.db import engine_for, session_factory
from members.models import Advisor, Contact, Enquiry, Organisation
from members.seed import bot_event, user_event
from members.transcripts import events

CONVERSATIONS = 100_000
BATCH = 5_000
RUNS = 5
BENCH_USER = ("bench@example.org", "bench-password-1")

QUESTIONS = [
    "can I get funding for an R&D project", "what grants exist for start-ups", "how do I apply for Horizon Europe",
    "we develop coatings for steel", "we build satellite components", "is there support for a digital project",
    "who can help with a patent", "we make medical devices for hospitals", "tax credit for innovation",
    "we are a logistics company tracking pallets", "I have an idea for a battery recycling process",
    "can you put me in touch with a research lab", "how long does an application take", "what is the FNR",
    "we want to open an office in Luxembourg", "funding for a feasibility study", "we design electric vehicle parts",
    "is my company an SME", "hydrogen storage tanks for trucks", "quantum sensors for industry",
]
ANSWERS = [  # (text, the catalogue key the actions send with it)
    ("R&D funding: the agency co-finances research projects of companies.", "answer.source"),
    ("I'm not sure I have the answer to that. Is it one of these topics?", "answer.unsure"),
    ("That sounds like SurfMat. Is that right?", "ask.cluster.proposed"), ("Sorry, I didn't understand that.", "fallback"),
    ("An advisor will answer you within 4 working hours.", "logged.mailed"),
]
STATUSES = ["new"] * 4 + ["in_progress"] * 2 + ["handed_off"] * 3 + ["closed"]


def answer(conversation: str, reply: tuple[str, str], at: float) -> dict:
    """A bot message with its catalogue key, as the actions send it."""
    text, key = reply
    return bot_event(conversation, text, at=at, metadata={"text_key": key})


def seed(database_url: str, conversations: int = CONVERSATIONS) -> dict:
    """Write `conversations` enquiries (a fifth with a contact) and their events, then build the search index."""
    started = time.monotonic()
    schema.prepare_database(database_url)
    engine = engine_for(database_url)
    rng = random.Random(7)
    with session_factory(database_url)() as session:
        advisors = [(a.id, [c.id for c in a.clusters]) for a in session.scalars(select(Advisor))]
    clusters = sorted({c for _, cs in advisors for c in cs})
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        organisations = [{"name": f"Company {n}", "name_key": f"company {n}", "created_at": now}
                         for n in range(conversations // 20)]
        connection.execute(insert(Organisation), organisations)
        organisation_ids = list(connection.scalars(select(Organisation.id)))
        contacts = [{"email": f"person{n}@company{n % len(organisation_ids)}.example", "name": f"Person {n}",
                     "organisation_id": organisation_ids[n % len(organisation_ids)], "created_at": now,
                     "updated_at": now} for n in range(conversations // 5)]
        for start in range(0, len(contacts), BATCH):
            connection.execute(insert(Contact), contacts[start:start + BATCH])
        contact_ids = list(connection.scalars(select(Contact.id).order_by(Contact.id)))
    for start in range(0, conversations, BATCH):
        enquiries, rows = [], []
        for n in range(start, min(start + BATCH, conversations)):
            conversation = f"bench-{n:06d}"
            created = now - timedelta(seconds=rng.randrange(365 * 86400))
            cluster = rng.choice(clusters + [None])
            advisor = rng.choice([a for a, cs in advisors if cluster in cs] or [None])
            status = rng.choice(STATUSES)
            question = rng.choice(QUESTIONS)
            enquiries.append({
                "conversation_id": conversation, "channel": "rest", "created_at": created, "updated_at": created,
                "summary": question, "question": question, "language": rng.choice(["en", "en", "fr", "de"]),
                "cluster_id": cluster, "advisor_id": advisor, "status": status, "bot_unsure": rng.random() < 0.15,
                "handoff_reason": "visitor_asked" if status == "handed_off" else None,
                "contact_id": contact_ids[n // 5] if n % 5 == 0 and n // 5 < len(contact_ids) else None,
            })
            at = created.timestamp()
            rows += [
                user_event(conversation, question, "ask_question", round(rng.uniform(0.2, 1.0), 2), at=at),
                answer(conversation, rng.choice(ANSWERS), at + 1),
                user_event(conversation, rng.choice(QUESTIONS), "describe_project", 0.8, at=at + 20),
                answer(conversation, rng.choice(ANSWERS), at + 21),
            ]
        with engine.begin() as connection:
            connection.execute(insert(Enquiry), enquiries)
            connection.execute(insert(events), rows)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    seeded = time.monotonic()
    with session_factory(database_url)() as session:
        search.refresh_all(session)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return {"conversations": conversations, "events": conversations * 4,
            "seed_seconds": round(seeded - started, 1), "search_index_build_seconds": round(time.monotonic() - seeded, 1)}


def _median_ms(client, url: str, runs: int = RUNS) -> float:
    """Median response time of GET `url` in milliseconds (after one warm-up request)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return round(statistics.median(times), 1)


def log_in(client, email: str, password: str) -> None:
    """Log the test client in through the login form, with the CSRF token the form page put in the session."""
    client.get("/console/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    response = client.post("/console/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"the benchmark account could not log in ({response.status_code})")


def measure(database_url: str, runs: int = RUNS) -> dict:
    """Inbox and search response times on a seeded database."""
    with session_factory(database_url).begin() as session:
        set_account(session, *BENCH_USER, role="advisor")
        halfway = session.scalar(select(func.count()).select_from(Enquiry)) // 2  # the deep page starts here
        deep = session.execute(
            select(Enquiry.created_at, Enquiry.id).order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
            .offset(halfway).limit(1)
        ).one()
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "bench"})
    client = app.test_client()
    log_in(client, *BENCH_USER)
    return {
        "inbox_first_page_ms": _median_ms(client, "/console/", runs),
        "inbox_filtered_page_ms": _median_ms(client, "/console/?status=handed_off&cluster=surfmat&language=fr", runs),
        "inbox_unsure_page_ms": _median_ms(client, "/console/?unsure=1", runs),
        "inbox_deep_page_ms": _median_ms(client, f"/console/?after={encode_cursor(*deep)}", runs),
        "search_common_word_ms": _median_ms(client, "/console/?q=funding", runs),
        "search_rare_words_ms": _median_ms(client, "/console/?q=hydrogen+trucks", runs),
        "search_with_filter_ms": _median_ms(client, "/console/?q=coatings&status=new", runs),
        "dashboard_ms": _median_ms(client, "/console/dashboard", runs),
    }


def run(database_url: str) -> dict:
    """Seed 100,000 conversations into the (empty) PostgreSQL database at `database_url` and time the console."""
    figures = seed(database_url)
    figures.update(measure(database_url))
    engine_for(database_url).dispose()
    return figures


def main() -> None:  # pragma: no cover - `python -m bench.console_bench`
    """Run the bench on a temporary PostgreSQL database and print the figures as JSON."""
    try:
        url, drop = stacks.make_database("postgresql", Path())  # a scratch database on TEST_POSTGRES_URL's server
    except stacks.NoDatabaseServer as error:
        sys.exit(f"console bench needs PostgreSQL: {error}")
    try:
        print(json.dumps(run(url), indent=2))
    finally:
        drop()


if __name__ == "__main__":  # pragma: no cover
    main()
