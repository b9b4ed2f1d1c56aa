"""Bring a database to the current schema (Alembic) and load the reference data from knowledge/."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select
from sqlalchemy.orm import Session

from firststop.settings import get_settings
from knowledge.content import Advisors, ClusterInfo, load_advisors, load_clusters
from members.db import session_factory
from members.models import Advisor, Cluster

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config for `database_url` without needing an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Migrate the database at `database_url` up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def prepare_database(database_url: str, knowledge_dir: Path | None = None) -> None:
    """Migrate the database to head, then make its clusters and advisors match knowledge/'s files."""
    knowledge_dir = knowledge_dir or get_settings().knowledge_dir
    upgrade(database_url)
    with session_factory(database_url).begin() as session:
        sync_reference_data(session, load_clusters(knowledge_dir / "clusters.yml"),
                            load_advisors(knowledge_dir / "advisors.yml"))


def sync_reference_data(session: Session, clusters: list[ClusterInfo], advisors: Advisors) -> None:
    """Make the clusters and advisors tables match the knowledge/ files (insert or update)."""
    by_id = {c.id: c for c in session.scalars(select(Cluster))}
    for info in clusters:
        row = by_id.get(info.id) or Cluster(id=info.id)
        row.name, row.full_name, row.status = info.name, info.full_name, info.status
        session.add(row)
        by_id[info.id] = row
    existing = {a.id: a for a in session.scalars(select(Advisor))}
    for info in advisors.advisors:
        row = existing.get(info.id) or Advisor(id=info.id)
        row.name, row.email = info.name, info.email
        row.languages = ",".join(info.languages)
        row.available, row.general = info.available, info.general
        row.clusters = [by_id[c] for c in info.clusters]
        session.add(row)
