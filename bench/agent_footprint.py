"""Idle footprint of `patrol run` next to Debian's prometheus-node-exporter, in one run.

Both run for the same window with the default schedule (Patrol) and default collectors
(node_exporter), each scraped every 15 s as Prometheus would. Printed: minimum, mean and
peak RSS of the whole process tree (Patrol's workers included while they run: the minimum
is the supervisor alone), mean CPU as a share of one core (workers included), for both,
and Patrol's ratio on the mean.
Targets (issue 2): Patrol's idle RSS at most 2.5x node_exporter's, and under 1% of one core.

The window defaults to 240 s, not 60: `patrol run` starts a worker for each cycle and the
default system cycle is 120 s, so a 60 s window holds one worker or none and its CPU
figure would be high or low by chance; 240 s holds two whole cycles.

    .venv/bin/python bench/agent_footprint.py [--seconds 240]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def tree_cpu(proc: psutil.Process) -> float:
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def measure(name: str, proc: subprocess.Popen, url: str, seconds: float, warmup: float) -> dict:
    wait_http(url, 30)
    ps = psutil.Process(proc.pid)
    time.sleep(warmup)  # start-up work (first run of every family) is not idle
    cpu0, t0 = tree_cpu(ps), time.monotonic()
    rss, next_scrape = [], t0
    while time.monotonic() - t0 < seconds:
        if time.monotonic() >= next_scrape:
            requests.get(url, timeout=5)
            next_scrape += 15
        rss.append(tree_rss(ps))
        time.sleep(0.5)
    cpu1, t1 = tree_cpu(ps), time.monotonic()
    return {"name": name, "rss_min": min(rss), "rss_mean": statistics.mean(rss), "rss_max": max(rss),
            "cpu_share": (cpu1 - cpu0) / (t1 - t0)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=240)
    parser.add_argument("--warmup", type=float, default=15)
    args = parser.parse_args()
    node_exporter = shutil.which("prometheus-node-exporter")
    if not node_exporter:
        print("prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)", file=sys.stderr)
        return 2
    patrol = Path(sys.executable).with_name("patrol")
    with tempfile.TemporaryDirectory() as tmp:
        p_port, n_port = free_port(), free_port()
        config = Path(tmp) / "patrol.yaml"
        config.write_text(f"exporter: {{listen: '127.0.0.1:{p_port}'}}\nlog: {{level: WARNING}}\n")
        procs = [
            subprocess.Popen([str(patrol), "-c", str(config), "run"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp),
            subprocess.Popen([node_exporter, f"--web.listen-address=127.0.0.1:{n_port}", "--no-collector.systemd"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        ]
        try:
            # Measured one after the other on the same machine, so neither steals the other's core.
            patrol_fig = measure("patrol run", procs[0], f"http://127.0.0.1:{p_port}/metrics", args.seconds, args.warmup)
            node_fig = measure("node_exporter", procs[1], f"http://127.0.0.1:{n_port}/metrics", args.seconds, 2)
        finally:
            for p in procs:
                p.terminate()
                p.wait(10)
    print(f"window: {args.seconds:.0f} s each, scraped every 15 s; cores: {os.cpu_count()}")
    print(f"{'process':16} {'RSS min MiB':>12} {'RSS mean MiB':>13} {'RSS max MiB':>12} {'CPU % of a core':>16}")
    for fig in (patrol_fig, node_fig):
        print(f"{fig['name']:16} {fig['rss_min'] / 2**20:12.1f} {fig['rss_mean'] / 2**20:13.1f} "
              f"{fig['rss_max'] / 2**20:12.1f} {fig['cpu_share'] * 100:16.2f}")
    ratio = patrol_fig["rss_mean"] / node_fig["rss_mean"]
    print(f"Patrol/node_exporter RSS ratio: {ratio:.2f}x (target <= 2.5x)  "
          f"Patrol CPU: {patrol_fig['cpu_share'] * 100:.2f}% of one core (target < 1%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
