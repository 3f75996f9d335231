"""Real SNMP agents for the tests: one snmpsim process serving the trimmed recordings of
real devices (data/) plus recordings the tests generate (synth.py), and net-snmp's snmpd
with SNMPv3 users of every auth/priv combination. Both on 127.0.0.1 high ports, stopped by their own PID."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from agent.runner import CheckJob, Runner
from collectors.base import CheckResult, CollectorIO
from collectors.snmp import ber
from collectors.switch import SwitchCollector
from config.checks.switch import SwitchParams
from inventory.models import NetworkDevice
from tests.snmp import hostile_names, synth
from tests.support.proc import ServerProcess, free_port, require_program, wait_until

DATA = Path(__file__).parent / "data"
LIBRENMS_DATA = DATA / "librenms"
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)

# Generated recordings (community -> snmprec text): the same 8-port switch at moments.
_BASE = {p: (10_000_000 * p, 20_000_000 * p, 10, 20, 5, 5) for p in range(1, 9)}
_T1 = dict(_BASE)
_T1[3] = (_BASE[3][0] + 1_000_000, _BASE[3][1] + 1_000_000, 10 + 600, 20, 5, 5)        # 2 errors/s over 300 s
_T1[4] = (_BASE[4][0] + 33_750_000_000, _BASE[4][1] + 3_750_000_000, 10, 20, 5, 5)    # in 900 Mbit/s = 90 %
_T1[5] = (_BASE[5][0] - 1_000, _BASE[5][1] + 1_000, 10, 20, 5, 5)                      # 64-bit counter went back


def without(fixture: str, *prefixes: str) -> str:
    """A real recording from data/ with some objects taken out: a partial agent (hand-made from it)."""
    lines = (DATA / f"{fixture}.snmprec").read_text(encoding="latin-1").splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(prefixes))


SYNTH = {
    "synth/t0": synth.switch(ports=8, uptime_ticks=100_000_000, counters=_BASE),
    "synth/t1": synth.switch(ports=8, uptime_ticks=100_030_000, counters=_T1, oper={1: 2, 2: 2}, fan_state=6),
    "synth/reboot": synth.switch(ports=8, uptime_ticks=12_000, counters={p: (1, 1, 0, 0, 0, 0) for p in range(1, 9)}),
    "synth/wrap0": synth.switch(ports=2, uptime_ticks=2**32 - 10_000),
    "synth/wrap1": synth.switch(ports=2, uptime_ticks=20_000),
    "synth/rates": synth.switch(ports=2, rates={1: (125_000.0, 250_000.0, 5.0)}),
    # the c3560 recording without sysUpTime.0 and without ifAdminStatus (agents seen doing either)
    "synth/partial": without("cisco-c3560", "1.3.6.1.2.1.1.3.0|", "1.3.6.1.2.1.2.2.1.7."),
    # the c3560 recording without the CDP neighbour on Gi0/49 (ifIndex 10149): an uplink neighbour gone
    "synth/c3560-neighbor-gone": without("cisco-c3560", "1.3.6.1.4.1.9.9.23.1.2.1.1."),
    # the c3560 recording 300 s later: counters moved on (some wrapping), every ninth port flipped (test_golden.py)
    "synth/c3560-later": synth.later((DATA / "cisco-c3560.snmprec").read_text(encoding="latin-1"), 300),
    # values that mean "not supported": CPU 2147483647, a temperature sensor reading 65535
    "synth/unsupported": synth.switch(ports=2, cpu=2147483647, temperature=65535),
    "synth/hostile-names": hostile_names.recording(),
}


def snmp_answers(port: int, community: str) -> bool:
    """A v2c GET of sysUpTime.0 answered (readiness probe)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(ber.encode_request(ber.GET, 7, community.encode(), [ber.encode_oid("1.3.6.1.2.1.1.3.0")]),
                    ("127.0.0.1", port))
        try:
            return ber.decode_response(sock.recv(65535))[0] == 7
        except OSError:
            return False


@dataclass
class Agent:
    port: int
    proc: ServerProcess


def serve(root: Path, recordings: dict[str, str], probe: str) -> Agent:
    """One snmpsim process serving ``recordings`` (community -> snmprec text) on a free port
    (also used by bench/health_vs_librenms.py); the caller stops ``agent.proc``."""
    program = require_program(str(Path(os.sys.executable).parent / "snmpsim-command-responder"), "pip snmpsim")
    data = root / "data"
    for community, text in recordings.items():  # written, not symlinked: snmpsim resolves links oddly
        (data / f"{community}.snmprec").parent.mkdir(parents=True, exist_ok=True)
        (data / f"{community}.snmprec").write_text(text, encoding="latin-1")
    port = free_port("udp")
    proc = ServerProcess([program, f"--data-dir={data}", f"--cache-dir={root / 'cache'}",
                          f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--logging-method=null"],
                         log_path=root / "snmpsim.log", env={"SNMPSIM_ALLOW_ROOT": "true"})
    try:
        wait_until(lambda: snmp_answers(port, probe), 60, "snmpsim", proc)
    except BaseException:
        proc.stop()
        raise
    return Agent(port, proc)


def recordings_in(folder: Path) -> dict[str, str]:
    return {rec.stem: rec.read_text(encoding="latin-1") for rec in sorted(folder.glob("*.snmprec"))}


@pytest.fixture(scope="session")
def snmpsim(tmp_path_factory: pytest.TempPathFactory) -> Agent:
    agent = serve(tmp_path_factory.mktemp("snmpsim"), {**recordings_in(DATA), **SYNTH}, "synth/t0")
    try:
        yield agent
    finally:
        agent.proc.stop()


@pytest.fixture(scope="session")
def snmpsim_librenms(tmp_path_factory: pytest.TempPathFactory) -> Agent:
    """LibreNMS's recordings of users' devices (data/librenms, GPL-3.0 test data), in a
    process of their own: one snmpsim keeps at most 31 recordings open."""
    recordings = recordings_in(LIBRENMS_DATA)
    agent = serve(tmp_path_factory.mktemp("snmpsim-librenms"), recordings, next(iter(recordings)))
    try:
        yield agent
    finally:
        agent.proc.stop()


V3_USER, V3_AUTH, V3_PRIV = "patrol", "auth-pass-8x", "priv-pass-8x"
# Every auth/priv combination Patrol supports, one snmpd user each (named by v3_user_name).
V3_AUTHS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
V3_PRIVS = (None, "DES", "AES", "AES192", "AES256", "AES192C", "AES256C")
V3_AUTH_ONLY = "authonly"  # SHA, no privacy key: asking it for authPriv is usmStatsUnsupportedSecLevels
V3_NOAUTH = "noauth"       # noAuthNoPriv
_NETSNMP_AUTH = {"SHA224": "SHA-224", "SHA256": "SHA-256", "SHA384": "SHA-384", "SHA512": "SHA-512"}


def v3_user_name(auth: str, priv: str | None) -> str:
    return f"u-{auth}-{priv or 'nopriv'}".lower()


def snmpd_conf(port: int) -> str:
    """snmpd.conf for 127.0.0.1:port: community public, and v3 users of every combination
    (net-snmp's names: SHA-256, AES192 = Blumenthal key extension, AES192C = Reeder)."""
    lines = [f"agentAddress udp:127.0.0.1:{port}", "view all included .1", "rocommunity public 127.0.0.1 -V all",
             f'createUser {V3_USER} SHA "{V3_AUTH}" AES "{V3_PRIV}"', f"rouser {V3_USER} priv -V all",
             f'createUser {V3_AUTH_ONLY} SHA "{V3_AUTH}"', f"rouser {V3_AUTH_ONLY} auth -V all",
             f"createUser {V3_NOAUTH}", f"rouser {V3_NOAUTH} noauth -V all", "sysName patrol-test-snmpd"]
    for auth in V3_AUTHS:
        for priv in V3_PRIVS:
            name = v3_user_name(auth, priv)
            keys = f'{_NETSNMP_AUTH.get(auth, auth)} "{V3_AUTH}"' + (f' {priv} "{V3_PRIV}"' if priv else "")
            lines += [f"createUser {name} {keys}", f"rouser {name} {'priv' if priv else 'auth'} -V all"]
    return "\n".join(lines) + "\n"


def start_snmpd(root: Path, port: int, persist: Path) -> ServerProcess:
    """net-snmp's snmpd on 127.0.0.1:port, ready; ``persist`` keeps its engine ID and boots
    counter across restarts (a restart in the same directory is boots + 1)."""
    program = require_program("/usr/sbin/snmpd", "snmpd")
    root.mkdir(parents=True, exist_ok=True)
    (root / "snmpd.conf").write_text(snmpd_conf(port))
    configs = [str(root / "snmpd.conf")]
    if (persist / "snmpd.conf").exists():
        # -C (no system config files) also skips the persistent file: pass a copy of it
        # (snmpd rewrites the original) so the engine ID and boots counter carry over
        shutil.copy(persist / "snmpd.conf", root / "persisted.conf")
        configs.append(str(root / "persisted.conf"))
    # -M /dev/null -m "": Debian ships no MIB files; without this the log fills with MIB errors
    proc = ServerProcess([program, "-f", "-C", "-M", "/dev/null", "-m", "", "-c", ",".join(configs),
                          "-Lf", str(root / "snmpd.log")],
                         log_path=root / "snmpd.out", env={"SNMP_PERSISTENT_DIR": str(persist)})
    try:
        wait_until(lambda: snmp_answers(port, "public"), 15, "snmpd", proc)
    except BaseException:
        proc.stop()
        raise
    return proc


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Agent:
    root = tmp_path_factory.mktemp("snmpd")
    port = free_port("udp")
    proc = start_snmpd(root, port, root / "persist")
    try:
        yield Agent(port, proc)
    finally:
        proc.stop()


def device(port: int, community: str, *, name: str = "sw1", uplinks: tuple[str, ...] = (), **snmp: object) -> NetworkDevice:
    """An inventory device whose community comes from an environment variable (never plain text)."""
    var = "PATROL_TEST_SNMP_" + "".join(c if c.isalnum() else "_" for c in community).upper()
    os.environ[var] = community
    return NetworkDevice(name=name, address="127.0.0.1", uplinks=uplinks,
                         snmp={"version": "2c", "community": f"env:{var}", "port": port, "timeout_s": 1.0,
                               "retries": 1, **snmp})


PollFn = Callable[..., list[CheckResult]]


def run_once(target: NetworkDevice, state_dir: Path, *, at: datetime = T0, params: SwitchParams | None = None) -> Any:
    """Run the switch check once through the real runner (exceptions -> UNKNOWN): its RunResult."""
    from config.secrets import resolve_secret

    io = CollectorIO(run=None, state_dir=state_dir, clock=lambda: at, resolve_secret=resolve_secret)  # type: ignore[arg-type]
    runner = Runner(io, concurrency=4)
    try:
        # response-time thresholds off unless a test sets them: the machine's CPU is shared
        job = CheckJob(SwitchCollector(), target, params or SwitchParams(response_time_s={"warn": None, "crit": None}))
        return asyncio.run(runner.run_job(job))
    finally:
        runner.close()


def poll_once(target: NetworkDevice, state_dir: Path, *, at: datetime = T0,
              params: SwitchParams | None = None) -> list[CheckResult]:
    """The results of one run of the switch check (see run_once)."""
    return list(run_once(target, state_dir, at=at, params=params).results)


@pytest.fixture
def poll(tmp_path: Path) -> PollFn:
    """Run the switch check once through the real runner (exceptions -> UNKNOWN)."""

    def run(target: NetworkDevice, *, at: datetime = T0, params: SwitchParams | None = None,
            state_dir: Path = tmp_path / "state") -> list[CheckResult]:
        return poll_once(target, state_dir, at=at, params=params)

    return run


def by_key(results: list[CheckResult]) -> dict[tuple[str, str], CheckResult]:
    return {(r.check, r.item): r for r in results}


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
