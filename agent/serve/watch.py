"""What the collector itself says about the site's computers: ``agent.silent`` and ``host.reachability``.

An enrolled agent that has not pushed for max(N x its interval, a floor) is silent. Each
inventory host, and each computer with an agent, is probed from the collector (ICMP echo
where the system allows unprivileged ping sockets, else a TCP connect to the configured
ports: any answer, even a refusal, proves the host is up). ``host.reachability`` is one of
the ticket engine's down checks, so an unreachable host holds its own agent's silence
ticket (and its other findings): one ticket for the real cause.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from agent.serve.registry import AgentRecord
from collectors.base import CheckResult, CheckRun, MessageRef, Metric, State
from collectors.messages import Messages

SILENT_CHECK = "agent.silent"
REACH_CHECK = "host.reachability"
WATCH_COLLECTOR = "fleet"  # the pseudo family of the collector's own checks on the site's hosts


def silence_result(agent: AgentRecord, now: datetime, *, after_intervals: float, min_s: float) -> CheckResult:
    """``agent.silent`` for one agent: OK while it pushes, CRIT with "last seen" once it stopped."""
    limit = max(after_intervals * agent.interval_s, min_s)
    since = agent.last_seen or agent.enrolled_at
    quiet = (now - since).total_seconds()
    seen = (MSG.ref("agent.never_pushed") if agent.last_seen is None
            else MSG.ref("agent.last_seen", at=since.isoformat(timespec="seconds")))
    if quiet > limit:
        said = MSG.say("agent.silent", quiet=_span(quiet), seen=seen, every=_span(agent.interval_s))
        return CheckResult(SILENT_CHECK, agent.target, "", State.CRIT, said.text,
                           details=f"agent id {agent.agent_id}, host name {agent.hostname}, version {agent.version or '?'}",
                           metrics=(Metric("agent_silent_seconds", round(quiet, 1), "seconds"),), observed_at=now,
                           message=said.ref)
    said = MSG.say("agent.pushing", seen=seen)
    return CheckResult(SILENT_CHECK, agent.target, "", State.OK, said.text,
                       metrics=(Metric("agent_silent_seconds", round(max(quiet, 0.0), 1), "seconds"),), observed_at=now,
                       message=said.ref)


def silence_runs(agents: Iterable[AgentRecord], now: datetime, *, after_intervals: float,
                 min_s: float) -> dict[str, list[CheckRun]]:
    """Per site, one run per live (not revoked) agent."""
    out: dict[str, list[CheckRun]] = {}
    for agent in agents:
        if agent.revoked:
            continue
        result = silence_result(agent, now, after_intervals=after_intervals, min_s=min_s)
        out.setdefault(agent.site, []).append(CheckRun(WATCH_COLLECTOR, agent.target, now, 0.0, (result,)))
    return out


def _span(seconds: float) -> MessageRef:
    seconds = int(max(seconds, 0))
    if seconds < 120:
        return MSG.ref("agent.span.seconds", n=seconds)
    if seconds < 7200:
        return MSG.ref("agent.span.minutes", n=seconds // 60)
    if seconds < 172800:
        return MSG.ref("agent.span.hours", hours=seconds // 3600, minutes=seconds % 3600 // 60)
    return MSG.ref("agent.span.days", n=seconds // 86400)


MSG = Messages({
    "agent.never_pushed": "never pushed since it enrolled",
    "agent.last_seen": "last seen {at}",
    "agent.silent": "agent silent for {quiet} ({seen}; expected a push every {every})",
    "agent.pushing": "agent pushing ({seen})",
    "agent.span.seconds": "{n} s",
    "agent.span.minutes": "{n} min",
    "agent.span.hours": "{hours} h {minutes} min",
    "agent.span.days": "{n} d",
    "host.reachability.up": "{address} answers ({method})",
    "host.reachability.up_rtt": "{address} answers ({method}) in {ms:.1f} ms",
    "host.reachability.down": "{address} does not answer: {detail}",
})


# --- reachability ------------------------------------------------------------------------

@dataclass(frozen=True)
class ProbeOutcome:
    up: bool
    method: str  # "icmp", "tcp/445", ...
    rtt_s: float | None
    detail: str


def reach_result(target: str, address: str, outcome: ProbeOutcome, now: datetime) -> CheckResult:
    if outcome.up:
        said = (MSG.say("host.reachability.up_rtt", address=address, method=outcome.method, ms=outcome.rtt_s * 1000)
                if outcome.rtt_s is not None else MSG.say("host.reachability.up", address=address, method=outcome.method))
        metrics = (Metric("host_rtt_seconds", round(outcome.rtt_s, 6), "seconds"),) if outcome.rtt_s is not None else ()
        return CheckResult(REACH_CHECK, target, "", State.OK, said.text, metrics=metrics, observed_at=now,
                           message=said.ref)
    said = MSG.say("host.reachability.down", address=address, detail=outcome.detail)
    return CheckResult(REACH_CHECK, target, "", State.CRIT, said.text, observed_at=now, message=said.ref)


def _icmp_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


async def icmp_echo(address: str, timeout_s: float) -> float | None:
    """RTT of one ICMP echo through an unprivileged ping socket; None when not answered.

    Raises PermissionError where the system does not allow ping sockets for this user
    (net.ipv4.ping_group_range), so the caller falls back to TCP.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    proto = socket.IPPROTO_ICMPV6 if family == socket.AF_INET6 else socket.IPPROTO_ICMP
    sock = socket.socket(family, socket.SOCK_DGRAM, proto)
    sock.setblocking(False)
    try:
        echo_type = 128 if family == socket.AF_INET6 else 8
        payload = b"patrol-reach"
        header = struct.pack("!BBHHH", echo_type, 0, 0, 0, 1)
        packet = struct.pack("!BBHHH", echo_type, 0, _icmp_checksum(header + payload), 0, 1) + payload
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        await loop.sock_sendto(sock, packet, (address, 0))
        try:
            await asyncio.wait_for(loop.sock_recv(sock, 1024), timeout_s)
        except asyncio.TimeoutError:
            return None
        return time.perf_counter() - start
    finally:
        sock.close()


async def tcp_probe(address: str, port: int, timeout_s: float) -> tuple[bool, float | None, str]:
    start = time.perf_counter()
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout_s)
    except ConnectionRefusedError:
        return True, time.perf_counter() - start, "refused"  # the host's stack answered
    except asyncio.TimeoutError:
        return False, None, "timed out"
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ECONNRESET):
            return True, time.perf_counter() - start, "refused"
        return False, None, exc.strerror or type(exc).__name__
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True, time.perf_counter() - start, "open"


async def probe(address: str, *, icmp: bool, tcp_ports: Sequence[int], timeout_s: float) -> ProbeOutcome:
    tried: list[str] = []
    if icmp:
        try:
            resolved = (await asyncio.get_running_loop().getaddrinfo(address, None))[0][4][0]
            rtt = await icmp_echo(str(resolved), timeout_s)
            if rtt is not None:
                return ProbeOutcome(True, "icmp", rtt, "echo reply")
            tried.append("no ICMP echo reply")
        except PermissionError:
            pass  # no ping sockets for us: TCP alone decides
        except OSError as exc:
            tried.append(f"ICMP: {exc.strerror or exc}")
    if tcp_ports:
        outcomes = await asyncio.gather(*(tcp_probe(address, port, timeout_s) for port in tcp_ports))
        for port, (up, rtt, how) in zip(tcp_ports, outcomes):
            if up:
                return ProbeOutcome(True, f"tcp/{port} {how}", rtt, how)
        tried.append("no answer on TCP " + ", ".join(f"{p} ({how})" for p, (_u, _r, how) in zip(tcp_ports, outcomes)))
    return ProbeOutcome(False, "none", None, "; ".join(tried) or "nothing to try")
