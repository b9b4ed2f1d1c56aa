"""`flask --app console:create_app ...` commands: console accounts, the transcript search index, and the content's
export to and import from the YAML files in knowledge/."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy import select

from console import search
from console.accounts import (
    ROLES,
    AccountError,
    create_advisor_accounts,
    holds_password_of,
    set_account,
)
from firststop.settings import get_settings
from knowledge.content import ContentError
from members import content_store
from members.db import session_factory
from members.enquiries import normalise_email
from members.models import StaffUser


def register(app: Flask) -> None:
    """Add the console's commands to the app's CLI."""

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), default="advisor")
    @click.password_option()
    def create_user(email: str, role: str, password: str) -> None:
        """Create or update a console account with a password you choose (an existing one's sessions end)."""
        first_run_file = current_app.config["ADMIN_PASSWORD_FILE"]
        address = normalise_email(email) or email
        try:
            with session_factory(current_app.config["DATABASE_URL"]).begin() as session:
                existing = session.scalars(select(StaffUser).where(StaffUser.email == address)).first()
                replaces_first_run = existing is not None and holds_password_of(first_run_file, existing)
                set_account(session, email, password, role, must_change=False)
        except AccountError as error:
            raise click.ClickException(str(error)) from error
        if replaces_first_run:  # the launcher prints that password only while the file exists
            first_run_file.unlink(missing_ok=True)
        click.echo(f"account {address} ({role}) ready")

    @app.cli.command("create-advisor-accounts")
    def advisor_accounts() -> None:
        """Create an advisor account for every advisor without one; prints each new password once."""
        with session_factory(current_app.config["DATABASE_URL"]).begin() as session:
            made = create_advisor_accounts(session)
        if not made:
            click.echo("every advisor already has an account")
        for account in made:
            click.echo(f"{account.email}\t{account.password}")
        if made:
            click.echo(f"{len(made)} account(s) created; pass each password on privately, it is not stored. "
                       "Each has to be changed at first login.")

    @app.cli.command("refresh-search-index")
    def refresh_search_index() -> None:
        """Read new messages from Rasa's events table into the transcript search index."""
        with session_factory(current_app.config["DATABASE_URL"])() as session:
            total = search.refresh_all(session)
        click.echo(f"search index up to date ({total} messages read)")

    @app.cli.command("export-content")
    @click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="folder to write (default: knowledge/ of this checkout)")
    def export_content(target: Path | None) -> None:
        """Write the published content (entries with translations, clusters, advisors) to the YAML files."""
        target = target or get_settings().knowledge_dir
        try:
            with session_factory(current_app.config["DATABASE_URL"])() as session:
                if not content_store.has_content(session):
                    raise click.ClickException("the database holds no content; nothing exported")
                written = content_store.export_files(session, target)
        except ContentError as error:
            raise click.ClickException(f"not exported: {error}") from error
        click.echo(f"{written} items written to {target}")

    @app.cli.command("import-content")
    @click.option("--from", "source", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
                  help="folder to read (default: knowledge/ of this checkout)")
    def import_content(source: Path | None) -> None:
        """Publish what the YAML files hold where it differs from the database (checked whole first)."""
        source = source or get_settings().knowledge_dir
        try:
            with session_factory(current_app.config["DATABASE_URL"]).begin() as session:
                changed = content_store.import_files(session, source)
        except ContentError as error:
            raise click.ClickException(f"not imported: {error}") from error
        click.echo(f"{changed} items published from {source}")
