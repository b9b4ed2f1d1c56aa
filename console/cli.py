"""`flask` commands to manage console accounts."""
from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from console.auth import hash_password
from members.db import session_factory
from members.models import Advisor, StaffUser


def upsert_user(database_url: str, email: str, password: str, role: str) -> None:
    """Create the account, or reset its password and role; linked to the advisor with that e-mail."""
    with session_factory(database_url).begin() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.email == email.lower())).first()
        if user is None:
            user = StaffUser(email=email.lower())
            session.add(user)
        user.password_hash = hash_password(password)
        user.role = role
        advisor = session.scalars(select(Advisor).where(Advisor.email == email.lower())).first()
        user.advisor_id = advisor.id if advisor else None


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["advisor", "admin"]), default="advisor")
    @click.password_option()
    def create_user(email: str, role: str, password: str) -> None:
        """Create or update a console account."""
        upsert_user(current_app.config["DATABASE_URL"], email, password, role)
        click.echo(f"account {email} ({role}) ready")
