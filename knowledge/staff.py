"""Staff accounts for the copilot: usernames and argon2 password hashes, never passwords."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from knowledge._tables import StaffRow
from knowledge.database import StoreDatabase

_USERNAME = re.compile(r"^[a-zA-Z0-9._-]{2,64}$")
# A staff password guards every shopper's conversations and orders.
MIN_PASSWORD_LENGTH = 10


class StaffAccounts:
    """Creates staff accounts and checks their passwords.

    Example:
        >>> staff = StaffAccounts(db)
        >>> staff.create("maria", "a long passphrase")
        >>> staff.verify("maria", "a long passphrase")
        True
    """

    def __init__(self, db: StoreDatabase) -> None:
        self._session = db.sessions
        self._hasher = PasswordHasher()

    def create(self, username: str, password: str) -> None:
        """Add an account, or set a new password for an existing one.

        Raises:
            ValueError: the username or password doesn't meet the rules (the message says which).
        """
        if not _USERNAME.match(username):
            raise ValueError("a username is 2-64 letters, digits, dots, dashes or underscores")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"a staff password needs at least {MIN_PASSWORD_LENGTH} characters")
        digest = self._hasher.hash(password)
        with self._session.begin() as session:
            row = session.get(StaffRow, username)
            if row is None:
                session.add(StaffRow(username=username, password_hash=digest, created_at=datetime.now(UTC)))
            else:
                row.password_hash = digest

    def verify(self, username: str, password: str) -> bool:
        """True when the account exists and the password is its password."""
        with self._session() as session:
            row = session.get(StaffRow, username)
            stored = row.password_hash if row else None
        if stored is None:
            # Hash anyway so a missing account takes as long to reject as a wrong password.
            self._hasher.hash(password)
            return False
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def exists(self, username: str) -> bool:
        with self._session() as session:
            return session.get(StaffRow, username) is not None

    def usernames(self) -> list[str]:
        from sqlalchemy import select

        with self._session() as session:
            return list(session.scalars(select(StaffRow.username).order_by(StaffRow.username)))
