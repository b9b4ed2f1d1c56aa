"""The knowledge editor: staff edit answers (all languages side by side), cluster vocabularies and advisors as
drafts, publish them (checked whole first), see the history with diffs, roll back, and keep owners and review-by
dates; the overdue, stale and awaiting-review lists. Admins and an item's owner edit; everyone else reads."""
from __future__ import annotations

from datetime import date

import yaml
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from knowledge.content import TRANSLATION_LANGUAGES, ContentError, text_version
from members import content_store
from members.models import ContentItem, ContentRevision, StaffUser

bp = Blueprint("content", __name__, url_prefix="/console")

TEXT_FIELDS = ("title", "answer", "more")
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch"}


def _item(item_id: int) -> ContentItem:
    item = g.db.get(ContentItem, item_id)
    if item is None:
        abort(404)
    return item


def _editable(item: ContentItem) -> ContentItem:
    if not content_store.may_edit(g.user, item):
        abort(403)
    return item


def _latest(item: ContentItem) -> ContentRevision | None:
    return g.db.scalars(select(ContentRevision).where(ContentRevision.item_id == item.id)
                        .order_by(ContentRevision.id.desc()).limit(1)).first()


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "").splitlines() if line.strip()]


def _commas(name: str) -> list[str]:
    return [part.strip() for part in request.form.get(name, "").split(",") if part.strip()]


def entry_from_form(base: dict) -> dict:
    """An entry mapping from the editor's form: the English fields, then each translation, whose `translates` moves
    to the new English version only when the translation was edited or confirmed current."""
    data = {k: v for k, v in base.items() if k != "translations"}
    for name in TEXT_FIELDS + ("staff_note",):
        data[name] = request.form.get(name, "").strip()
    data["examples"] = _lines("examples")
    data["tags"] = _commas("tags")
    data["related"] = _commas("related")
    data["cluster"] = request.form.get("cluster", "").strip() or None
    data["source"] = {"title": request.form.get("source_title", "").strip(),
                      "url": request.form.get("source_url", "").strip()}
    data["checked"] = request.form.get("checked", "").strip()
    data["needs_review"] = request.form.get("needs_review") == "on"
    version = text_version(data["title"], data["answer"], data["more"])
    translations = {}
    for language in TRANSLATION_LANGUAGES:
        old = (base.get("translations") or {}).get(language) or {}
        text = {name: request.form.get(f"{language}_{name}", "").strip() for name in TEXT_FIELDS}
        examples = _lines(f"{language}_examples")
        if not any(text.values()) and not examples:
            continue
        edited = any(text[name] != str(old.get(name) or "").strip() for name in TEXT_FIELDS) \
            or examples != list(old.get("examples") or [])
        current = edited or request.form.get(f"{language}_current") == "on"
        translation = {"id": data["id"], "translates": version if current else old.get("translates", "")}
        translation.update({name: value for name, value in text.items() if value})
        translation["examples"] = examples
        translations[language] = translation
    data["translations"] = translations
    return data


@bp.route("/content")
def content_list():
    """Every entry, cluster and advisor, with the overdue, stale and awaiting-review lists."""
    items = g.db.scalars(select(ContentItem).order_by(ContentItem.kind, ContentItem.file, ContentItem.position)).all()
    today = date.today()
    rows, stale, awaiting = [], [], []
    for item in items:
        data = content_store.revision_data(item.published) if item.published else {}
        latest = _latest(item)
        row = {"item": item, "data": data, "draft": latest is not None and latest.id != item.published_revision_id,
               "stale": [], "overdue": item.review_by is not None and item.review_by < today}
        if item.kind == "entry" and data:
            try:
                row["stale"] = content_store.stale_languages(data)
            except ContentError:
                row["stale"] = []
            stale += [(item, language) for language in row["stale"]]
            if data.get("needs_review"):
                awaiting.append(item)
        rows.append(row)
    return render_template("content_list.html", rows=rows, stale=stale, awaiting=awaiting,
                           overdue=content_store.overdue(g.db, today), today=today)


@bp.route("/content/<int:item_id>")
def content_item(item_id: int):
    """The editor (or, for those who may not edit it, the reader) of one item, with its history."""
    item = _item(item_id)
    history = content_store.revisions(g.db, item)
    latest = history[0] if history else None
    data = content_store.revision_data(latest) if latest else {}
    diffs = {revision.id: content_store.diff(history[index + 1] if index + 1 < len(history) else None, revision)
             for index, revision in enumerate(history)}
    stale = []
    if item.kind == "entry" and data:
        try:
            stale = content_store.stale_languages(data)
        except ContentError:
            stale = []
    staff = g.db.scalars(select(StaffUser).order_by(StaffUser.email)).all() if g.user.role == "admin" else []
    return render_template(
        "content_item.html", item=item, data=data, latest=latest, history=history, diffs=diffs, stale=stale,
        editable=content_store.may_edit(g.user, item), languages=TRANSLATION_LANGUAGES, names=LANGUAGE_NAMES,
        as_yaml=yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100) if item.kind != "entry" else "",
        staff=staff)


@bp.route("/content/<int:item_id>/drafts", methods=["POST"])
def save(item_id: int):
    """Save the form as a draft; with "publish", publish it too (refused, with the reason, if it would break)."""
    item = _editable(_item(item_id))
    latest = _latest(item)
    base = content_store.revision_data(latest) if latest else {"id": item.key}
    try:
        if item.kind == "entry":
            data = entry_from_form(base)
        else:
            data = yaml.safe_load(request.form.get("yaml", ""))
            if not isinstance(data, dict):
                raise ContentError("expected a YAML mapping")
    except (ContentError, yaml.YAMLError) as error:
        flash(f"Not saved: {error}")
        return redirect(url_for("content.content_item", item_id=item.id))
    revision = content_store.save_draft(g.db, item, data, g.user, request.form.get("note", ""))
    if request.form.get("publish"):
        return _publish(item, revision)
    g.db.commit()
    current_app.logger.info("content item %s: draft %s saved by staff %s", item.id, revision.id, g.user.id)
    flash("Draft saved; visitors still see the published version.")
    return redirect(url_for("content.content_item", item_id=item.id))


def _publish(item: ContentItem, revision: ContentRevision):
    try:
        content_store.publish(g.db, revision, g.user)
    except ContentError as error:
        g.db.commit()  # the draft stays, for the editor to fix
        flash(f"Not published: {error}")
    else:
        g.db.commit()
        flash(f"Revision {revision.id} published; the assistant answers with it within seconds.")
    return redirect(url_for("content.content_item", item_id=item.id))


@bp.route("/content/<int:item_id>/revisions/<int:revision_id>/publish", methods=["POST"])
def publish(item_id: int, revision_id: int):
    """Publish a saved draft."""
    item = _editable(_item(item_id))
    revision = g.db.get(ContentRevision, revision_id)
    if revision is None or revision.item_id != item.id:
        abort(404)
    return _publish(item, revision)


@bp.route("/content/<int:item_id>/revisions/<int:revision_id>/rollback", methods=["POST"])
def rollback(item_id: int, revision_id: int):
    """Publish an older revision again."""
    item = _editable(_item(item_id))
    if g.db.get(ContentRevision, revision_id) is None:
        abort(404)
    try:
        revision = content_store.rollback(g.db, item, revision_id, g.user)
    except ContentError as error:
        g.db.rollback()
        flash(f"Not rolled back: {error}")
    else:
        g.db.commit()
        flash(f"Revision {revision_id} published again (as revision {revision.id}).")
    return redirect(url_for("content.content_item", item_id=item.id))


@bp.route("/content/<int:item_id>/review", methods=["POST"])
def review(item_id: int):
    """Set the review-by date (editors) and the owner (admins)."""
    item = _editable(_item(item_id))
    try:
        text = request.form.get("review_by", "").strip()
        item.review_by = date.fromisoformat(text) if text else None
    except ValueError:
        flash("Not saved: the review-by date must be YYYY-MM-DD.")
        return redirect(url_for("content.content_item", item_id=item.id))
    if g.user.role == "admin" and "owner_id" in request.form:
        owner = request.form.get("owner_id", type=int)
        item.owner_id = owner if owner and g.db.get(StaffUser, owner) is not None else None
    g.db.commit()
    flash("Owner and review-by date saved.")
    return redirect(url_for("content.content_item", item_id=item.id))
