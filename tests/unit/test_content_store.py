"""Content in the database: seeded from knowledge/, drafts invisible until published, a publish that would break
retrieval refused with its reason, rollback, stale translations, export/import round trip, review reminders once
per overdue period, and the KnowledgeStore picking up a publish without a restart. The `db` fixture's database is
seeded as `make run` seeds it on first start."""
from __future__ import annotations

import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from console.accounts import set_account
from firststop.settings import get_settings
from knowledge.content import ContentError, load_entries
from knowledge.store import KnowledgeStore
from members import content_store, schema
from members.db import session_factory
from members.models import ContentItem, OutboxMessage, StaffUser
from tests.conftest import eventually

ADMIN = ("editor@example.org", "editor-password-1")


@pytest.fixture
def unseeded(empty_db_url):
    """A session factory on a migrated database whose content nobody has seeded yet."""
    schema.prepare_database(empty_db_url)
    return session_factory(empty_db_url)


@pytest.fixture
def editor(db):
    with db.begin() as session:
        set_account(session, *ADMIN, role="admin")
    with db() as session:
        return session.scalars(select(StaffUser).where(StaffUser.email == ADMIN[0])).one()


def _entry(session, key: str) -> ContentItem:
    return session.scalars(select(ContentItem).where(ContentItem.kind == "entry", ContentItem.key == key)).one()


def _edit(session, key: str, user, publish: bool = True, **changes):
    item = _entry(session, key)
    data = {**content_store.revision_data(item.published), **changes}
    revision = content_store.save_draft(session, item, data, user)
    if publish:
        content_store.publish(session, revision, user)
    return item, revision


def test_the_database_is_seeded_with_every_entry_translation_cluster_and_advisor(unseeded):
    db = unseeded
    with db.begin() as session:
        assert not content_store.has_content(session) and content_store.content_version(session) is None
        assert content_store.seed_if_empty(session, get_settings().knowledge_dir) > 60
    files = load_entries(get_settings().knowledge_dir / "content")
    with db() as session:
        found = content_store.published(session)
        assert content_store.content_version(session) is not None
    assert [e.id for e in found.entries] == [e.id for e in files]
    assert found.entries == files and all(e.translations == f.translations for e, f in zip(found.entries, files))
    assert len(found.clusters) == 7 and sum(a.general for a in found.advisors.advisors) == 1
    with db.begin() as session:  # seeding again changes nothing
        assert content_store.seed_if_empty(session, get_settings().knowledge_dir) == 0


def test_a_draft_is_invisible_until_published_then_history_diff_and_rollback(db, editor):
    with db.begin() as session:
        before = content_store.content_version(session)
        item, draft = _edit(session, "rd-funding", editor, publish=False, answer="Grants from the Ministry, new text.")
    with db() as session:
        assert content_store.content_version(session) == before
        assert "new text" not in next(e for e in content_store.published(session).entries if e.id == "rd-funding").answer
    with db.begin() as session:
        content_store.publish(session, session.get(type(draft), draft.id), session.get(StaffUser, editor.id))
    with db() as session:
        after = content_store.content_version(session)
        entry = next(e for e in content_store.published(session).entries if e.id == "rd-funding")
        assert after != before and entry.answer == "Grants from the Ministry, new text."
        history = content_store.revisions(session, _entry(session, "rd-funding"))
        assert any("+  Grants from the Ministry, new text." in line or "new text" in line
                   for line in content_store.diff(history[1], history[0]))
        assert history[0].published_by == editor.id and history[0].published_at is not None
        first = history[-1].id
    with db.begin() as session:
        content_store.rollback(session, _entry(session, "rd-funding"), first, session.get(StaffUser, editor.id))
    with db() as session:
        entry = next(e for e in content_store.published(session).entries if e.id == "rd-funding")
        assert "new text" not in entry.answer and content_store.content_version(session) != after


@pytest.mark.parametrize("changes, reason", [
    ({"examples": []}, "'examples' is missing"),
    ({"related": ["no-such-entry"]}, "related ids not found: no-such-entry"),
    ({"source": {"title": "A page"}}, "'url' is missing"),
    ({"id": "rdi-aid-amounts"}, "duplicate entry ids: rdi-aid-amounts"),
    ({"translations": {"es": {"id": "rd-funding"}}}, "unknown language 'es'"),
])
def test_a_publish_that_would_break_retrieval_is_refused_with_its_reason(db, editor, changes, reason):
    with db() as session:
        with pytest.raises(ContentError, match=reason):
            _edit(session, "rd-funding", editor, **changes)


def test_a_translation_turns_stale_when_its_english_source_changes(db, editor):
    with db.begin() as session:
        assert content_store.stale_languages(content_store.revision_data(_entry(session, "rd-funding").published)) == []
        _edit(session, "rd-funding", editor, title="National R&D and innovation funding")
    with db() as session:
        entry = next(e for e in content_store.published(session).entries if e.id == "rd-funding")
        assert entry.stale("fr") and entry.stale("de")
        assert content_store.stale_languages(content_store.revision_data(_entry(session, "rd-funding").published)) == [
            "de", "fr"]


def test_export_then_import_round_trips_and_a_broken_file_changes_nothing(db, editor, tmp_path):
    with db.begin() as session:
        _edit(session, "rd-funding", editor, answer="Exported answer text for R&D grants.")
    target = tmp_path / "knowledge"
    shutil.copytree(get_settings().knowledge_dir, target)
    with db() as session:
        content_store.export_files(session, target)
    assert next(e for e in load_entries(target / "content") if e.id == "rd-funding").answer == (
        "Exported answer text for R&D grants.")
    with db.begin() as session:
        assert content_store.import_files(session, target) == 0  # what was exported is what is published
    funding = target / "content" / "funding.yml"
    funding.write_text(funding.read_text(encoding="utf-8").replace("Exported answer text", "Imported answer text"),
                       encoding="utf-8")
    with db.begin() as session:
        assert content_store.import_files(session, target) == 1
    (target / "clusters.yml").write_text("clusters: []\n", encoding="utf-8")
    with db() as session, pytest.raises(ContentError, match="expected exactly the clusters"):
        content_store.import_files(session, target)
    with db() as session:
        answer = next(e for e in content_store.published(session).entries if e.id == "rd-funding").answer
    assert answer == "Imported answer text for R&D grants."


def test_an_overdue_owner_is_reminded_once_per_review_date(db, editor):
    today = date(2027, 3, 1)
    with db.begin() as session:
        item = _entry(session, "rd-funding")
        item.owner_id, item.review_by = editor.id, today - timedelta(days=1)
    assert content_store.remind_overdue(db, today, "http://console.test") == 1
    assert content_store.remind_overdue(db, today, "http://console.test") == 0  # once per overdue period
    with db.begin() as session:
        _entry(session, "rd-funding").review_by = today + timedelta(days=30)
    assert content_store.remind_overdue(db, today + timedelta(days=31), "http://console.test") == 1
    with db() as session:
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "content_review")).all()
        assert [m.to_addr for m in mails] == [ADMIN[0]] * 2 and mails[0].enquiry_id is None
        assert "rd-funding" in mails[0].body_text and "http://console.test/console/content/" in mails[0].body_text
        assert [i.key for i in content_store.overdue(session, today + timedelta(days=31))] == ["rd-funding"]


def test_the_knowledge_store_answers_with_a_publish_within_seconds(db, db_url, editor, tmp_path):
    settings = get_settings()
    store = KnowledgeStore(settings.knowledge_dir, tmp_path / "cache", content_store.ContentSource(db_url),
                           check_every=0.5)
    question = "can I get money for an R&D project?"
    assert store.get().answer(question).best.entry.id == "rd-funding"
    with db.begin() as session:
        _edit(session, "rd-funding", editor, answer="Freshly published answer about R&D grants.")
    assert eventually(lambda: store.get().answer(question).best.entry.answer == "Freshly published answer about R&D grants.",
                      timeout=20)
