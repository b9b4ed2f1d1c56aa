"""The knowledge editor through the console: who may edit, drafts and publishing, a breaking publish refused with
its reason, stale translations listed, owners and overdue reviews, rollback from the history."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from firststop.settings import get_settings
from members import content_store
from members.models import ContentItem, OutboxMessage, StaffUser
from tests.console.conftest import ADVISOR, post


@pytest.fixture
def content(db):
    """The console's database seeded from knowledge/ (what `make run` does on first start)."""
    with db.begin() as session:
        content_store.seed_if_empty(session, get_settings().knowledge_dir)


def _item(db, key: str) -> ContentItem:
    with db() as session:
        return session.scalars(select(ContentItem).where(ContentItem.kind == "entry", ContentItem.key == key)).one()


def _form(db, key: str, **changes) -> dict:
    """The editor's form for an entry as the page fills it, with `changes`."""
    with db() as session:
        item = session.scalars(select(ContentItem).where(ContentItem.key == key)).one()
        data = content_store.revision_data(content_store.revisions(session, item)[0])
    form = {"title": data["title"], "answer": data["answer"], "more": data.get("more", ""),
            "examples": "\n".join(data["examples"]), "tags": ", ".join(data.get("tags") or []),
            "related": ", ".join(data.get("related") or []), "cluster": data.get("cluster") or "",
            "source_title": data["source"]["title"], "source_url": data["source"]["url"], "checked": data["checked"],
            "staff_note": data.get("staff_note", "")}
    for language, text in (data.get("translations") or {}).items():
        for name in ("title", "answer", "more"):
            form[f"{language}_{name}"] = text.get(name, "")
        form[f"{language}_examples"] = "\n".join(text["examples"])
    form.update(changes)
    return form


def _published_answer(db, key: str) -> str:
    with db() as session:
        return next(e for e in content_store.published(session).entries if e.id == key).answer


def test_an_admin_saves_a_draft_then_publishes_it(admin, db, content):
    item = _item(db, "rd-funding")
    response = post(admin, f"/console/content/{item.id}/drafts", _form(db, "rd-funding", answer="Draft only."),
                    follow_redirects=True)
    assert b"Draft saved" in response.data and b"is waiting to be published" in response.data
    assert _published_answer(db, "rd-funding") != "Draft only."
    response = post(admin, f"/console/content/{item.id}/drafts",
                    _form(db, "rd-funding", answer="Grants for R&D, published.", publish="1"), follow_redirects=True)
    assert b"published; the assistant answers with it within seconds" in response.data
    assert _published_answer(db, "rd-funding") == "Grants for R&D, published."
    page = admin.get(f"/console/content/{item.id}").get_data(as_text=True)
    history = page[page.index("<h2>History"):]
    assert "(live)" in history and "Roll back to this" in history, history[:2000]
    assert "+answer: Grants for R&amp;D, published." in history, history[:2000]


@pytest.mark.parametrize("changes, reason", [
    ({"examples": ""}, "&#39;examples&#39; is missing"),
    ({"related": "rdi-aid-amounts, no-such-entry"}, "related ids not found: no-such-entry"),
    ({"source_url": ""}, "&#39;url&#39; is missing"),
    ({"source_url": "http://insecure.example/page"}, "source &#39;url&#39; must be an https:// address"),
])
def test_a_publish_that_would_break_retrieval_is_refused_with_the_reason(admin, db, content, changes, reason):
    item = _item(db, "rd-funding")
    before = _published_answer(db, "rd-funding")
    response = post(admin, f"/console/content/{item.id}/drafts",
                    _form(db, "rd-funding", answer="Broken edit.", publish="1", **changes), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Not published: " in page and reason in page, page[:3000]
    assert _published_answer(db, "rd-funding") == before


def test_a_duplicate_id_is_refused(admin, db, content):
    item = _item(db, "rd-funding")
    response = post(admin, f"/console/content/{item.id}/drafts", _form(db, "rd-funding", publish="1"),
                    follow_redirects=True)
    assert b"published" in response.data
    with db.begin() as session:  # a second item claiming the same entry id, as a bad import might make
        twin = ContentItem(kind="entry", key="rd-funding-copy", file="funding.yml")
        session.add(twin)
        session.flush()
        data = content_store.revision_data(session.get(ContentItem, item.id).published)
        revision = content_store.save_draft(session, twin, data, session.scalars(select(StaffUser)).first())
        twin_id, revision_id = twin.id, revision.id
    response = post(admin, f"/console/content/{twin_id}/revisions/{revision_id}/publish", follow_redirects=True)
    assert b"Not published: duplicate entry ids: rd-funding" in response.data


def test_an_edited_source_flags_its_translations_stale(admin, db, content):
    item = _item(db, "rd-funding")
    assert b"stale:" not in admin.get(f"/console/content/{item.id}").data
    post(admin, f"/console/content/{item.id}/drafts",
         _form(db, "rd-funding", title="National money for R&D and innovation", publish="1"))
    page = admin.get(f"/console/content/{item.id}").get_data(as_text=True)
    assert 'id="stale-fr"' in page and 'id="stale-de"' in page
    listing = admin.get("/console/content").get_data(as_text=True)
    assert "rd-funding</a> — fr: the English text changed" in listing
    # the French translator edits their text: it matches the new source again, the German one is still stale
    post(admin, f"/console/content/{item.id}/drafts",
         _form(db, "rd-funding", fr_title="Financement national de la R&D et de l'innovation", publish="1"))
    page = admin.get(f"/console/content/{item.id}").get_data(as_text=True)
    assert 'id="stale-fr"' not in page and 'id="stale-de"' in page


def test_advisors_read_but_only_the_owner_edits(app, logged_in, admin, db, content):
    item = _item(db, "rd-funding")
    assert logged_in.get(f"/console/content/{item.id}").status_code == 200
    assert post(logged_in, f"/console/content/{item.id}/drafts", _form(db, "rd-funding")).status_code == 403
    with db() as session:
        advisor_id = session.scalars(select(StaffUser.id).where(StaffUser.email == ADVISOR[0])).one()
    post(admin, f"/console/content/{item.id}/review", {"owner_id": str(advisor_id), "review_by": "2026-01-31"})
    response = post(logged_in, f"/console/content/{item.id}/drafts",
                    _form(db, "rd-funding", answer="Edited by its owner.", publish="1"), follow_redirects=True)
    assert response.status_code == 200 and _published_answer(db, "rd-funding") == "Edited by its owner."
    other = _item(db, "rdi-aid-amounts")
    assert post(logged_in, f"/console/content/{other.id}/drafts", _form(db, "rdi-aid-amounts")).status_code == 403
    # the owner may change the review date but not hand the entry to someone else
    post(logged_in, f"/console/content/{item.id}/review", {"owner_id": "", "review_by": "2026-02-28"})
    assert _item(db, "rd-funding").owner_id == advisor_id and _item(db, "rd-funding").review_by == date(2026, 2, 28)


def test_overdue_entries_are_listed_and_awaiting_review_too(admin, db, content):
    item = _item(db, "rd-funding")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    post(admin, f"/console/content/{item.id}/review", {"review_by": yesterday})
    post(admin, f"/console/content/{item.id}/drafts", _form(db, "rd-funding", needs_review="on", publish="1"))
    listing = admin.get("/console/content").get_data(as_text=True)
    overdue = listing.split('id="overdue"')[1].split('id="stale"')[0]
    awaiting = listing.split('id="awaiting"')[1].split("All content")[0]
    assert f"entry rd-funding</a>\n  — review by {yesterday}, no owner" in overdue
    assert ">rd-funding</a>" in awaiting


def test_rollback_from_the_history_restores_the_old_text(admin, db, content):
    item = _item(db, "rd-funding")
    original = _published_answer(db, "rd-funding")
    first = item.published_revision_id
    post(admin, f"/console/content/{item.id}/drafts", _form(db, "rd-funding", answer="A short-lived answer.", publish="1"))
    assert _published_answer(db, "rd-funding") == "A short-lived answer."
    response = post(admin, f"/console/content/{item.id}/revisions/{first}/rollback", follow_redirects=True)
    assert f"Revision {first} published again".encode() in response.data
    assert _published_answer(db, "rd-funding") == original
    assert post(admin, f"/console/content/{item.id}/revisions/{2**31 - 1}/rollback").status_code == 404


def test_a_cluster_vocabulary_is_edited_as_yaml_and_checked(admin, db, content):
    with db() as session:
        cluster = session.scalars(select(ContentItem).where(ContentItem.kind == "cluster",
                                                            ContentItem.key == "surfmat")).one()
        text = admin.get(f"/console/content/{cluster.id}").get_data(as_text=True)
    assert "Surface Engineering and New Materials" in text
    response = post(admin, f"/console/content/{cluster.id}/drafts",
                    {"yaml": "id: surfmat\nname: SurfMat\n", "publish": "1"}, follow_redirects=True)
    assert b"Not published: cluster surfmat: &#39;full_name&#39; is missing" in response.data


def test_a_review_reminder_shows_on_the_handoffs_page_without_an_enquiry(admin, db, content):
    item = _item(db, "rd-funding")
    with db() as session:
        admin_id = session.scalars(select(StaffUser.id).where(StaffUser.role == "admin")).first()
    post(admin, f"/console/content/{item.id}/review", {"owner_id": str(admin_id), "review_by": "2020-01-01"})
    assert content_store.remind_overdue(db, date.today(), "http://console.test") == 1
    page = admin.get("/console/handoffs?status=all")
    assert page.status_code == 200 and b"Content review due: entry rd-funding" in page.data
    with db() as session:
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "content_review")).one()
    assert post(admin, f"/console/handoffs/{mail.id}/handled", follow_redirects=True).status_code == 200
    with db() as session:
        assert session.get(OutboxMessage, mail.id).status == "handled"
