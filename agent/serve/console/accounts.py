"""Local console users (argon2id password hashes) and their server-side sessions.

A session is valid while its row exists and has not expired: a collector restart keeps
the sessions that are still valid, and logging out, changing a password or removing a
user deletes the rows, so an old cookie stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from agent.serve.console import schema

Role = Literal["viewer", "engineer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "engineer", "admin")
MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)
# argon2-cffi's defaults are RFC 9106's "low memory" profile (argon2id, t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()
# Verified when the user is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
# The password_hash of a user who signs in through Active Directory: not a hash, so no
# password ever verifies locally; the row exists for the sessions and `patrol console user`.
DIRECTORY_MARK = "!directory"


class AccountError(ValueError):
    """A user action that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    site: str | None  # None: every site of this collector
    created_at: datetime

    def can(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def sees(self, site: str) -> bool:
        return self.site is None or self.site == site


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


class Accounts:
    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime]):
        self.engine = engine
        self.clock = clock

    # --- users ---------------------------------------------------------------------------

    def add(self, username: str, password: str, role: str, site: str | None) -> User:
        username = username.strip()
        if not username or len(username) > 128 or any(c.isspace() or not c.isprintable() for c in username):
            raise AccountError("a user name is 1-128 printable characters without spaces")
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if role == "viewer" and not site:
            raise AccountError("a viewer sees one site: give --site")
        check_password(password)
        now = self.clock()
        with self.engine.begin() as conn:
            if conn.execute(sa.select(schema.users.c.username).where(schema.users.c.username == username)).first():
                raise AccountError(f"user {username!r} exists; use `patrol console user passwd`")
            conn.execute(schema.users.insert().values(username=username, password_hash=_HASHER.hash(password),
                                                      role=role, site=site or None, created_at=now,
                                                      password_changed_at=now))
        return User(username, role, site or None, now)  # type: ignore[arg-type]

    def list(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(schema.users).order_by(schema.users.c.username)).all()
        return [User(r.username, r.role, r.site, r.created_at) for r in rows]

    def get(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(schema.users).where(schema.users.c.username == username)).first()
        return None if r is None else User(r.username, r.role, r.site, r.created_at)

    def passwd(self, username: str, password: str) -> None:
        check_password(password)
        with self.engine.begin() as conn:
            done = conn.execute(schema.users.update().where(schema.users.c.username == username).values(
                password_hash=_HASHER.hash(password), password_changed_at=self.clock())).rowcount
            if not done:
                raise AccountError(f"no user {username!r}")
            conn.execute(schema.sessions.delete().where(schema.sessions.c.username == username))

    def remove(self, username: str) -> None:
        with self.engine.begin() as conn:
            if not conn.execute(schema.users.delete().where(schema.users.c.username == username)).rowcount:
                raise AccountError(f"no user {username!r}")
            conn.execute(schema.sessions.delete().where(schema.sessions.c.username == username))

    def verify(self, username: str, password: str) -> User | None:
        """The user when the password is right; None otherwise (unknown user or wrong password)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(schema.users).where(schema.users.c.username == username)).first()
        try:
            _HASHER.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _HASHER.check_needs_rehash(row.password_hash):  # parameters were raised since it was set
            with self.engine.begin() as conn:
                conn.execute(schema.users.update().where(schema.users.c.username == username)
                             .values(password_hash=_HASHER.hash(password)))
        return User(row.username, row.role, row.site, row.created_at)

    def is_local(self, username: str) -> bool:
        """A user with a local password (an AD user's row has none)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(schema.users.c.password_hash).where(schema.users.c.username == username)).first()
        return row is not None and row.password_hash != DIRECTORY_MARK

    def directory_user(self, username: str, role: str, site: str | None) -> User:
        """The row of a user who just signed in through AD, with the role their groups give
        today (a changed group changes the role at the next sign-in)."""
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}")
        now = self.clock()
        u = schema.users
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(u).where(u.c.username == username)).first()
            if row is not None and row.password_hash != DIRECTORY_MARK:
                raise AccountError(f"{username!r} is a local user")
            if row is None:
                conn.execute(u.insert().values(username=username, password_hash=DIRECTORY_MARK, role=role, site=site,
                                               created_at=now, password_changed_at=now))
                created = now
            else:
                conn.execute(u.update().where(u.c.username == username).values(role=role, site=site))
                created = row.created_at
        return User(username, role, site, created)  # type: ignore[arg-type]

    # --- sessions ------------------------------------------------------------------------

    def open_session(self, user: User, address: str | None) -> tuple[str, Session]:
        """A new session: the cookie value (shown to the browser only) and the session."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(user, secrets.token_urlsafe(32), now + SESSION_LIFETIME)
        with self.engine.begin() as conn:
            conn.execute(schema.sessions.delete().where(schema.sessions.c.expires_at < now))
            conn.execute(schema.sessions.insert().values(token_hash=_digest(token), username=user.username,
                                                         csrf=session.csrf, created_at=now,
                                                         expires_at=session.expires_at, address=address))
        return token, session

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        s, u = schema.sessions, schema.users
        query = (sa.select(s.c.csrf, s.c.expires_at, u.c.username, u.c.role, u.c.site, u.c.created_at)
                 .join(u, u.c.username == s.c.username).where(s.c.token_hash == _digest(token)))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.expires_at <= self.clock():
            return None
        return Session(User(row.username, row.role, row.site, row.created_at), row.csrf, row.expires_at)

    def close_session(self, token: str | None) -> None:
        if token:
            with self.engine.begin() as conn:
                conn.execute(schema.sessions.delete().where(schema.sessions.c.token_hash == _digest(token)))
