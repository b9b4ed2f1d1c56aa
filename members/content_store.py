"""The assistant's content in the database: items with revisions (draft → published, history, rollback), owners
and review-by dates, seeded from and exported to the YAML files in knowledge/. May import knowledge.content."""
from __future__ import annotations

import difflib
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from knowledge.content import (
    TRANSLATION_LANGUAGES,
    Advisors,
    ClusterInfo,
    ContentError,
    Entry,
    load_advisors,
    load_clusters,
    load_entries,
    parse_advisor,
    parse_cluster,
    parse_entry,
    parse_translation,
    validate_advisors,
    validate_clusters,
    validate_entries,
)
from knowledge.store import ContentUnavailable, DatabaseContent
from members.models import ContentItem, ContentRevision, OutboxMessage, StaffUser, new_message_id

log = logging.getLogger(__name__)
REVIEW_EVERY = timedelta(days=365)  # a seeded entry's review-by date: a year after it was last checked
SETTINGS_KEY = "advisors"  # the advisors file's general inbox and sample-data flag


@dataclass(frozen=True)
class Published:
    """The published content, parsed and checked, with a fingerprint of its text."""

    entries: list[Entry]
    clusters: list[ClusterInfo]
    advisors: Advisors
    fingerprint: str


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def revision_data(revision: ContentRevision) -> dict:
    """A revision's item as a mapping."""
    return json.loads(revision.data)


def _plain(value):
    """YAML's dates as ISO strings, so a mapping round-trips through JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def has_content(session: Session) -> bool:
    """Whether the database holds published content (else the files in knowledge/ are used)."""
    return session.scalar(select(func.count()).select_from(ContentItem)
                          .where(ContentItem.published_revision_id.is_not(None))) > 0


def content_version(session: Session) -> str | None:
    """A cheap stamp of what is published (changes whenever any item's published revision does); None when nothing is."""
    newest, total, number = session.execute(
        select(func.max(ContentItem.published_revision_id), func.sum(ContentItem.published_revision_id),
               func.count(ContentItem.published_revision_id))).one()
    return None if not number else f"{newest}:{total}:{number}"


def _file_documents(knowledge_dir: Path) -> list[tuple[str, str, str | None, dict]]:
    """(kind, key, file, mapping) for everything in knowledge/'s files, entries with their translations inside."""
    content = knowledge_dir / "content"
    translations: dict[str, dict[str, dict]] = {}
    for path in sorted((content / "translations").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("entries") or []:
            translations.setdefault(str(item["id"]), {})[data["language"]] = _plain(item)
    found = []
    for path in sorted(content.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries") or []:
            data = _plain(item)
            data["translations"] = translations.get(str(item["id"]), {})
            found.append(("entry", str(item["id"]), path.name, data))
    for item in yaml.safe_load((knowledge_dir / "clusters.yml").read_text(encoding="utf-8"))["clusters"]:
        found.append(("cluster", str(item["id"]), None, _plain(item)))
    advisors = yaml.safe_load((knowledge_dir / "advisors.yml").read_text(encoding="utf-8"))
    for item in advisors["advisors"]:
        found.append(("advisor", str(item["id"]), None, _plain(item)))
    found.append(("settings", SETTINGS_KEY, None,
                  {"general_inbox": advisors["general_inbox"], "sample_data": bool(advisors.get("sample_data"))}))
    return found


def _check_files(knowledge_dir: Path) -> None:
    """Refuse files the loaders refuse (the same checks as a publish)."""
    load_entries(knowledge_dir / "content")
    load_clusters(knowledge_dir / "clusters.yml")
    load_advisors(knowledge_dir / "advisors.yml")


def import_files(session: Session, knowledge_dir: Path, user: StaffUser | None = None) -> int:
    """Publish what the files in `knowledge_dir` hold where it differs from the database; returns how many items
    changed. The files are checked whole first, so a broken file changes nothing."""
    _check_files(knowledge_dir)
    items = {(i.kind, i.key): i for i in session.scalars(select(ContentItem))}
    changed = 0
    for position, (kind, key, file, data) in enumerate(_file_documents(knowledge_dir)):
        item = items.get((kind, key))
        if item is None:
            item = ContentItem(kind=kind, key=key)
            if kind == "entry":
                checked = date.fromisoformat(str(data["checked"]))
                item.review_by = checked + REVIEW_EVERY
            session.add(item)
            session.flush()
        item.file, item.position = file, position
        if item.published is not None and revision_data(item.published) == data:
            continue
        revision = ContentRevision(item_id=item.id, data=_json(data), note=f"imported from {knowledge_dir.name}/",
                                   created_by=user.id if user else None)
        session.add(revision)
        session.flush()
        _mark_published(item, revision, user)
        changed += 1
    log.info("content import: %d items changed", changed)
    return changed


def seed_if_empty(session: Session, knowledge_dir: Path) -> int:
    """Load knowledge/'s files into an empty content database (first start); returns the items created."""
    if session.scalar(select(func.count()).select_from(ContentItem)):
        return 0
    return import_files(session, knowledge_dir)


def _documents(session: Session, override: ContentRevision | None = None) -> list[tuple[ContentItem, dict]]:
    rows = session.execute(
        select(ContentItem, ContentRevision)
        .join(ContentRevision, ContentRevision.id == ContentItem.published_revision_id)
        .order_by(ContentItem.kind, ContentItem.file, ContentItem.position, ContentItem.id)).all()
    documents = [(item, revision_data(override) if override is not None and override.item_id == item.id
                  else revision_data(revision)) for item, revision in rows]
    if override is not None and all(item.id != override.item_id for item, _ in documents):
        documents.append((session.get(ContentItem, override.item_id), revision_data(override)))
    return documents


def parse_documents(documents: list[tuple[ContentItem, dict]]) -> Published:
    """Parse and check a whole content set as retrieval would load it; ContentError names what is wrong."""
    entries: list[Entry] = []
    for item, data in documents:
        if item.kind == "entry":
            where = f"entry {item.key}"
            english = parse_entry({k: v for k, v in data.items() if k != "translations"}, where)
            translations = {}
            for language, text in (data.get("translations") or {}).items():
                if language not in TRANSLATION_LANGUAGES:
                    raise ContentError(f"{where}: unknown language {language!r}")
                translations[language] = parse_translation(text, language, english, f"{where} ({language})")
            entries.append(Entry(**{**english.__dict__, "translations": translations}))
    validate_entries(entries)
    clusters = [parse_cluster(data, f"cluster {item.key}") for item, data in documents if item.kind == "cluster"]
    validate_clusters(clusters)
    advisors = [parse_advisor(data, f"advisor {item.key}") for item, data in documents if item.kind == "advisor"]
    validate_advisors(advisors)
    settings = next((data for item, data in documents if item.kind == "settings"), {})
    if not settings.get("general_inbox"):
        raise ContentError("advisors: 'general_inbox' is missing")
    fingerprint = hashlib.sha256(_json([[i.kind, i.key, d] for i, d in documents]).encode()).hexdigest()[:16]
    return Published(entries, clusters, Advisors(str(settings["general_inbox"]), tuple(advisors),
                                                 bool(settings.get("sample_data"))), fingerprint)


def published(session: Session) -> Published:
    """The published content, parsed."""
    return parse_documents(_documents(session))


def save_draft(session: Session, item: ContentItem, data: dict, user: StaffUser, note: str = "") -> ContentRevision:
    """A new draft revision of `item` (not yet seen by visitors)."""
    revision = ContentRevision(item_id=item.id, data=_json(_plain(data)), note=note[:300], created_by=user.id)
    session.add(revision)
    session.flush()
    return revision


def _mark_published(item: ContentItem, revision: ContentRevision, user: StaffUser | None) -> None:
    revision.published_at = datetime.now(timezone.utc)
    revision.published_by = user.id if user else None
    item.published_revision_id = revision.id
    item.published = revision


def publish(session: Session, revision: ContentRevision, user: StaffUser) -> None:
    """Make `revision` what visitors see, if the whole content set still loads; else ContentError says why."""
    parse_documents(_documents(session, override=revision))
    _mark_published(session.get(ContentItem, revision.item_id), revision, user)
    log.info("content revision %s published by staff %s", revision.id, user.id)


def rollback(session: Session, item: ContentItem, revision_id: int, user: StaffUser) -> ContentRevision:
    """Publish an older revision's text again, as a new revision (so the history shows the rollback)."""
    old = session.get(ContentRevision, revision_id)
    if old is None or old.item_id != item.id:
        raise ContentError("no such revision of this item")
    revision = ContentRevision(item_id=item.id, data=old.data, note=f"rollback to revision {old.id}",
                               created_by=user.id, rolled_back_from=old.id)
    session.add(revision)
    session.flush()
    publish(session, revision, user)
    return revision


def revisions(session: Session, item: ContentItem) -> list[ContentRevision]:
    """The item's revisions, newest first."""
    return list(session.scalars(select(ContentRevision).where(ContentRevision.item_id == item.id)
                                .order_by(ContentRevision.id.desc())))


def diff(before: ContentRevision | None, after: ContentRevision) -> list[str]:
    """A unified diff of two revisions' text, as YAML lines."""
    def lines(revision):
        if revision is None:
            return []
        return yaml.safe_dump(revision_data(revision), allow_unicode=True, sort_keys=False, width=100).splitlines()
    return list(difflib.unified_diff(lines(before), lines(after), f"revision {before.id if before else 0}",
                                     f"revision {after.id}", lineterm=""))


def stale_languages(entry_data: dict) -> list[str]:
    """The translation languages of an entry mapping made from an older English text."""
    version = parse_entry({k: v for k, v in entry_data.items() if k != "translations"}, "entry").version
    return sorted(language for language, text in (entry_data.get("translations") or {}).items()
                  if text.get("translates") != version)


def may_edit(user: StaffUser, item: ContentItem) -> bool:
    """Admins edit everything; an advisor edits the items they own."""
    return user.role == "admin" or (item.owner_id is not None and item.owner_id == user.id)


def overdue(session: Session, today: date) -> list[ContentItem]:
    """The items whose review-by date has passed, oldest first."""
    return list(session.scalars(select(ContentItem).where(ContentItem.review_by < today)
                                .order_by(ContentItem.review_by, ContentItem.key)))


def remind_overdue(factory: sessionmaker[Session], today: date, console_url: str) -> int:
    """Mail each overdue item's owner once per review-by date, queued in the outbox in the same transaction as
    the conditional UPDATE that marks it reminded (so several workers send one reminder); returns how many."""
    with factory() as session:
        due = session.execute(
            select(ContentItem.id, ContentItem.review_by).where(
                ContentItem.review_by < today, ContentItem.owner_id.is_not(None),
                (ContentItem.reminded_for.is_(None)) | (ContentItem.reminded_for != ContentItem.review_by))).all()
    sent = 0
    for item_id, review_by in due:
        with factory.begin() as session:
            marked = session.execute(
                update(ContentItem).where(ContentItem.id == item_id, ContentItem.review_by == review_by,
                                          (ContentItem.reminded_for.is_(None))
                                          | (ContentItem.reminded_for != review_by))
                .values(reminded_for=review_by).execution_options(synchronize_session=False))
            if marked.rowcount != 1:
                continue
            item = session.get(ContentItem, item_id)
            link = f"{console_url.rstrip('/')}/console/content/{item.id}"
            text = (f"The {item.kind} '{item.key}' you own was due for review on {review_by.isoformat()}.\n"
                    f"Check it against its source and publish it (or set a new review-by date):\n{link}\n")
            session.add(OutboxMessage(
                enquiry_id=None, kind="content_review", message_id=new_message_id(),
                to_addr=item.owner.email, subject=f"Content review due: {item.kind} {item.key}",
                body_text=text, body_html=f"<p>{text.replace(chr(10), '<br>')}</p>",
                next_attempt_at=datetime.now(timezone.utc)))
            sent += 1
            log.info("content review reminder queued for item %s", item_id)
    return sent


def export_files(session: Session, knowledge_dir: Path) -> int:
    """Write the published content to the YAML files in `knowledge_dir` (the repository's copy); returns the
    number of items written."""
    documents = _documents(session)
    parse_documents(documents)
    files: dict[str, list[dict]] = {}
    translations: dict[str, list[dict]] = {language: [] for language in TRANSLATION_LANGUAGES}
    clusters, advisors, settings = [], [], {}
    for item, data in sorted(documents, key=lambda d: (d[0].position, d[0].id)):
        if item.kind == "entry":
            english = {k: v for k, v in data.items() if k != "translations"}
            files.setdefault(item.file or "agency.yml", []).append(english)
            for language, text in (data.get("translations") or {}).items():
                translations[language].append(text)
        elif item.kind == "cluster":
            clusters.append(data)
        elif item.kind == "advisor":
            advisors.append(data)
        else:
            settings = data

    def write(path: Path, content: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")

    for name, entries in files.items():
        write(knowledge_dir / "content" / name, {"entries": entries})
    for language, entries in translations.items():
        write(knowledge_dir / "content" / "translations" / f"{language}.yml", {"language": language, "entries": entries})
    write(knowledge_dir / "clusters.yml", {"clusters": clusters})
    write(knowledge_dir / "advisors.yml", {**settings, "advisors": advisors})
    return len(documents)


class ContentSource(DatabaseContent):
    """What the KnowledgeStore asks the database: the content version (cheap) and the published content."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def _factory(self) -> sessionmaker[Session]:
        from members.db import session_factory

        return session_factory(self.database_url)

    def version(self) -> str | None:
        """The published content's stamp, or None when the database holds none."""
        try:
            with self._factory()() as session:
                return content_version(session)
        except DBAPIError as error:
            raise ContentUnavailable(type(error).__name__) from error

    def load(self) -> tuple[str, list[Entry], list[ClusterInfo], Advisors]:
        """The fingerprint and the parsed published content."""
        try:
            with self._factory()() as session:
                found = published(session)
        except DBAPIError as error:
            raise ContentUnavailable(type(error).__name__) from error
        return found.fingerprint, found.entries, found.clusters, found.advisors
