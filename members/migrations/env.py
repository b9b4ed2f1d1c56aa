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
        context.configure(connection=connection, target_metadata=Base.metadata,
                          include_object=include_object, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
