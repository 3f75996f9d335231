"""Settings of fleet mode: an agent that pushes to a site collector (``collector``), and the
site collector itself (``serve``). See docs/fleet.md.

Neither is needed for one computer: with ``collector.url`` unset an agent keeps its own
store and tickets, exactly as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator

from config.checks.base import Strict
from config.console import ConsoleSettings
from config.secrets import Secret


def merge_checks(base: Any, over: Any) -> Any:
    """``over`` merged into ``base`` key by key (mappings only; anything else replaces)."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for key, value in over.items():
        out[key] = merge_checks(out[key], value) if key in out else value
    return out


def _host_port(value: str, example: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port such as {example}, got {value!r}")
    return value


class CollectorLink(Strict):
    """How an endpoint agent reaches its site collector (set by `patrol enroll`)."""

    url: Annotated[str | None, Field(
        description="the site collector, e.g. https://collector.example:9470; unset: this agent keeps its own "
                    "results and tickets (standalone)")] = None
    push_interval_s: Annotated[float, Field(gt=0, description="how often queued results are sent when a send failed "
                                                              "(each check batch is also sent as soon as it ends)")] = 30
    timeout_s: Annotated[float, Field(gt=0, description="deadline of one HTTP call to the collector")] = 15
    batch_max_results: Annotated[int, Field(ge=1, le=100_000, description="results in one pushed batch at most")] = 2000
    outbox_max_mb: Annotated[float, Field(gt=0, description="queued results kept while the collector is "
                                                            "unreachable; the oldest are dropped (and counted) past it")] = 64
    outbox_max_age_h: Annotated[float, Field(gt=0, description="queued results older than this are dropped (and counted)")] = 168
    retry_base_s: Annotated[float, Field(gt=0, description="first wait after a failed send; doubles up to retry_max_s, with jitter")] = 5
    retry_max_s: Annotated[float, Field(gt=0)] = 600
    config_refresh_s: Annotated[float, Field(gt=0, description="how often check settings are fetched from the collector")] = 300

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"expected an https:// URL such as https://collector.example:9470, got {value!r}")
        return value


class TlsSettings(Strict):
    """HTTPS of the collector. Without cert_file/key_file the collector makes its own CA and
    server certificate in <state_dir>/tls at first start and prints the CA's fingerprint."""

    enabled: Annotated[bool, Field(description="serve HTTPS; switch off only behind a TLS-terminating proxy")] = True
    cert_file: Annotated[Path | None, Field(description="server certificate (PEM, with its chain)")] = None
    key_file: Annotated[Path | None, Field(description="its private key (PEM)")] = None
    ca_file: Annotated[Path | None, Field(description="the CA that signed cert_file, served to enrolling agents")] = None
    names: Annotated[tuple[str, ...], Field(description="extra DNS names or IPs for the generated server "
                                                        "certificate (the host name and local IPs are always in it)")] = ()


class SiteEntry(Strict):
    """Another client site held by this collector."""

    inventory: Annotated[Path | None, Field(description="that site's inventory (YAML or CSV)")] = None


class ReachabilitySettings(Strict):
    """host.reachability: the collector's own view of each inventory host and each agent's host."""

    enabled: bool = True
    interval_s: Annotated[float, Field(gt=0, description="seconds between probes of each host")] = 60
    timeout_s: Annotated[float, Field(gt=0, description="deadline of one probe")] = 2
    tcp_ports: Annotated[tuple[int, ...], Field(
        description="TCP ports tried when ICMP echo is not permitted or not answered (any answer, even a "
                    "refusal, proves the host is up)")] = (445, 3389, 22, 135)
    icmp: Annotated[bool, Field(description="try ICMP echo first (needs ping_group_range or CAP_NET_RAW)")] = True


class ReplicaSettings(Strict):
    """Several `patrol serve` processes on one PostgreSQL store share the device polls (docs/scale.md)."""

    enabled: Annotated[bool, Field(description="lease device polls through the store (PostgreSQL only): each device "
                                               "is polled once per interval by one replica")] = False
    name: Annotated[str | None, Field(description="this replica's name in the lease table and logs; unset: "
                                                  "<host name>-<process id>")] = None
    lease_s: Annotated[float, Field(ge=5, description="a claim on a device not renewed for this long is taken over "
                                                      "by another replica (longer than a device's slowest poll)")] = 60
    write_batch: Annotated[int, Field(ge=1, le=5000, description="runs stored per transaction by a replica's "
                                                                 "device polls (multi-row inserts)")] = 100


class AlertmanagerSettings(Strict):
    """Alertmanager webhook receiver: firing alerts become findings (and tickets)."""

    token: Annotated[Secret | None, Field(description="bearer token Alertmanager sends (http_config.authorization); "
                                                      "unset: the endpoint is off")] = None
    tier_label: Annotated[str, Field(description="alert label naming the SLA tier (ticketing.tiers), directly or "
                                                 "through tier_map")] = "tier"
    tier_map: Annotated[dict[str, str], Field(description="tier label value -> tier name, e.g. {P1: urgent, P2: serious}")] = {}
    severity_label: Annotated[str, Field(description="alert label mapped to warn/crit")] = "severity"
    severity_map: Annotated[dict[str, str], Field(description="severity label value -> warn|crit|unknown")] = {
        "critical": "crit", "page": "crit", "error": "crit", "warning": "warn", "warn": "warn", "info": "warn"}
    target_labels: Annotated[tuple[str, ...], Field(description="labels tried in order for the target name")] = (
        "target", "host", "instance", "job")
    # Alertmanager has debounced an alert already (the rule's `for:`) and sends "resolved"
    # once: the usual 2 consecutive results would delay every alert's ticket to the next
    # repeat and never close it.
    open_after: Annotated[int, Field(ge=1, description="firing messages of an alert before its finding (and "
                                                       "ticket) opens; checks.plugins.alert.findings is ignored")] = 1
    resolve_after: Annotated[int, Field(ge=1, description="resolved messages before its finding closes "
                                                          "(Alertmanager sends one)")] = 1


class ServeSettings(Strict):
    """The site collector, `patrol serve`."""

    listen: Annotated[str, Field(description="host:port of the API (agents push here) and the collector's /metrics")] = "0.0.0.0:9470"
    tls: TlsSettings = TlsSettings()
    max_body_mb: Annotated[float, Field(gt=0, description="larger requests get 413")] = 10
    max_connections: Annotated[int, Field(ge=16, description="open connections at most; past it new ones get 503")] = 4000
    keepalive_s: Annotated[float, Field(gt=0, description="idle connections (also new ones that never finish the TLS "
                                                          "handshake or send nothing) are closed after this")] = 15
    body_timeout_s: Annotated[float, Field(gt=0, description="a request body must arrive within this; a client "
                                                             "trickling it gets 408")] = 30
    silent_after_intervals: Annotated[float, Field(gt=0, description="an agent is silent after this many of its push intervals")] = 3
    silent_min_s: Annotated[float, Field(gt=0, description="... but never before this many seconds")] = 600
    clock_skew_warn_s: Annotated[float, Field(gt=0, description="agent.clock WARN when an agent's clock is off by more")] = 300
    sites: Annotated[dict[str, SiteEntry], Field(
        description="further client sites held by this collector (agent.site with paths.inventory is always one)")] = {}
    agent_checks: Annotated[dict[str, Any], Field(
        description="check settings sent to every agent (same shape as `checks:`), e.g. {system: {memory: {warn: 90}}}")] = {}
    site_checks: Annotated[dict[str, dict[str, Any]], Field(
        description="per site: check settings sent to that site's agents, over agent_checks")] = {}
    local_overrides: Annotated[tuple[str, ...], Field(
        description="check settings an agent's own file may still override (dotted paths below checks, '*' "
                    "wildcards), e.g. ['web.*', 'mail.*']")] = ("web.*", "mail.*", "software.*")
    reachability: ReachabilitySettings = ReachabilitySettings()
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    ticket_delay_s: Annotated[float, Field(ge=0, description="pushed results are handed to the ticket engine in "
                                                             "batches at most this often")] = 5
    replicas: ReplicaSettings = ReplicaSettings()
    console: ConsoleSettings = ConsoleSettings()

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        return _host_port(value, "0.0.0.0:9470")
