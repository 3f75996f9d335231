"""Configuration backup of switches and routers over SSH (netmiko), kept in a git repository.

For each inventory network device with ``cli`` credentials:

1. fetch: log in with netmiko (``platform`` is the netmiko device type), enter privileged
   mode where the platform needs it, read the running configuration and the version;
   drop the lines that change by themselves and refuse a reply that is not a
   configuration (rules per platform: collectors/netconfig_rules/); commit the result to
   ``<state_dir>/configs/<device>.cfg`` when it differs from the last backup; read back
   the last two versions of that file from git.
2. parse: the unified diff of the last change, with secret values masked.
3. evaluate: ``netconfig.backup`` (the backup worked) and ``netconfig.change`` (WARN for
   ``change_hold_h`` hours after a change, the masked diff in its details).

The git repository is ordinary: engineers read history and diffs with ``git log -p``.
"""

from __future__ import annotations

import difflib
import os
import socket
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, ClassVar

from collectors.base import CheckResult, CollectorIO, FetchError, Metric, ParseError, State
from collectors.messages import Messages
from collectors.netconfig_rules import (
    PlatformRules,
    UnknownPlatform,
    clean_config,
    clean_version,
    compose,
    mask_text,
    masked_diff,
    rules_for,
)
from config.checks.netconfig import NetconfigParams
from inventory.models import Inventory, NetworkDevice

GIT_AUTHOR = "patrol"
GIT_EMAIL = "patrol@localhost"
_GIT_TIMEOUT_S = 30.0
_LOCK_WAIT_S = 60.0


# ---------------------------------------------------------------- reading the device

@dataclass(frozen=True, slots=True)
class CliReply:
    """What the device printed for the two commands (text as netmiko returns it)."""

    config: str
    version: str | None


# A reader takes (device, rules, params, io) and returns the reply; tests may put another
# one in ``io.extra["netconfig_reader"]``.
Reader = Callable[[NetworkDevice, PlatformRules, NetconfigParams, CollectorIO], CliReply]


def _secret(io: CollectorIO, ref: Any, what: str) -> str:
    if io.resolve_secret is None:
        raise FetchError(f"no secret resolver available to read {what}")
    try:
        return io.resolve_secret(ref)
    except Exception as exc:  # SecretUnavailable names the reference, never the value
        raise FetchError(f"{what}: {exc}") from None


def _scrub(text: str, secrets: Iterable[str]) -> str:
    # Library messages are not ours to trust: never let a secret through, even by accident.
    for value in secrets:
        if value:
            text = text.replace(value, "<masked>")
    return " ".join(text.split())[:200]


def _unreachable_reason(exc: Exception, timeout_s: float) -> str:
    # netmiko raises its timeout exception from inside the socket error handler: the
    # socket error it replaces is the real reason.
    cause = exc.__cause__ or exc.__context__
    inner = getattr(cause, "errors", None)  # paramiko's NoValidConnectionsError: {address: OSError}
    if isinstance(inner, dict) and inner:
        cause = next(iter(inner.values()))
    if isinstance(cause, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout_s:g} s"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused (no SSH server on that port?)"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    if "No existing session" in str(exc) or "banner" in str(cause):
        # Something accepted the TCP connection but never spoke SSH (paramiko: "Error
        # reading SSH protocol banner", which netmiko reports as "No existing session").
        return f"the SSH session did not start within {timeout_s:g} s (no SSH banner: not an SSH server, or overloaded)"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return first or f"no answer within {timeout_s:g} s"


def read_with_netmiko(device: NetworkDevice, rules: PlatformRules, params: NetconfigParams, io: CollectorIO) -> CliReply:
    """Log in, enter privileged mode if the platform needs it, run the show commands."""
    from netmiko import ConnectHandler
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout

    cli = device.cli
    assert cli is not None  # targets() only yields devices with cli credentials
    password = _secret(io, cli.password, "cli.password")
    enable_secret = _secret(io, cli.enable_secret, "cli.enable_secret") if cli.enable_secret is not None else ""
    where = f"{device.address}:{cli.port}"
    settings = dict(
        device_type=device.platform, host=device.address, port=cli.port, username=cli.username,
        password=password, secret=enable_secret,
        conn_timeout=cli.timeout_s, auth_timeout=cli.timeout_s, banner_timeout=cli.timeout_s,
        timeout=cli.timeout_s, session_timeout=params.command_timeout_s,
        # Least privilege: only the inventory's credentials, never the agent's own SSH keys.
        allow_agent=False, use_keys=False, ssh_config_file=None,
    )
    current = "login"
    try:
        with ConnectHandler(**settings) as conn:
            if rules.enable and not conn.check_enable_mode():
                current = "enable"
                # fakenos and real IOS devices start in user EXEC ("r1>"): the running
                # configuration needs privileged EXEC ("r1#").
                conn.enable()
            current = rules.config_command
            config = conn.send_command(rules.config_command, read_timeout=params.command_timeout_s)
            version = None
            if params.include_version and rules.version_command:
                current = rules.version_command
                version = conn.send_command(rules.version_command, read_timeout=params.command_timeout_s)
    except NetmikoAuthenticationException:
        raise FetchError(f"SSH login as {cli.username!r} to {where} failed: wrong user name or password") from None
    except NetmikoTimeoutException as exc:
        raise FetchError(f"cannot reach {where} over SSH: {_unreachable_reason(exc, cli.timeout_s)}") from None
    except ReadTimeout:
        raise FetchError(f"'{current}' on {where} did not finish within {params.command_timeout_s:g} s") from None
    except ValueError as exc:
        if current == "enable":
            raise FetchError(f"could not enter privileged mode on {where}: check cli.enable_secret") from None
        raise FetchError(f"'{current}' on {where} failed: {_scrub(str(exc), (password, enable_secret))}") from None
    except Exception as exc:  # paramiko's SSHException, socket errors, EOF: one line, secrets scrubbed
        detail = _scrub(f"{type(exc).__name__}: {exc}", (password, enable_secret))
        raise FetchError(f"SSH session to {where} failed during {current!r}: {detail}") from None
    if not isinstance(config, str):
        raise FetchError(f"'{rules.config_command}' on {where} returned {type(config).__name__}, not text")
    return CliReply(config=config, version=version if isinstance(version, str) else None)


# ---------------------------------------------------------------- the git archive

@dataclass(frozen=True, slots=True)
class StoredVersion:
    commit: str
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class ArchiveState:
    """The device's file in the archive after this backup."""

    file: str
    current: StoredVersion
    previous: StoredVersion | None  # the version before the latest change; None after the first backup
    stored_now: bool  # this backup made a new commit


_thread_locks: dict[Path, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


class _RepoLock:
    """One writer per repository: a thread lock (devices run in a pool) plus a file lock
    (another Patrol process on the same state_dir), both with a deadline, never a hang."""

    def __init__(self, repo: Path):
        self.path = repo.with_name(repo.name + ".lock")
        with _thread_locks_guard:
            self.thread_lock = _thread_locks.setdefault(repo, threading.Lock())
        self.fd: int | None = None

    def __enter__(self) -> None:
        if not self.thread_lock.acquire(timeout=_LOCK_WAIT_S):
            raise FetchError(f"the config repository {self.path.with_suffix('')} stayed busy for {_LOCK_WAIT_S:g} s")
        try:
            import fcntl
        except ImportError:  # Windows: the thread lock is all there is
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            self.thread_lock.release()
            raise FetchError(f"cannot create the config repository lock {self.path}: {exc.strerror}") from None
        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.__exit__()
                    raise FetchError(f"the config repository lock {self.path} is held by another process") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None
        self.thread_lock.release()


class GitArchive:
    """Plain ``git`` through the command runner: one file per device, a commit per change."""

    def __init__(self, repo: Path, io: CollectorIO):
        self.repo = repo
        self.io = io

    def _env(self, when: datetime) -> Mapping[str, str]:
        stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return {
            "GIT_AUTHOR_NAME": GIT_AUTHOR, "GIT_AUTHOR_EMAIL": GIT_EMAIL, "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": GIT_AUTHOR, "GIT_COMMITTER_EMAIL": GIT_EMAIL, "GIT_COMMITTER_DATE": stamp,
            # The user's own git settings (signing, hooks, pagers) must not change what we store.
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
        }

    def git(self, *args: str, when: datetime | None = None, ok: Sequence[int] = (0,)) -> tuple[int, str]:
        argv = ("git", "-C", str(self.repo), *args)
        try:
            out = self.io.run(argv, timeout=_GIT_TIMEOUT_S, env=self._env(when or self.io.clock()))
        except FileNotFoundError:
            raise FetchError("the git program is not installed; configuration backups need it") from None
        except TimeoutError:
            raise FetchError(f"git {args[0]} did not finish within {_GIT_TIMEOUT_S:g} s in {self.repo}") from None
        if out.returncode not in ok:
            reason = " ".join(out.stderr.decode("utf-8", "replace").split())[:200] or f"exit code {out.returncode}"
            raise FetchError(f"git {args[0]} failed in {self.repo}: {reason}")
        return out.returncode, out.stdout.decode("utf-8", "replace")

    def _ensure(self) -> None:
        if (self.repo / ".git").is_dir():
            return
        # 0700: the backups hold the devices' password hashes and keys.
        self.repo.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.git("init", "-q")

    def store(self, name: str, text: str, message: Callable[[str | None], str]) -> ArchiveState:
        """Write ``<name>.cfg``, commit it if it changed, and read back the latest two versions."""
        file = f"{name}.cfg"
        with _RepoLock(self.repo):
            self._ensure()
            path = self.repo / file
            found, head_text = self.git("show", f"HEAD:{file}", ok=(0, 128))  # 128: no HEAD or no such file yet
            before = head_text if found == 0 else None
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            self.git("add", "--", file)
            # rc 1: the staged file differs from HEAD (or is new).
            changed, _ = self.git("diff", "--cached", "--quiet", "--", file, ok=(0, 1))
            if changed:
                self.git("commit", "-q", "--no-verify", "-m", message(before), "--", file)
            _, log = self.git("log", "-2", "--format=%H%x09%cI", "--", file)
            versions = [self._version(line, file) for line in log.splitlines() if line.strip()]
        if not versions:
            raise FetchError(f"git has no history for {file} in {self.repo} after the backup")
        return ArchiveState(file, versions[0], versions[1] if len(versions) > 1 else None, stored_now=bool(changed))

    def _version(self, log_line: str, file: str) -> StoredVersion:
        commit, _, stamp = log_line.partition("\t")
        _, text = self.git("show", f"{commit}:{file}")
        return StoredVersion(commit, datetime.fromisoformat(stamp.strip()), text)


def _commit_message(device: NetworkDevice, rules: PlatformRules, lines: int, new_text: str) -> Callable[[str | None], str]:
    def message(before: str | None) -> str:
        body = f"platform {rules.platform}, address {device.address}; read with '{rules.config_command}' by patrol"
        if before is None:
            return f"{device.name}: first backup ({lines} lines)\n\n{body}"
        diff = list(difflib.unified_diff(before.splitlines(), new_text.splitlines(), lineterm="", n=0))
        added = sum(1 for d in diff[2:] if d.startswith("+"))
        removed = sum(1 for d in diff[2:] if d.startswith("-"))
        return f"{device.name}: configuration changed (+{added} -{removed} lines)\n\n{body}"
    return message


# ---------------------------------------------------------------- models

@dataclass(frozen=True, slots=True)
class BackupRaw:
    """What fetch hands to parse (still holding unmasked text: parse masks it)."""

    device: str
    platform: str
    rules: PlatformRules
    config_lines: int
    archive: ArchiveState


@dataclass(frozen=True, slots=True)
class ConfigChange:
    commit: str
    previous_commit: str
    at: datetime
    added: int
    removed: int
    diff: tuple[str, ...]  # secret values masked


@dataclass(frozen=True, slots=True)
class BackupModel:
    device: str
    platform: str
    file: str
    commit: str
    config_lines: int
    stored_now: bool
    first_backup_at: datetime | None  # set while the file has a single version
    last_change: ConfigChange | None


def _short(commit: str) -> str:
    return commit[:10]



MSG = Messages({
    "netconfig.backup.stored": "configuration backed up ({lines} lines, stored as a new version, {version})",
    "netconfig.backup.unchanged": "configuration backed up ({lines} lines, unchanged, {version})",
    "netconfig.change.first": "first backup: no earlier version to compare with",
    "netconfig.change.none": "no change since {when} ({commit})",
    "netconfig.change": "configuration changed at {when}: +{added} -{removed} lines (commit {commit}, before {before})",
})

class NetconfigCollector:
    name: ClassVar[str] = "netconfig"
    params_model: ClassVar[type[NetconfigParams]] = NetconfigParams

    def targets(self, params: NetconfigParams, inventory: Inventory) -> Sequence[NetworkDevice]:
        return [device for device in inventory.network_devices if device.cli is not None]

    def fetch(self, target: NetworkDevice, params: NetconfigParams, io: CollectorIO) -> BackupRaw:
        # Plain def: netmiko blocks, so the runner runs this in its thread pool; every
        # network wait inside has its own timeout (connect, auth, banner, each command).
        if not target.platform:
            raise FetchError("no 'platform' in the inventory for this device (the netmiko device type, e.g. cisco_ios)")
        try:
            rules = rules_for(target.platform)
        except UnknownPlatform as exc:
            raise FetchError(str(exc)) from None
        rules = rules.with_extra(volatile=params.extra_volatile_patterns, secrets=params.extra_secret_patterns)
        reader: Reader = io.extra.get("netconfig_reader", read_with_netmiko)
        reply = reader(target, rules, params, io)
        config = clean_config(reply.config, rules)  # ParseError on an error reply: nothing is archived
        version = clean_version(reply.version, rules) if reply.version else []
        text = compose(config, version, rules)
        if params.mask_secrets_in_repository:
            text = mask_text(text, rules)
        repo = Path(params.repository)
        repo = repo if repo.is_absolute() else io.state_dir / repo
        state = GitArchive(repo, io).store(target.name, text, _commit_message(target, rules, len(config), text))
        return BackupRaw(target.name, rules.platform, rules, len(config), state)

    def parse(self, raw: BackupRaw) -> BackupModel:
        if not isinstance(raw, BackupRaw):
            raise ParseError(f"netconfig expected a backup record, got {type(raw).__name__}")
        state = raw.archive
        change = None
        if state.previous is not None:
            diff = masked_diff(state.previous.text, state.current.text, raw.rules,
                               before_label=f"{state.file}@{_short(state.previous.commit)}",
                               after_label=f"{state.file}@{_short(state.current.commit)}")
            change = ConfigChange(state.current.commit, state.previous.commit, state.current.at,
                                  diff.added, diff.removed, diff.lines)
        return BackupModel(raw.device, raw.platform, state.file, state.current.commit, raw.config_lines,
                           state.stored_now, state.current.at if state.previous is None else None, change)

    def evaluate(self, model: BackupModel, params: NetconfigParams, target: NetworkDevice,
                 now: datetime) -> Iterable[CheckResult]:
        said = MSG.say("netconfig.backup.stored" if model.stored_now else "netconfig.backup.unchanged",
                       lines=model.config_lines, version=f"{model.file}@{_short(model.commit)}")
        yield CheckResult(
            "netconfig.backup", target.name, "", State.OK, said.text,
            metrics=(Metric("config_lines_count", model.config_lines, "count"),), observed_at=now, message=said.ref)
        yield self._change_result(model, params, target, now)

    def _change_result(self, model: BackupModel, params: NetconfigParams, target: NetworkDevice,
                       now: datetime) -> CheckResult:
        change = model.last_change
        if change is None:
            first = MSG.say("netconfig.change.first")
            return CheckResult("netconfig.change", target.name, "running-config", State.OK, first.text,
                               observed_at=now, message=first.ref)
        age = now - change.at
        metrics = (Metric("config_change_age_seconds", max(age.total_seconds(), 0.0), "seconds"),)
        when = change.at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        if age > timedelta(hours=params.change_hold_h):
            same = MSG.say("netconfig.change.none", when=when, commit=_short(change.commit))
            return CheckResult("netconfig.change", target.name, "running-config", State.OK, same.text,
                               metrics=metrics, observed_at=now, message=same.ref)
        diff = list(change.diff)
        if len(diff) > params.max_diff_lines:
            cut = len(diff) - params.max_diff_lines
            diff = diff[:params.max_diff_lines] + [f"... {cut} more diff lines: git show {_short(change.commit)}"]
        changed = MSG.say("netconfig.change", when=when, added=change.added, removed=change.removed,
                          commit=_short(change.commit), before=_short(change.previous_commit))
        return CheckResult(
            "netconfig.change", target.name, "running-config", State.WARN, changed.text,
            details="\n".join(diff), metrics=metrics, observed_at=now, message=changed.ref)
