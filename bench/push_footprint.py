"""Idle footprint of `patrol run` in push mode (enrolled with a collector) next to the same
agent standalone, in one run (issue 12's target: push mode within 10% of today's agent).

Both agents use the default schedule (as bench/agent_footprint.py) and are measured one
after the other for the same window, scraped every 15 s. The collector is a real
`patrol serve --no-devices` on 127.0.0.1 (its own memory is not counted). Printed:
minimum RSS of the process tree (the supervisor alone, between workers), mean and peak
RSS (workers included while they run), CPU as a share of one core, and the ratios
push/standalone.

    .venv/bin/python bench/push_footprint.py [--seconds 240]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from agent_footprint import free_port, measure


def agent_config(folder: Path, name: str, port: int) -> Path:
    folder.mkdir(parents=True)
    path = folder / "patrol.yaml"
    path.write_text(f"agent: {{name: {name}, site: bench}}\nexporter: {{listen: '127.0.0.1:{port}'}}\n"
                    "log: {level: WARNING}\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=240)
    parser.add_argument("--warmup", type=float, default=15)
    args = parser.parse_args()
    patrol = str(Path(sys.executable).with_name("patrol"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        c_port = free_port()
        collector = root / "collector" / "patrol.yaml"
        collector.parent.mkdir()
        collector.write_text(f"agent: {{name: collector, site: bench}}\nexporter: {{enabled: false}}\n"
                             f"serve: {{listen: '127.0.0.1:{c_port}'}}\nlog: {{level: WARNING}}\n")
        token = subprocess.run([patrol, "-c", str(collector), "agents", "token", "create"], capture_output=True,
                               text=True, check=True).stdout.split()[0]
        serve = subprocess.Popen([patrol, "-c", str(collector), "serve", "--no-devices"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        procs = [serve]
        try:
            assert serve.stdout is not None
            fingerprint = None
            deadline = time.monotonic() + 60
            while fingerprint is None and time.monotonic() < deadline:
                line = serve.stdout.readline()
                if m := re.search(r"--ca-fingerprint ([0-9A-F:]{95})", line):
                    fingerprint = m.group(1)
            if fingerprint is None:
                print("patrol serve did not print its CA fingerprint", file=sys.stderr)
                return 2
            wait_http_tls(f"https://127.0.0.1:{c_port}/healthz", 60)
            p_port, s_port = free_port(), free_port()
            pushing = agent_config(root / "push", "pc-push", p_port)
            enrolled = subprocess.run([patrol, "-c", str(pushing), "enroll", f"https://127.0.0.1:{c_port}",
                                       "--token", token, "--ca-fingerprint", fingerprint], capture_output=True, text=True)
            if enrolled.returncode != 0:
                print(enrolled.stderr, file=sys.stderr)
                return 2
            standalone = agent_config(root / "standalone", "pc-standalone", s_port)
            figures, pushed = [], False
            for name, config, port in (("standalone", standalone, s_port), ("push mode", pushing, p_port)):
                proc = subprocess.Popen([patrol, "-c", str(config), "run"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, cwd=config.parent)
                procs.append(proc)
                try:
                    figures.append(measure(name, proc, f"http://127.0.0.1:{port}/metrics", args.seconds, args.warmup))
                    if name == "push mode":
                        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                        pushed = "patrol_push_last_success_timestamp_seconds" in metrics
                finally:
                    proc.terminate()
                    proc.wait(15)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                    p.wait(15)
    print(f"window: {args.seconds:.0f} s each, scraped every 15 s; cores: {os.cpu_count()}; "
          f"push mode delivered to the collector: {'yes' if pushed else 'NO'}")
    print(f"{'agent':12} {'RSS min MiB':>12} {'RSS mean MiB':>13} {'RSS max MiB':>12} {'CPU % of a core':>16}")
    for fig in figures:
        print(f"{fig['name']:12} {fig['rss_min'] / 2**20:12.1f} {fig['rss_mean'] / 2**20:13.1f} "
              f"{fig['rss_max'] / 2**20:12.1f} {fig['cpu_share'] * 100:16.2f}")
    base, push = figures
    print(f"push/standalone: supervisor (RSS min) {push['rss_min'] / base['rss_min']:.3f}x, "
          f"mean RSS {push['rss_mean'] / base['rss_mean']:.3f}x (target <= 1.10x), "
          f"CPU {push['cpu_share'] / max(base['cpu_share'], 1e-9):.2f}x")
    return 0


def wait_http_tls(url: str, timeout: float) -> None:
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1, verify=False).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


if __name__ == "__main__":
    sys.exit(main())
