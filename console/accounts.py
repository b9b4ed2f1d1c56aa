"""Console accounts: create, reset, disable and enable them; link each to the advisor with the same e-mail;
end an account's server-side sessions when its password changes or it is disabled."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from members.db import session_factory
from members.enquiries import normalise_email
from members.models import Advisor, DisabledAccount, StaffSession, StaffUser

ROLES = ("advisor", "admin")
MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


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


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The passwords guessed first (console/common_passwords.txt, lower case, one a line)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip())


def check_password(password: str, email: str = "") -> None:
    """Refuse passwords that are easy to guess: short, common, or the account's own e-mail address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    folded = password.strip().casefold()
    if folded in common_passwords():
        raise AccountError("that password is on the list of the most common passwords; choose another")
    address = email.strip().casefold()
    if address and folded in {address, address.split("@", 1)[0]}:
        raise AccountError("a password can't be the account's own e-mail address")


def end_sessions(session: Session, user: StaffUser) -> None:
    """Log the account out everywhere: delete every server-side session it has."""
    session.execute(delete(StaffSession).where(StaffSession.staff_user_id == user.id),
                    execution_options={"synchronize_session": False})


def _set_password(session: Session, user: StaffUser, password: str, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    if user.id is not None:
        end_sessions(session, user)


def set_account(session: Session, email: str, password: str, role: str, *, must_change: bool = False) -> StaffUser:
    """Create the account, or reset its password and role; linked to the advisor with that e-mail.

    `must_change` is for passwords nobody chose (random ones): the first login then has to change it.
    Resetting an existing account's password ends its sessions.
    """
    address = normalise_email(email)
    if address is None:
        raise AccountError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    check_password(password, address)
    user = session.scalars(select(StaffUser).where(StaffUser.email == address)).first()
    if user is None:
        user = StaffUser(email=address)
        session.add(user)
    _set_password(session, user, password, must_change)
    user.role = role
    advisor = session.scalars(select(Advisor).where(Advisor.email == address)).first()
    user.advisor_id = advisor.id if advisor else None
    session.flush()
    return user


def upsert_user(database_url: str, email: str, password: str, role: str, *, must_change: bool = False) -> None:
    """Create or update an account in its own transaction (used by `make run` and the CLI)."""
    with session_factory(database_url).begin() as session:
        set_account(session, email, password, role, must_change=must_change)


def create_account(session: Session, email: str, role: str) -> NewPassword:
    """A new account with a random password to change at first login; refuses an e-mail that already has one."""
    address = normalise_email(email)
    if address and session.scalars(select(StaffUser).where(StaffUser.email == address)).first():
        raise AccountError(f"{address} already has an account; reset its password instead")
    password = random_password()
    user = set_account(session, email, password, role, must_change=True)
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
    """Give the account a new random password, to change at its next login, and end its sessions."""
    password = random_password()
    _set_password(session, user, password, must_change=True)
    session.flush()
    return NewPassword(user.email, password)


def change_password(session: Session, user: StaffUser, current: str, new: str) -> None:
    """The account's owner replaces their password (the current one proves it is them); ends every session."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("the current password is wrong")
    if secrets.compare_digest(current.encode(), new.encode()):
        raise AccountError("the new password must differ from the current one")
    check_password(new, user.email)
    _set_password(session, user, new, must_change=False)
    session.flush()


def holds_password_of(path: Path, user: StaffUser) -> bool:
    """Whether the file (the first-run admin password) holds this account's current password."""
    try:
        kept = path.read_text().strip()
    except FileNotFoundError:
        return False
    return bool(kept) and check_password_hash(user.password_hash, kept)


def is_disabled(session: Session, user: StaffUser) -> bool:
    """Whether an admin disabled this account."""
    return session.get(DisabledAccount, user.id) is not None


def disable(session: Session, user: StaffUser, by: StaffUser) -> None:
    """Stop the account from logging in and end its open sessions."""
    if user.id == by.id:
        raise AccountError("you can't disable your own account")
    if not is_disabled(session, user):
        session.add(DisabledAccount(staff_user_id=user.id, disabled_by=by.id))
    end_sessions(session, user)
    session.flush()


def enable(session: Session, user: StaffUser) -> None:
    """Let a disabled account log in again."""
    session.execute(delete(DisabledAccount).where(DisabledAccount.staff_user_id == user.id))


def disabled_ids(session: Session) -> set[int]:
    """Ids of every disabled account, for listing."""
    return set(session.scalars(select(DisabledAccount.staff_user_id)))


def ensure_admin(database_url: str, password_file: Path) -> str:
    """On first run, create a console admin with a random password, which must be changed at first login;
    returns what to print: the password the first time only, afterwards where it is kept until then."""
    with session_factory(database_url)() as session:
        if session.scalar(select(func.count()).select_from(StaffUser)):
            if password_file.exists():
                return f"first-login password in {password_file}"
            return "password as you set it; `make admin` resets it"
    password = secrets.token_urlsafe(12)
    upsert_user(database_url, "admin@example.org", password, "admin", must_change=True)
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(password + "\n")
    return f"{password}, to be changed at first login"
