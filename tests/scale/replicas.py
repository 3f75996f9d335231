"""Collector replicas for tests and benches: N real `patrol serve` processes on one PostgreSQL
database, polling simulated switches served by the replay responder.

They serve one CA and server certificate made before they start, as replicas behind one
load balancer must (agents check one CA fingerprint).
"""

from __future__ import annotations

import os
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from tests.support.collector import CollectorProcess

REPO = Path(__file__).resolve().parents[2]
RECORDING = REPO / "tests" / "snmp" / "data" / "cisco-c3560.snmprec"  # a real Catalyst 3560-48 (snmpsim-data)
COMMUNITY_ENV = "PATROL_SCALE_COMMUNITY"
BAD_COMMUNITY_ENV = "PATROL_SCALE_BAD_COMMUNITY"
ENV = {COMMUNITY_ENV: RECORDING.stem, BAD_COMMUNITY_ENV: "no-such-recording"}
OTHER_FAMILIES = ("system", "antivirus", "patches", "printers", "domain", "web", "mail", "software", "hardware",
                  "printer_snmp", "netconfig")


def fresh_database(server_url: str) -> str:
    """A new, empty database on the test server (each test its own); returns its URL."""
    name = f"patrol_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


def write_inventory(path: Path, port: int, healthy: int, failing: int = 0, *, timeout_s: float = 2) -> list[str]:
    """``healthy`` switches answered by the responder on ``port``; ``failing`` ones with a
    community it does not know (they time out: switch.reachability CRIT)."""
    devices = []
    for i in range(healthy + failing):
        bad = i >= healthy
        devices.append({"name": f"{'down' if bad else 'sw'}{i:05d}", "address": "127.0.0.1",
                        "snmp": {"community": f"env:{BAD_COMMUNITY_ENV if bad else COMMUNITY_ENV}", "port": port,
                                 "timeout_s": timeout_s, "retries": 0}})
    path.write_text(yaml.safe_dump({"site": {"name": "hq"}, "network_devices": devices}, sort_keys=False))
    return [d["name"] for d in devices]


def replica_settings(name: str, store_url: str, inventory: Path, *, interval_s: float, lease_s: float,
                     concurrency: int, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "agent": {"site": "hq", "name": "collector", "role": "collector"},
        "paths": {"inventory": str(inventory)},
        "store": {"url": store_url},
        "exporter": {"enabled": False},
        "runner": {"concurrency": concurrency},
        "serve": {"replicas": {"enabled": True, "name": name, "lease_s": lease_s}},
        "ticketing": {"confirm_after_s": 0},
        "checks": {"switch": {"schedule": {"interval_s": interval_s, "jitter_s": 0},
                              "response_time_s": {"warn": None, "crit": None}},
                   **{family: {"enabled": False} for family in OTHER_FAMILIES}},
    }
    for key, value in (extra or {}).items():
        settings[key] = {**settings.get(key, {}), **value} if isinstance(value, dict) else value
    return settings


def start_replicas(folder: Path, names: Sequence[str], store_urls: Sequence[str], inventory: Path, *,
                   interval_s: float, lease_s: float, concurrency: int = 8,
                   extra: Mapping[str, Any] | None = None, timeout: float = 90) -> list[CollectorProcess]:
    """Start the replicas side by side (so none polls alone while the others start), all
    serving one CA and server certificate made here."""
    from agent.serve.tls import ensure_tls

    files, _ = ensure_tls(folder / "tls", "hq")
    tls = {"cert_file": str(files.cert_file), "key_file": str(files.key_file), "ca_file": str(files.ca_file)}

    def start(name: str, url: str) -> CollectorProcess:
        settings = replica_settings(name, url, inventory, interval_s=interval_s, lease_s=lease_s,
                                    concurrency=concurrency, extra=extra)
        settings["serve"]["tls"] = tls
        own = folder / name / "state" / "tls"  # healthy() reads the CA from the replica's own state dir
        own.mkdir(parents=True, exist_ok=True)
        (own / "ca.pem").write_bytes(files.ca_file.read_bytes())
        return CollectorProcess.start(folder / name, settings, env=ENV, devices=True, timeout=timeout)

    with ThreadPoolExecutor(len(names)) as pool:
        futures = [pool.submit(start, name, url) for name, url in zip(names, store_urls)]
    started, failed = [], None
    for future in futures:
        try:
            started.append(future.result())
        except BaseException as exc:  # noqa: BLE001 - stop the others, then raise the first failure
            failed = failed or exc
    if failed is not None:
        for replica in started:
            replica.stop()
        raise failed
    return started


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (the replica's workers, which lead sessions of their own)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def kill9_with_workers(replica: CollectorProcess) -> list[int]:
    """A machine dying: SIGKILL to the replica and to the workers it started (by their PIDs,
    read as its children while it still lives)."""
    assert replica.process is not None
    workers = children(replica.pid)
    replica.kill9()
    for pid in workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return workers
