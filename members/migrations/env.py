"""Alembic environment: migrates the member database named by the settings (or the caller)."""
from alembic import context

from firststop.settings import get_settings
from members.db import make_engine
from members.models import Base

config = context.config
url = config.attributes.get("database_url") or get_settings().database_url


def include_object(obj, name, type_, reflected, compare_to):
    """Leave Rasa's tracker store table alone: Rasa creates and owns it."""
    return not (type_ == "table" and name == "events")


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, include_object=include_object,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch operations rebuild a table by dropping the old one; with foreign keys enforced that
            # drop would cascade to the rows referring to it (Alembic's batch docs: turn them off).
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=Base.metadata,
                          include_object=include_object, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise RuntimeError("the migration left rows whose foreign keys point nowhere")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
