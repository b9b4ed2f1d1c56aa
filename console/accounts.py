"""Console accounts: create, reset, disable and enable them; link each to the advisor with the same e-mail."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from members.db import session_factory
from members.enquiries import normalise_email
from members.models import Advisor, DisabledAccount, StaffUser

ROLES = ("advisor", "admin")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """The account can't be created or changed as asked."""


@dataclass(frozen=True)
class NewPassword:
    """A password made for an account, to be shown once to the person who asked for it."""

    email: str
    password: str


def hash_password(password: str) -> str:
    """The stored form of a password (werkzeug's salted scrypt)."""
    return generate_password_hash(password)


def random_password() -> str:
    """A password nobody chose: 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


def check_password(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def set_account(session: Session, email: str, password: str, role: str) -> StaffUser:
    """Create the account, or reset its password and role; linked to the advisor with that e-mail."""
    address = normalise_email(email)
    if address is None:
        raise AccountError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    check_password(password)
    user = session.scalars(select(StaffUser).where(StaffUser.email == address)).first()
    if user is None:
        user = StaffUser(email=address, failed_logins=0)
        session.add(user)
    user.password_hash = hash_password(password)
    user.role = role
    user.failed_logins, user.locked_until = 0, None
    advisor = session.scalars(select(Advisor).where(Advisor.email == address)).first()
    user.advisor_id = advisor.id if advisor else None
    session.flush()
    return user


def upsert_user(database_url: str, email: str, password: str, role: str) -> None:
    """Create or update an account in its own transaction (used by `make run` and the CLI)."""
    with session_factory(database_url).begin() as session:
        set_account(session, email, password, role)


def create_account(session: Session, email: str, role: str) -> NewPassword:
    """A new account with a random password; refuses an e-mail that already has one."""
    address = normalise_email(email)
    if address and session.scalars(select(StaffUser).where(StaffUser.email == address)).first():
        raise AccountError(f"{address} already has an account; reset its password instead")
    password = random_password()
    user = set_account(session, email, password, role)
    return NewPassword(user.email, password)


def create_advisor_accounts(session: Session) -> list[NewPassword]:
    """An advisor account, with a random password, for every advisor who has none yet."""
    have = set(session.scalars(select(StaffUser.email)))
    made = []
    for advisor in session.scalars(select(Advisor).order_by(Advisor.id)):
        if advisor.email.lower() not in have:
            made.append(create_account(session, advisor.email, "advisor"))
    return made


def reset_password(session: Session, user: StaffUser) -> NewPassword:
    """Give the account a new random password and lift any lockout."""
    password = random_password()
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    return NewPassword(user.email, password)


def is_disabled(session: Session, user: StaffUser) -> bool:
    """Whether an admin disabled this account."""
    return session.get(DisabledAccount, user.id) is not None


def disable(session: Session, user: StaffUser, by: StaffUser) -> None:
    """Stop the account from logging in (its open sessions end on their next request)."""
    if user.id == by.id:
        raise AccountError("you can't disable your own account")
    if not is_disabled(session, user):
        session.add(DisabledAccount(staff_user_id=user.id, disabled_by=by.id))
        session.flush()


def enable(session: Session, user: StaffUser) -> None:
    """Let a disabled account log in again."""
    session.execute(delete(DisabledAccount).where(DisabledAccount.staff_user_id == user.id))


def disabled_ids(session: Session) -> set[int]:
    """Ids of every disabled account, for listing."""
    return set(session.scalars(select(DisabledAccount.staff_user_id)))
