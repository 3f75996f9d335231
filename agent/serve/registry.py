"""Enrolment tokens and enrolled agents: who may push, as which target of which site.

An agent is one computer, whatever happens to it: it is found again by its SMBIOS UUID
(survives an OS reinstall) or its OS machine id (survives a re-enrolment), never by IP.
Re-enrolling a known computer gives it a new credential (the old one stops working) and
keeps its target name and history; that is the duplicate "reinstalled the agent and a
second workstation appeared" which RMM users complain about, avoided by construction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from agent.fleet.protocol import EnrollRequest
from agent.serve.schema import agents, enrol_tokens
from collectors.base import utcnow

TOKEN_PREFIX = "pet_"  # Patrol enrolment token: recognisable in a leaked paste
CREDENTIAL_PREFIX = "pac_"  # Patrol agent credential
ACTIVE_MIN_S = 600.0  # as serve.silent_min_s's default
_TARGET_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Identifiers some firmware ships on every board: never evidence of the same computer.
_BOGUS_UUIDS = {"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
                "03000200-0400-0500-0006-000700080009", "00020003-0004-0005-0006-000700080009"}


def _active(agent: "AgentRecord", now: datetime) -> bool:
    """Pushed (or enrolled) within the time after which it would count as silent."""
    last = agent.last_seen or agent.enrolled_at
    return agent.revoked_at is None and (now - last).total_seconds() < max(3 * agent.interval_s, ACTIVE_MIN_S)


class EnrolmentRefused(Exception):
    """The token is unknown, used up, expired or revoked (the API answers 403)."""


class UnknownAgent(LookupError):
    pass


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def target_name(name: str) -> str:
    """An agent's name as an inventory target name (letters, digits, '.', '_', '-').

    A name with non-ASCII letters (财务-PC) becomes its punycode (``xn--...``), as DNS does,
    so two such names never collapse into one; the agent's own host name is kept beside it.
    """
    name = name.strip()
    if not name.isascii():
        name = "xn--" + name.encode("punycode").decode("ascii")
    cleaned = _TARGET_NAME.sub("-", name).strip("-.") or "agent"
    return cleaned[:128]


def usable_uuid(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    return None if value in _BOGUS_UUIDS else value


@dataclass(frozen=True)
class AgentRecord:
    agent_id: str
    site: str
    target: str
    name_pinned: bool
    hostname: str
    machine_id: str | None
    smbios_uuid: str | None
    os: str
    version: str
    enrolled_at: datetime
    last_seen: datetime | None
    address: str | None
    last_seq: int
    interval_s: float
    clock_offset_s: float | None
    dropped_total: int
    results_total: int
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def from_row(cls, row: sa.Row) -> "AgentRecord":
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class TokenInfo:
    token: str  # shown once
    site: str
    expires_at: datetime
    uses: int


class AgentRegistry:
    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.clock = clock

    # --- enrolment tokens ------------------------------------------------------------------

    def create_token(self, site: str, *, expires_in: timedelta = timedelta(hours=24), uses: int = 1,
                     created_by: str = "patrol") -> TokenInfo:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(enrol_tokens.insert().values(token_hash=digest(token), site=site, created_at=now,
                                                      created_by=created_by, expires_at=now + expires_in,
                                                      uses_left=uses))
        return TokenInfo(token, site, now + expires_in, uses)

    def _consume_token(self, conn: sa.Connection, token: str, now: datetime) -> str:
        """The token's site; one use is taken in the caller's transaction."""
        row = conn.execute(sa.select(enrol_tokens).where(enrol_tokens.c.token_hash == digest(token))).first()
        if row is None:
            raise EnrolmentRefused("unknown enrolment token")
        if row.revoked_at is not None:
            raise EnrolmentRefused("this enrolment token was revoked")
        if row.expires_at <= now:
            raise EnrolmentRefused("this enrolment token has expired; create a new one with `patrol agents token create`")
        # Conditional update: two agents racing for the last use cannot both get it.
        taken = conn.execute(enrol_tokens.update().where(enrol_tokens.c.id == row.id, enrol_tokens.c.uses_left > 0)
                             .values(uses_left=enrol_tokens.c.uses_left - 1)).rowcount
        if not taken:
            raise EnrolmentRefused("this enrolment token has been used up")
        return row.site

    # --- agents ----------------------------------------------------------------------------

    def enroll(self, request: EnrollRequest) -> tuple[AgentRecord, str, bool]:
        """Enrol (or re-enrol) a computer; returns its record, its new credential and whether it was known."""
        now = self.clock()
        credential = CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
        ident = request.identity
        smbios, machine = usable_uuid(ident.smbios_uuid), (ident.machine_id or "").strip().lower() or None
        with self.engine.begin() as conn:
            site = self._consume_token(conn, request.token, now)
            known = self._find_known(conn, site, ident.hostname, smbios, machine, now)
            values = {"hostname": ident.hostname, "machine_id": machine, "smbios_uuid": smbios, "os": request.os,
                      "version": request.version, "credential_hash": digest(credential), "revoked_at": None}
            if known is not None:
                conn.execute(agents.update().where(agents.c.agent_id == known.agent_id).values(**values))
                agent_id = known.agent_id
            else:
                agent_id = uuid.uuid4().hex
                conn.execute(agents.insert().values(
                    agent_id=agent_id, site=site, target=self._free_target(conn, site, target_name(request.name)),
                    name_pinned=False, enrolled_at=now, last_seen=None, address=None, last_seq=0, interval_s=300.0,
                    clock_offset_s=None, dropped_total=0, results_total=0, **values))
            record = AgentRecord.from_row(conn.execute(sa.select(agents).where(agents.c.agent_id == agent_id)).one())
        return record, credential, known is not None

    def _find_known(self, conn: sa.Connection, site: str, hostname: str, smbios: str | None,
                    machine: str | None, now: datetime) -> AgentRecord | None:
        """The agent this computer already is, if any.

        Same SMBIOS UUID or machine id, and either the same host name or an agent that has
        gone quiet (a reinstalled or renamed PC). An agent with the same id that is still
        pushing under another name is another computer: a VM or disk image cloned without
        sysprep shares MachineGuid and often the SMBIOS UUID, and merging the two would
        hide one of them.
        """
        for column, value in ((agents.c.smbios_uuid, smbios), (agents.c.machine_id, machine)):
            if value is None:
                continue
            rows = conn.execute(sa.select(agents).where(agents.c.site == site, column == value)
                                .order_by(agents.c.enrolled_at)).all()
            for row in rows:
                known = AgentRecord.from_row(row)
                if known.hostname.lower() == hostname.lower() or not _active(known, now):
                    return known
        return None

    def _free_target(self, conn: sa.Connection, site: str, wanted: str, agent_id: str | None = None) -> str:
        """``wanted``, or ``wanted-2``... when another computer of the site already has that name."""
        taken = {row.target for row in conn.execute(sa.select(agents.c.target).where(
            agents.c.site == site, agents.c.agent_id != (agent_id or "")))}
        name, n = wanted, 1
        while name in taken:
            n += 1
            name = f"{wanted}-{n}"
        return name

    def authenticate(self, credential: str) -> AgentRecord | None:
        """The agent holding ``credential``, revoked or not; None for an unknown one."""
        if not credential.startswith(CREDENTIAL_PREFIX):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(agents).where(agents.c.credential_hash == digest(credential))).first()
        return None if row is None else AgentRecord.from_row(row)

    def get(self, ref: str) -> AgentRecord:
        """By agent id (or a unique prefix of 6+ characters) or by target name."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(agents).where(sa.or_(agents.c.agent_id == ref, agents.c.target == ref))).all()
            if not rows and len(ref) >= 6:
                rows = conn.execute(sa.select(agents).where(agents.c.agent_id.startswith(ref, autoescape=True))).all()
        if not rows:
            raise UnknownAgent(f"no agent {ref!r} (give its target name or agent id; `patrol agents list` shows both)")
        if len(rows) > 1:
            sites = ", ".join(f"{r.site}/{r.target} ({r.agent_id[:8]})" for r in rows)
            raise UnknownAgent(f"{ref!r} names several agents: {sites}; give the agent id")
        return AgentRecord.from_row(rows[0])

    def list(self, site: str | None = None) -> list[AgentRecord]:
        query = sa.select(agents).order_by(agents.c.site, agents.c.target)
        if site is not None:
            query = query.where(agents.c.site == site)
        with self.engine.connect() as conn:
            return [AgentRecord.from_row(r) for r in conn.execute(query)]

    def revoke(self, ref: str) -> AgentRecord:
        agent = self.get(ref)
        with self.engine.begin() as conn:
            conn.execute(agents.update().where(agents.c.agent_id == agent.agent_id).values(revoked_at=self.clock()))
        return self.get(agent.agent_id)

    def rename(self, ref: str, new_target: str) -> tuple[AgentRecord, str]:
        """Pin a new target name; returns the record and the old name (history moves with it)."""
        agent = self.get(ref)
        wanted = target_name(new_target)
        if wanted != new_target:
            raise ValueError(f"{new_target!r} is not a valid target name: letters, digits, '.', '_' and '-'")
        with self.engine.begin() as conn:
            if self._free_target(conn, agent.site, wanted, agent.agent_id) != wanted:
                raise ValueError(f"site {agent.site} already has an agent named {wanted!r}")
            conn.execute(agents.update().where(agents.c.agent_id == agent.agent_id)
                         .values(target=wanted, name_pinned=True))
        return self.get(agent.agent_id), agent.target
