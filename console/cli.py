"""`flask --app console:create_app ...` commands: console accounts and the transcript search index."""
from __future__ import annotations

import click
from flask import Flask, current_app

from console import search
from console.accounts import ROLES, AccountError, create_advisor_accounts, upsert_user
from members.db import session_factory

__all__ = ["register", "upsert_user"]  # launcher.ensure_admin imports upsert_user from here


def register(app: Flask) -> None:
    """Add the console's commands to the app's CLI."""

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), default="advisor")
    @click.password_option()
    def create_user(email: str, role: str, password: str) -> None:
        """Create or update a console account (linked to the advisor with that e-mail, if any)."""
        try:
            upsert_user(current_app.config["DATABASE_URL"], email, password, role)
        except AccountError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"account {email.lower()} ({role}) ready")

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
            click.echo(f"{len(made)} account(s) created; pass each password on privately, it is not stored.")

    @app.cli.command("refresh-search-index")
    def refresh_search_index() -> None:
        """Read new messages from Rasa's events table into the transcript search index."""
        with session_factory(current_app.config["DATABASE_URL"])() as session:
            total = search.refresh_all(session)
        click.echo(f"search index up to date ({total} messages read)")
